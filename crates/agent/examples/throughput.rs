//! Measures the host-side pipeline on this machine: inventory collection, following a large log file into the
//! spool (commit after every batch, as the agent does), and draining the spool.
//!
//! `cargo run --release -p canhgac-agent --example throughput -- [lines] [--no-sync]`

use canhgac_agent::{FileFollower, FollowConfig, Spool, SpoolConfig};
use std::io::Write;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let lines: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(500_000);
    let sync = !args.iter().any(|a| a == "--no-sync");

    let t = Instant::now();
    let inv = canhgac_agent::collect_inventory()?;
    println!(
        "inventory: {} packages, {} interfaces, {} disks in {:.1} ms; fingerprint {}",
        inv.software.as_ref().map_or(0, Vec::len),
        inv.interfaces.len(),
        inv.disks.len(),
        t.elapsed().as_secs_f64() * 1e3,
        &inv.fingerprint()[..16]
    );

    let dir = tempfile::tempdir()?;
    let log = dir.path().join("auth.log");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&log)?);
        for i in 0..lines {
            writeln!(
                f,
                "Nov 26 16:{:02}:{:02} host sshd[{}]: Failed password for invalid user admin{} from 203.0.113.{} port {} ssh2",
                (i / 60) % 60,
                i % 60,
                1000 + i % 5000,
                i % 97,
                i % 250,
                40000 + i % 20000
            )?;
        }
    }
    let size = std::fs::metadata(&log)?.len();

    let mut spool = Spool::open(
        dir.path().join("spool"),
        SpoolConfig {
            sync,
            ..SpoolConfig::default()
        },
    )?;
    let mut follower = FileFollower::open(
        dir.path().join("follow.json"),
        std::slice::from_ref(&log),
        FollowConfig::new("bench"),
    )?;
    let t = Instant::now();
    let (mut got, mut batches) = (0, 0);
    loop {
        let b = follower.poll()?;
        if b.lines.is_empty() {
            break;
        }
        got += b.lines.len();
        batches += 1;
        spool.push_events(&b.lines)?;
        follower.commit(&b.checkpoint)?;
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "follow → spool (sync {sync}): {got} lines, {batches} batches, {:.1} MB in {secs:.2} s = {:.0} lines/s, {:.1} MB/s of log",
        size as f64 / 1e6,
        got as f64 / secs,
        size as f64 / 1e6 / secs
    );
    println!("spool on disk: {:.1} MB", spool.total_bytes() as f64 / 1e6);

    let t = Instant::now();
    let mut n = 0;
    while let Some(r) = spool.peek()? {
        n += r.bytes.iter().filter(|&&b| b == b'\n').count();
        spool.ack()?;
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "spool drain: {n} events in {secs:.2} s = {:.0} events/s",
        n as f64 / secs
    );
    assert_eq!(n, lines);
    Ok(())
}
