//! The disk spool: order, acknowledgement across restarts, damage after a crash, the size limit.

use canhgac_agent::{Error, Spool, SpoolConfig};
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

fn config(max_total: u64, segment: u64) -> SpoolConfig {
    SpoolConfig {
        max_total_bytes: max_total,
        segment_bytes: segment,
        sync: true,
    }
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .collect();
    v.sort();
    v
}

fn batch(i: usize) -> Vec<u8> {
    format!("{{\"n\":{i}}}\n{{\"n\":{i},\"second\":true}}\n").into_bytes()
}

fn drain(spool: &mut Spool) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(r) = spool.peek().unwrap() {
        out.push(r.bytes);
        spool.ack().unwrap();
    }
    out
}

#[test]
fn peek_repeats_until_ack_and_order_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Spool::open(dir.path(), SpoolConfig::default()).unwrap();
    assert!(s.peek().unwrap().is_none());
    assert!(matches!(s.ack(), Err(Error::NothingToAck)));
    for i in 0..3 {
        s.push(&batch(i)).unwrap();
    }
    assert_eq!(s.peek().unwrap().unwrap().bytes, batch(0));
    assert_eq!(
        s.peek().unwrap().unwrap().bytes,
        batch(0),
        "same batch until acknowledged"
    );
    s.ack().unwrap();
    assert_eq!(drain(&mut s), [batch(1), batch(2)]);
    assert_eq!(s.stats().pushed, 3);
    assert_eq!(s.stats().acked, 3);
}

#[test]
fn unacknowledged_batch_comes_back_after_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut s = Spool::open(dir.path(), SpoolConfig::default()).unwrap();
        s.push(&batch(1)).unwrap();
        s.push(&batch(2)).unwrap();
        assert_eq!(s.peek().unwrap().unwrap().bytes, batch(1));
        // Dropped without ack: the process died before the server answered.
    }
    let mut s = Spool::open(dir.path(), SpoolConfig::default()).unwrap();
    assert_eq!(s.peek().unwrap().unwrap().bytes, batch(1));
    s.ack().unwrap();
    drop(s);
    let mut s = Spool::open(dir.path(), SpoolConfig::default()).unwrap();
    assert_eq!(s.stats().acked, 1, "counters are kept across restarts");
    assert_eq!(
        drain(&mut s),
        [batch(2)],
        "the acknowledged batch does not come back"
    );
}

#[test]
fn torn_last_record_is_cut_off_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut s = Spool::open(dir.path(), SpoolConfig::default()).unwrap();
        s.push(&batch(1)).unwrap();
        s.push(&batch(2)).unwrap();
    }
    // A crash in the middle of the third write: a header announcing 100 bytes, 10 of them written.
    let seg = segments(dir.path()).pop().unwrap();
    let good_len = fs::metadata(&seg).unwrap().len();
    let mut f = OpenOptions::new().append(true).open(&seg).unwrap();
    f.write_all(&100u32.to_le_bytes()).unwrap();
    f.write_all(&[0xAB; 4]).unwrap();
    f.write_all(b"{\"n\":3,\"tr").unwrap();
    drop(f);

    let mut s = Spool::open(dir.path(), SpoolConfig::default()).unwrap();
    assert_eq!(s.stats().damaged_records, 1);
    assert_eq!(s.stats().damaged_bytes, 18);
    assert_eq!(
        fs::metadata(&seg).unwrap().len(),
        good_len,
        "cut back to the last good record"
    );
    s.push(&batch(4)).unwrap();
    assert_eq!(drain(&mut s), [batch(1), batch(2), batch(4)]);
}

#[test]
fn zero_filled_tail_and_bad_checksum_are_damage_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut s = Spool::open(dir.path(), SpoolConfig::default()).unwrap();
        s.push(&batch(1)).unwrap();
    }
    let seg = segments(dir.path()).pop().unwrap();
    OpenOptions::new()
        .append(true)
        .open(&seg)
        .unwrap()
        .write_all(&[0u8; 4096])
        .unwrap();
    let mut s = Spool::open(dir.path(), SpoolConfig::default()).unwrap();
    assert_eq!(s.stats().damaged_records, 1);
    assert_eq!(drain(&mut s), [batch(1)]);

    // A flipped byte inside a payload: the checksum no longer matches.
    s.push(&batch(2)).unwrap();
    let mut bytes = fs::read(&seg).unwrap();
    let last = bytes.len() - 3;
    bytes[last] ^= 0xFF;
    fs::write(&seg, &bytes).unwrap();
    drop(s);
    let mut s = Spool::open(dir.path(), SpoolConfig::default()).unwrap();
    assert!(s.peek().unwrap().is_none());
    assert_eq!(s.stats().damaged_records, 2);
}

#[test]
fn damaged_record_in_an_older_segment_skips_to_the_next_segment() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(10_000, 100);
    {
        let mut s = Spool::open(dir.path(), cfg.clone()).unwrap();
        for i in 0..6 {
            s.push(&batch(i)).unwrap();
        }
    }
    let segs = segments(dir.path());
    assert!(segs.len() >= 3, "{segs:?}");
    let mut bytes = fs::read(&segs[0]).unwrap();
    bytes[10] ^= 0xFF;
    fs::write(&segs[0], &bytes).unwrap();
    let mut s = Spool::open(dir.path(), cfg).unwrap();
    let got = drain(&mut s);
    assert_eq!(
        got.first(),
        Some(&batch(2)),
        "segment 0 (batches 0 and 1) skipped"
    );
    assert_eq!(got.last(), Some(&batch(5)));
    assert_eq!(s.stats().damaged_records, 1);
}

#[test]
fn full_spool_drops_the_oldest_segment_and_counts_it() {
    let dir = tempfile::tempdir().unwrap();
    let one = batch(0).len() as u64 + 8;
    // Two records per segment, at most three segments.
    let cfg = config(one * 6, one * 2);
    let mut s = Spool::open(dir.path(), cfg.clone()).unwrap();
    for i in 0..10 {
        s.push(&batch(i)).unwrap();
        assert!(s.total_bytes() <= one * 6);
    }
    assert_eq!(s.stats().dropped_segments, 2);
    assert_eq!(s.stats().dropped_records, 4);
    assert_eq!(s.stats().dropped_bytes, one * 4);
    drop(s);
    let mut s = Spool::open(dir.path(), cfg).unwrap();
    assert_eq!(s.stats().dropped_records, 4, "kept across restarts");
    let got = drain(&mut s);
    assert_eq!(
        got,
        (4..10).map(batch).collect::<Vec<_>>(),
        "the newest six batches, in order"
    );
}

#[test]
fn a_batch_dropped_between_peek_and_ack_is_not_acknowledged_in_place_of_another() {
    let dir = tempfile::tempdir().unwrap();
    let one = batch(0).len() as u64 + 8;
    let mut s = Spool::open(dir.path(), config(one * 4, one * 2)).unwrap();
    for i in 0..4 {
        s.push(&batch(i)).unwrap();
    }
    assert_eq!(s.peek().unwrap().unwrap().bytes, batch(0)); // being sent…
    s.push(&batch(4)).unwrap(); // …while the full spool drops batches 0 and 1
    assert_eq!(s.stats().dropped_records, 2);
    assert!(
        matches!(s.ack(), Err(Error::NothingToAck)),
        "batch 2 was never sent: it must not be acked"
    );
    assert_eq!(drain(&mut s), [batch(2), batch(3), batch(4)]);
}

#[test]
fn acknowledged_segments_are_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Spool::open(dir.path(), config(100_000, 200)).unwrap();
    for i in 0..20 {
        s.push(&batch(i)).unwrap();
    }
    assert!(segments(dir.path()).len() > 3);
    assert_eq!(drain(&mut s).len(), 20);
    assert_eq!(
        segments(dir.path()).len(),
        1,
        "only the segment being written remains"
    );
    s.push(&batch(99)).unwrap();
    assert_eq!(drain(&mut s), [batch(99)]);
}

#[test]
fn a_batch_larger_than_the_spool_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Spool::open(dir.path(), config(1000, 500)).unwrap();
    let big = vec![b'x'; 1000];
    assert!(matches!(s.push(&big), Err(Error::TooLarge { size: 1000, .. })));
    s.push(b"").unwrap();
    assert!(s.peek().unwrap().is_none(), "an empty batch stores nothing");
}

#[test]
fn follower_lines_go_in_as_ndjson() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("a.log");
    fs::write(&log, "hello\nworld\n").unwrap();
    let mut f = canhgac_agent::FileFollower::open(
        dir.path().join("state.json"),
        std::slice::from_ref(&log),
        canhgac_agent::FollowConfig::new("host-1"),
    )
    .unwrap();
    let b = f.poll().unwrap();
    let mut s = Spool::open(dir.path().join("spool"), SpoolConfig::default()).unwrap();
    s.push_events(&b.lines).unwrap();
    f.commit(&b.checkpoint).unwrap();
    let rec = s.peek().unwrap().unwrap();
    let text = String::from_utf8(rec.bytes).unwrap();
    let events: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["text"], "world");
    assert_eq!(events[1]["offset"], 6);
    assert_eq!(events[1]["id"], b.lines[1].id.as_str());
}

#[test]
fn bad_settings_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        Spool::open(dir.path(), config(100, 200)),
        Err(Error::Config { .. })
    ));
    assert!(matches!(
        Spool::open(dir.path(), config(100, 0)),
        Err(Error::Config { .. })
    ));
}

#[test]
fn a_crash_at_any_byte_of_a_write_keeps_exactly_the_whole_records_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let batches: Vec<Vec<u8>> = (0..5).map(batch).collect();
    {
        let mut s = Spool::open(dir.path(), SpoolConfig::default()).unwrap();
        for b in &batches {
            s.push(b).unwrap();
        }
    }
    let seg = segments(dir.path()).pop().unwrap();
    let bytes = fs::read(&seg).unwrap();
    let mut boundaries = vec![0usize];
    for b in &batches {
        boundaries.push(boundaries.last().unwrap() + 8 + b.len());
    }
    assert_eq!(*boundaries.last().unwrap(), bytes.len());
    for cut in 0..=bytes.len() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join(seg.file_name().unwrap()), &bytes[..cut]).unwrap();
        let mut s = Spool::open(d.path(), SpoolConfig::default()).unwrap();
        let whole = boundaries.iter().filter(|&&b| b <= cut).count() - 1;
        let torn = !boundaries.contains(&cut);
        assert_eq!(s.stats().damaged_records, u64::from(torn), "cut at {cut}");
        assert_eq!(drain(&mut s), batches[..whole], "cut at {cut}");
    }
}
