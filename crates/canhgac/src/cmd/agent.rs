//! `canhgac agent`: the endpoint agent. `enroll` exchanges a one-time enrollment token (created on the console's
//! `/agents` page or with `POST /api/v1/agents/tokens`) for the agent's credential and writes the state folder;
//! `run` is the long-running service (see `packaging/canhgac-agent.service`): inventory at start, on change and
//! daily, heartbeats, followed log files and the systemd journal delivered through a disk spool exactly once, and
//! the server's scan tasks (rule bundle by digest, results spooled until recorded). On Windows `service
//! install|uninstall|run` registers, removes and runs it as a service (compiled only there).

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
    /// Windows: install or remove the agent as a service, or run as the service control manager starts it.
    #[cfg(windows)]
    #[command(subcommand)]
    Service(ServiceCommand),
}

#[cfg(windows)]
#[derive(Debug, clap::Subcommand)]
enum ServiceCommand {
    /// Register the `canhgac-agent` service (automatic start, LocalSystem) running `agent service run` with the
    /// options given here (those of `agent run`).
    Install(RunArgs),
    /// Stop and remove the service.
    Uninstall,
    /// What the service control manager starts: `agent run` until the service is stopped.
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
    #[arg(long, conflicts_with = "pin")]
    ca: Option<PathBuf>,
    /// Accept exactly the server certificate with this SHA-256 fingerprint (`sha256:HEX`, as printed by
    /// `openssl x509 -noout -fingerprint -sha256`), instead of a certificate authority; kept for every later
    /// connection.
    #[arg(long, value_name = "sha256:HEX")]
    pin: Option<String>,
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
    /// Forward the systemd journal (Linux), only these units when any are named; starts at the journal's end.
    #[arg(long, num_args = 0.., value_name = "UNIT")]
    journald: Option<Vec<String>>,
    /// Most disk space (MiB) the spool of unsent lines may take while the server is away; beyond it the oldest
    /// lines are dropped and counted.
    #[arg(long, default_value_t = 256)]
    spool_max_mb: u64,
    /// A folder a full scan covers (repeatable); by default the full profile: every local disk file system of the
    /// machine (`--root`, else this one). Quick scans always take the quick profile's places.
    #[arg(long)]
    scan_root: Vec<PathBuf>,
    /// Nice value of the scanning threads (0: unchanged; above 0 their disk reads also get idle priority).
    #[arg(long, default_value_t = 10, allow_negative_numbers = true, value_parser = clap::value_parser!(i32).range(-20..=19))]
    scan_nice: i32,
    /// Leave out of scans what matches this glob, by whole path or by name (`/proc/**`, `*.iso`); repeatable.
    #[arg(long)]
    scan_exclude: Vec<String>,
    /// Scan worker threads when the task does not say.
    #[arg(long, default_value_t = 2)]
    scan_threads: usize,
    /// Files larger than this (MiB) are not scanned (they are reported).
    #[arg(long, default_value_t = 100)]
    scan_max_mb: u64,
    /// Windows: an event channel to forward (repeatable); by default `Security`, `System`, `Application`,
    /// `Microsoft-Windows-Sysmon/Operational` and `Microsoft-Windows-PowerShell/Operational`. A channel that does
    /// not exist or cannot be read is reported and left out.
    #[cfg(windows)]
    #[arg(long, value_name = "CHANNEL", default_values_t = DEFAULT_CHANNELS.map(String::from))]
    event_channel: Vec<String>,
    /// Windows: forward no event channel.
    #[cfg(windows)]
    #[arg(long, conflicts_with = "event_channel")]
    no_event_channels: bool,
    /// Seconds between checks for new tasks from the server.
    #[arg(long, default_value_t = 60)]
    task_secs: u64,
}

/// The event channels forwarded on Windows unless told otherwise.
#[cfg(windows)]
const DEFAULT_CHANNELS: [&str; 5] = [
    "Security",
    "System",
    "Application",
    "Microsoft-Windows-Sysmon/Operational",
    "Microsoft-Windows-PowerShell/Operational",
];

pub fn run(args: AgentArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        AgentCommand::Enroll(a) => {
            let trust = match (&a.pin, a.ca.as_deref()) {
                (Some(pin), _) => canhgac_agent::Trust::Pin(canhgac_agent::Pin::parse(pin)?),
                (None, Some(ca)) => canhgac_agent::Trust::CaFile(ca),
                (None, None) => canhgac_agent::Trust::System,
            };
            let state =
                canhgac_agent::enroll_with(&a.server, &a.token, trust, &a.state_dir, a.root.as_deref())
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
            run_agent(a, &|| false)?;
            Ok(ExitCode::SUCCESS)
        }
        #[cfg(windows)]
        AgentCommand::Service(command) => windows_service(command),
    }
}

/// The agent's loop with the options of `agent run`, until `stop` says so.
fn run_agent(a: RunArgs, stop: &dyn Fn() -> bool) -> anyhow::Result<()> {
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
    scan.budget = canhgac_scan::Budget {
        nice: (a.scan_nice != 0).then_some(a.scan_nice),
        idle_io: a.scan_nice > 0,
    };
    scan.exclude = a.scan_exclude.clone();
    let tasks =
        canhgac_agent::tasks::open_enrolled(&a.state_dir, scan, Duration::from_secs(a.task_secs.max(1)))
            .with_context(|| format!("opening the task state in {}", a.state_dir.display()))?;
    let journal_root = a.root.clone();
    let mut agent = canhgac_agent::open_enrolled(&a.state_dir, &a.follow, spool, schedule, a.root)
        .with_context(|| format!("opening the agent state in {}", a.state_dir.display()))?
        .with_tasks(tasks);
    if let Some(units) = a.journald {
        #[cfg(unix)]
        {
            agent = agent.with_journal(open_journal(&a.state_dir, units, journal_root)?);
        }
        #[cfg(not(unix))]
        {
            let _ = (units, journal_root);
            anyhow::bail!("--journald: the systemd journal exists on Linux only");
        }
    }
    #[cfg(windows)]
    if !a.no_event_channels && !a.event_channel.is_empty() {
        agent = agent.with_eventlog(open_eventlog(&a.state_dir, &a.event_channel)?);
    }
    tracing::info!(files = a.follow.len(), "agent running");
    agent.run(stop).context("agent stopped")
}

/// `agent service install|uninstall|run` (Windows).
#[cfg(windows)]
fn windows_service(command: ServiceCommand) -> anyhow::Result<ExitCode> {
    use canhgac_agent::service;
    match command {
        ServiceCommand::Install(_) => {
            // The service starts `canhgac agent service run` with the options given after `install`.
            let mut arguments: Vec<std::ffi::OsString> = vec!["agent".into(), "service".into(), "run".into()];
            arguments.extend(std::env::args_os().skip_while(|a| a != "install").skip(1));
            service::install(arguments).context("installing the service")?;
            println!(
                "service {} installed; start it with: sc start {}",
                service::SERVICE_NAME,
                service::SERVICE_NAME
            );
        }
        ServiceCommand::Uninstall => {
            service::uninstall().context("removing the service")?;
            println!("service {} removed", service::SERVICE_NAME);
        }
        ServiceCommand::Run(a) => {
            let body: service::ServiceBody = Box::new(move |stop: &dyn Fn() -> bool| {
                run_agent(a, stop).map_err(|e| canhgac_agent::Error::Command {
                    command: "canhgac agent service run".into(),
                    message: format!("{e:#}"),
                })
            });
            service::run_as_service(body).context("running as a service")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The event channel follower of an enrolled agent (bookmarks in `eventlog.json`, ids carrying the agent's id);
/// channels that cannot be subscribed are logged and left out.
#[cfg(windows)]
fn open_eventlog(
    state_dir: &std::path::Path,
    channels: &[String],
) -> anyhow::Result<canhgac_agent::eventlog::EventLogFollower> {
    let state = canhgac_agent::AgentState::load(state_dir)?;
    let follower = canhgac_agent::eventlog::EventLogFollower::open(
        state_dir.join("eventlog.json"),
        channels,
        format!("agent-{}", state.agent_id),
    )
    .context("opening the event channels")?;
    for skipped in &follower.skipped {
        tracing::warn!(channel = %skipped, "event channel not followed");
    }
    Ok(follower)
}

/// The journal follower of an enrolled agent (ids carry the agent's id, as its file lines do); the journal of a
/// machine described with `--root` is read from its `var/log/journal`.
#[cfg(unix)]
fn open_journal(
    state_dir: &std::path::Path,
    units: Vec<String>,
    root: Option<PathBuf>,
) -> anyhow::Result<canhgac_agent::journald::JournalFollower> {
    use canhgac_agent::journald::{JournalConfig, JournalFollower};
    let state = canhgac_agent::AgentState::load(state_dir)?;
    let config = JournalConfig {
        units,
        directory: root.map(|r| r.join("var/log/journal")),
        ..JournalConfig::new(format!("agent-{}", state.agent_id))
    };
    JournalFollower::open(state_dir.join("journal.json"), config).context("opening the journal")
}
