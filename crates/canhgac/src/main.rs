//! `canhgac`: parse arguments and dispatch to one function per subcommand.

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Security operations for a health network.
#[derive(Debug, Parser)]
#[command(name = "canhgac", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the web console, API and collectors.
    Serve(cmd::serve::ServeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => cmd::serve::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
