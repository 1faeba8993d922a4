//! Batches handed from the collector to the pipeline in memory, so that detection does not read back and re-parse
//! what was just written. The events table stays the record: a batch is kept here only after it is durable, the
//! queue is bounded, and whenever the next events detection needs are not here (after a restart, when the queue
//! was full, when a batch held re-sent events) the pipeline reads them from the table instead.

use std::collections::BTreeMap;
use std::sync::Mutex;

use canhgac_store::NewEvent;

use crate::detect::LiveEvent;

/// Most events kept in memory (≈ 5 KB each with their fields: tens of megabytes).
pub const HOT_MAX: usize = 20_000;

/// Stored batches not yet through detection, by the id of their first event.
#[derive(Debug, Default)]
pub struct HotQueue {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    batches: BTreeMap<i64, Vec<LiveEvent>>,
    events: usize,
}

impl HotQueue {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Events held now.
    pub fn len(&self) -> usize {
        self.lock().events
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keeps a batch that was stored whole, its last event under `last_id`. The ids of one batch are consecutive:
    /// the store writes a batch in one transaction under its single write lock. A batch that does not fit is not
    /// kept (the pipeline will read it from the table).
    pub fn keep(&self, last_id: i64, events: Vec<NewEvent>, fields: Vec<Vec<(String, String)>>) {
        let n = events.len();
        if n == 0 || n != fields.len() {
            return;
        }
        let mut inner = self.lock();
        if inner.events + n > HOT_MAX {
            return;
        }
        let first = last_id - n as i64 + 1;
        let batch: Vec<LiveEvent> = events
            .into_iter()
            .zip(fields)
            .zip(first..)
            .map(|((mut event, fields), id)| {
                // Detection reads the pairs; the stored text is not needed twice in memory.
                event.fields = String::new();
                event.original = String::new();
                LiveEvent { id, event, fields }
            })
            .collect();
        inner.events += n;
        inner.batches.insert(first, batch);
    }

    /// The events right after `position`, at most `max` (but at least one whole batch), if memory holds them;
    /// forgets what detection has already passed.
    pub fn take(&self, position: i64, max: usize) -> Option<Vec<LiveEvent>> {
        let mut inner = self.lock();
        while let Some(entry) = inner.batches.first_entry() {
            let last = entry.get().last().map_or(i64::MIN, |e| e.id);
            if last > position {
                break;
            }
            let n = entry.remove().len();
            inner.events -= n;
        }
        // A batch that starts at or before the position (the table was read part of the way into it): keep its rest.
        if let Some(entry) = inner.batches.first_entry() {
            if *entry.key() <= position {
                let batch = entry.remove();
                let before = batch.len();
                let rest: Vec<LiveEvent> = batch.into_iter().filter(|e| e.id > position).collect();
                inner.events -= before - rest.len();
                if let Some(first) = rest.first().map(|e| e.id) {
                    inner.batches.insert(first, rest);
                }
            }
        }
        let mut out: Vec<LiveEvent> = Vec::new();
        let mut next = position + 1;
        while let Some(entry) = inner.batches.first_entry() {
            if *entry.key() != next || (!out.is_empty() && out.len() + entry.get().len() > max) {
                break;
            }
            let batch = entry.remove();
            inner.events -= batch.len();
            next = batch.last().map_or(next, |e| e.id + 1);
            out.extend(batch);
        }
        (!out.is_empty()).then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use canhgac_model::UnitId;

    fn events(n: usize) -> (Vec<NewEvent>, Vec<Vec<(String, String)>>) {
        let e = NewEvent {
            unit_id: UnitId(1),
            source_id: 1,
            ext_id: None,
            received_at: 0,
            ts: 0,
            host: "h".into(),
            format: "windows".into(),
            channel: "Security".into(),
            event_id: Some(4688),
            message: String::new(),
            fields: "[]".into(),
            original: "{}".into(),
        };
        (vec![e; n], vec![vec![("a".into(), "b".into())]; n])
    }

    fn ids(v: &[LiveEvent]) -> Vec<i64> {
        v.iter().map(|e| e.id).collect()
    }

    #[test]
    fn hands_over_contiguous_batches_and_refuses_gaps() {
        let q = HotQueue::default();
        let (e, f) = events(3);
        q.keep(3, e, f); // ids 1..=3
        let (e, f) = events(2);
        q.keep(7, e, f); // ids 6..=7: 4 and 5 are not here
        assert_eq!(q.take(0, 100).map(|v| ids(&v)), Some(vec![1, 2, 3]));
        // 4 and 5 must come from the table.
        assert!(q.take(3, 100).is_none());
        // The table was read up to 6: the rest of the batch (7) is handed over.
        assert_eq!(q.take(6, 100).map(|v| ids(&v)), Some(vec![7]));
        assert!(q.is_empty());
    }

    #[test]
    fn bounded_and_forgets_what_detection_passed() {
        let q = HotQueue::default();
        let (e, f) = events(HOT_MAX);
        q.keep(HOT_MAX as i64, e, f);
        let (e, f) = events(1);
        q.keep(HOT_MAX as i64 + 1, e, f);
        assert_eq!(q.len(), HOT_MAX, "the batch beyond the bound is not kept");
        assert!(q.take(HOT_MAX as i64 + 5, 10).is_none());
        assert!(q.is_empty());
        // At most `max`, but never less than one whole batch.
        for i in 0..3 {
            let (e, f) = events(4);
            q.keep(4 * (i + 1), e, f);
        }
        assert_eq!(q.take(0, 6).map(|v| v.len()), Some(4));
        assert_eq!(q.take(4, 8).map(|v| v.len()), Some(8));
    }
}
