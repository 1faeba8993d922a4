//! Recompute at the scale of the network: 10,000 hosts in 100 units, inventories cycling through the real
//! `systeminfo` outputs of `../shared/data/windows-inventory`, the twelve 2023 CVRF files. Ignored by default:
//! `cargo test --release -p canhgac-store --test vuln_scale -- --ignored --nocapture` (figures in
//! docs/benchmarks.md).

use std::time::Instant;

use canhgac_model::{Actor, AssetId, AssetInput, UnitInput};
use canhgac_store::Store;
use sqlx::Row;

const UNITS: usize = 100;
const HOSTS_PER_UNIT: usize = 100;

async fn admin_of(store: &Store) -> Actor {
    let pw = store
        .bootstrap("Sở Y tế", "admin")
        .await
        .unwrap()
        .expect("first bootstrap gives a password");
    let s = store.login("admin", &pw).await.unwrap();
    Actor {
        user_id: s.user.id,
        unit_id: s.user.unit_id,
        role: s.user.role,
    }
}

/// Every `systeminfo` output the inventory reader accepts, as (file name, bytes).
fn inventories(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("systeminfo"))
        .collect();
    files.sort();
    files
        .into_iter()
        .filter_map(|p| {
            let name = p.file_name()?.to_string_lossy().into_owned();
            let bytes = std::fs::read(&p).unwrap();
            canhgac_vuln::inventory::parse_inventory(&name, &bytes)
                .ok()
                .map(|_| (name, bytes))
        })
        .collect()
}

async fn count(store: &Store, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(store.pool())
        .await
        .unwrap()
        .try_get::<i64, _>(0)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --release -- --ignored --nocapture"]
async fn recompute_ten_thousand_hosts() {
    let (Some(cvrf), Some(inv_dir)) = (
        canhgac_testdata::require("msrc-cvrf-2023"),
        canhgac_testdata::require("windows-inventory/wesng/validation"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_data_dir(dir.path()).await.unwrap();
    let admin = admin_of(&store).await;
    let files = inventories(&inv_dir);
    assert!(files.len() >= 10, "only {} readable inventories", files.len());

    let t = Instant::now();
    for month in [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ] {
        let name = format!("cvrfDocument-2023-{month}.xml");
        store
            .import_advisory(&admin, &name, &std::fs::read(cvrf.join(&name)).unwrap())
            .await
            .unwrap();
    }
    let kb = store.knowledge_base().await.unwrap();
    println!("advisories: {} CVEs in {:.1?}", kb.cves.len(), t.elapsed());

    let t = Instant::now();
    for u in 0..UNITS {
        let unit = store
            .create_unit(
                &admin,
                &UnitInput {
                    code: format!("BV{u:03}"),
                    name: format!("Bệnh viện {u}"),
                    kind: "public_hospital".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .id;
        let rows: Vec<_> = (0..HOSTS_PER_UNIT)
            .map(|h| {
                AssetInput {
                    hostname: format!("BV{u:03}-PC{h:03}"),
                    ips: format!("10.{}.{}.{}", u / 250, u % 250, h + 1),
                    criticality: "medium".into(),
                    kind: "workstation".into(),
                    ..Default::default()
                }
                .validate()
                .unwrap()
            })
            .collect();
        store.import_assets(&admin, unit, &rows, "bench").await.unwrap();
    }
    let ids: Vec<i64> = sqlx::query("SELECT id FROM assets ORDER BY id")
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<i64, _>("id").unwrap())
        .collect();
    assert_eq!(ids.len(), UNITS * HOSTS_PER_UNIT);
    for (i, id) in ids.iter().enumerate() {
        let (name, bytes) = &files[i % files.len()];
        store
            .attach_inventory(&admin, AssetId(*id), name, bytes)
            .await
            .unwrap();
    }
    println!(
        "{} assets with inventories cycling through {} systeminfo files in {:.1?}",
        ids.len(),
        files.len(),
        t.elapsed()
    );

    // What the matcher says for this fleet, before anything is stored.
    let parsed: Vec<_> = files
        .iter()
        .map(|(n, b)| canhgac_vuln::inventory::parse_inventory(n, b).unwrap())
        .collect();
    let fleet: Vec<_> = (0..ids.len()).map(|i| parsed[i % parsed.len()].clone()).collect();
    let verdicts = canhgac_vuln::matching::Matcher::new(&kb).check_fleet(&fleet);
    let mut states = std::collections::BTreeMap::new();
    let mut evidence = 0;
    for v in verdicts.iter().flat_map(|l| l.iter()) {
        *states.entry(v.state.as_str()).or_insert(0_usize) += 1;
        if v.state == canhgac_vuln::matching::State::Vulnerable {
            evidence += v.evidence.iter().map(String::len).sum::<usize>();
        }
    }
    let vulnerable = states.get("vulnerable").copied().unwrap_or(0).max(1);
    println!(
        "verdicts: {states:?}; evidence {} bytes per vulnerable verdict",
        evidence / vulnerable
    );
    drop((fleet, verdicts));

    // Another writer (a unit created every 50 ms) runs through the first recompute: its longest wait is how long
    // the write lock was held at a stretch.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = tokio::spawn({
        let (store, stop) = (store.clone(), stop.clone());
        async move {
            let (mut longest, mut n) = (std::time::Duration::ZERO, 0);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let t = Instant::now();
                let unit = UnitInput {
                    code: format!("W{n:04}"),
                    name: format!("Đơn vị {n}"),
                    kind: "public_hospital".into(),
                    ..Default::default()
                };
                store.create_unit(&admin, &unit).await.unwrap();
                longest = longest.max(t.elapsed());
                n += 1;
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            (longest, n)
        }
    });
    let t = Instant::now();
    let first = store.recompute_findings(None, None, &kb).await.unwrap();
    let first_time = t.elapsed();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (longest, writes) = writer.await.unwrap();
    println!("a concurrent writer's longest wait during it: {longest:.2?} ({writes} writes)");
    let rows = count(&store, "SELECT COUNT(*) FROM vuln_findings").await;
    println!("first recompute: {first_time:.2?}, {rows} findings stored, {first:?}");
    for state in ["vulnerable", "remediated", "unknown", "not_affected"] {
        let n = count(
            &store,
            &format!("SELECT COUNT(*) FROM vuln_findings WHERE state = '{state}'"),
        )
        .await;
        println!("  {state}: {n}");
    }
    assert_eq!(first.hosts, ids.len());
    assert!(first.opened > 0, "{first:?}");

    let t = Instant::now();
    let second = store.recompute_findings(None, None, &kb).await.unwrap();
    let second_time = t.elapsed();
    println!("second recompute (nothing changed): {second_time:.2?}, {second:?}");
    assert_eq!((second.opened, second.updated, second.reopened), (0, 0, 0));
    assert_eq!(count(&store, "SELECT COUNT(*) FROM vuln_findings").await, rows);

    // One unit's recompute, as after an inventory upload.
    let unit =
        canhgac_model::UnitId(count(&store, "SELECT unit_id FROM assets ORDER BY id DESC LIMIT 1").await);
    let t = Instant::now();
    let one = store.recompute_findings(None, Some(unit), &kb).await.unwrap();
    println!("one unit ({} hosts): {:.2?}", one.hosts, t.elapsed());
}
