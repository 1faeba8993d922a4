//! Debian and Ubuntu hosts against distribution security data (fixtures in `fixtures/linux`, see its README for
//! where each value comes from). Expected states are read from the data: the installed source version against
//! the fixed version of the host's release, ordered as dpkg orders versions.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use canhgac_vuln::advisory::distro::{PackageAdvisory, PackageStatus};
use canhgac_vuln::advisory::{parse_any, Feed};
use canhgac_vuln::inventory::{parse_inventory, HostInventory, Software};
use canhgac_vuln::linux::Distro;
use canhgac_vuln::matching::{Matcher, State, Verdict};
use canhgac_vuln::KnowledgeBase;
use std::path::PathBuf;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/linux")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn kb(files: &[&str]) -> KnowledgeBase {
    let mut kb = KnowledgeBase::default();
    for f in files {
        kb.merge(parse_any(f, &fixture(f)).unwrap());
    }
    kb
}

fn host(name: &str) -> HostInventory {
    parse_inventory(name, &fixture(name)).unwrap()
}

fn verdict(kb: &KnowledgeBase, h: &HostInventory, cve: &str) -> Verdict {
    Matcher::new(kb).check(h, [&kb.cves[cve]]).remove(0)
}

#[test]
fn tracker_and_osv_are_recognised_and_read() {
    let Feed::Distro(tracker) = parse_any("debian.json", &fixture("debian-tracker.json")).unwrap() else {
        panic!("not distribution data");
    };
    assert_eq!(tracker.name, "Debian Security Tracker");
    // 4 CVEs: 38408 in 4 releases, 48795 in 3, 51767 in 2, 5363 in 2; the TEMP- entry is counted, not read.
    assert_eq!(tracker.entries.len(), 11);
    assert!(
        tracker
            .warnings
            .iter()
            .any(|w| w.contains("1 entries without a CVE id")),
        "{:?}",
        tracker.warnings
    );
    let bookworm = tracker
        .entries
        .iter()
        .find(|e| e.cve == "CVE-2023-38408" && e.release == "bookworm")
        .unwrap();
    assert_eq!(
        bookworm.status,
        PackageStatus::Fixed {
            introduced: None,
            fixed: "1:9.2p1-2+deb12u1".into()
        }
    );
    let bullseye_openssl = tracker
        .entries
        .iter()
        .find(|e| e.cve == "CVE-2023-5363" && e.release == "bullseye")
        .unwrap();
    assert_eq!(bullseye_openssl.status, PackageStatus::NotAffected);

    let Feed::Distro(usn) = parse_any("USN-6242-1.json", &fixture("USN-6242-1.json")).unwrap() else {
        panic!("not distribution data");
    };
    let jammy: Vec<&PackageAdvisory> = usn.entries.iter().filter(|e| e.release == "jammy").collect();
    assert_eq!(jammy.len(), 1);
    assert_eq!(
        (
            jammy[0].cve.as_str(),
            jammy[0].distro,
            jammy[0].package.as_str(),
            jammy[0].advisory.as_str()
        ),
        ("CVE-2023-38408", Distro::Ubuntu, "openssh", "USN-6242-1")
    );
    assert_eq!(
        jammy[0].status,
        PackageStatus::Fixed {
            introduced: None,
            fixed: "1:8.9p1-3ubuntu0.3".into()
        }
    );
    assert!(usn.entries.iter().any(|e| e.release == "focal"));
    let Feed::Distro(dsa) = parse_any("DSA-5461-1.json", &fixture("DSA-5461-1.json")).unwrap() else {
        panic!("not distribution data");
    };
    let releases: Vec<&str> = dsa.entries.iter().map(|e| e.release.as_str()).collect();
    assert_eq!(releases, ["bullseye", "bookworm"]);
}

#[test]
fn malformed_distribution_data_is_refused_with_its_place() {
    let err = parse_any("t.json", br#"{"openssh": {"CVE-2023-38408": {"releases": {"bookworm": {"status": "resolved", "fixed_version": "1:9.2p1-2+deb12u1"}}}}"#)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("t.json:1"), "{err}");
    let Feed::Distro(doc) = parse_any(
        "t.json",
        br#"{"openssh": {"CVE-2023-1": {"releases": {"bookworm": {"status": "fixed?"}, "trixie": {"status": "open"}}}}}"#,
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(doc.entries.len(), 1);
    assert!(
        doc.warnings[0].contains("openssh/CVE-2023-1/releases/bookworm/status"),
        "{:?}",
        doc.warnings
    );
    let Feed::Distro(osv) = parse_any(
        "o.json",
        br#"{"id": "PYSEC-1", "affected": [{"package": {"ecosystem": "PyPI", "name": "x"}, "ranges": []}]}"#,
    )
    .unwrap() else {
        panic!()
    };
    assert!(osv.entries.is_empty());
    assert!(
        osv.warnings[0].contains("PYSEC-1/affected[0]/package/ecosystem"),
        "{:?}",
        osv.warnings
    );
    let err = parse_any("o.json", br#"[{"affected": [], "id": ""}]"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("[0].id"), "{err}");
}

#[test]
fn agent_inventory_gives_the_release_and_source_packages() {
    let h = host("agent-debian12-old.json");
    assert_eq!(h.distro.as_deref(), Some("debian"));
    assert_eq!(h.release.as_deref(), Some("bookworm"));
    assert!(h.is_linux());
    let sw = h.software.as_ref().unwrap();
    let client = sw.iter().find(|s| s.name == "openssh-client").unwrap();
    assert_eq!(client.source(), ("openssh", Some("1:9.2p1-2")));
    assert!(client.is_distro_package());
    let u = host("agent-ubuntu2204.json");
    assert_eq!(
        (u.distro.as_deref(), u.release.as_deref()),
        (Some("ubuntu"), Some("jammy"))
    );
    // Without a codename, the version number is mapped.
    let text = String::from_utf8(fixture("agent-ubuntu2204.json"))
        .unwrap()
        .replace("\"display_version\": \"jammy\",", "");
    let u = parse_inventory("u.json", text.as_bytes()).unwrap();
    assert_eq!(u.release.as_deref(), Some("jammy"));
}

#[test]
fn old_openssh_on_bookworm_is_vulnerable_then_fixed_after_the_upgrade() {
    let kb = kb(&["debian-tracker.json"]);
    let old = host("agent-debian12-old.json");
    // 1:9.2p1-2 < 1:9.2p1-2+deb12u1, the fixed version for bookworm.
    let v = verdict(&kb, &old, "CVE-2023-38408");
    assert_eq!(v.state, State::Vulnerable, "{v:#?}");
    assert!(
        v.evidence.contains(
            &"openssh-client 1:9.2p1-2 (source openssh) is below the fixed version 1:9.2p1-2+deb12u1 in bookworm (Debian Security Tracker, urgency not yet assigned)"
                .to_owned()
        ),
        "{v:#?}"
    );
    assert_eq!(
        v.fixes,
        [
            "openssh-client → 1:9.2p1-2+deb12u1",
            "openssh-server → 1:9.2p1-2+deb12u1",
            "openssh-sftp-server → 1:9.2p1-2+deb12u1"
        ]
    );
    assert!(v.kb.is_empty());
    // OpenSSL 3.0.9-1 < 3.0.11-1~deb12u2 (libssl3 and the openssl program, one source package).
    let v = verdict(&kb, &old, "CVE-2023-5363");
    assert_eq!(v.state, State::Vulnerable, "{v:#?}");
    assert_eq!(
        v.fixes,
        ["libssl3 → 3.0.11-1~deb12u2", "openssl → 3.0.11-1~deb12u2"]
    );

    let new = host("agent-debian12-new.json");
    // 1:9.2p1-2+deb12u3 ≥ +deb12u1 and ≥ +deb12u2.
    for cve in ["CVE-2023-38408", "CVE-2023-48795"] {
        let v = verdict(&kb, &new, cve);
        assert_eq!(v.state, State::Remediated, "{cve}: {v:#?}");
        assert!(
            v.fixes.contains(&"openssh-client 1:9.2p1-2+deb12u3".to_owned()),
            "{v:#?}"
        );
    }
    // libssl3 3.0.11-1~deb12u2+b1 is a binary rebuild of source 3.0.11-1~deb12u2: the source version is compared.
    let v = verdict(&kb, &new, "CVE-2023-5363");
    assert_eq!(v.state, State::Remediated, "{v:#?}");
    assert!(
        v.evidence.iter().any(|e| e.starts_with(
            "libssl3 3.0.11-1~deb12u2+b1 (source openssl 3.0.11-1~deb12u2) is at or above the fixed version 3.0.11-1~deb12u2"
        )),
        "{v:#?}"
    );
    // CVE-2023-51767 is open in bookworm: vulnerable with no fix yet, whatever the version.
    let v = verdict(&kb, &new, "CVE-2023-51767");
    assert_eq!(v.state, State::Vulnerable, "{v:#?}");
    assert!(
        v.fixes.contains(&"openssh-client: no fix yet".to_owned()),
        "{v:#?}"
    );
    assert!(
        v.evidence[0].ends_with("in bookworm (Debian Security Tracker, urgency unimportant): no fix yet"),
        "{v:#?}"
    );
}

#[test]
fn not_installed_other_release_undetermined_and_not_affected() {
    let mut kb = kb(&["debian-tracker.json", "USN-6242-1.json", "DSA-5461-1.json"]);
    let old = host("agent-debian12-old.json");
    // Without OpenSSH installed: not affected, saying which source package is absent.
    let mut bare = old.clone();
    bare.software
        .as_mut()
        .unwrap()
        .retain(|s| s.source().0 != "openssh");
    let v = verdict(&kb, &bare, "CVE-2023-38408");
    assert_eq!(v.state, State::NotAffected, "{v:#?}");
    assert_eq!(v.evidence, ["Debian source package openssh is not installed"]);
    // A release the data does not cover (Debian 9 "stretch" is no longer tracked): unknown, naming the releases.
    let mut stretch = old.clone();
    stretch.release = Some("stretch".into());
    let v = verdict(&kb, &stretch, "CVE-2023-38408");
    assert_eq!(v.state, State::Unknown, "{v:#?}");
    assert_eq!(
        v.missing,
        ["whether openssh in stretch is affected: the imported Debian data covers bookworm, bullseye, sid, trixie only"]
    );
    // No release at all.
    let mut norel = old.clone();
    norel.release = None;
    assert_eq!(verdict(&kb, &norel, "CVE-2023-38408").state, State::Unknown);
    // Bullseye's OpenSSL 1.1.1 was never affected by CVE-2023-5363 (fixed_version "0").
    let mut bullseye = old.clone();
    bullseye.release = Some("bullseye".into());
    let v = verdict(&kb, &bullseye, "CVE-2023-5363");
    assert_eq!(v.state, State::NotAffected, "{v:#?}");
    // An undetermined statement (added here: the fixture's real entries are all decided) makes it unknown.
    let rec = kb.cves.get_mut("CVE-2023-5363").unwrap();
    rec.packages.insert(PackageAdvisory {
        cve: "CVE-2023-5363".into(),
        distro: Distro::Debian,
        release: "bullseye".into(),
        package: "openssl".into(),
        status: PackageStatus::Undetermined,
        urgency: None,
        advisory: "Debian Security Tracker".into(),
    });
    let v = verdict(&kb, &bullseye, "CVE-2023-5363");
    assert_eq!(v.state, State::Unknown, "{v:#?}");
    assert!(v.missing[0].contains("not yet determined by Debian"), "{v:#?}");
    // The Debian OSV record agrees with the tracker: both statements are evidence.
    let v = verdict(&kb, &old, "CVE-2023-38408");
    assert_eq!(v.state, State::Vulnerable);
    // A Windows host is not affected by Debian and Ubuntu package data.
    let win = parse_inventory(
        "w.json",
        br#"{"schema": "canhgac.inventory/1", "hostname": "pc", "os": {"name": "Microsoft Windows 10 Pro", "version": "10.0.19045.3930"}, "software": []}"#,
    )
    .unwrap();
    let v = verdict(&kb, &win, "CVE-2023-38408");
    assert_eq!(v.state, State::NotAffected, "{v:#?}");
}

#[test]
fn ubuntu_jammy_from_the_usn() {
    let kb = kb(&["debian-tracker.json", "USN-6242-1.json"]);
    let mut jammy = host("agent-ubuntu2204.json");
    // 1:8.9p1-3ubuntu0.1 < 1:8.9p1-3ubuntu0.3 (USN-6242-1 for 22.04 LTS).
    let v = verdict(&kb, &jammy, "CVE-2023-38408");
    assert_eq!(v.state, State::Vulnerable, "{v:#?}");
    assert_eq!(
        v.evidence[0],
        "openssh-client 1:8.9p1-3ubuntu0.1 (source openssh) is below the fixed version 1:8.9p1-3ubuntu0.3 in jammy (USN-6242-1, urgency not yet assigned)"
            .replace(", urgency not yet assigned", "")
    );
    for s in jammy.software.as_mut().unwrap() {
        s.version = Some("1:8.9p1-3ubuntu0.10".into());
    }
    let v = verdict(&kb, &jammy, "CVE-2023-38408");
    assert_eq!(v.state, State::Remediated, "{v:#?}");
    // The Debian-only CVEs do not apply to an Ubuntu host.
    let v = verdict(&kb, &jammy, "CVE-2023-48795");
    assert_eq!(v.state, State::NotAffected, "{v:#?}");
    // Noble is not in the USN: unknown.
    jammy.release = Some("noble".into());
    let v = verdict(&kb, &jammy, "CVE-2023-38408");
    assert_eq!(v.state, State::Unknown, "{v:#?}");
    assert!(v.missing[0].contains("covers focal, jammy only"), "{v:#?}");
}

#[test]
fn linux_host_against_microsoft_data_is_not_affected() {
    let mut kb = kb(&["debian-tracker.json"]);
    kb.merge(
        parse_any(
            "csaf.json",
            &std::fs::read(
                PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/fixtures/csaf-msrc-cve-2023-28252.json"),
            )
            .unwrap(),
        )
        .unwrap(),
    );
    let old = host("agent-debian12-old.json");
    let v = verdict(&kb, &old, "CVE-2023-28252");
    assert_eq!(v.state, State::NotAffected, "{v:#?}");
    assert!(v.evidence[0].starts_with("Microsoft products only ("), "{v:#?}");
}

/// A Debian kernel image built from `linux-signed-amd64`, as dpkg describes it.
fn kernel_image(image: &str, signed_source_version: &str) -> Software {
    Software {
        manager: Some("dpkg".into()),
        source_package: Some("linux-signed-amd64".into()),
        source_version: Some(signed_source_version.into()),
        ..Software::named("linux-image-6.1.0-13-amd64", Some(image))
    }
}

#[test]
fn signed_kernels_are_compared_as_linux_with_the_image_version() {
    let kb = kb(&["debian-tracker-linux.json"]);
    let mut old = host("agent-debian12-old.json");
    old.software
        .as_mut()
        .unwrap()
        .push(kernel_image("6.1.52-1", "6.1.52+1"));
    // The tracker names `linux`; the image 6.1.52-1 is below 6.1.52-2. (The signed source's own version, 6.1.52+1,
    // would sort above it.)
    let v = verdict(&kb, &old, "CVE-2099-0101");
    assert_eq!(v.state, State::Vulnerable, "{v:#?}");
    assert_eq!(v.fixes, ["linux-image-6.1.0-13-amd64 → 6.1.52-2"]);
    assert!(
        v.evidence[0].starts_with(
            "linux-image-6.1.0-13-amd64 6.1.52-1 (source linux-signed-amd64 6.1.52+1) [compared as linux 6.1.52-1] \
             is below the fixed version 6.1.52-2 in bookworm"
        ),
        "{v:#?}"
    );
    let mut new = host("agent-debian12-old.json");
    new.software
        .as_mut()
        .unwrap()
        .push(kernel_image("6.1.55-1", "6.1.55+1"));
    assert_eq!(verdict(&kb, &new, "CVE-2099-0101").state, State::Remediated);
}

#[test]
fn security_source_names_of_kernel_packages() {
    let signed = |source: &str, sv: &str, v: &str| {
        let s = Software {
            source_package: Some(source.into()),
            source_version: Some(sv.into()),
            ..Software::named("linux-image", Some(v))
        };
        let (name, version) = s.security_source();
        (name.into_owned(), version.map(str::to_owned))
    };
    let pair = |n: &str, v: &str| (n.to_owned(), Some(v.to_owned()));
    assert_eq!(
        signed("linux-signed-arm64", "6.1.55+1", "6.1.55-1"),
        pair("linux", "6.1.55-1")
    );
    assert_eq!(
        signed("linux-signed", "5.15.0-91.101", "5.15.0-91.101"),
        pair("linux", "5.15.0-91.101")
    );
    assert_eq!(
        signed(
            "linux-signed-hwe-6.5",
            "6.5.0-14.14~22.04.1",
            "6.5.0-14.14~22.04.1"
        ),
        pair("linux-hwe-6.5", "6.5.0-14.14~22.04.1")
    );
    // Ubuntu's meta packages use another version scheme: never compared as the kernel.
    assert_eq!(
        signed("linux-meta", "5.15.0.91.88", "5.15.0.91.88"),
        pair("linux-meta", "5.15.0.91.88")
    );
    assert_eq!(
        signed("openssl", "3.0.11-1~deb12u2", "3.0.11-1~deb12u2+b1"),
        pair("openssl", "3.0.11-1~deb12u2")
    );
}
