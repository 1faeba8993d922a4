//! Errors: every one names where the bad input is (file, record, line, column or byte offset) and why.

use std::fmt;
use std::path::PathBuf;

/// A problem inside one line or frame of text: the 1-based column (byte) where it was noticed and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based byte column in the line where the problem was found (1 when it concerns the whole line).
    pub column: usize,
    /// What is wrong, for a person.
    pub reason: String,
}

impl ParseError {
    /// A problem at `column` (1-based).
    pub fn new(column: usize, reason: impl Into<String>) -> Self {
        Self {
            column,
            reason: reason.into(),
        }
    }

    /// A problem with the line as a whole (column 1).
    pub fn whole(reason: impl Into<String>) -> Self {
        Self::new(1, reason)
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.reason)
    }
}

impl std::error::Error for ParseError {}

/// Errors of the log parsers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be opened or is not an EVTX file at all (bad file header).
    #[error("{}: cannot open: {reason}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// One EVTX record (or a whole chunk of them) could not be read or converted; the other records are kept.
    #[error("{}: {}: {reason}", path.display(), RecordPlace(*record_id))]
    Record {
        /// The file.
        path: PathBuf,
        /// The record's `EventRecordID` when it is known (not for a chunk that fails as a whole).
        record_id: Option<u64>,
        /// Why.
        reason: String,
    },
    /// One line of a text log could not be parsed; the other lines are kept.
    #[error("{source_name}: line {line}, {error}")]
    Line {
        /// The file or stream the line came from.
        source_name: String,
        /// 1-based line number.
        line: u64,
        /// Where in the line, and why.
        error: ParseError,
    },
    /// One JSON document of a stream of documents is not a Windows event; `end` is the byte offset where the
    /// document ends (documents may span lines).
    #[error("{source_name}: document ending at byte {end}, {error}")]
    Document {
        /// The file or stream.
        source_name: String,
        /// Byte offset just past the document.
        end: u64,
        /// Why (the column is within the document's first line).
        error: ParseError,
    },
    /// A frame of a syslog stream is malformed (octet counting); `offset` is the byte offset of the frame.
    #[error("frame at byte {offset}: {reason}")]
    Frame {
        /// Byte offset of the frame's start in the stream.
        offset: u64,
        /// Why.
        reason: String,
    },
    /// Reading failed.
    #[error("{source_name}: {source}")]
    Io {
        /// The file or stream.
        source_name: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

struct RecordPlace(Option<u64>);

impl fmt::Display for RecordPlace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(id) => write!(f, "record {id}"),
            None => f.write_str("chunk"),
        }
    }
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
