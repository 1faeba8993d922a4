//! The collector: attributes received lines to a unit's source, normalises them, writes them durably in batches,
//! and pushes back when detection falls behind.

use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use canhgac_ioc::IpRange;
use canhgac_logs::Received;
use canhgac_store::{now_ms, parse_source_range, EventSource, NewEvent, Store, StoreError};
use serde::Serialize;
use tokio::sync::{mpsc, Notify};

use crate::hot::HotQueue;
use crate::metrics::Metrics;
use crate::normalize::normalize;

/// What can go wrong when collecting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CollectError {
    /// Detection is behind by more than the configured bound: try again later.
    #[error("the pipeline is {lag} events behind (limit {limit}); retry later")]
    Busy { lag: i64, limit: i64 },
    /// The store failed; nothing of the batch was acknowledged.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A line that was not stored, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Rejected {
    /// 1-based line number in the request body.
    pub line: usize,
    pub reason: String,
}

/// The answer to one batch.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Accepted {
    pub stored: u64,
    pub duplicates: u64,
    pub rejected: Vec<Rejected>,
}

/// Collector settings.
#[derive(Debug, Clone)]
pub struct CollectorConfig {
    /// Most events stored and not yet through detection before senders are pushed back.
    pub max_lag: i64,
    /// Queue between syslog listeners and the batch writer (lines).
    pub syslog_queue: usize,
    /// Most lines per batch write.
    pub batch: usize,
}

impl Default for CollectorConfig {
    fn default() -> Self {
        CollectorConfig {
            max_lag: 200_000,
            syslog_queue: 20_000,
            batch: 2_000,
        }
    }
}

/// A syslog line as received.
#[derive(Debug)]
pub struct SyslogLine {
    pub peer: IpAddr,
    pub line: String,
    pub received_at: i64,
}

/// Shared by the HTTP endpoint, the syslog listeners and the pipeline.
#[derive(Debug)]
pub struct Collector {
    pub store: Store,
    pub metrics: Arc<Metrics>,
    /// Woken when events were stored.
    pub stored: Arc<Notify>,
    pub config: CollectorConfig,
    syslog_sources: RwLock<Vec<(IpRange, EventSource)>>,
    /// Highest event id written, and the pipeline's position: their difference is the backlog.
    pub(crate) last_id: std::sync::atomic::AtomicI64,
    pub(crate) position: std::sync::atomic::AtomicI64,
    /// Stored batches handed to the pipeline in memory.
    pub(crate) hot: HotQueue,
}

/// Parses one NDJSON body line: a bare event, or `{"ext_id": "...", "event": <object or text>}` from a sender
/// that numbers its events (re-sent ones are then stored once).
fn unwrap_envelope(line: &str) -> (Option<String>, std::borrow::Cow<'_, str>) {
    if line.starts_with("{\"ext_id\"") {
        if let Ok(serde_json::Value::Object(mut o)) = serde_json::from_str::<serde_json::Value>(line) {
            if o.len() == 2 {
                if let (Some(serde_json::Value::String(id)), Some(ev)) =
                    (o.remove("ext_id"), o.remove("event"))
                {
                    let text = match ev {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    };
                    return (Some(id), text.into());
                }
            }
        }
    }
    (None, line.into())
}

impl Collector {
    /// A collector over `store`, resuming from the stored backlog.
    pub async fn new(store: Store, config: CollectorConfig) -> Result<Arc<Collector>, StoreError> {
        let last = store.last_event_id().await?;
        let position = store.pipeline_position(canhgac_store::PIPELINE).await?;
        let c = Arc::new(Collector {
            store,
            metrics: Arc::new(Metrics::default()),
            stored: Arc::new(Notify::new()),
            config,
            syslog_sources: RwLock::new(Vec::new()),
            last_id: last.into(),
            position: position.into(),
            hot: HotQueue::default(),
        });
        c.metrics.queue_depth.store(last - position, Ordering::Relaxed);
        c.reload_sources().await?;
        Ok(c)
    }

    /// Re-reads the syslog sources' address ranges (after a source is added or turned off).
    pub async fn reload_sources(&self) -> Result<(), StoreError> {
        let sources = self.store.syslog_sources().await?;
        let table = sources
            .into_iter()
            .filter_map(|s| parse_source_range(&s.cidr).map(|r| (r, s)))
            .collect();
        *self
            .syslog_sources
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = table;
        Ok(())
    }

    /// The syslog source whose range holds `peer` (the narrowest when several do).
    pub fn syslog_source_for(&self, peer: IpAddr) -> Option<EventSource> {
        let table = self
            .syslog_sources
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        table
            .iter()
            .filter(|(r, _)| r.contains(peer))
            .min_by_key(|(r, _)| r.len())
            .map(|(_, s)| s.clone())
    }

    /// Events stored and not yet through detection.
    pub fn lag(&self) -> i64 {
        self.last_id.load(Ordering::Relaxed) - self.position.load(Ordering::Relaxed)
    }

    fn check_lag(&self) -> Result<(), CollectError> {
        let lag = self.lag();
        if lag > self.config.max_lag {
            return Err(CollectError::Busy {
                lag,
                limit: self.config.max_lag,
            });
        }
        Ok(())
    }

    /// Stores a batch durably; on success the batch is handed on (`events` and `fields` are emptied).
    async fn write(
        &self,
        events: &mut Vec<NewEvent>,
        fields: &mut Vec<Vec<(String, String)>>,
    ) -> Result<canhgac_store::Stored, StoreError> {
        let stored = self.store.insert_events(events).await?;
        let events = std::mem::take(events);
        let fields = std::mem::take(fields);
        if stored.stored > 0 {
            // Ids only grow; the batch's own last id (read in its transaction) keeps duplicates' gaps out.
            self.last_id.fetch_max(stored.last_id, Ordering::Relaxed);
            // A batch with re-sent events has holes: detection reads that one from the table.
            if stored.stored == events.len() as u64 {
                self.hot.keep(stored.last_id, events, fields);
            }
            self.metrics.queue_depth.store(self.lag(), Ordering::Relaxed);
            self.stored.notify_one();
        }
        Ok(stored)
    }

    /// Stores the NDJSON `body` sent by the HTTP source `source`. Returns only once the stored events are durable.
    pub async fn submit_http(&self, source: &EventSource, body: &str) -> Result<Accepted, CollectError> {
        self.check_lag()?;
        let label = format!("http:{}", source.id);
        let now = now_ms();
        let received = Received::now();
        let mut events = Vec::new();
        let mut fields = Vec::new();
        let mut out = Accepted::default();
        let mut received_n = 0;
        // A whole Zeek TSV log (header lines, then rows) is read with its header's state.
        let mut zeek = canhgac_logs::collect::zeek::ZeekTsv::looks_like(body)
            .then(canhgac_logs::collect::zeek::ZeekTsv::new);
        for (i, line) in body.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            if let Some(reader) = zeek.as_mut() {
                let Some(row) = reader.line(line) else { continue };
                received_n += 1;
                match row {
                    Ok(e) => {
                        let (event, pairs) = crate::normalize::from_zeek(e).into_new_event(
                            source.unit_id,
                            source.id,
                            None,
                            now,
                        );
                        events.push(event);
                        fields.push(pairs);
                    }
                    Err(e) => out.rejected.push(Rejected {
                        line: i + 1,
                        reason: e.to_string(),
                    }),
                }
                continue;
            }
            received_n += 1;
            let (ext_id, text) = unwrap_envelope(line);
            match normalize(&text, received) {
                Ok(n) => {
                    let (event, pairs) = n.into_new_event(source.unit_id, source.id, ext_id, now);
                    events.push(event);
                    fields.push(pairs);
                }
                Err(e) => out.rejected.push(Rejected {
                    line: i + 1,
                    reason: e.to_string(),
                }),
            }
        }
        let stored = self.write(&mut events, &mut fields).await?;
        self.metrics.add(&label, |c| {
            c.received += received_n;
            c.stored += stored.stored;
            c.duplicates += stored.duplicates;
            c.parse_errors += out.rejected.len() as u64;
        });
        out.stored = stored.stored;
        out.duplicates = stored.duplicates;
        Ok(out)
    }

    /// Writes syslog lines from the queue in batches until every sender is gone. While detection is behind by more
    /// than the bound, it waits before writing, so the queue fills and TCP reads pause (UDP datagrams beyond the
    /// queue are dropped and counted).
    pub async fn run_syslog_writer(self: Arc<Self>, mut rx: mpsc::Receiver<SyslogLine>) {
        let mut buf = Vec::with_capacity(self.config.batch);
        while rx.recv_many(&mut buf, self.config.batch).await > 0 {
            while self.check_lag().is_err() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let mut events = Vec::with_capacity(buf.len());
            let mut fields = Vec::with_capacity(buf.len());
            let mut labels: Vec<(String, bool)> = Vec::with_capacity(buf.len());
            for item in buf.drain(..) {
                let Some(source) = self.syslog_source_for(item.peer) else {
                    self.metrics.add("syslog:unknown", |c| {
                        c.received += 1;
                        c.dropped += 1;
                    });
                    tracing::debug!(peer = %item.peer, "syslog from an address no source covers; dropped");
                    continue;
                };
                let label = format!("syslog:{}", source.id);
                let received = Received::at(
                    chrono::DateTime::from_timestamp_millis(item.received_at)
                        .unwrap_or_else(chrono::Utc::now),
                );
                match normalize(&item.line, received) {
                    Ok(n) => {
                        let (event, pairs) =
                            n.into_new_event(source.unit_id, source.id, None, item.received_at);
                        events.push(event);
                        fields.push(pairs);
                        labels.push((label, true));
                    }
                    Err(e) => {
                        tracing::debug!(source = %label, error = %e, "unparsable syslog line");
                        labels.push((label, false));
                    }
                }
            }
            loop {
                match self.write(&mut events, &mut fields).await {
                    Ok(_) => break,
                    Err(e) => {
                        // Keep the batch and retry: a full disk or a locked database is not a reason to lose it.
                        tracing::error!(error = %e, "writing syslog events failed; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
            // One lock per source and batch, not per line.
            let mut per_source: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
            for (label, ok) in labels {
                let counts = per_source.entry(label).or_default();
                if ok {
                    counts.0 += 1;
                } else {
                    counts.1 += 1;
                }
            }
            for (label, (stored, errors)) in per_source {
                self.metrics.add(&label, |c| {
                    c.received += stored + errors;
                    c.stored += stored;
                    c.parse_errors += errors;
                });
            }
        }
    }
}
