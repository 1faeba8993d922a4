//! Tasks from the server: the agent fetches its own waiting tasks with its credential, runs one at a time on a
//! worker thread (so heartbeats and log forwarding go on), and posts each result once. Results are first written
//! to a disk spool (`results/` in the state folder) and removed from it only after the server recorded them, so a
//! result survives an outage or a restart; new tasks are fetched only once every result has been delivered.
//!
//! A scan task names the rule bundle to use by its SHA-256 (see [`bundle`]); quarantine, restore and delete tasks
//! act on a detection's file with the quarantine store `quarantine/` in the state folder (see [`quarantine`]).

pub mod bundle;
pub mod quarantine;
pub mod scan;

use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use canhgac_model::scan::{AgentTask, TaskKind, TaskOutcome, TaskResult};

use crate::client::HttpClient;
use crate::{Error, Result, Spool, SpoolConfig};

pub use bundle::BundleCache;
pub use scan::ScanConfig;

/// The calls the task runner makes: a JSON body POSTed with the credential, the answer's bytes back.
pub trait TaskTransport: Send + Sync {
    fn call(&self, path: &str, credential: &str, body: Vec<u8>) -> Result<Vec<u8>>;
}

impl TaskTransport for HttpClient {
    fn call(&self, path: &str, credential: &str, body: Vec<u8>) -> Result<Vec<u8>> {
        self.post_json(path, credential, body)
    }
}

/// Counters of the task runner.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct TaskStats {
    pub tasks_run: u64,
    pub results_sent: u64,
    pub results_dropped: u64,
}

struct Running {
    task_id: i64,
    handle: JoinHandle<(BundleCache, TaskResult)>,
}

/// Fetches, runs and reports the agent's tasks; driven by [`Tasks::turn`].
pub struct Tasks {
    transport: Arc<dyn TaskTransport>,
    credential: Arc<str>,
    config: Arc<ScanConfig>,
    bundles: Option<BundleCache>,
    bundle_dir: std::path::PathBuf,
    quarantine_dir: Arc<Path>,
    results: Spool,
    queue: VecDeque<AgentTask>,
    running: Option<Running>,
    poll: Duration,
    next_poll: Instant,
    next_send: Instant,
    backoff: Duration,
    pub stats: TaskStats,
}

fn result_for(task: &AgentTask) -> TaskResult {
    TaskResult {
        task_id: task.id,
        outcome: TaskOutcome::Failed,
        message: String::new(),
        bundle_digest: None,
        bundle_error: None,
        scanned: 0,
        bytes: 0,
        skipped: 0,
        duration_ms: 0,
        found: Vec::new(),
        problems: Vec::new(),
        action: serde_json::Value::Null,
    }
}

/// Runs one task (on the worker thread).
fn execute(
    task: &AgentTask,
    cache: &mut BundleCache,
    transport: &dyn TaskTransport,
    credential: &str,
    config: &ScanConfig,
    quarantine_dir: &Path,
) -> TaskResult {
    let mut result = result_for(task);
    match task.kind {
        TaskKind::Scan => {
            let fetch = |digest: &str| {
                let body = serde_json::json!({ "digest": digest }).to_string().into_bytes();
                transport.call("/api/v1/agent/scan/bundle", credential, body)
            };
            let chosen = cache.choose(task.bundle_digest.as_deref(), fetch);
            result.bundle_digest = chosen.digest;
            result.bundle_error = chosen.error;
            match chosen.engine {
                Some(engine) => scan::run(&engine, task.profile, task.threads, config, &mut result),
                None => {
                    result.message = format!(
                        "no usable rule bundle: {}",
                        result.bundle_error.clone().unwrap_or_default()
                    );
                }
            }
        }
        TaskKind::Quarantine | TaskKind::Restore | TaskKind::Delete => {
            quarantine::run(task, quarantine_dir, &mut result);
        }
    }
    result
}

impl Tasks {
    /// The runner for the agent of `state_dir` (bundle cache and result spool there).
    pub fn open(
        state_dir: &Path,
        credential: &str,
        transport: Arc<dyn TaskTransport>,
        config: ScanConfig,
        poll: Duration,
    ) -> Result<Self> {
        let results = Spool::open(state_dir.join("results"), SpoolConfig::default())?;
        let now = Instant::now();
        Ok(Self {
            transport,
            credential: credential.into(),
            config: Arc::new(config),
            bundles: Some(BundleCache::open(state_dir.join("bundle"))),
            bundle_dir: state_dir.join("bundle"),
            quarantine_dir: state_dir.join("quarantine").into(),
            results,
            queue: VecDeque::new(),
            running: None,
            poll,
            next_poll: now,
            next_send: now,
            backoff: Duration::ZERO,
            stats: TaskStats::default(),
        })
    }

    /// Whether a task is running.
    pub fn busy(&self) -> bool {
        self.running.is_some()
    }

    fn collect(&mut self) -> Result<()> {
        if !self.running.as_ref().is_some_and(|r| r.handle.is_finished()) {
            return Ok(());
        }
        let Some(r) = self.running.take() else {
            return Ok(());
        };
        let (cache, result) = match r.handle.join() {
            Ok(v) => v,
            Err(_) => {
                // The worker panicked: report the task failed, start over with the kept bundle.
                let mut result = result_for(&AgentTask {
                    id: r.task_id,
                    kind: TaskKind::Scan,
                    profile: canhgac_model::scan::ScanProfile::Quick,
                    threads: 0,
                    bundle_digest: None,
                    path: None,
                    sha256: None,
                });
                result.message = "the task stopped unexpectedly".into();
                (BundleCache::open(self.bundle_dir.clone()), result)
            }
        };
        self.bundles = Some(cache);
        let bytes = serde_json::to_vec(&result).map_err(|e| Error::Corrupt {
            path: "results".into(),
            line: 0,
            message: e.to_string(),
        })?;
        self.results.push(&bytes)?;
        self.stats.tasks_run += 1;
        Ok(())
    }

    fn deliver(&mut self, now: Instant) -> Result<()> {
        if now < self.next_send {
            return Ok(());
        }
        while let Some(record) = self.results.peek()? {
            let task_id = serde_json::from_slice::<serde_json::Value>(&record.bytes)
                .ok()
                .and_then(|v| v["task_id"].as_i64());
            let Some(task_id) = task_id else {
                tracing::warn!("an unreadable result in the spool was dropped");
                self.results.ack()?;
                self.stats.results_dropped += 1;
                continue;
            };
            let path = format!("/api/v1/agent/scan/tasks/{task_id}/result");
            match self.transport.call(&path, &self.credential, record.bytes.clone()) {
                Ok(_) => {
                    self.results.ack()?;
                    self.stats.results_sent += 1;
                    self.backoff = Duration::ZERO;
                }
                Err(Error::Refused { status, message, .. })
                    if (400..500).contains(&status) && status != 401 && status != 429 =>
                {
                    tracing::warn!(task = task_id, status, %message, "the server refused a task result; dropped");
                    self.results.ack()?;
                    self.stats.results_dropped += 1;
                }
                Err(e) => {
                    self.backoff = (self.backoff * 2).clamp(Duration::from_secs(1), Duration::from_secs(60));
                    self.next_send = now + self.backoff;
                    tracing::warn!(error = %e, retry_in = ?self.backoff, "sending a task result failed; kept in the spool");
                    break;
                }
            }
        }
        Ok(())
    }

    fn fetch(&mut self, now: Instant) {
        if now < self.next_poll || self.running.is_some() || !self.queue.is_empty() {
            return;
        }
        self.next_poll = now + self.poll;
        match self.results.peek() {
            Ok(None) => {}
            // Results still waiting: their tasks would come back as not done.
            Ok(Some(_)) | Err(_) => return,
        }
        match self
            .transport
            .call("/api/v1/agent/scan/tasks", &self.credential, b"{}".to_vec())
            .and_then(|b| {
                serde_json::from_slice::<Vec<AgentTask>>(&b).map_err(|e| Error::Corrupt {
                    path: "/api/v1/agent/scan/tasks".into(),
                    line: e.line(),
                    message: e.to_string(),
                })
            }) {
            Ok(tasks) => self.queue.extend(tasks),
            Err(e) => tracing::warn!(error = %e, "fetching tasks failed"),
        }
    }

    fn start_next(&mut self) {
        if self.running.is_some() {
            return;
        }
        let Some(task) = self.queue.pop_front() else {
            return;
        };
        let Some(mut cache) = self.bundles.take() else {
            self.queue.push_front(task);
            return;
        };
        let path = format!("/api/v1/agent/scan/tasks/{}/start", task.id);
        if let Err(e) = self.transport.call(&path, &self.credential, b"{}".to_vec()) {
            tracing::warn!(task = task.id, error = %e, "could not say the task started; running it anyway");
        }
        let transport = self.transport.clone();
        let credential = self.credential.clone();
        let config = self.config.clone();
        let quarantine_dir = self.quarantine_dir.clone();
        let task_id = task.id;
        let handle = std::thread::spawn(move || {
            let result = execute(
                &task,
                &mut cache,
                transport.as_ref(),
                &credential,
                &config,
                &quarantine_dir,
            );
            (cache, result)
        });
        self.running = Some(Running { task_id, handle });
    }

    /// One turn: collect a finished task's result into the spool, deliver spooled results, fetch new tasks when
    /// everything is delivered, start the next one.
    pub fn turn(&mut self, now: Instant) -> Result<()> {
        self.collect()?;
        self.deliver(now)?;
        self.fetch(now);
        self.start_next();
        Ok(())
    }
}

/// The runner for the enrolled agent of `state_dir`, over its server (trusted as enrollment chose).
pub fn open_enrolled(state_dir: &Path, config: ScanConfig, poll: Duration) -> Result<Tasks> {
    let state = crate::AgentState::load(state_dir)?;
    let client = state.client()?;
    Tasks::open(state_dir, &state.credential, Arc::new(client), config, poll)
}
