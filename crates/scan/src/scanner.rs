//! The scan engine: hashes and YARA rules over files, in parallel, with limits.

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use md5::Md5;
use rayon::iter::{ParallelBridge, ParallelIterator};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::archive;
use crate::budget::Budget;
use crate::error::{Error, Result};
use crate::hashes::{HashKind, HashList};
use crate::report::{FileResult, HashHit, RuleMatch, ScanReport, ScanStats, SkipReason, Skipped};
use crate::rules::RuleSet;
use crate::walk::{Entry, Exclusions, Walk};

/// Limits on opening zip archives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveLimits {
    /// Open zip archives at all.
    pub enabled: bool,
    /// Archive nesting opened: 1 opens `a.zip` members, 2 also `a.zip!b.zip` members.
    pub max_depth: usize,
    /// Members scanned per archive; the rest are reported as one skipped entry.
    pub max_members: usize,
    /// Uncompressed bytes read from one archive, all members together.
    pub max_total: u64,
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        Self {
            enabled: true,
            max_depth: 2,
            max_members: 10_000,
            max_total: 1 << 30,
        }
    }
}

/// How to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanOptions {
    /// Worker threads; 0 lets rayon choose (one per core).
    pub threads: usize,
    /// Files and archive members larger than this are skipped (and reported).
    pub max_size: u64,
    /// Exclusion globs, see [`Exclusions`].
    pub exclude: Vec<String>,
    /// Also return results for files nothing matched.
    pub keep_clean: bool,
    /// Zip handling.
    pub archives: ArchiveLimits,
    /// YARA time budget per file.
    pub timeout: Duration,
    /// CPU and I/O priority of the scanning threads (unchanged by default).
    pub budget: Budget,
    /// Do not descend into other file systems mounted below a root (full scans: each mount is its own root).
    pub one_file_system: bool,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            threads: 0,
            max_size: 100 << 20,
            exclude: Vec::new(),
            keep_clean: false,
            archives: ArchiveLimits::default(),
            timeout: Duration::from_secs(60),
            budget: Budget::default(),
            one_file_system: false,
        }
    }
}

/// Rules and hash lists, ready to scan; share one engine between scans.
#[derive(Debug, Default)]
pub struct Engine {
    rules: Option<RuleSet>,
    hashes: HashList,
}

/// What one worker found; merged at the end.
#[derive(Default)]
pub(crate) struct Collector {
    pub(crate) results: Vec<FileResult>,
    pub(crate) skipped: Vec<Skipped>,
    pub(crate) stats: ScanStats,
}

impl Collector {
    fn merge(mut self, other: Self) -> Self {
        self.results.extend(other.results);
        self.skipped.extend(other.skipped);
        let (a, b) = (&mut self.stats, other.stats);
        a.scanned += b.scanned;
        a.bytes += b.bytes;
        a.detections += b.detections;
        a.skipped += b.skipped;
        a.excluded += b.excluded;
        a.not_regular += b.not_regular;
        a.archive_members += b.archive_members;
        self
    }

    pub(crate) fn skip(&mut self, path: String, size: Option<u64>, reason: SkipReason) {
        self.stats.skipped += 1;
        self.skipped.push(Skipped { path, size, reason });
    }
}

impl Engine {
    /// An engine with optional YARA rules and a (possibly empty) hash list.
    pub fn new(rules: Option<RuleSet>, hashes: HashList) -> Self {
        Self { rules, hashes }
    }

    /// The rule set, if any.
    pub fn rules(&self) -> Option<&RuleSet> {
        self.rules.as_ref()
    }

    /// The hash list.
    pub fn hashes(&self) -> &HashList {
        &self.hashes
    }

    /// Scans files and folders (recursively). Every file ends up either scanned, skipped with a reason,
    /// excluded, or counted as not regular; see [`ScanReport`].
    pub fn scan_paths(&self, roots: &[PathBuf], opts: &ScanOptions) -> Result<ScanReport> {
        let exclusions = Exclusions::new(&opts.exclude)?;
        let mut builder = rayon::ThreadPoolBuilder::new();
        if opts.threads > 0 {
            builder = builder.num_threads(opts.threads);
        }
        let pool = builder.build().map_err(|e| Error::ThreadPool {
            threads: opts.threads,
            reason: e.to_string(),
        })?;
        if !opts.budget.is_unlimited() {
            // Every worker lowers its own priority before the first file is read.
            for applied in pool.broadcast(|_| opts.budget.apply_to_current_thread()) {
                applied.map_err(Error::Budget)?;
            }
        }
        let collected = pool.install(|| {
            Walk::new(roots, &exclusions, opts.one_file_system)
                .par_bridge()
                .map_init(
                    || self.new_yara(opts),
                    |yara, entry| {
                        let mut out = Collector::default();
                        self.handle_entry(yara, entry, opts, &mut out);
                        out
                    },
                )
                .reduce(Collector::default, Collector::merge)
        });
        let mut report = ScanReport {
            results: collected.results,
            skipped: collected.skipped,
            stats: collected.stats,
        };
        report.results.sort_by(|a, b| a.path.cmp(&b.path));
        report.skipped.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(report)
    }

    /// Scans one in-memory content named `path` (archives opened as in a file scan).
    pub fn scan_bytes(&self, path: &str, data: &[u8], opts: &ScanOptions) -> ScanReport {
        let mut yara = self.new_yara(opts);
        let mut out = Collector::default();
        self.scan_content(&mut yara, path, data, 0, opts, &mut out);
        ScanReport {
            results: out.results,
            skipped: out.skipped,
            stats: out.stats,
        }
    }

    fn new_yara(&self, opts: &ScanOptions) -> Option<yara_x::Scanner<'_>> {
        self.rules.as_ref().map(|r| {
            let mut s = yara_x::Scanner::new(&r.rules);
            s.set_timeout(opts.timeout);
            s
        })
    }

    fn handle_entry(
        &self,
        yara: &mut Option<yara_x::Scanner<'_>>,
        entry: Entry,
        opts: &ScanOptions,
        out: &mut Collector,
    ) {
        let (path, size) = match entry {
            Entry::Excluded => return out.stats.excluded += 1,
            Entry::NotRegular => return out.stats.not_regular += 1,
            Entry::Unreadable(path, error) => {
                return out.skip(path.display().to_string(), None, SkipReason::Unreadable { error })
            }
            Entry::File(path, size) => (path, size),
        };
        let shown = path.display().to_string();
        if size > opts.max_size {
            return out.skip(shown, Some(size), SkipReason::TooLarge { limit: opts.max_size });
        }
        let mut data = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        #[allow(clippy::disallowed_methods, reason = "capped by take(max_size + 1)")]
        let read = std::fs::File::open(&path)
            .and_then(|f| f.take(opts.max_size.saturating_add(1)).read_to_end(&mut data));
        match read {
            Err(e) => out.skip(shown, Some(size), SkipReason::Unreadable { error: e.to_string() }),
            // The file grew past the limit after it was listed.
            Ok(n) if n as u64 > opts.max_size => out.skip(
                shown,
                Some(n as u64),
                SkipReason::TooLarge { limit: opts.max_size },
            ),
            Ok(_) => self.scan_content(yara, &shown, &data, 0, opts, out),
        }
    }

    /// Hashes and YARA-scans `data`, then opens it as a zip archive when it is one and depth allows.
    pub(crate) fn scan_content(
        &self,
        yara: &mut Option<yara_x::Scanner<'_>>,
        path: &str,
        data: &[u8],
        depth: usize,
        opts: &ScanOptions,
        out: &mut Collector,
    ) {
        let sha256 = Sha256::digest(data);
        let mut hashes = Vec::new();
        self.check_hash(HashKind::Sha256, &sha256, &mut hashes);
        if self.hashes.has_kind(HashKind::Md5) {
            self.check_hash(HashKind::Md5, &Md5::digest(data), &mut hashes);
        }
        if self.hashes.has_kind(HashKind::Sha1) {
            self.check_hash(HashKind::Sha1, &Sha1::digest(data), &mut hashes);
        }
        let mut rules = Vec::new();
        let mut error = None;
        if let Some(scanner) = yara.as_mut() {
            match scanner.scan(data) {
                Ok(found) => rules.extend(found.matching_rules().map(|r| RuleMatch {
                    rule: r.identifier().to_string(),
                    namespace: r.namespace().to_string(),
                })),
                Err(e) => error = Some(format!("YARA scan: {e}")),
            }
        }
        let result = FileResult {
            path: path.to_string(),
            size: data.len() as u64,
            sha256: hex::encode(sha256),
            rules,
            hashes,
            error,
        };
        out.stats.scanned += 1;
        out.stats.bytes += result.size;
        if result.is_detection() {
            out.stats.detections += 1;
        }
        if result.is_detection() || opts.keep_clean || result.error.is_some() {
            out.results.push(result);
        }
        if opts.archives.enabled && archive::is_zip(data) {
            if depth < opts.archives.max_depth {
                archive::scan_zip(self, yara, path, data, depth + 1, opts, out);
            } else {
                let limit = format!(
                    "nesting deeper than {} archives not opened",
                    opts.archives.max_depth
                );
                out.skip(format!("{path}!*"), None, SkipReason::ArchiveLimit { limit });
            }
        }
    }

    fn check_hash(&self, kind: HashKind, digest: &[u8], hits: &mut Vec<HashHit>) {
        if let Some(e) = self.hashes.lookup(kind, digest) {
            hits.push(HashHit {
                list: e.list.clone(),
                kind,
                line: e.line,
                comment: e.comment.clone(),
            });
        }
    }
}
