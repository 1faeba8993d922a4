//! Read positions and the state file that keeps them.

use crate::error::{Error, Result};
use crate::fsutil::{atomic_write, read_text};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::Metadata;
use std::path::Path;

/// Version of the state file layout.
const STATE_VERSION: u32 = 1;

/// Where reading of one file stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileCheckpoint {
    /// Device of the file (Unix `st_dev`; 0 on Windows).
    pub dev: u64,
    /// Inode (Unix `st_ino`; on Windows the creation time in 100 ns units, std having no stable file index).
    pub ino: u64,
    /// Which file this is among those that have had this path: increases with every new file (rotation) and every
    /// truncation, so event ids never repeat when an inode number is reused.
    pub generation: u32,
    /// Byte offset just after the last complete line handed out.
    pub offset: u64,
    /// How many leading bytes `head_sha256` covers.
    pub head_len: u32,
    /// SHA-256 (hex) of the first `head_len` bytes: a different value means the file was replaced or truncated
    /// and written again.
    pub head_sha256: String,
}

/// Where reading of one configured path stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathCheckpoint {
    /// Generation the next new file at this path gets.
    pub next_generation: u32,
    /// The file now at the path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<FileCheckpoint>,
    /// Files renamed away (rotated) and not yet read to their end, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub draining: Vec<FileCheckpoint>,
}

/// The read positions of every followed path, as one batch left them. Committing it
/// ([`crate::FileFollower::commit`]) makes a restart resume exactly there.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoints {
    /// Layout version of the state file.
    pub version: u32,
    /// By configured path.
    pub files: BTreeMap<String, PathCheckpoint>,
}

impl Checkpoints {
    /// Reads a state file; an absent file is an empty state.
    pub fn load(path: &Path) -> Result<Self> {
        let Some(text) = read_text(path, 64 * 1024 * 1024)? else {
            return Ok(Self {
                version: STATE_VERSION,
                files: BTreeMap::new(),
            });
        };
        let state: Self = serde_json::from_str(&text).map_err(|e| Error::Corrupt {
            path: path.to_owned(),
            line: e.line(),
            message: e.to_string(),
        })?;
        if state.version != STATE_VERSION {
            return Err(Error::Corrupt {
                path: path.to_owned(),
                line: 1,
                message: format!("state version {} is not {STATE_VERSION}", state.version),
            });
        }
        Ok(state)
    }

    /// Writes the state file atomically (temporary file, fsync, rename, folder fsync).
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut bytes = serde_json::to_vec_pretty(self).map_err(|e| Error::Corrupt {
            path: path.to_owned(),
            line: 0,
            message: e.to_string(),
        })?;
        bytes.push(b'\n');
        atomic_write(path, &bytes)
    }

    pub(super) fn new(files: BTreeMap<String, PathCheckpoint>) -> Self {
        Self {
            version: STATE_VERSION,
            files,
        }
    }
}

/// `(device, inode)` of a file; see [`FileCheckpoint::ino`] for Windows.
pub(super) fn identity(meta: &Metadata) -> (u64, u64) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        (meta.dev(), meta.ino())
    }
    #[cfg(windows)]
    {
        use std::os::windows::fs::MetadataExt;
        (0, meta.creation_time())
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = meta;
        (0, 0)
    }
}
