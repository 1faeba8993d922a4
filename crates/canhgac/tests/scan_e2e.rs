//! Central scanning end to end: a real `canhgac serve` and two `canhgac agent run` processes, each describing its
//! own machine (a root file system in a temporary folder). A corrupt rule set upload is refused; the community YARA
//! rules (some of whose files do not compile) are refused with file and line, then published without the failing
//! files, together with a hash list of a real signature-base line and a line for a file planted here. One scan task
//! per agent finds the EICAR test file (assembled here, never stored) by the real rule `MALW_Eicar.yar` and the
//! planted file by its hash; one agent cannot read one of its files (its process runs without the capability to
//! override file permissions): reported, and the scan goes on. The files found reach the API and the console as
//! detections and alerts, and the coverage numbers equal those computed here from the tasks and assets. Then EICAR
//! is quarantined on one machine by the API (gone from its disk, the detection quarantined) and restored (the same
//! bytes, mode and modification time).

mod support;

use std::io::Write as _;
use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};
use support::agents::{agent_token, client, new_unit, wait_for, Machine};

fn eicar(facts: &Path) -> Vec<u8> {
    let text = std::fs::read_to_string(facts).unwrap();
    let cell = |label: &str| -> String {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("| {label}")))
            .unwrap();
        let cell = line.split(" | ").nth(1).unwrap();
        cell.trim()
            .trim_end_matches('|')
            .trim()
            .trim_matches('`')
            .to_string()
    };
    let bytes = format!("{}{}", cell("half 1"), cell("half 2")).into_bytes();
    assert_eq!(bytes.len(), 68, "the EICAR string is 68 bytes");
    bytes
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Every `.yar` under `dir` (index files, which only include others, left out) as zip members named by their path.
fn zip_rules(dir: &Path, extra: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yar")
                && !p.file_name().unwrap().to_string_lossy().contains("index")
            {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default();
        for f in &files {
            let name = f.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            z.start_file(name, opts).unwrap();
            z.write_all(&std::fs::read(f).unwrap()).unwrap();
        }
        for (name, bytes) in extra {
            z.start_file(*name, opts).unwrap();
            z.write_all(bytes).unwrap();
        }
        z.finish().unwrap();
    }
    out.into_inner()
}

#[test]
fn two_agents_scan_with_central_rules_and_the_coverage_adds_up() {
    let (Some(community), Some(facts), Some(iocs)) = (
        canhgac_testdata::require("yara/yara-rules-community"),
        canhgac_testdata::require("eicar/EICAR_FACTS.md"),
        canhgac_testdata::require("yara/signature-base/iocs/hash-iocs.txt"),
    ) else {
        return;
    };
    // As root, a file of mode 000 is readable unless the agent runs without the capabilities to override that.
    let root_user = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"));
    let confine = root_user && Command::new("setpriv").arg("--version").output().is_ok();

    let dir = tempfile::tempdir().unwrap();
    let server = support::start_with(&dir.path().join("data"), &[]);
    let url = server.url.clone();
    let c = client(120);
    let admin = support::token_for_admin(&c, &url, server.password.as_deref().unwrap());
    let get = |path: &str| -> Value {
        c.get(format!("{url}{path}"))
            .bearer_auth(&admin)
            .send()
            .unwrap()
            .json()
            .unwrap()
    };
    let unit_id = new_unit(&c, &url, &admin, "BVSCAN", "Bệnh viện Quét");

    // A corrupt bundle is refused on upload; nothing is published.
    let upload = |query: &str, body: Vec<u8>| {
        c.post(format!("{url}/api/v1/scan/rulesets?{query}"))
            .bearer_auth(&admin)
            .body(body)
            .send()
            .unwrap()
    };
    let mut corrupt = zip_rules(&community.join("malware"), &[]);
    corrupt.truncate(corrupt.len() / 3);
    let r = upload("file=rules.zip&network=true", corrupt);
    assert_eq!(r.status(), 422);
    assert_eq!(r.json::<Value>().unwrap()["error"]["code"], "bad_upload");
    assert_eq!(get("/api/v1/scan/rulesets").as_array().unwrap().len(), 0);

    // The community rules with a hash list: some files fail (file, line, reason) and the upload is refused …
    let eicar = eicar(&facts);
    let payload = b"planted payload for the hash list: not malware, just these bytes\n".to_vec();
    let real_line = std::fs::read_to_string(&iocs)
        .unwrap()
        .lines()
        .find(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .unwrap()
        .to_string();
    let hashes = format!(
        "# test list\n{real_line}\n{};planted test payload\n",
        sha256(&payload)
    );
    let bundle = zip_rules(&community, &[("hashes.txt", hashes.into_bytes())]);
    let r = upload("file=community.zip&network=true", bundle.clone());
    assert_eq!(r.status(), 422);
    let refused: Value = r.json().unwrap();
    assert_eq!(refused["error"]["code"], "ruleset_failures");
    let failures: Vec<String> = refused["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["value"].as_str().unwrap().to_string())
        .collect();
    assert!(!failures.is_empty());
    for f in &failures {
        // `path:line: error[Ennn]: reason`, the line counted from 1.
        let mut parts = f.splitn(3, ':');
        let (file, line) = (parts.next().unwrap(), parts.next().unwrap());
        assert!(
            file.ends_with(".yar") && line.parse::<usize>().unwrap() > 0,
            "{f}"
        );
        assert!(f.contains("error[E"), "{f}");
    }
    assert_eq!(
        get("/api/v1/scan/rulesets").as_array().unwrap().len(),
        0,
        "previous state kept"
    );
    // … unless published without the failing files, which the version records.
    let r = upload(
        "file=community.zip&network=true&publish_partial=true&note=e2e",
        bundle,
    );
    assert_eq!(r.status(), 201);
    let published: Value = r.json().unwrap();
    let version = &published["version"];
    assert_eq!(version["version"], 1);
    assert_eq!(version["left_out"].as_array().unwrap().len(), failures.len());
    assert_eq!(version["hash_entries"], 2);
    assert!(version["yara_rules"].as_i64().unwrap() > 1000, "{version}");
    assert_eq!(version["sha256"].as_str().unwrap().len(), 64);

    // Two machines: one holds the EICAR file, the planted payload and a file nobody may read; the other EICAR.
    let mut m1 = Machine::new(dir.path(), "srv-scan-1", "02:00:00:00:5c:01");
    let mut m2 = Machine::new(dir.path(), "srv-scan-2", "02:00:00:00:5c:02");
    m1.plant("tmp/eicar.com", &eicar);
    m1.plant("home/ops/payload.bin", &payload);
    let secret = m1.plant("root/secret.bin", b"nobody may read this");
    m2.plant("var/tmp/eicar.com", &eicar);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
        std::fs::set_permissions(
            m1.root.join("tmp/eicar.com"),
            std::fs::Permissions::from_mode(0o640),
        )
        .unwrap();
    }
    for m in [&m1, &m2] {
        m.enroll(&url, &agent_token(&c, &url, &admin, unit_id));
    }
    m1.start(&["--task-secs", "1"], confine);
    m2.start(&["--task-secs", "1"], false);
    // A workstation without an agent: never scanned.
    let r = c
        .post(format!("{url}/api/v1/assets"))
        .bearer_auth(&admin)
        .json(&json!({"unit_id": unit_id, "hostname": "ws-no-agent", "kind": "workstation", "criticality": "medium"}))
        .send()
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().unwrap());
    let assets = || {
        get(&format!("/api/v1/assets?unit_id={unit_id}&status=all"))["items"]
            .as_array()
            .unwrap()
            .clone()
    };
    wait_for("both inventories", 60, || assets().len() == 3);
    let asset_of = |host: &str| -> i64 {
        assets().iter().find(|a| a["hostname"] == host).unwrap()["id"]
            .as_i64()
            .unwrap()
    };

    // One task per agent: a full scan of m1, a quick scan of m2.
    for (m, profile) in [(&m1, "full"), (&m2, "quick")] {
        let r: Value = c
            .post(format!("{url}/api/v1/scan/tasks"))
            .bearer_auth(&admin)
            .json(&json!({"unit_id": unit_id, "target": "host", "asset_id": asset_of(&m.host), "profile": profile}))
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(r["created"].as_array().map(Vec::len), Some(1), "{r}");
    }
    let tasks = || {
        get(&format!("/api/v1/scan/tasks?unit_id={unit_id}"))
            .as_array()
            .unwrap()
            .clone()
    };
    wait_for("both scans to finish", 180, || {
        tasks()
            .iter()
            .all(|t| t["state"] == "done" || t["state"] == "failed")
    });
    let tasks = tasks();
    for t in &tasks {
        assert_eq!(t["state"], "done", "{t}");
        assert_eq!(t["bundle_digest"].as_str().unwrap().len(), 64);
        assert!(t["bundle_error"] == "", "{t}");
        // The full scan walks the whole machine, the quick one its common locations (here /var/tmp alone).
        let least = if t["profile"] == "full" { 10 } else { 1 };
        assert!(t["scanned"].as_i64().unwrap() >= least, "{t}");
    }
    let t1 = tasks.iter().find(|t| t["hostname"] == "srv-scan-1").unwrap();
    if confine {
        let problems = t1["problems"].as_array().unwrap();
        assert!(
            problems
                .iter()
                .any(|p| p["path"].as_str().unwrap().ends_with("root/secret.bin")
                    && p["reason"].as_str().unwrap().contains("unreadable")),
            "the unreadable file is reported: {problems:?}"
        );
    } else {
        eprintln!("skipped the unreadable-file check: no way to confine the agent here");
    }

    // Detections: EICAR by the community rule on both, the payload by its hash on m1 — with the file's metadata.
    let dets = get(&format!("/api/v1/scan/detections?unit_id={unit_id}"));
    let dets = dets.as_array().unwrap();
    let has = |host: &str, suffix: &str, rule: &str| {
        dets.iter().find(|d| {
            d["hostname"] == host && d["path"].as_str().unwrap().ends_with(suffix) && d["rule"] == rule
        })
    };
    let e1 = has("srv-scan-1", "tmp/eicar.com", "scan/eicar")
        .unwrap_or_else(|| panic!("EICAR on m1 by MALW_Eicar.yar: {dets:?}"));
    assert_eq!(e1["sha256"], sha256(&eicar));
    assert_eq!(e1["size"], eicar.len());
    assert_eq!(e1["mode"], 0o640);
    assert!(e1["mtime"].as_i64().unwrap() > 1_600_000_000_000);
    assert!(
        has("srv-scan-2", "var/tmp/eicar.com", "scan/eicar").is_some(),
        "EICAR on m2: {dets:?}"
    );
    let p = has("srv-scan-1", "home/ops/payload.bin", "scan/hash:hashes.txt").expect("payload by hash");
    assert_eq!(p["sha256"], sha256(&payload));
    // Each is an alert in the queue.
    let alerts = get(&format!("/api/v1/alerts?unit_id={unit_id}"));
    let alert_rules: Vec<&str> = alerts["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["rule_id"].as_str())
        .collect();
    assert!(
        alert_rules.contains(&"scan/eicar") && alert_rules.contains(&"scan/hash:hashes.txt"),
        "{alert_rules:?}"
    );
    // And the console shows them (after the administrator replaced the one-time password).
    let account = c.get(format!("{url}/account")).send().unwrap().text().unwrap();
    let csrf = account
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let pw = server.password.clone().unwrap();
    let r = c
        .post(format!("{url}/account/password"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("current", pw.as_str()),
            ("new", "scan test secret 1"),
            ("confirm", "scan test secret 1"),
        ])
        .send()
        .unwrap();
    assert!(r.status().is_success(), "password change: {}", r.status());
    let page = c
        .get(format!("{url}/scan/detections"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        // `/` is written `&#x2f;` by the template's escaping.
        page.contains("payload.bin") && page.contains("hash:hashes.txt") && page.contains("eicar.com"),
        "detections page: {}",
        &page[..page.len().min(400)]
    );

    // Coverage, computed here: servers with a done full scan in the last 7 days; machines never scanned.
    let week_ago = chrono_ms() - 7 * 86_400_000;
    let assets = assets();
    let full_done: Vec<i64> = tasks
        .iter()
        .filter(|t| {
            t["profile"] == "full" && t["state"] == "done" && t["finished_at"].as_i64().unwrap() >= week_ago
        })
        .filter_map(|t| t["asset_id"].as_i64())
        .collect();
    let scanned: Vec<i64> = tasks.iter().filter_map(|t| t["asset_id"].as_i64()).collect();
    let count = |kind: &str, covered: bool| {
        assets
            .iter()
            .filter(|a| a["kind"] == kind)
            .filter(|a| !covered || full_done.contains(&a["id"].as_i64().unwrap()))
            .count() as i64
    };
    let never: Vec<String> = assets
        .iter()
        .filter(|a| !scanned.contains(&a["id"].as_i64().unwrap()))
        .map(|a| a["hostname"].as_str().unwrap().to_string())
        .collect();
    let cov = get(&format!("/api/v1/scan/coverage?unit_id={unit_id}&days=7"));
    let u = &cov["units"][0];
    assert_eq!(u["servers"], count("server", false));
    assert_eq!(u["servers_covered"], count("server", true));
    assert_eq!(u["workstations"], count("workstation", false));
    assert_eq!(u["workstations_covered"], count("workstation", true));
    let pct = 100.0 * count("server", true) as f64 / count("server", false) as f64;
    assert_eq!(u["servers_pct"].as_f64().unwrap(), (pct * 10.0).round() / 10.0);
    let api_never: Vec<&str> = u["never_scanned"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["hostname"].as_str().unwrap())
        .collect();
    assert_eq!(api_never, never);
    let open: Vec<&str> = u["open_detections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["hostname"].as_str().unwrap())
        .collect();
    assert_eq!(open, ["srv-scan-1", "srv-scan-2"]);
    // Here that is one server of two and no workstation of one.
    assert_eq!(
        (
            count("server", true),
            count("server", false),
            count("workstation", false)
        ),
        (1, 2, 1)
    );
    let page = c
        .get(format!("{url}/scan/coverage?days=7"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        page.contains("1/2 (50.0 %)") && page.contains("ws-no-agent"),
        "coverage page"
    );

    // Quarantine EICAR on m1 by the API: the file leaves the disk and the detection shows quarantined; restore
    // gives it back byte-identical with its mode and modification time.
    let on_disk = m1.root.join("tmp/eicar.com");
    let before = std::fs::metadata(&on_disk).unwrap();
    let e1_id = e1["id"].as_i64().unwrap();
    let detection = |id: i64| -> Value {
        get(&format!("/api/v1/scan/detections?unit_id={unit_id}"))
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == id)
            .unwrap()
            .clone()
    };
    let act = |action: &str| -> Value {
        let r = c
            .post(format!("{url}/api/v1/scan/detections/{e1_id}/{action}"))
            .bearer_auth(&admin)
            .send()
            .unwrap();
        assert_eq!(r.status(), 201, "{action}");
        r.json().unwrap()
    };
    let task_state = |id: i64| -> Value {
        get(&format!("/api/v1/scan/tasks?unit_id={unit_id}"))
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            .unwrap()
            .clone()
    };
    let q = act("quarantine");
    assert_eq!(
        (q["kind"].as_str(), q["detection_id"].as_i64()),
        (Some("quarantine"), Some(e1_id))
    );
    let q_id = q["id"].as_i64().unwrap();
    wait_for("the quarantine task", 60, || {
        let t = task_state(q_id);
        t["state"] == "done" || t["state"] == "failed"
    });
    let t = task_state(q_id);
    assert_eq!(t["state"], "done", "{t}");
    let entry = t["action"]["entry"].as_str().unwrap().to_string();
    assert_eq!(t["action"]["sha256"], sha256(&eicar));
    assert!(!on_disk.exists(), "the EICAR file left the disk");
    assert!(m1.state.join("quarantine").join(format!("{entry}.bin")).exists());
    assert_eq!(detection(e1_id)["state"], "quarantined");
    // A second quarantine is refused while the file is quarantined.
    let r = c
        .post(format!("{url}/api/v1/scan/detections/{e1_id}/quarantine"))
        .bearer_auth(&admin)
        .send()
        .unwrap();
    assert_eq!(r.status(), 422);

    let r_task = act("restore");
    let r_id = r_task["id"].as_i64().unwrap();
    wait_for("the restore task", 60, || {
        let t = task_state(r_id);
        t["state"] == "done" || t["state"] == "failed"
    });
    let t = task_state(r_id);
    assert_eq!(t["state"], "done", "{t}");
    assert_eq!(t["action"]["entry"], entry.as_str());
    let back = std::fs::read(&on_disk).unwrap();
    assert_eq!(sha256(&back), sha256(&eicar), "byte-identical");
    let after = std::fs::metadata(&on_disk).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(after.permissions().mode() & 0o7777, 0o640);
    }
    assert_eq!(after.modified().unwrap(), before.modified().unwrap());
    assert_eq!(detection(e1_id)["state"], "restored");
    drop(server);
}

fn chrono_ms() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

/// A scan result survives a real outage: the agent (talking to the server through a loopback relay that can hold
/// one request) takes a quick scan task and scans; its result is held on the way, the server is killed (`kill -9`)
/// and the held connection dropped, so the result stays in the agent's disk spool; the agent itself is restarted
/// during the outage; the server comes back on the same data folder and port and the result arrives: exactly the
/// expected two detections, recorded once, and the same result posted again is answered as a repeat that adds
/// nothing. (Log lines written during an outage are delivered once: `agent_e2e`.)
#[test]
fn a_scan_result_spooled_through_a_server_outage_arrives_once() {
    let (Some(eicar_rule), Some(facts)) = (
        canhgac_testdata::require("yara/yara-rules-community/malware/MALW_Eicar.yar"),
        canhgac_testdata::require("eicar/EICAR_FACTS.md"),
    ) else {
        return;
    };
    let began = std::time::Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let listen = support::free_loopback();
    let mut server = support::start_on(&data, &listen, &[]);
    let url = server.url.clone();
    let relay = support::relay::Relay::start(&listen);
    let c = client(30);
    let admin = support::token_for_admin(&c, &url, server.password.as_deref().unwrap());
    let get = |path: &str| -> Value { support::agents::get(&c, &format!("{url}{path}"), &admin) };
    let unit_id = new_unit(&c, &url, &admin, "BVOUT", "Bệnh viện Mất điện");

    // The real EICAR rule and a hash list with a line for a planted file.
    let eicar = eicar(&facts);
    let payload = b"planted payload for the outage test: not malware, just these bytes\n".to_vec();
    let empty = dir.path().join("no-rules");
    std::fs::create_dir_all(&empty).unwrap();
    let bundle = zip_rules(
        &empty,
        &[
            ("MALW_Eicar.yar", std::fs::read(&eicar_rule).unwrap()),
            (
                "hashes.txt",
                format!("{};planted test payload\n", sha256(&payload)).into_bytes(),
            ),
        ],
    );
    let r = c
        .post(format!("{url}/api/v1/scan/rulesets?file=outage.zip&network=true"))
        .bearer_auth(&admin)
        .body(bundle)
        .send()
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());

    let mut m = Machine::new(dir.path(), "srv-outage", "02:00:00:00:0f:01");
    m.plant("tmp/eicar.com", &eicar);
    m.plant("home/ops/Downloads/payload.bin", &payload);
    m.enroll(&relay.url, &agent_token(&c, &url, &admin, unit_id));
    let agent_args = ["--task-secs", "1"];
    m.start(&agent_args, false);
    wait_for("the inventory", 30, || {
        get(&format!("/api/v1/assets?unit_id={unit_id}"))["total"] == 1
    });
    let asset = get(&format!("/api/v1/assets?unit_id={unit_id}"))["items"][0]["id"].clone();

    relay.hold("/result HTTP/1.1");
    let r: Value = c
        .post(format!("{url}/api/v1/scan/tasks"))
        .bearer_auth(&admin)
        .json(&json!({"unit_id": unit_id, "target": "host", "asset_id": asset, "profile": "quick"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let task_id = r["created"][0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("task: {r}"));
    let task = || -> Value {
        get(&format!("/api/v1/scan/tasks?unit_id={unit_id}"))
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == task_id)
            .unwrap()
            .clone()
    };
    let root = m.root.to_str().unwrap().to_string();
    let detections = || -> Vec<(String, String)> {
        let mut d: Vec<(String, String)> = get(&format!("/api/v1/scan/detections?unit_id={unit_id}"))
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                let path = d["path"].as_str().unwrap();
                let rel = path.strip_prefix(root.as_str()).unwrap_or(path);
                (rel.to_string(), d["rule"].as_str().unwrap().to_string())
            })
            .collect();
        d.sort();
        d
    };

    // The agent took the task and scanned; its result is on the way when the server dies.
    relay.wait_held(30);
    assert_eq!(task()["state"], "running");
    assert!(detections().is_empty());
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    relay.release();
    // The agent retries into the void, and is restarted meanwhile: the result waits in its spool on disk.
    std::thread::sleep(std::time::Duration::from_secs(2));
    m.stop();
    m.start(&agent_args, false);
    std::thread::sleep(std::time::Duration::from_secs(1));

    let server = support::start_on(&data, &listen, &[]);
    assert_eq!(server.url, url);
    wait_for("the result after the outage", 30, || task()["state"] == "done");
    let expected = vec![
        (
            "/home/ops/Downloads/payload.bin".to_string(),
            "scan/hash:hashes.txt".to_string(),
        ),
        ("/tmp/eicar.com".to_string(), "scan/eicar".to_string()),
    ];
    assert_eq!(detections(), expected);
    let t = task();
    assert_eq!(t["found"], 2, "{t}");
    // A little longer: nothing arrives twice.
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(detections(), expected);
    let alerts = get(&format!("/api/v1/alerts?unit_id={unit_id}"));
    let scan_alerts = alerts["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["rule_id"].as_str().unwrap_or_default().starts_with("scan/"))
        .count();
    assert_eq!(scan_alerts, 2, "{alerts}");

    // The same result delivered again (as after a lost answer) is a repeat: recorded once, nothing added.
    let state: Value = serde_json::from_slice(&std::fs::read(m.state.join("state.json")).unwrap()).unwrap();
    let credential = state["credential"].as_str().unwrap();
    let again = json!({
        "task_id": task_id,
        "outcome": "done",
        "scanned": t["scanned"],
        "found": [
            {"path": m.root.join("tmp/eicar.com"), "sha256": sha256(&eicar), "size": eicar.len(),
             "mtime": null, "mode": null, "rules": ["department/v1/MALW_Eicar.yar:eicar"], "hash_lists": []},
            {"path": m.root.join("home/ops/Downloads/payload.bin"), "sha256": sha256(&payload),
             "size": payload.len(), "mtime": null, "mode": null, "rules": [],
             "hash_lists": ["department/v1/hashes.txt"]},
        ],
    });
    let r = c
        .post(format!("{url}/api/v1/agent/scan/tasks/{task_id}/result"))
        .bearer_auth(credential)
        .json(&again)
        .send()
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let recorded: Value = r.json().unwrap();
    assert_eq!(
        (recorded["repeated"].as_bool(), recorded["detections"].as_i64()),
        (Some(true), Some(2)),
        "{recorded}"
    );
    assert_eq!(detections(), expected);
    let elapsed = began.elapsed();
    println!("scan result through an outage: {:.1} s", elapsed.as_secs_f64());
    assert!(elapsed.as_secs() < 60, "took {elapsed:?}");
    drop(server);
}
