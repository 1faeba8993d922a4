//! The stored form of a quarantined file: a fixed header, then the content XORed with a keystream derived from the
//! entry's random key (SHA-256 of key and block counter), so the stored bytes neither run nor match signatures.

use std::io::{self, Read, Write};

use sha2::{Digest, Sha256};

/// First bytes of every stored file: not a valid header of any executable format.
pub(crate) const MAGIC: &[u8; 16] = b"CANHGAC-QUAR-1\r\n";

/// Bytes of the per-entry key.
pub(crate) const KEY_LEN: usize = 32;

/// The keystream: block `n` is SHA-256(key ‖ n as u64 little-endian).
struct Keystream {
    key: [u8; KEY_LEN],
    block: [u8; 32],
    counter: u64,
    pos: usize,
}

impl Keystream {
    fn new(key: [u8; KEY_LEN]) -> Self {
        Self {
            key,
            block: [0; 32],
            counter: 0,
            pos: 32,
        }
    }

    fn apply(&mut self, data: &mut [u8]) {
        for b in data {
            if self.pos == self.block.len() {
                let mut h = Sha256::new();
                h.update(self.key);
                h.update(self.counter.to_le_bytes());
                self.block = h.finalize().into();
                self.counter += 1;
                self.pos = 0;
            }
            *b ^= self.block[self.pos];
            self.pos += 1;
        }
    }
}

/// Which side of a copy failed.
#[derive(Debug)]
pub(crate) enum CopyError {
    Read(io::Error),
    Write(io::Error),
}

/// What a copy saw: bytes and SHA-256 of the plain content.
pub(crate) struct Copied {
    pub(crate) size: u64,
    pub(crate) sha256: [u8; 32],
}

/// Direction of [`copy`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Plain content in, stored form out (the header is written first).
    Encode,
    /// Stored form in (after its header), plain content out.
    Decode,
}

/// Copies `from` to `to` through the keystream, hashing the plain side.
pub(crate) fn copy(
    from: &mut impl Read,
    to: &mut impl Write,
    key: [u8; KEY_LEN],
    direction: Direction,
) -> Result<Copied, CopyError> {
    if direction == Direction::Encode {
        to.write_all(MAGIC).map_err(CopyError::Write)?;
    }
    let mut stream = Keystream::new(key);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyError::Read(e)),
        };
        let chunk = &mut buf[..n];
        if direction == Direction::Encode {
            hasher.update(&*chunk);
        }
        stream.apply(chunk);
        if direction == Direction::Decode {
            hasher.update(&*chunk);
        }
        to.write_all(chunk).map_err(CopyError::Write)?;
        size += n as u64;
    }
    Ok(Copied {
        size,
        sha256: hasher.finalize().into(),
    })
}

/// Reads and checks the header of a stored file; false when it is not one.
pub(crate) fn read_magic(from: &mut impl Read) -> io::Result<bool> {
    let mut head = [0u8; MAGIC.len()];
    match from.read_exact(&mut head) {
        Ok(()) => Ok(&head == MAGIC),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_then_decode_is_the_identity_and_hashes_the_plain_side() {
        let plain: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let key = [7u8; KEY_LEN];
        let mut stored = Vec::new();
        let enc = copy(&mut plain.as_slice(), &mut stored, key, Direction::Encode).unwrap();
        assert_eq!(enc.size, plain.len() as u64);
        assert_eq!(&stored[..MAGIC.len()], MAGIC);
        assert_ne!(&stored[MAGIC.len()..MAGIC.len() + 64], &plain[..64]);
        let mut body = &stored[..];
        assert!(read_magic(&mut body).unwrap());
        let mut back = Vec::new();
        let dec = copy(&mut body, &mut back, key, Direction::Decode).unwrap();
        assert_eq!(back, plain);
        assert_eq!(dec.sha256, enc.sha256);
        assert_eq!(enc.sha256, <[u8; 32]>::from(Sha256::digest(&plain)));
    }

    #[test]
    fn another_key_gives_other_bytes() {
        let plain = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR";
        let (mut a, mut b) = (Vec::new(), Vec::new());
        copy(&mut &plain[..], &mut a, [1; KEY_LEN], Direction::Encode).unwrap();
        copy(&mut &plain[..], &mut b, [2; KEY_LEN], Direction::Encode).unwrap();
        assert_ne!(a, b);
        assert!(!a.windows(5).any(|w| w == b"EICAR"));
    }
}
