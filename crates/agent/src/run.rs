//! The agent's service loop and its state folder.
//!
//! `state.json` (mode 0600) holds the server address, the CA file or pinned certificate and the credential from
//! enrollment; `follow.json`
//! the followed files' checkpoints; `spool/` the batches not yet acknowledged. Each turn of [`Agent::turn`]:
//! inventory (at start, when its fingerprint changes, and daily), heartbeat, new lines of the followed files pushed
//! to the spool (durable) before their checkpoint is committed (likewise journal entries before their cursor, and
//! on Windows event channel events before their bookmarks), then spooled batches sent oldest first, each
//! acknowledged only after the server stored it. Every line carries its stable id as `ext_id`, so a batch sent again
//! after a crash or an outage is stored once. While the server is unreachable the spool grows (bounded) and sending
//! is retried with a growing pause.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::client::{HttpClient, Pin, Transport, Trust};
use crate::{Error, FileFollower, FollowConfig, Inventory, Line, Result, Spool, SpoolConfig};

/// What enrollment leaves in the state folder.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgentState {
    pub server: String,
    pub ca_file: Option<PathBuf>,
    /// The pinned server certificate (`sha256:HEX`), instead of `ca_file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
    pub agent_id: i64,
    pub unit_id: i64,
    pub hostname: String,
    pub credential: String,
}

const STATE_FILE: &str = "state.json";

impl AgentState {
    /// Reads `state.json` from `dir`.
    pub fn load(dir: &Path) -> Result<Self> {
        let path = dir.join(STATE_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io("reading", &path, e))?;
        serde_json::from_str(&text).map_err(|e| Error::Corrupt {
            path,
            line: e.line(),
            message: e.to_string(),
        })
    }

    /// A client for the enrolled server, trusting its certificate as enrollment chose (pin, CA file or the
    /// system's authorities).
    pub fn client(&self) -> Result<HttpClient> {
        let pin = self.pin.as_deref().map(Pin::parse).transpose()?;
        let trust = match (pin, self.ca_file.as_deref()) {
            (Some(pin), _) => Trust::Pin(pin),
            (None, Some(path)) => Trust::CaFile(path),
            (None, None) => Trust::System,
        };
        HttpClient::with_trust(&self.server, trust)
    }

    /// Writes `state.json` into `dir` (created if needed), readable by the owner only, replaced atomically.
    pub fn save(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
        let path = dir.join(STATE_FILE);
        let tmp = dir.join("state.json.tmp");
        let text = serde_json::to_vec_pretty(self).map_err(|e| Error::Corrupt {
            path: path.clone(),
            line: 0,
            message: e.to_string(),
        })?;
        {
            use std::io::Write as _;
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            let mut f = opts.open(&tmp).map_err(|e| Error::io("writing", &tmp, e))?;
            f.write_all(&text).map_err(|e| Error::io("writing", &tmp, e))?;
            f.sync_all().map_err(|e| Error::io("syncing", &tmp, e))?;
        }
        std::fs::rename(&tmp, &path).map_err(|e| Error::io("renaming", &tmp, e))
    }
}

/// The inventory of the running system, or of the file system laid out under `root` (a host's root mounted into a
/// container; interface addresses and disk sizes are then not taken from the running system).
pub fn inventory_of(root: Option<&Path>) -> Result<Inventory> {
    match root {
        None => crate::collect_inventory(),
        Some(r) => crate::collect_from(&crate::Sources::fixture(r)),
    }
}

/// Enrolls with `server` using a one-time `token` and writes the state folder. Returns the state.
pub fn enroll(
    server: &str,
    token: &str,
    ca_file: Option<&Path>,
    state_dir: &Path,
    root: Option<&Path>,
) -> Result<AgentState> {
    enroll_with(
        server,
        token,
        ca_file.map_or(Trust::System, Trust::CaFile),
        state_dir,
        root,
    )
}

/// Enrolls like [`enroll`], trusting the server's certificate as `trust` says (a CA file or a pin is kept in the
/// state for every later connection).
pub fn enroll_with(
    server: &str,
    token: &str,
    trust: Trust<'_>,
    state_dir: &Path,
    root: Option<&Path>,
) -> Result<AgentState> {
    let client = HttpClient::with_trust(server, trust)?;
    let hostname = inventory_of(root)?.hostname;
    let e = client.enroll(token, &hostname)?;
    let (ca_file, pin) = match trust {
        Trust::System => (None, None),
        Trust::CaFile(path) => (Some(path.to_path_buf()), None),
        Trust::Pin(pin) => (None, Some(pin.to_string())),
    };
    let state = AgentState {
        server: client.base().to_string(),
        ca_file,
        pin,
        agent_id: e.agent_id,
        unit_id: e.unit_id,
        hostname,
        credential: e.credential,
    };
    state.save(state_dir)?;
    Ok(state)
}

/// Timing of the loop.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Pause between turns when nothing is waiting.
    pub poll: Duration,
    pub heartbeat: Duration,
    /// How often the inventory is collected to see whether it changed.
    pub inventory_check: Duration,
    /// The inventory is sent at least this often even unchanged.
    pub inventory_resend: Duration,
    /// Longest pause between attempts while the server is unreachable.
    pub max_backoff: Duration,
}

impl Default for Schedule {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(1),
            heartbeat: Duration::from_secs(60),
            inventory_check: Duration::from_secs(15 * 60),
            inventory_resend: Duration::from_secs(24 * 3600),
            max_backoff: Duration::from_secs(60),
        }
    }
}

/// One line as sent to the intake: the envelope the server recognises (`ext_id` first).
#[derive(Serialize)]
struct Envelope<'a> {
    ext_id: &'a str,
    event: String,
}

/// A structured event (a Windows event's `evtx` JSON object) as sent to the intake.
#[cfg(windows)]
#[derive(Serialize)]
struct JsonEnvelope<'a> {
    ext_id: &'a str,
    event: &'a serde_json::Value,
}

/// A printable token for a syslog header field: no spaces or control characters, at most `max` characters, `-`
/// when nothing is left.
pub(crate) fn header_token(text: &str, max: usize) -> String {
    let t: String = text.chars().filter(|c| c.is_ascii_graphic()).take(max).collect();
    if t.is_empty() {
        "-".into()
    } else {
        t
    }
}

/// A followed file's line as an RFC 5424 syslog message, whatever the file's own format: the host is the agent's,
/// the application the file's name, the time when it was read, the file's path in structured data and the line
/// itself as the message, so the server's parser always finds a host and keeps the text.
fn as_syslog(host: &str, line: &Line, now: chrono::DateTime<chrono::Utc>) -> String {
    let app = Path::new(&line.path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let path = line
        .path
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace(']', "\\]");
    format!(
        "<13>1 {} {} {} - - [file@32473 path=\"{path}\"] {}",
        now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        header_token(host, 255),
        header_token(&app, 48),
        line.text
    )
}

/// Counters of a running agent.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunStats {
    pub lines_spooled: u64,
    pub batches_sent: u64,
    pub send_failures: u64,
    pub inventories_sent: u64,
}

/// A running agent: state, transport, follower, spool and schedule.
pub struct Agent<T: Transport> {
    state: AgentState,
    transport: T,
    follower: FileFollower,
    spool: Spool,
    schedule: Schedule,
    collect: Box<dyn Fn() -> Result<Inventory>>,
    sent_fingerprint: Option<String>,
    #[cfg(unix)]
    journal: Option<crate::journald::JournalFollower>,
    #[cfg(windows)]
    eventlog: Option<crate::eventlog::EventLogFollower>,
    next_inventory: Instant,
    inventory_sent_at: Option<Instant>,
    next_heartbeat: Instant,
    next_send: Instant,
    backoff: Duration,
    tasks: Option<crate::tasks::Tasks>,
    pub stats: RunStats,
}

impl<T: Transport> Agent<T> {
    /// Opens the follower and spool in `state_dir` for `paths`.
    pub fn open(
        state: AgentState,
        transport: T,
        state_dir: &Path,
        paths: &[PathBuf],
        spool: SpoolConfig,
        schedule: Schedule,
    ) -> Result<Self> {
        let follower = FileFollower::open(
            state_dir.join("follow.json"),
            paths,
            FollowConfig::new(format!("agent-{}", state.agent_id)),
        )?;
        let spool = Spool::open(state_dir.join("spool"), spool)?;
        let now = Instant::now();
        Ok(Self {
            state,
            transport,
            follower,
            spool,
            schedule,
            collect: Box::new(crate::collect_inventory),
            sent_fingerprint: None,
            #[cfg(unix)]
            journal: None,
            #[cfg(windows)]
            eventlog: None,
            next_inventory: now,
            inventory_sent_at: None,
            next_heartbeat: now,
            next_send: now,
            backoff: Duration::ZERO,
            tasks: None,
            stats: RunStats::default(),
        })
    }

    /// Replaces the inventory source (a mounted root, tests).
    pub fn with_inventory(mut self, collect: impl Fn() -> Result<Inventory> + 'static) -> Self {
        self.collect = Box::new(collect);
        self
    }

    /// Also forwards the systemd journal through `journal`.
    #[cfg(unix)]
    pub fn with_journal(mut self, journal: crate::journald::JournalFollower) -> Self {
        self.journal = Some(journal);
        self
    }

    /// Also forwards Windows event channels through `eventlog`.
    #[cfg(windows)]
    pub fn with_eventlog(mut self, eventlog: crate::eventlog::EventLogFollower) -> Self {
        self.eventlog = Some(eventlog);
        self
    }

    /// Runs the server's tasks (scans) too.
    pub fn with_tasks(mut self, tasks: crate::tasks::Tasks) -> Self {
        self.tasks = Some(tasks);
        self
    }

    /// The spool, for its counters.
    pub fn spool(&self) -> &Spool {
        &self.spool
    }

    fn inventory_due(&mut self, now: Instant) {
        if now < self.next_inventory {
            return;
        }
        self.next_inventory = now + self.schedule.inventory_check;
        let inv = match (self.collect)() {
            Ok(i) => i,
            Err(e) => {
                tracing::warn!(error = %e, "collecting the inventory failed");
                return;
            }
        };
        let fp = inv.fingerprint();
        let stale = self
            .inventory_sent_at
            .is_none_or(|t| now.duration_since(t) >= self.schedule.inventory_resend);
        if self.sent_fingerprint.as_deref() == Some(fp.as_str()) && !stale {
            return;
        }
        match self.transport.inventory(&self.state.credential, &inv) {
            Ok(()) => {
                self.sent_fingerprint = Some(fp);
                self.inventory_sent_at = Some(now);
                self.stats.inventories_sent += 1;
            }
            Err(e) => {
                tracing::warn!(error = %e, "sending the inventory failed; retrying later");
                self.next_inventory = now + self.schedule.max_backoff;
            }
        }
    }

    /// New lines of the followed files into the spool; their checkpoint is committed only once they are on disk.
    /// Returns whether more is waiting.
    fn follow(&mut self) -> Result<bool> {
        let batch = self.follower.poll()?;
        if batch.lines.is_empty() {
            return Ok(false);
        }
        let now = chrono::Utc::now();
        let envelopes: Vec<Envelope<'_>> = batch
            .lines
            .iter()
            .map(|l: &Line| Envelope {
                ext_id: &l.id,
                event: as_syslog(&self.state.hostname, l, now),
            })
            .collect();
        self.spool.push_events(&envelopes)?;
        self.follower.commit(&batch.checkpoint)?;
        self.stats.lines_spooled += batch.lines.len() as u64;
        Ok(batch.more)
    }

    /// New journal entries into the spool; the cursor is committed only once they are on disk. A failing
    /// `journalctl` is logged and tried again at the next turn. Returns whether more is waiting.
    #[cfg(unix)]
    fn follow_journal(&mut self) -> Result<bool> {
        let Some(journal) = self.journal.as_mut() else {
            return Ok(false);
        };
        let batch = match journal.poll() {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "reading the journal failed; retrying");
                return Ok(false);
            }
        };
        for r in &batch.rejected {
            tracing::warn!(problem = %r, "journal output line skipped");
        }
        let Some(cursor) = batch.cursor.as_deref() else {
            return Ok(false);
        };
        let envelopes: Vec<Envelope<'_>> = batch
            .entries
            .iter()
            .map(|e| Envelope {
                ext_id: &e.id,
                event: crate::journald::as_syslog(&self.state.hostname, e),
            })
            .collect();
        self.spool.push_events(&envelopes)?;
        journal.commit(cursor)?;
        self.stats.lines_spooled += batch.entries.len() as u64;
        Ok(batch.more)
    }

    /// New events of the Windows channels into the spool, each as its `evtx` JSON object under its stable id; the
    /// bookmarks are committed only once the events are on disk, so a restart neither loses nor repeats one. A
    /// failing read is logged and tried again at the next turn. Returns whether more is waiting.
    #[cfg(windows)]
    fn follow_eventlog(&mut self) -> Result<bool> {
        const MAX_EVENTS: usize = 1000;
        let Some(eventlog) = self.eventlog.as_mut() else {
            return Ok(false);
        };
        let batch = match eventlog.poll(MAX_EVENTS) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "reading the event channels failed; retrying");
                return Ok(false);
            }
        };
        for r in &batch.rejected {
            tracing::warn!(problem = %r, "Windows event skipped");
        }
        if batch.events.is_empty() && batch.rejected.is_empty() {
            return Ok(false);
        }
        let envelopes: Vec<JsonEnvelope<'_>> = batch
            .events
            .iter()
            .map(|e| JsonEnvelope {
                ext_id: &e.id,
                event: &e.json,
            })
            .collect();
        if !envelopes.is_empty() {
            self.spool.push_events(&envelopes)?;
        }
        eventlog.commit(&batch.bookmarks)?;
        self.stats.lines_spooled += batch.events.len() as u64;
        Ok(batch.events.len() >= MAX_EVENTS)
    }

    /// Sends spooled batches oldest first until the spool is empty or the server fails.
    fn deliver(&mut self, now: Instant) -> Result<()> {
        if now < self.next_send {
            return Ok(());
        }
        while let Some(record) = self.spool.peek()? {
            match self.transport.events(&self.state.credential, &record.bytes) {
                Ok(()) => {
                    self.spool.ack()?;
                    self.stats.batches_sent += 1;
                    self.backoff = Duration::ZERO;
                }
                Err(e) => {
                    self.stats.send_failures += 1;
                    self.backoff = (self.backoff * 2)
                        .max(Duration::from_secs(1))
                        .min(self.schedule.max_backoff);
                    self.next_send = now + self.backoff;
                    tracing::warn!(error = %e, retry_in = ?self.backoff, "sending events failed; kept in the spool");
                    break;
                }
            }
        }
        Ok(())
    }

    /// One turn of the loop. Returns whether more work is waiting (poll again without pausing).
    pub fn turn(&mut self) -> Result<bool> {
        let now = Instant::now();
        self.inventory_due(now);
        if now >= self.next_heartbeat {
            self.next_heartbeat = now + self.schedule.heartbeat;
            if let Err(e) = self.transport.heartbeat(&self.state.credential) {
                tracing::warn!(error = %e, "heartbeat failed");
            }
        }
        let more = self.follow()?;
        #[cfg(unix)]
        let more = self.follow_journal()? || more;
        #[cfg(windows)]
        let more = self.follow_eventlog()? || more;
        self.deliver(now)?;
        if let Some(t) = self.tasks.as_mut() {
            if let Err(e) = t.turn(now) {
                tracing::warn!(error = %e, "running tasks failed");
            }
        }
        Ok(more)
    }

    /// Runs until `stop` says so.
    pub fn run(&mut self, stop: &dyn Fn() -> bool) -> Result<()> {
        while !stop() {
            if !self.turn()? {
                std::thread::sleep(self.schedule.poll);
            }
        }
        Ok(())
    }
}

/// Opens the agent of `state_dir` against its enrolled server; the inventory is read under `root` when given.
pub fn open_enrolled(
    state_dir: &Path,
    paths: &[PathBuf],
    spool: SpoolConfig,
    schedule: Schedule,
    root: Option<PathBuf>,
) -> Result<Agent<HttpClient>> {
    let state = AgentState::load(state_dir)?;
    let client = state.client()?;
    let agent = Agent::open(state, client, state_dir, paths, spool, schedule)?;
    Ok(agent.with_inventory(move || inventory_of(root.as_deref())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_become_syslog_with_the_path_escaped() {
        let line = Line {
            id: "x".into(),
            path: "/var/log/a \"b\"].log".into(),
            inode: 1,
            generation: 0,
            offset: 0,
            length: 5,
            text: "hello world".into(),
            cut: false,
            unterminated: false,
        };
        let now = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        assert_eq!(
            as_syslog("ws 1", &line, now),
            "<13>1 2023-11-14T22:13:20.000Z ws1 a\"b\"].log - - [file@32473 path=\"/var/log/a \\\"b\\\"\\].log\"] hello world"
        );
    }
}
