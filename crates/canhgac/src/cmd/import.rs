//! `canhgac import`: bring feeds in from files, for servers without internet (`import list` for Botnet IP lists
//! and other indicator lists).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use canhgac_store::{ListUpload, Store};

/// Import feeds from files.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    #[command(subcommand)]
    command: ImportCommand,
}

#[derive(Debug, clap::Subcommand)]
enum ImportCommand {
    /// Import an indicator list version (TXT, CSV, XLSX, STIX 2.1, MISP JSON) and match it against every unit's
    /// assets and public ranges, creating the units' remediation items; prints what was kept, refused and changed.
    List(ListArgs),
}

#[derive(Debug, clap::Args)]
struct ListArgs {
    /// The list file.
    file: PathBuf,
    /// The list's name; versions of the same name are compared ("Danh sách IP Botnet").
    #[arg(long)]
    name: String,
    /// Monthly or sent once.
    #[arg(long, value_parser = ["monthly", "adhoc"], default_value = "adhoc")]
    kind: String,
    /// Who sent it.
    #[arg(long, default_value = "")]
    source: String,
    /// The version, e.g. 2024-01 [default: today].
    #[arg(long, default_value = "")]
    version: String,
    /// Only read and report; store nothing.
    #[arg(long)]
    dry_run: bool,
    /// The data directory of `serve` [default: ./canhgac-data].
    #[arg(long, env = "CANHGAC_DATA_DIR", default_value = "canhgac-data")]
    data_dir: PathBuf,
    /// A PostgreSQL URL, as given to `serve --database` (instead of the data directory).
    #[arg(long, env = "CANHGAC_DATABASE")]
    database: Option<String>,
}

pub fn run(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let ImportCommand::List(a) = args.command;
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(async {
        let store = match &a.database {
            Some(url) => Store::open(url).await.context("opening the database")?,
            None => super::admin::open(&a.data_dir).await?,
        };
        let bytes = std::fs::read(&a.file).with_context(|| format!("reading {}", a.file.display()))?;
        let up = ListUpload {
            name: a.name.clone(),
            source: a.source.clone(),
            kind: if a.kind == "monthly" { canhgac_ioc::ListKind::Monthly } else { canhgac_ioc::ListKind::AdHoc },
            version: a.version.clone(),
            file_name: a.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            bytes,
            mapping: None,
        };
        let started = std::time::Instant::now();
        let report = if a.dry_run {
            store.read_list(&up).await
        } else {
            store.import_list(None, &up).await
        }
        .with_context(|| format!("importing {}", a.file.display()))?;
        for r in &report.rejected {
            eprintln!("{}:{}: {}{}: {:?}", a.file.display(), r.at, r.field.as_deref().map(|f| format!("{f}: ")).unwrap_or_default(), r.problem, r.value);
        }
        println!(
            "{}: {} entries kept, {} lines refused; against {}: {} added, {} removed, {} unchanged; {} remediation items{}; {:.2} s",
            a.file.display(),
            report.entries,
            report.rejected.len(),
            report.previous_version.as_deref().unwrap_or("no previous version"),
            report.added,
            report.removed,
            report.unchanged,
            report.items,
            if a.dry_run { " (dry run, nothing stored)" } else { "" },
            started.elapsed().as_secs_f64()
        );
        for (code, name, n) in &report.per_unit {
            println!("  {code} {name}: {n} remediation items");
        }
        Ok(ExitCode::SUCCESS)
    })
}
