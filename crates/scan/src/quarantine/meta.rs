//! What is kept beside a quarantined file to give it back exactly: path, size, SHA-256, owner, mode, times,
//! Windows attributes.

use std::fs::{File, Metadata};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// A point in time as seconds and nanoseconds since 1970-01-01 UTC (negative seconds before it), exact to the
/// nanosecond the file system keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileTime {
    /// Whole seconds since the Unix epoch.
    pub secs: i64,
    /// Nanoseconds within the second.
    pub nanos: u32,
}

impl FileTime {
    /// From a system time; `None` when it is out of range.
    pub fn from_system(t: SystemTime) -> Option<Self> {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Some(Self {
                secs: i64::try_from(d.as_secs()).ok()?,
                nanos: d.subsec_nanos(),
            }),
            Err(e) => {
                let d = e.duration();
                let secs = i64::try_from(d.as_secs()).ok()?;
                Some(if d.subsec_nanos() == 0 {
                    Self {
                        secs: -secs,
                        nanos: 0,
                    }
                } else {
                    Self {
                        secs: -secs - 1,
                        nanos: 1_000_000_000 - d.subsec_nanos(),
                    }
                })
            }
        }
    }

    /// Back to a system time; `None` when it is out of range or malformed.
    pub fn to_system(self) -> Option<SystemTime> {
        if self.nanos >= 1_000_000_000 {
            return None;
        }
        let base = if self.secs >= 0 {
            UNIX_EPOCH.checked_add(Duration::from_secs(self.secs.unsigned_abs()))?
        } else {
            UNIX_EPOCH.checked_sub(Duration::from_secs(self.secs.unsigned_abs()))?
        };
        base.checked_add(Duration::from_nanos(u64::from(self.nanos)))
    }
}

/// Owner and permission bits of a Unix file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnixOwner {
    /// Permission bits including set-id and sticky (`mode & 0o7777`).
    pub mode: u32,
    /// Owner user id.
    pub uid: u32,
    /// Owner group id.
    pub gid: u32,
}

/// One quarantined file, as `list` shows it and `restore` gives it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The entry's identifier (32 lowercase hexadecimal digits).
    pub id: String,
    /// Where the file was (lossy text when the name is not UTF-8; see `original_path_bytes`).
    pub original_path: String,
    /// The path's raw bytes in hexadecimal, only for a Unix name that is not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_path_bytes: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// Lowercase hex SHA-256 of the content.
    pub sha256: String,
    /// Why it was quarantined (the rules or list entries that matched).
    pub reason: String,
    /// When, RFC 3339 in UTC.
    pub quarantined_at: String,
    /// Last modification time.
    pub modified: Option<FileTime>,
    /// Last access time (read before the content was).
    pub accessed: Option<FileTime>,
    /// Unix owner and mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unix: Option<UnixOwner>,
    /// Windows file attributes (`FILE_ATTRIBUTE_*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub windows_attributes: Option<u32>,
}

impl Entry {
    /// The original path, exact (raw bytes on Unix when they were kept).
    pub fn original(&self) -> PathBuf {
        #[cfg(unix)]
        if let Some(raw) = self
            .original_path_bytes
            .as_deref()
            .and_then(|h| hex::decode(h).ok())
        {
            use std::os::unix::ffi::OsStringExt;
            return PathBuf::from(std::ffi::OsString::from_vec(raw));
        }
        PathBuf::from(&self.original_path)
    }
}

/// The metadata file's content: the entry plus what decoding needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Stored {
    /// Layout version of the stored form.
    pub(crate) format: u32,
    /// Hex of the per-entry key.
    pub(crate) key: String,
    #[serde(flatten)]
    pub(crate) entry: Entry,
}

/// The path as text, plus its raw bytes when it is not UTF-8.
pub(crate) fn path_fields(path: &Path) -> (String, Option<String>) {
    let text = path.to_string_lossy().into_owned();
    #[cfg(unix)]
    if path.to_str().is_none() {
        use std::os::unix::ffi::OsStrExt;
        return (text, Some(hex::encode(path.as_os_str().as_bytes())));
    }
    (text, None)
}

/// Owner, mode and attributes from a file's metadata.
pub(crate) fn owner_fields(meta: &Metadata) -> (Option<UnixOwner>, Option<u32>) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        (
            Some(UnixOwner {
                mode: meta.mode() & 0o7777,
                uid: meta.uid(),
                gid: meta.gid(),
            }),
            None,
        )
    }
    #[cfg(windows)]
    {
        use std::os::windows::fs::MetadataExt;
        (None, Some(meta.file_attributes()))
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = meta;
        (None, None)
    }
}

/// Gives a restored file its owner (when it differs and the process may), mode or attributes and times.
/// Returns what could not be applied, in words.
pub(crate) fn apply(file: &File, entry: &Entry) -> std::io::Result<Vec<String>> {
    let mut warnings = Vec::new();
    #[cfg(unix)]
    if let Some(owner) = entry.unix {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let now = file.metadata()?;
        if now.uid() != owner.uid || now.gid() != owner.gid {
            // Owner first: changing it clears set-id bits, the mode below puts them back.
            if let Err(e) = std::os::unix::fs::fchown(file, Some(owner.uid), Some(owner.gid)) {
                warnings.push(format!(
                    "owner {}:{} not restored ({e}); the file belongs to {}:{}",
                    owner.uid,
                    owner.gid,
                    now.uid(),
                    now.gid()
                ));
            }
        }
        file.set_permissions(std::fs::Permissions::from_mode(owner.mode))?;
    }
    #[cfg(windows)]
    if let Some(attrs) = entry.windows_attributes {
        // FILE_ATTRIBUTE_READONLY is restored; hidden, system and archive flags need SetFileAttributesW.
        const READONLY: u32 = 0x1;
        if attrs & READONLY != 0 {
            let mut perms = file.metadata()?.permissions();
            perms.set_readonly(true);
            file.set_permissions(perms)?;
        }
        if attrs & !READONLY & 0x6 != 0 {
            warnings.push(format!("attributes {attrs:#x}: only read-only restored"));
        }
    }
    let mut times = std::fs::FileTimes::new();
    if let Some(t) = entry.modified.and_then(FileTime::to_system) {
        times = times.set_modified(t);
    }
    if let Some(t) = entry.accessed.and_then(FileTime::to_system) {
        times = times.set_accessed(t);
    }
    file.set_times(times)?;
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_times_round_trip_before_and_after_the_epoch() {
        for t in [
            UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789),
            UNIX_EPOCH - Duration::new(10, 250),
            UNIX_EPOCH - Duration::from_secs(3),
            UNIX_EPOCH,
        ] {
            let ft = FileTime::from_system(t).unwrap();
            assert!(ft.nanos < 1_000_000_000);
            assert_eq!(ft.to_system(), Some(t));
        }
        assert_eq!(
            FileTime {
                secs: 0,
                nanos: 1_000_000_000
            }
            .to_system(),
            None
        );
    }
}
