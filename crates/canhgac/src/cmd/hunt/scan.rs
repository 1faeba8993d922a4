//! Reading the input files on every core, matching each event, and correlating the matches in time order.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use canhgac_logs::windows::evtx_file::{read_evtx_file, EvtxOptions};
use canhgac_logs::windows::json_lines::parse_win_json_line;
use canhgac_logs::windows::stream::find_files;
use canhgac_logs::WinEvent;
use canhgac_sigma::{CorrelationMatch, Correlator, Engine, FlatEvent, RuleId, Scanner};
use chrono::{DateTime, Utc};

use super::event::{to_flat, SigmaEvent};

/// Record-level problems printed before only counting them.
const SHOWN_ERRORS: u64 = 20;

/// The time range of `--from` / `--to`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Window {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

impl Window {
    fn contains(&self, t: DateTime<Utc>) -> bool {
        self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|e| t < e)
    }
}

/// One rule matching one event.
#[derive(Debug, Clone)]
pub struct Detection {
    pub rule: RuleId,
    pub timestamp: DateTime<Utc>,
    pub computer: String,
    pub channel: String,
    pub event_id: u32,
    pub record_id: u64,
    pub file: Arc<str>,
    /// The fields the rule reads that the event has.
    pub fields: Vec<(String, String)>,
}

/// What a hunt read and found.
#[derive(Debug, Default)]
pub struct Outcome {
    pub files: usize,
    pub unreadable_files: usize,
    pub records: u64,
    pub record_errors: u64,
    pub outside_window: u64,
    pub detections: Vec<Detection>,
    /// Events that matched a rule used by a correlation, kept for the correlator.
    pub correlated: Vec<(FlatEvent, Vec<RuleId>)>,
    pub elapsed: Duration,
}

impl Outcome {
    fn absorb(&mut self, o: Outcome) {
        self.files += o.files;
        self.unreadable_files += o.unreadable_files;
        self.records += o.records;
        self.record_errors += o.record_errors;
        self.outside_window += o.outside_window;
        self.detections.extend(o.detections);
        self.correlated.extend(o.correlated);
    }
}

fn is_json_lines(p: &Path) -> bool {
    p.extension()
        .and_then(|x| x.to_str())
        .is_some_and(|x| ["json", "jsonl", "ndjson"].contains(&x.to_ascii_lowercase().as_str()))
}

/// The files named, and every `.evtx`, `.jsonl` and `.ndjson` file under the folders named, sorted, each once.
/// (A `.json` file is read as JSON lines only when named: folders hold other JSON, such as editor settings.)
pub fn find_inputs(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for p in paths {
        anyhow::ensure!(p.exists(), "{} does not exist", p.display());
        if p.is_file() {
            files.push(p.clone());
            continue;
        }
        for ext in ["evtx", "jsonl", "ndjson"] {
            files.extend(find_files(p, ext)?);
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

struct Shared<'a> {
    engine: &'a Engine,
    window: Window,
    next: AtomicUsize,
    done_files: AtomicUsize,
    records: AtomicU64,
    errors_shown: AtomicU64,
}

impl Shared<'_> {
    fn report_error(&self, out: &mut Outcome, message: impl std::fmt::Display) {
        out.record_errors += 1;
        if self.errors_shown.fetch_add(1, Ordering::Relaxed) < SHOWN_ERRORS {
            eprintln!("\runreadable: {message}");
        }
    }
}

fn handle(sh: &Shared<'_>, scanner: &mut Scanner<'_>, out: &mut Outcome, file: &Arc<str>, ev: &WinEvent) {
    out.records += 1;
    if !sh.window.contains(ev.timestamp) {
        out.outside_window += 1;
        return;
    }
    let view = SigmaEvent(ev);
    let hits = scanner.scan(&view);
    if hits.is_empty() {
        return;
    }
    let engine = sh.engine;
    if hits.iter().any(|&r| engine.in_correlation(r)) {
        out.correlated.push((to_flat(ev), hits.to_vec()));
    }
    for &rule in hits.iter().filter(|&&r| !engine.suppressed(r)) {
        out.detections.push(Detection {
            rule,
            timestamp: ev.timestamp,
            computer: ev.computer.clone(),
            channel: ev.channel.clone(),
            event_id: ev.event_id,
            record_id: ev.record_id,
            file: file.clone(),
            fields: engine.matched_fields(rule, &view),
        });
    }
}

fn scan_file(sh: &Shared<'_>, scanner: &mut Scanner<'_>, path: &Path, out: &mut Outcome) {
    let file: Arc<str> = path.display().to_string().into();
    out.files += 1;
    let before = out.records;
    if is_json_lines(path) {
        let reader = match std::fs::File::open(path) {
            Ok(f) => std::io::BufReader::new(f),
            Err(e) => {
                out.unreadable_files += 1;
                eprintln!("\runreadable: {file}: {e}");
                return;
            }
        };
        for (i, line) in reader.lines().enumerate() {
            match line {
                Ok(l) if l.trim().is_empty() => {}
                Ok(l) => match parse_win_json_line(&l) {
                    Ok((ev, _)) => handle(sh, scanner, out, &file, &ev),
                    Err(e) => sh.report_error(out, format!("{file}: line {}: {e}", i + 1)),
                },
                Err(e) => {
                    sh.report_error(out, format!("{file}: line {}: {e}", i + 1));
                    break;
                }
            }
        }
    } else {
        let opts = EvtxOptions {
            threads: 1,
            keep_json: false,
            ..EvtxOptions::default()
        };
        let read = read_evtx_file(path, opts, |item| match item {
            Ok(ev) => handle(sh, scanner, out, &file, &ev),
            Err(e) => sh.report_error(out, e),
        });
        if let Err(e) = read {
            out.unreadable_files += 1;
            eprintln!("\runreadable: {e}");
        }
    }
    sh.records.fetch_add(out.records - before, Ordering::Relaxed);
    sh.done_files.fetch_add(1, Ordering::Relaxed);
}

fn show_progress(sh: &Shared<'_>, total: usize, stop: &AtomicBool, started: Instant) {
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(250));
        let records = sh.records.load(Ordering::Relaxed);
        let rate = records as f64 / started.elapsed().as_secs_f64().max(1e-3);
        eprint!(
            "\r{}/{total} files, {records} records, {rate:.0} records/s   ",
            sh.done_files.load(Ordering::Relaxed)
        );
    }
    eprint!("\r{:70}\r", "");
}

/// Reads `files` on every core; detections are in no particular order.
pub fn run(engine: &Engine, files: &[PathBuf], window: Window, progress: bool) -> Outcome {
    let started = Instant::now();
    let sh = Shared {
        engine,
        window,
        next: AtomicUsize::new(0),
        done_files: AtomicUsize::new(0),
        records: AtomicU64::new(0),
        errors_shown: AtomicU64::new(0),
    };
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(files.len())
        .max(1);
    let stop = AtomicBool::new(false);
    let mut total = Outcome::default();
    std::thread::scope(|s| {
        if progress {
            s.spawn(|| show_progress(&sh, files.len(), &stop, started));
        }
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut scanner = engine.scanner();
                    let mut out = Outcome::default();
                    loop {
                        let i = sh.next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = files.get(i) else { break };
                        scan_file(&sh, &mut scanner, path, &mut out);
                    }
                    out
                })
            })
            .collect();
        for h in handles {
            match h.join() {
                Ok(o) => total.absorb(o),
                Err(_) => eprintln!("a reader thread failed; its files are missing from the results"),
            }
        }
        stop.store(true, Ordering::Relaxed);
    });
    total.elapsed = started.elapsed();
    let shown = sh.errors_shown.load(Ordering::Relaxed);
    if shown > SHOWN_ERRORS {
        eprintln!(
            "… and {} more unreadable records (counted in the summary)",
            shown - SHOWN_ERRORS
        );
    }
    total
}

/// Feeds the kept events to the correlator in time order.
pub fn correlate(engine: &Engine, outcome: &mut Outcome) -> Vec<CorrelationMatch> {
    if engine.correlations().next().is_none() {
        return Vec::new();
    }
    outcome.correlated.sort_by_key(|(e, _)| e.timestamp);
    let mut c = Correlator::new(engine);
    outcome
        .correlated
        .iter()
        .flat_map(|(e, rules)| c.observe(e, rules))
        .collect()
}
