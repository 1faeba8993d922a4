//! `canhgac vuln check`: offline matching of one host's inventory against advisory files, for an air-gapped
//! server: every CVE of the advisories with its state (vulnerable, remediated, not affected, unknown) and the
//! evidence, as a table or JSON lines.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use canhgac_vuln::advisory::{parse_any, MAX_ADVISORY_BYTES};
use canhgac_vuln::inventory::{parse_inventory, HostInventory, MAX_INVENTORY_BYTES};
use canhgac_vuln::matching::{Matcher, State, Verdict};
use canhgac_vuln::query::AdvisoryQuery;
use canhgac_vuln::KnowledgeBase;

/// Vulnerability checks.
#[derive(Debug, clap::Args)]
pub struct VulnArgs {
    #[command(subcommand)]
    command: VulnCommand,
}

#[derive(Debug, clap::Subcommand)]
enum VulnCommand {
    /// Match one host's inventory against advisory files (Microsoft CVRF XML/JSON, `.xml.zst`, CSAF, CISA KEV,
    /// NVD with CPE configurations, NVD CPE dictionary, Update Catalog records, the Debian Security Tracker's JSON,
    /// OSV records of Ubuntu and Debian).
    Check(CheckArgs),
}

#[derive(Debug, clap::Args)]
struct CheckArgs {
    /// Advisory files or folders (read recursively).
    #[arg(long, required = true, num_args = 1..)]
    advisories: Vec<PathBuf>,
    /// The host: `systeminfo` output, a `wmic qfe` / `Get-HotFix` list, or an agent JSON inventory. Give it
    /// more than once to combine files of the same host (e.g. systeminfo and wmic qfe).
    #[arg(long, required = true)]
    inventory: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Only CVEs selected by this query, e.g.
    /// "vendor=microsoft severity=critical,important released=2023-05-01..2023-12-31".
    #[arg(long)]
    query: Option<String>,
    /// Only verdicts in these states (comma-separated: vulnerable,remediated,not_affected,unknown).
    #[arg(long, value_delimiter = ',')]
    state: Vec<String>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    /// Aligned columns with a summary.
    Table,
    /// One JSON object per CVE.
    Jsonl,
}

pub fn run(args: VulnArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        VulnCommand::Check(args) => check(args),
    }
}

fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let kb = load_advisories(&args.advisories)?;
    let host = load_inventory(&args.inventory)?;
    let query = args
        .query
        .as_deref()
        .map(AdvisoryQuery::parse)
        .transpose()
        .context("reading --query")?;
    let states = parse_states(&args.state)?;
    let records: Vec<_> = match &query {
        Some(q) => q.select(&kb),
        None => kb.cves.values().collect(),
    };
    let verdicts: Vec<Verdict> = Matcher::new(&kb)
        .check(&host, records)
        .into_iter()
        .filter(|v| states.is_empty() || states.contains(&v.state))
        .collect();
    for w in &host.warnings {
        eprintln!("warning: {w}");
    }
    let hostname = host.hostname.as_deref().unwrap_or("");
    let printed = match args.format {
        Format::Jsonl => print_jsonl(hostname, &verdicts),
        Format::Table => print_table(&host, &verdicts),
    };
    match printed {
        // The reader went away (`| head`): not an error of the check.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            Ok(ExitCode::SUCCESS)
        }
        other => other.map(|()| ExitCode::SUCCESS),
    }
}

fn parse_states(words: &[String]) -> anyhow::Result<Vec<State>> {
    words
        .iter()
        .map(|w| match w.as_str() {
            "vulnerable" => Ok(State::Vulnerable),
            "remediated" => Ok(State::Remediated),
            "not_affected" => Ok(State::NotAffected),
            "unknown" => Ok(State::Unknown),
            other => bail!("--state {other:?}: expected vulnerable, remediated, not_affected or unknown"),
        })
        .collect()
}

fn read_capped(path: &Path, limit: usize) -> anyhow::Result<Vec<u8>> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len();
    if usize::try_from(size).map_or(true, |s| s > limit) {
        bail!(
            "{}: {size} bytes exceeds the limit of {limit} bytes",
            path.display()
        );
    }
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

fn advisory_files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("listing {}", path.display()))?
                .map(|e| e.map(|e| e.path()))
                .collect::<Result<_, _>>()
                .with_context(|| format!("listing {}", path.display()))?;
            entries.sort();
            let files: Vec<PathBuf> = entries
                .into_iter()
                .filter(|p| {
                    p.is_dir()
                        || p.to_string_lossy().ends_with(".xml")
                        || p.to_string_lossy().ends_with(".json")
                        || p.to_string_lossy().ends_with(".zst")
                })
                .collect();
            out.extend(advisory_files(&files)?);
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

fn load_advisories(paths: &[PathBuf]) -> anyhow::Result<KnowledgeBase> {
    let mut kb = KnowledgeBase::default();
    let files = advisory_files(paths)?;
    if files.is_empty() {
        bail!("no advisory files (.xml, .xml.zst, .json) under {paths:?}");
    }
    let mut skipped = 0;
    for path in &files {
        let bytes = read_capped(path, MAX_ADVISORY_BYTES)?;
        match parse_any(&path.display().to_string(), &bytes) {
            Ok(feed) => kb.merge(feed),
            // A JSON file of another kind inside a given folder (an API index, a scan-cabinet extract) is skipped
            // and reported; a named file must be an advisory, and a malformed advisory is always an error.
            Err(e @ canhgac_vuln::Error::UnknownFormat { .. }) if !paths.contains(path) => {
                eprintln!("skipped: {e}");
                skipped += 1;
            }
            Err(e) => return Err(e).context("reading advisories"),
        }
    }
    if skipped > 0 {
        eprintln!("{skipped} files in the advisory folders are not advisories and were skipped");
    }
    if !kb.warnings.is_empty() {
        eprintln!(
            "{} advisory values could not be used (first: {})",
            kb.warnings.len(),
            kb.warnings.iter().next().map_or("", String::as_str)
        );
    }
    eprintln!(
        "{} advisory files, {} CVEs, {} supersedence links",
        files.len(),
        kb.cves.len(),
        kb.supersedence.len()
    );
    Ok(kb)
}

fn load_inventory(paths: &[PathBuf]) -> anyhow::Result<HostInventory> {
    let mut host: Option<HostInventory> = None;
    for path in paths {
        let bytes = read_capped(path, MAX_INVENTORY_BYTES)?;
        let inv = parse_inventory(&path.display().to_string(), &bytes).context("reading the inventory")?;
        match host.as_mut() {
            Some(h) => h.absorb(inv),
            None => host = Some(inv),
        }
    }
    host.context("no --inventory given")
}

fn print_jsonl(hostname: &str, verdicts: &[Verdict]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for v in verdicts {
        let line = serde_json::json!({
            "host": hostname,
            "cve": v.cve,
            "state": v.state.as_str(),
            "kb": v.kb.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "fixes": v.fixes,
            "severity": v.severity.map(|s| s.as_str()),
            "kev": v.kev,
            "exploited": v.exploited,
            "missing": v.missing,
            "evidence": v.evidence,
        });
        writeln!(out, "{line}").context("writing output")?;
    }
    out.flush().context("writing output")
}

fn print_table(host: &HostInventory, verdicts: &[Verdict]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let installed = if host.is_linux() {
        format!(
            "{}, {} packages",
            host.release.as_deref().unwrap_or("release unknown"),
            host.software.as_ref().map_or(0, Vec::len)
        )
    } else {
        format!("{} KBs", host.kbs.len())
    };
    writeln!(
        out,
        "host {} — {} {} ({installed})",
        host.hostname.as_deref().unwrap_or("?"),
        host.os_name.as_deref().unwrap_or("?"),
        host.os_version
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
    )?;
    writeln!(
        out,
        "{:<16} {:<12} {:<9} {:<3} {:<22} EVIDENCE",
        "CVE", "STATE", "SEVERITY", "KEV", "KB"
    )?;
    let mut counts = [0usize; 4];
    for v in verdicts {
        let (i, why) = match v.state {
            State::Vulnerable => (0, v.evidence.first()),
            State::Remediated => (1, v.evidence.first()),
            State::NotAffected => (2, v.evidence.first()),
            _ => (3, v.missing.first()),
        };
        counts[i] += 1;
        let kbs: Vec<String> = if v.kb.is_empty() {
            v.fixes.clone()
        } else {
            v.kb.iter().map(ToString::to_string).collect()
        };
        writeln!(
            out,
            "{:<16} {:<12} {:<9} {:<3} {:<22} {}",
            v.cve,
            v.state.as_str(),
            v.severity.map_or("-", |s| s.as_str()),
            if v.kev { "yes" } else { "" },
            kbs.join(","),
            why.map_or("", String::as_str)
        )?;
    }
    writeln!(
        out,
        "{} CVEs: {} vulnerable, {} remediated, {} not affected, {} unknown",
        verdicts.len(),
        counts[0],
        counts[1],
        counts[2],
        counts[3]
    )?;
    out.flush()?;
    Ok(())
}
