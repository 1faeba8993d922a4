//! Restoring a path's readers from its checkpoint, and one poll of a path.

use super::checkpoint::identity;
use super::reader::{Budget, LineCtx, Reader, Resume};
use super::{
    find_rotated, is_not_found, FileCheckpoint, FollowConfig, FollowStats, Followed, Line, PathCheckpoint,
};
use std::path::{Path, PathBuf};
use tracing::warn;

/// A rotated file is finished (and its unterminated last line handed out) once this many consecutive polls
/// found nothing new in it: a writer that has not reopened its log yet still has a poll interval to write.
const FINISH_AFTER_IDLE_POLLS: u32 = 2;

/// A path the state file does not know: nothing is opened (the first poll reads the file from 0), unless
/// `start_at_end` asks to skip what the file already holds.
pub(super) fn first_sight(
    path: &Path,
    key: String,
    config: &FollowConfig,
    stats: &mut FollowStats,
) -> Followed {
    let mut f = Followed {
        path: path.to_owned(),
        key,
        next_generation: 0,
        current: None,
        unresumed: None,
        draining: Vec::new(),
    };
    if config.start_at_end {
        match Reader::open_at_end(path, 0, config.head_bytes) {
            Ok(r) => {
                f.current = Some(r);
                f.next_generation = 1;
                stats.rotations += 1;
            }
            Err(e) if is_not_found(&e) => {}
            Err(e) => read_error(path, &e, stats),
        }
    }
    f
}

/// Rebuilds a path's readers from its committed checkpoint.
pub(super) fn restore(
    path: &Path,
    key: String,
    cp: &PathCheckpoint,
    head_cap: usize,
    stats: &mut FollowStats,
) -> Followed {
    let dir = path
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let mut f = Followed {
        path: path.to_owned(),
        key,
        next_generation: cp.next_generation,
        current: None,
        unresumed: None,
        draining: Vec::new(),
    };
    for d in &cp.draining {
        match find_rotated(&dir, d, head_cap) {
            Some(r) => f.draining.push(r),
            None => lost(path, d, stats),
        }
    }
    if let Some(c) = &cp.current {
        reattach(&mut f, c, head_cap, stats);
    }
    f
}

/// Finds the file a committed `current` checkpoint names: still at the path (resumed, or read again from 0 when
/// truncated or replaced), or rotated away in the same folder (drained first). When it cannot be opened now it is
/// kept in `unresumed` and tried again at the next poll, so a passing error does not read the file again.
fn reattach(f: &mut Followed, c: &FileCheckpoint, head_cap: usize, stats: &mut FollowStats) {
    let path = f.path.as_path();
    // The inode, not the device, which can change across reboots; the first bytes are checked on resuming.
    let same_file = std::fs::metadata(path).is_ok_and(|m| identity(&m).1 == c.ino);
    if same_file {
        match Reader::resume(path, c, head_cap) {
            Ok(Resume::Ready(r)) => f.current = Some(r),
            Ok(Resume::Changed) => {
                // Without a reader the next poll opens the file at 0 with the next generation.
                stats.truncations += 1;
                warn!(path = %path.display(), "truncated or replaced while stopped: reading it again from the start");
            }
            Err(e) => {
                read_error(path, &e, stats);
                f.unresumed = Some(c.clone());
            }
        }
        return;
    }
    let dir = path
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    match find_rotated(&dir, c, head_cap) {
        Some(r) => f.draining.push(r),
        None => lost(path, c, stats),
    }
}

fn lost(path: &Path, cp: &FileCheckpoint, stats: &mut FollowStats) {
    stats.lost_files += 1;
    warn!(
        path = %path.display(),
        inode = cp.ino,
        offset = cp.offset,
        "a rotated file was not found again: its unread rest is lost"
    );
}

/// One poll of one path: finish rotated files first, then the current file.
pub(super) fn poll_one(
    f: &mut Followed,
    ctx: &LineCtx<'_>,
    head_cap: usize,
    out: &mut Vec<Line>,
    budget: &mut Budget,
    stats: &mut FollowStats,
) {
    if let Some(c) = f.unresumed.take() {
        reattach(f, &c, head_cap, stats);
        if f.unresumed.is_some() {
            return;
        }
    }
    // What the path names now; a rotation moves the current reader to `draining`.
    let mut path_gone = false;
    match std::fs::metadata(&f.path) {
        Ok(meta) => {
            let id = identity(&meta);
            if f.current.as_ref().is_some_and(|r| (r.dev, r.ino) != id) {
                if let Some(old) = f.current.take() {
                    f.draining.push(old);
                }
            }
            if f.current.is_none() {
                match Reader::open(&f.path, f.next_generation, head_cap) {
                    Ok(r) => {
                        f.next_generation += 1;
                        stats.rotations += 1;
                        f.current = Some(r);
                    }
                    Err(e) if is_not_found(&e) => {}
                    Err(e) => read_error(&f.path, &e, stats),
                }
            }
        }
        Err(e) if is_not_found(&e) => path_gone = true,
        Err(e) => read_error(&f.path, &e, stats),
    }

    let mut i = 0;
    while i < f.draining.len() && !budget.exhausted() {
        let d = &mut f.draining[i];
        let mut progress = 0;
        match d.read_lines(ctx, out, budget, &mut progress) {
            Ok(true) => {
                d.idle_polls = if progress == 0 { d.idle_polls + 1 } else { 0 };
                if d.idle_polls >= FINISH_AFTER_IDLE_POLLS {
                    out.extend(d.take_unterminated(ctx));
                    f.draining.remove(i);
                } else {
                    i += 1;
                }
            }
            Ok(false) => i += 1,
            Err(e) => {
                read_error(&d.location, &e, stats);
                i += 1;
            }
        }
    }
    if budget.exhausted() || !f.draining.is_empty() {
        // Older files first: the current file waits until every rotated one is finished.
        return;
    }
    let Some(r) = f.current.as_mut() else { return };
    match r.truncated() {
        Ok(true) => {
            out.extend(r.take_unterminated(ctx));
            r.restart(f.next_generation);
            f.next_generation += 1;
            stats.truncations += 1;
            warn!(path = %f.path.display(), "truncated: reading again from the start");
        }
        Ok(false) => {}
        Err(e) => return read_error(&f.path, &e, stats),
    }
    let mut progress = 0;
    match r.read_lines(ctx, out, budget, &mut progress) {
        Ok(true) => r.idle_polls = if progress == 0 { r.idle_polls + 1 } else { 0 },
        Ok(false) => r.idle_polls = 0,
        Err(e) => read_error(&f.path, &e, stats),
    }
    // A file deleted without a successor: finish it like a rotated one, so its space can be freed.
    if path_gone && r.idle_polls >= FINISH_AFTER_IDLE_POLLS && r.deleted() {
        out.extend(r.take_unterminated(ctx));
        f.current = None;
    }
}

fn read_error(path: &Path, e: &std::io::Error, stats: &mut FollowStats) {
    stats.read_errors += 1;
    warn!(path = %path.display(), error = %e, "cannot read");
}
