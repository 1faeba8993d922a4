//! The SigmaHQ Windows rules over chosen EVTX attack samples. Each pin was checked by reading the records and the
//! rule (the comments say what decides it), not copied from the engine's output.

use canhgac_sigma::{load_paths, Engine, JsonEvent, LoadOptions, Mapping};
use std::sync::OnceLock;

fn engine() -> Option<&'static Engine> {
    static ENGINE: OnceLock<Option<Engine>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let dir = canhgac_testdata::require("sigma/rules/windows")?;
            Some(Engine::build(load_paths(&[dir], &LoadOptions::default()), &Mapping::default()).0)
        })
        .as_ref()
}

/// How many records of the sample the rule with this id matches.
fn fires(sample: &str, rule_id: &str) -> Option<usize> {
    let engine = engine()?;
    let path = canhgac_testdata::require(&format!("evtx-attack-samples/{sample}"))?;
    let rule = engine
        .find(rule_id)
        .unwrap_or_else(|| panic!("rule {rule_id} not loaded"));
    let mut parser = evtx::EvtxParser::from_path(&path).unwrap_or_else(|e| panic!("{sample}: {e}"));
    let mut scanner = engine.scanner();
    let mut n = 0;
    for record in parser.records_json_value() {
        let record = record.unwrap_or_else(|e| panic!("{sample}: {e}"));
        n += usize::from(scanner.scan(&JsonEvent::new(&record.data)).contains(&rule));
    }
    Some(n)
}

/// Asserts the number of matching records (skips when the shared data is absent).
fn pin(sample: &str, rule_id: &str, expected: usize) {
    if let Some(n) = fires(sample, rule_id) {
        assert_eq!(n, expected, "{rule_id} on {sample}");
    }
}

/// Suspicious PsExec Execution (Security 5145): ShareName is the literal `\\*\IPC$`, written `'\\\\\*\\IPC$'` in
/// the rule (escaped backslashes and an escaped star). Of the 22 records, exactly the three pipes
/// `blabla-…-stdin`, `-stdout`, `-stderr` end like PsExec's and do not start with PSEXESVC (the service was renamed);
/// `winreg`, `srvsvc`, `svcctl` and the ADMIN$ accesses do not.
#[test]
fn renamed_psexec_pipes() {
    pin(
        "Lateral Movement/LM_renamed_psexecsvc_5145.evtx",
        "c462f537-a1e3-41a6-b5fc-b2c2cef9bf82",
        3,
    );
}

/// DCSync indicator (Security 4662): all three records carry a DS-Replication-Get-Changes(-All) GUID in Properties
/// and are made by `Administrator`, not a machine account (`…$`).
#[test]
fn dcsync_by_a_user_account() {
    pin(
        "Credential Access/CA_DCSync_4662.evtx",
        "17d619c1-e020-4347-957e-1d1207455c93",
        3,
    );
}

/// WmiPrvSE Spawned A Process, through the Security 4688 mapping (ParentImage → ParentProcessName, LogonId →
/// SubjectLogonId, User → SubjectUserName): notepad.exe with parent WmiPrvSE.exe, logon 0x3e4 (not SYSTEM's 0x3e7),
/// user WIND10$ (no AUTHORITY) — one record.
#[test]
fn wmiprvse_child_on_security_4688() {
    pin(
        "Privilege Escalation/NTLM2SelfRelay-med0x2e-security_4624_4688.evtx",
        "d21374ff-f574-44a7-9998-4a8c8bf33d7d",
        1,
    );
}

/// The same rule must not fire on Windows 7's 4688 records: they have no ParentProcessName at all, and WmiPrvSE.exe
/// appears only as the new process (NewProcessName, i.e. Image), which the rule filters out anyway.
#[test]
fn no_parent_field_no_match() {
    pin(
        "Lateral Movement/LM_WMI_4624_4688_TargetHost.evtx",
        "d21374ff-f574-44a7-9998-4a8c8bf33d7d",
        0,
    );
}

/// The DCSync rule must not fire on the PsExec pipes sample (no 4662 records there), nor the PsExec rule on the
/// DCSync sample (no 5145 records): dispatch by event id keeps them apart.
#[test]
fn rules_stay_on_their_event_ids() {
    pin(
        "Lateral Movement/LM_renamed_psexecsvc_5145.evtx",
        "17d619c1-e020-4347-957e-1d1207455c93",
        0,
    );
    pin(
        "Credential Access/CA_DCSync_4662.evtx",
        "c462f537-a1e3-41a6-b5fc-b2c2cef9bf82",
        0,
    );
}
