//! Sustained events per second through the whole collection path — normalise → durable store (embedded SQLite,
//! `synchronous=FULL`) → Sigma (every SigmaHQ Windows rule) → indicator match (the IPsum list) → alerts — and the
//! latency from receipt to recorded detection (p50, p99), on the OTRF Windows attack events replayed as fast as
//! the collector accepts them (it pushes back when detection lags). Printed beside two baselines of the same
//! events: parsing only, and parsing plus storing with detection off.
//!
//! `cargo bench -p canhgac-ingest --bench throughput` (EVENTS=… to change the count, default 300,000).

use std::time::{Duration, Instant};

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

/// Sends every line in batches; returns the wall time until the pipeline has processed all of them.
async fn run(
    lines: &[String],
    detection: bool,
    rules: &std::path::Path,
    ipsum: &std::path::Path,
) -> (f64, Option<(u32, u32)>) {
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
    let mut pushed_back = 0u64;
    for chunk in lines.chunks(2_000) {
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
    if pushed_back > 0 {
        eprintln!("  (the sender was pushed back {pushed_back} times)");
    }
    let lat = detection.then(|| {
        (
            ingest.latencies.quantile(0.5).unwrap_or(0),
            ingest.latencies.quantile(0.99).unwrap_or(0),
        )
    });
    (wall, lat)
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
    let mut ok = 0;
    for l in &lines {
        ok += usize::from(canhgac_ingest::normalize::normalize(l, Received::now()).is_ok());
    }
    let parse = t.elapsed().as_secs_f64();
    assert_eq!(ok, lines.len());

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (store_only, _) = rt.block_on(run(&lines, false, &rules, &ipsum));
    let (full, lat) = rt.block_on(run(&lines, true, &rules, &ipsum));
    let (p50, p99) = lat.unwrap_or((0, 0));
    println!();
    println!("| path | wall s | events/s | ratio to parse only |");
    println!("|---|---|---|---|");
    for (name, s) in [
        ("parse only (normalise, one thread)", parse),
        ("parse + durable store, detection off", store_only),
        ("parse + store + Sigma (all Windows rules) + IPsum + alerts", full),
    ] {
        println!("| {name} | {s:.2} | {:.0} | {:.2} |", n / s, s / parse);
    }
    println!();
    println!(
        "receipt-to-detection latency: p50 {p50} ms, p99 {p99} ms (goal: 20,000 events/s with p99 under 1 s)"
    );
}
