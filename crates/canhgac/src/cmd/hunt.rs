//! `canhgac hunt`: the Sigma rules over a folder of Windows event logs, offline, as a sorted timeline.

mod event;
mod report;
mod scan;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use canhgac_sigma::{Engine, Level, LoadOptions, LoadReport, Mapping, Restriction, Status};
use chrono::{DateTime, NaiveDate, Utc};

/// Run Sigma rules over EVTX files (and JSON lines of Windows events) and print the detections by time.
#[derive(Debug, clap::Args)]
pub struct HuntArgs {
    /// EVTX files, JSON-lines files, or folders searched recursively for `.evtx`, `.jsonl` and `.ndjson` files.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Sigma rule files or folders (repeat the option for several).
    #[arg(long = "rules", required = true)]
    rules: Vec<PathBuf>,
    /// Only rules of this level or above (informational, low, medium, high, critical).
    #[arg(long)]
    min_level: Option<String>,
    /// Only rules with these statuses (repeatable: stable, test, experimental, deprecated, unsupported).
    #[arg(long = "status")]
    statuses: Vec<String>,
    /// Only rules with one of these tags (repeatable, e.g. attack.t1059 or attack.execution).
    #[arg(long = "tag")]
    tags: Vec<String>,
    /// Only events at or after this time (RFC 3339 or YYYY-MM-DD, UTC).
    #[arg(long)]
    from: Option<String>,
    /// Only events before this time (RFC 3339 or YYYY-MM-DD, UTC).
    #[arg(long)]
    to: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = report::Format::Table)]
    format: report::Format,
    /// Write the detections to this file instead of standard output.
    #[arg(long)]
    output: Option<PathBuf>,
    /// A log-source mapping file merged over the embedded Windows mapping.
    #[arg(long)]
    mapping: Option<PathBuf>,
    /// List every rule that could not be loaded (otherwise only their number and the first few).
    #[arg(long)]
    show_skipped: bool,
}

fn parse_time(s: &str) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .with_context(|| format!("`{s}` is not RFC 3339 or YYYY-MM-DD"))?;
    Ok(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
}

fn restriction(args: &HuntArgs) -> anyhow::Result<Restriction> {
    let min_level = args
        .min_level
        .as_deref()
        .map(str::parse::<Level>)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let statuses = args
        .statuses
        .iter()
        .map(|s| s.parse::<Status>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(anyhow::Error::msg)?;
    Ok(Restriction {
        min_level,
        statuses,
        tags: args.tags.clone(),
    })
}

fn build_engine(args: &HuntArgs) -> anyhow::Result<(Engine, report::RuleCounts)> {
    let mut mapping = Mapping::default();
    if let Some(path) = &args.mapping {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading mapping {}", path.display()))?;
        mapping.merge(Mapping::from_yaml(&text, &path.display().to_string())?);
    }
    let mut loaded = LoadReport::default();
    for path in &args.rules {
        anyhow::ensure!(path.exists(), "rules {} do not exist", path.display());
        loaded.add_path(path, &LoadOptions::default());
    }
    let restricted = loaded.restrict(&restriction(args)?);
    let (engine, errors) = Engine::build(loaded, &mapping);
    let shown = if args.show_skipped {
        errors.len()
    } else {
        errors.len().min(5)
    };
    for e in &errors[..shown] {
        eprintln!("rule skipped: {e}");
    }
    if shown < errors.len() {
        eprintln!(
            "… and {} more rules skipped (--show-skipped lists them all)",
            errors.len() - shown
        );
    }
    Ok((
        engine,
        report::RuleCounts {
            loaded: 0,
            skipped: errors.len(),
            restricted,
        },
    ))
}

pub fn run(args: HuntArgs) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let (engine, mut counts) = build_engine(&args)?;
    counts.loaded = engine.len();
    anyhow::ensure!(
        !engine.is_empty(),
        "no rule could be used (see the messages above)"
    );
    let window = scan::Window {
        from: args.from.as_deref().map(parse_time).transpose()?,
        to: args.to.as_deref().map(parse_time).transpose()?,
    };
    let files = scan::find_inputs(&args.paths)?;
    anyhow::ensure!(
        !files.is_empty(),
        "no .evtx or JSON-lines file under the given paths"
    );
    let progress = std::io::stderr().is_terminal();
    let mut outcome = scan::run(&engine, &files, window, progress);
    outcome
        .detections
        .sort_by(|a, b| (a.timestamp, &a.file, a.record_id).cmp(&(b.timestamp, &b.file, b.record_id)));
    let correlations = scan::correlate(&engine, &mut outcome);
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    report::write(&mut out, args.format, &engine, &outcome.detections, &correlations)
        .context("writing the detections")?;
    out.flush().context("writing the detections")?;
    drop(out);
    report::summary(&engine, &counts, &outcome, &correlations, started.elapsed());
    Ok(ExitCode::SUCCESS)
}
