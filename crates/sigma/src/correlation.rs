//! The stateful correlator: feed it events in time order with the rules they matched; it reports when a
//! correlation rule's condition holds within its time span for a group.
//!
//! Semantics, per correlation and group (the values of its `group-by` fields, aliases resolved per rule):
//! - `event_count`: events of the referenced rules in the sliding window; fires when the count satisfies the
//!   condition.
//! - `value_count`: distinct values of the condition's field among those events.
//! - `temporal`: how many of the referenced rules fired in the window (default: all of them), any order.
//! - `temporal_ordered`: all referenced rules fired in the listed order within the window.
//!
//! After firing, the group's window is cleared, so one burst gives one detection. `lt`/`lte` conditions are checked
//! as each event arrives. Events without a timestamp cannot be placed in a window: they are counted in
//! [`Correlator::untimed`] and otherwise ignored.

use crate::engine::{Engine, RuleId};
use crate::event::{display_value, Event};
use crate::rule::CorrelationType;
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::{HashMap, VecDeque};

/// A correlation rule that fired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrelationMatch {
    /// Index of the correlation in [`Engine::correlations`].
    pub correlation: usize,
    /// The group: `(group-by field, value)`.
    pub group: Vec<(String, String)>,
    /// The earliest event time in the window.
    pub first: DateTime<Utc>,
    /// The time of the event that completed it.
    pub last: DateTime<Utc>,
    /// The count that satisfied the condition (events, distinct values or distinct rules).
    pub count: u64,
}

#[derive(Debug, Default)]
struct Group {
    /// (time, member index, value for value_count)
    window: VecDeque<(DateTime<Utc>, usize, String)>,
}

/// Correlation state over one stream of events.
#[derive(Debug)]
pub struct Correlator<'e> {
    engine: &'e Engine,
    groups: Vec<HashMap<Vec<String>, Group>>,
    untimed: u64,
}

/// The windows of a [`Correlator`] without its engine, to keep between calls (a live stream handled in batches,
/// one state per tenant).
#[derive(Debug, Default)]
pub struct CorrelationState {
    groups: Vec<HashMap<Vec<String>, Group>>,
    untimed: u64,
}

impl<'e> Correlator<'e> {
    /// A correlator for the engine's correlation rules.
    pub fn new(engine: &'e Engine) -> Correlator<'e> {
        Correlator::resume(engine, CorrelationState::default())
    }

    /// A correlator that goes on from `state`. A state kept for another set of correlation rules (another count)
    /// is dropped: the windows start empty.
    pub fn resume(engine: &'e Engine, state: CorrelationState) -> Correlator<'e> {
        let groups = if state.groups.len() == engine.correlation_count() {
            state.groups
        } else {
            (0..engine.correlation_count()).map(|_| HashMap::new()).collect()
        };
        Correlator {
            engine,
            groups,
            untimed: state.untimed,
        }
    }

    /// The windows, to resume later with [`Correlator::resume`].
    pub fn into_state(self) -> CorrelationState {
        CorrelationState {
            groups: self.groups,
            untimed: self.untimed,
        }
    }

    /// Events that matched a correlated rule but had no timestamp (each counted once).
    pub fn untimed(&self) -> u64 {
        self.untimed
    }

    /// Feeds one event and the rules it matched (from [`crate::Scanner::scan`]); returns the correlations that fired.
    pub fn observe(&mut self, ev: &dyn Event, matched: &[RuleId]) -> Vec<CorrelationMatch> {
        let mut out = Vec::new();
        let mut untimed = false;
        for ci in 0..self.groups.len() {
            let c = self.engine.correlation(ci);
            let hits: Vec<usize> = c
                .members
                .iter()
                .enumerate()
                .filter(|(_, m)| matched.contains(m))
                .map(|(i, _)| i)
                .collect();
            if hits.is_empty() {
                continue;
            }
            let Some(t) = ev.timestamp() else {
                untimed = true;
                continue;
            };
            for member in hits {
                let rule = c.members[member];
                let key = self.group_key(ci, rule, ev);
                let value = match &c.rule.value_field {
                    Some(f) => self.value(rule, f, ev),
                    None => String::new(),
                };
                if c.rule.kind == CorrelationType::ValueCount && value.is_empty() {
                    continue;
                }
                let span = TimeDelta::from_std(c.rule.timespan).unwrap_or(TimeDelta::MAX);
                let g = self.groups[ci].entry(key.clone()).or_default();
                g.window.push_back((t, member, value));
                while g
                    .window
                    .front()
                    .is_some_and(|(ft, _, _)| t.signed_duration_since(*ft) > span)
                {
                    g.window.pop_front();
                }
                if let Some(count) = fires(c.rule.kind, c.rule.condition, c.members.len(), &g.window) {
                    let first = g.window.front().map_or(t, |w| w.0);
                    g.window.clear();
                    let group = c.rule.group_by.iter().cloned().zip(key).collect();
                    out.push(CorrelationMatch {
                        correlation: ci,
                        group,
                        first,
                        last: t,
                        count,
                    });
                }
            }
        }
        self.untimed += u64::from(untimed);
        out
    }

    fn value(&self, rule: RuleId, field: &str, ev: &dyn Event) -> String {
        ev.field(self.engine.field_name(rule, field, ev))
            .map(display_value)
            .unwrap_or_default()
    }

    fn group_key(&self, ci: usize, rule: RuleId, ev: &dyn Event) -> Vec<String> {
        let c = self.engine.correlation(ci);
        let meta = self.engine.rule(rule);
        c.rule
            .group_by
            .iter()
            .map(|g| {
                let field = c
                    .rule
                    .aliases
                    .iter()
                    .find(|(a, _)| a == g)
                    .and_then(|(_, per)| {
                        per.iter()
                            .find(|(r, _)| meta.is_named(r))
                            .map(|(_, f)| f.as_str())
                    })
                    .unwrap_or(g);
                self.value(rule, field, ev)
            })
            .collect()
    }
}

/// Whether the window satisfies the correlation; the count if so.
fn fires(
    kind: CorrelationType,
    cond: Option<crate::rule::CountCondition>,
    members: usize,
    w: &VecDeque<(DateTime<Utc>, usize, String)>,
) -> Option<u64> {
    let holds = |n: u64, default: u64| cond.map_or(n >= default, |c| c.holds(n));
    match kind {
        CorrelationType::EventCount => {
            let n = w.len() as u64;
            holds(n, 1).then_some(n)
        }
        CorrelationType::ValueCount => {
            let mut vals: Vec<&str> = w.iter().map(|x| x.2.as_str()).collect();
            vals.sort_unstable();
            vals.dedup();
            let n = vals.len() as u64;
            holds(n, 1).then_some(n)
        }
        CorrelationType::Temporal => {
            let mut seen: Vec<usize> = w.iter().map(|x| x.1).collect();
            seen.sort_unstable();
            seen.dedup();
            let n = seen.len() as u64;
            holds(n, members as u64).then_some(n)
        }
        CorrelationType::TemporalOrdered => {
            // Greedy: the earliest occurrence of member 0, then of member 1 after it, and so on.
            let mut next = 0;
            for (_, m, _) in w {
                if *m == next {
                    next += 1;
                    if next == members {
                        break;
                    }
                }
            }
            (next == members).then_some(members as u64)
        }
    }
}
