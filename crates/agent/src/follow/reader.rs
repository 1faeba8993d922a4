//! One open file being read line by line.

use super::checkpoint::{identity, FileCheckpoint};
use super::Line;
use crate::inventory::hex;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Bytes read from a file at a time.
const CHUNK: usize = 64 * 1024;

/// What names the lines of one configured path.
pub(super) struct LineCtx<'a> {
    pub source: &'a str,
    pub path: &'a str,
    pub max_line_bytes: usize,
}

/// How much a poll may still hand out.
pub(super) struct Budget {
    pub lines: usize,
    pub bytes: usize,
}

impl Budget {
    pub fn exhausted(&self) -> bool {
        self.lines == 0 || self.bytes == 0
    }

    fn take(&mut self, line: &Line) {
        self.lines = self.lines.saturating_sub(1);
        self.bytes = self.bytes.saturating_sub(line.text.len().max(1));
    }
}

pub(super) struct Reader {
    /// Where the file was found (the configured path, or the rotated name found after a restart).
    pub location: PathBuf,
    file: File,
    pub dev: u64,
    pub ino: u64,
    pub generation: u32,
    /// Offset up to which bytes have been read.
    read_pos: u64,
    /// Offset of the start of the line being assembled (just after the last newline).
    boundary: u64,
    /// The line being assembled, at most `max_line_bytes`.
    pending: Vec<u8>,
    /// Its true length so far.
    pending_len: u64,
    /// The first bytes of the file (at most `head_cap`).
    head: Vec<u8>,
    head_cap: usize,
    /// Consecutive polls that found nothing new (used to finish rotated files).
    pub idle_polls: u32,
}

/// Why a checkpoint could not be resumed in a file.
pub(super) enum Resume {
    Ready(Reader),
    /// The file is shorter than the checkpoint offset or its first bytes differ: truncated or replaced.
    Changed,
}

impl Reader {
    /// Opens `path` at offset 0.
    pub fn open(path: &Path, generation: u32, head_cap: usize) -> io::Result<Self> {
        let file = File::open(path)?;
        let (dev, ino) = identity(&file.metadata()?);
        Ok(Self {
            location: path.to_owned(),
            file,
            dev,
            ino,
            generation,
            read_pos: 0,
            boundary: 0,
            pending: Vec::new(),
            pending_len: 0,
            head: Vec::new(),
            head_cap,
            idle_polls: 0,
        })
    }

    /// Opens `path` just after its last newline, so only lines completed from now on are read. When the last
    /// 64 KiB hold no newline, reading starts at the end (that unfinished line's beginning is not read).
    pub fn open_at_end(path: &Path, generation: u32, head_cap: usize) -> io::Result<Self> {
        let mut r = Self::open(path, generation, head_cap)?;
        let size = r.file.metadata()?.len();
        let tail_start = size.saturating_sub(CHUNK as u64);
        r.file.seek(SeekFrom::Start(tail_start))?;
        let mut tail = Vec::with_capacity(CHUNK);
        (&mut r.file).take(CHUNK as u64).read_to_end_capped(&mut tail)?;
        let start = match tail.iter().rposition(|&b| b == b'\n') {
            Some(i) => tail_start + i as u64 + 1,
            None => tail_start + tail.len() as u64,
        };
        r.head = r.read_head(usize::try_from(start).unwrap_or(usize::MAX).min(head_cap))?;
        r.read_pos = start;
        r.boundary = start;
        Ok(r)
    }

    /// Opens `path` at a checkpoint, after checking it is the same content.
    pub fn resume(path: &Path, cp: &FileCheckpoint, head_cap: usize) -> io::Result<Resume> {
        let mut r = Self::open(path, cp.generation, head_cap)?;
        let size = r.file.metadata()?.len();
        if size < cp.offset || size < u64::from(cp.head_len) {
            return Ok(Resume::Changed);
        }
        let want = (cp.head_len as usize).max(usize::try_from(cp.offset).unwrap_or(usize::MAX).min(head_cap));
        let head = r.read_head(want)?;
        if head.len() < cp.head_len as usize
            || hex(&Sha256::digest(&head[..cp.head_len as usize])) != cp.head_sha256
        {
            return Ok(Resume::Changed);
        }
        r.head = head;
        r.read_pos = cp.offset;
        r.boundary = cp.offset;
        Ok(Resume::Ready(r))
    }

    fn read_head(&mut self, len: usize) -> io::Result<Vec<u8>> {
        let mut head = Vec::with_capacity(len);
        self.file.seek(SeekFrom::Start(0))?;
        (&mut self.file).take(len as u64).read_to_end_capped(&mut head)?;
        Ok(head)
    }

    /// Where this file stands, for a checkpoint: the offset after the last complete line.
    pub fn checkpoint(&self) -> FileCheckpoint {
        FileCheckpoint {
            dev: self.dev,
            ino: self.ino,
            generation: self.generation,
            offset: self.boundary,
            head_len: u32::try_from(self.head.len()).unwrap_or(u32::MAX),
            head_sha256: hex(&Sha256::digest(&self.head)),
        }
    }

    /// True when the file is now shorter than what was read, or its first bytes changed (truncated and written
    /// again past the old length between two polls).
    pub fn truncated(&mut self) -> io::Result<bool> {
        let size = self.file.metadata()?.len();
        if size < self.read_pos {
            return Ok(true);
        }
        if self.head.is_empty() {
            return Ok(false);
        }
        let now = self.read_head(self.head.len())?;
        Ok(now != self.head)
    }

    /// True when the file has no name left (deleted while open). Always false where this cannot be told.
    pub fn deleted(&self) -> bool {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            self.file.metadata().is_ok_and(|m| m.nlink() == 0)
        }
        #[cfg(not(unix))]
        false
    }

    /// Starts again at offset 0 with a new generation (after a truncation).
    pub fn restart(&mut self, generation: u32) {
        self.generation = generation;
        self.read_pos = 0;
        self.boundary = 0;
        self.pending.clear();
        self.pending_len = 0;
        self.head.clear();
    }

    /// Reads complete lines into `out` until the end of the file or of the budget; true when the end of the file
    /// was reached. `progress` gets the number of bytes read.
    pub fn read_lines(
        &mut self,
        ctx: &LineCtx<'_>,
        out: &mut Vec<Line>,
        budget: &mut Budget,
        progress: &mut u64,
    ) -> io::Result<bool> {
        let mut buf = vec![0u8; CHUNK];
        loop {
            if budget.exhausted() {
                return Ok(false);
            }
            self.file.seek(SeekFrom::Start(self.read_pos))?;
            let n = read_some(&mut self.file, &mut buf)?;
            if n == 0 {
                return Ok(true);
            }
            *progress += n as u64;
            self.note_head(&buf[..n]);
            let mut i = 0;
            while i < n {
                if let Some(k) = buf[i..n].iter().position(|&b| b == b'\n') {
                    self.push_pending(&buf[i..i + k], ctx.max_line_bytes);
                    i += k + 1;
                    let line = self.emit(ctx, true);
                    budget.take(&line);
                    out.push(line);
                    if budget.exhausted() {
                        self.read_pos += i as u64;
                        return Ok(false);
                    }
                } else {
                    self.push_pending(&buf[i..n], ctx.max_line_bytes);
                    i = n;
                }
            }
            self.read_pos += n as u64;
        }
    }

    /// The line still waiting for its newline, handed out flagged `unterminated` (the file is finished: rotated
    /// away and idle, or truncated).
    pub fn take_unterminated(&mut self, ctx: &LineCtx<'_>) -> Option<Line> {
        (self.pending_len > 0).then(|| self.emit(ctx, false))
    }

    fn note_head(&mut self, chunk: &[u8]) {
        let have = self.head.len() as u64;
        if have >= self.head_cap as u64 || self.read_pos > have {
            return;
        }
        let skip = usize::try_from(have - self.read_pos).unwrap_or(usize::MAX);
        let room = self.head_cap - self.head.len();
        if let Some(rest) = chunk.get(skip..) {
            self.head.extend_from_slice(&rest[..rest.len().min(room)]);
        }
    }

    /// Adds bytes to the line being assembled, keeping at most `max` of them (the rest is counted in its length
    /// and the line is flagged `cut` when handed out).
    fn push_pending(&mut self, bytes: &[u8], max: usize) {
        self.pending_len += bytes.len() as u64;
        let room = max.saturating_sub(self.pending.len());
        self.pending.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn emit(&mut self, ctx: &LineCtx<'_>, terminated: bool) -> Line {
        let mut bytes = std::mem::take(&mut self.pending);
        let cut = self.pending_len > ctx.max_line_bytes as u64;
        bytes.truncate(ctx.max_line_bytes);
        if terminated && !cut && bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
        let offset = self.boundary;
        let length = self.pending_len;
        self.boundary += length + u64::from(terminated);
        self.pending_len = 0;
        Line::new(
            ctx,
            self,
            offset,
            length,
            String::from_utf8_lossy(&bytes).into_owned(),
            cut,
            !terminated,
        )
    }
}

/// `Read::read_to_end` on a reader already capped with `take`.
trait ReadCapped {
    fn read_to_end_capped(self, out: &mut Vec<u8>) -> io::Result<()>;
}

impl<R: Read> ReadCapped for io::Take<R> {
    fn read_to_end_capped(mut self, out: &mut Vec<u8>) -> io::Result<()> {
        let mut buf = [0u8; 4096];
        loop {
            let n = read_some(&mut self, &mut buf)?;
            if n == 0 {
                return Ok(());
            }
            out.extend_from_slice(&buf[..n]);
        }
    }
}

fn read_some(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}
