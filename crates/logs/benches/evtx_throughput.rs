//! EVTX → `WinEvent` throughput over the EVTX attack samples, against ways of using the `evtx` crate alone.
//!
//! `cargo bench -p canhgac-logs --bench evtx_throughput` (needs the shared data). Each variant reads every file;
//! the median of several passes is printed as records per second and as a ratio to the `evtx` crate rendering
//! JSON values on one thread.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use canhgac_logs::windows::json_lines::win_event_from_value;
use canhgac_logs::{find_evtx_files, read_evtx_file, EvtxOptions};
use evtx::{EvtxParser, ParserSettings};

const PASSES: usize = 7;

fn settings(threads: usize) -> ParserSettings {
    ParserSettings::new().num_threads(threads).indent(false)
}

/// Runs `pass` over all files `PASSES` times; the median duration and the records of one pass.
fn measure(files: &[PathBuf], mut pass: impl FnMut(&PathBuf) -> u64) -> (Duration, u64) {
    let mut times = Vec::with_capacity(PASSES);
    let mut records = 0;
    for _ in 0..PASSES {
        let start = Instant::now();
        records = files.iter().map(&mut pass).sum();
        times.push(start.elapsed());
    }
    times.sort();
    (times[PASSES / 2], records)
}

/// Renders every record of one file, returning how many rendered.
type Render = fn(&mut EvtxParser<std::fs::File>) -> u64;

/// How many items are `Ok`.
fn ok<T, E>(items: impl Iterator<Item = Result<T, E>>) -> u64 {
    items.filter(Result::is_ok).count() as u64
}

fn evtx_only(files: &[PathBuf], threads: usize, render: Render) -> (Duration, u64) {
    measure(files, |path| {
        let mut parser = EvtxParser::from_path(path)
            .expect("sample opens")
            .with_configuration(settings(threads));
        render(&mut parser)
    })
}

fn ours(files: &[PathBuf], options: EvtxOptions) -> (Duration, u64) {
    measure(files, |path| {
        read_evtx_file(path, options, |_| {})
            .expect("sample opens")
            .records
    })
}

fn main() {
    let Some(root) = canhgac_testdata::require("evtx-attack-samples") else {
        return;
    };
    let files = find_evtx_files(&root).expect("samples listed");
    let bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .sum();
    println!("{} files, {:.1} MiB", files.len(), bytes as f64 / 1_048_576.0);

    let one = EvtxOptions {
        threads: 1,
        keep_json: false,
        ..EvtxOptions::default()
    };
    let json_value: Render = |p| ok(p.records_json_value());
    let json_string: Render = |p| ok(p.records_json());
    let json_bytes: Render = |p| ok(p.records_json_bytes());
    let xml_bytes: Render = |p| ok(p.records_bytes());
    let json_value_then_event: Render = |p| {
        let events = p
            .records_json_value()
            .filter_map(Result::ok)
            .map(|r| win_event_from_value(&r.data));
        ok(events)
    };
    let variants: Vec<(&str, (Duration, u64))> = vec![
        (
            "evtx: records_json_value(), 1 thread",
            evtx_only(&files, 1, json_value),
        ),
        (
            "evtx: records_json() String, 1 thread",
            evtx_only(&files, 1, json_string),
        ),
        (
            "evtx: records_json_bytes(), 1 thread",
            evtx_only(&files, 1, json_bytes),
        ),
        (
            "evtx: records_bytes() XML, 1 thread",
            evtx_only(&files, 1, xml_bytes),
        ),
        (
            "records_json_value() then WinEvent from the value, 1 thread",
            evtx_only(&files, 1, json_value_then_event),
        ),
        ("canhgac-logs WinEvent, 1 thread", ours(&files, one)),
        (
            "canhgac-logs WinEvent + JSON kept, 1 thread",
            ours(
                &files,
                EvtxOptions {
                    keep_json: true,
                    ..one
                },
            ),
        ),
        (
            "canhgac-logs WinEvent, 2 threads",
            ours(&files, EvtxOptions { threads: 2, ..one }),
        ),
    ];
    let base = variants[0].1 .0.as_secs_f64();
    println!("| variant | records | median ms | records/s | time / evtx JSON values |");
    println!("|---|---|---|---|---|");
    for (name, (time, records)) in &variants {
        let secs = time.as_secs_f64();
        println!(
            "| {name} | {records} | {:.1} | {:.0} | {:.2} |",
            secs * 1000.0,
            *records as f64 / secs,
            secs / base
        );
    }
}
