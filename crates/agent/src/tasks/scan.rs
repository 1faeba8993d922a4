//! Running a scan task: the profile's roots walked by `canhgac-scan`, the files found with their metadata on disk
//! (modification time, permissions) and every item not scanned reported with its reason.

use std::path::{Path, PathBuf};
use std::time::Instant;

use canhgac_model::scan::{FoundFile, ScanProblem, ScanProfile, TaskOutcome, TaskResult};
use canhgac_scan::{Engine, ScanOptions};

/// Problems sent back per task at most (all are counted).
const MAX_PROBLEMS: usize = 500;

/// Where scans look and how hard they work.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    /// Roots of a full scan (`/` by default).
    pub full_roots: Vec<PathBuf>,
    /// Roots of a quick scan: common malware locations that exist on this machine.
    pub quick_roots: Vec<PathBuf>,
    /// Worker threads when the task does not say (at least 1).
    pub threads: usize,
    /// Files larger than this are skipped (and reported).
    pub max_size: u64,
    /// Exclusion globs.
    pub exclude: Vec<String>,
}

/// Common malware locations under `root` (`/` for this machine): temporary folders, start-up and scheduled-job
/// folders, users' homes, web roots. Only those that exist.
pub fn quick_locations(root: &Path) -> Vec<PathBuf> {
    let rel: &[&str] = if cfg!(windows) {
        &[
            "Windows/Temp",
            "Users/Public",
            "ProgramData/Microsoft/Windows/Start Menu/Programs/StartUp",
            "Users",
        ]
    } else {
        &[
            "tmp",
            "var/tmp",
            "dev/shm",
            "root",
            "home",
            "etc/cron.d",
            "etc/init.d",
            "etc/systemd/system",
            "usr/local/bin",
            "var/www",
        ]
    };
    rel.iter().map(|r| root.join(r)).filter(|p| p.exists()).collect()
}

impl ScanConfig {
    /// Full scans of `root` (or `/`), quick scans of its common locations, `threads` workers.
    pub fn for_root(root: Option<&Path>, threads: usize) -> Self {
        let root = root.map_or_else(|| PathBuf::from("/"), Path::to_path_buf);
        Self {
            quick_roots: quick_locations(&root),
            full_roots: vec![root],
            threads: threads.max(1),
            max_size: 100 << 20,
            exclude: Vec::new(),
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
    let roots = match profile {
        ScanProfile::Full => &config.full_roots,
        ScanProfile::Quick => &config.quick_roots,
    };
    let opts = ScanOptions {
        threads: usize::try_from(threads)
            .ok()
            .filter(|t| *t > 0)
            .unwrap_or(config.threads),
        max_size: config.max_size,
        exclude: config.exclude.clone(),
        ..Default::default()
    };
    match engine.scan_paths(roots, &opts) {
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
            if roots.is_empty() {
                result.message = "no folder of this profile exists on the machine".into();
            }
        }
        Err(e) => {
            result.outcome = TaskOutcome::Failed;
            result.message = format!("scan failed: {e}");
        }
    }
    result.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
}
