//! The detection pipeline: reads stored events in id order from its saved position, runs the detector on them,
//! and records the alerts and its new position in one transaction. After a crash it starts again from the saved
//! position; an event whose detections were already recorded cannot be counted twice (each detection carries the
//! event's id as its key).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use canhgac_model::Millis;
use canhgac_store::{now_ms, StoreError, StoredEvent, PIPELINE};

use crate::collector::Collector;
use crate::detect::{LiveEvent, SharedDetector};

/// Pipeline settings.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// Events read per batch.
    pub batch: i64,
    /// Repeats of one rule on one host within this window group into one alert.
    pub group_window_ms: Millis,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            batch: 2_000,
            group_window_ms: 3_600_000,
        }
    }
}

/// Latency samples (receipt to recorded detection), kept for the operations page and the benchmark.
#[derive(Debug, Default)]
pub struct Latencies {
    samples: std::sync::Mutex<std::collections::VecDeque<u32>>,
}

impl Latencies {
    const KEEP: usize = 100_000;

    fn record(&self, received: impl Iterator<Item = Millis>, now: Millis) {
        let mut s = self
            .samples
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for r in received {
            if s.len() >= Self::KEEP {
                s.pop_front();
            }
            s.push_back(u32::try_from((now - r).max(0)).unwrap_or(u32::MAX));
        }
    }

    /// The `q` quantile (0..=1) of the kept samples, in milliseconds.
    pub fn quantile(&self, q: f64) -> Option<u32> {
        let mut s: Vec<u32> = self
            .samples
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .copied()
            .collect();
        if s.is_empty() {
            return None;
        }
        s.sort_unstable();
        let i = ((s.len() - 1) as f64 * q.clamp(0.0, 1.0)).round() as usize;
        s.get(i).copied()
    }
}

/// The events of one step, from memory or from the table.
enum Batch {
    Memory(Vec<LiveEvent>),
    Table(Vec<StoredEvent>),
}

impl Batch {
    fn last_id(&self) -> Option<i64> {
        match self {
            Batch::Memory(v) => v.last().map(|e| e.id),
            Batch::Table(v) => v.last().map(|e| e.id),
        }
    }
}

/// One pass: processes at most one batch. Returns how many events it handled.
pub async fn step(
    collector: &Collector,
    detector: &SharedDetector,
    config: &PipelineConfig,
    latencies: &Latencies,
) -> Result<usize, StoreError> {
    let position = collector.position.load(Ordering::Relaxed);
    // The collector's batches in memory when they follow on; the table otherwise (after a restart, a full queue).
    let batch = match collector.hot.take(position, config.batch.max(1) as usize) {
        Some(events) => Batch::Memory(events),
        None => Batch::Table(collector.store.events_after(position, config.batch).await?),
    };
    let Some(last) = batch.last_id() else {
        return Ok(0);
    };
    let det = detector
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    let (alerts, events) = tokio::task::spawn_blocking(move || {
        let events: Vec<LiveEvent> = match batch {
            Batch::Memory(events) => events,
            Batch::Table(rows) => rows.into_iter().map(LiveEvent::from).collect(),
        };
        (det.detect_batch(&events), events)
    })
    .await
    .map_err(|e| StoreError::Config(format!("detection task failed: {e}")))?;
    let raised = collector
        .store
        .record_detections(&alerts, config.group_window_ms, PIPELINE, last)
        .await?;
    let now = now_ms();
    latencies.record(events.iter().map(|e| e.event.received_at), now);
    let m = &collector.metrics;
    m.processed.fetch_add(events.len() as u64, Ordering::Relaxed);
    m.alerts.fetch_add(
        raised
            .iter()
            .filter(|r| {
                matches!(
                    r,
                    canhgac_store::Raised::Created(_) | canhgac_store::Raised::Grouped(_)
                )
            })
            .count() as u64,
        Ordering::Relaxed,
    );
    if let Some(first) = events.first() {
        m.last_latency_ms
            .store(now - first.event.received_at, Ordering::Relaxed);
    }
    collector.position.store(last, Ordering::Relaxed);
    m.queue_depth.store(collector.lag(), Ordering::Relaxed);
    Ok(events.len())
}

/// Runs the pipeline for ever: a batch whenever events were stored, or every second.
pub async fn run(
    collector: Arc<Collector>,
    detector: SharedDetector,
    config: PipelineConfig,
    latencies: Arc<Latencies>,
) {
    loop {
        match step(&collector, &detector, &config, &latencies).await {
            Ok(0) => {
                let _ = tokio::time::timeout(Duration::from_secs(1), collector.stored.notified()).await;
            }
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error = %e, "detection pipeline step failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}
