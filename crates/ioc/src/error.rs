//! What can go wrong: a whole file that cannot be read ([`Error`]) and a single line that cannot be used
//! ([`Rejected`], with its [`Location`] and [`Problem`]).

use std::fmt;

use serde::Serialize;

/// Where in a file something was read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Location {
    /// A 1-based line of a text or CSV file, or row of a worksheet.
    Line(usize),
    /// A path inside a JSON document, e.g. `objects[3].pattern` or `Event.Attribute[7]`.
    Path(String),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Line(n) => write!(f, "line {n}"),
            Self::Path(p) => f.write_str(p),
        }
    }
}

/// Why one value cannot be used. The `Display` text is the message for the user; [`Problem::code`] is stable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Problem {
    /// Nothing where an indicator was expected.
    #[error("no indicator value")]
    Empty,
    /// Not an IPv4/IPv6 address.
    #[error("not an IP address")]
    BadAddress,
    /// A CIDR prefix that is not a number or too long for the address family.
    #[error("invalid CIDR prefix")]
    BadPrefix,
    /// An `a-b` range whose ends are not addresses of one family in order.
    #[error("invalid address range (both ends must be addresses of one family, first <= last)")]
    BadRange,
    /// A port that is not 0–65535.
    #[error("invalid port (0-65535)")]
    BadPort,
    /// A URL without a scheme or host.
    #[error("invalid URL")]
    BadUrl,
    /// Not a domain name.
    #[error("invalid domain name")]
    BadDomain,
    /// Not 32, 40 or 64 hexadecimal digits.
    #[error("invalid file hash (expected MD5, SHA-1 or SHA-256 in hexadecimal)")]
    BadHash,
    /// A date in no known form (dd/mm/yyyy, yyyy-mm-dd, with or without time).
    #[error("invalid date")]
    BadDate,
    /// Text that is no kind of indicator.
    #[error("not an IP address, CIDR range, domain, URL or file hash")]
    NotAnIndicator,
    /// A STIX pattern this engine does not read (only equality/ISSUBSET on addresses, domains, URLs, hashes).
    #[error("unsupported STIX pattern")]
    UnsupportedPattern,
    /// A MISP attribute type that carries no network or file indicator.
    #[error("unsupported attribute type {0}")]
    UnsupportedType(String),
    /// A regular expression that does not compile.
    #[error("invalid regular expression")]
    BadPattern,
    /// A JSON object without a field it needs.
    #[error("missing field {0}")]
    MissingField(String),
}

impl Problem {
    /// A stable code (e.g. `bad_address`) for translations and for scripts.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::BadAddress => "bad_address",
            Self::BadPrefix => "bad_prefix",
            Self::BadRange => "bad_range",
            Self::BadPort => "bad_port",
            Self::BadUrl => "bad_url",
            Self::BadDomain => "bad_domain",
            Self::BadHash => "bad_hash",
            Self::BadDate => "bad_date",
            Self::NotAnIndicator => "not_an_indicator",
            Self::UnsupportedPattern => "unsupported_pattern",
            Self::UnsupportedType(_) => "unsupported_type",
            Self::BadPattern => "bad_pattern",
            Self::MissingField(_) => "missing_field",
        }
    }
}

/// A line or item that was not imported, and why. Displayed as `line 12, column "Địa chỉ IP": not an IP
/// address: "10.0.0.300"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejected {
    /// Where it is.
    pub at: Location,
    /// The column or field, when the format has them.
    pub field: Option<String>,
    /// The offending text (cut to 200 characters).
    pub value: String,
    /// Why.
    pub problem: Problem,
}

impl Rejected {
    pub(crate) fn new(at: Location, field: Option<&str>, value: &str, problem: Problem) -> Self {
        Self {
            at,
            field: field.map(str::to_string),
            value: value.chars().take(200).collect(),
            problem,
        }
    }
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.at)?;
        if let Some(field) = &self.field {
            write!(f, ", column {field:?}")?;
        }
        write!(f, ": {}: {:?}", self.problem, self.value)
    }
}

/// Why a whole file cannot be imported (nothing of it is kept).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file holds nothing but whitespace, or the worksheet is empty.
    #[error("the file is empty")]
    Empty,
    /// The table could not be read (bad workbook, malformed CSV, missing worksheet).
    #[error(transparent)]
    Table(#[from] canhgac_tabular::Error),
    /// A table in which no column holds indicators (no IP, domain, URL or hash column, by header or content).
    #[error("no column of IP addresses, domains, URLs or hashes was found (give the column mapping)")]
    NoIndicatorColumn,
    /// A column mapping naming a column the table does not have.
    #[error("the mapping names column {column} but the table has {width} columns")]
    BadMapping {
        /// The 0-based column asked.
        column: usize,
        /// How many columns the header has.
        width: usize,
    },
    /// JSON that cannot be parsed, with its line and column.
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser said.
        message: String,
    },
    /// JSON that is neither a STIX 2.1 bundle nor a MISP event.
    #[error("JSON that is neither a STIX 2.1 bundle nor a MISP event")]
    UnknownJson,
    /// Text that is mostly not indicators (binary junk, a document): refused whole rather than reporting
    /// every line.
    #[error("the file does not look like an indicator list: {rejected} of the first {sampled} lines are not indicators")]
    NotAList {
        /// Lines looked at.
        sampled: usize,
        /// How many of them were rejected.
        rejected: usize,
    },
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Self::Json {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        }
    }
}

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
