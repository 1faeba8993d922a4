//! Errors of the agent's host-side library.

use std::path::PathBuf;

/// What went wrong while collecting, following or spooling.
///
/// Per-line problems in files read for the inventory are not errors: they are kept as warnings on the
/// [`crate::Inventory`] so one bad line does not lose the rest.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or folder could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done (`reading`, `writing`, `renaming`…).
        action: &'static str,
        /// The path concerned.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file of ours (state file, spool metadata) does not parse.
    #[error("{path}: line {line}: {message}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// 1-based line (0 when unknown).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A batch is larger than the spool may hold at all.
    #[error("a batch of {size} bytes exceeds the spool's limit of {limit} bytes")]
    TooLarge {
        /// Size of the batch.
        size: u64,
        /// The limit it exceeds.
        limit: u64,
    },
    /// `ack` was called without a batch peeked, or the peeked batch was dropped since (spool full).
    #[error(
        "nothing to acknowledge: no batch was peeked, or it was dropped since because the spool was full"
    )]
    NothingToAck,
    /// A configuration value is out of range.
    #[error("invalid setting {name}: {message}")]
    Config {
        /// The setting.
        name: &'static str,
        /// Why it is refused.
        message: String,
    },
    /// An external command (such as `rpm`) failed.
    #[error("running {command}: {message}")]
    Command {
        /// The command line.
        command: String,
        /// What failed.
        message: String,
    },
    /// The server could not be reached (connection, TLS, timeout).
    #[error("cannot reach {url}: {message}")]
    Unreachable {
        /// The address called.
        url: String,
        /// What failed.
        message: String,
    },
    /// The server answered with an error status.
    #[error("{url} answered {status}: {message}")]
    Refused {
        /// The address called.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The server's message.
        message: String,
    },
}

impl Error {
    /// An [`Error::Io`] for `path`.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
