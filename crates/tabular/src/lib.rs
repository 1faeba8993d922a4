//! Tables from uploaded bytes, as people really send them: CSV in UTF-8 (with or without BOM), UTF-16 or
//! Windows-1258 with `,` `;` or tab as delimiter, and XLSX workbooks. No I/O: everything starts from bytes.
//!
//! The result is a [`Grid`]: rows of text cells, each row with the line (CSV) or row (XLSX) number the user's
//! editor shows, so that every later error can name its place. Title rows above the header are common in
//! Vietnamese spreadsheets; [`Grid::find_header`] skips them.
//!
//! ```
//! use canhgac_tabular::{read, Options};
//!
//! let bytes = "DANH SÁCH;;\nTên máy;Địa chỉ IP\nPC-1;10.0.0.1\n".as_bytes();
//! let grid = read("list.csv", bytes, &Options::default()).unwrap();
//! let header = grid.find_header(20, |cells| cells.iter().any(|c| c == "Địa chỉ IP")).unwrap();
//! assert_eq!(header, 1);
//! assert_eq!(grid.rows[2].line, 3);
//! assert_eq!(grid.rows[2].cells, ["PC-1", "10.0.0.1"]);
//! ```
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod csv_grid;
mod text;
mod xlsx;

pub use csv_grid::{read_csv, sniff_delimiter};
pub use text::decode;
pub use xlsx::{read_xlsx, sheet_names};

/// One row of a table: its 1-based line (CSV) or row (XLSX) number and its cells as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The line or row number, 1-based, as the user's editor or spreadsheet shows it.
    pub line: usize,
    /// The cells, trimmed of nothing: callers decide what whitespace means.
    pub cells: Vec<String>,
}

impl Row {
    /// Whether every cell is empty or whitespace.
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.trim().is_empty())
    }
}

/// A table read from a file: rows in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grid {
    /// Every row, blank ones included (their line numbers keep later rows' numbers right).
    pub rows: Vec<Row>,
}

impl Grid {
    /// Whether the table has no row with any non-blank cell.
    pub fn is_blank(&self) -> bool {
        self.rows.iter().all(Row::is_blank)
    }

    /// The index in [`Grid::rows`] of the header: the first row among the first `within` rows whose cells satisfy
    /// `is_header`. Rows before it are title rows (a merged "DANH SÁCH …" block, a date line) and are skipped.
    pub fn find_header(&self, within: usize, is_header: impl Fn(&[String]) -> bool) -> Option<usize> {
        self.rows.iter().take(within).position(|r| is_header(&r.cells))
    }
}

/// Which worksheet of a workbook to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Sheet {
    /// The first worksheet.
    #[default]
    First,
    /// The worksheet at this 0-based position.
    Index(usize),
    /// The worksheet with this name.
    Named(String),
}

/// How to read a table.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Refuse the file with [`Error::TooManyRows`] once it has more rows than this.
    pub max_rows: Option<usize>,
    /// The worksheet of an XLSX workbook.
    pub sheet: Sheet,
    /// The CSV delimiter; sniffed from the first non-blank line when `None`.
    pub delimiter: Option<u8>,
}

/// Why a whole file cannot be read as a table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file holds nothing but whitespace (or the workbook has no worksheet).
    #[error("the file is empty")]
    Empty,
    /// The file has more rows than [`Options::max_rows`].
    #[error("the file has more than {limit} rows")]
    TooManyRows {
        /// The limit that was passed.
        limit: usize,
    },
    /// The workbook cannot be opened or its worksheet read.
    #[error("the workbook cannot be read: {0}")]
    Xlsx(String),
    /// The asked worksheet does not exist.
    #[error("the workbook has no worksheet {0}")]
    NoSuchSheet(String),
    /// The CSV text is malformed at `line`.
    #[error("line {line}: {message}")]
    Csv {
        /// The 1-based line of the problem.
        line: usize,
        /// What the CSV reader said.
        message: String,
    },
}

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Whether `bytes` named `file_name` is an XLSX workbook (by its `.xlsx` name or its zip signature).
pub fn is_xlsx(file_name: &str, bytes: &[u8]) -> bool {
    file_name.to_lowercase().ends_with(".xlsx") || bytes.starts_with(b"PK\x03\x04")
}

/// Reads `bytes` named `file_name` as a table: XLSX when [`is_xlsx`], otherwise decoded text ([`decode`]) read as
/// CSV. A file of only whitespace is [`Error::Empty`].
pub fn read(file_name: &str, bytes: &[u8], options: &Options) -> Result<Grid> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::Empty);
    }
    if is_xlsx(file_name, bytes) {
        read_xlsx(bytes, options)
    } else {
        read_csv(&decode(bytes), options)
    }
}

fn check_rows(count: usize, options: &Options) -> Result<()> {
    match options.max_rows {
        Some(limit) if count > limit => Err(Error::TooManyRows { limit }),
        _ => Ok(()),
    }
}
