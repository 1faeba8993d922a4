//! Real rule sets from the shared data: they compile (or report their failures), and real EICAR rules fire.

mod common;

use canhgac_scan::{Engine, HashList, RuleSet, ScanOptions};

#[test]
fn reversinglabs_rules_compile_completely() {
    let Some(dir) = canhgac_testdata::require("yara/reversinglabs") else {
        return;
    };
    let set = RuleSet::compile_paths(&[&dir]).expect("compile");
    let report = set.report();
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    assert_eq!(report.files_compiled, 274);
    // 1,204 declarations (MANIFEST.md's 948 misses rules that follow a `}` on the same line after concatenation).
    assert_eq!(report.rules, common::count_rule_declarations(&dir));
    assert!(report.rules > 1000);
}

#[test]
fn elastic_subset_compiles_and_its_eicar_rule_fires() {
    let Some(dir) = canhgac_testdata::require("yara/elastic-subset") else {
        return;
    };
    let Some(eicar) = common::eicar() else { return };
    let set = RuleSet::compile_paths(&[&dir]).expect("compile");
    assert!(set.report().failures.is_empty(), "{:#?}", set.report().failures);
    // MANIFEST.md: 560 rules.
    assert_eq!(set.rule_count(), 560);
    assert_eq!(set.rule_count(), common::count_rule_declarations(&dir));
    let report = Engine::new(Some(set), HashList::new()).scan_bytes(
        "eicar.com",
        &eicar.bytes,
        &ScanOptions::default(),
    );
    let namespaces: Vec<&str> = report
        .results
        .iter()
        .flat_map(|r| &r.rules)
        .map(|m| m.namespace.as_str())
        .collect();
    assert!(
        namespaces.contains(&"yara/rules/Multi_EICAR.yar"),
        "{namespaces:?}"
    );
}

#[test]
fn community_rules_report_failing_files_with_line_and_reason_and_keep_the_rest() {
    let Some(dir) = canhgac_testdata::require("yara/yara-rules-community") else {
        return;
    };
    let Some(eicar) = common::eicar() else { return };
    let set = RuleSet::compile_paths(&[dir]).expect("compile");
    let report = set.report();
    for f in &report.failures {
        eprintln!("{f}");
    }
    assert!(!report.failures.is_empty());
    for f in &report.failures {
        assert!(f.line > 0, "{f}");
        assert!(f.code.starts_with('E'), "{f}");
        assert!(!f.reason.is_empty(), "{f}");
    }
    assert!(report.files_compiled > 400, "{report:?}");
    assert!(report.rules > 1000, "{}", report.rules);
    let report = Engine::new(Some(set), HashList::new()).scan_bytes(
        "eicar.com",
        &eicar.bytes,
        &ScanOptions::default(),
    );
    let hits: Vec<String> = report
        .results
        .iter()
        .flat_map(|r| &r.rules)
        .map(|m| format!("{}:{}", m.namespace, m.rule))
        .collect();
    assert!(
        hits.iter().any(|h| h.starts_with("malware/MALW_Eicar.yar:")),
        "{hits:?}"
    );
}

#[test]
fn signature_base_hash_iocs_load_every_line() {
    let Some(path) = canhgac_testdata::require("yara/signature-base/iocs/hash-iocs.txt") else {
        return;
    };
    let mut list = HashList::new();
    list.load_file(&path).expect("load");
    assert!(list.refused().is_empty(), "{:?}", list.refused());
    // 1,039 MD5 + 926 SHA-1 + 1,259 SHA-256 non-comment lines, less repeats.
    assert!(list.len() > 3000 && list.len() <= 3224, "{}", list.len());
}
