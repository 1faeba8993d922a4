//! The endpoint agent end to end: a real `canhgac serve` and two `canhgac agent run` processes, each describing its
//! own machine (a root file system laid out in a temporary folder) and following its own log file. Both enroll with
//! one-time tokens created through the API, their inventories become the unit's two assets (a restart and a
//! re-sent inventory add none), appended lines arrive as events; the server is killed, lines keep being appended,
//! the server comes back on the same address: every line is stored exactly once. Then the idle agent's CPU and
//! resident memory are measured from `/proc` over 30 seconds.

mod support;

use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::agents::{agent_token, client, get, new_unit, wait_for, Machine};

/// Every stored event of `unit`: original text → how many times it is stored.
fn stored_lines(c: &reqwest::blocking::Client, url: &str, token: &str, unit: i64) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    let mut before: Option<i64> = None;
    loop {
        let mut uri = format!("{url}/api/v1/events?unit_id={unit}&limit=500");
        if let Some(b) = before {
            uri.push_str(&format!("&before={b}"));
        }
        let page = get(c, &uri, token);
        for e in page["items"].as_array().unwrap() {
            // The agent sends each line as an RFC 5424 message from its host, the file's path in structured data.
            let original = e["original"].as_str().unwrap();
            let line = original.split_once("\"] ").map_or(original, |(_, line)| line);
            *out.entry(line.to_string()).or_default() += 1;
        }
        match page["next"].as_i64() {
            Some(b) => before = Some(b),
            None => return out,
        }
    }
}

fn expected(m: &Machine, n: usize) -> Vec<String> {
    (0..n).map(|i| m.line(i)).collect()
}

fn assert_exactly_once(stored: &HashMap<String, usize>, machines: &[&Machine], n: usize) {
    for m in machines {
        for line in expected(m, n) {
            assert_eq!(stored.get(&line).copied(), Some(1), "stored once: {line}");
        }
    }
    assert_eq!(stored.len(), machines.len() * n, "nothing else stored");
}

/// CPU seconds (user + system) and resident memory of a process, from `/proc`.
fn cpu_and_rss(pid: u32) -> (f64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of stat (utime, stime) are at 11 and 12 after the name.
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let rss_kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    (ticks as f64 / 100.0, rss_kb)
}

#[test]
fn two_agents_enroll_report_and_deliver_every_line_once_across_a_server_outage() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let listen = support::free_loopback();
    let mut server = support::start_on(&data, &listen, &[]);
    let url = server.url.clone();
    let c = client(30);
    let admin = support::token_for_admin(&c, &url, server.password.as_deref().unwrap());
    let unit_id = new_unit(&c, &url, &admin, "BVE2E", "Bệnh viện E2E");
    let new_token = || agent_token(&c, &url, &admin, unit_id);

    let mut m1 = Machine::new(dir.path(), "ws-e2e-1", "02:00:00:00:e2:01");
    let mut m2 = Machine::new(dir.path(), "ws-e2e-2", "02:00:00:00:e2:02");
    let t1 = new_token();
    let out = m1.enroll_with(&url, &t1, &[]);
    assert!(
        out.status.success(),
        "enroll 1: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = m2.enroll_with(&url, &new_token(), &[]);
    assert!(
        out.status.success(),
        "enroll 2: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A one-time token enrolls once.
    let again = Machine::new(dir.path(), "ws-e2e-3", "02:00:00:00:e2:03");
    let out = again.enroll_with(&url, &t1, &[]);
    assert!(!out.status.success(), "a used token was accepted again");
    assert!(String::from_utf8_lossy(&out.stderr).contains("401"));

    m1.start_following();
    m2.start_following();
    let assets_of_unit = || -> Vec<Value> {
        get(
            &c,
            &format!("{url}/api/v1/assets?unit_id={unit_id}&status=all"),
            &admin,
        )["items"]
            .as_array()
            .unwrap()
            .clone()
    };
    wait_for("both inventories", 60, || assets_of_unit().len() == 2);
    let mut hosts: Vec<String> = assets_of_unit()
        .iter()
        .map(|a| a["hostname"].as_str().unwrap().to_string())
        .collect();
    hosts.sort();
    assert_eq!(hosts, ["ws-e2e-1", "ws-e2e-2"]);
    let macs: Vec<String> = assets_of_unit()
        .iter()
        .map(|a| a["mac"].as_str().unwrap().to_string())
        .collect();
    assert!(macs.contains(&"02:00:00:00:e2:01".to_string()), "{macs:?}");
    let agents = get(&c, &format!("{url}/api/v1/agents"), &admin);
    let agents = agents.as_array().unwrap();
    assert_eq!(agents.len(), 2);
    assert!(agents
        .iter()
        .all(|a| a["online"] == true && a["asset_id"].is_i64()));

    // Lines arrive as events of the unit.
    m1.append(0, 100);
    m2.append(0, 100);
    wait_for("the first 200 lines", 60, || {
        stored_lines(&c, &url, &admin, unit_id).len() == 200
    });
    assert_exactly_once(&stored_lines(&c, &url, &admin, unit_id), &[&m1, &m2], 100);

    // The server goes away; the agents keep reading into their spools.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    m1.append(100, 250);
    m2.append(100, 250);
    std::thread::sleep(Duration::from_secs(3));
    // One agent is also restarted while the server is down: it resumes from its checkpoint.
    m1.stop();
    m1.append(250, 300);
    m1.start_following();
    m2.append(250, 300);
    std::thread::sleep(Duration::from_secs(2));
    let server = support::start_on(&data, &listen, &[]);
    assert_eq!(server.url, url);
    wait_for("every line after the outage", 120, || {
        stored_lines(&c, &url, &admin, unit_id).len() == 600
    });
    // A little longer: nothing is re-sent twice.
    std::thread::sleep(Duration::from_secs(2));
    assert_exactly_once(&stored_lines(&c, &url, &admin, unit_id), &[&m1, &m2], 300);
    // The restarted agent sent its inventory again: still two assets.
    assert_eq!(assets_of_unit().len(), 2, "no duplicate asset");

    // Idle footprint of an agent following a file, over 30 seconds.
    let pid = m2.agent.as_ref().unwrap().id();
    let (cpu0, _) = cpu_and_rss(pid);
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_secs(30));
    let (cpu1, rss_kb) = cpu_and_rss(pid);
    let wall = t0.elapsed().as_secs_f64();
    let cpu_pct = (cpu1 - cpu0) / wall * 100.0;
    println!(
        "agent idle footprint: CPU {cpu_pct:.2}% over {wall:.0} s (poll 200 ms), RSS {:.1} MB",
        rss_kb as f64 / 1024.0
    );
    assert!(cpu_pct < 1.0, "idle CPU {cpu_pct:.2}%");
    assert!(rss_kb < 50 * 1024, "RSS {rss_kb} kB");
    drop(server);
}

/// Over HTTPS the agent trusts only what it is told to: a server with a self-signed certificate is refused until
/// the certificate is given with `--ca`; then enrollment and the inventory go through. Plain http to another
/// machine is refused before anything is sent.
#[test]
fn https_with_the_given_certificate_only() {
    let dir = tempfile::tempdir().unwrap();
    let key =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, key.cert.pem()).unwrap();
    std::fs::write(&key_path, key.key_pair.serialize_pem()).unwrap();
    let server = support::start_with(
        &dir.path().join("data"),
        &[
            "--tls-cert",
            cert_path.to_str().unwrap(),
            "--tls-key",
            key_path.to_str().unwrap(),
        ],
    );
    let url = server.url.clone();
    assert!(url.starts_with("https://"), "{url}");
    let c = reqwest::blocking::Client::builder()
        .cookie_store(true)
        .add_root_certificate(reqwest::Certificate::from_pem(key.cert.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let admin = support::token_for_admin(&c, &url, server.password.as_deref().unwrap());
    let r: Value = c
        .post(format!("{url}/api/v1/agents/tokens"))
        .bearer_auth(&admin)
        .json(&json!({"label": "tls"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let token = r["token"].as_str().unwrap().to_string();

    let mut m = Machine::new(dir.path(), "srv-tls", "02:00:00:00:7e:01");
    let out = m.enroll_with(&url, &token, &[]);
    assert!(!out.status.success(), "an untrusted certificate was accepted");
    let err = String::from_utf8_lossy(&out.stderr).to_lowercase();
    assert!(
        err.contains("certificate") || err.contains("cannot reach"),
        "{err}"
    );
    let out = m.enroll_with("http://192.0.2.1:8080", &token, &[]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("https://"));

    let out = m.enroll_with(&url, &token, &["--ca", cert_path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    m.start(&[], false);
    wait_for("the inventory over HTTPS", 60, || {
        get(&c, &format!("{url}/api/v1/assets?q=srv-tls"), &admin)["total"] == 1
    });
    m.stop();
}

/// `--pin sha256:HEX` instead of `--ca`: a wrong fingerprint is refused naming both, the right one enrolls, is kept
/// in the state, and the running agent delivers its inventory through it.
#[test]
fn https_with_a_pinned_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let key =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, key.cert.pem()).unwrap();
    std::fs::write(&key_path, key.key_pair.serialize_pem()).unwrap();
    // The fingerprint as an operator computes it: SHA-256 of the certificate's DER bytes.
    let der_path = dir.path().join("cert.der");
    std::fs::write(&der_path, key.cert.der()).unwrap();
    let sum = Command::new("sha256sum").arg(&der_path).output().unwrap();
    let hex = String::from_utf8_lossy(&sum.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    assert_eq!(hex.len(), 64);
    let pin = format!("sha256:{hex}");
    let last = if hex.ends_with('0') { '1' } else { '0' };
    let wrong = format!("sha256:{}{last}", &hex[..63]);

    let server = support::start_with(
        &dir.path().join("data"),
        &[
            "--tls-cert",
            cert_path.to_str().unwrap(),
            "--tls-key",
            key_path.to_str().unwrap(),
        ],
    );
    let url = server.url.clone();
    let c = reqwest::blocking::Client::builder()
        .cookie_store(true)
        .add_root_certificate(reqwest::Certificate::from_pem(key.cert.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let admin = support::token_for_admin(&c, &url, server.password.as_deref().unwrap());
    let r: Value = c
        .post(format!("{url}/api/v1/agents/tokens"))
        .bearer_auth(&admin)
        .json(&json!({"label": "pin"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let token = r["token"].as_str().unwrap().to_string();
    let mut m = Machine::new(dir.path(), "srv-pin", "02:00:00:00:7e:02");
    let enroll = |pin: &str| m.enroll_with(&url, &token, &["--pin", pin]);

    let out = enroll(&wrong);
    assert!(!out.status.success(), "a wrong pin was accepted");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "the server's certificate is {pin}, not the pinned {wrong}"
        )),
        "{err}"
    );
    assert!(!m.state.join("state.json").exists());

    let out = enroll(&pin.to_uppercase().replace("SHA256:", "sha256:"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let state: Value = serde_json::from_slice(&std::fs::read(m.state.join("state.json")).unwrap()).unwrap();
    assert_eq!(state["pin"], pin.as_str());
    assert!(state["ca_file"].is_null());
    m.start(&[], false);
    wait_for("the inventory over the pinned connection", 60, || {
        get(&c, &format!("{url}/api/v1/assets?q=srv-pin"), &admin)["total"] == 1
    });
    m.stop();
}
