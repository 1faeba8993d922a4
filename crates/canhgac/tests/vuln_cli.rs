//! `canhgac vuln check` on real advisories and a real `systeminfo`: one JSON line per CVE with its state, KB and
//! evidence, and the table's summary line.

use std::process::Command;

fn canhgac(args: &[&str]) -> (String, String, bool) {
    let out = Command::new(env!("CARGO_BIN_EXE_canhgac"))
        .args(args)
        .output()
        .expect("run canhgac");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}

#[test]
fn check_prints_every_cve_of_the_month_with_state_and_evidence() {
    let Some(april) = canhgac_testdata::require("msrc-cvrf-2023/cvrfDocument-2023-Apr.xml") else {
        return;
    };
    let Some(host) = canhgac_testdata::require(
        "windows-inventory/wesng/validation/srv_2019_rtm_datacenter_en-us_systeminfo.txt",
    ) else {
        return;
    };
    let (stdout, stderr, ok) = canhgac(&[
        "vuln",
        "check",
        "--advisories",
        april.to_str().unwrap(),
        "--inventory",
        host.to_str().unwrap(),
        "--format",
        "jsonl",
    ]);
    assert!(ok, "{stderr}");
    let lines: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 137, "one line per vulnerability of April 2023");
    let clfs = lines.iter().find(|l| l["cve"] == "CVE-2023-28252").unwrap();
    assert_eq!(clfs["state"], "vulnerable");
    assert_eq!(clfs["kb"], serde_json::json!(["KB5025229"]));
    assert_eq!(clfs["host"], "WIN-O863JARO7CM");
    assert!(clfs["evidence"][0]
        .as_str()
        .unwrap()
        .starts_with("Windows Server 2019 is affected; fix KB5025229"));
    for l in &lines {
        assert!(
            ["vulnerable", "remediated", "not_affected", "unknown"].contains(&l["state"].as_str().unwrap()),
            "{l}"
        );
    }
}

#[test]
fn table_has_a_summary_and_bad_advisories_fail_with_their_name() {
    let Some(april) = canhgac_testdata::require("msrc-cvrf-2023/cvrfDocument-2023-Apr.xml") else {
        return;
    };
    let Some(host) = canhgac_testdata::require(
        "windows-inventory/wesng/validation/10_22H2_x64_enterprise_en-us_systeminfo.txt",
    ) else {
        return;
    };
    let (stdout, stderr, ok) = canhgac(&[
        "vuln",
        "check",
        "--advisories",
        april.to_str().unwrap(),
        "--inventory",
        host.to_str().unwrap(),
        "--state",
        "vulnerable",
        "--query",
        "severity=critical",
    ]);
    assert!(ok, "{stderr}");
    let summary = stdout.lines().last().unwrap();
    assert!(
        summary.ends_with("vulnerable, 0 remediated, 0 not affected, 0 unknown"),
        "{summary}"
    );
    assert!(
        stdout.contains("CVE-2023-21554   vulnerable   Critical"),
        "{stdout}"
    );
    let (_, stderr, ok) = canhgac(&[
        "vuln",
        "check",
        "--advisories",
        host.to_str().unwrap(),
        "--inventory",
        host.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(
        stderr.contains("10_22H2_x64_enterprise_en-us_systeminfo.txt: unrecognised format"),
        "{stderr}"
    );
}

/// The Linux fixtures of `canhgac-vuln` (see their README for the sources of the versions).
fn linux_fixture(name: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../vuln/tests/fixtures/linux")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn check_a_debian_host_against_the_security_tracker() {
    let (stdout, stderr, ok) = canhgac(&[
        "vuln",
        "check",
        "--advisories",
        &linux_fixture("debian-tracker.json"),
        &linux_fixture("USN-6242-1.json"),
        "--inventory",
        &linux_fixture("agent-debian12-old.json"),
        "--format",
        "jsonl",
    ]);
    assert!(ok, "{stderr}");
    let lines: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let state = |cve: &str| {
        lines
            .iter()
            .find(|l| l["cve"] == cve)
            .unwrap_or_else(|| panic!("{cve} missing: {stdout}"))
    };
    assert_eq!(lines.len(), 4, "{stdout}");
    let l = state("CVE-2023-38408");
    assert_eq!(l["state"], "vulnerable");
    assert_eq!(l["host"], "web01");
    assert_eq!(l["kb"], serde_json::json!([]));
    assert!(l["fixes"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("openssh-client → 1:9.2p1-2+deb12u1")));
    assert!(l["evidence"][0]
        .as_str()
        .unwrap()
        .contains("is below the fixed version 1:9.2p1-2+deb12u1 in bookworm"));
    assert_eq!(state("CVE-2023-51767")["state"], "vulnerable");

    // The upgraded host: remediated, the open CVE still vulnerable; the table says so.
    let (stdout, stderr, ok) = canhgac(&[
        "vuln",
        "check",
        "--advisories",
        &linux_fixture("debian-tracker.json"),
        "--inventory",
        &linux_fixture("agent-debian12-new.json"),
    ]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.starts_with("host web01 — Debian GNU/Linux 12 (bookworm) 12 (bookworm, 6 packages)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("4 CVEs: 1 vulnerable, 3 remediated, 0 not affected, 0 unknown"),
        "{stdout}"
    );
}
