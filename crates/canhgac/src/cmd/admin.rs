//! `canhgac admin`: operations on the data directory.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

/// Administrative tasks.
#[derive(Debug, clap::Args)]
pub struct AdminArgs {
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Debug, clap::Subcommand)]
enum AdminCommand {
    /// Write a consistent copy of the embedded database, safe while `serve` is running.
    Backup {
        /// The data directory of `serve` [default: ./canhgac-data].
        #[arg(long, env = "CANHGAC_DATA_DIR", default_value = "canhgac-data")]
        data_dir: PathBuf,
        /// The new file to write (must not exist).
        #[arg(long)]
        output: PathBuf,
    },
    /// Check that the audit log's hash chain is intact.
    VerifyAudit {
        /// The data directory of `serve` [default: ./canhgac-data].
        #[arg(long, env = "CANHGAC_DATA_DIR", default_value = "canhgac-data")]
        data_dir: PathBuf,
    },
}

pub fn run(args: AdminArgs) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(async {
        match args.command {
            AdminCommand::Backup { data_dir, output } => {
                let store = open(&data_dir).await?;
                store
                    .backup_to(&output)
                    .await
                    .with_context(|| format!("writing backup {}", output.display()))?;
                println!("backup written to {}", output.display());
                Ok(ExitCode::SUCCESS)
            }
            AdminCommand::VerifyAudit { data_dir } => {
                let check = open(&data_dir).await?.verify_audit_chain().await?;
                match check.broken_at {
                    None => {
                        println!("audit log intact: {} entries", check.entries);
                        Ok(ExitCode::SUCCESS)
                    }
                    Some(id) => {
                        println!(
                            "audit log ALTERED at entry {id} (after {} intact entries)",
                            check.entries
                        );
                        Ok(ExitCode::from(1))
                    }
                }
            }
        }
    })
}

pub(crate) async fn open(dir: &std::path::Path) -> anyhow::Result<canhgac_store::Store> {
    if !dir.join("canhgac.db").exists() {
        anyhow::bail!(
            "no database in {} (is this the data directory of `canhgac serve`?)",
            dir.display()
        );
    }
    canhgac_store::Store::open_data_dir(dir)
        .await
        .with_context(|| format!("opening the database in {}", dir.display()))
}
