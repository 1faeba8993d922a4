//! `canhgac quarantine`: list, restore and delete the files `canhgac scan --quarantine DIR` moved into a store.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use canhgac_scan::quarantine::{Entry, Quarantine};

/// Files moved into a quarantine store: list, restore, delete.
#[derive(Debug, clap::Args)]
pub struct QuarantineArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Args)]
struct Store {
    /// The quarantine store folder.
    #[arg(long, value_name = "DIR")]
    store: PathBuf,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Every entry: id, when, size, SHA-256, original path and why.
    List {
        #[command(flatten)]
        store: Store,
        /// Output: a line per entry for people, or one JSON object per line.
        #[arg(long, value_parser = ["table", "jsonl"], default_value = "table")]
        format: String,
    },
    /// Give a file back, byte-identical, with its owner, mode and times; never over an existing file.
    Restore {
        /// The entry's id (from `list`).
        id: String,
        /// Restore here instead of the original path (a folder: the original name inside it).
        #[arg(long, value_name = "PATH")]
        to: Option<PathBuf>,
        #[command(flatten)]
        store: Store,
    },
    /// Remove an entry for good.
    Delete {
        /// The entry's id (from `list`).
        id: String,
        #[command(flatten)]
        store: Store,
    },
}

fn open(store: &Store) -> anyhow::Result<Quarantine> {
    if !store.store.is_dir() {
        anyhow::bail!("{}: no quarantine store there", store.store.display());
    }
    Ok(Quarantine::open(&store.store)?)
}

pub fn run(args: QuarantineArgs) -> anyhow::Result<ExitCode> {
    match args.action {
        Action::List { store, format } => {
            let listing = open(&store)?.list()?;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            for e in &listing.entries {
                if format == "jsonl" {
                    writeln!(out, "{}", serde_json::to_string(e)?)?;
                } else {
                    writeln!(out, "{}", table_line(e))?;
                }
            }
            out.flush().context("writing the list")?;
            for problem in &listing.problems {
                eprintln!("entry not readable: {problem}");
            }
            Ok(if listing.problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
        Action::Restore { id, to, store } => {
            let restored = open(&store)?.restore(&id, to.as_deref())?;
            println!("restored {id} to {}", restored.path.display());
            for w in &restored.warnings {
                eprintln!("warning: {}: {w}", restored.path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Action::Delete { id, store } => {
            let entry = open(&store)?.delete(&id)?;
            println!("deleted {id} (was {})", entry.original_path);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn table_line(e: &Entry) -> String {
    format!(
        "{}  {}  {:>10}  {}  {}  ({})",
        e.id, e.quarantined_at, e.size, e.sha256, e.original_path, e.reason
    )
}
