//! Small file helpers: capped reads and atomic replacement.

use crate::error::{Error, Result};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::Path;

/// Largest system file read for the inventory (the dpkg status file of a large server is a few MiB).
pub const MAX_TEXT_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a text file of at most `cap` bytes (more is an error, not a silent cut); `None` when it does not exist.
/// Bytes that are not UTF-8 are replaced.
pub fn read_text(path: &Path, cap: u64) -> Result<Option<String>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("reading", path, e)),
    };
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_string_lossy(&mut bytes)
        .map_err(|e| Error::io("reading", path, e))?;
    if bytes.len() as u64 > cap {
        return Err(Error::io(
            "reading",
            path,
            io::Error::new(io::ErrorKind::InvalidData, format!("larger than {cap} bytes")),
        ));
    }
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

/// Reading into bytes through a reader already capped with [`Read::take`].
trait ReadCapped {
    fn read_to_string_lossy(self, out: &mut Vec<u8>) -> io::Result<usize>;
}

impl<R: Read> ReadCapped for io::Take<R> {
    fn read_to_string_lossy(mut self, out: &mut Vec<u8>) -> io::Result<usize> {
        let mut buf = [0u8; 64 * 1024];
        let mut total = 0;
        loop {
            match self.read(&mut buf) {
                Ok(0) => return Ok(total),
                Ok(n) => {
                    out.extend_from_slice(&buf[..n]);
                    total += n;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// Replaces `path` with `bytes` so that a crash leaves either the old or the new content: write a temporary file
/// beside it, flush it to disk, rename it over `path`, then flush the folder so the rename itself is durable.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp"));
    {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(|e| Error::io("creating", &tmp, e))?;
        f.write_all(bytes).map_err(|e| Error::io("writing", &tmp, e))?;
        f.sync_all().map_err(|e| Error::io("syncing", &tmp, e))?;
    }
    fs::rename(&tmp, path).map_err(|e| Error::io("renaming", &tmp, e))?;
    sync_dir(dir)
}

/// Flushes a folder's entries (a new, renamed or removed file) to disk. A no-op where folders cannot be opened.
pub fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        let d = File::open(dir).map_err(|e| Error::io("opening", dir, e))?;
        d.sync_all().map_err(|e| Error::io("syncing", dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.json");
        atomic_write(&p, b"one").unwrap();
        atomic_write(&p, b"two").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "two");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("state.json")]);
    }

    #[test]
    fn read_text_refuses_more_than_the_cap_and_reports_absence() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        fs::write(&p, "0123456789").unwrap();
        assert_eq!(read_text(&p, 10).unwrap().as_deref(), Some("0123456789"));
        assert!(read_text(&p, 9).is_err());
        assert!(read_text(&dir.path().join("absent"), 9).unwrap().is_none());
    }
}
