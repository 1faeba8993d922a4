//! The twelve months of 2023 in both of Microsoft's serialisations.

mod common;

use canhgac_vuln::advisory::RemediationKind;
use canhgac_vuln::query::AdvisoryQuery;
use canhgac_vuln::{Kb, KnowledgeBase, Severity};
use common::{current_files, jan2024_files, msrc, MONTHS};

/// Vulnerability elements per month, counted with `grep -c '<vuln:Vulnerability \|<Vulnerability '`.
const JAN2024_COUNTS: [usize; 12] = [127, 111, 140, 137, 69, 120, 162, 142, 110, 132, 106, 51];
const CURRENT_COUNTS: [usize; 12] = [204, 188, 325, 224, 163, 208, 273, 218, 158, 222, 162, 116];

#[test]
fn every_month_parses_in_both_forms_with_every_vulnerability() {
    let (Some(old), Some(new)) = (jan2024_files(), current_files()) else {
        return;
    };
    for (i, (a, b)) in old.iter().zip(&new).enumerate() {
        let (a, b) = (msrc(a), msrc(b));
        let id = format!("2023-{}", MONTHS[i]);
        assert_eq!((a.id.as_str(), b.id.as_str()), (id.as_str(), id.as_str()));
        assert_eq!(
            a.vulnerabilities.len(),
            JAN2024_COUNTS[i],
            "{id} January 2024 form"
        );
        assert_eq!(b.vulnerabilities.len(), CURRENT_COUNTS[i], "{id} 2026 form");
        for doc in [&a, &b] {
            let ids: std::collections::BTreeSet<_> = doc.products.iter().map(|p| &p.id).collect();
            assert_eq!(ids.len(), doc.products.len(), "{id}: each product once");
            assert!(doc.products.len() > 50, "{id}: {} products", doc.products.len());
            // Products from relationships (packages on CBL-Mariner in the 2026 form) have no family branch.
            let windows = doc.products.iter().filter(|p| p.family == "Windows").count();
            assert!(windows > 20, "{id}: {windows} Windows products");
        }
    }
}

#[test]
fn default_namespace_and_prefixed_forms_agree_on_a_cve() {
    let (Some(old), Some(new)) = (jan2024_files(), current_files()) else {
        return;
    };
    // December 2023 is the default-namespace serialisation; the 2026 copy is prefixed.
    let (a, b) = (msrc(&old[11]), msrc(&new[11]));
    let find = |d: &canhgac_vuln::advisory::MsrcDocument| {
        d.vulnerabilities
            .iter()
            .find(|v| v.cve == "CVE-2023-35630")
            .cloned()
            .unwrap()
    };
    let (va, vb) = (find(&a), find(&b));
    assert_eq!(va.title, vb.title);
    assert_eq!(va.affected, vb.affected);
    let kbs = |v: &canhgac_vuln::advisory::MsrcVulnerability| {
        let mut k: Vec<Kb> = v
            .remediations
            .iter()
            .filter(|r| r.kind == RemediationKind::VendorFix)
            .filter_map(|r| r.kb)
            .collect();
        k.sort();
        k.dedup();
        k
    };
    assert_eq!(kbs(&va), kbs(&vb));
    assert!(
        kbs(&va).contains(&Kb(5033372)),
        "December 2023 cumulative update for Windows 10 22H2"
    );
}

#[test]
fn known_facts_of_2023() {
    let Some(kb) = common::knowledge() else { return };
    // April 2023, CLFS elevation of privilege, exploited in the wild: Important; Windows 10 22H2 x64 (12097) is
    // fixed by KB5025221 (build 10.0.19045.2846), which supersedes March's KB5023696.
    let clfs = &kb.cves["CVE-2023-28252"];
    assert_eq!(clfs.max_severity(), Some(Severity::Important));
    assert_eq!(clfs.exploited, Some(true));
    assert!(kb.in_kev("CVE-2023-28252"));
    let fix: Vec<_> = clfs.fixes_for("12097").collect();
    assert!(
        fix.iter()
            .any(|f| f.kb == Some(Kb(5025221)) && f.fixed_build.as_deref() == Some("10.0.19045.2846")),
        "{fix:?}"
    );
    assert!(kb.supersedence.direct(Kb(5025221)).any(|k| k == Kb(5023696)));
    // April 2023, MSMQ remote code execution: Critical, CVSS 9.8, not exploited.
    let msmq = &kb.cves["CVE-2023-21554"];
    assert_eq!(msmq.max_severity(), Some(Severity::Critical));
    assert_eq!(msmq.cvss.as_ref().map(|c| c.base), Some(9.8));
    assert_eq!(msmq.exploited, Some(false));
    assert!(
        msmq.fixes_for("11571").any(|f| f.kb == Some(Kb(5025229))),
        "Server 2019 fix"
    );
    assert_eq!(
        kb.products["12097"].name,
        "Windows 10 Version 22H2 for x64-based Systems"
    );
    assert_eq!(kb.products["12097"].family, "Windows");
}

#[test]
fn merging_is_idempotent_and_order_independent() {
    let Some(files) = jan2024_files() else { return };
    let docs: Vec<_> = files.iter().take(3).map(|p| msrc(p)).collect();
    let mut once = KnowledgeBase::default();
    docs.iter().for_each(|d| once.merge_msrc(d));
    let mut twice = once.clone();
    docs.iter().for_each(|d| twice.merge_msrc(d));
    assert_same(&once, &twice, "re-importing the same documents");
    let mut reversed = KnowledgeBase::default();
    docs.iter().rev().for_each(|d| reversed.merge_msrc(d));
    assert_same(&once, &reversed, "importing in reverse order");
}

/// Compares two knowledge bases part by part, naming the first difference instead of printing both.
fn assert_same(a: &KnowledgeBase, b: &KnowledgeBase, what: &str) {
    for (id, p) in &a.products {
        assert_eq!(Some(p), b.products.get(id), "{what}: product {id}");
    }
    assert_eq!(a.products.len(), b.products.len(), "{what}: product count");
    for (cve, r) in &a.cves {
        assert_eq!(Some(r), b.cves.get(cve), "{what}: {cve}");
    }
    assert_eq!(a.cves.len(), b.cves.len(), "{what}: CVE count");
    assert!(a.supersedence == b.supersedence, "{what}: supersedence differs");
    assert!(a == b, "{what}: sources or warnings differ");
}

#[test]
fn may_to_december_high_and_critical_is_a_saved_query() {
    let Some(kb) = common::knowledge() else { return };
    let q =
        AdvisoryQuery::parse("vendor=microsoft severity=critical,important released=2023-05-01..2023-12-31")
            .unwrap();
    let selected = q.select(kb);
    assert!(selected
        .iter()
        .all(|r| matches!(r.max_severity(), Some(Severity::Critical | Severity::Important))));
    assert!(
        selected.iter().any(|r| r.cve == "CVE-2023-29336"),
        "May 2023 Win32k, Important, exploited"
    );
    assert!(
        !selected.iter().any(|r| r.cve == "CVE-2023-28252"),
        "April is outside the range"
    );
    assert!(
        !selected.iter().any(|r| r.cve == "CVE-2022-27404"),
        "first published in 2022"
    );
    eprintln!("May-December 2023 high/critical: {} CVEs", selected.len());
    let kev_only = AdvisoryQuery {
        kev: Some(true),
        ..q.clone()
    };
    assert!(kev_only.select(kb).len() < selected.len());
}
