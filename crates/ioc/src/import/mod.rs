//! Importers: bytes of a list as it arrived → [`Imported`] entries and [`Rejected`] lines.
//!
//! [`import`] recognises the format (XLSX by signature, STIX or MISP by their JSON, CSV by extension or a
//! recognisable header, otherwise plain text) unless [`ImportOptions::format`] says it. Tables go through
//! `canhgac-tabular` (encodings, delimiters, worksheets, title rows) and a [`ColumnMap`] that is returned so a
//! console can show it for confirmation and import again with [`ImportOptions::mapping`].

mod columns;
mod dates;
mod lines;
mod misp;
mod stix;
mod table;

use serde::Serialize;

pub use columns::{column_of, Column, ColumnMap};
pub use dates::{parse_date, DateOrder};

use crate::indicator::{Category, Entry, List};
use crate::{Error, Rejected, Result};

/// A list's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Format {
    /// One indicator a line.
    Text,
    /// CSV (any delimiter and encoding).
    Csv,
    /// An XLSX workbook.
    Xlsx,
    /// A STIX 2.1 bundle.
    Stix,
    /// A MISP event.
    Misp,
}

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The format; recognised from the bytes when `None`.
    pub format: Option<Format>,
    /// The column mapping of a table (as returned by a previous import and corrected by the user); detected
    /// when `None`.
    pub mapping: Option<ColumnMap>,
    /// The worksheet of a workbook.
    pub sheet: canhgac_tabular::Sheet,
    /// The category given to entries whose file says none (e.g. infected host for the national Botnet IP list).
    pub default_category: Category,
}

/// What an import read: the entries kept and the lines refused, with the mapping used for tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Imported {
    /// The format read.
    pub format: Format,
    /// Every good entry, in file order.
    pub entries: Vec<Entry>,
    /// Every refused line, with its place and reason.
    pub rejected: Vec<Rejected>,
    /// Items that carry no indicator by nature (MISP `comment`, `text` attributes), counted.
    pub informational: usize,
    /// The column mapping used (tables only).
    pub mapping: Option<ColumnMap>,
}

impl Imported {
    fn new(format: Format) -> Self {
        Self {
            format,
            entries: Vec::new(),
            rejected: Vec::new(),
            informational: 0,
            mapping: None,
        }
    }

    /// Makes the entries a dated list version.
    pub fn into_list(self, name: &str, source: &str, version: &str) -> List {
        List {
            name: name.to_string(),
            source: source.to_string(),
            version: version.to_string(),
            kind: crate::ListKind::default(),
            default_category: Category::Unknown,
            entries: self.entries,
        }
    }
}

/// Imports a list from `bytes` named `file_name`. Fails as a whole only when the file cannot be read as any
/// list (then nothing is kept); otherwise every good line is in [`Imported::entries`] and every bad one in
/// [`Imported::rejected`].
pub fn import(file_name: &str, bytes: &[u8], options: &ImportOptions) -> Result<Imported> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::Empty);
    }
    let format = options.format.unwrap_or_else(|| detect(file_name, bytes));
    let table_options = canhgac_tabular::Options {
        sheet: options.sheet.clone(),
        ..Default::default()
    };
    let mut out = match format {
        Format::Xlsx => table::read_grid(
            &canhgac_tabular::read_xlsx(bytes, &table_options)?,
            options.mapping.as_ref(),
            Format::Xlsx,
        )?,
        Format::Csv => table::read_grid(
            &canhgac_tabular::read_csv(&canhgac_tabular::decode(bytes), &table_options)?,
            options.mapping.as_ref(),
            Format::Csv,
        )?,
        Format::Text => {
            let text = canhgac_tabular::decode(bytes);
            if text.contains('\0') {
                return Err(Error::NotAList {
                    sampled: 0,
                    rejected: 0,
                });
            }
            lines::read_lines(&text)?
        }
        Format::Stix | Format::Misp => {
            let doc: serde_json::Value = serde_json::from_str(&canhgac_tabular::decode(bytes))?;
            if is_stix(&doc) {
                stix::read_bundle(&doc)
            } else if is_misp(&doc) {
                misp::read_events(&doc)
            } else {
                return Err(Error::UnknownJson);
            }
        }
    };
    if options.default_category != Category::Unknown {
        for e in out
            .entries
            .iter_mut()
            .filter(|e| e.meta.category == Category::Unknown)
        {
            e.meta.category = options.default_category.clone();
        }
    }
    Ok(out)
}

fn is_stix(doc: &serde_json::Value) -> bool {
    doc.get("type").and_then(|t| t.as_str()) == Some("bundle")
        || doc.get("objects").is_some_and(|o| o.is_array())
}

fn is_misp(doc: &serde_json::Value) -> bool {
    match doc {
        serde_json::Value::Array(a) => a.first().is_some_and(|e| e.get("Event").is_some()),
        other => other.get("Event").is_some() || other.get("Attribute").is_some(),
    }
}

/// The format of `bytes` named `file_name`.
pub fn detect(file_name: &str, bytes: &[u8]) -> Format {
    if canhgac_tabular::is_xlsx(file_name, bytes) {
        return Format::Xlsx;
    }
    let head = canhgac_tabular::decode(&bytes[..bytes.len().min(64 * 1024)]);
    let start = head.trim_start_matches('\u{feff}').trim_start();
    if start.starts_with('{') || start.starts_with('[') && !start.starts_with("[.") {
        return if start.contains("\"Event\"") || start.contains("\"Attribute\"") {
            Format::Misp
        } else {
            Format::Stix
        };
    }
    let lower = file_name.to_lowercase();
    if lower.ends_with(".csv") || lower.ends_with(".tsv") {
        return Format::Csv;
    }
    // A text file with a recognisable header row (e.g. "ip;botnet;date" saved as .txt) is a table.
    let sample: String = head.lines().take(20).collect::<Vec<_>>().join("\n");
    match canhgac_tabular::read_csv(&sample, &canhgac_tabular::Options::default()) {
        Ok(grid) if columns::detect_header(&grid).is_some_and(|i| grid.rows[i].cells.len() > 1) => {
            Format::Csv
        }
        _ => Format::Text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_recognised() {
        assert_eq!(
            detect("drop.txt", b"; Spamhaus DROP\n1.10.16.0/20 ; SBL1\n"),
            Format::Text
        );
        assert_eq!(
            detect(
                "botnet.txt",
                "Địa chỉ IP;Tên mạng botnet\n1.2.3.4;Mirai\n".as_bytes()
            ),
            Format::Csv
        );
        assert_eq!(
            detect("list", b"ip\n1.2.3.4\n"),
            Format::Text,
            "one column: plain text reads it"
        );
        assert_eq!(detect("x.csv", b"1.2.3.4\n"), Format::Csv);
        assert_eq!(
            detect("b.json", br#"{"type": "bundle", "objects": []}"#),
            Format::Stix
        );
        assert_eq!(
            detect("e.json", br#"  {"Event": {"Attribute": []}}"#),
            Format::Misp
        );
        assert_eq!(detect("x.bin", b"PK\x03\x04rest"), Format::Xlsx);
        assert_eq!(detect("defanged.txt", b"[.]evil.example\n"), Format::Text);
    }
}
