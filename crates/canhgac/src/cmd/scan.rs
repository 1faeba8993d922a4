//! `canhgac scan`: offline scan of files and folders with YARA rules and hash lists, like `clamscan`.
//!
//! Exit status: 0 nothing found, 1 something found, 2 an error (bad arguments, rules or lists that cannot be read,
//! or files that could not be read when nothing was found).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use canhgac_scan::{Engine, FileResult, HashKind, HashList, RuleSet, ScanOptions, ScanReport, SkipReason};
use serde_json::json;

/// Scan files and folders with YARA rules and hash lists.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Files and folders to scan (folders recursively; zip archives are opened).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
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
    let mut opts = ScanOptions {
        threads: args.threads,
        max_size: args.max_size,
        exclude: args.exclude.clone(),
        ..ScanOptions::default()
    };
    opts.archives.enabled = !args.no_archives;
    let engine = Engine::new(rules, hashes);
    let report = engine.scan_paths(&args.paths, &opts)?;

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.format == "jsonl" {
        write_jsonl(&mut out, &engine, &report)?;
    } else {
        write_table(&mut out, &engine, &report)?;
    }
    out.flush().context("writing the report")?;

    let read_errors = report.skipped.iter().any(|s| {
        matches!(
            s.reason,
            SkipReason::Unreadable { .. } | SkipReason::ArchiveError { .. }
        )
    });
    Ok(match (report.stats.detections > 0, read_errors) {
        (true, _) => ExitCode::from(1),
        (false, true) => ExitCode::from(2),
        (false, false) => ExitCode::SUCCESS,
    })
}

fn write_jsonl(out: &mut impl Write, engine: &Engine, report: &ScanReport) -> anyhow::Result<()> {
    for r in &report.results {
        for line in finding_lines(r) {
            writeln!(out, "{line}")?;
        }
    }
    for s in &report.skipped {
        let line = json!({"type": "skipped", "path": s.path, "size": s.size, "reason": s.reason.to_string(), "kind": s.reason});
        writeln!(out, "{line}")?;
    }
    let failures = engine.rules().map_or(0, |r| r.report().failures.len());
    let rules = engine.rules().map_or(0, RuleSet::rule_count);
    let summary = json!({"type": "summary", "rules": rules, "rule_files_failed": failures,
        "hashes": engine.hashes().len(), "stats": report.stats});
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

fn write_table(out: &mut impl Write, engine: &Engine, report: &ScanReport) -> anyhow::Result<()> {
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
    Ok(())
}
