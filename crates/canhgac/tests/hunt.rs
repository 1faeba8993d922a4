//! `canhgac hunt` run as a user runs it: on a real EVTX sample with a SigmaHQ rule, and on a JSON-lines log with
//! correlation rules.

use std::path::Path;
use std::process::Command;

fn hunt(args: &[&str]) -> (Vec<serde_json::Value>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_canhgac"))
        .arg("hunt")
        .args(args)
        .args(["--format", "jsonl"])
        .output()
        .unwrap_or_else(|e| panic!("running canhgac: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "hunt failed: {stderr}");
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    (lines, stderr)
}

/// The renamed PsExec sample: records 84050–84052 are the `blabla-…-stdin/stdout/stderr` pipes on IPC$ (read with
/// the sigma crate's `sample_hunt --dump`), the only ones the rule matches.
#[test]
fn evtx_sample_with_a_sigmahq_rule() {
    let Some(sample) =
        canhgac_testdata::require("evtx-attack-samples/Lateral Movement/LM_renamed_psexecsvc_5145.evtx")
    else {
        return;
    };
    let Some(rule) =
        canhgac_testdata::require("sigma/rules/windows/builtin/security/win_security_susp_psexec.yml")
    else {
        return;
    };
    let (lines, stderr) = hunt(&[
        sample.to_str().unwrap_or_default(),
        "--rules",
        rule.to_str().unwrap_or_default(),
    ]);
    let records: Vec<u64> = lines.iter().filter_map(|l| l["record_id"].as_u64()).collect();
    assert_eq!(records, vec![84050, 84051, 84052], "{lines:?}");
    for l in &lines {
        assert_eq!(l["rule_id"], "c462f537-a1e3-41a6-b5fc-b2c2cef9bf82");
        assert_eq!(l["rule_title"], "Suspicious PsExec Execution");
        assert_eq!(l["level"], "high");
        assert_eq!(
            (
                l["computer"].as_str(),
                l["channel"].as_str(),
                l["event_id"].as_u64()
            ),
            (Some("IEWIN7"), Some("Security"), Some(5145))
        );
        assert_eq!(l["fields"]["ShareName"], "\\\\*\\IPC$");
        assert!(l["fields"]["RelativeTargetName"]
            .as_str()
            .is_some_and(|p| p.starts_with("blabla-")));
        assert!(l["timestamp"]
            .as_str()
            .is_some_and(|t| t.starts_with("2019-01-19T13:00:10")));
        assert!(l["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("LM_renamed_psexecsvc_5145.evtx")));
    }
    assert!(
        stderr.contains("files: 1 (0 unreadable); records: 22"),
        "{stderr}"
    );
    assert!(stderr.contains("detections: 3 (high 3)"), "{stderr}");
}

/// The correlation fixture of the sigma crate through the command: the four correlations fire, and the whoami /
/// net user matches stay out of the output (their temporal correlation has `generate: false`).
#[test]
fn json_lines_with_correlations() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sigma/tests/fixtures");
    let log = fixtures.join("correlation-events.jsonl");
    let rules = fixtures.join("correlation.yml");
    let (lines, stderr) = hunt(&[
        log.to_str().unwrap_or_default(),
        "--rules",
        rules.to_str().unwrap_or_default(),
    ]);
    let correlations: Vec<(&str, &serde_json::Value)> = lines
        .iter()
        .filter(|l| l["correlation"] == true)
        .filter_map(|l| Some((l["rule_title"].as_str()?, &l["group"])))
        .collect();
    let titles: Vec<&str> = correlations.iter().map(|c| c.0).collect();
    assert_eq!(
        titles,
        vec![
            "Brute force against one account",
            "Logon after failures",
            "Password spray from one address",
            "Discovery burst on one host"
        ],
        "{stderr}"
    );
    assert_eq!(correlations[3].1["host"], "pc1");
    let singles: Vec<&str> = lines
        .iter()
        .filter(|l| l["correlation"].is_null())
        .filter_map(|l| l["rule_title"].as_str())
        .collect();
    assert!(singles.contains(&"Failed logon"));
    assert!(
        !singles.contains(&"Whoami") && !singles.contains(&"Net user"),
        "{singles:?}"
    );
    // The line without a timestamp is reported, not dropped silently.
    assert!(stderr.contains("1 unreadable"), "{stderr}");
}
