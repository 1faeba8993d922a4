//! Compiling loaded rules into an [`Engine`]: filters applied, log sources mapped, dispatch and prefilter built.

use super::prefilter::{rule_needles, PrefilterBuilder};
use super::{CompiledCorrelation, Dispatch, Engine, RuleEntry, Variant};
use crate::condition::Cond;
use crate::error::Error;
use crate::load::LoadReport;
use crate::mapping::{Mapping, Resolution};
use crate::rule::{CorrelationRule, Detection, FilterRule, Rule};
use std::collections::HashMap;

/// A source of a rule while building: channel, event ids, field renames.
type SourceDraft = (Option<String>, Vec<u32>, HashMap<String, String>);

fn unsupported(meta: &crate::RuleMeta, place: &str, what: String) -> Error {
    Error::Unsupported {
        origin: meta.origin.clone(),
        document: meta.document,
        rule: Some(meta.label()),
        place: place.to_string(),
        what,
    }
}

/// Appends a filter's searches and fields to a rule's detection: `rule and filter`.
fn apply_filter(det: &mut Detection, f: &Detection) {
    let search_off = det.searches.len();
    let field_off = det.fields.len();
    for (name, s) in f.names.iter().zip(&f.searches) {
        let mut s = s.clone();
        s.alternatives
            .iter_mut()
            .flatten()
            .for_each(|i| i.shift(field_off));
        det.searches.push(s);
        det.names.push(format!("filter:{name}"));
    }
    det.fields.extend(f.fields.iter().cloned());
    let cond = std::mem::replace(&mut det.cond, Cond::Or(Vec::new()));
    det.cond = Cond::And(vec![cond, f.cond.offset(search_off)]);
}

fn apply_filters(rules: &mut [Rule], filters: &[FilterRule], errors: &mut Vec<Error>) {
    for f in filters {
        for target in &f.rules {
            let mut hit = false;
            for r in rules.iter_mut().filter(|r| r.meta.is_named(target)) {
                apply_filter(&mut r.detection, &f.detection);
                hit = true;
            }
            if !hit {
                errors.push(Error::Invalid {
                    origin: f.meta.origin.clone(),
                    document: f.meta.document,
                    rule: Some(f.meta.label()),
                    place: "filter.rules".into(),
                    reason: format!(
                        "names rule `{target}`, which is not loaded; the filter does nothing for it"
                    ),
                });
            }
        }
    }
}

fn compile_correlations(
    list: Vec<CorrelationRule>,
    rules: &[RuleEntry],
    errors: &mut Vec<Error>,
) -> Vec<CompiledCorrelation> {
    let mut out = Vec::new();
    'next: for c in list {
        let mut members = Vec::new();
        for r in &c.rules {
            let found: Vec<usize> = rules
                .iter()
                .enumerate()
                .filter(|(_, e)| e.meta.is_named(r))
                .map(|(i, _)| i)
                .collect();
            if found.is_empty() {
                errors.push(unsupported(
                    &c.meta,
                    "correlation.rules",
                    format!("rule `{r}` is not loaded (or is itself a correlation, which is not chained)"),
                ));
                continue 'next;
            }
            members.extend(found);
        }
        out.push(CompiledCorrelation { rule: c, members });
    }
    out
}

impl Engine {
    /// Compiles the loaded rules with a log-source mapping. Returns the engine and every error: the load errors
    /// carried over from `report`, then the rules that could not be compiled (no mapping for their log source, a
    /// filter or correlation naming an absent rule).
    pub fn build(report: LoadReport, mapping: &Mapping) -> (Engine, Vec<Error>) {
        let LoadReport {
            mut rules,
            filters,
            correlations,
            mut errors,
            ..
        } = report;
        apply_filters(&mut rules, &filters, &mut errors);
        let mut entries = Vec::new();
        let mut variants = Vec::new();
        let mut pre = PrefilterBuilder::default();
        for rule in rules {
            let sources: Vec<SourceDraft> = match mapping.resolve(&rule.logsource) {
                Resolution::Sources(s) => s
                    .iter()
                    .map(|s| {
                        (
                            Some(s.channel.clone()),
                            s.event_ids.clone(),
                            s.fields.clone().into_iter().collect(),
                        )
                    })
                    .collect(),
                Resolution::Anywhere => vec![(None, Vec::new(), HashMap::new())],
                Resolution::Unmapped(why) => {
                    errors.push(unsupported(&rule.meta, "logsource", why));
                    continue;
                }
                #[allow(unreachable_patterns)]
                _ => continue,
            };
            let idx = entries.len();
            let needles = rule_needles(&rule.detection).map(|n| pre.intern(&n));
            for (channel, event_ids, renames) in sources {
                let fields = rule
                    .detection
                    .fields
                    .iter()
                    .map(|f| {
                        renames
                            .get(f)
                            .cloned()
                            .unwrap_or_else(|| f.clone())
                            .into_boxed_str()
                    })
                    .collect();
                variants.push(Variant {
                    rule: idx,
                    channel,
                    event_ids,
                    fields,
                    needles: needles.clone(),
                });
            }
            entries.push(RuleEntry {
                meta: rule.meta,
                logsource: rule.logsource,
                detection: rule.detection,
                suppressed: false,
            });
        }
        let correlations = compile_correlations(correlations, &entries, &mut errors);
        for c in &correlations {
            if !c.rule.generate {
                c.members.iter().for_each(|&m| entries[m].suppressed = true);
            }
        }
        let dispatch = Dispatch::new(&variants);
        let prefilter = pre.build();
        (
            Engine {
                rules: entries,
                variants,
                dispatch,
                prefilter,
                correlations,
            },
            errors,
        )
    }
}
