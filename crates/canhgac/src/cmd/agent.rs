//! `canhgac agent`: the endpoint agent. `enroll` exchanges a one-time enrollment token (created on the console's
//! `/agents` page or with `POST /api/v1/agents/tokens`) for the agent's credential and writes the state folder;
//! `run` is the long-running service (see `packaging/canhgac-agent.service`): inventory at start, on change and
//! daily, heartbeats, followed log files delivered through a disk spool exactly once, and the server's scan tasks
//! (rule bundle by digest, results spooled until recorded).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

/// The endpoint agent.
#[derive(Debug, clap::Args)]
pub struct AgentArgs {
    #[command(subcommand)]
    command: AgentCommand,
}

#[derive(Debug, clap::Subcommand)]
enum AgentCommand {
    /// Enroll this machine with a one-time token; writes the credential into the state folder.
    Enroll(EnrollArgs),
    /// Run the agent: inventory, heartbeats, log forwarding (keeps spooling while the server is away).
    Run(RunArgs),
}

#[derive(Debug, clap::Args)]
struct EnrollArgs {
    /// The server's address (`https://soc.example.vn`; plain http only for 127.0.0.1).
    #[arg(long)]
    server: String,
    /// The one-time enrollment token.
    #[arg(long, env = "CANHGAC_ENROLL_TOKEN")]
    token: String,
    /// PEM file of the certificate authority (or the server's own certificate) to trust instead of the system's.
    #[arg(long)]
    ca: Option<PathBuf>,
    /// Where the agent keeps its credential, checkpoints and spool.
    #[arg(long, default_value = "/var/lib/canhgac-agent")]
    state_dir: PathBuf,
    /// Describe the machine whose root file system is mounted here (the agent in a container) instead of `/`.
    #[arg(long)]
    root: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The state folder written by `enroll`.
    #[arg(long, default_value = "/var/lib/canhgac-agent")]
    state_dir: PathBuf,
    /// A log file to forward (rotation followed); repeatable.
    #[arg(long)]
    follow: Vec<PathBuf>,
    /// Pause between polls of the followed files, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    poll_ms: u64,
    /// Seconds between heartbeats.
    #[arg(long, default_value_t = 60)]
    heartbeat_secs: u64,
    /// Seconds between checks whether the inventory changed (it is sent on change and daily).
    #[arg(long, default_value_t = 900)]
    inventory_secs: u64,
    /// Describe the machine whose root file system is mounted here (the agent in a container) instead of `/`.
    #[arg(long)]
    root: Option<PathBuf>,
    /// Most disk space (MiB) the spool of unsent lines may take while the server is away; beyond it the oldest
    /// lines are dropped and counted.
    #[arg(long, default_value_t = 256)]
    spool_max_mb: u64,
    /// A folder a full scan covers (repeatable); by default the machine's root (`--root`, else `/`).
    #[arg(long)]
    scan_root: Vec<PathBuf>,
    /// Scan worker threads when the task does not say.
    #[arg(long, default_value_t = 2)]
    scan_threads: usize,
    /// Files larger than this (MiB) are not scanned (they are reported).
    #[arg(long, default_value_t = 100)]
    scan_max_mb: u64,
    /// Seconds between checks for new tasks from the server.
    #[arg(long, default_value_t = 60)]
    task_secs: u64,
}

pub fn run(args: AgentArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        AgentCommand::Enroll(a) => {
            let state = canhgac_agent::enroll(
                &a.server,
                &a.token,
                a.ca.as_deref(),
                &a.state_dir,
                a.root.as_deref(),
            )
            .with_context(|| format!("enrolling with {}", a.server))?;
            println!(
                "enrolled as agent {} of unit {} ({}); state in {}",
                state.agent_id,
                state.unit_id,
                state.hostname,
                a.state_dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        AgentCommand::Run(a) => {
            let schedule = canhgac_agent::Schedule {
                poll: Duration::from_millis(a.poll_ms.max(50)),
                heartbeat: Duration::from_secs(a.heartbeat_secs.max(1)),
                inventory_check: Duration::from_secs(a.inventory_secs.max(1)),
                ..Default::default()
            };
            let spool = canhgac_agent::SpoolConfig {
                max_total_bytes: a.spool_max_mb.max(16).saturating_mul(1 << 20),
                ..Default::default()
            };
            let mut scan = canhgac_agent::ScanConfig::for_root(a.root.as_deref(), a.scan_threads);
            if !a.scan_root.is_empty() {
                scan.full_roots = a.scan_root.clone();
            }
            scan.max_size = a.scan_max_mb.max(1).saturating_mul(1 << 20);
            let tasks = canhgac_agent::tasks::open_enrolled(
                &a.state_dir,
                scan,
                Duration::from_secs(a.task_secs.max(1)),
            )
            .with_context(|| format!("opening the task state in {}", a.state_dir.display()))?;
            let mut agent = canhgac_agent::open_enrolled(&a.state_dir, &a.follow, spool, schedule, a.root)
                .with_context(|| format!("opening the agent state in {}", a.state_dir.display()))?
                .with_tasks(tasks);
            tracing::info!(files = a.follow.len(), "agent running");
            agent.run(&|| false).context("agent stopped")?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
