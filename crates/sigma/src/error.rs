//! Errors: each names the place (file, document, rule, key) and the reason.

use std::path::PathBuf;

/// A result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a rule, a document or a mapping could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or folder could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The text is not valid YAML.
    #[error("{origin}: YAML: {message}")]
    Yaml {
        /// File name or other origin of the text.
        origin: String,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A rule is malformed (missing or wrongly typed key, bad condition, bad regex …).
    #[error("{origin} document {document}{}: {place}: {reason}", rule_suffix(.rule))]
    Invalid {
        /// File name or other origin.
        origin: String,
        /// 1-based index of the YAML document in the file.
        document: usize,
        /// The rule's title or id, when known.
        rule: Option<String>,
        /// Where in the rule (e.g. `detection.selection.Image|foo`).
        place: String,
        /// What is wrong.
        reason: String,
    },
    /// A rule uses a construct this engine does not implement.
    #[error("{origin} document {document}{}: {place}: unsupported: {what}", rule_suffix(.rule))]
    Unsupported {
        /// File name or other origin.
        origin: String,
        /// 1-based index of the YAML document in the file.
        document: usize,
        /// The rule's title or id, when known.
        rule: Option<String>,
        /// Where in the rule.
        place: String,
        /// The construct.
        what: String,
    },
    /// The log-source mapping file is malformed.
    #[error("log-source mapping {origin}: {reason}")]
    Mapping {
        /// File name or `embedded`.
        origin: String,
        /// What is wrong.
        reason: String,
    },
}

fn rule_suffix(rule: &Option<String>) -> String {
    rule.as_ref()
        .map(|r| format!(" (rule `{r}`)"))
        .unwrap_or_default()
}

/// A problem found inside one rule, before the file it came from is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub place: String,
    pub reason: String,
    pub unsupported: bool,
}

impl Problem {
    pub(crate) fn invalid(place: impl Into<String>, reason: impl Into<String>) -> Problem {
        Problem {
            place: place.into(),
            reason: reason.into(),
            unsupported: false,
        }
    }

    pub(crate) fn unsupported(place: impl Into<String>, what: impl Into<String>) -> Problem {
        Problem {
            place: place.into(),
            reason: what.into(),
            unsupported: true,
        }
    }

    pub(crate) fn into_error(self, origin: &str, document: usize, rule: Option<String>) -> Error {
        let origin = origin.to_string();
        if self.unsupported {
            Error::Unsupported {
                origin,
                document,
                rule,
                place: self.place,
                what: self.reason,
            }
        } else {
            Error::Invalid {
                origin,
                document,
                rule,
                place: self.place,
                reason: self.reason,
            }
        }
    }
}
