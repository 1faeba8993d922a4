//! Splitting a syslog byte stream into messages: octet counting (RFC 6587 §3.4.1, `LEN SP MSG`) and newline
//! framing (LF, CRLF or NUL), recognised per frame as senders may mix them.
//!
//! [`FrameDecoder`] takes bytes as they arrive and hands out whole frames; memory is bounded by
//! [`FrameDecoder::max_frame`]: a longer frame is reported as an error and skipped, never buffered.
//!
//! ```
//! use canhgac_logs::collect::framing::FrameDecoder;
//! let mut decoder = FrameDecoder::new(64 * 1024);
//! decoder.push(b"11 <13>1 - - -9 <13>hello<14>plain\r\n");
//! let frames: Vec<_> = std::iter::from_fn(|| decoder.next_frame()).collect::<Result<_, _>>().unwrap();
//! assert_eq!(frames.iter().map(|f| f.data.as_slice()).collect::<Vec<_>>(), [&b"<13>1 - - -"[..], b"<13>hello", b"<14>plain"]);
//! ```

use crate::error::Error;

/// One message taken from a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Byte offset of the frame in the stream.
    pub offset: u64,
    /// The message bytes (without the length prefix or the line terminator).
    pub data: Vec<u8>,
}

/// Incremental frame decoder for one connection.
#[derive(Debug)]
pub struct FrameDecoder {
    buffer: Vec<u8>,
    /// Stream offset of `buffer[0]`.
    offset: u64,
    max_frame: usize,
    /// Bytes still to discard of a frame that was too long.
    skipping: Option<Skip>,
}

#[derive(Debug, Clone, Copy)]
enum Skip {
    Bytes(usize),
    ToNewline,
}

impl FrameDecoder {
    /// A decoder that refuses frames longer than `max_frame` bytes.
    pub fn new(max_frame: usize) -> Self {
        Self {
            buffer: Vec::new(),
            offset: 0,
            max_frame,
            skipping: None,
        }
    }

    /// The longest frame accepted.
    pub fn max_frame(&self) -> usize {
        self.max_frame
    }

    /// Bytes waiting for the rest of their frame.
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// Adds received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    fn consume(&mut self, n: usize) {
        self.buffer.drain(..n);
        self.offset += n as u64;
    }

    /// The next whole frame, an error for a malformed or oversized one (the decoder resynchronises after it),
    /// or `None` until more bytes arrive.
    pub fn next_frame(&mut self) -> Option<Result<Frame, Error>> {
        loop {
            if let Some(skip) = self.skipping {
                if !self.skip(skip) {
                    return None;
                }
                continue;
            }
            let first = *self.buffer.first()?;
            if matches!(first, b'\n' | b'\r' | b'\0' | b' ') {
                self.consume(1);
                continue;
            }
            return if first.is_ascii_digit() {
                self.octet_counted()
            } else {
                self.line()
            };
        }
    }

    /// Discards what remains of a refused frame; false when more bytes are needed.
    fn skip(&mut self, skip: Skip) -> bool {
        match skip {
            Skip::Bytes(n) => {
                let take = n.min(self.buffer.len());
                self.consume(take);
                if take == n {
                    self.skipping = None;
                    true
                } else {
                    self.skipping = Some(Skip::Bytes(n - take));
                    false
                }
            }
            Skip::ToNewline => match self.buffer.iter().position(|b| *b == b'\n') {
                Some(end) => {
                    self.consume(end + 1);
                    self.skipping = None;
                    true
                }
                None => {
                    let len = self.buffer.len();
                    self.consume(len);
                    false
                }
            },
        }
    }

    fn octet_counted(&mut self) -> Option<Result<Frame, Error>> {
        let digits = self.buffer.iter().take_while(|b| b.is_ascii_digit()).count();
        let offset = self.offset;
        if digits == self.buffer.len() && digits <= 10 {
            return None;
        }
        let length = std::str::from_utf8(&self.buffer[..digits])
            .ok()
            .and_then(|d| d.parse::<usize>().ok());
        let error = |reason: String| Some(Err(Error::Frame { offset, reason }));
        match (length, self.buffer.get(digits)) {
            (Some(length), Some(b' ')) if length <= self.max_frame => {
                let end = digits + 1 + length;
                if self.buffer.len() < end {
                    return None;
                }
                let data = self.buffer[digits + 1..end].to_vec();
                self.consume(end);
                Some(Ok(Frame { offset, data }))
            }
            (Some(length), Some(b' ')) => {
                self.consume(digits + 1);
                self.skipping = Some(Skip::Bytes(length));
                error(format!(
                    "octet-counted frame of {length} bytes is longer than the limit of {}",
                    self.max_frame
                ))
            }
            _ => {
                self.skipping = Some(Skip::ToNewline);
                error("a frame starting with a digit must be `LENGTH SP MESSAGE` (octet counting)".to_owned())
            }
        }
    }

    fn line(&mut self) -> Option<Result<Frame, Error>> {
        let offset = self.offset;
        match self.buffer.iter().position(|b| *b == b'\n' || *b == b'\0') {
            Some(end) if end <= self.max_frame => {
                let mut data = self.buffer[..end].to_vec();
                if data.last() == Some(&b'\r') {
                    data.pop();
                }
                self.consume(end + 1);
                Some(Ok(Frame { offset, data }))
            }
            None if self.buffer.len() <= self.max_frame => None,
            _ => {
                self.skipping = Some(Skip::ToNewline);
                let reason = format!("line longer than the limit of {} bytes", self.max_frame);
                Some(Err(Error::Frame { offset, reason }))
            }
        }
    }

    /// At the end of the stream: the last line if it had no terminator, or an error for a cut octet-counted frame.
    pub fn finish(&mut self) -> Option<Result<Frame, Error>> {
        if let Some(frame) = self.next_frame() {
            return Some(frame);
        }
        if self.buffer.is_empty() || self.skipping.is_some() {
            return None;
        }
        let offset = self.offset;
        let rest = std::mem::take(&mut self.buffer);
        self.offset += rest.len() as u64;
        if rest.first().is_some_and(u8::is_ascii_digit) {
            let reason = format!(
                "stream ends inside an octet-counted frame ({} bytes received)",
                rest.len()
            );
            return Some(Err(Error::Frame { offset, reason }));
        }
        Some(Ok(Frame { offset, data: rest }))
    }
}
