//! Sustained events per second through the whole collection path — normalise → durable store (embedded SQLite,
//! `synchronous=FULL`) → Sigma (every SigmaHQ Windows rule) → indicator match (the IPsum list) → alerts — and the
//! latency from receipt to recorded detection (p50, p99), on the OTRF Windows attack events replayed as fast as
//! the collector accepts them (it pushes back when detection lags). Printed beside two baselines of the same
//! events: parsing only, and parsing plus storing with detection off.
//!
//! Then the same events offered at steady rates (RATES=10000,20000 by default): the latency an event sees when the
//! sender keeps a pace, which is what a duty officer waits for.
//!
//! `cargo bench -p canhgac-ingest --bench throughput` (EVENTS=… to change the count, default 300,000).

use std::time::{Duration, Instant};

// The same allocator as the `canhgac` binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use canhgac_ingest::{start, CollectError, IngestConfig};
use canhgac_logs::Received;
use canhgac_model::Actor;
use canhgac_store::{EventSource, ListUpload, SourceKind, Store};

async fn setup(dir: &std::path::Path) -> (Store, Actor, EventSource) {
    let store = Store::open_data_dir(dir).await.expect("store");
    let pw = store
        .bootstrap("Sở Y tế", "admin")
        .await
        .expect("bootstrap")
        .expect("new");
    let s = store.login("admin", &pw).await.expect("login");
    let admin = Actor {
        user_id: s.user.id,
        unit_id: s.user.unit_id,
        role: s.user.role,
    };
    let (source, _) = store
        .create_event_source(&admin, admin.unit_id, "bench", SourceKind::Http, "")
        .await
        .expect("source");
    (store, admin, source)
}

/// CPU seconds this process has used (user + system), from /proc (Linux); 0 elsewhere.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are the 14th and 15th fields of the line: 12th and 13th after the name.
    (ticks(11) + ticks(12)) / 100.0
}

/// What one run measured.
struct Outcome {
    wall: f64,
    /// CPU seconds used (all threads).
    cpu: f64,
    /// Receipt-to-detection latency p50 and p99 (ms), when detection ran.
    latency: Option<(u32, u32)>,
    /// Detections recorded as new or grouped alerts.
    alerts: u64,
}

/// Sends every line in batches of 2,000, as fast as accepted or (`rate`) at that many events per second; returns
/// the wall time until the pipeline has processed all of them.
async fn run(
    lines: &[String],
    detection: bool,
    rate: Option<f64>,
    rules: &std::path::Path,
    ipsum: &std::path::Path,
) -> Outcome {
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, admin, source) = setup(dir.path()).await;
    if detection {
        let bytes = std::fs::read(ipsum).expect("ipsum");
        let list = ListUpload {
            name: "IPsum".into(),
            source: "stamparm/ipsum".into(),
            kind: canhgac_ioc::ListKind::Feed,
            version: "bench".into(),
            file_name: "ipsum.txt".into(),
            bytes,
            mapping: None,
        };
        store.import_list(Some(&admin), &list).await.expect("list");
    }
    let config = IngestConfig {
        rules: if detection {
            vec![rules.to_path_buf()]
        } else {
            Vec::new()
        },
        detection_off: !detection,
        collector: canhgac_ingest::CollectorConfig {
            max_lag: if detection { 50_000 } else { i64::MAX },
            ..Default::default()
        },
        ..Default::default()
    };
    let ingest = start(store, config).await.expect("start");
    let started = Instant::now();
    let cpu0 = cpu_seconds();
    let mut pushed_back = 0u64;
    for (i, chunk) in lines.chunks(2_000).enumerate() {
        if let Some(rate) = rate {
            let due = started + Duration::from_secs_f64((i * 2_000) as f64 / rate);
            tokio::time::sleep_until(due.into()).await;
        }
        let body = chunk.join("\n");
        loop {
            match ingest.collector.submit_http(&source, &body).await {
                Ok(_) => break,
                Err(CollectError::Busy { .. }) => {
                    pushed_back += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => panic!("{e}"),
            }
        }
    }
    if detection {
        while ingest.collector.lag() > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    if pushed_back > 0 {
        eprintln!("  (the sender was pushed back {pushed_back} times)");
    }
    let latency = detection.then(|| {
        (
            ingest.latencies.quantile(0.5).unwrap_or(0),
            ingest.latencies.quantile(0.99).unwrap_or(0),
        )
    });
    Outcome {
        wall,
        cpu,
        latency,
        alerts: ingest
            .collector
            .metrics
            .alerts
            .load(std::sync::atomic::Ordering::Relaxed),
    }
}

fn main() {
    let (Some(otrf), Some(rules), Some(ipsum)) = (
        canhgac_testdata::otrf_json_files(),
        canhgac_testdata::require("sigma/rules/windows"),
        canhgac_testdata::require("ip-blocklists/ipsum/ipsum.txt"),
    ) else {
        eprintln!("shared data absent: benchmark skipped");
        return;
    };
    let want: usize = std::env::var("EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300_000);
    let base: Vec<String> = otrf
        .iter()
        .flat_map(|(_, text)| text.lines().filter(|l| !l.trim().is_empty()).map(str::to_owned))
        .collect();
    let lines: Vec<String> = base.iter().cycle().take(want).cloned().collect();
    let n = lines.len() as f64;
    println!(
        "{} events (the {} OTRF events, repeated)",
        lines.len(),
        base.len()
    );

    let t = Instant::now();
    let cpu0 = cpu_seconds();
    let mut ok = 0;
    for l in &lines {
        ok += usize::from(canhgac_ingest::normalize::normalize(l, Received::now()).is_ok());
    }
    let parse = t.elapsed().as_secs_f64();
    let parse_cpu = cpu_seconds() - cpu0;
    assert_eq!(ok, lines.len());

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let store_only = rt.block_on(run(&lines, false, None, &rules, &ipsum));
    let full = rt.block_on(run(&lines, true, None, &rules, &ipsum));
    let (p50, p99) = full.latency.unwrap_or((0, 0));
    println!();
    println!("| path | wall s | events/s | ratio to parse only | CPU µs per event |");
    println!("|---|---|---|---|---|");
    for (name, s, cpu) in [
        ("parse only (normalise, one thread)", parse, parse_cpu),
        (
            "parse + durable store, detection off",
            store_only.wall,
            store_only.cpu,
        ),
        (
            "parse + store + Sigma (all Windows rules) + IPsum + alerts",
            full.wall,
            full.cpu,
        ),
    ] {
        println!(
            "| {name} | {s:.2} | {:.0} | {:.2} | {:.1} |",
            n / s,
            s / parse,
            cpu * 1e6 / n
        );
    }
    println!();
    println!(
        "as fast as accepted: {} detections recorded as alerts; receipt-to-detection latency p50 {p50} ms, p99 {p99} ms \
         (the backlog divided by the rate: the sender never waits)",
        full.alerts
    );
    // Paced runs: the latency an event sees at a steady rate (the goal: 20,000 events/s with p99 under 1 s).
    let rates: Vec<f64> = std::env::var("RATES")
        .ok()
        .map(|v| v.split(',').filter_map(|r| r.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000.0, 20_000.0]);
    if !rates.is_empty() {
        println!();
        println!("| offered events/s | achieved events/s | p50 ms | p99 ms | CPU µs per event |");
        println!("|---|---|---|---|---|");
    }
    for rate in rates {
        let paced = rt.block_on(run(&lines, true, Some(rate), &rules, &ipsum));
        let (p50, p99) = paced.latency.unwrap_or((0, 0));
        println!(
            "| {rate:.0} | {:.0} | {p50} | {p99} | {:.1} |",
            n / paced.wall,
            paced.cpu * 1e6 / n
        );
    }
}
