//! Host × CVE states on the real 2023 data, for hosts built from real `systeminfo` outputs with chosen KBs.
//! Expected states come from reading the advisories: the fixing KB per product, its `Supercedence`, and the
//! monthly cumulative updates that replace one another.

mod common;

use canhgac_vuln::inventory::{parse_inventory, HostInventory};
use canhgac_vuln::matching::{Matcher, State, Verdict};
use canhgac_vuln::{Kb, KnowledgeBase, Version};

fn host(name: &str) -> Option<HostInventory> {
    let dir = canhgac_testdata::require("windows-inventory/wesng/validation")?;
    Some(parse_inventory(name, &std::fs::read(dir.join(name)).unwrap()).unwrap())
}

fn verdict(kb: &KnowledgeBase, h: &HostInventory, cve: &str) -> Verdict {
    Matcher::new(kb).check(h, [&kb.cves[cve]]).remove(0)
}

#[test]
fn server_2019_with_a_superseding_cumulative_update_is_remediated() {
    let (Some(kb), Some(mut srv)) = (
        common::knowledge(),
        host("srv_2019_rtm_datacenter_en-us_systeminfo.txt"),
    ) else {
        return;
    };
    // CVE-2023-28252 (CLFS, April 2023): Windows Server 2019 is fixed by KB5025229.
    let before = verdict(kb, &srv, "CVE-2023-28252");
    assert_eq!(before.state, State::Vulnerable, "{before:#?}");
    assert_eq!(before.kb, vec![Kb(5025229)]);
    assert!(
        before.evidence[0].starts_with("Windows Server 2019 is affected; fix KB5025229"),
        "{before:#?}"
    );
    assert!(before.kev && before.exploited == Some(true));
    // December 2023's cumulative update KB5033371 replaces November's, which replaces October's, … back to April's.
    srv.kbs.insert(Kb(5033371));
    let after = verdict(kb, &srv, "CVE-2023-28252");
    assert_eq!(after.state, State::Remediated, "{after:#?}");
    assert_eq!(after.kb, vec![Kb(5033371)]);
    let chain = &after.evidence[0];
    assert!(
        chain.starts_with(
            "Windows Server 2019: fixed by KB5025229; KB5033371 installed; KB5033371 supersedes"
        ),
        "{chain}"
    );
    assert!(chain.contains("supersedes KB5025229"), "{chain}");
    eprintln!("{chain}");
}

#[test]
fn unknown_build_is_unknown_and_says_why() {
    let (Some(kb), Some(mut srv)) = (
        common::knowledge(),
        host("srv_2019_rtm_datacenter_en-us_systeminfo.txt"),
    ) else {
        return;
    };
    srv.os_version = Version::parse("10.0.17999");
    let v = verdict(kb, &srv, "CVE-2023-28252");
    assert_eq!(v.state, State::Unknown);
    assert_eq!(
        v.missing,
        vec!["the host's Windows release: OS build 17999 is not a Windows release the advisories name"]
    );
}

#[test]
fn windows_10_22h2_states() {
    let (Some(kb), Some(mut pc)) = (
        common::knowledge(),
        host("10_22H2_x64_enterprise_en-us_systeminfo.txt"),
    ) else {
        return;
    };
    // Win32k CVE-2023-29336 affects Windows 10 1507/1607, Server 2008–2016 only.
    let win32k = verdict(kb, &pc, "CVE-2023-29336");
    assert_eq!(win32k.state, State::NotAffected, "{win32k:#?}");
    // CVE-2023-21674 (ALPC, January 2023): KB5022282 for Windows 10 22H2; the host has only KB5022502.
    assert_eq!(verdict(kb, &pc, "CVE-2023-21674").state, State::Vulnerable);
    pc.kbs.insert(Kb(5022282));
    let fixed = verdict(kb, &pc, "CVE-2023-21674");
    assert_eq!(
        (fixed.state, fixed.kb.clone()),
        (State::Remediated, vec![Kb(5022282)]),
        "{fixed:#?}"
    );
    assert_eq!(
        fixed.evidence[0],
        "Windows 10 Version 22H2 for x64-based Systems: fixed by KB5022282; KB5022282 installed"
    );
    // A .NET Framework CVE on this Windows: whether .NET 4.8 or 4.8.1 is installed is not in systeminfo.
    let dotnet = verdict(kb, &pc, "CVE-2023-29326");
    assert_eq!(dotnet.state, State::Unknown, "{dotnet:#?}");
    assert!(
        dotnet
            .missing
            .iter()
            .any(|m| m.contains(".NET Framework") && m.contains("lists no software")),
        "{dotnet:#?}"
    );
}

#[test]
fn agent_build_revision_proves_fixes_without_the_kb() {
    let Some(kb) = common::knowledge() else { return };
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/agent-win10-22h2.json");
    let mut pc = parse_inventory("agent.json", &std::fs::read(path).unwrap()).unwrap();
    pc.kbs.clear();
    // Build 10.0.19045.2965 (May 2023) is above April's fixed build 10.0.19045.2846 for CVE-2023-28252.
    let april = verdict(kb, &pc, "CVE-2023-28252");
    assert_eq!(april.state, State::Remediated, "{april:#?}");
    assert!(
        april.evidence[0].contains("OS build 10.0.19045.2965 is at or above the fixed build 10.0.19045.2846"),
        "{april:#?}"
    );
    // December's CVE-2023-35630 (ICS) needs build 10.0.19045.3803.
    let december = verdict(kb, &pc, "CVE-2023-35630");
    assert_eq!(december.state, State::Vulnerable, "{december:#?}");
    assert!(
        december.evidence[0].ends_with("OS build 10.0.19045.2965 is below it"),
        "{december:#?}"
    );
}

#[test]
fn every_cve_gets_a_state_for_every_sample_host() {
    let Some(kb) = common::knowledge() else { return };
    let Some(dir) = canhgac_testdata::require("windows-inventory/wesng/validation") else {
        return;
    };
    let matcher = Matcher::new(kb);
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.contains("systeminfo") {
            continue;
        }
        let h = parse_inventory(&name, &std::fs::read(&path).unwrap()).unwrap();
        let verdicts = matcher.check_host(&h);
        assert_eq!(verdicts.len(), kb.cves.len(), "{name}: one verdict per CVE");
        for v in &verdicts {
            match v.state {
                State::Unknown => assert!(
                    !v.missing.is_empty(),
                    "{name} {}: unknown without a reason",
                    v.cve
                ),
                State::Remediated | State::Vulnerable => {
                    assert!(!v.kb.is_empty() || !v.evidence.is_empty(), "{name} {}", v.cve)
                }
                _ => assert!(!v.evidence.is_empty(), "{name} {}: no evidence", v.cve),
            }
        }
    }
}

#[test]
fn hosts_patched_alike_share_one_computation() {
    let (Some(kb), Some(a)) = (
        common::knowledge(),
        host("srv_2019_rtm_datacenter_en-us_systeminfo.txt"),
    ) else {
        return;
    };
    let mut b = a.clone();
    b.hostname = Some("OTHER".into());
    let mut c = a.clone();
    c.kbs.insert(Kb(5033371));
    let results = Matcher::new(kb).check_fleet(&[a.clone(), b, c.clone()]);
    assert!(
        std::sync::Arc::ptr_eq(&results[0], &results[1]),
        "same inventory but the name: shared"
    );
    assert!(!std::sync::Arc::ptr_eq(&results[0], &results[2]));
    assert_eq!(*results[0], Matcher::new(kb).check_host(&a));
    assert_eq!(*results[2], Matcher::new(kb).check_host(&c));
}

/// Regression: CVE-2023-21712's fix for Server 2019 is November 2022's KB5019966, and the 2023 documents do not
/// link it to 2023's updates (December 2022 is missing), so only the build June 2023's update brings proves it.
#[test]
fn a_later_cumulative_update_proves_an_older_fix_by_its_build() {
    let (Some(kb), Some(mut srv)) = (
        common::knowledge(),
        host("srv_2019_rtm_datacenter_en-us_systeminfo.txt"),
    ) else {
        return;
    };
    srv.kbs.insert(Kb(5027222));
    let v = verdict(kb, &srv, "CVE-2023-21712");
    assert_eq!(
        (v.state, v.kb.clone()),
        (State::Remediated, vec![Kb(5027222)]),
        "{v:#?}"
    );
    assert_eq!(
        v.evidence[0],
        "Windows Server 2019: KB5027222 installed, a cumulative update that brings build 10.0.17763.4499 (per the \
         advisories), at or above the fixed build 10.0.17763.3650 of KB5019966"
    );
}

/// Microsoft revised CVE-2023-24932 (Secure Boot) with later updates; the first fix alone does not remediate.
#[test]
fn an_earlier_fix_does_not_remediate_a_revised_cve() {
    let (Some(kb), Some(mut pc)) = (
        common::knowledge(),
        host("10_22H2_x64_enterprise_en-us_systeminfo.txt"),
    ) else {
        return;
    };
    pc.kbs.insert(Kb(5026361));
    let v = verdict(kb, &pc, "CVE-2023-24932");
    assert_eq!(v.state, State::Vulnerable);
    assert!(
        v.evidence[0].contains("an earlier fix (KB5026361) is installed, but Microsoft lists the later one"),
        "{v:#?}"
    );
}
