//! `canhgac scan` end to end: the EICAR test file (assembled here from the facts file, never stored) found by a
//! YARA rule and by a hash list, inside a zip too; exit status 0 clean, 1 found, 2 error; JSONL fields.

use std::path::Path;
use std::process::{Command, Output};

fn eicar() -> Option<Vec<u8>> {
    let facts = canhgac_testdata::require("eicar/EICAR_FACTS.md")?;
    let text = std::fs::read_to_string(facts).ok()?;
    let cell = |label: &str| -> Option<String> {
        let line = text.lines().find(|l| l.starts_with(&format!("| {label}")))?;
        Some(
            line.split(" | ")
                .nth(1)?
                .trim()
                .trim_end_matches('|')
                .trim()
                .trim_matches('`')
                .to_string(),
        )
    };
    Some(format!("{}{}", cell("half 1")?, cell("half 2")?).into_bytes())
}

fn scan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_canhgac"))
        .arg("scan")
        .args(args)
        .output()
        .expect("running canhgac scan")
}

fn write_zip(path: &Path, name: &str, content: &[u8]) {
    // A stored (uncompressed) single-member zip, written by hand to keep the test free of extra crates.
    let crc = crc32(content);
    let n = u16::try_from(name.len()).expect("short name");
    let size = u32::try_from(content.len()).expect("small");
    let mut z = Vec::new();
    z.extend_from_slice(b"PK\x03\x04\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00");
    z.extend_from_slice(&crc.to_le_bytes());
    z.extend_from_slice(&size.to_le_bytes());
    z.extend_from_slice(&size.to_le_bytes());
    z.extend_from_slice(&n.to_le_bytes());
    z.extend_from_slice(&0u16.to_le_bytes());
    z.extend_from_slice(name.as_bytes());
    z.extend_from_slice(content);
    let cd_offset = u32::try_from(z.len()).expect("small");
    z.extend_from_slice(b"PK\x01\x02\x14\x00\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00");
    z.extend_from_slice(&crc.to_le_bytes());
    z.extend_from_slice(&size.to_le_bytes());
    z.extend_from_slice(&size.to_le_bytes());
    z.extend_from_slice(&n.to_le_bytes());
    z.extend_from_slice(&[0u8; 12]);
    z.extend_from_slice(&0u32.to_le_bytes());
    z.extend_from_slice(name.as_bytes());
    let cd_size = u32::try_from(z.len()).expect("small") - cd_offset;
    z.extend_from_slice(b"PK\x05\x06\x00\x00\x00\x00\x01\x00\x01\x00");
    z.extend_from_slice(&cd_size.to_le_bytes());
    z.extend_from_slice(&cd_offset.to_le_bytes());
    z.extend_from_slice(&0u16.to_le_bytes());
    std::fs::write(path, z).expect("write zip");
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn scan_exit_codes_and_jsonl() {
    let Some(eicar) = eicar() else { return };
    let Some(facts) = canhgac_testdata::require("eicar/EICAR_FACTS.md") else {
        return;
    };
    let facts = std::fs::read_to_string(facts).expect("facts");
    let sha256 = facts
        .lines()
        .find(|l| l.starts_with("| SHA-256"))
        .and_then(|l| l.split(" | ").nth(1))
        .map(|c| c.trim().trim_end_matches('|').trim().to_string())
        .expect("SHA-256 row");
    let dir = tempfile::tempdir().expect("tempdir");
    let rule = dir.path().join("eicar.yar");
    std::fs::write(
        &rule,
        "rule eicar_own { strings: $a = \"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!\" condition: $a }\n",
    )
    .expect("rule");
    let list = dir.path().join("hashes.txt");
    std::fs::write(&list, format!("# test list\n{sha256};EICAR\n")).expect("list");
    let clean = dir.path().join("clean");
    std::fs::create_dir(&clean).expect("mkdir");
    std::fs::write(clean.join("a.txt"), b"hello").expect("write");
    let infected = dir.path().join("infected");
    std::fs::create_dir(&infected).expect("mkdir");
    std::fs::write(infected.join("eicar.com"), &eicar).expect("write");
    write_zip(&infected.join("x.zip"), "eicar.com", &eicar);
    let (rule_s, list_s) = (
        rule.to_string_lossy().into_owned(),
        list.to_string_lossy().into_owned(),
    );

    // Clean folder: exit 0.
    let out = scan(&[
        clean.to_str().expect("utf-8"),
        "--rules",
        &rule_s,
        "--hashes",
        &list_s,
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Infected folder: exit 1, one JSON line per match.
    let out = scan(&[
        infected.to_str().expect("utf-8"),
        "--rules",
        &rule_s,
        "--hashes",
        &list_s,
        "--format",
        "jsonl",
        "--threads",
        "2",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let detections: Vec<&serde_json::Value> = lines.iter().filter(|l| l["type"] == "detection").collect();
    // eicar.com and x.zip!eicar.com: rule and hash each; x.zip itself (stored, so the string is visible): rule.
    assert_eq!(detections.len(), 5, "{lines:#?}");
    for d in detections
        .iter()
        .filter(|d| !d["path"].as_str().is_some_and(|p| p.ends_with("x.zip")))
    {
        assert_eq!(d["sha256"], sha256.as_str());
        assert_eq!(d["size"], 68);
        assert!(d["rule"] == "eicar_own" || d["hash_list"] == "hashes.txt", "{d}");
    }
    let members: Vec<&str> = detections
        .iter()
        .filter_map(|d| d["path"].as_str())
        .filter(|p| p.ends_with("x.zip!eicar.com"))
        .collect();
    assert_eq!(members.len(), 2, "rule and hash hit for the zip member");
    let summary = lines.last().expect("summary");
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["stats"]["detections"], 3);
    assert_eq!(summary["stats"]["archive_members"], 1);

    // Table output names the member and the rule.
    let out = scan(&[infected.to_str().expect("utf-8"), "--rules", &rule_s]);
    assert_eq!(out.status.code(), Some(1));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("x.zip!eicar.com: eicar_own (eicar.yar) FOUND"),
        "{table}"
    );

    // Errors: a missing rule path, and no rules or hashes at all: exit 2.
    let out = scan(&[
        clean.to_str().expect("utf-8"),
        "--rules",
        "/nonexistent/rules.yar",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = scan(&[clean.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
}

fn canhgac(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_canhgac"))
        .args(args)
        .output()
        .expect("running canhgac")
}

fn jsonl(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

#[test]
fn scan_quarantines_detections_and_quarantine_restores_them() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let rule = dir.path().join("marker.yar");
    std::fs::write(
        &rule,
        "rule marker { strings: $a = \"CANHGAC-QUARANTINE-TEST-MARKER\" condition: $a }\n",
    )
    .expect("rule");
    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).expect("mkdir");
    let content = b"#!/bin/sh\necho CANHGAC-QUARANTINE-TEST-MARKER\n".to_vec();
    let script = tree.join("dropper.sh");
    std::fs::write(&script, &content).expect("write");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o750)).expect("chmod");
    let mtime = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_500_000_000);
    std::fs::File::options()
        .write(true)
        .open(&script)
        .and_then(|f| f.set_times(std::fs::FileTimes::new().set_modified(mtime)))
        .expect("set mtime");
    let zip = tree.join("bundle.zip");
    write_zip(&zip, "inner.sh", &content);
    std::fs::write(tree.join("clean.txt"), b"nothing here").expect("write");
    let store = dir.path().join("q");
    let (store_s, rule_s, tree_s) = (
        store.to_str().expect("utf-8"),
        rule.to_str().expect("utf-8"),
        tree.to_str().expect("utf-8"),
    );

    let out = canhgac(&[
        "scan",
        tree_s,
        "--rules",
        rule_s,
        "--quarantine",
        store_s,
        "--format",
        "jsonl",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = jsonl(&out);
    let moved: Vec<&serde_json::Value> = lines.iter().filter(|l| l["type"] == "quarantined").collect();
    assert_eq!(moved.len(), 2, "the script and the whole archive: {lines:#?}");
    assert_eq!(lines.last().expect("summary")["quarantined"], 2);
    assert!(!script.exists() && !zip.exists());
    assert!(tree.join("clean.txt").exists());
    let zip_line = moved
        .iter()
        .find(|m| m["path"].as_str().is_some_and(|p| p.ends_with("bundle.zip")))
        .expect("archive moved");
    assert!(
        zip_line["reason"]
            .as_str()
            .is_some_and(|r| r.contains("bundle.zip!inner.sh: rule marker")),
        "{zip_line}"
    );

    let out = canhgac(&["quarantine", "list", "--store", store_s, "--format", "jsonl"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let entries = jsonl(&out);
    assert_eq!(entries.len(), 2);
    let id_of = |name: &str| -> String {
        entries
            .iter()
            .find(|e| e["original_path"].as_str().is_some_and(|p| p.ends_with(name)))
            .and_then(|e| e["id"].as_str())
            .expect("entry")
            .to_string()
    };
    let (script_id, zip_id) = (id_of("dropper.sh"), id_of("bundle.zip"));

    let out = canhgac(&["quarantine", "restore", &script_id, "--store", store_s]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(&script).expect("restored"), content);
    let meta = std::fs::metadata(&script).expect("restored");
    assert_eq!(meta.permissions().mode() & 0o7777, 0o750);
    assert_eq!(meta.modified().expect("mtime"), mtime);

    // Restoring again: the entry is gone. Over an existing file: refused, file untouched.
    let out = canhgac(&["quarantine", "restore", &script_id, "--store", store_s]);
    assert_eq!(out.status.code(), Some(2));
    std::fs::write(&zip, b"a new file").expect("write");
    let out = canhgac(&["quarantine", "restore", &zip_id, "--store", store_s]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bundle.zip already exists"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(&zip).expect("kept"), b"a new file");

    let out = canhgac(&["quarantine", "delete", &zip_id, "--store", store_s]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = canhgac(&["quarantine", "list", "--store", store_s]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn scan_profile_and_nice_arguments_are_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rule = dir.path().join("r.yar");
    std::fs::write(
        &rule,
        "rule r { strings: $a = \"CANHGAC-NICE-TEST\" condition: $a }\n",
    )
    .expect("rule");
    std::fs::write(dir.path().join("hit.txt"), b"CANHGAC-NICE-TEST").expect("write");
    let (dir_s, rule_s) = (dir.path().to_str().expect("utf-8"), rule.to_str().expect("utf-8"));
    // A lowered priority still finds what it should.
    let out = scan(&[dir_s, "--rules", rule_s, "--nice", "15", "--threads", "1"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Out of range, or an unknown profile: refused before scanning.
    for args in [
        vec![dir_s, "--rules", rule_s, "--nice", "25"],
        vec!["--profile", "everything", "--rules", rule_s],
        vec!["--rules", rule_s],
    ] {
        let out = scan(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}
