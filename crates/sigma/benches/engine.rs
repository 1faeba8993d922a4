//! The whole SigmaHQ Windows rule set over the 277 EVTX attack samples: rule loading and compiling, parse-only
//! reading of the samples (the `evtx` crate to JSON values, the baseline), and matching the parsed records.
//!
//! `cargo bench -p canhgac-sigma --bench engine` (needs `../shared/data`; see docs/benchmarks.md).

use canhgac_sigma::{load_paths, Engine, JsonEvent, LoadOptions, Mapping};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::path::PathBuf;
use std::time::Duration;

fn sample_files() -> Vec<PathBuf> {
    let Some(dir) = canhgac_testdata::require("evtx-attack-samples") else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| {
            e.path()
                .extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("evtx"))
        })
        .map(|e| e.into_path())
        .collect();
    files.sort();
    files
}

fn parse(files: &[PathBuf]) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for f in files {
        if let Ok(mut p) = evtx::EvtxParser::from_path(f) {
            out.extend(p.records_json_value().flatten().map(|r| r.data));
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let Some(rules) = canhgac_testdata::require("sigma/rules/windows") else {
        return;
    };
    let files = sample_files();
    if files.is_empty() {
        return;
    }
    let mut g = c.benchmark_group("sigma");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(8))
        .warm_up_time(Duration::from_secs(1));
    g.bench_function("load_and_compile_windows_rules", |b| {
        b.iter(|| {
            Engine::build(
                load_paths(&[&rules], &LoadOptions::default()),
                &Mapping::default(),
            )
        })
    });
    let events = parse(&files);
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function("parse_only_evtx_to_json", |b| b.iter(|| parse(&files).len()));
    let (engine, _) = Engine::build(
        load_paths(&[&rules], &LoadOptions::default()),
        &Mapping::default(),
    );
    g.bench_function("match_all_windows_rules", |b| {
        let mut scanner = engine.scanner();
        b.iter(|| {
            events
                .iter()
                .map(|ev| scanner.scan(&JsonEvent::new(ev)).len())
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
