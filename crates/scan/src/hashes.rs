//! Hash lists: MD5, SHA-1 and SHA-256 indicators, one `HASH[;COMMENT]` per line.
//!
//! The format is the LOKI / signature-base `hash-iocs.txt` one: `#` starts a comment line, blank lines are
//! ignored, the hash kind is told by its length (32, 40 or 64 hex digits). Lines that are none of these are
//! refused with their line number and kept in [`HashList::refused`]; the good lines are still loaded.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};

/// The digest algorithm of a hash list entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HashKind {
    /// 128-bit MD5.
    Md5,
    /// 160-bit SHA-1.
    Sha1,
    /// 256-bit SHA-256.
    Sha256,
}

impl HashKind {
    /// The kind of a hex digest of this many characters.
    pub fn from_hex_len(len: usize) -> Option<Self> {
        match len {
            32 => Some(Self::Md5),
            40 => Some(Self::Sha1),
            64 => Some(Self::Sha256),
            _ => None,
        }
    }
}

/// One loaded indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HashEntry {
    /// Name of the list it came from (the file name).
    pub list: String,
    /// 1-based line in that list.
    pub line: usize,
    /// The comment after `;`, empty when absent.
    pub comment: String,
}

/// A line that could not be read as a hash entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefusedLine {
    /// The list file.
    pub path: PathBuf,
    /// 1-based line number.
    pub line: usize,
    /// Why it was refused.
    pub reason: String,
}

/// A set of hash indicators from one or more lists, looked up by lowercase hex digest.
#[derive(Debug, Default, Clone)]
pub struct HashList {
    entries: HashMap<(HashKind, [u8; 32]), HashEntry>,
    kinds: [bool; 3],
    refused: Vec<RefusedLine>,
}

impl HashList {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads and adds the list in `path` (named after its file name).
    pub fn load_file(&mut self, path: &Path) -> Result<()> {
        let text = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let text = String::from_utf8_lossy(&text);
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        self.add_text(&name, path, &text);
        Ok(())
    }

    /// Adds the lines of `text` under list name `list`; `path` is only used in refusal reports.
    pub fn add_text(&mut self, list: &str, path: &Path, text: &str) {
        for (idx, raw) in text.lines().enumerate() {
            let line = idx + 1;
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let (hash, comment) = trimmed.split_once(';').unwrap_or((trimmed, ""));
            let hash = hash.trim();
            match parse_digest(hash) {
                Ok((kind, key)) => {
                    self.kinds[kind_index(kind)] = true;
                    self.entries.entry((kind, key)).or_insert_with(|| HashEntry {
                        list: list.to_string(),
                        line,
                        comment: comment.trim().to_string(),
                    });
                }
                Err(reason) => self.refused.push(RefusedLine {
                    path: path.to_path_buf(),
                    line,
                    reason,
                }),
            }
        }
    }

    /// Number of distinct indicators loaded.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no indicator is loaded.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether any entry of this kind is loaded (so the scanner computes that digest only when useful).
    pub fn has_kind(&self, kind: HashKind) -> bool {
        self.kinds[kind_index(kind)]
    }

    /// Lines refused while loading, in load order.
    pub fn refused(&self) -> &[RefusedLine] {
        &self.refused
    }

    /// The entry for a raw digest, if listed.
    pub fn lookup(&self, kind: HashKind, digest: &[u8]) -> Option<&HashEntry> {
        let mut key = [0u8; 32];
        key.get_mut(..digest.len())?.copy_from_slice(digest);
        self.entries.get(&(kind, key))
    }
}

fn kind_index(kind: HashKind) -> usize {
    match kind {
        HashKind::Md5 => 0,
        HashKind::Sha1 => 1,
        HashKind::Sha256 => 2,
    }
}

fn parse_digest(hex_text: &str) -> Result<(HashKind, [u8; 32]), String> {
    let kind = HashKind::from_hex_len(hex_text.len()).ok_or_else(|| {
        format!(
            "{hex_text:?} is not an MD5, SHA-1 or SHA-256 digest (32, 40 or 64 hex digits), length {}",
            hex_text.len()
        )
    })?;
    let bytes = hex::decode(hex_text).map_err(|e| format!("{hex_text:?} is not hexadecimal: {e}"))?;
    let mut key = [0u8; 32];
    if let Some(slot) = key.get_mut(..bytes.len()) {
        slot.copy_from_slice(&bytes);
    }
    Ok((kind, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_all_three_kinds_and_refuses_bad_lines_by_number() {
        let text = "# comment\n\n44d88612fea8a8f36de82e1278abb02f;EICAR md5\n\
                    3395856CE81F2B7382DEE72602F798B642F14140\nnot-a-hash;x\nabcd;short\n";
        let mut list = HashList::new();
        list.add_text("t.txt", Path::new("t.txt"), text);
        assert_eq!(list.len(), 2);
        assert!(list.has_kind(HashKind::Md5) && list.has_kind(HashKind::Sha1));
        assert!(!list.has_kind(HashKind::Sha256));
        let md5 = hex::decode("44d88612fea8a8f36de82e1278abb02f").unwrap_or_default();
        let hit = list.lookup(HashKind::Md5, &md5);
        assert_eq!(hit.map(|h| (h.line, h.comment.as_str())), Some((3, "EICAR md5")));
        let lines: Vec<usize> = list.refused().iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![5, 6]);
    }
}
