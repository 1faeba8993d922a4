//! The other feeds: CISA KEV, NVD and CVE JSON 5, CVRF JSON, CSAF 2.0 and Update Catalog records; and
//! malformed inputs, which fail with their place and leave the knowledge base as it was.

mod common;

use canhgac_vuln::advisory::{parse_any, Feed, MAX_ADVISORY_BYTES};
use canhgac_vuln::{Kb, KnowledgeBase, Severity};
use std::path::{Path, PathBuf};

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(json_files(&path));
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    out.sort();
    out
}

#[test]
fn kev_catalogs_import() {
    let Some(dir) = canhgac_testdata::require("cisa-kev") else {
        return;
    };
    let Feed::Kev(old) = common::parse_file(&dir.join("known_exploited_vulnerabilities_2024.01.18.json"))
    else {
        panic!()
    };
    assert_eq!((old.version.as_str(), old.entries.len()), ("2024.01.18", 1069));
    let Feed::Kev(new) = common::parse_file(&dir.join("known_exploited_vulnerabilities.json")) else {
        panic!()
    };
    assert_eq!((new.version.as_str(), new.entries.len()), ("2025.08.25", 1404));
    assert!(old.warnings.is_empty() && new.warnings.is_empty());
    let clfs = old.entries.iter().find(|e| e.cve == "CVE-2023-28252").unwrap();
    assert_eq!(
        (clfs.date_added.as_str(), clfs.vendor.as_str()),
        ("2023-04-11", "Microsoft")
    );
    let mut kb = KnowledgeBase::default();
    kb.merge(Feed::Kev(old));
    kb.merge(Feed::Kev(new));
    assert_eq!(
        kb.kev.len(),
        1404,
        "KEV only grows: the newer catalog contains the older"
    );
}

#[test]
fn nvd_and_cve5_samples_import() {
    let Some(dir) = canhgac_testdata::require("nvd-cve-samples") else {
        return;
    };
    let mut kb = KnowledgeBase::default();
    let mut records = 0;
    for path in json_files(&dir) {
        let name = path.to_string_lossy().into_owned();
        if name.contains("cpematch") || name.contains("cpe-dictionary") {
            continue; // CPE dictionary and CPE-match entries, not CVE records
        }
        match common::parse_file(&path) {
            Feed::Nvd(r) => {
                records += r.len();
                r.into_iter().for_each(|r| kb.merge_nvd(r));
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    assert!(records >= 20, "{records} records");
    let httpd = kb.cves["CVE-2023-25690"].nvd.as_ref().unwrap();
    assert_eq!(httpd.cvss.as_ref().map(|c| c.base), Some(9.8));
    assert_eq!(httpd.severity, Some(Severity::Critical));
    assert!(httpd
        .description
        .starts_with("Some mod_proxy configurations on Apache HTTP Server"));
    let juniper = kb.cves["CVE-2024-39565"].nvd.as_ref().unwrap();
    assert_eq!(juniper.published.as_deref(), Some("2024-07-10T22:55:27.516Z"));
    assert!(kb.cves["CVE-2023-38408"].nvd.as_ref().unwrap().cvss.is_some());
}

#[test]
fn cvrf_json_per_cve_extracts_import() {
    let Some(dir) = canhgac_testdata::require("msrc-cvrf-2023/related-vuls-fixtures/cvrf-per-cve-json")
    else {
        return;
    };
    let mut kb = KnowledgeBase::default();
    for path in json_files(&dir) {
        match common::parse_file(&path) {
            Feed::Msrc(doc) => kb.merge_msrc(&doc),
            other => panic!("{}: {other:?}", path.display()),
        }
    }
    let dotnet = &kb.cves["CVE-2023-29326"];
    // The extract labels its severity threats "Exploit Status"; the June 2023 CVRF says Important.
    assert_eq!(dotnet.max_severity(), Some(Severity::Important));
    assert!(dotnet
        .fixes_for("11676-11568")
        .any(|f| f.kb == Some(Kb(5027536)) && f.fixed_build.as_deref() == Some("4.8.4644.0")));
    assert!(kb.supersedence.direct(Kb(5027536)).any(|k| k == Kb(5022782)));
    assert_eq!(kb.products["11676-11568"].family, "Developer Tools");
}

#[test]
fn csaf_advisory_gives_the_same_knowledge_as_cvrf() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/csaf-msrc-cve-2023-28252.json");
    let Feed::Msrc(doc) = common::parse_file(&path) else {
        panic!("not a Microsoft document")
    };
    let mut kb = KnowledgeBase::default();
    kb.merge_msrc(&doc);
    let rec = &kb.cves["CVE-2023-28252"];
    assert_eq!(
        (rec.max_severity(), rec.exploited),
        (Some(Severity::Important), Some(true))
    );
    assert_eq!(rec.cvss.as_ref().map(|c| c.base), Some(7.8));
    assert!(rec.fixes_for("12097").any(|f| f.kb == Some(Kb(5025221))));
    assert_eq!(kb.products["11571"].family, "Windows");
    let Some(full) = common::knowledge() else { return };
    let cvrf = &full.cves["CVE-2023-28252"];
    for pid in ["12097", "11571"] {
        let kbs = |r: &canhgac_vuln::knowledge::CveRecord| r.fixes_for(pid).filter_map(|f| f.kb).min();
        assert_eq!(
            kbs(rec),
            kbs(cvrf),
            "product {pid}: the CSAF and CVRF forms name the same April fix"
        );
    }
}

#[test]
fn update_catalog_supersedence_is_followed() {
    let Some(kb) = common::knowledge() else { return };
    // Catalog record 0b97c243…: May 2023's KB5026372 (Windows 11 22H2 arm64) supersedes April's KB5025239.
    let proof = kb.supersedence.proves(Kb(5026372), Kb(5025239)).unwrap();
    assert!(
        proof.source.starts_with("Update Catalog") || proof.source.starts_with("CVRF"),
        "{proof:?}"
    );
    // The April preview KB5025305 is superseded by May's KB5026372 according to the catalog only.
    let preview = kb.supersedence.proves(Kb(5026372), Kb(5025305)).unwrap();
    assert_eq!(preview.chain, vec![Kb(5026372), Kb(5025305)]);
    assert!(preview.source.starts_with("Update Catalog"), "{preview:?}");
}

#[test]
fn malformed_feeds_fail_with_their_place_and_change_nothing() {
    let Some(kb) = common::knowledge() else { return };
    let before = kb.clone();
    let mut after = kb.clone();
    let mut err = |name: &str, bytes: &[u8]| {
        parse_any(name, bytes)
            .map(|f| after.merge(f))
            .unwrap_err()
            .to_string()
    };
    let kev = canhgac_testdata::require("cisa-kev/known_exploited_vulnerabilities.json").unwrap();
    let text = std::fs::read(kev).unwrap();
    let truncated = err("kev.json", &text[..text.len() / 2]);
    assert!(
        truncated.starts_with("kev.json:") && truncated.contains("malformed JSON: EOF while parsing"),
        "{truncated}"
    );
    assert_eq!(
        err("x.json", br#"{"catalogVersion": "1", "vulnerabilities": 3}"#),
        "x.json (vulnerabilities): not a KEV catalog: no vulnerabilities array"
    );
    assert_eq!(
        err("x.json", br#"{"hello": 1}"#),
        "x.json: unrecognised format: JSON is not CSAF, CVRF, KEV, NVD/CVE 5, an NVD CPE dictionary record, an \
         Update Catalog record, the Debian Security Tracker or an OSV record"
    );
    let huge = vec![b' '; MAX_ADVISORY_BYTES + 1];
    assert_eq!(
        err("huge.json", &huge),
        format!(
            "huge.json: {} bytes exceeds the limit of {MAX_ADVISORY_BYTES} bytes",
            huge.len()
        )
    );
    let xml = std::fs::read(common::jan2024_files().unwrap()[4].clone()).unwrap();
    let cut = err("2023-May.xml", &xml[..xml.len() / 3]);
    assert!(
        cut.starts_with("2023-May.xml:") && cut.contains("malformed XML"),
        "{cut}"
    );
    assert_eq!(
        err("bad.zst", &[0x28, 0xB5, 0x2F, 0xFD, 1, 2, 3])
            .split(':')
            .next(),
        Some("bad.zst")
    );
    assert!(
        before == after,
        "failed imports leave the knowledge base unchanged"
    );
}

/// The whole Debian Security Tracker is one JSON object of every source package; it has outgrown 64 MiB. A
/// document of that shape, over 80 MiB, is read whole: every generated statement comes back.
#[test]
fn a_debian_tracker_over_64_mib_is_read_whole() {
    use std::fmt::Write as _;
    const TARGET: usize = 80 * 1024 * 1024;
    let description = "x".repeat(180);
    let mut text = String::with_capacity(TARGET + 1024 * 1024);
    text.push('{');
    let (mut packages, mut statements) = (0usize, 0usize);
    while text.len() < TARGET {
        if packages > 0 {
            text.push(',');
        }
        write!(text, "\"pkg{packages}\":{{").unwrap();
        for c in 0..20 {
            if c > 0 {
                text.push(',');
            }
            write!(
                text,
                "\"CVE-2023-{:05}\":{{\"description\":\"{description}\",\"scope\":\"remote\",\"releases\":{{\
                 \"bookworm\":{{\"status\":\"resolved\",\"repositories\":{{\"bookworm\":\"1.{c}-1\"}},\
                 \"fixed_version\":\"1.{c}-1\",\"urgency\":\"medium\"}},\
                 \"bullseye\":{{\"status\":\"open\",\"repositories\":{{\"bullseye\":\"0.9-1\"}},\
                 \"urgency\":\"low\"}}}}}}",
                packages * 20 + c
            )
            .unwrap();
            statements += 2;
        }
        text.push('}');
        packages += 1;
    }
    text.push('}');
    assert!(text.len() > 64 * 1024 * 1024 && text.len() <= MAX_ADVISORY_BYTES);
    let Feed::Distro(doc) = parse_any("debian-tracker.json", text.as_bytes()).unwrap() else {
        panic!("not read as distribution data");
    };
    assert_eq!(doc.entries.len(), statements);
    assert!(
        doc.warnings.is_empty(),
        "{:?}",
        &doc.warnings[..3.min(doc.warnings.len())]
    );
    assert!(doc
        .entries
        .iter()
        .any(|e| e.package == format!("pkg{}", packages - 1) && e.release == "bullseye"));
}
