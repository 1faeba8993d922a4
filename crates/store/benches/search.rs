//! Event search on a million stored events (embedded SQLite): the result list a duty officer asks for — newest
//! first, by host, by time range, by `field=value`, by words — each timed to its first page (50 rows).
//!
//! The events are the OTRF Windows attack runs (69,067 events, repeated to EVENTS, default 1,000,000) spread over
//! 20 hosts of one unit and 30 days, stored in batches of 2,000 as the collector does.
//!
//! `cargo bench -p canhgac-store --bench search`

use std::time::{Duration, Instant};

use canhgac_model::{Actor, UnitId};
use canhgac_store::{EventQuery, NewEvent, SourceKind, Store};

const DAY: i64 = 86_400_000;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

async fn setup(dir: &std::path::Path) -> (Store, Actor, i64) {
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
    (store, admin, source.id)
}

fn main() {
    let Some(otrf) = canhgac_testdata::otrf_json_files() else {
        eprintln!("shared data absent: benchmark skipped");
        return;
    };
    let want: usize = std::env::var("EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let base: Vec<String> = otrf
        .iter()
        .flat_map(|(_, text)| text.lines().filter(|l| !l.trim().is_empty()).map(str::to_owned))
        .collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    rt.block_on(async {
        let (store, admin, source) = setup(dir.path()).await;
        let unit: UnitId = admin.unit_id;
        let now = canhgac_store::now_ms();
        let started = Instant::now();
        let mut batch = Vec::with_capacity(2_000);
        for (i, line) in base.iter().cycle().take(want).enumerate() {
            let i = i as i64;
            batch.push(NewEvent {
                unit_id: unit,
                source_id: source,
                ext_id: None,
                received_at: now,
                // Oldest first, 30 days back to now.
                ts: now - 30 * DAY + i * (30 * DAY / want as i64),
                host: format!("WS-{:02}", i % 20),
                format: "windows".into(),
                channel: "Security".into(),
                event_id: Some(4688),
                message: String::new(),
                // Read from the original, as the collector stores Windows JSON events.
                fields: String::new(),
                original: line.clone(),
            });
            if batch.len() == 2_000 {
                store.insert_events(&batch).await.expect("insert");
                batch.clear();
            }
        }
        store.insert_events(&batch).await.expect("insert");
        let load = started.elapsed();
        let size = std::fs::metadata(dir.path().join("canhgac.db")).map_or(0, |m| m.len());
        println!(
            "{want} events stored in {:.1} s ({:.0} events/s), database {} MB",
            load.as_secs_f64(),
            want as f64 / load.as_secs_f64(),
            size / 1_000_000
        );
        // A command line that occurs in the data, and one word in one run only.
        let rare = base
            .iter()
            .rev()
            .find_map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).ok()?;
                v.get("CommandLine")?.as_str().map(str::to_owned)
            })
            .unwrap_or_default();
        let cases: Vec<(&str, EventQuery)> = vec![
            ("newest first", EventQuery::default()),
            (
                "host = WS-07",
                EventQuery {
                    host: "ws-07".into(),
                    ..Default::default()
                },
            ),
            (
                "time range: one hour two weeks ago",
                EventQuery {
                    from: Some(now - 14 * DAY),
                    to: Some(now - 14 * DAY + 3_600_000),
                    ..Default::default()
                },
            ),
            (
                "field EventID = 4688 (common)",
                EventQuery {
                    field: Some(("EventID".into(), "4688".into())),
                    ..Default::default()
                },
            ),
            (
                "field CommandLine = <a command line of the data>",
                EventQuery {
                    field: Some(("CommandLine".into(), rare.clone())),
                    ..Default::default()
                },
            ),
            (
                "words: mimikatz",
                EventQuery {
                    text: "mimikatz".into(),
                    ..Default::default()
                },
            ),
            (
                "words: a word no event holds",
                EventQuery {
                    text: "zqxjkvbw".into(),
                    ..Default::default()
                },
            ),
        ];
        println!();
        println!("| search (first page of 50) | rows | median ms (5 runs) |");
        println!("|---|---|---|");
        for (name, mut q) in cases {
            // As a unit's staff search (the Department picks a unit the same way).
            q.unit_id = Some(unit.0);
            q.limit = 50;
            let mut times = Vec::new();
            let mut rows = 0;
            for _ in 0..5 {
                let t = Instant::now();
                let page = store.search_events(&admin, &q).await.expect("search");
                times.push(t.elapsed());
                rows = page.items.len();
            }
            println!("| {name} | {rows} | {:.1} |", median(times).as_secs_f64() * 1e3);
        }
    });
}
