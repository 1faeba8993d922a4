//! A quarantine store in a folder: detected files moved in a form that neither runs nor matches another scanner's
//! signatures, with what it takes to give them back exactly.
//!
//! Each entry is two files named by its random id: `ID.bin` (a header, then the content XORed with a keystream
//! from the entry's own key, mode 0600) and `ID.json` ([`Entry`]: original path, size, SHA-256, Unix owner and
//! mode or Windows attributes, modification and access times, when and why, plus the key).
//!
//! [`Quarantine::put`] removes the original only after the stored copy and its metadata are on disk (fsync) and
//! the stored copy was read back and decoded to the same SHA-256; if the original cannot be removed, the entry is
//! taken back out and the error returned. [`Quarantine::restore`] writes the content beside the destination,
//! checks its SHA-256 before anything else, restores owner, mode and times, then links it into place only if
//! nothing is there (an existing file is never overwritten) and removes the entry.

mod codec;
mod meta;

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

pub use meta::{Entry, FileTime, UnixOwner};

use codec::{CopyError, Direction, KEY_LEN};
use meta::Stored;

/// Largest metadata file read.
const MAX_META_BYTES: u64 = 1 << 20;

/// Layout version written in every entry.
const FORMAT: u32 = 1;

/// What went wrong with a quarantine operation; every variant names the file or entry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file system operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done ("reading", "removing the original"...).
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// Only regular files are quarantined.
    #[error("{0}: not a regular file")]
    NotRegular(PathBuf),
    /// The file is inside the quarantine folder itself.
    #[error("{0}: inside the quarantine store")]
    InsideStore(PathBuf),
    /// The file changed while it was being copied in; nothing was quarantined.
    #[error("{0}: changed while it was being quarantined; left in place")]
    Changed(PathBuf),
    /// The stored copy did not read back as written; nothing was quarantined.
    #[error(
        "{path}: the quarantined copy {stored} did not read back identical; the original is left in place"
    )]
    Verify {
        /// The original.
        path: PathBuf,
        /// The stored copy.
        stored: PathBuf,
    },
    /// Not an entry id (32 hexadecimal digits).
    #[error("{0:?} is not a quarantine entry id (32 hexadecimal digits)")]
    BadId(String),
    /// No such entry in the store.
    #[error("no quarantine entry {id} in {store}")]
    NotFound {
        /// The id asked for.
        id: String,
        /// The store folder.
        store: PathBuf,
    },
    /// A metadata file that cannot be used.
    #[error("{path}: {reason}")]
    Metadata {
        /// The `ID.json` file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The stored content does not decode to the recorded size and SHA-256: it was altered.
    #[error("quarantine entry {id} ({path}) was altered: expected SHA-256 {expected} of {size} bytes, got {actual} of {actual_size} bytes; nothing restored")]
    Tampered {
        /// The entry.
        id: String,
        /// The stored file.
        path: PathBuf,
        /// The recorded digest.
        expected: String,
        /// The recorded size.
        size: u64,
        /// The digest of what was decoded.
        actual: String,
        /// Bytes decoded.
        actual_size: u64,
    },
    /// Restoring would overwrite something.
    #[error("{0} already exists; not overwritten (restore to another path with --to)")]
    Exists(PathBuf),
    /// No randomness for the entry's id and key.
    #[error("no random numbers from the operating system: {0}")]
    Random(String),
}

/// Result type of the quarantine.
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> Error + 'a {
    move |source| Error::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Entries of a store, and metadata files that could not be read.
#[derive(Debug, Default)]
pub struct Listing {
    /// Entries, oldest first.
    pub entries: Vec<Entry>,
    /// Metadata files that could not be read or parsed.
    pub problems: Vec<Error>,
}

/// A restored file.
#[derive(Debug)]
pub struct Restored {
    /// The entry as it was.
    pub entry: Entry,
    /// Where the file is now.
    pub path: PathBuf,
    /// What could not be given back (an owner the process may not set), in words.
    pub warnings: Vec<String>,
}

/// A quarantine store in a folder.
#[derive(Debug, Clone)]
pub struct Quarantine {
    dir: PathBuf,
}

impl Quarantine {
    /// Opens the store, creating the folder (mode 0700 on Unix) when it does not exist.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        if !dir.is_dir() {
            let mut builder = fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(&dir).map_err(io_err("creating", &dir))?;
        }
        let dir = fs::canonicalize(&dir).map_err(io_err("opening", &dir))?;
        Ok(Self { dir })
    }

    /// The store's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn bin_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.bin"))
    }

    fn meta_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    /// Moves a file into the store; see the module documentation for the order of steps.
    pub fn put(&self, path: &Path, reason: &str) -> Result<Entry> {
        let link_meta = fs::symlink_metadata(path).map_err(io_err("reading", path))?;
        if !link_meta.is_file() {
            return Err(Error::NotRegular(path.to_path_buf()));
        }
        let absolute = fs::canonicalize(path).map_err(io_err("reading", path))?;
        if absolute.parent() == Some(self.dir.as_path()) {
            return Err(Error::InsideStore(path.to_path_buf()));
        }
        let mut src = File::open(path).map_err(io_err("opening", path))?;
        let before = src.metadata().map_err(io_err("reading", path))?;
        let (id, key) = new_id_and_key()?;
        let tmp = self.dir.join(format!("{id}.bin.tmp"));
        let copied = self.copy_in(&mut src, path, &tmp, key).inspect_err(|_| {
            let _ = fs::remove_file(&tmp);
        })?;
        let after = src.metadata().map_err(io_err("reading", path))?;
        drop(src);
        if copied.size != before.len()
            || after.len() != before.len()
            || after.modified().ok() != before.modified().ok()
        {
            let _ = fs::remove_file(&tmp);
            return Err(Error::Changed(path.to_path_buf()));
        }
        let check = self.decode_to(&tmp, key, &mut io::sink());
        if !matches!(&check, Ok(c) if c.size == copied.size && c.sha256 == copied.sha256) {
            let _ = fs::remove_file(&tmp);
            return Err(Error::Verify {
                path: path.to_path_buf(),
                stored: tmp,
            });
        }
        let (original_path, original_path_bytes) = meta::path_fields(&absolute);
        let (unix, windows_attributes) = meta::owner_fields(&before);
        let entry = Entry {
            id: id.clone(),
            original_path,
            original_path_bytes,
            size: copied.size,
            sha256: hex::encode(copied.sha256),
            reason: reason.to_string(),
            quarantined_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            modified: before.modified().ok().and_then(FileTime::from_system),
            accessed: before.accessed().ok().and_then(FileTime::from_system),
            unix,
            windows_attributes,
        };
        let stored = Stored {
            format: FORMAT,
            key: hex::encode(key),
            entry,
        };
        let bin = self.bin_path(&id);
        let written = self
            .write_meta(&stored)
            .and_then(|()| fs::rename(&tmp, &bin).map_err(io_err("renaming", &tmp)))
            .and_then(|()| sync_dir(&self.dir));
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            let _ = fs::remove_file(self.meta_path(&id));
            return Err(e);
        }
        if let Err(source) = fs::remove_file(path) {
            // The original stays where it was; so must nothing else.
            let _ = self.delete(&id);
            return Err(Error::Io {
                action: "removing the original (nothing quarantined)",
                path: path.to_path_buf(),
                source,
            });
        }
        if let Some(parent) = absolute.parent() {
            sync_dir(parent)?;
        }
        Ok(stored.entry)
    }

    /// Copies the source into a new stored file, synced to disk.
    fn copy_in(&self, src: &mut File, path: &Path, tmp: &Path, key: [u8; KEY_LEN]) -> Result<codec::Copied> {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let out = options.open(tmp).map_err(io_err("creating", tmp))?;
        let mut out = BufWriter::new(out);
        let copied = codec::copy(src, &mut out, key, Direction::Encode).map_err(|e| match e {
            CopyError::Read(source) => Error::Io {
                action: "reading",
                path: path.to_path_buf(),
                source,
            },
            CopyError::Write(source) => Error::Io {
                action: "writing",
                path: tmp.to_path_buf(),
                source,
            },
        })?;
        let out = out.into_inner().map_err(|e| Error::Io {
            action: "writing",
            path: tmp.to_path_buf(),
            source: e.into_error(),
        })?;
        out.sync_all().map_err(io_err("syncing", tmp))?;
        Ok(copied)
    }

    /// Decodes a stored file into `to`.
    fn decode_to(&self, stored: &Path, key: [u8; KEY_LEN], to: &mut impl Write) -> Result<codec::Copied> {
        let file = File::open(stored).map_err(io_err("opening", stored))?;
        let mut reader = BufReader::new(file);
        if !codec::read_magic(&mut reader).map_err(io_err("reading", stored))? {
            return Err(Error::Metadata {
                path: stored.to_path_buf(),
                reason: "not a quarantined file (bad header)".into(),
            });
        }
        codec::copy(&mut reader, to, key, Direction::Decode).map_err(|e| match e {
            CopyError::Read(source) => Error::Io {
                action: "reading",
                path: stored.to_path_buf(),
                source,
            },
            CopyError::Write(source) => Error::Io {
                action: "writing the restored file from",
                path: stored.to_path_buf(),
                source,
            },
        })
    }

    fn write_meta(&self, stored: &Stored) -> Result<()> {
        let path = self.meta_path(&stored.entry.id);
        let tmp = self.dir.join(format!("{}.json.tmp", stored.entry.id));
        let text = serde_json::to_vec_pretty(stored).map_err(|e| Error::Metadata {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut f = options.open(&tmp).map_err(io_err("creating", &tmp))?;
        f.write_all(&text).map_err(io_err("writing", &tmp))?;
        f.sync_all().map_err(io_err("syncing", &tmp))?;
        drop(f);
        fs::rename(&tmp, &path).map_err(io_err("renaming", &tmp))
    }

    fn read_meta(&self, id: &str) -> Result<Stored> {
        check_id(id)?;
        let path = self.meta_path(id);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(Error::NotFound {
                    id: id.to_string(),
                    store: self.dir.clone(),
                })
            }
            Err(e) => return Err(io_err("opening", &path)(e)),
        };
        read_meta_file(file, &path, id)
    }

    /// The entry with this id.
    pub fn get(&self, id: &str) -> Result<Entry> {
        Ok(self.read_meta(id)?.entry)
    }

    /// Every entry, oldest first; unreadable metadata files are listed apart.
    pub fn list(&self) -> Result<Listing> {
        let mut listing = Listing::default();
        for item in fs::read_dir(&self.dir).map_err(io_err("listing", &self.dir))? {
            let item = item.map_err(io_err("listing", &self.dir))?;
            let name = item.file_name();
            let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".json")) else {
                continue;
            };
            if check_id(id).is_err() {
                continue;
            }
            match self.read_meta(id) {
                Ok(stored) => listing.entries.push(stored.entry),
                Err(e) => listing.problems.push(e),
            }
        }
        listing
            .entries
            .sort_by(|a, b| (&a.quarantined_at, &a.id).cmp(&(&b.quarantined_at, &b.id)));
        Ok(listing)
    }

    /// Removes an entry for good.
    pub fn delete(&self, id: &str) -> Result<Entry> {
        let stored = self.read_meta(id)?;
        let bin = self.bin_path(id);
        match fs::remove_file(&bin) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err("removing", &bin)(e)),
        }
        let meta = self.meta_path(id);
        fs::remove_file(&meta).map_err(io_err("removing", &meta))?;
        sync_dir(&self.dir)?;
        Ok(stored.entry)
    }

    /// Gives the file back at its original path, or at `to` (a folder: the original name inside it), never over
    /// an existing file; the entry is removed once the file is in place.
    pub fn restore(&self, id: &str, to: Option<&Path>) -> Result<Restored> {
        let stored = self.read_meta(id)?;
        let meta_path = self.meta_path(id);
        let key = parse_key(&stored.key, &meta_path)?;
        let entry = stored.entry;
        let original = entry.original();
        let target = match to {
            Some(dir) if dir.is_dir() => dir.join(original.file_name().unwrap_or(original.as_os_str())),
            Some(path) => path.to_path_buf(),
            None => original.clone(),
        };
        if fs::symlink_metadata(&target).is_ok() {
            return Err(Error::Exists(target));
        }
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dir = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let tmp = dir.join(format!(".{name}.{id}.restoring"));
        let result = self.restore_via(&tmp, &target, &entry, key);
        let _ = fs::remove_file(&tmp);
        let warnings = result?;
        sync_dir(dir)?;
        self.delete(id)?;
        Ok(Restored {
            entry,
            path: target,
            warnings,
        })
    }

    /// Writes the content to `tmp`, checks it, gives it its metadata and links it to `target`.
    fn restore_via(
        &self,
        tmp: &Path,
        target: &Path,
        entry: &Entry,
        key: [u8; KEY_LEN],
    ) -> Result<Vec<String>> {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(tmp).map_err(io_err("creating", tmp))?;
        let bin = self.bin_path(&entry.id);
        let mut out = BufWriter::new(file);
        let copied = self.decode_to(&bin, key, &mut out)?;
        let file = out.into_inner().map_err(|e| Error::Io {
            action: "writing",
            path: tmp.to_path_buf(),
            source: e.into_error(),
        })?;
        let actual = hex::encode(copied.sha256);
        if actual != entry.sha256 || copied.size != entry.size {
            return Err(Error::Tampered {
                id: entry.id.clone(),
                path: bin,
                expected: entry.sha256.clone(),
                size: entry.size,
                actual,
                actual_size: copied.size,
            });
        }
        let warnings = meta::apply(&file, entry).map_err(io_err("setting owner, mode and times of", tmp))?;
        file.sync_all().map_err(io_err("syncing", tmp))?;
        drop(file);
        match fs::hard_link(tmp, target) {
            Ok(()) => Ok(warnings),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(Error::Exists(target.to_path_buf())),
            // File systems without hard links: check, then rename (not atomic against a racing writer).
            Err(_) if fs::symlink_metadata(target).is_err() => {
                fs::rename(tmp, target).map_err(io_err("renaming", tmp))?;
                Ok(warnings)
            }
            Err(_) => Err(Error::Exists(target.to_path_buf())),
        }
    }
}

fn read_meta_file(file: File, path: &Path, id: &str) -> Result<Stored> {
    let mut text = String::new();
    file.take(MAX_META_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(io_err("reading", path))?;
    let bad = |reason: String| Error::Metadata {
        path: path.to_path_buf(),
        reason,
    };
    if text.len() as u64 > MAX_META_BYTES {
        return Err(bad(format!("larger than {MAX_META_BYTES} bytes")));
    }
    let stored: Stored = serde_json::from_str(&text)
        .map_err(|e| bad(format!("line {} column {}: {e}", e.line(), e.column())))?;
    if stored.format != FORMAT {
        return Err(bad(format!(
            "format {} (this version reads {FORMAT})",
            stored.format
        )));
    }
    if stored.entry.id != id {
        return Err(bad(format!("names entry {:?}, not {id}", stored.entry.id)));
    }
    Ok(stored)
}

fn parse_key(hex_key: &str, path: &Path) -> Result<[u8; KEY_LEN]> {
    hex::decode(hex_key)
        .ok()
        .and_then(|k| <[u8; KEY_LEN]>::try_from(k).ok())
        .ok_or_else(|| Error::Metadata {
            path: path.to_path_buf(),
            reason: format!("key: not {KEY_LEN} bytes of hexadecimal"),
        })
}

fn check_id(id: &str) -> Result<()> {
    if id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(Error::BadId(id.to_string()))
    }
}

fn new_id_and_key() -> Result<(String, [u8; KEY_LEN])> {
    let mut bytes = [0u8; 16 + KEY_LEN];
    getrandom::getrandom(&mut bytes).map_err(|e| Error::Random(e.to_string()))?;
    let (id, key) = bytes.split_at(16);
    let mut k = [0u8; KEY_LEN];
    k.copy_from_slice(key);
    Ok((hex::encode(id), k))
}

/// Flushes a folder's entries to disk (a no-op where folders cannot be opened).
fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err("syncing", dir))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests;
