//! Cross-check against WES-NG's definitions (January 2024): for real hosts with a given cumulative update, the
//! 2023 CVEs WES-NG reports as missing must be the ones this crate calls vulnerable, CVE for CVE.

mod common;

use canhgac_vuln::inventory::parse_inventory;
use canhgac_vuln::matching::{Matcher, State};
use canhgac_vuln::Kb;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

struct Row {
    cve: String,
    kb: u32,
    supersedes: Vec<u32>,
}

/// The 2023 rows of WES-NG's CVE table for one product.
fn wesng_rows(product: &str) -> Option<Vec<Row>> {
    let path = canhgac_testdata::require("windows-inventory/wesng/definitions_2024-01-12.zip")?;
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut csv_text = String::new();
    archive
        .by_name("CVEs_20240112.csv")
        .unwrap()
        .take(200 << 20)
        .read_to_string(&mut csv_text)
        .unwrap();
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let r = record.unwrap();
        if &r[4] != product || !r[0].starts_with("2023") || !r[1].starts_with("CVE-") {
            continue;
        }
        let Ok(kb) = r[2].parse() else { continue };
        let supersedes = r[8].split(';').filter_map(|s| s.trim().parse().ok()).collect();
        rows.push(Row {
            cve: r[1].to_owned(),
            kb,
            supersedes,
        });
    }
    Some(rows)
}

/// WES-NG's rule: a row is cleared when its KB is installed or superseded (transitively, through its own
/// table) by an installed KB; a CVE is reported while any of its rows is not cleared.
fn wesng_missing(rows: &[Row], installed: &BTreeSet<u32>) -> BTreeSet<String> {
    let mut supersedes: BTreeMap<u32, BTreeSet<u32>> = BTreeMap::new();
    for r in rows {
        supersedes.entry(r.kb).or_default().extend(&r.supersedes);
    }
    let mut cleared = installed.clone();
    let mut stack: Vec<u32> = installed.iter().copied().collect();
    while let Some(kb) = stack.pop() {
        for &older in supersedes.get(&kb).into_iter().flatten() {
            if cleared.insert(older) {
                stack.push(older);
            }
        }
    }
    rows.iter()
        .filter(|r| !cleared.contains(&r.kb))
        .map(|r| r.cve.clone())
        .collect()
}

/// Matches `file` plus `extra` KBs against the 2023 CVEs WES-NG lists for `product`, and returns
/// (CVEs compared, vulnerable here, disagreements).
fn compare(file: &str, product: &str, extra: Kb) -> Option<(usize, usize, Vec<String>)> {
    let (kb, rows) = (common::knowledge()?, wesng_rows(product)?);
    let dir = canhgac_testdata::require("windows-inventory/wesng/validation")?;
    let mut host = parse_inventory(file, &std::fs::read(dir.join(file)).unwrap()).unwrap();
    host.kbs.insert(extra);
    let installed: BTreeSet<u32> = host.kbs.iter().map(|k| k.0).collect();
    let missing = wesng_missing(&rows, &installed);
    let all: BTreeSet<&str> = rows.iter().map(|r| r.cve.as_str()).collect();
    let absent: Vec<&&str> = all.iter().filter(|c| !kb.cves.contains_key(**c)).collect();
    eprintln!("{product}: WES-NG CVEs absent from the 2023 documents: {absent:?}");
    let cves: Vec<&str> = all.iter().copied().filter(|c| kb.cves.contains_key(*c)).collect();
    let verdicts = Matcher::new(kb).check(&host, cves.iter().map(|c| &kb.cves[*c]));
    let mut disagreements = Vec::new();
    for v in &verdicts {
        let theirs = missing.contains(&v.cve);
        if (v.state == State::Vulnerable) != theirs {
            disagreements.push(format!(
                "{} ours={:?} wesng_missing={theirs}: {:?} {:?}",
                v.cve, v.state, v.evidence, v.missing
            ));
        }
    }
    let vulnerable = verdicts.iter().filter(|v| v.state == State::Vulnerable).count();
    eprintln!(
        "{product}: {} CVEs, {vulnerable} vulnerable here, {} missing per WES-NG",
        verdicts.len(),
        missing.len()
    );
    for d in &disagreements {
        eprintln!("  {d}");
    }
    Some((verdicts.len(), vulnerable, disagreements))
}

#[test]
fn server_2019_with_june_2023_update_agrees_with_wesng() {
    // June 2023's cumulative update KB5027222: CVEs fixed up to June are cleared, July-December stay missing.
    let Some((n, vulnerable, disagreements)) = compare(
        "srv_2019_rtm_datacenter_en-us_systeminfo.txt",
        "Windows Server 2019",
        Kb(5027222),
    ) else {
        return;
    };
    assert!(
        n > 500 && vulnerable > 200 && vulnerable < n,
        "{n} CVEs, {vulnerable} vulnerable"
    );
    assert!(disagreements.is_empty(), "{} disagreements", disagreements.len());
}

#[test]
fn windows_10_22h2_with_september_2023_update_agrees_with_wesng() {
    // September 2023's cumulative update for Windows 10 22H2 is KB5030211.
    let Some((n, vulnerable, disagreements)) = compare(
        "10_22H2_x64_enterprise_en-us_systeminfo.txt",
        "Windows 10 Version 22H2 for x64-based Systems",
        Kb(5030211),
    ) else {
        return;
    };
    assert!(
        n > 400 && vulnerable > 50 && vulnerable < n,
        "{n} CVEs, {vulnerable} vulnerable"
    );
    // One known difference, and it is WES-NG that is out of date: Microsoft revised CVE-2023-24932 (Secure Boot,
    // BlackLotus) after January 2024; the 2026 document lists July 2025's KB5062554 for Windows 10 22H2, while
    // WES-NG's table still names July 2023's update, which September 2023's supersedes.
    assert_eq!(disagreements.len(), 1, "{disagreements:#?}");
    assert!(
        disagreements[0].starts_with("CVE-2023-24932 ours=Vulnerable wesng_missing=false"),
        "{disagreements:#?}"
    );
    assert!(disagreements[0].contains("fix KB5062554"), "{disagreements:#?}");
}
