//! `canhgac scan`: offline scan of files and folders with YARA rules and hash lists, like `clamscan`.
//!
//! Exit status: 0 nothing found, 1 something found, 2 an error (bad arguments, rules or lists that cannot be read,
//! or files that could not be read when nothing was found).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use canhgac_scan::quarantine::{Entry, Quarantine};
use canhgac_scan::{
    Budget, Engine, FileResult, HashKind, HashList, RuleSet, ScanOptions, ScanProfile, ScanReport, SkipReason,
};
use serde_json::json;

/// Scan files and folders with YARA rules and hash lists.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Files and folders to scan (folders recursively; zip archives are opened).
    #[arg(required_unless_present = "profile")]
    paths: Vec<PathBuf>,
    /// Scan the common malware locations and autoruns (quick) or every local disk file system (full) of this
    /// machine, besides any paths given.
    #[arg(long, value_parser = ["quick", "full"])]
    profile: Option<String>,
    /// Nice value of the scanning threads (-20..19); a positive value also gives them idle disk priority.
    /// Default: 10 with --profile, unchanged otherwise.
    #[arg(long, allow_negative_numbers = true, value_parser = clap::value_parser!(i32).range(-20..=19))]
    nice: Option<i32>,
    /// A YARA rule file or a folder of `.yar`/`.yara` files; repeatable. Files that do not compile are listed
    /// and left out.
    #[arg(long)]
    rules: Vec<PathBuf>,
    /// A hash list (`MD5|SHA-1|SHA-256[;comment]` per line); repeatable.
    #[arg(long)]
    hashes: Vec<PathBuf>,
    /// Output: a line per finding for people, or one JSON object per line.
    #[arg(long, value_parser = ["table", "jsonl"], default_value = "table")]
    format: String,
    /// Worker threads [default: one per core].
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Leave out paths matching this glob (matched on the full path and on the name); repeatable.
    #[arg(long)]
    exclude: Vec<String>,
    /// Skip (and report) files and archive members larger than this many bytes.
    #[arg(long, default_value_t = 100 << 20)]
    max_size: u64,
    /// Do not open zip archives.
    #[arg(long)]
    no_archives: bool,
    /// Move every file with a detection into this quarantine store (see `canhgac quarantine`); a zip archive
    /// with a detected member is moved whole. A file that cannot be moved makes the exit status 2.
    #[arg(long, value_name = "DIR")]
    quarantine: Option<PathBuf>,
}

pub fn run(args: ScanArgs) -> anyhow::Result<ExitCode> {
    if args.rules.is_empty() && args.hashes.is_empty() {
        anyhow::bail!("nothing to scan with: give --rules and/or --hashes");
    }
    let rules = if args.rules.is_empty() {
        None
    } else {
        let set = RuleSet::compile_paths(&args.rules).context("compiling YARA rules")?;
        for failure in &set.report().failures {
            eprintln!("rule file not loaded: {failure}");
        }
        Some(set)
    };
    let mut hashes = HashList::new();
    for path in &args.hashes {
        hashes
            .load_file(path)
            .with_context(|| format!("reading hash list {}", path.display()))?;
    }
    for refused in hashes.refused() {
        eprintln!(
            "hash list line refused: {}:{}: {}",
            refused.path.display(),
            refused.line,
            refused.reason
        );
    }
    let mut roots = args.paths.clone();
    let mut one_file_system = false;
    if let Some(profile) = &args.profile {
        let profile: ScanProfile = profile.parse().map_err(anyhow::Error::msg)?;
        let resolved = profile.roots();
        for note in &resolved.notes {
            eprintln!("scan profile: {note}");
        }
        if resolved.paths.is_empty() {
            anyhow::bail!(
                "the {} scan profile found nothing to scan on this machine",
                args.profile.as_deref().unwrap_or_default()
            );
        }
        roots.extend(resolved.paths);
        one_file_system = resolved.one_file_system;
    }
    let nice = args.nice.or(args.profile.is_some().then_some(10));
    let mut opts = ScanOptions {
        threads: args.threads,
        budget: Budget {
            nice,
            idle_io: nice.is_some_and(|n| n > 0),
        },
        one_file_system,
        max_size: args.max_size,
        exclude: args.exclude.clone(),
        ..ScanOptions::default()
    };
    opts.archives.enabled = !args.no_archives;
    let engine = Engine::new(rules, hashes);
    let report = engine.scan_paths(&roots, &opts)?;
    let moves = match &args.quarantine {
        Some(dir) => quarantine_detections(dir, &report)?,
        None => Vec::new(),
    };

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.format == "jsonl" {
        write_jsonl(&mut out, &engine, &report, &moves)?;
    } else {
        write_table(&mut out, &engine, &report, &moves)?;
    }
    out.flush().context("writing the report")?;

    let read_errors = report.skipped.iter().any(|s| {
        matches!(
            s.reason,
            SkipReason::Unreadable { .. } | SkipReason::ArchiveError { .. }
        )
    });
    let not_moved = moves.iter().any(|m| m.outcome.is_err());
    Ok(match (report.stats.detections > 0, read_errors) {
        _ if not_moved => ExitCode::from(2),
        (true, _) => ExitCode::from(1),
        (false, true) => ExitCode::from(2),
        (false, false) => ExitCode::SUCCESS,
    })
}

fn write_jsonl(
    out: &mut impl Write,
    engine: &Engine,
    report: &ScanReport,
    moves: &[Moved],
) -> anyhow::Result<()> {
    for r in &report.results {
        for line in finding_lines(r) {
            writeln!(out, "{line}")?;
        }
    }
    for m in moves {
        let line = match &m.outcome {
            Ok(entry) => json!({"type": "quarantined", "path": m.path.display().to_string(), "id": entry.id,
                "sha256": entry.sha256, "size": entry.size, "reason": entry.reason}),
            Err(error) => {
                json!({"type": "quarantine_failed", "path": m.path.display().to_string(), "error": error})
            }
        };
        writeln!(out, "{line}")?;
    }
    for s in &report.skipped {
        let line = json!({"type": "skipped", "path": s.path, "size": s.size, "reason": s.reason.to_string(), "kind": s.reason});
        writeln!(out, "{line}")?;
    }
    let failures = engine.rules().map_or(0, |r| r.report().failures.len());
    let rules = engine.rules().map_or(0, RuleSet::rule_count);
    let quarantined = moves.iter().filter(|m| m.outcome.is_ok()).count();
    let summary = json!({"type": "summary", "rules": rules, "rule_files_failed": failures,
        "hashes": engine.hashes().len(), "stats": report.stats, "quarantined": quarantined});
    writeln!(out, "{summary}")?;
    Ok(())
}

/// One JSON object per match: `rule` + `namespace`, or `hash_list` + `hash_kind`; a YARA scan error gets its own.
fn finding_lines(r: &FileResult) -> Vec<serde_json::Value> {
    let mut lines: Vec<serde_json::Value> = r
        .rules
        .iter()
        .map(|m| {
            json!({"type": "detection", "path": r.path, "size": r.size, "sha256": r.sha256,
            "rule": m.rule, "namespace": m.namespace})
        })
        .collect();
    lines.extend(r.hashes.iter().map(|h| {
        json!({"type": "detection", "path": r.path, "size": r.size, "sha256": r.sha256, "hash_list": h.list,
            "hash_kind": h.kind, "hash_line": h.line, "comment": h.comment})
    }));
    if let Some(error) = &r.error {
        lines.push(
            json!({"type": "error", "path": r.path, "size": r.size, "sha256": r.sha256, "error": error}),
        );
    }
    lines
}

fn kind_name(kind: HashKind) -> &'static str {
    match kind {
        HashKind::Md5 => "MD5",
        HashKind::Sha1 => "SHA-1",
        HashKind::Sha256 => "SHA-256",
    }
}

fn write_table(
    out: &mut impl Write,
    engine: &Engine,
    report: &ScanReport,
    moves: &[Moved],
) -> anyhow::Result<()> {
    for r in &report.results {
        for m in &r.rules {
            writeln!(out, "{}: {} ({}) FOUND", r.path, m.rule, m.namespace)?;
        }
        for h in &r.hashes {
            writeln!(
                out,
                "{}: {} {}:{} {} FOUND",
                r.path,
                kind_name(h.kind),
                h.list,
                h.line,
                h.comment
            )?;
        }
        if let Some(error) = &r.error {
            writeln!(out, "{}: ERROR {error}", r.path)?;
        }
    }
    for s in &report.skipped {
        writeln!(out, "{}: SKIPPED {}", s.path, s.reason)?;
    }
    for m in moves {
        match &m.outcome {
            Ok(entry) => writeln!(out, "{}: moved to quarantine as {}", m.path.display(), entry.id)?,
            Err(error) => writeln!(out, "{}: NOT QUARANTINED: {error}", m.path.display())?,
        }
    }
    let st = &report.stats;
    writeln!(out, "\n----------- SCAN SUMMARY -----------")?;
    writeln!(out, "Rules: {}", engine.rules().map_or(0, RuleSet::rule_count))?;
    writeln!(
        out,
        "Rule files not loaded: {}",
        engine.rules().map_or(0, |r| r.report().failures.len())
    )?;
    writeln!(out, "Hash indicators: {}", engine.hashes().len())?;
    writeln!(
        out,
        "Scanned files: {} ({} archive members)",
        st.scanned, st.archive_members
    )?;
    writeln!(out, "Scanned bytes: {}", st.bytes)?;
    writeln!(out, "Infected files: {}", st.detections)?;
    writeln!(
        out,
        "Skipped: {}  Excluded: {}  Not regular: {}",
        st.skipped, st.excluded, st.not_regular
    )?;
    if !moves.is_empty() {
        let done = moves.iter().filter(|m| m.outcome.is_ok()).count();
        writeln!(out, "Quarantined: {done} of {}", moves.len())?;
    }
    Ok(())
}

/// One file the scan asked to move into the quarantine, and what happened.
struct Moved {
    path: PathBuf,
    outcome: Result<Entry, String>,
}

/// Moves each file with a detection (the outer archive for a detected member) into the store, with the matches
/// as its reason.
fn quarantine_detections(dir: &Path, report: &ScanReport) -> anyhow::Result<Vec<Moved>> {
    let store = Quarantine::open(dir)?;
    let mut reasons: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
    for r in report.results.iter().filter(|r| r.is_detection()) {
        let file = containing_file(&r.path);
        let member = match &file {
            Some(f) if f.as_os_str() != r.path.as_str() => format!("{}: ", r.path),
            _ => String::new(),
        };
        let what = reasons
            .entry(file.unwrap_or_else(|| PathBuf::from(&r.path)))
            .or_default();
        what.extend(
            r.rules
                .iter()
                .map(|m| format!("{member}rule {} ({})", m.rule, m.namespace)),
        );
        what.extend(r.hashes.iter().map(|h| {
            format!(
                "{member}{} {}:{} {}",
                kind_name(h.kind),
                h.list,
                h.line,
                h.comment
            )
            .trim_end()
            .to_string()
        }));
    }
    Ok(reasons
        .into_iter()
        .map(|(path, why)| {
            let outcome = store.put(&path, &why.join("; ")).map_err(|e| e.to_string());
            Moved { path, outcome }
        })
        .collect())
}

/// The file on disk a result path names: itself, or for `a.zip!b!c` the longest prefix before a `!` that is a
/// regular file.
fn containing_file(shown: &str) -> Option<PathBuf> {
    let is_file = |p: &str| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file());
    if is_file(shown) {
        return Some(PathBuf::from(shown));
    }
    shown
        .rmatch_indices('!')
        .map(|(i, _)| &shown[..i])
        .find(|prefix| is_file(prefix))
        .map(PathBuf::from)
}
