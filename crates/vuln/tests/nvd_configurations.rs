//! NVD CPE configurations evaluated against hosts, on the real records in `../shared/data/nvd-cve-samples`. For
//! each record a host that should be vulnerable and one that should not are built from reading the record; the
//! reason is written beside each.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use canhgac_vuln::advisory::parse_any;
use canhgac_vuln::inventory::{parse_inventory, HostInventory};
use canhgac_vuln::matching::{Matcher, State, Verdict};
use canhgac_vuln::KnowledgeBase;
use serde_json::json;

fn kb(paths: &[&str]) -> Option<KnowledgeBase> {
    let mut kb = KnowledgeBase::default();
    for p in paths {
        let path = canhgac_testdata::require(&format!("nvd-cve-samples/{p}"))?;
        kb.merge(parse_any(p, &std::fs::read(path).unwrap()).unwrap());
    }
    Some(kb)
}

/// A host of the given family (`windows`, `debian`, or anything else for an appliance of unknown OS) with
/// programs given as (name, version, CPE).
fn host(family: &str, programs: &[(&str, &str, Option<&str>)]) -> HostInventory {
    let software: Vec<_> = programs
        .iter()
        .map(|(name, version, cpe)| json!({"name": name, "version": version, "cpe": cpe}))
        .collect();
    let os = match family {
        "windows" => json!({"name": "Microsoft Windows Server 2019 Standard", "version": "10.0.17763.5206"}),
        "debian" => {
            json!({"name": "Debian GNU/Linux 12 (bookworm)", "version": "12", "display_version": "bookworm", "id": "debian"})
        }
        _ => json!({"name": "Appliance", "version": "1.0"}),
    };
    let doc = json!({"schema": "canhgac.inventory/1", "hostname": "h", "os": os, "software": software});
    parse_inventory("h.json", doc.to_string().as_bytes()).unwrap()
}

fn verdict(kb: &KnowledgeBase, h: &HostInventory, cve: &str) -> Verdict {
    Matcher::new(kb).check(h, [&kb.cves[cve]]).remove(0)
}

fn state(kb: &KnowledgeBase, h: &HostInventory, cve: &str) -> State {
    verdict(kb, h, cve).state
}

const FEED2: &str = "nvd-feed-2.0/vuls-fixtures";

#[test]
fn exact_match() {
    let Some(kb) = kb(&[&format!(
        "{FEED2}/exact-match/vuls-data-raw-nvd-feed-cve-v2/2024/CVE-2024-0028.json"
    )]) else {
        return;
    };
    // One criterion, exactly google:android 16.0.
    let v = verdict(
        &kb,
        &host(
            "other",
            &[(
                "Android",
                "16.0",
                Some("cpe:2.3:o:google:android:16.0:*:*:*:*:*:*:*"),
            )],
        ),
        "CVE-2024-0028",
    );
    assert_eq!(v.state, State::Vulnerable, "{v:#?}");
    assert!(
        v.evidence[0].starts_with("NVD: Android 16.0 matches google:android 16.0"),
        "{v:#?}"
    );
    // 15.0 is not 16.0.
    let h = host(
        "other",
        &[(
            "Android",
            "15.0",
            Some("cpe:2.3:o:google:android:15.0:*:*:*:*:*:*:*"),
        )],
    );
    assert_eq!(state(&kb, &h, "CVE-2024-0028"), State::NotAffected);
}

#[test]
fn semver_ranges_and_exact_updates() {
    let Some(kb) = kb(&[&format!(
        "{FEED2}/semver-range/vuls-data-raw-nvd-feed-cve-v2/2024/CVE-2024-0008.json"
    )]) else {
        return;
    };
    let pan = |v: &str| host("other", &[("PAN-OS", v, None)]);
    let cve = "CVE-2024-0008";
    // 10.2.0 ≤ 10.2.4 < 10.2.5.
    assert_eq!(state(&kb, &pan("10.2.4"), cve), State::Vulnerable);
    // 10.2.5 is the end of that range (excluded) and in no other.
    assert_eq!(state(&kb, &pan("10.2.5"), cve), State::NotAffected);
    // 10.1.10 is listed exactly (update "-"), although the 10.1 range ends before it.
    assert_eq!(state(&kb, &pan("10.1.10"), cve), State::Vulnerable);
    // 9.0.17-h1 is listed exactly (version 9.0.17, update h1); 9.1.17 ends its range.
    assert_eq!(state(&kb, &pan("9.0.17-h1"), cve), State::Vulnerable);
    assert_eq!(state(&kb, &pan("9.1.17"), cve), State::NotAffected);
    // A version NVD's ranges cannot order against (a word where a number is): unknown, never a guess.
    let v = verdict(&kb, &pan("10.2.x-beta"), cve);
    assert_eq!(v.state, State::Unknown, "{v:#?}");
}

#[test]
fn semver_range_mixed_with_target_software() {
    let Some(kb) = kb(&[&format!(
        "{FEED2}/semver-range-mixed/vuls-data-raw-nvd-feed-cve-v2/2021/CVE-2021-1569.json"
    )]) else {
        return;
    };
    let cpe = Some("cpe:2.3:a:cisco:jabber:*:*:*:*:*:*:*:*");
    let cve = "CVE-2021-1569";
    // Jabber for Windows 14.0 ≤ 14.0.0.55000 < 14.0.1.55914, on Windows.
    assert_eq!(
        state(
            &kb,
            &host("windows", &[("Cisco Jabber", "14.0.0.55000", cpe)]),
            cve
        ),
        State::Vulnerable
    );
    // The fixed build.
    assert_eq!(
        state(
            &kb,
            &host("windows", &[("Cisco Jabber", "14.0.1.55914", cpe)]),
            cve
        ),
        State::NotAffected
    );
    // The criteria name target_sw windows: the same version on Linux does not match.
    assert_eq!(
        state(
            &kb,
            &host("debian", &[("Cisco Jabber", "14.0.0.55000", cpe)]),
            cve
        ),
        State::NotAffected
    );
    // 12.9 ≤ 12.9.5 < 12.9.6.55898.
    assert_eq!(
        state(&kb, &host("windows", &[("Cisco Jabber", "12.9.5", cpe)]), cve),
        State::Vulnerable
    );
}

#[test]
fn non_semver_range() {
    let Some(kb) = kb(&[&format!(
        "{FEED2}/non-semver-range/vuls-data-raw-nvd-feed-cve-v2/2024/CVE-2024-20282.json"
    )]) else {
        return;
    };
    let nd = |v: &str| {
        host(
            "other",
            &[(
                "Nexus Dashboard",
                v,
                Some("cpe:2.3:a:cisco:nexus_dashboard:*:*:*:*:*:*:*:*"),
            )],
        )
    };
    let cve = "CVE-2024-20282";
    // Before 3.1(1k): 3.0(1i) is earlier (3.0 < 3.1).
    assert_eq!(state(&kb, &nd("3.0(1i)"), cve), State::Vulnerable);
    // 3.1(1k) itself is excluded.
    assert_eq!(state(&kb, &nd("3.1(1k)"), cve), State::NotAffected);
    // 3.1(1)t2 against 3.1(1k): a different train, no order.
    let v = verdict(&kb, &nd("3.1(1)t2"), cve);
    assert_eq!(v.state, State::Unknown, "{v:#?}");
    assert!(
        v.missing[0].contains("cannot be ordered against 3.1(1k)"),
        "{v:#?}"
    );
}

#[test]
fn negated_node_and_negated_configuration() {
    for dir in ["node-negate", "config-negate"] {
        let Some(kb) = kb(&[&format!(
            "{FEED2}/{dir}/vuls-data-raw-nvd-feed-cve-v2/2024/CVE-2024-0028.json"
        )]) else {
            return;
        };
        let p = |v: &str| {
            host(
                "other",
                &[(
                    "product",
                    v,
                    Some(&*format!("cpe:2.3:a:test:product:{v}:*:*:*:*:*:*:*")),
                )],
            )
        };
        // NOT test:product 1.0, the criterion vulnerable: test:product in any other version is vulnerable.
        let v = verdict(&kb, &p("2.0"), "CVE-2024-0028");
        assert_eq!(v.state, State::Vulnerable, "{dir}: {v:#?}");
        assert!(
            v.evidence[0].contains("is not the excluded test:product 1.0"),
            "{v:#?}"
        );
        // 1.0 is the excluded version.
        assert_eq!(
            state(&kb, &p("1.0"), "CVE-2024-0028"),
            State::NotAffected,
            "{dir}"
        );
        // A host without test:product at all has nothing the criterion names.
        assert_eq!(
            state(&kb, &host("other", &[("other", "1.0", None)]), "CVE-2024-0028"),
            State::NotAffected,
            "{dir}"
        );
    }
}

#[test]
fn and_with_a_platform_that_is_not_vulnerable() {
    let Some(kb) = kb(&[&format!(
        "{FEED2}/and-vulnerable-mixed/vuls-data-raw-nvd-feed-cve-v2/2024/CVE-2024-2049.json"
    )]) else {
        return;
    };
    let cve = "CVE-2024-2049";
    let hw = (
        "SD-WAN 1000",
        "-",
        Some("cpe:2.3:h:citrix:sd-wan_1000:-:*:*:*:standard:*:*:*"),
    );
    let fw = |v: &'static str| {
        (
            "SD-WAN firmware",
            v,
            Some("cpe:2.3:o:citrix:sd-wan_1000_firmware:*:*:*:*:standard:*:*:*"),
        )
    };
    // Firmware 11.4.0 ≤ 11.4.3 < 11.4.4.46 AND the SD-WAN 1000 hardware (vulnerable: false, a platform).
    let v = verdict(&kb, &host("other", &[fw("11.4.3"), hw]), cve);
    assert_eq!(v.state, State::Vulnerable, "{v:#?}");
    assert!(
        v.evidence[0].contains("SD-WAN firmware 11.4.3 matches citrix:sd-wan_1000_firmware"),
        "{v:#?}"
    );
    assert!(
        !v.evidence[0].contains("SD-WAN 1000 -"),
        "the platform is not the vulnerable product: {v:#?}"
    );
    // The fixed firmware.
    assert_eq!(
        state(&kb, &host("other", &[fw("11.4.4.46"), hw]), cve),
        State::NotAffected
    );
    // The firmware in range, but whether it runs on that hardware is not in the inventory: unknown.
    let v = verdict(&kb, &host("other", &[fw("11.4.3")]), cve);
    assert_eq!(v.state, State::Unknown, "{v:#?}");
    assert!(v.missing[0].contains("hardware"), "{v:#?}");
}

#[test]
fn ranges_without_match_criteria_records() {
    let Some(kb) = kb(&[&format!(
        "{FEED2}/cpematch-missing-semver/vuls-data-raw-nvd-feed-cve-v2/2024/CVE-2024-0028.json"
    )]) else {
        return;
    };
    let p = |v: &str| {
        host(
            "other",
            &[("product", v, Some("cpe:2.3:a:test:product:*:*:*:*:*:*:*:*"))],
        )
    };
    // 1.0.0 ≤ v < 2.0.0.
    assert_eq!(state(&kb, &p("1.5.0"), "CVE-2024-0028"), State::Vulnerable);
    assert_eq!(state(&kb, &p("2.0.0"), "CVE-2024-0028"), State::NotAffected);
    assert_eq!(state(&kb, &p("0.9"), "CVE-2024-0028"), State::NotAffected);

    let Some(kb) = kb_one(&format!(
        "{FEED2}/cpematch-missing-unknown/vuls-data-raw-nvd-feed-cve-v2/2024/CVE-2024-0028.json"
    )) else {
        return;
    };
    let ios = |v: &str| {
        host(
            "other",
            &[("IOS", v, Some("cpe:2.3:o:cisco:ios:*:*:*:*:*:*:*:*"))],
        )
    };
    // Up to and including 15.1(4)m3: 15.1(4)m2 is before it, 15.2(1) after.
    assert_eq!(state(&kb, &ios("15.1(4)m2"), "CVE-2024-0028"), State::Vulnerable);
    assert_eq!(state(&kb, &ios("15.2(1)"), "CVE-2024-0028"), State::NotAffected);
    // Another train (T) of 15.1(4): no order with the M train.
    assert_eq!(state(&kb, &ios("15.1(4)t2"), "CVE-2024-0028"), State::Unknown);
}

fn kb_one(p: &str) -> Option<KnowledgeBase> {
    kb(&[p])
}

#[test]
fn whitespace_in_a_range_bound() {
    let Some(kb) = kb(&[&format!(
        "{FEED2}/whitespace-range/vuls-data-raw-nvd-feed-cve-v2/2021/CVE-2021-46973.json"
    )]) else {
        return;
    };
    let k = |v: &str| {
        host(
            "other",
            &[(
                "Linux kernel",
                v,
                Some("cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*"),
            )],
        )
    };
    // 5.8 ≤ v ≤ " 5.10.35" (the bound as published, with a space).
    assert_eq!(state(&kb, &k("5.10.35"), "CVE-2021-46973"), State::Vulnerable);
    assert_eq!(state(&kb, &k("5.10.36"), "CVE-2021-46973"), State::NotAffected);
    // 5.12 ≤ 5.12.2 ≤ 5.12.2.
    assert_eq!(state(&kb, &k("5.12.2"), "CVE-2021-46973"), State::Vulnerable);
}

#[test]
fn openssh_and_apache_records() {
    let Some(kb) = kb(&[
        "nvd-api-2.0/transcribed/CVE-2023-38408.json",
        "nvd-api-2.0/transcribed/CVE-2023-25690.json",
    ]) else {
        return;
    };
    let ssh = |v: &str| host("windows", &[("OpenSSH", v, None)]);
    // Before 9.3, or exactly 9.3 / 9.3p1.
    let v = verdict(&kb, &ssh("9.2p1"), "CVE-2023-38408");
    assert_eq!(v.state, State::Vulnerable, "{v:#?}");
    assert_eq!(
        v.evidence,
        ["NVD: OpenSSH 9.2p1 matches openbsd:openssh versions before 9.3"]
    );
    assert_eq!(state(&kb, &ssh("9.3p1"), "CVE-2023-38408"), State::Vulnerable);
    // 9.3p2 is the fix (the Fedora configuration needs a Fedora host).
    assert_eq!(state(&kb, &ssh("9.3p2"), "CVE-2023-38408"), State::NotAffected);
    // Debian's openssh-client 1:9.2p1-2 carries backports NVD's upstream ranges do not see: unknown, naming it.
    let deb = parse_inventory(
        "d.json",
        json!({"schema": "canhgac.inventory/1", "hostname": "d",
               "os": {"name": "Debian GNU/Linux 12 (bookworm)", "version": "12", "display_version": "bookworm", "id": "debian"},
               "software": [{"name": "openssh-client", "version": "1:9.2p1-2", "source": "dpkg", "source_package": "openssh"}]})
        .to_string()
        .as_bytes(),
    )
    .unwrap();
    let v = verdict(&kb, &deb, "CVE-2023-38408");
    assert_eq!(v.state, State::Unknown, "{v:#?}");
    assert!(
        v.missing[0].starts_with("whether openssh-client 1:9.2p1-2 (dpkg) is affected: NVD gives"),
        "{v:#?}"
    );

    // Apache HTTP Server 2.4.0 through 2.4.55.
    let cpe = Some("cpe:2.3:a:apache:http_server:*:*:*:*:*:*:*:*");
    assert_eq!(
        state(
            &kb,
            &host("windows", &[("Apache HTTP Server", "2.4.55", cpe)]),
            "CVE-2023-25690"
        ),
        State::Vulnerable
    );
    assert_eq!(
        state(
            &kb,
            &host("windows", &[("Apache HTTP Server", "2.4.56", cpe)]),
            "CVE-2023-25690"
        ),
        State::NotAffected
    );
    // Without a software list nothing can be said.
    let bare = parse_inventory(
        "b.json",
        br#"{"schema": "canhgac.inventory/1", "os": {"name": "Microsoft Windows Server 2019 Standard", "version": "10.0.17763.5206"}}"#,
    )
    .unwrap();
    assert_eq!(state(&kb, &bare, "CVE-2023-25690"), State::Unknown);
}

#[test]
fn and_configurations_of_firmware_and_hardware() {
    let Some(kb) =
        kb(&["nvd-api-2.0/vuls-fixtures/cve/with-and/vuls-data-raw-nvd-api-cve/2024/CVE-2024-0158.json"])
    else {
        return;
    };
    let hw = (
        "Alienware m15 R6",
        "-",
        Some("cpe:2.3:h:dell:alienware_m15_r6:-:*:*:*:*:*:*:*"),
    );
    let fw = |v: &'static str| {
        (
            "BIOS",
            v,
            Some("cpe:2.3:o:dell:alienware_m15_r6_firmware:*:*:*:*:*:*:*:*"),
        )
    };
    // The m15 R6 configuration: firmware before 1.28.0 AND the m15 R6 hardware.
    assert_eq!(
        state(&kb, &host("other", &[fw("1.27.0"), hw]), "CVE-2024-0158"),
        State::Vulnerable
    );
    assert_eq!(
        state(&kb, &host("other", &[fw("1.28.0"), hw]), "CVE-2024-0158"),
        State::NotAffected
    );
}

#[test]
fn unanalysed_record_and_other_schemas() {
    let Some(kb) = kb(&[
        "nvd-feed-2.0/vuls-fixtures/no-detection/vuls-data-raw-nvd-feed-cve-v2/2024/CVE-2024-0094.json",
        "nvd-feed-1.1/vuls-fixtures/2021/CVE-2021-30560.json",
        "cve-json-5/vuls-fixtures/2024/CVE-2024-39565.json",
    ]) else {
        return;
    };
    let h = host(
        "windows",
        &[(
            "Google Chrome",
            "91.0.4472.124",
            Some("cpe:2.3:a:google:chrome:*:*:*:*:*:*:*:*"),
        )],
    );
    // No configurations (NVD has not analysed it): unknown, saying what is missing.
    let v = verdict(&kb, &h, "CVE-2024-0094");
    assert_eq!(v.state, State::Unknown);
    assert!(
        v.missing[0].starts_with("affected-product data for this CVE"),
        "{v:#?}"
    );
    // Feed 1.1: Chrome before 91.0.4472.164.
    assert_eq!(state(&kb, &h, "CVE-2021-30560"), State::Vulnerable);
    let fixed = host(
        "windows",
        &[(
            "Google Chrome",
            "91.0.4472.164",
            Some("cpe:2.3:a:google:chrome:*:*:*:*:*:*:*:*"),
        )],
    );
    assert_eq!(state(&kb, &fixed, "CVE-2021-30560"), State::NotAffected);
    // A CVE JSON 5 record has no CPE configurations.
    assert!(kb.cves["CVE-2024-39565"]
        .nvd
        .as_ref()
        .unwrap()
        .configurations
        .is_empty());
}

#[test]
fn dictionary_titles_name_programs() {
    let Some(mut kb) =
        kb(&["nvd-api-2.0/vuls-fixtures/cpe-dictionary/6227e0e/027F4FCF-F68A-4C0C-AAAF-35026D6EA79B.json"])
    else {
        return;
    };
    assert_eq!(
        kb.cpe_titles.get("phpgurukul_car_rental_portal"),
        Some(&("phpgurukul".to_owned(), "car_rental_portal".to_owned()))
    );
    // A hand-written record naming that product (the shared data has no CVE for it).
    let record = json!({"id": "CVE-2099-0001", "descriptions": [{"lang": "en", "value": "test"}],
        "configurations": [{"nodes": [{"operator": "OR", "negate": false, "cpeMatch": [
            {"vulnerable": true, "criteria": "cpe:2.3:a:phpgurukul:car_rental_portal:1.0:*:*:*:*:*:*:*", "matchCriteriaId": "X"}]}]}]});
    kb.merge(parse_any("r.json", record.to_string().as_bytes()).unwrap());
    // The display name as a Windows uninstall key lists it maps through the dictionary's title.
    let v = verdict(
        &kb,
        &host("windows", &[("PHPGurukul Car Rental Portal", "1.0", None)]),
        "CVE-2099-0001",
    );
    assert_eq!(v.state, State::Vulnerable, "{v:#?}");
    // Another vendor's product of the same name does not match.
    let other = host(
        "windows",
        &[(
            "Car Rental Portal",
            "1.0",
            Some("cpe:2.3:a:someone:car_rental_portal:1.0"),
        )],
    );
    assert_eq!(state(&kb, &other, "CVE-2099-0001"), State::NotAffected);
}
