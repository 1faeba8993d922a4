//! The log file follower: partial lines, long lines, rotation by rename, copytruncate, restart resume.

use canhgac_agent::{FileFollower, FollowConfig, Line};
use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

struct Setup {
    _dir: tempfile::TempDir,
    log: PathBuf,
    state: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let state = dir.path().join("follow.json");
    Setup {
        log,
        state,
        _dir: dir,
    }
}

fn append(path: &Path, text: &str) {
    let mut f = OpenOptions::new().create(true).append(true).open(path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

fn follower(s: &Setup, config: FollowConfig) -> FileFollower {
    FileFollower::open(&s.state, std::slice::from_ref(&s.log), config).unwrap()
}

fn texts(lines: &[Line]) -> Vec<&str> {
    lines.iter().map(|l| l.text.as_str()).collect()
}

#[test]
fn partial_last_line_waits_for_its_newline() {
    let s = setup();
    append(&s.log, "one\r\ntw");
    let mut f = follower(&s, FollowConfig::new("h"));
    let b = f.poll().unwrap();
    assert_eq!(texts(&b.lines), ["one"]);
    assert_eq!(b.lines[0].offset, 0);
    assert_eq!(b.lines[0].length, 4, "the length counts the \\r");
    assert!(f.poll().unwrap().lines.is_empty());
    append(&s.log, "o\nthree");
    let b = f.poll().unwrap();
    assert_eq!(texts(&b.lines), ["two"]);
    assert_eq!(b.lines[0].offset, 5);
    assert_eq!(
        b.checkpoint.files[s.log.to_str().unwrap()]
            .current
            .as_ref()
            .unwrap()
            .offset,
        9
    );
}

#[test]
fn long_line_is_cut_flagged_and_the_next_line_kept() {
    let s = setup();
    let long = "x".repeat(100);
    append(&s.log, &format!("{long}\nshort\n"));
    let mut config = FollowConfig::new("h");
    config.max_line_bytes = 10;
    let mut f = follower(&s, config);
    let b = f.poll().unwrap();
    assert_eq!(texts(&b.lines), ["xxxxxxxxxx", "short"]);
    assert!(b.lines[0].cut);
    assert_eq!(b.lines[0].length, 100);
    assert!(!b.lines[1].cut);
    assert_eq!(b.lines[1].offset, 101);
    assert_eq!(f.stats().cut_lines, 1);
}

#[test]
fn rotation_by_rename_finishes_the_old_file_then_reads_the_new_one() {
    let s = setup();
    append(&s.log, "a1\na2\n");
    let mut f = follower(&s, FollowConfig::new("h"));
    assert_eq!(texts(&f.poll().unwrap().lines), ["a1", "a2"]);
    // The writer adds to the old file, logrotate renames it, the writer adds more before reopening.
    append(&s.log, "a3\n");
    let rotated = s.log.with_extension("log.1");
    fs::rename(&s.log, &rotated).unwrap();
    append(&rotated, "a4\na5-no-newline");
    append(&s.log, "b1\n");
    let b = f.poll().unwrap();
    assert_eq!(
        texts(&b.lines),
        ["a3", "a4"],
        "the old file first; the new one waits until it is finished"
    );
    append(&rotated, "-done\n");
    let b = f.poll().unwrap();
    assert_eq!(texts(&b.lines), ["a5-no-newline-done"]);
    assert!(
        f.poll().unwrap().lines.is_empty(),
        "idle once: the writer may still write to the old file"
    );
    let b = f.poll().unwrap();
    assert_eq!(
        texts(&b.lines),
        ["b1"],
        "idle twice: dropped, the new one read from 0"
    );
    assert_eq!(b.lines[0].offset, 0);
    assert_ne!(b.lines[0].generation, 0);
    let cp = &b.checkpoint.files[s.log.to_str().unwrap()];
    assert!(cp.draining.is_empty());
    assert_eq!(f.stats().rotations, 2);
}

#[test]
fn rotated_file_ending_without_newline_is_handed_out_flagged() {
    let s = setup();
    append(&s.log, "a1\na2-partial");
    let mut f = follower(&s, FollowConfig::new("h"));
    assert_eq!(texts(&f.poll().unwrap().lines), ["a1"]);
    fs::rename(&s.log, s.log.with_extension("log.1")).unwrap();
    append(&s.log, "b1\n");
    assert!(f.poll().unwrap().lines.is_empty());
    let b = f.poll().unwrap();
    assert_eq!(texts(&b.lines), ["a2-partial", "b1"]);
    assert!(b.lines[0].unterminated);
    assert!(!b.lines[1].unterminated);
}

#[test]
fn copytruncate_restarts_at_zero_with_new_ids() {
    let s = setup();
    append(&s.log, "old1\nold2\nold3\n");
    let mut f = follower(&s, FollowConfig::new("h"));
    let first = f.poll().unwrap();
    assert_eq!(first.lines.len(), 3);
    // copytruncate: copy, then truncate in place, then the writer goes on.
    fs::copy(&s.log, s.log.with_extension("log.1")).unwrap();
    OpenOptions::new()
        .write(true)
        .open(&s.log)
        .unwrap()
        .set_len(0)
        .unwrap();
    append(&s.log, "new1\n");
    let b = f.poll().unwrap();
    assert_eq!(texts(&b.lines), ["new1"]);
    assert_eq!(b.lines[0].offset, 0);
    assert_eq!(b.lines[0].inode, first.lines[0].inode);
    assert_ne!(
        b.lines[0].id, first.lines[0].id,
        "same inode and offset, new generation"
    );
    assert_eq!(f.stats().truncations, 1);
}

#[test]
fn truncated_and_rewritten_past_the_old_offset_is_caught_by_the_head_hash() {
    let s = setup();
    append(&s.log, "first\n");
    let mut f = follower(&s, FollowConfig::new("h"));
    assert_eq!(texts(&f.poll().unwrap().lines), ["first"]);
    OpenOptions::new()
        .write(true)
        .open(&s.log)
        .unwrap()
        .set_len(0)
        .unwrap();
    append(&s.log, "another file entirely\nline two\n");
    let b = f.poll().unwrap();
    assert_eq!(texts(&b.lines), ["another file entirely", "line two"]);
    assert_eq!(f.stats().truncations, 1);
}

#[test]
fn restart_resumes_at_the_committed_checkpoint_only() {
    let s = setup();
    for i in 1..=10 {
        append(&s.log, &format!("line {i}\n"));
    }
    let mut config = FollowConfig::new("h");
    config.max_batch_lines = 4;
    let mut f = follower(&s, config.clone());
    let b1 = f.poll().unwrap();
    assert!(b1.more);
    f.commit(&b1.checkpoint).unwrap();
    let b2 = f.poll().unwrap();
    assert_eq!(texts(&b2.lines), ["line 5", "line 6", "line 7", "line 8"]);
    drop(f); // b2 was never committed: a crash before the batch was safe.

    let mut f = follower(&s, config.clone());
    let again = f.poll().unwrap();
    assert_eq!(
        again.lines, b2.lines,
        "the uncommitted batch comes back with the same ids"
    );
    f.commit(&again.checkpoint).unwrap();
    let b3 = f.poll().unwrap();
    assert_eq!(texts(&b3.lines), ["line 9", "line 10"]);
    f.commit(&b3.checkpoint).unwrap();
    drop(f);

    let mut f = follower(&s, config);
    assert!(
        f.poll().unwrap().lines.is_empty(),
        "everything committed: nothing read twice"
    );
    append(&s.log, "line 11\n");
    assert_eq!(texts(&f.poll().unwrap().lines), ["line 11"]);
}

#[test]
fn restart_after_rotation_while_stopped_finishes_the_rotated_file() {
    let s = setup();
    append(&s.log, "a1\n");
    let mut f = follower(&s, FollowConfig::new("h"));
    let b = f.poll().unwrap();
    f.commit(&b.checkpoint).unwrap();
    drop(f);
    append(&s.log, "a2\n");
    fs::rename(&s.log, s.log.with_extension("log.1")).unwrap();
    append(&s.log, "b1\n");

    let mut f = follower(&s, FollowConfig::new("h"));
    let mut got = Vec::new();
    for _ in 0..4 {
        got.extend(f.poll().unwrap().lines);
    }
    assert_eq!(texts(&got), ["a2", "b1"]);
    assert_eq!(f.stats().lost_files, 0);
}

#[test]
fn a_device_number_changed_by_a_reboot_does_not_lose_the_place() {
    let s = setup();
    append(&s.log, "a1\n");
    let mut f = follower(&s, FollowConfig::new("h"));
    let b = f.poll().unwrap();
    let mut cp = b.checkpoint.clone();
    for p in cp.files.values_mut() {
        if let Some(c) = p.current.as_mut() {
            c.dev ^= 0xFFFF;
        }
    }
    f.commit(&cp).unwrap();
    drop(f);
    append(&s.log, "a2\n");
    let mut f = follower(&s, FollowConfig::new("h"));
    let b = f.poll().unwrap();
    assert_eq!(texts(&b.lines), ["a2"]);
    assert_eq!(f.stats().lost_files, 0);
}

#[test]
fn restart_after_the_rotated_file_vanished_counts_the_loss() {
    let s = setup();
    append(&s.log, "a1\n");
    let mut f = follower(&s, FollowConfig::new("h"));
    let b = f.poll().unwrap();
    f.commit(&b.checkpoint).unwrap();
    drop(f);
    fs::remove_file(&s.log).unwrap();
    append(&s.log, "b1-and-more-so-the-inode-differs\n");
    let mut f = follower(&s, FollowConfig::new("h"));
    // Inode numbers can be reused at once; either way the new file is read from 0.
    let b = f.poll().unwrap();
    assert_eq!(texts(&b.lines), ["b1-and-more-so-the-inode-differs"]);
    assert_eq!(f.stats().lost_files + f.stats().truncations, 1);
}

#[test]
fn deleted_file_without_successor_is_finished_and_released() {
    let s = setup();
    append(&s.log, "a1\na2-partial");
    let mut f = follower(&s, FollowConfig::new("h"));
    assert_eq!(texts(&f.poll().unwrap().lines), ["a1"]);
    fs::remove_file(&s.log).unwrap();
    assert!(f.poll().unwrap().lines.is_empty());
    let b = f.poll().unwrap();
    assert_eq!(texts(&b.lines), ["a2-partial"]);
    assert!(b.lines[0].unterminated);
    assert!(b.checkpoint.files[s.log.to_str().unwrap()].current.is_none());
    append(&s.log, "b1\n");
    assert_eq!(texts(&f.poll().unwrap().lines), ["b1"]);
}

#[test]
fn a_path_listed_twice_is_followed_once() {
    let s = setup();
    append(&s.log, "once\n");
    let mut f =
        FileFollower::open(&s.state, &[s.log.clone(), s.log.clone()], FollowConfig::new("h")).unwrap();
    assert_eq!(texts(&f.poll().unwrap().lines), ["once"]);
}

#[test]
fn several_files_share_the_batch_limit_and_keep_their_own_positions() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.log"), dir.path().join("b.log"));
    append(&a, "a1\na2\na3\n");
    append(&b, "b1\nb2\n");
    let mut config = FollowConfig::new("h");
    config.max_batch_lines = 4;
    let state = dir.path().join("state.json");
    let mut f = FileFollower::open(&state, &[a.clone(), b.clone()], config.clone()).unwrap();
    let first = f.poll().unwrap();
    assert_eq!(texts(&first.lines), ["a1", "a2", "a3", "b1"]);
    assert!(first.more);
    f.commit(&first.checkpoint).unwrap();
    drop(f);
    let mut f = FileFollower::open(&state, &[a, b], config).unwrap();
    assert_eq!(texts(&f.poll().unwrap().lines), ["b2"]);
}

#[test]
fn start_at_end_skips_what_a_new_path_already_holds_but_not_its_unfinished_line() {
    let s = setup();
    append(&s.log, "old1\nold2\npart");
    let mut config = FollowConfig::new("h");
    config.start_at_end = true;
    let mut f = follower(&s, config.clone());
    assert!(f.poll().unwrap().lines.is_empty());
    append(&s.log, "ial\nnew\n");
    let b = f.poll().unwrap();
    assert_eq!(texts(&b.lines), ["partial", "new"]);
    assert_eq!(b.lines[0].offset, 10);
    f.commit(&b.checkpoint).unwrap();
    drop(f);
    // Known to the state file now: resumed, not skipped again.
    append(&s.log, "after restart\n");
    let mut f = follower(&s, config);
    assert_eq!(texts(&f.poll().unwrap().lines), ["after restart"]);
}

#[cfg(unix)]
#[test]
fn a_checkpointed_file_that_cannot_be_reopened_keeps_its_checkpoint() {
    use std::os::unix::fs::MetadataExt;
    let s = setup();
    // The path is a folder whose identity the state file names: opening works, reading fails (EISDIR).
    fs::create_dir(&s.log).unwrap();
    let m = fs::metadata(&s.log).unwrap();
    let key = s.log.to_str().unwrap();
    let state = format!(
        "{{\"version\":1,\"files\":{{\"{key}\":{{\"next_generation\":3,\"current\":{{\"dev\":{},\"ino\":{},\
         \"generation\":2,\"offset\":1,\"head_len\":1,\"head_sha256\":\"\"}}}}}}}}",
        m.dev(),
        m.ino()
    );
    fs::write(&s.state, state).unwrap();
    let mut f = follower(&s, FollowConfig::new("h"));
    for _ in 0..2 {
        let b = f.poll().unwrap();
        assert!(b.lines.is_empty());
        let cp = &b.checkpoint.files[key];
        assert_eq!(
            cp.current.as_ref().map(|c| (c.ino, c.generation)),
            Some((m.ino(), 2))
        );
        assert_eq!(cp.next_generation, 3);
    }
    assert!(f.stats().read_errors >= 2);
}

#[test]
fn corrupt_state_file_is_an_error_naming_the_line() {
    let s = setup();
    fs::write(&s.state, "{\n \"version\": 1,\n \"files\": nope\n}\n").unwrap();
    let err = FileFollower::open(&s.state, std::slice::from_ref(&s.log), FollowConfig::new("h"))
        .err()
        .unwrap();
    let msg = err.to_string();
    assert!(msg.contains("follow.json: line 3"), "{msg}");
}

/// Tiny deterministic generator, so the run below is the same every time.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[test]
fn random_writes_crashes_and_rotations_deliver_every_line_once_by_id() {
    let mut resent_total = 0;
    for seed in 1..=10 {
        resent_total += random_run(seed);
    }
    assert!(
        resent_total > 0,
        "restarts made lines come again (deduplicated by id)"
    );
}

/// One run; returns how many lines came more than once (same id).
fn random_run(seed: u64) -> usize {
    let s = setup();
    let mut rng = Lcg(seed);
    let mut resent = 0;
    let mut config = FollowConfig::new("h");
    config.max_batch_lines = 7;
    let mut written = Vec::new();
    append(&s.log, "");
    let mut f = follower(&s, config.clone());
    // The receiver keeps the first copy of every id.
    let mut received: BTreeMap<String, String> = BTreeMap::new();
    let mut rotations = 0;
    // The documented limit: at most one rotation between two commits (see `follow` module docs).
    // No commit yet: nothing would find a file rotated away before the first commit after a restart.
    let mut rotated_since_commit = true;
    let mut pending_text = String::new();
    for step in 0..400 {
        match rng.next(10) {
            0..=4 => {
                // Write a few lines, the last one possibly split.
                for _ in 0..rng.next(5) {
                    let line = format!("step {step} value {}", rng.next(1_000_000));
                    written.push(line.clone());
                    pending_text.push_str(&line);
                    pending_text.push('\n');
                }
                let cut = rng.next(pending_text.len() as u64 + 1) as usize;
                let cut = (0..=cut)
                    .rev()
                    .find(|&i| pending_text.is_char_boundary(i))
                    .unwrap_or(0);
                append(&s.log, &pending_text[..cut]);
                pending_text.drain(..cut);
            }
            5..=7 => {
                let b = f.poll().unwrap();
                for l in &b.lines {
                    if let Some(first) = received.insert(l.id.clone(), l.text.clone()) {
                        assert_eq!(first, l.text, "one id, one line");
                        resent += 1;
                    }
                }
                if rng.next(3) > 0 {
                    f.commit(&b.checkpoint).unwrap();
                    rotated_since_commit = false;
                }
            }
            8 => f = follower(&s, config.clone()),
            _ if rotations < 8 && !rotated_since_commit => {
                // logrotate `create`: rename, then a new empty file at the path.
                append(&s.log, &pending_text);
                pending_text.clear();
                rotations += 1;
                rotated_since_commit = true;
                fs::rename(&s.log, s.log.with_extension(format!("log.{rotations}"))).unwrap();
                append(&s.log, "");
            }
            _ => {}
        }
    }
    append(&s.log, &pending_text);
    for _ in 0..200 {
        let b = f.poll().unwrap();
        if b.lines.is_empty() {
            break;
        }
        for l in &b.lines {
            received.entry(l.id.clone()).or_insert_with(|| l.text.clone());
        }
        f.commit(&b.checkpoint).unwrap();
    }
    let mut got: Vec<&String> = received.values().collect();
    let mut want: Vec<&String> = written.iter().collect();
    got.sort();
    want.sort();
    assert_eq!(
        got.len(),
        want.len(),
        "seed {seed}: every line once by id, none lost, none with two ids"
    );
    assert_eq!(got, want, "seed {seed}");
    assert!(
        rotations >= 2,
        "seed {seed}: the run exercised rotation ({rotations})"
    );
    resent
}
