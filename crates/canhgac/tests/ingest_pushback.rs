//! A sender faster than detection is pushed back (HTTP 429 with Retry-After) instead of the server growing: with
//! every SigmaHQ Windows rule loaded and a backlog bound of 2,000 events, four senders flood the intake; they see
//! 429s, everything acknowledged is stored and detected in the end, and the server's resident memory stays under
//! 400 MiB the whole time (sampled from /proc).

mod support;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Resident memory of a process in KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn batch(sender: usize, n: usize) -> String {
    (0..1_000)
        .map(|i| {
            serde_json::json!({
                "EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "Hostname": format!("PC-{sender}"),
                "TimeCreated": "2024-02-09 07:00:00.000",
                "Image": "C:\\Windows\\System32\\cmd.exe", "ParentImage": "C:\\Windows\\explorer.exe",
                "CommandLine": format!("cmd.exe /c echo {sender}-{n}-{i}"), "User": "BV\\dieuduong",
            })
            .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_flood_is_pushed_back_and_memory_stays_bounded() {
    let Some(rules) = canhgac_testdata::require("sigma/rules/windows") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let args = ["--rules", rules.to_str().unwrap(), "--max-lag", "2000"];
    let server = support::start_with(&data, &args);
    let pid = server.child.id();
    let c = reqwest::blocking::Client::builder()
        .cookie_store(true)
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let admin = support::token_for_admin(&c, &server.url, server.password.as_deref().unwrap());
    let created: serde_json::Value = c
        .post(format!("{}/api/v1/sources", server.url))
        .bearer_auth(&admin)
        .json(&serde_json::json!({ "name": "flood", "kind": "http" }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let token = created["token"].as_str().unwrap().to_string();

    let stop = Arc::new(AtomicBool::new(false));
    let (acked, refused) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let senders: Vec<_> = (0..4)
        .map(|s| {
            let (url, tok, stop, acked, refused) = (
                server.url.clone(),
                token.clone(),
                stop.clone(),
                acked.clone(),
                refused.clone(),
            );
            std::thread::spawn(move || {
                let c = reqwest::blocking::Client::new();
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    let r = c
                        .post(format!("{url}/api/v1/events"))
                        .bearer_auth(&tok)
                        .body(batch(s, n))
                        .send()
                        .unwrap();
                    match r.status().as_u16() {
                        200 => {
                            let v: serde_json::Value = r.json().unwrap();
                            assert_eq!(v["stored"], 1_000, "{v}");
                            acked.fetch_add(1_000, Ordering::Relaxed);
                            n += 1;
                        }
                        429 => {
                            assert!(r.headers().get("retry-after").is_some());
                            refused.fetch_add(1, Ordering::Relaxed);
                            // A polite sender waits a little (less than Retry-After, to keep the pressure on).
                            std::thread::sleep(Duration::from_millis(50));
                        }
                        other => panic!("unexpected status {other}"),
                    }
                }
            })
        })
        .collect();
    let mut peak = 0;
    let flood = Instant::now();
    while flood.elapsed() < Duration::from_secs(20) {
        peak = peak.max(rss_kib(pid).unwrap_or(0));
        std::thread::sleep(Duration::from_millis(100));
    }
    stop.store(true, Ordering::Relaxed);
    for s in senders {
        s.join().unwrap();
    }
    let acked = acked.load(Ordering::Relaxed) as i64;
    let refused = refused.load(Ordering::Relaxed);
    eprintln!(
        "flood: {acked} events acknowledged, {refused} batches pushed back, peak RSS {} MiB",
        peak / 1024
    );
    assert!(refused > 0, "a sender faster than detection must see pushback");
    assert!(acked >= 2_000);
    assert!(peak < 400 * 1024, "resident memory peaked at {} MiB", peak / 1024);

    // Everything acknowledged goes through detection: the backlog drains to zero.
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let text = c
            .get(format!("{}/metrics", server.url))
            .bearer_auth(&admin)
            .send()
            .unwrap()
            .text()
            .unwrap();
        let get = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().parse::<i64>().ok())
                .unwrap_or(-1)
        };
        if get("canhgac_pipeline_queue_depth ") == 0 {
            assert_eq!(
                get("canhgac_pipeline_processed_total "),
                acked,
                "every acknowledged event was detected on"
            );
            break;
        }
        assert!(Instant::now() < deadline, "the backlog did not drain");
        peak = peak.max(rss_kib(pid).unwrap_or(0));
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(peak < 400 * 1024, "resident memory peaked at {} MiB", peak / 1024);
}
