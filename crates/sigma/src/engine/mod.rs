//! The compiled rule set and matching: dispatch by channel and event id, literal prefilter, then evaluation.

mod build;
mod prefilter;

use crate::event::{display_value, Event, FieldValue};
use crate::rule::{CorrelationRule, Detection, LogSource, RuleMeta};
use crate::value::Item;
use prefilter::Prefilter;
use std::collections::HashMap;

/// A rule as the engine keeps it.
#[derive(Debug, Clone)]
pub(crate) struct RuleEntry {
    pub meta: RuleMeta,
    pub logsource: LogSource,
    pub detection: Detection,
    /// Referenced by a correlation with `generate: false`.
    pub suppressed: bool,
}

/// A rule compiled for one source of its log source (channel, event ids, field names after renames).
#[derive(Debug, Clone)]
pub(crate) struct Variant {
    pub rule: usize,
    pub channel: Option<String>,
    pub event_ids: Vec<u32>,
    /// Field names by slot, after the source's renames.
    pub fields: Box<[Box<str>]>,
    /// Prefilter needle ids; `None` when the rule has no literal that must occur.
    pub needles: Option<Box<[u32]>>,
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledCorrelation {
    pub rule: CorrelationRule,
    /// Rule indexes it correlates (in the order of `rule.rules`).
    pub members: Vec<usize>,
}

/// The candidate variants of one channel: per event id, and for any other id.
#[derive(Debug, Clone, Default)]
struct ChannelRules {
    name: Box<str>,
    by_id: HashMap<u32, Box<[u32]>>,
    any: Box<[u32]>,
}

/// Candidate variants per channel and event id, each list already holding the channel-wide and global variants.
#[derive(Debug, Clone, Default)]
struct Dispatch {
    channels: Vec<ChannelRules>,
    global: Box<[u32]>,
}

/// A channel's variants while building: (name, per event id, any id).
type ChannelDraft = (String, HashMap<u32, Vec<u32>>, Vec<u32>);

impl Dispatch {
    fn new(variants: &[Variant]) -> Dispatch {
        let mut global = Vec::new();
        let mut chans: Vec<ChannelDraft> = Vec::new();
        for (i, v) in variants.iter().enumerate() {
            let i = i as u32;
            let Some(ch) = &v.channel else {
                global.push(i);
                continue;
            };
            let pos = match chans.iter().position(|c| c.0.eq_ignore_ascii_case(ch)) {
                Some(p) => p,
                None => {
                    chans.push((ch.clone(), HashMap::new(), Vec::new()));
                    chans.len() - 1
                }
            };
            let c = &mut chans[pos];
            if v.event_ids.is_empty() {
                c.2.push(i);
            } else {
                v.event_ids
                    .iter()
                    .for_each(|id| c.1.entry(*id).or_default().push(i));
            }
        }
        let merge = |parts: &[&[u32]]| -> Box<[u32]> {
            let mut v: Vec<u32> = parts.concat();
            v.sort_unstable();
            v.dedup();
            v.into()
        };
        let channels = chans
            .into_iter()
            .map(|(name, by_id, any)| {
                let by_id = by_id
                    .into_iter()
                    .map(|(id, l)| (id, merge(&[&l, &any, &global])))
                    .collect();
                ChannelRules {
                    name: name.into_boxed_str(),
                    by_id,
                    any: merge(&[&any, &global]),
                }
            })
            .collect();
        Dispatch {
            channels,
            global: global.into(),
        }
    }

    fn candidates(&self, channel: Option<&str>, event_id: Option<u32>) -> &[u32] {
        let Some(ch) = channel else { return &self.global };
        let Some(c) = self.channels.iter().find(|c| c.name.eq_ignore_ascii_case(ch)) else {
            return &self.global;
        };
        event_id.and_then(|id| c.by_id.get(&id)).unwrap_or(&c.any)
    }
}

/// All rules compiled into one matcher. Build it once ([`Engine::build`]) and share it: it is `Send + Sync`, and
/// each thread matches with its own [`Scanner`].
#[derive(Debug, Clone)]
pub struct Engine {
    rules: Vec<RuleEntry>,
    variants: Vec<Variant>,
    dispatch: Dispatch,
    prefilter: Prefilter,
    correlations: Vec<CompiledCorrelation>,
}

/// Index of a rule in an [`Engine`].
pub type RuleId = usize;

impl Engine {
    /// Number of compiled detection rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether no rule compiled.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// A rule's metadata.
    pub fn rule(&self, id: RuleId) -> &RuleMeta {
        &self.rules[id].meta
    }

    /// A rule's log source.
    pub fn logsource(&self, id: RuleId) -> &LogSource {
        &self.rules[id].logsource
    }

    /// Every rule's metadata, by [`RuleId`].
    pub fn rules(&self) -> impl Iterator<Item = &RuleMeta> {
        self.rules.iter().map(|r| &r.meta)
    }

    /// The first rule whose id or name is `r`.
    pub fn find(&self, r: &str) -> Option<RuleId> {
        self.rules.iter().position(|e| e.meta.is_named(r))
    }

    /// Whether a rule's own matches should not be reported because a correlation with `generate: false` uses it.
    pub fn suppressed(&self, id: RuleId) -> bool {
        self.rules[id].suppressed
    }

    /// Whether a correlation rule uses this rule (callers keep such events for the [`crate::Correlator`]).
    pub fn in_correlation(&self, id: RuleId) -> bool {
        self.correlations.iter().any(|c| c.members.contains(&id))
    }

    /// The compiled correlation rules.
    pub fn correlations(&self) -> impl Iterator<Item = &CorrelationRule> {
        self.correlations.iter().map(|c| &c.rule)
    }

    /// Number of distinct prefilter literals.
    pub fn needle_count(&self) -> usize {
        self.prefilter.len()
    }

    /// Number of compiled (rule, source) variants.
    pub fn variant_count(&self) -> usize {
        self.variants.len()
    }

    pub(crate) fn correlation(&self, i: usize) -> &CompiledCorrelation {
        &self.correlations[i]
    }

    pub(crate) fn correlation_count(&self) -> usize {
        self.correlations.len()
    }

    /// A scanner with its own scratch space; create one per thread and reuse it.
    pub fn scanner(&self) -> Scanner<'_> {
        Scanner {
            engine: self,
            bits: vec![0; self.prefilter.len().div_ceil(64)],
            out: Vec::new(),
            stats: ScanStats::default(),
        }
    }

    /// The rules matching `ev` (convenience; a [`Scanner`] avoids the allocations).
    pub fn matches(&self, ev: &dyn Event) -> Vec<RuleId> {
        self.scanner().scan(ev).to_vec()
    }

    /// The variant of `rule` that applies to `ev` (its channel and event id), if any.
    fn variant_for(&self, rule: RuleId, ev: &dyn Event) -> Option<&Variant> {
        let cands = self.dispatch.candidates(ev.channel(), ev.event_id());
        cands
            .iter()
            .map(|&v| &self.variants[v as usize])
            .find(|v| v.rule == rule)
    }

    /// The name a Sigma field has in `ev` for `rule` (after the renames of the source `ev` comes from).
    pub fn field_name<'a>(&'a self, rule: RuleId, sigma_name: &'a str, ev: &dyn Event) -> &'a str {
        let Some(v) = self.variant_for(rule, ev) else {
            return sigma_name;
        };
        let det = &self.rules[rule].detection;
        det.fields
            .iter()
            .position(|f| f == sigma_name)
            .map_or(sigma_name, |i| &v.fields[i])
    }

    /// The fields `rule` reads that `ev` has, with their values (for reports: "the matched fields").
    pub fn matched_fields(&self, rule: RuleId, ev: &dyn Event) -> Vec<(String, String)> {
        let Some(v) = self.variant_for(rule, ev) else {
            return Vec::new();
        };
        let mut out: Vec<(String, String)> = Vec::new();
        for name in v.fields.iter() {
            if let Some(val) = ev.field(name) {
                if !out.iter().any(|(n, _)| n == name.as_ref()) {
                    out.push((name.to_string(), display_value(val)));
                }
            }
        }
        out
    }

    fn eval(&self, v: &Variant, ev: &dyn Event) -> bool {
        let det = &self.rules[v.rule].detection;
        det.cond.eval(&mut |s| {
            det.searches[s]
                .alternatives
                .iter()
                .any(|alt| alt.iter().all(|item| item_matches(item, v, ev)))
        })
    }
}

fn item_matches(item: &Item, v: &Variant, ev: &dyn Event) -> bool {
    let other = |slot: usize| v.fields.get(slot).and_then(|f| ev.field(f));
    let holds = |val: Option<FieldValue<'_>>| {
        if item.all {
            item.matchers.iter().all(|m| m.matches(val, &other))
        } else {
            item.matchers.iter().any(|m| m.matches(val, &other))
        }
    };
    match item.field {
        Some(slot) => {
            let Some(name) = v.fields.get(slot) else {
                return holds(None);
            };
            // Every value of a repeated field is tried; an absent field is tried as absent (for null/exists).
            let (mut present, mut matched) = (false, false);
            ev.field_values(name, &mut |val| {
                present = true;
                matched = matched || holds(Some(val));
            });
            if present {
                matched
            } else {
                holds(None)
            }
        }
        None => {
            // Keywords: every matcher (for `all`) or any matcher must match some value of the event. Found
            // matchers are bits of a mask (keyword lists longer than 64 values are checked in groups of 64).
            item.matchers
                .chunks(64)
                .enumerate()
                .fold(item.all, |acc, (_, group)| {
                    let mut found = 0u64;
                    ev.for_each_field(&mut |_, val: FieldValue<'_>| {
                        for (i, m) in group.iter().enumerate() {
                            if found & (1 << i) == 0 && m.matches(Some(val), &other) {
                                found |= 1 << i;
                            }
                        }
                    });
                    let full = if group.len() == 64 {
                        u64::MAX
                    } else {
                        (1u64 << group.len()) - 1
                    };
                    if item.all {
                        acc && found == full
                    } else {
                        acc || found != 0
                    }
                })
        }
    }
}

/// Counters of a [`Scanner`]: how much work dispatch and the prefilter saved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanStats {
    /// Events scanned.
    pub events: u64,
    /// Rule variants that dispatch by channel and event id offered.
    pub candidates: u64,
    /// Rule variants evaluated after the prefilter.
    pub evaluated: u64,
    /// Rule matches reported.
    pub matches: u64,
}

/// Matches events against an [`Engine`] with reusable scratch space (no allocation per event once warm).
#[derive(Debug)]
pub struct Scanner<'e> {
    engine: &'e Engine,
    bits: Vec<u64>,
    out: Vec<RuleId>,
    stats: ScanStats,
}

impl Scanner<'_> {
    /// The work counters so far.
    pub fn stats(&self) -> ScanStats {
        self.stats
    }

    /// The rules matching `ev`, each once, in rule order.
    pub fn scan(&mut self, ev: &dyn Event) -> &[RuleId] {
        let e = self.engine;
        self.out.clear();
        let cands = e.dispatch.candidates(ev.channel(), ev.event_id());
        self.stats.events += 1;
        self.stats.candidates += cands.len() as u64;
        let mut scanned = false;
        for &vi in cands {
            let v = &e.variants[vi as usize];
            if self.out.contains(&v.rule) {
                continue;
            }
            if let (Some(needles), true) = (&v.needles, e.prefilter.active()) {
                if !scanned {
                    self.bits.iter_mut().for_each(|w| *w = 0);
                    let (pre, bits) = (&e.prefilter, &mut self.bits);
                    ev.for_each_field(&mut |_, val| {
                        val.with_str(|s| pre.scan(s, bits));
                    });
                    scanned = true;
                }
                let hit = needles
                    .iter()
                    .any(|&n| self.bits[n as usize / 64] & (1 << (n % 64)) != 0);
                if !hit {
                    continue;
                }
            }
            self.stats.evaluated += 1;
            if e.eval(v, ev) {
                self.out.push(v.rule);
            }
        }
        self.stats.matches += self.out.len() as u64;
        self.out.sort_unstable();
        &self.out
    }
}
