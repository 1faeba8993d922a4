//! Runs the SigmaHQ Windows rules over the EVTX attack samples and prints timings and detections per file.
//!
//! `cargo run --release -p canhgac-sigma --example sample_hunt [-- --list]` (needs `../shared/data`).

use canhgac_sigma::{load_paths, Engine, JsonEvent, LoadOptions, Mapping};
use std::time::Instant;

/// CPU time of this process in seconds (user + system, from /proc; 10 ms resolution), so that figures taken on a
/// busy machine are not inflated by waiting for a core.
fn cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |x| x.1);
    let f: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 of the file (utime, stime) are the 12th and 13th after the command name.
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let list = args.iter().any(|a| a == "--list");
    if let Some(i) = args.iter().position(|a| a == "--dump") {
        // Prints the records of one file as JSON lines, to read the events behind a detection.
        let Some(mut parser) = args.get(i + 1).and_then(|f| evtx::EvtxParser::from_path(f).ok()) else {
            return;
        };
        for r in parser.records_json_value().flatten() {
            println!("{}", r.data);
        }
        return;
    }
    let Some(rules) = canhgac_testdata::require("sigma/rules/windows") else {
        return;
    };
    let Some(samples) = canhgac_testdata::require("evtx-attack-samples") else {
        return;
    };
    let c0 = cpu();
    let t0 = Instant::now();
    let report = load_paths(&[rules], &LoadOptions::default());
    let loaded = t0.elapsed();
    let (engine, errors) = Engine::build(report, &Mapping::default());
    eprintln!(
        "load {:.3} s, compile {:.3} s",
        loaded.as_secs_f64(),
        (t0.elapsed() - loaded).as_secs_f64()
    );
    let load = t0.elapsed();
    let mut files: Vec<_> = walkdir::WalkDir::new(&samples)
        .sort_by_file_name()
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
    let c1 = cpu();
    let t1 = Instant::now();
    let mut events = Vec::new();
    let mut bad = 0usize;
    for f in &files {
        let Ok(mut parser) = evtx::EvtxParser::from_path(f) else {
            bad += 1;
            continue;
        };
        for r in parser.records_json_value() {
            match r {
                Ok(r) => events.push((f.clone(), r.data)),
                Err(_) => bad += 1,
            }
        }
    }
    let parse = t1.elapsed();
    let c2 = cpu();
    let t2 = Instant::now();
    let mut scanner = engine.scanner();
    let mut detections = 0usize;
    let mut per_rule = std::collections::BTreeMap::<String, usize>::new();
    for (f, ev) in &events {
        for &r in scanner.scan(&JsonEvent::new(ev)) {
            detections += 1;
            *per_rule.entry(engine.rule(r).title.clone()).or_default() += 1;
            if list {
                let name = f.strip_prefix(&samples).unwrap_or(f).display().to_string();
                println!(
                    "{name}\t{}\t{}",
                    engine.rule(r).id.as_deref().unwrap_or(""),
                    engine.rule(r).title
                );
            }
        }
    }
    let scan = t2.elapsed();
    let c3 = cpu();
    eprintln!(
        "cpu time: load+compile {:.2} s, parse {:.2} s, match {:.2} s ({:.1} µs/record)",
        c1 - c0,
        c2 - c1,
        c3 - c2,
        (c3 - c2) * 1e6 / events.len().max(1) as f64
    );
    // Extra passes for profiling the matcher alone.
    let repeat: usize = std::env::var("REPEAT")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0);
    for _ in 0..repeat {
        for (_, ev) in &events {
            std::hint::black_box(scanner.scan(&JsonEvent::new(ev)));
        }
    }
    eprintln!("{:?}", scanner.stats());
    eprintln!(
        "rules: {} compiled ({} not), {} variants, {} needles; load+compile {:.3} s",
        engine.len(),
        errors.len(),
        engine.variant_count(),
        engine.needle_count(),
        load.as_secs_f64()
    );
    eprintln!(
        "{} files, {} records ({bad} unreadable): parse {:.3} s, match {:.3} s ({:.0} records/s, {:.2} µs/record), {detections} detections by {} rules",
        files.len(),
        events.len(),
        parse.as_secs_f64(),
        scan.as_secs_f64(),
        events.len() as f64 / scan.as_secs_f64(),
        scan.as_secs_f64() * 1e6 / events.len().max(1) as f64,
        per_rule.len()
    );
}
