//! EICAR detection by a YARA rule, by hash lists, inside zip archives, and the skip/exclusion accounting.

mod common;

use std::path::PathBuf;

use canhgac_scan::{Engine, HashKind, HashList, RuleSet, ScanOptions, SkipReason};

fn engine_with(rule: bool, hash_lines: &str) -> Engine {
    let rules = rule.then(|| RuleSet::compile_source("own/eicar.yar", common::EICAR_RULE));
    let mut hashes = HashList::new();
    hashes.add_text("eicar-hashes.txt", "eicar-hashes.txt".as_ref(), hash_lines);
    Engine::new(rules, hashes)
}

#[test]
fn eicar_found_by_own_yara_rule_and_clean_file_not() {
    let Some(eicar) = common::eicar() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("eicar.com"), &eicar.bytes).expect("write");
    std::fs::write(dir.path().join("clean.txt"), b"nothing to see here").expect("write");
    let engine = engine_with(true, "");
    assert_eq!(engine.rules().map(RuleSet::rule_count), Some(1));
    let report = engine
        .scan_paths(&[dir.path().to_path_buf()], &ScanOptions::default())
        .expect("scan");
    assert_eq!(report.stats.scanned, 2);
    assert_eq!(report.stats.detections, 1);
    let hit = &report.results[0];
    assert!(hit.path.ends_with("eicar.com"), "{}", hit.path);
    assert_eq!(hit.size, 68);
    assert_eq!(
        hit.sha256, eicar.sha256,
        "SHA-256 must equal the one in EICAR_FACTS.md"
    );
    assert_eq!(hit.rules.len(), 1);
    assert_eq!(
        (hit.rules[0].rule.as_str(), hit.rules[0].namespace.as_str()),
        ("eicar_test_file", "own/eicar.yar")
    );
}

#[test]
fn eicar_found_by_sha256_and_by_md5_hash_lists() {
    let Some(eicar) = common::eicar() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("eicar.com"), &eicar.bytes).expect("write");
    for (line, kind) in [
        (format!("{};EICAR sha256", eicar.sha256), HashKind::Sha256),
        (format!("{};EICAR md5", eicar.md5.to_uppercase()), HashKind::Md5),
    ] {
        let engine = engine_with(false, &format!("# list\n{line}\n"));
        let report = engine
            .scan_paths(&[dir.path().to_path_buf()], &ScanOptions::default())
            .expect("scan");
        assert_eq!(report.results.len(), 1, "{line}");
        let hits = &report.results[0].hashes;
        assert_eq!(hits.len(), 1);
        assert_eq!(
            (hits[0].kind, hits[0].line, hits[0].list.as_str()),
            (kind, 2, "eicar-hashes.txt")
        );
        assert!(report.results[0].rules.is_empty());
    }
}

#[test]
fn eicar_in_zip_and_nested_zip_is_reported_as_member() {
    let Some(eicar) = common::eicar() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let inner = dir.path().join("inner.zip");
    common::write_zip(&inner, &[("eicar.com", &eicar.bytes)]);
    let inner_bytes = std::fs::read(&inner).expect("read inner");
    std::fs::remove_file(&inner).expect("rm");
    common::write_zip(
        &dir.path().join("x.zip"),
        &[("eicar.com", &eicar.bytes), ("readme.txt", b"hello")],
    );
    common::write_zip(&dir.path().join("outer.zip"), &[("docs/inner.zip", &inner_bytes)]);
    let engine = engine_with(true, &format!("{}\n", eicar.sha256));
    let report = engine
        .scan_paths(&[dir.path().to_path_buf()], &ScanOptions::default())
        .expect("scan");
    let paths: Vec<String> = report
        .results
        .iter()
        .map(|r| {
            r.path
                .strip_prefix(&format!("{}/", dir.path().display()))
                .unwrap_or(&r.path)
                .to_string()
        })
        .collect();
    assert_eq!(
        paths,
        vec!["outer.zip!docs/inner.zip!eicar.com", "x.zip!eicar.com"]
    );
    assert!(report
        .results
        .iter()
        .all(|r| r.rules.len() == 1 && r.hashes.len() == 1));
    // outer.zip, x.zip, inner.zip, two eicar.com and readme.txt.
    assert_eq!(report.stats.scanned, 6);
    assert_eq!(report.stats.archive_members, 4);

    // With nesting limited to one level the inner archive is reported, not opened.
    let mut opts = ScanOptions::default();
    opts.archives.max_depth = 1;
    let report = engine
        .scan_paths(&[dir.path().to_path_buf()], &opts)
        .expect("scan");
    assert_eq!(report.stats.detections, 1);
    assert_eq!(report.skipped.len(), 1);
    assert!(
        report.skipped[0].path.ends_with("outer.zip!docs/inner.zip!*"),
        "{:?}",
        report.skipped
    );
    assert!(matches!(
        report.skipped[0].reason,
        SkipReason::ArchiveLimit { .. }
    ));
}

#[test]
fn too_large_files_are_skipped_and_reported_exclusions_counted() {
    let Some(eicar) = common::eicar() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("eicar.com"), &eicar.bytes).expect("write");
    std::fs::write(dir.path().join("big.bin"), vec![0u8; 4096]).expect("write");
    std::fs::create_dir(dir.path().join("cache")).expect("mkdir");
    std::fs::write(dir.path().join("cache").join("eicar.com"), &eicar.bytes).expect("write");
    std::fs::write(dir.path().join("skip.iso"), &eicar.bytes).expect("write");
    let engine = engine_with(true, "");
    let opts = ScanOptions {
        max_size: 1000,
        exclude: vec!["**/cache".into(), "*.iso".into()],
        ..ScanOptions::default()
    };
    let report = engine
        .scan_paths(&[dir.path().to_path_buf()], &opts)
        .expect("scan");
    assert_eq!(report.stats.scanned, 1);
    assert_eq!(report.stats.detections, 1);
    assert_eq!(report.stats.excluded, 2, "the cache folder and the .iso file");
    assert_eq!(report.stats.skipped, 1);
    assert_eq!(report.skipped[0].size, Some(4096));
    assert_eq!(report.skipped[0].reason, SkipReason::TooLarge { limit: 1000 });
}

#[test]
fn missing_root_is_reported_as_unreadable_not_dropped() {
    let engine = engine_with(false, "");
    let missing = PathBuf::from("/nonexistent/canhgac-scan-test");
    let report = engine
        .scan_paths(&[missing], &ScanOptions::default())
        .expect("scan");
    assert_eq!(report.stats.skipped, 1);
    assert!(matches!(report.skipped[0].reason, SkipReason::Unreadable { .. }));
}

#[test]
fn bad_exclusion_glob_is_an_error_naming_it() {
    let engine = engine_with(false, "");
    let opts = ScanOptions {
        exclude: vec!["a[".into()],
        ..ScanOptions::default()
    };
    let err = engine
        .scan_paths(&[PathBuf::from(".")], &opts)
        .expect_err("bad glob");
    assert!(err.to_string().contains("a["), "{err}");
}
