//! The crate's error type: every variant names the input (file or document) and the place in it.

/// Where a problem was found: the source name (usually a file name) and, when known, a line or element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file or document name given by the caller.
    pub source: String,
    /// 1-based line, when the format has lines.
    pub line: Option<usize>,
    /// Element, field or JSON path, when known.
    pub element: Option<String>,
}

impl Location {
    /// A location naming only the source.
    pub fn source(source: &str) -> Self {
        Self {
            source: source.to_owned(),
            line: None,
            element: None,
        }
    }

    /// A location with a line number.
    pub fn line(source: &str, line: usize) -> Self {
        Self {
            source: source.to_owned(),
            line: Some(line),
            element: None,
        }
    }

    /// Adds the element or field name.
    #[must_use]
    pub fn with_element(mut self, element: impl Into<String>) -> Self {
        self.element = Some(element.into());
        self
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.source)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(element) = &self.element {
            write!(f, " ({element})")?;
        }
        Ok(())
    }
}

/// Errors from parsing advisories and inventories.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not well-formed XML.
    #[error("{at}: malformed XML: {message}")]
    Xml {
        /// Where.
        at: Location,
        /// The parser's message.
        message: String,
    },
    /// The input is not well-formed JSON.
    #[error("{at}: malformed JSON: {message}")]
    Json {
        /// Where.
        at: Location,
        /// The parser's message.
        message: String,
    },
    /// Well-formed, but not the expected document shape.
    #[error("{at}: {message}")]
    Schema {
        /// Where.
        at: Location,
        /// What was expected.
        message: String,
    },
    /// A compressed input that does not decompress.
    #[error("{at}: cannot decompress: {message}")]
    Decompress {
        /// Where.
        at: Location,
        /// The decoder's message.
        message: String,
    },
    /// An input larger than the configured limit.
    #[error("{at}: {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// Where.
        at: Location,
        /// Actual size.
        size: usize,
        /// Limit.
        limit: usize,
    },
    /// The format of the input could not be recognised.
    #[error("{at}: unrecognised format: {message}")]
    UnknownFormat {
        /// Where.
        at: Location,
        /// What was seen.
        message: String,
    },
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The 1-based line number of byte offset `pos` in `bytes`.
pub(crate) fn line_of(bytes: &[u8], pos: usize) -> usize {
    let end = pos.min(bytes.len());
    bytes[..end].iter().filter(|&&b| b == b'\n').count() + 1
}
