//! Vulnerabilities: advisory feeds, national warnings, host inventories, findings and their views.

use super::*;
use canhgac_store::{FindingChange, FindingStatus, Sla, WarningInput};
use canhgac_vuln::KnowledgeBase;

/// A month of advisories written by hand: CVE-2099-0001 (Critical) is fixed on Windows 10 22H2 by KB5000002, which
/// supersedes KB5000001; CVE-2099-0002 (Important, exploited) by KB5000010.
const CVRF: &str = r#"<cvrfdoc><DocumentTracking><Identification><ID>2099-Jan</ID></Identification>
<InitialReleaseDate>2099-01-10T08:00:00</InitialReleaseDate><CurrentReleaseDate>2099-01-10T08:00:00</CurrentReleaseDate>
</DocumentTracking>
<ProductTree><Branch Type="Product Family" Name="Windows">
  <FullProductName ProductID="12097">Windows 10 Version 22H2 for x64-based Systems</FullProductName></Branch></ProductTree>
<Vulnerability><Title>Kernel</Title><CVE>CVE-2099-0001</CVE>
  <ProductStatuses><Status Type="Known Affected"><ProductID>12097</ProductID></Status></ProductStatuses>
  <Threats><Threat Type="Severity"><Description>Critical</Description><ProductID>12097</ProductID></Threat></Threats>
  <Remediations><Remediation Type="Vendor Fix"><Description>5000002</Description>
    <Supercedence>5000001</Supercedence><ProductID>12097</ProductID></Remediation></Remediations>
</Vulnerability>
<Vulnerability><Title>Print</Title><CVE>CVE-2099-0002</CVE>
  <ProductStatuses><Status Type="Known Affected"><ProductID>12097</ProductID></Status></ProductStatuses>
  <Threats><Threat Type="Severity"><Description>Important</Description><ProductID>12097</ProductID></Threat>
    <Threat Type="Exploit Status"><Description>Publicly Disclosed:No;Exploited:Yes</Description></Threat></Threats>
  <Remediations><Remediation Type="Vendor Fix"><Description>5000010</Description><ProductID>12097</ProductID></Remediation></Remediations>
</Vulnerability></cvrfdoc>"#;

/// `systeminfo` of a Windows 10 22H2 machine with the given KBs.
fn systeminfo(host: &str, kbs: &[&str]) -> Vec<u8> {
    let mut s = format!(
        "Host Name:                 {host}\r\nOS Name:                   Microsoft Windows 10 Pro\r\n\
         OS Version:                10.0.19045 N/A Build 19045\r\nSystem Type:               x64-based PC\r\n\
         Hotfix(s):                 {} Hotfix(s) Installed.\r\n",
        kbs.len()
    );
    for (i, kb) in kbs.iter().enumerate() {
        s.push_str(&format!("                           [{:02}]: {kb}\r\n", i + 1));
    }
    s.into_bytes()
}

fn state_of<'a>(findings: &'a [canhgac_store::Finding], cve: &str) -> &'a canhgac_store::Finding {
    findings
        .iter()
        .find(|f| f.cve == cve)
        .unwrap_or_else(|| panic!("no finding for {cve}: {findings:#?}"))
}

fn change(status: &str, reason: &str, expires_at: Option<i64>) -> FindingChange {
    FindingChange {
        status: status.into(),
        reason: reason.into(),
        expires_at,
        owner: None,
    }
}

/// Feeds are Department-only, parsed before storing and idempotent; inventories attach to a unit's own assets;
/// findings open, are verified fixed by a later inventory, reopen when the KB disappears or an accepted risk
/// expires; warnings and saved views count exposed hosts per scope, with a trend; patch lists put exploited first.
pub async fn vulnerabilities_from_feeds_to_findings(store: &Store) {
    let w = world(store).await;
    assert!(matches!(
        store
            .import_advisory(&w.a_admin, "2099-Jan.xml", CVRF.as_bytes())
            .await,
        Err(StoreError::Forbidden)
    ));
    let first = store
        .import_advisory(&w.admin, "2099-Jan.xml", CVRF.as_bytes())
        .await
        .unwrap();
    assert!(first.created);
    assert_eq!(first.feed.kind, "msrc");
    let again = store
        .import_advisory(&w.admin, "copy.xml", CVRF.as_bytes())
        .await
        .unwrap();
    assert!(!again.created, "the same bytes are not stored twice");
    assert_eq!(again.feed.id, first.feed.id);
    for (name, bad) in [
        ("cut.xml", &CVRF.as_bytes()[..CVRF.len() / 2]),
        (
            "kev.json",
            br#"{"catalogVersion": "1", "vulnerabilities": [{"cveID": 5}"#.as_slice(),
        ),
        ("other.json", br#"{"hello": "world"}"#.as_slice()),
    ] {
        match store.import_advisory(&w.admin, name, bad).await {
            Err(StoreError::Invalid(inv)) => {
                assert_eq!(inv.0[0].code, "err.advisory_unreadable");
                assert!(inv.0[0].value.as_deref().unwrap_or("").contains(name), "{inv:?}");
            }
            other => panic!("{name} accepted: {other:?}"),
        }
    }
    assert_eq!(
        store.advisory_feeds().await.unwrap().len(),
        1,
        "the previous version is kept"
    );
    let kb: KnowledgeBase = store.knowledge_base().await.unwrap();
    assert_eq!(kb.cves.len(), 2);

    let a_pc = store
        .create_asset(&w.a_admin, w.a, &asset("A-PC1", "10.0.0.5", "critical"))
        .await
        .unwrap()
        .id;
    let b_pc = store
        .create_asset(&w.b_admin, w.b, &asset("B-PC1", "10.1.0.5", "low"))
        .await
        .unwrap()
        .id;
    assert!(matches!(
        store
            .attach_inventory(&w.b_admin, a_pc, "a.txt", &systeminfo("A-PC1", &["KB5000003"]))
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .attach_inventory(&w.a_admin, a_pc, "empty.txt", b"  \r\n")
            .await,
        Err(StoreError::Invalid(_))
    ));
    let inv = store
        .attach_inventory(&w.a_admin, a_pc, "a.txt", &systeminfo("A-PC1", &["KB5000003"]))
        .await
        .unwrap();
    assert_eq!(
        (inv.os_build.as_str(), inv.kbs.clone()),
        ("10.0.19045", vec!["KB5000003".to_string()])
    );
    store
        .attach_inventory(&w.b_admin, b_pc, "b.txt", &systeminfo("B-PC1", &["KB5000002"]))
        .await
        .unwrap();
    assert!(matches!(
        store.recompute_findings(Some(&w.a_admin), None, &kb).await,
        Err(StoreError::Forbidden)
    ));
    let report = store.recompute_findings(None, None, &kb).await.unwrap();
    assert_eq!((report.hosts, report.opened), (2, 3));

    let a_findings = store.host_findings(&w.a_admin, a_pc).await.unwrap();
    let k1 = state_of(&a_findings, "CVE-2099-0001");
    assert_eq!(
        (k1.state.as_str(), k1.kb.as_str(), k1.status),
        ("vulnerable", "KB5000002", FindingStatus::Open)
    );
    assert_eq!(
        k1.due_at - k1.first_seen,
        7 * 86_400_000,
        "critical: 7 days by default"
    );
    let k2 = state_of(&a_findings, "CVE-2099-0002");
    assert!(k2.exploited && k2.severity == "Important");
    assert_eq!(k2.due_at - k2.first_seen, 30 * 86_400_000);
    // B was never vulnerable: its remediated CVE is not stored, the host's page matches it live.
    let stored = store.host_findings(&w.b_admin, b_pc).await.unwrap();
    assert!(stored.iter().all(|f| f.cve != "CVE-2099-0001"), "{stored:#?}");
    let b_findings = store.host_live_verdicts(&w.b_admin, b_pc, &kb).await.unwrap();
    let b1 = state_of(&b_findings, "CVE-2099-0001");
    assert_eq!(
        (b1.state.as_str(), b1.status),
        ("remediated", FindingStatus::Fixed)
    );
    assert!(b1.evidence.iter().any(|e| e.contains("KB5000002")), "{b1:?}");
    assert!(matches!(
        store.host_findings(&w.b_admin, a_pc).await,
        Err(StoreError::NotFound)
    ));

    // A national warning naming CVE-2099-0001 and the hosts it still exposes.
    let warning = store
        .create_warning(
            &w.admin,
            &WarningInput {
                number: "1664/CATTT-NCSC".into(),
                issued_on: "14/07/2099".into(),
                issuer: "Cục An toàn thông tin".into(),
                title: "Lỗ hổng nhân Windows".into(),
                deadline: "2099-07-30".into(),
                cves: "cve-2099-0001".into(),
                products: "Windows 10".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (warning.issued_on.as_str(), warning.cves.clone()),
        ("2099-07-14", vec!["CVE-2099-0001".into()])
    );
    assert!(matches!(
        store.create_warning(&w.a_admin, &WarningInput::default()).await,
        Err(StoreError::Forbidden)
    ));
    let key = format!("warning:{}", warning.id);
    store.recompute_findings(None, None, &kb).await.unwrap();
    let counts = |views: Vec<canhgac_store::VulnView>| {
        views
            .into_iter()
            .find(|v| v.key == key)
            .map(|v| (v.hosts, v.units))
            .unwrap()
    };
    let findings =
        |views: Vec<canhgac_store::VulnView>| views.into_iter().find(|v| v.key == key).unwrap().findings;
    assert_eq!(counts(store.vuln_views(&w.admin, &kb).await.unwrap()), (1, 1));
    assert_eq!(findings(store.vuln_views(&w.admin, &kb).await.unwrap()), 1);
    assert_eq!(counts(store.vuln_views(&w.b_admin, &kb).await.unwrap()), (0, 0));
    let detail = store.vuln_view(&w.admin, &kb, &key).await.unwrap();
    assert_eq!(detail.hosts.len(), 1);
    assert_eq!(
        (
            detail.hosts[0].hostname.as_str(),
            detail.hosts[0].unit_code.as_str()
        ),
        ("A-PC1", "BVA")
    );
    assert_eq!(detail.trend.len(), 1);
    assert_eq!((detail.trend[0].hosts, detail.trend[0].units), (1, 1));

    // The patch list of unit A: the exploited CVE's KB first.
    let patches = store.patch_list(&w.a_admin, w.a).await.unwrap();
    assert_eq!(
        patches.iter().map(|p| p.kb.as_str()).collect::<Vec<_>>(),
        ["KB5000010", "KB5000002"]
    );
    assert!(matches!(
        store.patch_list(&w.b_admin, w.a).await,
        Err(StoreError::NotFound)
    ));

    // People's decisions: reasons required, expiry in the future, audited; counts drop.
    assert!(matches!(
        store
            .set_finding_status(&w.b_admin, k2.id, &change("in_progress", "", None))
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .set_finding_status(
                &w.a_admin,
                k2.id,
                &change("risk_accepted", "", Some(now() + 60_000))
            )
            .await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store
            .set_finding_status(&w.a_admin, k2.id, &change("risk_accepted", "isolated", None))
            .await,
        Err(StoreError::Invalid(_))
    ));
    let accepted = store
        .set_finding_status(
            &w.a_admin,
            k2.id,
            &change("risk_accepted", "máy cách ly", Some(now() + 300)),
        )
        .await
        .unwrap();
    assert_eq!(accepted.status, FindingStatus::RiskAccepted);
    let fixed = store
        .set_finding_status(&w.a_admin, k1.id, &change("fixed", "cài KB5000002", None))
        .await
        .unwrap();
    assert_eq!(fixed.status, FindingStatus::Fixed);
    assert_eq!(counts(store.vuln_views(&w.admin, &kb).await.unwrap()), (0, 0));
    assert!(store.patch_list(&w.a_admin, w.a).await.unwrap().is_empty());
    let audit = store
        .audit(
            &w.admin,
            &AuditQuery {
                entity: "vuln_finding".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(audit.total, 2);
    assert!(audit
        .items
        .iter()
        .any(|e| e.after.contains("máy cách ly") && e.before.contains("open")));

    // The KB arrives in a new inventory: verified fixed. Then it is gone again: reopened. The accepted risk
    // expires: reopened too.
    store
        .attach_inventory(&w.a_admin, a_pc, "a2.txt", &systeminfo("A-PC1", &["KB5000002"]))
        .await
        .unwrap();
    store
        .recompute_findings(Some(&w.a_admin), Some(w.a), &kb)
        .await
        .unwrap();
    let f = store.finding(&w.a_admin, k1.id).await.unwrap();
    assert_eq!(
        (f.state.as_str(), f.status, f.reason.as_str()),
        ("remediated", FindingStatus::Fixed, "verified: KB5000002")
    );
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    store
        .attach_inventory(&w.a_admin, a_pc, "a3.txt", &systeminfo("A-PC1", &["KB5000003"]))
        .await
        .unwrap();
    let r = store
        .recompute_findings(Some(&w.a_admin), Some(w.a), &kb)
        .await
        .unwrap();
    assert_eq!(r.reopened, 2, "{r:?}");
    let a_findings = store.host_findings(&w.a_admin, a_pc).await.unwrap();
    assert_eq!(state_of(&a_findings, "CVE-2099-0001").status, FindingStatus::Open);
    assert_eq!(state_of(&a_findings, "CVE-2099-0002").status, FindingStatus::Open);
    assert_eq!(counts(store.vuln_views(&w.admin, &kb).await.unwrap()), (1, 1));

    // SLA sets: the unit's own over the Department's over the defaults.
    assert!(matches!(
        store
            .set_sla(
                &w.b_admin,
                w.a,
                Sla {
                    critical: 3,
                    ..Sla::default()
                }
            )
            .await,
        Err(StoreError::NotFound)
    ));
    store
        .set_sla(
            &w.admin,
            w.admin.unit_id,
            Sla {
                critical: 5,
                ..Sla::default()
            },
        )
        .await
        .unwrap();
    store
        .set_sla(
            &w.a_admin,
            w.a,
            Sla {
                critical: 3,
                ..Sla::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(store.sla(&w.a_admin, w.a).await.unwrap().critical, 3);
    assert_eq!(store.sla(&w.b_admin, w.b).await.unwrap().critical, 5);
    // Due dates follow the set in force at once: A's own, B's the Department's.
    let a_open = store.open_findings(&w.a_admin, None).await.unwrap();
    assert!(a_open.len() >= 2, "{a_open:?}");
    for (actor, unit) in [(&w.a_admin, w.a), (&w.b_admin, w.b)] {
        let sla = store.sla(actor, unit).await.unwrap();
        for f in store.open_findings(actor, None).await.unwrap() {
            assert_eq!(
                f.due_at - f.first_seen,
                sla.days(f.severity_rank) * 86_400_000,
                "{f:?}"
            );
        }
    }
    assert!(matches!(
        store
            .set_sla(
                &w.a_admin,
                w.a,
                Sla {
                    critical: 0,
                    ..Sla::default()
                }
            )
            .await,
        Err(StoreError::Invalid(_))
    ));
}

/// Warnings from a spreadsheet: one row per CVE with the same number, Vietnamese headers under a title row; bad
/// lines named with their field, good rows kept; a second file adds CVEs to the same warning.
pub async fn national_warnings_import_from_csv(store: &Store) {
    let w = world(store).await;
    let csv = "CẢNH BÁO LỖ HỔNG;;;;\n\
               Số hiệu;Ngày ban hành;Cơ quan ban hành;Mã CVE;Hạn khắc phục\n\
               1664/CATTT-NCSC;14/07/2023;Cục An toàn thông tin;CVE-2023-32046;30/07/2023\n\
               1664/CATTT-NCSC;14/07/2023;Cục An toàn thông tin;CVE-2023-32049, CVE-2023-36874;30/07/2023\n\
               ;14/07/2023;Cục An toàn thông tin;CVE-2023-1111;\n\
               1700/CATTT-NCSC;32/13/2023;Cục An toàn thông tin;CVE-2023-2222;\n\
               1701/CATTT-NCSC;01/08/2023;Cục An toàn thông tin;not-a-cve;\n";
    assert!(matches!(
        store.import_warnings(&w.a_admin, "w.csv", csv.as_bytes()).await,
        Err(StoreError::Forbidden)
    ));
    let report = store
        .import_warnings(&w.admin, "w.csv", csv.as_bytes())
        .await
        .unwrap();
    assert_eq!((report.created, report.updated), (1, 0));
    let rejected: Vec<(usize, &str, &str)> = report
        .rejected
        .iter()
        .map(|r| (r.line, r.field.as_str(), r.code.as_str()))
        .collect();
    assert_eq!(
        rejected,
        [
            (5, "number", "err.required"),
            (6, "issued_on", "err.date_invalid"),
            (7, "cves", "err.cve_invalid")
        ]
    );
    let list = store.warnings_list().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        list[0].cves,
        ["CVE-2023-32046", "CVE-2023-32049", "CVE-2023-36874"]
    );
    assert_eq!(
        (list[0].issued_on.as_str(), list[0].deadline.as_str()),
        ("2023-07-14", "2023-07-30")
    );
    let more = "Number,CVE,Affected products\n1664/CATTT-NCSC,CVE-2023-36884,Microsoft Office\n";
    let report = store
        .import_warnings(&w.admin, "w2.csv", more.as_bytes())
        .await
        .unwrap();
    assert_eq!((report.created, report.updated), (0, 1));
    let list = store.warnings_list().await.unwrap();
    assert_eq!(list[0].cves.len(), 4);
    assert_eq!(list[0].products, "Microsoft Office");
    assert!(matches!(
        store.import_warnings(&w.admin, "x.csv", b"a;b\n1;2\n").await,
        Err(StoreError::Invalid(_))
    ));
}

/// Real Microsoft data (May and June 2023): CVE-2023-28283 is fixed on Windows Server 2019 by KB5026362 (May),
/// which June's KB5027222 supersedes. A Server 2019 with KB5027222 is remediated with that KB as evidence; the
/// same machine as shipped is vulnerable and needs KB5026362; a build no advisory names is unknown.
pub async fn real_microsoft_2023_states(store: &Store) {
    let (Some(dir), Some(inv)) = (
        canhgac_testdata::require("msrc-cvrf-2023"),
        canhgac_testdata::require(
            "windows-inventory/wesng/validation/srv_2019_rtm_datacenter_en-us_systeminfo.txt",
        ),
    ) else {
        return;
    };
    let w = world(store).await;
    for month in ["May", "Jun"] {
        let name = format!("cvrfDocument-2023-{month}.xml");
        let r = store
            .import_advisory(&w.admin, &name, &std::fs::read(dir.join(&name)).unwrap())
            .await
            .unwrap();
        assert!(
            r.created && r.feed.summary.starts_with(&format!("2023-{month}")),
            "{r:?}"
        );
    }
    let kb = store.knowledge_base().await.unwrap();
    let shipped = std::fs::read_to_string(inv).unwrap();
    let patched = shipped.replace(
        "[05]: KB4480116",
        "[05]: KB4480116\r\n                           [06]: KB5027222",
    );
    let odd = shipped.replace("10.0.17763 N/A Build 17763", "10.0.17999 N/A Build 17999");
    let mut ids = Vec::new();
    for (unit, actor, host, text) in [
        (w.a, &w.a_admin, "A-SRV19", &patched),
        (w.b, &w.b_admin, "B-SRV19", &shipped),
        (w.a, &w.a_admin, "A-ODD", &odd),
    ] {
        let id = store
            .create_asset(actor, unit, &asset(host, "10.9.0.1", "high"))
            .await
            .unwrap()
            .id;
        store
            .attach_inventory(actor, id, &format!("{host}.txt"), text.as_bytes())
            .await
            .unwrap();
        ids.push(id);
    }
    store.recompute_findings(Some(&w.admin), None, &kb).await.unwrap();
    let cve = "CVE-2023-28283";
    let a = store.host_live_verdicts(&w.a_admin, ids[0], &kb).await.unwrap();
    let fa = state_of(&a, cve);
    assert_eq!(
        (fa.state.as_str(), fa.kb.as_str(), fa.status),
        ("remediated", "KB5027222", FindingStatus::Fixed)
    );
    assert!(
        fa.evidence
            .iter()
            .any(|e| e.contains("KB5027222 supersedes KB5026362")),
        "{fa:#?}"
    );
    let b = store.host_findings(&w.b_admin, ids[1]).await.unwrap();
    let fb = state_of(&b, cve);
    assert_eq!(
        (fb.state.as_str(), fb.kb.as_str(), fb.severity.as_str()),
        ("vulnerable", "KB5026362", "Critical")
    );
    // Neither is an unknown verdict: the host's page matches it live, with what is missing.
    let odd = store.host_findings(&w.a_admin, ids[2]).await.unwrap();
    assert!(!odd.iter().any(|f| f.cve == cve), "{odd:#?}");
    assert!(matches!(
        store.host_live_verdicts(&w.b_admin, ids[2], &kb).await,
        Err(StoreError::NotFound)
    ));
    let odd = store.host_live_verdicts(&w.a_admin, ids[2], &kb).await.unwrap();
    let fo = state_of(&odd, cve);
    assert_eq!((fo.state.as_str(), fo.id), ("unknown", 0));
    assert!(
        !store
            .host_live_verdicts(&w.b_admin, ids[1], &kb)
            .await
            .unwrap()
            .iter()
            .any(|f| f.cve == cve),
        "a stored finding is not listed again"
    );
    assert!(
        fo.evidence
            .iter()
            .any(|e| e.starts_with("missing: ") && e.contains("17999")),
        "{fo:#?}"
    );
    let views = store.vuln_views(&w.admin, &kb).await.unwrap();
    let saved = views.iter().find(|v| v.key == "saved:ms-2023-may-dec").unwrap();
    assert!(saved.cves.iter().any(|c| c == cve));
    assert!(saved.hosts >= 1 && saved.units >= 1, "{saved:?}");
    let detail = store
        .vuln_view(&w.admin, &kb, "saved:ms-2023-may-dec")
        .await
        .unwrap();
    assert!(detail
        .hosts
        .iter()
        .any(|h| h.hostname == "B-SRV19" && h.cves.iter().any(|c| c == cve)));
    assert!(
        !detail.hosts.iter().any(|h| h.hostname == "A-ODD"),
        "unknown is not counted as exposed"
    );
}

fn now() -> i64 {
    canhgac_store::now_ms()
}
