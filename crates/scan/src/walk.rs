//! Enumerating the files under the scan roots, with exclusion globs, optionally without crossing mounts.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use walkdir::WalkDir;

use crate::error::{Error, Result};

/// Exclusion patterns, matched against the whole path and against the file or folder name alone
/// (so `*.iso` and `/proc/**` both work). An excluded folder is not entered.
#[derive(Debug, Clone)]
pub struct Exclusions {
    set: GlobSet,
}

impl Exclusions {
    /// Compiles the glob patterns.
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<Self> {
        let mut builder = GlobSetBuilder::new();
        for p in patterns {
            let p = p.as_ref();
            let glob = Glob::new(p).map_err(|e| Error::BadGlob {
                pattern: p.to_string(),
                reason: e.to_string(),
            })?;
            builder.add(glob);
        }
        let set = builder.build().map_err(|e| Error::BadGlob {
            pattern: String::new(),
            reason: e.to_string(),
        })?;
        Ok(Self { set })
    }

    /// True when `path` is excluded.
    pub fn is_excluded(&self, path: &Path) -> bool {
        if self.set.is_empty() {
            return false;
        }
        self.set.is_match(path) || path.file_name().is_some_and(|n| self.set.is_match(n))
    }
}

/// One item met while walking.
#[derive(Debug)]
pub(crate) enum Entry {
    /// A regular file and its size.
    File(PathBuf, u64),
    /// Left out by an exclusion.
    Excluded,
    /// Symbolic link, device, socket... not followed.
    NotRegular,
    /// Could not be listed or stat'ed.
    Unreadable(PathBuf, String),
}

/// Walks the roots (files or folders) lazily, root by root; links are not followed.
pub(crate) struct Walk<'a> {
    roots: std::slice::Iter<'a, PathBuf>,
    current: Option<walkdir::IntoIter>,
    exclusions: &'a Exclusions,
    one_file_system: bool,
}

impl<'a> Walk<'a> {
    pub(crate) fn new(roots: &'a [PathBuf], exclusions: &'a Exclusions, one_file_system: bool) -> Self {
        Self {
            roots: roots.iter(),
            current: None,
            exclusions,
            one_file_system,
        }
    }
}

impl Iterator for Walk<'_> {
    type Item = Entry;

    fn next(&mut self) -> Option<Entry> {
        loop {
            let Some(current) = self.current.as_mut() else {
                self.current = Some(
                    WalkDir::new(self.roots.next()?)
                        .follow_links(false)
                        .same_file_system(self.one_file_system)
                        .into_iter(),
                );
                continue;
            };
            let entry = match current.next() {
                None => {
                    self.current = None;
                    continue;
                }
                Some(Err(err)) => {
                    let path = err.path().map(Path::to_path_buf).unwrap_or_default();
                    return Some(Entry::Unreadable(path, err.to_string()));
                }
                Some(Ok(entry)) => entry,
            };
            // The roots themselves are always scanned.
            if entry.depth() > 0 && self.exclusions.is_excluded(entry.path()) {
                if entry.file_type().is_dir() {
                    current.skip_current_dir();
                }
                return Some(Entry::Excluded);
            }
            let kind = entry.file_type();
            if kind.is_dir() {
                continue;
            }
            if !kind.is_file() {
                return Some(Entry::NotRegular);
            }
            return Some(match entry.metadata() {
                Ok(m) => Entry::File(entry.into_path(), m.len()),
                Err(err) => Entry::Unreadable(entry.into_path(), err.to_string()),
            });
        }
    }
}
