//! Counters of the collection and the pipeline, by source, in Prometheus' text format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;

use serde::Serialize;

/// One source's counters.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SourceCounters {
    /// Lines or events received.
    pub received: u64,
    /// Written to the event store.
    pub stored: u64,
    /// Refused or lost: unattributed senders, pushback on UDP, oversize.
    pub dropped: u64,
    /// Could not be parsed (kept nowhere but counted, and the first error logged).
    pub parse_errors: u64,
    /// Re-sent events already stored.
    pub duplicates: u64,
}

/// All counters. Sources are named `http:<id>`, `syslog:<id>` or `syslog:unknown`.
#[derive(Debug, Default)]
pub struct Metrics {
    sources: Mutex<BTreeMap<String, SourceCounters>>,
    /// Events stored and not yet through detection.
    pub queue_depth: AtomicI64,
    /// Events through detection since start.
    pub processed: AtomicU64,
    /// Alerts raised (new or grouped) since start.
    pub alerts: AtomicU64,
    /// Receipt-to-detection latency of the last batch, in milliseconds.
    pub last_latency_ms: AtomicI64,
}

impl Metrics {
    /// Adds to the counters of `source`.
    pub fn add(&self, source: &str, f: impl FnOnce(&mut SourceCounters)) {
        let mut map = self
            .sources
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(map.entry(source.to_string()).or_default());
    }

    /// A copy of every source's counters.
    pub fn snapshot(&self) -> BTreeMap<String, SourceCounters> {
        self.sources
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The sum over sources.
    pub fn totals(&self) -> SourceCounters {
        self.snapshot()
            .values()
            .fold(SourceCounters::default(), |mut t, c| {
                t.received += c.received;
                t.stored += c.stored;
                t.dropped += c.dropped;
                t.parse_errors += c.parse_errors;
                t.duplicates += c.duplicates;
                t
            })
    }

    /// The Prometheus exposition text.
    pub fn render(&self) -> String {
        let snap = self.snapshot();
        let mut out = String::new();
        let families: [Family; 5] = [
            (
                "canhgac_events_received_total",
                "Events received, by source.",
                |c| c.received,
            ),
            (
                "canhgac_events_stored_total",
                "Events written to the event store, by source.",
                |c| c.stored,
            ),
            (
                "canhgac_events_dropped_total",
                "Events refused or lost, by source.",
                |c| c.dropped,
            ),
            (
                "canhgac_parse_errors_total",
                "Lines that could not be parsed, by source.",
                |c| c.parse_errors,
            ),
            (
                "canhgac_events_duplicate_total",
                "Re-sent events already stored, by source.",
                |c| c.duplicates,
            ),
        ];
        for (name, help, get) in families {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for (source, c) in &snap {
                let _ = writeln!(out, "{name}{{source=\"{}\"}} {}", escape(source), get(c));
            }
        }
        let gauges = [
            (
                "canhgac_pipeline_queue_depth",
                "Events stored and not yet through detection.",
                self.queue_depth.load(Ordering::Relaxed),
            ),
            (
                "canhgac_pipeline_latency_ms",
                "Receipt-to-detection latency of the last batch.",
                self.last_latency_ms.load(Ordering::Relaxed),
            ),
        ];
        for (name, help, v) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        }
        let counters = [
            (
                "canhgac_pipeline_processed_total",
                "Events through detection.",
                self.processed.load(Ordering::Relaxed),
            ),
            (
                "canhgac_alerts_raised_total",
                "Detections recorded as alerts (new or grouped).",
                self.alerts.load(Ordering::Relaxed),
            ),
        ];
        for (name, help, v) in counters {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}");
        }
        out
    }
}

/// A counter family: name, help text, and which counter of a source it shows.
type Family = (&'static str, &'static str, fn(&SourceCounters) -> u64);

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_by_source() {
        let m = Metrics::default();
        m.add("http:1", |c| {
            c.received += 3;
            c.stored += 2;
            c.parse_errors += 1;
        });
        m.add("syslog:unknown", |c| c.dropped += 4);
        let text = m.render();
        assert!(text.contains("canhgac_events_received_total{source=\"http:1\"} 3"));
        assert!(text.contains("canhgac_events_stored_total{source=\"http:1\"} 2"));
        assert!(text.contains("canhgac_parse_errors_total{source=\"http:1\"} 1"));
        assert!(text.contains("canhgac_events_dropped_total{source=\"syslog:unknown\"} 4"));
        assert_eq!(m.totals().received, 3);
    }
}
