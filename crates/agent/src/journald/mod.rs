//! Following the systemd journal (Linux) with exact resume.
//!
//! Each [`JournalFollower::poll`] runs `journalctl -o json --all --no-pager [--after-cursor C] [-u UNIT…]`,
//! reads at most [`JournalConfig::max_batch`] entries from its output and stops it. The batch carries the cursor of
//! its last entry; like the file follower's checkpoint it is written to the state file (temporary file, fsync,
//! rename) only when the caller commits it, after the entries are in the spool. A restart resumes after the last
//! committed cursor, so an entry is read again at most once more and keeps its id: the first 32 hex digits of
//! SHA-256(source, cursor), which the server uses to store it once.
//!
//! A fresh state starts at the journal's end (the last entry's cursor, from `journalctl -n 1`), not at its
//! beginning: years of history are not forwarded by surprise. Parsing is in [`parse`], tested on recorded output.

pub mod parse;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::fsutil::{atomic_write, read_text};
use crate::inventory::hex;
pub use parse::JournalEntry;

/// Settings of a [`JournalFollower`].
#[derive(Debug, Clone)]
pub struct JournalConfig {
    /// Names this agent in every entry id.
    pub source: String,
    /// Only these units (`-u`); empty: the whole journal.
    pub units: Vec<String>,
    /// Most entries one poll hands out. Default 1,000.
    pub max_batch: usize,
    /// The program to run. Default `journalctl`.
    pub journalctl: PathBuf,
    /// Read the journal files in this folder (`--directory`) instead of the system's.
    pub directory: Option<PathBuf>,
}

impl JournalConfig {
    /// Defaults for `source`.
    pub fn new(source: impl Into<String>) -> Self {
        Self {
            source: source.into(),
            units: Vec::new(),
            max_batch: 1000,
            journalctl: PathBuf::from("journalctl"),
            directory: None,
        }
    }
}

/// What the state file keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct JournalState {
    version: u32,
    /// Cursor of the last entry handed out and committed.
    cursor: Option<String>,
    /// The units the cursor was taken with (a changed list keeps the cursor: cursors are journal-wide).
    #[serde(default)]
    units: Vec<String>,
}

/// Entries of one poll and the cursor they leave.
#[derive(Debug, Clone, Default)]
pub struct JournalBatch {
    /// The entries, oldest first.
    pub entries: Vec<JournalEntry>,
    /// Where the next poll starts once committed ([`JournalFollower::commit`]); `None` when nothing was read.
    pub cursor: Option<String>,
    /// More entries were waiting (poll again without pausing).
    pub more: bool,
    /// Output lines that were not journal entries, with their reason.
    pub rejected: Vec<String>,
}

/// Follows the journal from a committed cursor.
#[derive(Debug)]
pub struct JournalFollower {
    config: JournalConfig,
    state_path: PathBuf,
    state: JournalState,
}

const STATE_VERSION: u32 = 1;

impl JournalFollower {
    /// Opens the follower with its state file (absent: start at the journal's current end).
    pub fn open(state_path: impl Into<PathBuf>, config: JournalConfig) -> Result<Self> {
        let state_path = state_path.into();
        let state = match read_text(&state_path, 1 << 20)? {
            Some(text) => serde_json::from_str(&text).map_err(|e| Error::Corrupt {
                path: state_path.clone(),
                line: e.line(),
                message: e.to_string(),
            })?,
            None => JournalState {
                version: STATE_VERSION,
                cursor: None,
                units: config.units.clone(),
            },
        };
        let mut follower = Self {
            config,
            state_path,
            state,
        };
        if follower.state.cursor.is_none() {
            // Start at the end: the newest entry's cursor, committed at once so a restart does not skip more.
            let last = follower.run(&["-n", "1"], 1)?;
            if let Some(cursor) = last.cursor {
                follower.commit(&cursor)?;
            }
        }
        Ok(follower)
    }

    /// The committed cursor.
    pub fn cursor(&self) -> Option<&str> {
        self.state.cursor.as_deref()
    }

    /// The next entries after the committed cursor.
    pub fn poll(&mut self) -> Result<JournalBatch> {
        let mut args: Vec<String> = Vec::new();
        // Without a cursor (the journal was empty at start): everything from its beginning.
        if let Some(c) = &self.state.cursor {
            args.extend(["--after-cursor".to_string(), c.clone()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.run(&args, self.config.max_batch)
    }

    /// Makes a batch's cursor the resume point (state file replaced atomically).
    pub fn commit(&mut self, cursor: &str) -> Result<()> {
        let next = JournalState {
            version: STATE_VERSION,
            cursor: Some(cursor.to_string()),
            units: self.config.units.clone(),
        };
        let text = serde_json::to_vec_pretty(&next).map_err(|e| Error::Corrupt {
            path: self.state_path.clone(),
            line: 0,
            message: e.to_string(),
        })?;
        atomic_write(&self.state_path, &text)?;
        self.state = next;
        Ok(())
    }

    /// Runs journalctl with `extra` and reads at most `max` entries.
    fn run(&self, extra: &[&str], max: usize) -> Result<JournalBatch> {
        let mut cmd = Command::new(&self.config.journalctl);
        cmd.args(["-o", "json", "--all", "--no-pager", "-q"]);
        if let Some(dir) = &self.config.directory {
            cmd.arg("--directory").arg(dir);
        }
        for unit in &self.config.units {
            cmd.args(["-u", unit]);
        }
        cmd.args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let shown = command_line(&self.config.journalctl, &cmd);
        let failed = |message: String| Error::Command {
            command: shown.clone(),
            message,
        };
        let mut child = cmd.spawn().map_err(|e| failed(e.to_string()))?;
        let stdout = child.stdout.take().ok_or_else(|| failed("no output".into()))?;
        let mut batch = JournalBatch::default();
        let mut reader = BufReader::new(stdout);
        let mut line = Vec::new();
        let mut number = 0usize;
        loop {
            line.clear();
            // An entry's JSON is at most a few MiB even with --all; a longer line is refused, not kept in memory.
            let n = (&mut reader)
                .take(parse::MAX_LINE_BYTES)
                .read_until(b'\n', &mut line)
                .map_err(|e| failed(e.to_string()))?;
            if n == 0 {
                break;
            }
            number += 1;
            if batch.entries.len() >= max {
                batch.more = true;
                break;
            }
            match parse::parse_line(&line) {
                Ok(entry) => {
                    batch.cursor = Some(entry.cursor.clone());
                    batch.entries.push(entry);
                }
                Err(reason) => batch.rejected.push(format!("output line {number}: {reason}")),
            }
            if !line.ends_with(b"\n") && n as u64 == parse::MAX_LINE_BYTES {
                // Skip the rest of an over-long line.
                let mut rest = Vec::new();
                let _ = (&mut reader).take(u64::MAX).read_until(b'\n', &mut rest);
            }
        }
        if batch.more {
            let _ = child.kill();
            let _ = child.wait();
        } else {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = (&mut e).take(64 * 1024).read_to_string(&mut err);
            }
            let status = child.wait().map_err(|e| failed(e.to_string()))?;
            if !status.success() && batch.entries.is_empty() {
                return Err(failed(format!("{status}: {}", err.trim())));
            }
        }
        for e in &mut batch.entries {
            e.id = entry_id(&self.config.source, &e.cursor);
        }
        Ok(batch)
    }
}

/// The stable id of the entry at `cursor`.
pub fn entry_id(source: &str, cursor: &str) -> String {
    let mut h = Sha256::new();
    for part in [source.as_bytes(), cursor.as_bytes()] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part);
    }
    let mut id = hex(&h.finalize());
    id.truncate(32);
    id
}

/// A journal entry as an RFC 5424 syslog message: the entry's time, the agent's host name, the identifier and
/// process, the severity from `PRIORITY` (user facility), the unit in structured data, the message as the text.
pub fn as_syslog(host: &str, e: &JournalEntry) -> String {
    let time = e
        .realtime_us
        .and_then(chrono::DateTime::from_timestamp_micros)
        .unwrap_or_else(chrono::Utc::now);
    let pri = 8 + u32::from(e.priority.unwrap_or(6));
    let app = crate::run::header_token(e.identifier.as_deref().unwrap_or("-"), 48);
    let pid = e.pid.map_or_else(|| "-".to_string(), |p| p.to_string());
    let data = match &e.unit {
        Some(unit) => format!(
            "[journal@32473 unit=\"{}\"]",
            unit.replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace(']', "\\]")
        ),
        None => "-".to_string(),
    };
    format!(
        "<{pri}>1 {} {} {app} {pid} - {data} {}",
        time.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        crate::run::header_token(host, 255),
        e.message
    )
}

fn command_line(program: &Path, cmd: &Command) -> String {
    let mut s = program.display().to_string();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

#[cfg(all(test, unix))]
mod tests;
