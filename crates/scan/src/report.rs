//! What a scan returns: per-file results, skipped files and counters.

use serde::Serialize;

use crate::hashes::HashKind;

/// A YARA rule that matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleMatch {
    /// Rule identifier.
    pub rule: String,
    /// Namespace (the rule file's path relative to its rule folder).
    pub namespace: String,
}

/// A hash list entry that matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HashHit {
    /// The list's name (its file name).
    pub list: String,
    /// Which digest matched.
    pub kind: HashKind,
    /// 1-based line of the entry in its list.
    pub line: usize,
    /// The entry's comment.
    pub comment: String,
}

/// The result for one scanned file or archive member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileResult {
    /// File path; archive members are `archive.zip!member` (nested: `a.zip!b.zip!c`).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Lowercase hex SHA-256 of the content.
    pub sha256: String,
    /// YARA rules that matched.
    pub rules: Vec<RuleMatch>,
    /// Hash list entries that matched.
    pub hashes: Vec<HashHit>,
    /// Set when the YARA scan of this content failed (for example a timeout); hashes were still checked.
    pub error: Option<String>,
}

impl FileResult {
    /// True when a rule or a hash list entry matched.
    pub fn is_detection(&self) -> bool {
        !self.rules.is_empty() || !self.hashes.is_empty()
    }
}

/// Why a file was not scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SkipReason {
    /// Larger than the size limit.
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// Could not be listed, opened or read.
    Unreadable {
        /// The operating system's message.
        error: String,
    },
    /// An archive limit (members, sizes, nesting) stopped the scan of this member or of the rest of the archive.
    ArchiveLimit {
        /// Which limit, in words.
        limit: String,
    },
    /// An archive or member that could not be decoded (corrupt, encrypted, unsupported method).
    ArchiveError {
        /// The decoder's message.
        error: String,
    },
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooLarge { limit } => write!(f, "larger than the {limit}-byte limit"),
            Self::Unreadable { error } => write!(f, "unreadable: {error}"),
            Self::ArchiveLimit { limit } => write!(f, "archive limit: {limit}"),
            Self::ArchiveError { error } => write!(f, "archive error: {error}"),
        }
    }
}

/// A file (or archive member) that was not scanned, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Path as in [`FileResult::path`].
    pub path: String,
    /// Size when known.
    pub size: Option<u64>,
    /// Why.
    pub reason: SkipReason,
}

/// Counters of a whole scan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScanStats {
    /// Files and archive members whose content was scanned.
    pub scanned: u64,
    /// Bytes of content scanned (archive members counted uncompressed).
    pub bytes: u64,
    /// Scanned items with at least one match.
    pub detections: u64,
    /// Items skipped (each listed in [`ScanReport::skipped`]).
    pub skipped: u64,
    /// Paths left out by an exclusion pattern.
    pub excluded: u64,
    /// Entries that are neither regular files nor folders (symbolic links, devices, sockets), not followed.
    pub not_regular: u64,
    /// Archive members scanned (included in `scanned`).
    pub archive_members: u64,
}

/// Everything a scan found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScanReport {
    /// Detections, plus clean files when [`crate::ScanOptions::keep_clean`] is set; sorted by path.
    pub results: Vec<FileResult>,
    /// Items not scanned, sorted by path.
    pub skipped: Vec<Skipped>,
    /// Counters.
    pub stats: ScanStats,
}
