//! Segment files and the framing of their records: `[length u32 LE][crc32 u32 LE][payload]`.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Bytes of a record's header.
pub(super) const HEADER: u64 = 8;

/// The file name of segment `seq`.
pub(super) fn segment_path(dir: &Path, seq: u64) -> PathBuf {
    dir.join(format!("{seq:020}.seg"))
}

/// The sequence number of a segment file name, `None` for other files.
pub(super) fn parse_segment_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".seg")?;
    (digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// The header and payload of one record.
pub(super) fn frame(payload: &[u8]) -> Option<Vec<u8>> {
    let len = u32::try_from(payload.len()).ok()?;
    let mut out = Vec::with_capacity(payload.len() + HEADER as usize);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
    Some(out)
}

/// What is at an offset of a segment.
pub(super) enum At {
    /// A whole record whose checksum matches.
    Record(Vec<u8>),
    /// The end of the segment.
    End,
    /// A record cut short, with a zero length, or with a wrong checksum: the rest of the segment cannot be trusted.
    Damaged,
}

/// Reads the record at `offset` of a segment `len` bytes long.
pub(super) fn read_at(file: &mut File, offset: u64, len: u64) -> io::Result<At> {
    if offset >= len {
        return Ok(At::End);
    }
    let Some((size, crc)) = header_at(file, offset, len)? else {
        return Ok(At::Damaged);
    };
    let mut payload = vec![0u8; size as usize];
    file.read_exact(&mut payload)?;
    Ok(if crc32fast::hash(&payload) == crc {
        At::Record(payload)
    } else {
        At::Damaged
    })
}

/// The header at `offset` when a whole record of a plausible length fits before `len`.
fn header_at(file: &mut File, offset: u64, len: u64) -> io::Result<Option<(u32, u32)>> {
    if offset + HEADER > len {
        return Ok(None);
    }
    file.seek(SeekFrom::Start(offset))?;
    let mut h = [0u8; HEADER as usize];
    file.read_exact(&mut h)?;
    let size = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
    let crc = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
    if size == 0 || offset + HEADER + u64::from(size) > len {
        return Ok(None);
    }
    Ok(Some((size, crc)))
}

/// Walks the records from `offset`: `(records, offset after the last good record)`. Checksums are verified.
pub(super) fn scan(file: &mut File, mut offset: u64, len: u64) -> io::Result<(u64, u64)> {
    let mut records = 0;
    while let At::Record(p) = read_at(file, offset, len)? {
        records += 1;
        offset += HEADER + p.len() as u64;
    }
    Ok((records, offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_names_round_trip_and_ignore_other_files() {
        let p = segment_path(Path::new("/s"), 42);
        let name = p.file_name().unwrap().to_str().unwrap();
        assert_eq!(name, "00000000000000000042.seg");
        assert_eq!(parse_segment_name(name), Some(42));
        assert_eq!(parse_segment_name("spool.meta"), None);
        assert_eq!(parse_segment_name("42.seg"), None);
    }
}
