//! The real SigmaHQ rule set: every Windows rule loads or is reported with a reason, and SigmaHQ's own regression
//! cases (an event log on which a named rule must fire) pass.

use canhgac_sigma::{load_paths, Engine, Error, LoadOptions, LoadReport, Mapping};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn reason_class(e: &Error) -> String {
    match e {
        Error::Unsupported { what, .. } => {
            let w = what.split('`').next().unwrap_or(what).trim();
            format!("unsupported: {w}")
        }
        Error::Invalid { place, .. } => format!("invalid: {}", place.split('.').next().unwrap_or(place)),
        Error::Yaml { .. } => "yaml".into(),
        Error::Io { .. } => "io".into(),
        other => format!("other: {other}"),
    }
}

#[test]
fn windows_rules_load_or_are_explained() {
    let Some(dir) = canhgac_testdata::require("sigma/rules/windows") else {
        return;
    };
    let report = load_paths(&[&dir], &LoadOptions::default());
    let loaded = report.loaded();
    let failed = report.errors.len();
    let total = loaded + failed;
    let mut classes: BTreeMap<String, usize> = BTreeMap::new();
    for e in &report.errors {
        eprintln!("not loaded: {e}");
        *classes.entry(reason_class(e)).or_default() += 1;
    }
    eprintln!("loaded {loaded} of {total} documents; failures by reason: {classes:?}");
    assert!(
        total > 2300,
        "the SigmaHQ Windows folder has about 2,400 rules, found {total}"
    );
    assert!(loaded * 100 >= total * 99, "{loaded} of {total} loaded");
    // Every failure names a specific construct or problem.
    for e in &report.errors {
        let text = e.to_string();
        assert!(text.contains(".yml"), "error without its file: {text}");
    }

    let (engine, errors) = Engine::build(report, &Mapping::default());
    for e in errors.iter().skip(failed) {
        eprintln!("not compiled: {e}");
    }
    let not_compiled = errors.len() - failed;
    eprintln!(
        "compiled {} rules, {} variants, {} needles; {not_compiled} not compiled",
        engine.len(),
        engine.variant_count(),
        engine.needle_count()
    );
    assert_eq!(
        not_compiled, 0,
        "every Windows log source is in the embedded mapping"
    );
}

/// Every rule folder that regression cases refer to.
fn all_rules() -> Option<LoadReport> {
    let root = canhgac_testdata::require("sigma")?;
    let dirs: Vec<PathBuf> = [
        "rules",
        "rules-emerging-threats",
        "rules-threat-hunting",
        "rules-dfir",
        "rules-compliance",
    ]
    .iter()
    .map(|d| root.join(d))
    .filter(|d| d.is_dir())
    .collect();
    Some(load_paths(&dirs, &LoadOptions::default()))
}

/// (rule id, rule title, path) of every regression case; `ext` picks the `.json` rendering or the `.evtx` itself.
fn regression_cases(root: &Path, ext: &str) -> Vec<(String, String, PathBuf)> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(root.join("regression_data"))
        .sort_by_file_name()
        .into_iter()
        .flatten()
    {
        if entry.file_name() != "info.yml" {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        let info: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap_or_default();
        let meta = &info["rule_metadata"][0];
        let id = meta["id"].as_str().unwrap_or_default().to_string();
        let title = meta["title"].as_str().unwrap_or_default().to_string();
        let Some(dir) = entry.path().parent() else {
            continue;
        };
        let json = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == ext));
        if let Some(json) = json {
            out.push((id, title, json));
        }
    }
    out
}

fn read_events(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    serde_json::Deserializer::from_str(&text)
        .into_iter::<serde_json::Value>()
        .flatten()
        .collect()
}

#[test]
fn sigmahq_regression_cases_fire() {
    let Some(root) = canhgac_testdata::require("sigma") else {
        return;
    };
    let Some(report) = all_rules() else { return };
    let (engine, errors) = Engine::build(report, &Mapping::default());
    let mut classes: BTreeMap<String, usize> = BTreeMap::new();
    for e in &errors {
        *classes.entry(reason_class(e)).or_default() += 1;
    }
    eprintln!(
        "all rule folders: {} rules compiled; not compiled by reason: {classes:?}",
        engine.len()
    );
    let cases = regression_cases(&root, "json");
    assert!(
        cases.len() >= 200,
        "expected about 200 regression cases, found {}",
        cases.len()
    );
    let mut failures = Vec::new();
    for (id, title, json) in &cases {
        let Some(rule) = engine.find(id) else {
            failures.push(format!("{id} {title}: rule not loaded"));
            continue;
        };
        let events = read_events(json);
        let mut scanner = engine.scanner();
        let fired = events.iter().any(|ev| scanner.scan(ev).contains(&rule));
        if !fired {
            failures.push(format!(
                "{id} {title}: did not fire on {} ({} events)",
                json.display(),
                events.len()
            ));
        }
    }
    let passed = cases.len() - failures.len();
    for f in &failures {
        eprintln!("regression failure: {f}");
    }
    eprintln!("regression cases: {passed} of {} pass", cases.len());
    assert!(
        passed * 100 >= cases.len() * 97,
        "{passed} of {} regression cases pass",
        cases.len()
    );
}

/// The same cases on the `.evtx` files themselves, read with the `evtx` crate (what `info.yml` names).
#[test]
fn sigmahq_regression_cases_fire_on_evtx() {
    let Some(root) = canhgac_testdata::require("sigma") else {
        return;
    };
    let Some(report) = all_rules() else { return };
    let (engine, _) = Engine::build(report, &Mapping::default());
    let cases = regression_cases(&root, "evtx");
    assert!(
        cases.len() >= 200,
        "expected about 200 regression cases, found {}",
        cases.len()
    );
    let mut failures = Vec::new();
    for (id, title, path) in &cases {
        let Some(rule) = engine.find(id) else {
            failures.push(format!("{id} {title}: rule not loaded"));
            continue;
        };
        let mut parser = match evtx::EvtxParser::from_path(path) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{id} {title}: {}: {e}", path.display()));
                continue;
            }
        };
        let mut scanner = engine.scanner();
        let fired = parser.records_json_value().flatten().any(|r| {
            scanner
                .scan(&canhgac_sigma::JsonEvent::new(&r.data))
                .contains(&rule)
        });
        if !fired {
            failures.push(format!("{id} {title}: did not fire on {}", path.display()));
        }
    }
    let passed = cases.len() - failures.len();
    for f in &failures {
        eprintln!("regression failure: {f}");
    }
    eprintln!("regression cases on EVTX: {passed} of {} pass", cases.len());
    assert!(
        passed * 100 >= cases.len() * 97,
        "{passed} of {} regression cases pass",
        cases.len()
    );
}
