//! File scanner for canhgac: YARA rules (compiled with yara-x) and MD5/SHA-1/SHA-256 hash lists, run over files,
//! folders and zip archives in parallel.
//!
//! The crate touches the file system only (no network, no database). Flow:
//!
//! 1. [`RuleSet::compile_paths`] compiles rule files one by one into namespaces; files that fail are listed in
//!    [`CompileReport::failures`] with file, line and reason, the rest are kept.
//! 2. [`HashList::load_file`] reads `HASH;COMMENT` lists; refused lines are kept in [`HashList::refused`].
//! 3. [`Engine::scan_paths`] walks the roots (exclusion globs, size limit), hashes and scans each file on a rayon
//!    pool, opens zip archives (members reported as `archive.zip!member`) and returns a [`ScanReport`]:
//!    detections, every skipped file with its reason, and counters.
//! 4. [`quarantine::Quarantine`] moves a detected file into a store folder in a form that neither runs nor
//!    matches signatures, and gives it back byte-identical with its owner, mode and times.
//!
//! [`ScanProfile`] resolves the quick and full scans' roots on the running system; [`Budget`] lowers the
//! scanning threads' CPU and I/O priority ([`ScanOptions::budget`]).
//!
//! ```no_run
//! use canhgac_scan::{Engine, HashList, RuleSet, ScanOptions};
//! # fn main() -> Result<(), canhgac_scan::Error> {
//! let rules = RuleSet::compile_paths(&["rules/"])?;
//! for failure in &rules.report().failures {
//!     eprintln!("{failure}");
//! }
//! let mut hashes = HashList::new();
//! hashes.load_file("hash-iocs.txt".as_ref())?;
//! let engine = Engine::new(Some(rules), hashes);
//! let report = engine.scan_paths(&["/home".into()], &ScanOptions::default())?;
//! println!("{} detections", report.stats.detections);
//! # Ok(()) }
//! ```
#![deny(clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod archive;
mod budget;
mod error;
mod hashes;
pub mod profile;
pub mod quarantine;
mod report;
mod rules;
mod scanner;
mod walk;

pub use budget::{Budget, BudgetError};
pub use error::{Error, Result};
pub use hashes::{HashEntry, HashKind, HashList, RefusedLine};
pub use profile::{Roots, ScanProfile};
pub use report::{FileResult, HashHit, RuleMatch, ScanReport, ScanStats, SkipReason, Skipped};
pub use rules::{is_rule_file, CompileReport, RuleFileError, RuleSet};
pub use scanner::{ArchiveLimits, Engine, ScanOptions};
pub use walk::Exclusions;
