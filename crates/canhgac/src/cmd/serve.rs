//! `canhgac serve`.

use std::process::ExitCode;

/// Options of `canhgac serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {}

pub fn run(_args: ServeArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("serve: the console is being built")
}
