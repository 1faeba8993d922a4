//! Following log files with exact resume.
//!
//! [`FileFollower`] reads a fixed list of paths (no globs) and hands out complete lines. Each [`FileFollower::poll`]
//! returns a [`Batch`]: the lines and the [`Checkpoints`] they leave. Nothing is remembered on disk until the caller
//! calls [`FileFollower::commit`] with that checkpoint — after the batch was stored or accepted — so a crash or
//! restart reads again from the last committed point: at least once, and exactly once at a receiver that drops
//! repeated [`Line::id`]s (an id is the same every time the same line is read).
//!
//! - **Lines**: split on `\n` (a trailing `\r` is removed); a line longer than [`FollowConfig::max_line_bytes`]
//!   is cut to that length and flagged [`Line::cut`], its full length kept in [`Line::length`]. A last line without
//!   its newline is held back until the newline arrives.
//! - **Rotation by rename**: when the path names another file, the old file is read to its end first (it keeps
//!   its checkpoint under `draining`) and dropped once two consecutive polls find nothing more in it; its
//!   unfinished last line, if any, is then handed out flagged [`Line::unterminated`]. The new file is read from
//!   offset 0. After a restart, a rotated file is looked for in the same folder by inode and first bytes (not by
//!   device: some device numbers change across reboots).
//! - **Copytruncate**: a file shorter than what was read, or whose first bytes changed, starts again at 0 with a
//!   new generation. Lines written between the copy and the truncation can be lost — the nature of copytruncate —
//!   and every truncation is counted.
//! - **Errors**: a file that exists but cannot be read is counted in [`FollowStats::read_errors`] and tried again
//!   at the next poll; a checkpointed file that cannot be reopened keeps its checkpoint meanwhile.
//! - **Limit**: after a restart only the files named in the committed checkpoint are looked for. A file that
//!   appeared at the path *and* was rotated away again after the last commit is not known, so its lines are
//!   lost (counted in [`FollowStats::lost_files`] only when the checkpoint named it). Committing after every
//!   poll — the intended use, as soon as the batch is in the [`crate::Spool`] — makes that need two rotations
//!   within one poll interval and a crash.
//! - **Ids**: a hash of (source, configured path, inode, generation, offset of the line's first byte). The
//!   generation counts the files a path has had, so a reused inode number does not repeat ids.

mod checkpoint;
mod reader;

pub use checkpoint::{Checkpoints, FileCheckpoint, PathCheckpoint};

use crate::error::{Error, Result};
use crate::inventory::hex;
use checkpoint::identity;
use reader::{Budget, LineCtx, Reader, Resume};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// Settings of a [`FileFollower`].
#[derive(Debug, Clone)]
pub struct FollowConfig {
    /// Names this agent in every line id (the agent's enrolled id or host name).
    pub source: String,
    /// Longest line kept whole; longer lines are cut and flagged. Default 64 KiB.
    pub max_line_bytes: usize,
    /// Most lines one poll hands out. Default 1,000.
    pub max_batch_lines: usize,
    /// Most bytes of line text one poll hands out (a line is never split to fit). Default 1 MiB.
    pub max_batch_bytes: usize,
    /// Leading bytes hashed to recognise a file again. Default 256.
    pub head_bytes: usize,
    /// For a path the state file does not know yet, start after the last complete line of the file already
    /// there instead of at its beginning (files appearing later are always read from their beginning). The
    /// path is known once a checkpoint naming it is committed; commit the first poll's checkpoint even when it
    /// holds no line, or a restart before any line skips again. Default off.
    pub start_at_end: bool,
}

impl FollowConfig {
    /// Defaults for `source`.
    pub fn new(source: impl Into<String>) -> Self {
        Self {
            source: source.into(),
            max_line_bytes: 64 * 1024,
            max_batch_lines: 1000,
            max_batch_bytes: 1024 * 1024,
            head_bytes: 256,
            start_at_end: false,
        }
    }
}

/// One line of a followed file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// Stable id: the same line read again (after a restart) has the same id.
    pub id: String,
    /// The configured path.
    pub path: String,
    /// Inode of the file it was read from.
    pub inode: u64,
    /// Generation of the path's file (see [`FileCheckpoint::generation`]).
    pub generation: u32,
    /// Offset of the line's first byte.
    pub offset: u64,
    /// Length of the line in the file, without the newline (more than `text` when cut).
    pub length: u64,
    /// The text, invalid UTF-8 replaced.
    pub text: String,
    /// The line was longer than the limit and `text` holds only its beginning.
    #[serde(default, skip_serializing_if = "is_false")]
    pub cut: bool,
    /// The file ended without a newline after this line (rotated away or truncated).
    #[serde(default, skip_serializing_if = "is_false")]
    pub unterminated: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Line {
    fn new(
        ctx: &LineCtx<'_>,
        r: &Reader,
        offset: u64,
        length: u64,
        text: String,
        cut: bool,
        unterminated: bool,
    ) -> Self {
        Self {
            id: line_id(ctx.source, ctx.path, r.ino, r.generation, offset),
            path: ctx.path.to_owned(),
            inode: r.ino,
            generation: r.generation,
            offset,
            length,
            text,
            cut,
            unterminated,
        }
    }
}

/// The id of a line: 32 hex digits of SHA-256 over (source, path, inode, generation, offset).
pub fn line_id(source: &str, path: &str, inode: u64, generation: u32, offset: u64) -> String {
    let mut h = Sha256::new();
    for part in [source.as_bytes(), path.as_bytes()] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part);
    }
    h.update(inode.to_le_bytes());
    h.update(generation.to_le_bytes());
    h.update(offset.to_le_bytes());
    let mut id = hex(&h.finalize());
    id.truncate(32);
    id
}

/// What one poll read.
#[derive(Debug, Clone)]
pub struct Batch {
    /// Complete lines, file by file, in file order.
    pub lines: Vec<Line>,
    /// The read positions after these lines; pass to [`FileFollower::commit`] once they are safe.
    pub checkpoint: Checkpoints,
    /// The batch limits were reached: more is waiting, poll again without sleeping.
    pub more: bool,
}

/// Counters since the follower was opened; nothing is skipped without one of them moving.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FollowStats {
    /// Lines handed out.
    pub lines: u64,
    /// Lines cut to the length limit.
    pub cut_lines: u64,
    /// Lines handed out without a newline (end of a rotated or truncated file).
    pub unterminated_lines: u64,
    /// New files seen at a path (rotation, or first appearance).
    pub rotations: u64,
    /// Files found truncated or replaced in place.
    pub truncations: u64,
    /// Rotated files that could not be found again after a restart: their unread rest is lost.
    pub lost_files: u64,
    /// Files that exist but could not be opened or read (permissions…); retried at the next poll.
    pub read_errors: u64,
}

struct Followed {
    path: PathBuf,
    key: String,
    next_generation: u32,
    current: Option<Reader>,
    /// The committed checkpoint of a file that could not be reopened yet (kept in snapshots, retried).
    unresumed: Option<FileCheckpoint>,
    draining: Vec<Reader>,
}

/// Tails a list of files; see the [module documentation](self).
pub struct FileFollower {
    state_path: PathBuf,
    config: FollowConfig,
    files: Vec<Followed>,
    stats: FollowStats,
}

impl FileFollower {
    /// Opens the follower, resuming every path at its checkpoint in the state file (if any). Paths not in the
    /// state file are read from their beginning; state of paths no longer listed is forgotten at the next commit.
    pub fn open(state_path: impl Into<PathBuf>, paths: &[PathBuf], config: FollowConfig) -> Result<Self> {
        if config.max_line_bytes == 0 || config.max_batch_lines == 0 || config.max_batch_bytes == 0 {
            return Err(Error::Config {
                name: "follow",
                message: "max_line_bytes, max_batch_lines and max_batch_bytes must be above zero".into(),
            });
        }
        let state_path = state_path.into();
        let state = Checkpoints::load(&state_path)?;
        let mut stats = FollowStats::default();
        let mut files = Vec::with_capacity(paths.len());
        for path in paths {
            let key = path.to_string_lossy().into_owned();
            if files.iter().any(|f: &Followed| f.key == key) {
                continue; // listed twice: follow it once
            }
            match state.files.get(&key) {
                Some(cp) => files.push(restore(path, key, cp, config.head_bytes, &mut stats)),
                None => files.push(first_sight(path, key, &config, &mut stats)),
            }
        }
        Ok(Self {
            state_path,
            config,
            files,
            stats,
        })
    }

    /// Reads what is new in every file, up to the batch limits.
    pub fn poll(&mut self) -> Result<Batch> {
        let mut budget = Budget {
            lines: self.config.max_batch_lines,
            bytes: self.config.max_batch_bytes,
        };
        let mut lines = Vec::new();
        for f in &mut self.files {
            if budget.exhausted() {
                break;
            }
            let key = f.key.clone();
            let ctx = LineCtx {
                source: &self.config.source,
                path: &key,
                max_line_bytes: self.config.max_line_bytes,
            };
            poll_one(
                f,
                &ctx,
                self.config.head_bytes,
                &mut lines,
                &mut budget,
                &mut self.stats,
            );
        }
        for l in &lines {
            self.stats.lines += 1;
            self.stats.cut_lines += u64::from(l.cut);
            self.stats.unterminated_lines += u64::from(l.unterminated);
        }
        Ok(Batch {
            lines,
            checkpoint: self.snapshot(),
            more: budget.exhausted(),
        })
    }

    /// Saves a batch's checkpoint as the point to resume from.
    pub fn commit(&mut self, checkpoint: &Checkpoints) -> Result<()> {
        checkpoint.save(&self.state_path)
    }

    /// Counters since opening.
    pub fn stats(&self) -> &FollowStats {
        &self.stats
    }

    fn snapshot(&self) -> Checkpoints {
        let files: BTreeMap<String, PathCheckpoint> = self
            .files
            .iter()
            .map(|f| {
                (
                    f.key.clone(),
                    PathCheckpoint {
                        next_generation: f.next_generation,
                        current: f
                            .current
                            .as_ref()
                            .map(Reader::checkpoint)
                            .or_else(|| f.unresumed.clone()),
                        draining: f.draining.iter().map(Reader::checkpoint).collect(),
                    },
                )
            })
            .collect();
        Checkpoints::new(files)
    }
}

mod poll;
use poll::{first_sight, poll_one, restore};

/// Finds the file in `dir` with the checkpoint's inode whose first bytes match the checkpoint. The device is not
/// compared: one folder is on one file system, and some device numbers change across reboots.
fn find_rotated(dir: &Path, cp: &FileCheckpoint, head_cap: usize) -> Option<Reader> {
    let entries = std::fs::read_dir(dir).ok()?;
    for entry in entries.flatten() {
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.is_file() || identity(&meta).1 != cp.ino {
            continue;
        }
        if let Ok(Resume::Ready(r)) = Reader::resume(&entry.path(), cp, head_cap) {
            return Some(r);
        }
    }
    None
}

fn is_not_found(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::NotFound
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_depend_on_every_part() {
        let base = line_id("h", "/var/log/a", 5, 0, 10);
        assert_eq!(base, line_id("h", "/var/log/a", 5, 0, 10));
        assert_eq!(base.len(), 32);
        for other in [
            line_id("h2", "/var/log/a", 5, 0, 10),
            line_id("h", "/var/log/b", 5, 0, 10),
            line_id("h", "/var/log/a", 6, 0, 10),
            line_id("h", "/var/log/a", 5, 1, 10),
            line_id("h", "/var/log/a", 5, 0, 11),
            line_id("h/", "var/log/a", 5, 0, 10),
        ] {
            assert_ne!(base, other);
        }
    }
}
