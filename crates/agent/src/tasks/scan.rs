//! Running a scan task: the roots of the task's profile resolved by `canhgac-scan` ([`canhgac_scan::profile`]:
//! quick = common malware and autostart places, full = every local disk file system) on the machine, or on the
//! root file system the agent describes (`--root`), or the folders the agent was given for full scans; walked
//! with the agent's exclusions and CPU/I/O budget and the task's thread count (else the agent's); the files found
//! with their metadata on disk (modification time, permissions) and every item not scanned reported with its
//! reason.

use std::path::{Path, PathBuf};
use std::time::Instant;

use canhgac_model::scan::{FoundFile, ScanProblem, ScanProfile, TaskOutcome, TaskResult};
use canhgac_scan::profile::linux;
use canhgac_scan::{Budget, Engine, Roots, ScanOptions};

/// Problems sent back per task at most (all are counted).
const MAX_PROBLEMS: usize = 500;

/// Where scans look and how hard they work.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    /// The root file system the profiles are resolved on: `None` for this machine (`/`, or the drives of Windows),
    /// a folder for a machine mounted there.
    pub root: Option<PathBuf>,
    /// Folders a full scan covers instead of the profile's (empty: the profile's).
    pub full_roots: Vec<PathBuf>,
    /// Worker threads when the task does not say (at least 1).
    pub threads: usize,
    /// CPU and I/O priority of the scanning threads.
    pub budget: Budget,
    /// Files larger than this are skipped (and reported).
    pub max_size: u64,
    /// Exclusion globs.
    pub exclude: Vec<String>,
}

impl ScanConfig {
    /// Scans of the machine under `root` (or this one) by its profiles, `threads` workers, background priority.
    pub fn for_root(root: Option<&Path>, threads: usize) -> Self {
        Self {
            root: root.map(Path::to_path_buf),
            full_roots: Vec::new(),
            threads: threads.max(1),
            budget: Budget::background(),
            max_size: 100 << 20,
            exclude: Vec::new(),
        }
    }

    /// The roots a task of `profile` covers.
    pub fn roots(&self, profile: ScanProfile) -> Roots {
        if profile == ScanProfile::Full && !self.full_roots.is_empty() {
            return Roots {
                paths: self.full_roots.clone(),
                one_file_system: false,
                notes: Vec::new(),
            };
        }
        let profile = match profile {
            ScanProfile::Quick => canhgac_scan::ScanProfile::Quick,
            ScanProfile::Full => canhgac_scan::ScanProfile::Full,
        };
        match &self.root {
            None => profile.roots(),
            Some(root) => {
                let sources = linux::Sources::under(root);
                match profile {
                    canhgac_scan::ScanProfile::Quick => linux::quick_roots(&sources),
                    canhgac_scan::ScanProfile::Full => linux::full_roots(&sources),
                }
            }
        }
    }
}

/// Modification time (ms) and permission bits of the file holding `path` (the archive for `a.zip!member`).
fn file_meta(path: &str) -> (Option<i64>, Option<u32>) {
    let on_disk = path.split('!').next().unwrap_or(path);
    let Ok(meta) = std::fs::metadata(on_disk) else {
        return (None, None);
    };
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .and_then(|d| i64::try_from(d.as_millis()).ok());
    #[cfg(unix)]
    let mode = Some(std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o7777);
    #[cfg(not(unix))]
    let mode = None;
    (mtime, mode)
}

/// Scans with `engine` and fills `result` (counts, files found, problems, duration).
pub fn run(
    engine: &Engine,
    profile: ScanProfile,
    threads: i64,
    config: &ScanConfig,
    result: &mut TaskResult,
) {
    let started = Instant::now();
    let roots = config.roots(profile);
    let opts = ScanOptions {
        threads: usize::try_from(threads)
            .ok()
            .filter(|t| *t > 0)
            .unwrap_or(config.threads),
        max_size: config.max_size,
        exclude: config.exclude.clone(),
        budget: config.budget,
        one_file_system: roots.one_file_system,
        ..Default::default()
    };
    let mut notes = roots.notes.clone();
    let mut scanned = engine.scan_paths(&roots.paths, &opts);
    if let Err(canhgac_scan::Error::Budget(e)) = &scanned {
        // The machine must still be scanned: a priority the system refuses is reported, not a reason to skip it.
        notes.push(format!("priority not lowered ({e}): scanned at normal priority"));
        let normal = ScanOptions {
            budget: canhgac_scan::Budget::default(),
            ..opts
        };
        scanned = engine.scan_paths(&roots.paths, &normal);
    }
    match scanned {
        Ok(report) => {
            result.outcome = TaskOutcome::Done;
            result.scanned = report.stats.scanned;
            result.bytes = report.stats.bytes;
            result.skipped = report.stats.skipped;
            for r in report.results.iter().filter(|r| r.is_detection()) {
                let (mtime, mode) = file_meta(&r.path);
                result.found.push(FoundFile {
                    path: r.path.clone(),
                    sha256: r.sha256.clone(),
                    size: r.size,
                    mtime,
                    mode,
                    rules: r
                        .rules
                        .iter()
                        .map(|m| format!("{}:{}", m.namespace, m.rule))
                        .collect(),
                    hash_lists: r.hashes.iter().map(|h| h.list.clone()).collect(),
                });
            }
            result.problems = report
                .skipped
                .iter()
                .take(MAX_PROBLEMS)
                .map(|s| ScanProblem {
                    path: s.path.clone(),
                    reason: s.reason.to_string(),
                })
                .collect();
            if roots.paths.is_empty() {
                notes.push("no folder of this profile exists on the machine".into());
            }
            result.message = notes.join("; ");
        }
        Err(e) => {
            result.outcome = TaskOutcome::Failed;
            result.message = format!("scan failed: {e}");
        }
    }
    result.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
}
