//! End to end on loopback: real logs from `../shared/data` arrive over HTTP (the OTRF Windows attack runs as JSON
//! lines, a Zeek log of a Trickbot infection) and syslog UDP and TCP (Suricata EVE), are stored, and come out of
//! the pipeline as alerts of the right unit: Sigma detections from the SigmaHQ Windows rules, and indicator hits
//! for addresses on the IPsum list.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use canhgac_ingest::{start, IngestConfig};
use canhgac_model::{Actor, UnitId, UnitInput};
use canhgac_store::{AlertQuery, EventQuery, ListUpload, SourceKind, Store};
use tokio::io::AsyncWriteExt;

async fn admin_of(store: &Store) -> Actor {
    let pw = store.bootstrap("Sở Y tế", "admin").await.unwrap().unwrap();
    let s = store.login("admin", &pw).await.unwrap();
    Actor {
        user_id: s.user.id,
        unit_id: s.user.unit_id,
        role: s.user.role,
    }
}

async fn unit(store: &Store, admin: &Actor, code: &str) -> UnitId {
    let input = UnitInput {
        code: code.into(),
        name: format!("Bệnh viện {code}"),
        kind: "public_hospital".into(),
        ..Default::default()
    };
    store.create_unit(admin, &input).await.unwrap().id
}

async fn wait_drained(ingest: &canhgac_ingest::Ingest, expect_stored: u64) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let t = ingest.collector.metrics.totals();
        if t.stored + t.parse_errors + t.dropped >= expect_stored && ingest.collector.lag() == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "pipeline did not drain: {t:?}, lag {}",
            ingest.collector.lag()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_logs_over_http_and_syslog_become_alerts_of_the_right_unit() {
    let (Some(otrf), Some(rules), Some(eve), Some(zeek), Some(ipsum)) = (
        canhgac_testdata::otrf_json_files(),
        canhgac_testdata::require("sigma/rules/windows"),
        canhgac_testdata::require("logs/suricata-eve-small"),
        canhgac_testdata::require("logs/zeek-trickbot-2018-11/conn.log"),
        canhgac_testdata::require("ip-blocklists/ipsum/ipsum.txt"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_data_dir(dir.path()).await.unwrap();
    let admin = admin_of(&store).await;
    let a = unit(&store, &admin, "BVA").await;
    let b = unit(&store, &admin, "BVB").await;
    let (http_a, token) = store
        .create_event_source(&admin, a, "Winlogbeat BV A", SourceKind::Http, "")
        .await
        .unwrap();
    assert!(token.is_some());
    store
        .create_event_source(&admin, b, "Suricata BV B", SourceKind::Syslog, "127.0.0.0/8")
        .await
        .unwrap();
    let bytes = std::fs::read(&ipsum).unwrap();
    store
        .import_list(
            Some(&admin),
            &ListUpload {
                name: "IPsum".into(),
                source: "stamparm/ipsum".into(),
                kind: canhgac_ioc::ListKind::Feed,
                version: "2025-11".into(),
                file_name: "ipsum.txt".into(),
                bytes,
                mapping: None,
            },
        )
        .await
        .unwrap();
    let config = IngestConfig {
        syslog_udp: vec!["127.0.0.1:0".parse().unwrap()],
        syslog_tcp: vec!["127.0.0.1:0".parse().unwrap()],
        rules: vec![rules],
        ..Default::default()
    };
    let ingest = start(store.clone(), config).await.unwrap();
    assert!(ingest.detector.read().unwrap().rule_count() > 2000);

    // HTTP: the OTRF runs, file by file, as a shipper would send them.
    let mut sent = 0u64;
    for (name, text) in otrf {
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        for chunk in lines.chunks(5000) {
            let body = chunk.join("\n");
            let got = ingest.collector.submit_http(&http_a, &body).await.unwrap();
            assert!(
                got.rejected.is_empty(),
                "{name}: {:?}",
                &got.rejected[..got.rejected.len().min(3)]
            );
            sent += got.stored;
        }
    }
    assert_eq!(sent, 69_067, "every OTRF event is stored once");
    // HTTP: a Zeek TSV log, whole.
    let zeek_text = std::fs::read_to_string(&zeek).unwrap();
    let zeek_rows = zeek_text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .count() as u64;
    let got = ingest.collector.submit_http(&http_a, &zeek_text).await.unwrap();
    assert!(
        got.rejected.is_empty(),
        "{:?}",
        &got.rejected[..got.rejected.len().min(3)]
    );
    assert_eq!(got.stored, zeek_rows);

    // Syslog: Suricata EVE lines over UDP (first file) and TCP (the others), from 127.0.0.1 → unit B.
    let mut files: Vec<PathBuf> = std::fs::read_dir(&eve)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut syslog_lines = 0u64;
    let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut tcp = tokio::net::TcpStream::connect(ingest.syslog_tcp[0])
        .await
        .unwrap();
    for (i, f) in files.iter().enumerate() {
        let text = std::fs::read_to_string(f).unwrap();
        for line in text.lines().filter(|l| l.starts_with('{')) {
            let msg = format!("<14>1 2024-02-09T07:00:00Z ids-b suricata - - - {line}");
            if i == 0 {
                udp.send_to(msg.as_bytes(), ingest.syslog_udp[0]).await.unwrap();
                // Loopback UDP drops when flooded; a real sender paces too.
                tokio::time::sleep(Duration::from_micros(200)).await;
            } else {
                tcp.write_all(format!("{} {msg}", msg.len()).as_bytes())
                    .await
                    .unwrap();
            }
            syslog_lines += 1;
        }
    }
    tcp.shutdown().await.unwrap();
    wait_drained(&ingest, sent + zeek_rows + syslog_lines).await;
    let totals = ingest.collector.metrics.totals();
    assert_eq!(totals.received, sent + zeek_rows + syslog_lines, "{totals:?}");
    assert_eq!(totals.dropped, 0, "{totals:?}");

    // Unit B holds exactly the syslog events; A sees none of them.
    let b_events = store
        .search_events(
            &admin,
            &EventQuery {
                unit_id: Some(b.0),
                limit: 500,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(b_events.items.len() as u64, syslog_lines.min(500));
    assert!(b_events
        .items
        .iter()
        .all(|e| e.event.format == "eve" && e.event.unit_id == b));

    let all = |unit: UnitId| AlertQuery {
        unit_id: Some(unit.0),
        status: "all".into(),
        per_page: 500,
        ..Default::default()
    };
    let a_alerts = store.alerts(&admin, &all(a)).await.unwrap();
    let titles: Vec<&str> = a_alerts.items.iter().map(|x| x.title.as_str()).collect();
    eprintln!("unit A alerts: {}", a_alerts.total);
    for x in &a_alerts.items {
        eprintln!("  {} {} {} x{}", x.source, x.severity.as_str(), x.title, x.count);
    }
    // Each OTRF run is named after what it does; these SigmaHQ rules describe exactly that activity.
    for (run, title) in [
        (
            "auditpol_system_user_auditpolicy_modification",
            "Audit Policy Tampering Via Auditpol",
        ),
        ("cmd_mshta_vbscript_execute_psh", "Suspicious MSHTA Child Process"),
        ("cmd_bitsadmin_download_psh_script", "File Download Via Bitsadmin"),
        (
            "cmd_netsh_fw_mod_open_ports",
            "New Firewall Rule Added Via Netsh.EXE",
        ),
        ("empire_mimikatz_logonpasswords", "HackTool - Mimikatz Execution"),
    ] {
        assert!(
            titles.contains(&title),
            "{run}: {title} did not fire; got {titles:?}"
        );
    }
    assert!(a_alerts.items.iter().all(|x| x.unit_id == a));
    // Trickbot's traffic in the Zeek log reaches addresses IPsum lists (its C2 servers).
    assert!(titles.contains(&"IPsum: 181.113.17.230"), "{titles:?}");
    // Private addresses are on no public list's account: the warning list keeps them out.
    assert!(
        !titles.iter().any(|t| t.starts_with("IPsum: 10.")
            || t.starts_with("IPsum: 172.16.")
            || t.starts_with("IPsum: 192.168.")),
        "{titles:?}"
    );
    assert!(
        a_alerts
            .items
            .iter()
            .any(|x| x.source == "indicator" && x.rule_id == "ioc:IPsum"),
        "{titles:?}"
    );
    assert!(a_alerts.items.iter().any(|x| x.count > 1), "repeats are grouped");
    let b_alerts = store.alerts(&admin, &all(b)).await.unwrap();
    assert!(
        b_alerts
            .items
            .iter()
            .all(|x| x.source == "indicator" && x.unit_id == b),
        "EVE is not a Windows log: no Sigma rule applies"
    );
    assert!(b_alerts.items.iter().any(|x| x.title == "IPsum: 64.62.197.176"));
    eprintln!("unit B alerts: {}", b_alerts.total);
    for x in &b_alerts.items {
        eprintln!("  {} {} {} x{}", x.source, x.severity.as_str(), x.title, x.count);
    }
}

const PROCESS_RULES: &str = r"
title: Whoami run
id: 7a1f0c2e-0000-4000-8000-000000000001
level: high
logsource: {product: windows, category: process_creation}
detection: {sel: {Image|endswith: '\whoami.exe'}, condition: sel}
---
title: Net user run
id: 7a1f0c2e-0000-4000-8000-000000000002
level: medium
logsource: {product: windows, category: process_creation}
detection: {sel: {Image|endswith: '\net.exe'}, condition: sel}
";

const WRITTEN_RULE: &str = r"
title: Ipconfig run (written by unit A)
id: 7a1f0c2e-0000-4000-8000-00000000000a
level: low
logsource: {product: windows, category: process_creation}
detection: {sel: {Image|endswith: '\ipconfig.exe'}, condition: sel}
";

fn process_event(host: &str, image: &str, n: usize) -> String {
    serde_json::json!({
        "EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "Hostname": host,
        "TimeCreated": "2026-11-26 10:00:00.000", "Image": image, "CommandLine": format!("{image} {n}"),
    })
    .to_string()
}

/// Rules switched off per unit or for the network and rules a unit wrote decide what each unit is alerted to; a
/// change is taken up by a reload, without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rule_settings_and_written_rules_apply_per_unit() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("process.yml");
    std::fs::write(&rules, PROCESS_RULES).unwrap();
    let store = Store::open_data_dir(&dir.path().join("data")).await.unwrap();
    let admin = admin_of(&store).await;
    let (a, b) = (
        unit(&store, &admin, "BVA").await,
        unit(&store, &admin, "BVB").await,
    );
    let (src_a, _) = store
        .create_event_source(&admin, a, "A", SourceKind::Http, "")
        .await
        .unwrap();
    let (src_b, _) = store
        .create_event_source(&admin, b, "B", SourceKind::Http, "")
        .await
        .unwrap();
    let whoami = "7a1f0c2e-0000-4000-8000-000000000001";
    let net = "7a1f0c2e-0000-4000-8000-000000000002";
    store
        .set_rule_enabled(&admin, Some(b), whoami, false, "noisy at B")
        .await
        .unwrap();
    store
        .set_rule_enabled(&admin, None, net, false, "too broad")
        .await
        .unwrap();
    store
        .save_custom_rule(&admin, Some(a), "ipconfig", WRITTEN_RULE)
        .await
        .unwrap();
    let config = IngestConfig {
        rules: vec![rules],
        ..Default::default()
    };
    let ingest = start(store.clone(), config).await.unwrap();
    let images = [
        "C:\\Windows\\System32\\whoami.exe",
        "C:\\Windows\\System32\\net.exe",
        "C:\\Windows\\System32\\ipconfig.exe",
    ];
    let send = |round: usize| {
        let ingest = ingest.clone();
        let (src_a, src_b) = (src_a.clone(), src_b.clone());
        async move {
            for (src, host) in [(&src_a, "PC-A"), (&src_b, "PC-B")] {
                let body: Vec<String> = images.iter().map(|i| process_event(host, i, round)).collect();
                let got = ingest.collector.submit_http(src, &body.join("\n")).await.unwrap();
                assert_eq!((got.stored, got.rejected.len()), (3, 0), "{:?}", got.rejected);
            }
        }
    };
    let titles = |unit: UnitId| {
        let store = store.clone();
        async move {
            let q = AlertQuery {
                unit_id: Some(unit.0),
                ..Default::default()
            };
            let mut t: Vec<(String, i64)> = store
                .alerts(&admin, &q)
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|x| (x.title, x.count))
                .collect();
            t.sort();
            t
        }
    };
    send(1).await;
    wait_drained(&ingest, 6).await;
    assert_eq!(
        titles(a).await,
        vec![
            ("Ipconfig run (written by unit A)".into(), 1),
            ("Whoami run".into(), 1)
        ]
    );
    assert_eq!(
        titles(b).await,
        vec![],
        "whoami is off at B, net user everywhere, ipconfig is A's own"
    );

    // Net user switched on again for the network: taken up by a reload.
    store.set_rule_enabled(&admin, None, net, true, "").await.unwrap();
    ingest.reload().await.unwrap();
    send(2).await;
    wait_drained(&ingest, 12).await;
    assert!(titles(a).await.contains(&("Net user run".into(), 1)));
    assert_eq!(titles(b).await, vec![("Net user run".into(), 1)]);
}
