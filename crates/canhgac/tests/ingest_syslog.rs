//! The real server's syslog listeners, set with `serve --syslog-udp ADDR --syslog-tcp ADDR`: the Suricata EVE
//! samples sent as RFC 5424 messages over UDP and over TCP (octet counting and newline framing) land in the unit
//! whose source range holds the sender, each once, and `/metrics` counts them by source.

mod support;

use std::io::Write;
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

/// A port free right now on 127.0.0.1 (for a listener the server will open).
fn free_port(udp: bool) -> u16 {
    if udp {
        UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    } else {
        TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }
}

fn metric(text: &str, name: &str, source: &str) -> Option<u64> {
    text.lines()
        .filter(|l| l.starts_with(name) && l.contains(&format!("source=\"{source}\"")))
        .find_map(|l| l.rsplit(' ').next()?.parse().ok())
}

#[test]
fn syslog_over_udp_and_tcp_reaches_the_units_events_once() {
    let Some(eve) = canhgac_testdata::require("logs/suricata-eve-small") else {
        eprintln!("skipped: ../shared/data/logs/suricata-eve-small is absent");
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(&eve)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let lines: Vec<String> = files
        .iter()
        .flat_map(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .lines()
                .filter(|l| l.starts_with('{'))
                .map(|l| format!("<14>1 2024-02-09T07:00:00Z ids-1 suricata - - - {l}"))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(lines.len() > 100, "{} EVE lines", lines.len());

    let dir = tempfile::tempdir().unwrap();
    let (udp_port, tcp_port) = (free_port(true), free_port(false));
    let udp_addr = format!("127.0.0.1:{udp_port}");
    let tcp_addr = format!("127.0.0.1:{tcp_port}");
    let server = support::start_with(
        &dir.path().join("data"),
        &["--syslog-udp", &udp_addr, "--syslog-tcp", &tcp_addr],
    );
    let c = reqwest::blocking::Client::builder()
        .cookie_store(true)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let admin = support::token_for_admin(&c, &server.url, server.password.as_deref().unwrap());
    let created: serde_json::Value = c
        .post(format!("{}/api/v1/sources", server.url))
        .bearer_auth(&admin)
        .json(&serde_json::json!({ "name": "IDS", "kind": "syslog", "cidr": "127.0.0.0/8" }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let source = created["source"]["id"].as_i64().expect("source id");

    // A third over UDP (paced: loopback drops a flood), a third octet-counted and a third newline-framed over TCP.
    let third = lines.len() / 3;
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    for l in &lines[..third] {
        udp.send_to(l.as_bytes(), &udp_addr).unwrap();
        std::thread::sleep(Duration::from_micros(300));
    }
    let mut tcp = TcpStream::connect(&tcp_addr).unwrap();
    for l in &lines[third..2 * third] {
        tcp.write_all(format!("{} {l}", l.len()).as_bytes()).unwrap();
    }
    drop(tcp);
    let mut tcp = TcpStream::connect(&tcp_addr).unwrap();
    for l in &lines[2 * third..] {
        tcp.write_all(format!("{l}\n").as_bytes()).unwrap();
    }
    drop(tcp);

    let label = format!("syslog:{source}");
    let expected = lines.len() as u64;
    let deadline = Instant::now() + Duration::from_secs(60);
    let text = loop {
        let text = c
            .get(format!("{}/metrics", server.url))
            .bearer_auth(&admin)
            .send()
            .unwrap()
            .text()
            .unwrap();
        if metric(&text, "canhgac_events_stored_total", &label) == Some(expected) {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "not every line was stored in time:\n{}",
            text.lines()
                .filter(|l| l.contains(&label))
                .collect::<Vec<_>>()
                .join("\n")
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(
        metric(&text, "canhgac_events_received_total", &label),
        Some(expected)
    );
    assert_eq!(
        metric(&text, "canhgac_parse_errors_total", &label).unwrap_or(0),
        0
    );

    // Stored once each, as EVE events of the administrator's unit, searchable by a field of the original.
    let page: serde_json::Value = c
        .get(format!("{}/api/v1/events?limit=500", server.url))
        .bearer_auth(&admin)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len() as u64, expected);
    assert!(items
        .iter()
        .all(|e| e["format"] == "eve" && e["source_id"] == source));
    let alerts: serde_json::Value = c
        .get(format!(
            "{}/api/v1/events?limit=500&field=event_type=alert",
            server.url
        ))
        .bearer_auth(&admin)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let want = lines
        .iter()
        .filter(|l| l.contains("\"event_type\":\"alert\""))
        .count();
    assert!(want > 0);
    assert_eq!(alerts["items"].as_array().unwrap().len(), want);
}
