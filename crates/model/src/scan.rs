//! Central scanning as the server and the agent exchange it: the rule bundle an agent downloads, the tasks it
//! fetches and the result it posts back. Plain data; the digests are computed by whoever holds the bytes.

use serde::{Deserialize, Serialize};

/// The format tag of a [`RuleBundle`].
pub const BUNDLE_FORMAT: &str = "canhgac.rulebundle/1";

/// One file of a bundle: its name (a namespace for YARA, a list name for hashes) and its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleFile {
    pub name: String,
    pub text: String,
}

/// The rules an agent scans with: YARA sources and hash lists. The bytes of its JSON (fields in this order) are
/// what the SHA-256 digest is taken over, so the digest names the content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleBundle {
    pub format: String,
    pub yara: Vec<BundleFile>,
    pub hashes: Vec<BundleFile>,
}

impl Default for RuleBundle {
    fn default() -> Self {
        Self {
            format: BUNDLE_FORMAT.into(),
            yara: Vec::new(),
            hashes: Vec::new(),
        }
    }
}

impl RuleBundle {
    /// The bundle's JSON bytes (what is stored, sent and digested).
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads bundle bytes back; the format tag must be [`BUNDLE_FORMAT`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let b: RuleBundle = serde_json::from_slice(bytes).map_err(|e| {
            format!(
                "not a rule bundle (line {}, column {}): {e}",
                e.line(),
                e.column()
            )
        })?;
        if b.format != BUNDLE_FORMAT {
            return Err(format!("unknown rule bundle format {:?}", b.format));
        }
        Ok(b)
    }

    /// The bundle with every file's name prefixed by `prefix/` (so the Department's and a unit's files cannot
    /// collide when joined).
    pub fn prefixed(mut self, prefix: &str) -> Self {
        for f in self.yara.iter_mut().chain(self.hashes.iter_mut()) {
            f.name = format!("{prefix}/{}", f.name);
        }
        self
    }

    /// Appends another bundle's files.
    pub fn join(mut self, other: RuleBundle) -> Self {
        self.yara.extend(other.yara);
        self.hashes.extend(other.hashes);
        self
    }
}

/// What a task asks the agent to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    Scan,
    Quarantine,
    Restore,
    Delete,
}

impl TaskKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::Scan => "scan",
            TaskKind::Quarantine => "quarantine",
            TaskKind::Restore => "restore",
            TaskKind::Delete => "delete",
        }
    }

    pub fn parse(s: &str) -> Option<TaskKind> {
        [
            TaskKind::Scan,
            TaskKind::Quarantine,
            TaskKind::Restore,
            TaskKind::Delete,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// How much of the machine a scan covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanProfile {
    /// Common malware locations.
    Quick,
    /// Every configured root (`/` by default).
    Full,
}

impl ScanProfile {
    pub fn as_str(self) -> &'static str {
        match self {
            ScanProfile::Quick => "quick",
            ScanProfile::Full => "full",
        }
    }

    pub fn parse(s: &str) -> Option<ScanProfile> {
        match s.trim() {
            "quick" => Some(ScanProfile::Quick),
            "full" => Some(ScanProfile::Full),
            _ => None,
        }
    }
}

/// A task as the agent receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentTask {
    pub id: i64,
    pub kind: TaskKind,
    pub profile: ScanProfile,
    /// Scan threads (0: the agent's own setting).
    pub threads: i64,
    /// The rule bundle to scan with (scan tasks).
    pub bundle_digest: Option<String>,
    /// The file concerned (quarantine, restore, delete).
    pub path: Option<String>,
    /// The file's SHA-256 as detected (quarantine, restore, delete).
    pub sha256: Option<String>,
}

/// One file a scan found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundFile {
    /// The path (`archive.zip!member` inside archives).
    pub path: String,
    pub sha256: String,
    pub size: u64,
    /// Modification time of the file on disk (ms), when it could be read.
    pub mtime: Option<i64>,
    /// Permission bits of the file on disk, when it could be read.
    pub mode: Option<u32>,
    /// YARA rules that matched, as `namespace:rule`.
    #[serde(default)]
    pub rules: Vec<String>,
    /// Hash lists whose entry matched.
    #[serde(default)]
    pub hash_lists: Vec<String>,
}

/// A file the scan could not read, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanProblem {
    pub path: String,
    pub reason: String,
}

/// Whether a task ended well.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskOutcome {
    Done,
    Failed,
}

/// What the agent posts when a task ends (once per task; a repeat is answered with what was recorded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskResult {
    pub task_id: i64,
    pub outcome: TaskOutcome,
    /// Why it failed, or what the agent had to say (such as a rejected rule bundle).
    #[serde(default)]
    pub message: String,
    /// The bundle the scan ran with.
    #[serde(default)]
    pub bundle_digest: Option<String>,
    /// A bundle the agent received and refused (failed its digest or did not compile), with why.
    #[serde(default)]
    pub bundle_error: Option<String>,
    #[serde(default)]
    pub scanned: u64,
    #[serde(default)]
    pub bytes: u64,
    #[serde(default)]
    pub skipped: u64,
    #[serde(default)]
    pub duration_ms: u64,
    #[serde(default)]
    pub found: Vec<FoundFile>,
    /// Files that could not be read (and other skipped items), at most a few hundred.
    #[serde(default)]
    pub problems: Vec<ScanProblem>,
    /// Quarantine, restore and delete: what was done (where the file went, its metadata).
    #[serde(default)]
    pub action: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundle_round_trips_and_refuses_other_formats() {
        let b = RuleBundle {
            yara: vec![BundleFile {
                name: "a.yar".into(),
                text: "rule a { condition: true }".into(),
            }],
            ..Default::default()
        }
        .prefixed("department/v1");
        assert_eq!(b.yara[0].name, "department/v1/a.yar");
        let back = RuleBundle::from_bytes(&b.to_bytes());
        assert_eq!(back, Ok(b));
        let other = br#"{"format":"x","yara":[],"hashes":[]}"#;
        assert!(RuleBundle::from_bytes(other).is_err_and(|e| e.contains("format")));
        assert!(RuleBundle::from_bytes(b"{").is_err_and(|e| e.contains("line 1")));
    }
}
