//! Detection on stored events: the Sigma engine (rules dispatched by channel and event id) and the indicator
//! engine (listed addresses, domains, URLs and hashes in the fields that carry them). Pure: events in, alerts to
//! raise out.

use std::sync::Arc;

use canhgac_ioc::{IndicatorSet, Warnings};
use canhgac_model::{NewAlert, Severity};
use std::collections::{HashMap, HashSet};

use canhgac_model::UnitId;
use canhgac_sigma::{CorrelationMatch, CorrelationState, Correlator, Engine, FlatRef, Level};
use canhgac_store::{NewEvent, StoredEvent};
use chrono::DateTime;
use serde_json::json;

/// What the pipeline detects with; swapped whole when rules or lists change (no restart).
pub struct Detector {
    pub sigma: Option<Engine>,
    pub indicators: IndicatorSet,
    pub warnings: Warnings,
    /// Rules switched off (by id, or title without one) for the whole network (`None`) or one unit.
    pub disabled: HashSet<(Option<UnitId>, String)>,
    /// Rules a unit wrote, which run on that unit's events only.
    pub only_for: HashMap<String, UnitId>,
}

impl Default for Detector {
    fn default() -> Self {
        Detector {
            sigma: None,
            indicators: IndicatorSet::from_lists([]),
            warnings: Warnings::default(),
            disabled: HashSet::new(),
            only_for: HashMap::new(),
        }
    }
}

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detector")
            .field("rules", &self.sigma.as_ref().map_or(0, Engine::len))
            .field("indicators", &self.indicators.len())
            .finish()
    }
}

/// An event on its way through detection: its id in the events table, the stored row, and its fields as pairs
/// (kept from normalisation for the events handed over in memory, read back from the row otherwise).
#[derive(Debug, Clone)]
pub struct LiveEvent {
    pub id: i64,
    pub event: NewEvent,
    pub fields: Vec<(String, String)>,
}

impl From<StoredEvent> for LiveEvent {
    fn from(s: StoredEvent) -> Self {
        let fields = s.field_pairs();
        LiveEvent {
            id: s.id,
            event: s.event,
            fields,
        }
    }
}

/// The correlation windows of the live stream: one state per unit (events of two units never correlate), valid for
/// the detector they were kept with (a reload starts them empty). Kept in memory: a restart starts them empty too.
#[derive(Debug, Default)]
pub struct Correlations {
    detector: std::sync::Weak<Detector>,
    units: HashMap<UnitId, CorrelationState>,
}

impl Correlations {
    /// Starts empty unless the windows were kept for `detector`.
    pub fn use_with(&mut self, detector: &Arc<Detector>) {
        if !std::sync::Weak::ptr_eq(&self.detector, &Arc::downgrade(detector)) {
            *self = Correlations {
                detector: Arc::downgrade(detector),
                units: HashMap::new(),
            };
        }
    }
}

/// The alert of a correlation that fired on `ev` (the event that completed it).
fn correlation_alert(engine: &Engine, ev: &LiveEvent, m: &CorrelationMatch) -> NewAlert {
    let e = &ev.event;
    let (rule_id, title, level, tags, kind) = match engine.correlations().nth(m.correlation) {
        Some(c) => (
            c.meta.id.clone().unwrap_or_else(|| c.meta.title.clone()),
            c.meta.title.clone(),
            c.meta.level,
            c.meta.tags.clone(),
            format!("{:?}", c.kind),
        ),
        None => (
            format!("correlation-{}", m.correlation),
            String::new(),
            None,
            Vec::new(),
            String::new(),
        ),
    };
    // Grouped by a host field: that host; otherwise the host of the completing event.
    let host = m
        .group
        .iter()
        .find(|(f, _)| {
            matches!(
                f.to_ascii_lowercase().as_str(),
                "computer" | "computername" | "hostname" | "host" | "workstationname"
            )
        })
        .map_or_else(|| e.host.clone(), |(_, v)| v.clone());
    NewAlert {
        unit_id: e.unit_id,
        source: "sigma".into(),
        event_key: Some(format!("{}:{rule_id}", ev.id)),
        rule_id,
        title,
        severity: severity(level),
        host,
        seen_at: m.last.timestamp_millis(),
        details: json!({
            "event_id": ev.id,
            "correlation": kind,
            "count": m.count,
            "group": m.group,
            "first": m.first.to_rfc3339(),
            "last": m.last.to_rfc3339(),
            "tags": tags,
        }),
    }
}

/// The detector in use, shared by the pipeline and whoever reloads it.
pub type SharedDetector = Arc<std::sync::RwLock<Arc<Detector>>>;

fn severity(level: Option<Level>) -> Severity {
    match level {
        Some(Level::Critical) => Severity::Critical,
        Some(Level::High) => Severity::High,
        Some(Level::Low) => Severity::Low,
        Some(Level::Informational) => Severity::Informational,
        Some(Level::Medium) | None | Some(_) => Severity::Medium,
    }
}

/// Whether a field's name says it holds an address, a domain, a URL or a hash (the names Sysmon, Security,
/// Suricata EVE, Zeek, CEF and firewall key=value lines use).
pub fn indicator_field(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    let last = n.rsplit('.').next().unwrap_or(&n);
    matches!(
        last,
        "src"
            | "dst"
            | "srcip"
            | "dstip"
            | "src_ip"
            | "dest_ip"
            | "sourceip"
            | "destinationip"
            | "ipaddress"
            | "orig_h"
            | "resp_h"
            | "remote_ip"
            | "clientip"
            | "client_ip"
            | "sourceaddress"
            | "destaddress"
            | "destinationaddress"
            | "queryname"
            | "rrname"
            | "hostname"
            | "sni"
            | "dhost"
            | "query"
            | "destinationhostname"
            | "url"
            | "request"
            | "md5"
            | "sha1"
            | "sha256"
            | "hashes"
            | "hash"
            | "imphash"
    )
}

impl Detector {
    /// Whether the rule keyed `rule_id` reports on `unit`'s events (not switched off for it or the network, and
    /// not another unit's own rule).
    pub fn reports(&self, unit: UnitId, rule_id: &str) -> bool {
        let key = rule_id.to_string();
        !self.disabled.contains(&(None, key.clone()))
            && !self.disabled.contains(&(Some(unit), key))
            && self.only_for.get(rule_id).is_none_or(|u| *u == unit)
    }

    /// Sigma rules in use.
    pub fn rule_count(&self) -> usize {
        self.sigma.as_ref().map_or(0, Engine::len)
    }

    /// The alerts a batch of events raises (not yet grouped: the store groups repeats), with one Sigma scanner for
    /// the whole batch; correlation rules go on from the windows in `correlations`.
    pub fn detect_batch(&self, events: &[LiveEvent], correlations: &mut Correlations) -> Vec<NewAlert> {
        let mut out = Vec::new();
        let mut scanner = self.sigma.as_ref().map(Engine::scanner);
        for ev in events {
            let e = &ev.event;
            if let (Some(engine), Some(scanner), false) =
                (&self.sigma, scanner.as_mut(), e.channel.is_empty())
            {
                let view = FlatRef {
                    channel: Some(&e.channel),
                    event_id: e.event_id.and_then(|n| u32::try_from(n).ok()),
                    timestamp: DateTime::from_timestamp_millis(e.ts),
                    fields: &ev.fields,
                };
                let hits = scanner.scan(&view);
                let correlated = hits
                    .iter()
                    .any(|&r| engine.in_correlation(r))
                    .then(|| hits.to_vec());
                for &rule in hits {
                    // A rule used by a correlation with `generate: false` reports only through it.
                    if engine.suppressed(rule) {
                        continue;
                    }
                    let meta = engine.rule(rule);
                    let rule_id = meta.id.clone().unwrap_or_else(|| meta.title.clone());
                    if !self.reports(e.unit_id, &rule_id) {
                        continue;
                    }
                    let matched = engine.matched_fields(rule, &view);
                    out.push(NewAlert {
                        unit_id: e.unit_id,
                        source: "sigma".into(),
                        event_key: Some(format!("{}:{rule_id}", ev.id)),
                        rule_id,
                        title: meta.title.clone(),
                        severity: severity(meta.level),
                        host: e.host.clone(),
                        seen_at: e.ts,
                        details: json!({
                            "event_id": ev.id,
                            "channel": e.channel,
                            "windows_event_id": e.event_id,
                            "matched": matched,
                            "tags": meta.tags,
                        }),
                    });
                }
                if let Some(hits) = correlated {
                    let state = correlations.units.entry(e.unit_id).or_default();
                    let mut correlator = Correlator::resume(engine, std::mem::take(state));
                    for m in correlator.observe(&view, &hits) {
                        let alert = correlation_alert(engine, ev, &m);
                        if self.reports(e.unit_id, &alert.rule_id) {
                            out.push(alert);
                        }
                    }
                    *state = correlator.into_state();
                }
            }
            self.detect_indicators(ev, &mut out);
        }
        out
    }

    fn detect_indicators(&self, event: &LiveEvent, out: &mut Vec<NewAlert>) {
        if self.indicators.is_empty() {
            return;
        }
        let e = &event.event;
        let mut seen: Vec<(String, String)> = Vec::new();
        for (name, value) in event.fields.iter().filter(|(n, _)| indicator_field(n)) {
            // Sysmon's `Hashes` holds `SHA256=…,MD5=…`.
            let parts: Vec<&str> = if value.contains('=') {
                value
                    .split(',')
                    .filter_map(|p| p.split_once('=').map(|(_, v)| v))
                    .collect()
            } else {
                vec![value.as_str()]
            };
            for part in parts {
                for hit in self.indicators.match_value(part) {
                    if self.warnings.check(&hit.entry.indicator).is_some() {
                        continue;
                    }
                    let list = hit.list;
                    let key = (list.name.clone(), hit.entry.indicator.to_string());
                    if seen.contains(&key) {
                        continue;
                    }
                    seen.push(key);
                    out.push(NewAlert {
                        unit_id: e.unit_id,
                        source: "indicator".into(),
                        rule_id: format!("ioc:{}", list.name),
                        title: format!("{}: {}", list.name, hit.entry.indicator),
                        severity: Severity::High,
                        host: e.host.clone(),
                        seen_at: e.ts,
                        details: json!({
                            "event_id": event.id,
                            "field": name,
                            "value": part,
                            "indicator": hit.entry.indicator.to_string(),
                            "list": list.name,
                            "list_version": list.version,
                            "category": hit.entry.meta.category,
                            "family": hit.entry.meta.family,
                        }),
                        event_key: Some(format!("{}:ioc:{}:{}", event.id, list.name, hit.entry.indicator)),
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use canhgac_sigma::{load_str, LoadOptions, Mapping};

    const RULES: &str = r#"
title: Failed logon
id: 0a6c3f52-0b8e-4f4e-9f6e-5d1c1b0c0001
name: failed_logon
logsource: {product: windows, service: security}
detection:
    sel: {EventID: 4625}
    condition: sel
level: low
---
title: Brute force against one account
id: 0a6c3f52-0b8e-4f4e-9f6e-5d1c1b0c0002
correlation:
    type: event_count
    rules: [failed_logon]
    group-by: [TargetUserName]
    timespan: 5m
    condition: {gte: 3}
    generate: false
level: high
"#;

    fn detector() -> Detector {
        let report = load_str(RULES, "rules.yml", &LoadOptions::default());
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        let (engine, errors) = Engine::build(report, &Mapping::default());
        assert!(errors.is_empty(), "{errors:?}");
        Detector {
            sigma: Some(engine),
            ..Detector::default()
        }
    }

    fn failed(id: i64, unit: i64, user: &str, second: i64) -> LiveEvent {
        LiveEvent {
            id,
            event: NewEvent {
                unit_id: UnitId(unit),
                source_id: 1,
                ext_id: None,
                received_at: 0,
                ts: 1_790_000_000_000 + second * 1000,
                host: format!("DC-{unit}"),
                format: "windows".into(),
                channel: "Security".into(),
                event_id: Some(4625),
                message: String::new(),
                fields: String::new(),
                original: String::new(),
            },
            fields: vec![("TargetUserName".into(), user.into())],
        }
    }

    #[test]
    fn correlation_windows_span_batches_and_never_mix_units() {
        let det = Arc::new(detector());
        let mut windows = Correlations::default();
        windows.use_with(&det);
        // Unit 1 fails twice, unit 2 once (the same account name), then unit 1 a third time in the next batch.
        let first = det.detect_batch(
            &[
                failed(1, 1, "bob", 0),
                failed(2, 1, "bob", 20),
                failed(3, 2, "bob", 30),
            ],
            &mut windows,
        );
        assert!(
            first.is_empty(),
            "generate: false keeps the failed logons quiet: {first:?}"
        );
        let second = det.detect_batch(&[failed(4, 1, "bob", 40), failed(5, 2, "bob", 50)], &mut windows);
        assert_eq!(second.len(), 1, "{second:?}");
        let a = &second[0];
        assert_eq!(
            (a.unit_id, a.title.as_str(), a.severity, a.event_key.as_deref()),
            (
                UnitId(1),
                "Brute force against one account",
                Severity::High,
                Some("4:0a6c3f52-0b8e-4f4e-9f6e-5d1c1b0c0002")
            )
        );
        assert_eq!(a.details["count"], 3);
        assert_eq!(a.host, "DC-1");
        // A reloaded detector starts its windows empty: two more failures are not enough.
        let reloaded = Arc::new(detector());
        windows.use_with(&reloaded);
        let after = reloaded.detect_batch(&[failed(6, 2, "bob", 60), failed(7, 2, "bob", 70)], &mut windows);
        assert!(after.is_empty(), "{after:?}");
    }
}
