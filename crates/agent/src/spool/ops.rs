//! Pushing, reading back and acknowledging.

use super::segment::{frame, read_at, scan, segment_path, At, HEADER};
use super::{Cursor, Record, Segment, Spool};
use crate::error::{Error, Result};
use crate::fsutil::sync_dir;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use tracing::warn;

impl Spool {
    /// Appends a batch (flushed to disk when [`super::SpoolConfig::sync`]). An empty batch stores nothing. When the
    /// spool would go past its limit the oldest segments are dropped first (see the module documentation).
    pub fn push(&mut self, batch: &[u8]) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let too_large = || Error::TooLarge {
            size: batch.len() as u64,
            limit: self.config.max_total_bytes.min(u64::from(u32::MAX)),
        };
        let record = frame(batch).ok_or_else(too_large)?;
        let size = record.len() as u64;
        if size > self.config.max_total_bytes {
            return Err(too_large());
        }
        let needs_new = self
            .segments
            .back()
            .is_none_or(|s| s.len > 0 && s.len + size > self.config.segment_bytes);
        if needs_new {
            self.roll()?;
        }
        // The last segment has room for the record (it was just begun, or `segment_bytes` allows it), and
        // `segment_bytes <= max_total_bytes`, so dropping older segments always makes room.
        while self.total_bytes() + size > self.config.max_total_bytes && self.segments.len() > 1 {
            self.drop_oldest()?;
        }
        let Some((seq, len)) = self.segments.back().map(|s| (s.seq, s.len)) else {
            let e = std::io::Error::other("no segment to append to");
            return Err(Error::io("appending to", &self.dir, e));
        };
        let path = segment_path(&self.dir, seq);
        let f = match &mut self.active {
            Some(f) => f,
            None => {
                let f = OpenOptions::new()
                    .append(true)
                    .open(&path)
                    .map_err(|e| Error::io("opening", &path, e))?;
                self.active.insert(f)
            }
        };
        let written = f
            .write_all(&record)
            .and_then(|()| if self.config.sync { f.sync_data() } else { Ok(()) });
        if let Err(e) = written {
            // Leave no half record behind the good ones.
            let _ = f.set_len(len);
            self.active = None;
            return Err(Error::io("writing", &path, e));
        }
        if let Some(s) = self.segments.back_mut() {
            s.len += size;
        }
        self.stats.pushed += 1;
        Ok(())
    }

    /// Begins a new, empty segment.
    fn roll(&mut self) -> Result<()> {
        let seq = self.segments.back().map_or(self.ack.segment, |s| s.seq + 1);
        let path = segment_path(&self.dir, seq);
        File::create(&path).map_err(|e| Error::io("creating", &path, e))?;
        sync_dir(&self.dir)?;
        if self.segments.is_empty() {
            self.ack = Cursor {
                segment: seq,
                offset: 0,
            };
        }
        self.segments.push_back(Segment { seq, len: 0 });
        self.active = None;
        Ok(())
    }

    /// Deletes the oldest segment, counting what in it was not acknowledged.
    fn drop_oldest(&mut self) -> Result<()> {
        let Some(old) = self.segments.pop_front() else {
            return Ok(());
        };
        let path = segment_path(&self.dir, old.seq);
        let from = match self.ack.segment.cmp(&old.seq) {
            std::cmp::Ordering::Equal => self.ack.offset,
            std::cmp::Ordering::Greater => old.len,
            std::cmp::Ordering::Less => 0,
        };
        let (records, _) = File::open(&path)
            .and_then(|mut f| scan(&mut f, from, old.len))
            .map_err(|e| Error::io("reading", &path, e))?;
        fs::remove_file(&path).map_err(|e| Error::io("removing", &path, e))?;
        sync_dir(&self.dir)?;
        warn!(segment = %path.display(), records, "spool full: oldest segment dropped");
        self.stats.dropped_segments += 1;
        self.stats.dropped_records += records;
        self.stats.dropped_bytes += old.len - from;
        if self.ack.segment <= old.seq {
            if let Some(next) = self.segments.front() {
                self.ack = Cursor {
                    segment: next.seq,
                    offset: 0,
                };
            }
            self.head_len = None;
        }
        self.save_meta()
    }

    /// The oldest batch not acknowledged, or `None` when everything was.
    pub fn peek(&mut self) -> Result<Option<Record>> {
        loop {
            let Some(pos) = self.segments.iter().position(|s| s.seq == self.ack.segment) else {
                return Ok(None);
            };
            let (seq, len) = (self.segments[pos].seq, self.segments[pos].len);
            let last = pos + 1 == self.segments.len();
            let path = segment_path(&self.dir, seq);
            let at = File::open(&path)
                .and_then(|mut f| read_at(&mut f, self.ack.offset, len))
                .map_err(|e| Error::io("reading", &path, e))?;
            match at {
                At::Record(bytes) => {
                    self.head_len = Some(HEADER + bytes.len() as u64);
                    return Ok(Some(Record {
                        segment: seq,
                        offset: self.ack.offset,
                        bytes,
                    }));
                }
                At::End if last => return Ok(None),
                At::End => self.finish_segment(pos)?,
                At::Damaged => {
                    warn!(segment = %path.display(), offset = self.ack.offset, "damaged record: rest of segment skipped");
                    self.stats.damaged_records += 1;
                    self.stats.damaged_bytes += len - self.ack.offset;
                    if last {
                        // Cut it back so the next push continues after the good records.
                        let f = OpenOptions::new().write(true).open(&path);
                        f.and_then(|f| f.set_len(self.ack.offset))
                            .map_err(|e| Error::io("truncating", &path, e))?;
                        self.segments[pos].len = self.ack.offset;
                        self.active = None;
                        self.save_meta()?;
                        return Ok(None);
                    }
                    self.finish_segment(pos)?;
                }
            }
        }
    }

    /// Removes a fully read segment that is not the last and moves to the next one.
    fn finish_segment(&mut self, pos: usize) -> Result<()> {
        if let Some(done) = self.segments.remove(pos) {
            let path = segment_path(&self.dir, done.seq);
            fs::remove_file(&path).map_err(|e| Error::io("removing", &path, e))?;
        }
        if let Some(next) = self.segments.get(pos) {
            self.ack = Cursor {
                segment: next.seq,
                offset: 0,
            };
        }
        self.head_len = None;
        self.save_meta()
    }

    /// Acknowledges the batch the last [`Spool::peek`] returned: it will not be returned again, even after a
    /// restart. [`Error::NothingToAck`] when nothing was peeked, or when the peeked batch was dropped meanwhile
    /// because the spool was full (a `push` between `peek` and `ack`), so a batch that was never sent cannot be
    /// acknowledged in its place.
    pub fn ack(&mut self) -> Result<()> {
        let Some(size) = self.head_len.take() else {
            return Err(Error::NothingToAck);
        };
        self.ack.offset += size;
        self.stats.acked += 1;
        let pos = self.segments.iter().position(|s| s.seq == self.ack.segment);
        if let Some(pos) = pos {
            let s = &self.segments[pos];
            if self.ack.offset >= s.len && pos + 1 < self.segments.len() {
                return self.finish_segment(pos);
            }
        }
        self.save_meta()
    }
}
