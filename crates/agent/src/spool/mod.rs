//! A disk spool of NDJSON batches waiting for the server.
//!
//! Batches are appended as records (`[length][crc32][payload]`) to segment files `NNNN….seg` in one folder; a
//! segment is closed when the next record would take it past [`SpoolConfig::segment_bytes`]. [`Spool::peek`]
//! returns the oldest batch not yet acknowledged — the same one again until [`Spool::ack`], which acknowledges
//! exactly that batch — and a segment whose records are all acknowledged is deleted. The acknowledged position and the counters live in `spool.meta`,
//! replaced atomically at every acknowledgement: after a crash a batch is sent again at worst, never lost.
//!
//! **When full** — the segments would exceed [`SpoolConfig::max_total_bytes`] — the **oldest segment is dropped**
//! whole (acknowledged or not), its unacknowledged batches counted in [`SpoolStats::dropped_records`] and logged:
//! the newest events are kept, as they say most about the host's state now.
//!
//! **Damage** — a record cut short by a crash, a zero length, or a checksum that does not match — ends what can be
//! trusted in that segment: at opening the last segment is cut back to its last good record, and a damaged record
//! met later skips to the next segment; both are counted in [`SpoolStats::damaged_records`], never a panic.

mod segment;

use crate::error::{Error, Result};
use crate::fsutil::{atomic_write, read_text};
use segment::{parse_segment_name, scan, segment_path};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::path::PathBuf;
use tracing::warn;

const META: &str = "spool.meta";
const META_VERSION: u32 = 1;

/// Settings of a [`Spool`].
#[derive(Debug, Clone)]
pub struct SpoolConfig {
    /// Most bytes all segments may take. Default 256 MiB.
    pub max_total_bytes: u64,
    /// Size at which a segment is closed and a new one begun. Default 8 MiB.
    pub segment_bytes: u64,
    /// Flush every pushed batch to disk (`fdatasync`). Default on; off only for tests and benchmarks.
    pub sync: bool,
}

impl Default for SpoolConfig {
    fn default() -> Self {
        Self {
            max_total_bytes: 256 * 1024 * 1024,
            segment_bytes: 8 * 1024 * 1024,
            sync: true,
        }
    }
}

/// Counters, kept across restarts in `spool.meta` except `pushed`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpoolStats {
    /// Batches pushed since the spool was opened (not saved: saving at every push would double the writes).
    #[serde(skip)]
    pub pushed: u64,
    /// Batches acknowledged.
    pub acked: u64,
    /// Segments dropped because the spool was full.
    pub dropped_segments: u64,
    /// Unacknowledged batches lost with them.
    pub dropped_records: u64,
    /// Their bytes.
    pub dropped_bytes: u64,
    /// Records found cut short or with a wrong checksum, and skipped.
    pub damaged_records: u64,
    /// Bytes skipped with them.
    pub damaged_bytes: u64,
}

/// A batch read back from the spool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Segment it is in.
    pub segment: u64,
    /// Its offset there.
    pub offset: u64,
    /// The batch as pushed.
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Cursor {
    segment: u64,
    offset: u64,
}

#[derive(Serialize, Deserialize)]
struct Meta {
    version: u32,
    ack: Cursor,
    stats: SpoolStats,
}

struct Segment {
    seq: u64,
    len: u64,
}

/// The spool; see the [module documentation](self).
pub struct Spool {
    dir: PathBuf,
    config: SpoolConfig,
    segments: VecDeque<Segment>,
    /// Append handle of the last segment, opened at the first push.
    active: Option<File>,
    ack: Cursor,
    /// Length of the record at `ack`, once peeked.
    head_len: Option<u64>,
    stats: SpoolStats,
}

impl Spool {
    /// Opens (creating) the spool in `dir`, checking the last segment for a record cut short by a crash.
    pub fn open(dir: impl Into<PathBuf>, config: SpoolConfig) -> Result<Self> {
        if config.segment_bytes == 0 || config.max_total_bytes < config.segment_bytes {
            return Err(Error::Config {
                name: "spool",
                message: "segment_bytes must be above zero and at most max_total_bytes".into(),
            });
        }
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(|e| Error::io("creating", &dir, e))?;
        let mut seqs = Vec::new();
        for entry in fs::read_dir(&dir).map_err(|e| Error::io("reading", &dir, e))? {
            let entry = entry.map_err(|e| Error::io("reading", &dir, e))?;
            if let Some(seq) = entry.file_name().to_str().and_then(parse_segment_name) {
                let len = entry
                    .metadata()
                    .map_err(|e| Error::io("reading", entry.path(), e))?
                    .len();
                seqs.push(Segment { seq, len });
            }
        }
        seqs.sort_by_key(|s| s.seq);
        let meta_path = dir.join(META);
        let meta = match read_text(&meta_path, 1024 * 1024)? {
            Some(text) => {
                let m: Meta = serde_json::from_str(&text).map_err(|e| Error::Corrupt {
                    path: meta_path.clone(),
                    line: e.line(),
                    message: e.to_string(),
                })?;
                if m.version != META_VERSION {
                    return Err(Error::Corrupt {
                        path: meta_path,
                        line: 1,
                        message: format!("spool version {} is not {META_VERSION}", m.version),
                    });
                }
                m
            }
            None => Meta {
                version: META_VERSION,
                ack: Cursor {
                    segment: 0,
                    offset: 0,
                },
                stats: SpoolStats::default(),
            },
        };
        let mut spool = Self {
            dir,
            config,
            segments: seqs.into(),
            active: None,
            ack: meta.ack,
            head_len: None,
            stats: meta.stats,
        };
        spool.repair_tail()?;
        spool.settle_ack();
        spool.save_meta()?;
        Ok(spool)
    }

    /// Cuts the last segment back to its last whole record.
    fn repair_tail(&mut self) -> Result<()> {
        let Some(last) = self.segments.back_mut() else {
            return Ok(());
        };
        let path = segment_path(&self.dir, last.seq);
        let mut f = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io("opening", &path, e))?;
        let (_, good) = scan(&mut f, 0, last.len).map_err(|e| Error::io("reading", &path, e))?;
        if good < last.len {
            warn!(segment = %path.display(), offset = good, bytes = last.len - good, "damaged last record skipped");
            self.stats.damaged_records += 1;
            self.stats.damaged_bytes += last.len - good;
            f.set_len(good).map_err(|e| Error::io("truncating", &path, e))?;
            f.sync_all().map_err(|e| Error::io("syncing", &path, e))?;
            last.len = good;
        }
        Ok(())
    }

    /// Moves the acknowledged position onto an existing segment.
    fn settle_ack(&mut self) {
        let Some(first) = self.segments.front() else {
            return;
        };
        if !self.segments.iter().any(|s| s.seq == self.ack.segment) {
            let next = self
                .segments
                .iter()
                .find(|s| s.seq > self.ack.segment)
                .unwrap_or(first);
            self.ack = Cursor {
                segment: next.seq,
                offset: 0,
            };
        }
        if let Some(s) = self.segments.iter().find(|s| s.seq == self.ack.segment) {
            self.ack.offset = self.ack.offset.min(s.len);
        }
    }

    fn save_meta(&self) -> Result<()> {
        let meta = Meta {
            version: META_VERSION,
            ack: self.ack,
            stats: self.stats.clone(),
        };
        let bytes = serde_json::to_vec(&meta).map_err(|e| Error::Corrupt {
            path: self.dir.join(META),
            line: 0,
            message: e.to_string(),
        })?;
        atomic_write(&self.dir.join(META), &bytes)
    }

    /// Counters, kept across restarts.
    pub fn stats(&self) -> &SpoolStats {
        &self.stats
    }

    /// Bytes the segments take on disk.
    pub fn total_bytes(&self) -> u64 {
        self.segments.iter().map(|s| s.len).sum()
    }

    /// Serialises `events` as NDJSON (one JSON object a line) and pushes them as one batch.
    pub fn push_events<T: Serialize>(&mut self, events: &[T]) -> Result<()> {
        let mut bytes = Vec::new();
        for e in events {
            serde_json::to_writer(&mut bytes, e).map_err(|err| Error::Corrupt {
                path: self.dir.clone(),
                line: 0,
                message: format!("serialising an event: {err}"),
            })?;
            bytes.push(b'\n');
        }
        self.push(&bytes)
    }
}

mod ops;
