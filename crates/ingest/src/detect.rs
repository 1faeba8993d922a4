//! Detection on stored events: the Sigma engine (rules dispatched by channel and event id) and the indicator
//! engine (listed addresses, domains, URLs and hashes in the fields that carry them). Pure: events in, alerts to
//! raise out.

use std::sync::Arc;

use canhgac_ioc::{IndicatorSet, Warnings};
use canhgac_model::{NewAlert, Severity};
use canhgac_sigma::{Engine, Event, FieldValue, Level};
use canhgac_store::{NewEvent, StoredEvent};
use chrono::{DateTime, Utc};
use serde_json::json;

/// What the pipeline detects with; swapped whole when rules or lists change (no restart).
pub struct Detector {
    pub sigma: Option<Engine>,
    pub indicators: IndicatorSet,
    pub warnings: Warnings,
}

impl Default for Detector {
    fn default() -> Self {
        Detector {
            sigma: None,
            indicators: IndicatorSet::from_lists([]),
            warnings: Warnings::default(),
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

/// A live event as the Sigma engine reads it, without copying its fields.
struct View<'a> {
    channel: &'a str,
    event_id: Option<u32>,
    timestamp: Option<DateTime<Utc>>,
    fields: &'a [(String, String)],
}

impl Event for View<'_> {
    fn field(&self, name: &str) -> Option<FieldValue<'_>> {
        if let Some((_, v)) = self.fields.iter().find(|(k, _)| k == name) {
            return Some(FieldValue::Str(v));
        }
        match name {
            "Channel" => Some(FieldValue::Str(self.channel)),
            "EventID" => self.event_id.map(|n| FieldValue::UInt(n.into())),
            _ => None,
        }
    }

    fn for_each_field(&self, f: &mut dyn FnMut(&str, FieldValue<'_>)) {
        f("Channel", FieldValue::Str(self.channel));
        if let Some(id) = self.event_id {
            f("EventID", FieldValue::UInt(id.into()));
        }
        for (k, v) in self.fields {
            f(k, FieldValue::Str(v));
        }
    }

    fn channel(&self) -> Option<&str> {
        Some(self.channel)
    }

    fn event_id(&self) -> Option<u32> {
        self.event_id
    }

    fn timestamp(&self) -> Option<DateTime<Utc>> {
        self.timestamp
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
    /// Sigma rules in use.
    pub fn rule_count(&self) -> usize {
        self.sigma.as_ref().map_or(0, Engine::len)
    }

    /// The alerts a batch of events raises (not yet grouped: the store groups repeats), with one Sigma scanner for
    /// the whole batch.
    pub fn detect_batch(&self, events: &[LiveEvent]) -> Vec<NewAlert> {
        let mut out = Vec::new();
        let mut scanner = self.sigma.as_ref().map(Engine::scanner);
        for ev in events {
            let e = &ev.event;
            if let (Some(engine), Some(scanner), false) =
                (&self.sigma, scanner.as_mut(), e.channel.is_empty())
            {
                let view = View {
                    channel: &e.channel,
                    event_id: e.event_id.and_then(|n| u32::try_from(n).ok()),
                    timestamp: DateTime::from_timestamp_millis(e.ts),
                    fields: &ev.fields,
                };
                for &rule in scanner.scan(&view) {
                    let meta = engine.rule(rule);
                    let rule_id = meta.id.clone().unwrap_or_else(|| meta.title.clone());
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
