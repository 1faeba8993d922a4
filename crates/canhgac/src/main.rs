//! `canhgac`: parse arguments and dispatch to one function per subcommand.

mod cmd;

use std::process::ExitCode;

// The collection path allocates many small strings per event on two threads at once; mimalloc spends a fraction
// of glibc's time on them (docs/benchmarks.md, live collection).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    Serve(Box<cmd::serve::ServeArgs>),
    /// Administrative tasks on the data directory (backup, audit check).
    Admin(cmd::admin::AdminArgs),
    /// Import feeds from files (Botnet IP and other indicator lists), for servers without internet.
    Import(cmd::import::ImportArgs),
    /// Vulnerabilities: match a host's inventory against Microsoft, KEV and NVD advisories, offline.
    Vuln(cmd::vuln::VulnArgs),
    /// Run Sigma rules over Windows event logs (EVTX, JSON lines) and print a timeline of detections.
    Hunt(cmd::hunt::HuntArgs),
    /// Scan files and folders with YARA rules and hash lists (exit 0 clean, 1 found, 2 error).
    Scan(cmd::scan::ScanArgs),
    /// Files a scan moved into a quarantine store: list, restore, delete.
    Quarantine(cmd::quarantine::QuarantineArgs),
    /// The endpoint agent: enroll this machine, then run (inventory, heartbeats, log forwarding).
    Agent(cmd::agent::AgentArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("CANHGAC_LOG")
        .unwrap_or_else(|_| "info,sqlx=warn,evtx=warn".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // CANHGAC_LOG_FORMAT=json: one JSON object per line, for log shippers.
    if std::env::var("CANHGAC_LOG_FORMAT").is_ok_and(|f| f == "json") {
        logs.json().init();
    } else {
        logs.init();
    }
    let result = match cli.command {
        Command::Serve(args) => cmd::serve::run(*args),
        Command::Admin(args) => cmd::admin::run(args),
        Command::Import(args) => cmd::import::run(args),
        Command::Vuln(args) => cmd::vuln::run(args),
        Command::Hunt(args) => cmd::hunt::run(args),
        Command::Scan(args) => cmd::scan::run(args),
        Command::Quarantine(args) => cmd::quarantine::run(args),
        Command::Agent(args) => cmd::agent::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
