//! `kill -9` while events stream in over HTTP: after a restart every acknowledged event is stored exactly once,
//! the sender's re-sent batch is not stored twice, and the alerts count every matching event once — none lost,
//! none doubled — even though the pipeline was interrupted too.

mod support;

use std::time::{Duration, Instant};

const RULE: &str = r"
title: Whoami run
id: 6d4b1a3c-1111-4c1e-9a3b-000000000001
level: high
logsource: {product: windows, category: process_creation}
detection:
  selection:
    Image|endswith: '\whoami.exe'
  condition: selection
";

const BATCH: usize = 200;

fn batch(n: usize) -> String {
    (0..BATCH)
        .map(|i| {
            let event = serde_json::json!({
                "EventID": 4688, "Channel": "Security", "Hostname": format!("WS-{:02}", n % 7),
                "TimeCreated": "2024-02-09 07:00:00.000",
                "NewProcessName": "C:\\Windows\\System32\\whoami.exe", "CommandLine": format!("whoami {n}-{i}"),
            });
            serde_json::json!({ "ext_id": format!("sender:{n}:{i}"), "event": event }).to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .cookie_store(true)
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// Sends batch `n`; true when acknowledged.
fn send(c: &reqwest::blocking::Client, url: &str, token: &str, n: usize) -> bool {
    c.post(format!("{url}/api/v1/events"))
        .bearer_auth(token)
        .body(batch(n))
        .send()
        .is_ok_and(|r| r.status().is_success())
}

fn queue_depth(c: &reqwest::blocking::Client, url: &str, token: &str) -> Option<i64> {
    let text = c
        .get(format!("{url}/metrics"))
        .bearer_auth(token)
        .send()
        .ok()?
        .text()
        .ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("canhgac_pipeline_queue_depth "))
        .and_then(|v| v.trim().parse().ok())
}

#[test]
fn kill_9_while_events_stream_in_loses_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("whoami.yml");
    std::fs::write(&rules, RULE).unwrap();
    let data = dir.path().join("data");
    let args = ["--rules", rules.to_str().unwrap()];
    let mut server = support::start_with(&data, &args);
    let c = client();
    let admin = support::token_for_admin(&c, &server.url, server.password.as_deref().unwrap());
    let created: serde_json::Value = c
        .post(format!("{}/api/v1/sources", server.url))
        .bearer_auth(&admin)
        .json(&serde_json::json!({ "name": "stream", "kind": "http" }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let token = created["token"].as_str().unwrap().to_string();

    // A sender streams batches until the server dies under it.
    let (url, tok) = (server.url.clone(), token.clone());
    let sender = std::thread::spawn(move || {
        let c = client();
        let mut n = 0;
        while n < 1_000 && send(&c, &url, &tok, n) {
            n += 1;
        }
        n // the first batch not acknowledged
    });
    std::thread::sleep(Duration::from_millis(1_500));
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    let first_unacked = sender.join().unwrap();
    assert!(
        first_unacked > 2,
        "the sender got going before the crash ({first_unacked} batches)"
    );

    // Restart; the sender re-sends what was not acknowledged, then a few more.
    let server = support::start_with(&data, &args);
    let total_batches = first_unacked + 3;
    for n in first_unacked..total_batches {
        assert!(send(&c, &server.url, &token, n), "batch {n} after restart");
    }
    let expected = (total_batches * BATCH) as i64;
    let deadline = Instant::now() + Duration::from_secs(120);
    while queue_depth(&c, &server.url, &admin) != Some(0) {
        assert!(Instant::now() < deadline, "the pipeline did not catch up");
        std::thread::sleep(Duration::from_millis(200));
    }

    // Every event once: walk the newest-first pages.
    let mut stored = 0i64;
    let mut seen = std::collections::HashSet::new();
    let mut before: Option<i64> = None;
    loop {
        let mut uri = format!("{}/api/v1/events?limit=500", server.url);
        if let Some(b) = before {
            uri.push_str(&format!("&before={b}"));
        }
        let page: serde_json::Value = c.get(uri).bearer_auth(&admin).send().unwrap().json().unwrap();
        for e in page["items"].as_array().unwrap() {
            assert!(
                seen.insert(e["ext_id"].as_str().unwrap().to_string()),
                "stored twice: {e}"
            );
            stored += 1;
        }
        match page["next"].as_i64() {
            Some(b) => before = Some(b),
            None => break,
        }
    }
    assert_eq!(stored, expected, "every acknowledged or re-sent event, once");

    // Every stored event counted once in the alerts (grouped per host).
    let alerts: serde_json::Value = c
        .get(format!("{}/api/v1/alerts?status=all&per_page=500", server.url))
        .bearer_auth(&admin)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let items = alerts["items"].as_array().unwrap();
    let counted: i64 = items.iter().map(|a| a["count"].as_i64().unwrap()).sum();
    assert_eq!(counted, expected, "alerts count each event exactly once");
    assert_eq!(items.len(), 7, "one alert per host: {alerts}");
}
