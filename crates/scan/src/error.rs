//! Errors of the scanner crate.

use std::path::PathBuf;

/// What went wrong while loading rules or hash lists, or while setting up a scan.
///
/// Per-file problems met *during* a scan are not errors: they are reported as
/// [`crate::Skipped`] entries so the scan carries on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or folder could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The path being read.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// No rule file at all could be found under the given paths.
    #[error("no YARA rule files (.yar, .yara) found under {0}")]
    NoRuleFiles(String),
    /// An exclusion glob does not parse.
    #[error("exclusion pattern {pattern:?}: {reason}")]
    BadGlob {
        /// The pattern as given.
        pattern: String,
        /// What the glob parser said.
        reason: String,
    },
    /// The scanning threads' priorities could not be set.
    #[error("scan priorities: {0}")]
    Budget(crate::budget::BudgetError),
    /// The worker thread pool could not be built.
    #[error("starting {threads} scan threads: {reason}")]
    ThreadPool {
        /// Threads asked for.
        threads: usize,
        /// What rayon said.
        reason: String,
    },
}

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
