//! Asset spreadsheets (CSV in any common encoding and delimiter, XLSX) → validated rows, with every bad row
//! reported by its line and reason. Headers may be English or Vietnamese.

use canhgac_model::{AssetFields, AssetInput, FieldError};
use canhgac_tabular::{Grid, Row};
use serde::Serialize;

/// Rows beyond this are refused (split the file).
pub const MAX_ROWS: usize = 50_000;

/// A row that cannot be imported.
#[derive(Debug, Clone, Serialize)]
pub struct RowError {
    /// The line (CSV) or row (XLSX) number, 1-based, as the user's editor shows it.
    pub line: usize,
    pub field: String,
    /// Translation key.
    pub code: String,
    pub value: Option<String>,
}

/// The result of reading a file, before anything is written.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Preview {
    pub rows: Vec<(usize, AssetFields)>,
    pub errors: Vec<RowError>,
    /// Header cells that match no field (ignored, shown to the user).
    pub ignored_columns: Vec<String>,
}

/// Why a whole file cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    #[error("err.file_empty")]
    Empty,
    #[error("err.file_no_header")]
    NoHeader,
    #[error("err.file_too_many_rows")]
    TooManyRows,
    #[error("err.file_xlsx")]
    Xlsx(String),
    #[error("err.file_csv")]
    Csv(String),
}

const ALIASES: &[(&str, &[&str])] = &[
    (
        "hostname",
        &[
            "hostname",
            "host",
            "host name",
            "computer name",
            "computername",
            "tên máy",
            "tên máy tính",
            "ten may",
            "name",
            "tên",
        ],
    ),
    (
        "ips",
        &[
            "ip",
            "ips",
            "ip address",
            "ip addresses",
            "địa chỉ ip",
            "dia chi ip",
            "ipaddress",
        ],
    ),
    ("mac", &["mac", "mac address", "địa chỉ mac", "macaddress"]),
    ("os", &["os", "operating system", "hệ điều hành", "he dieu hanh"]),
    (
        "os_version",
        &[
            "os version",
            "os_version",
            "version",
            "phiên bản",
            "phiên bản hđh",
            "phien ban",
        ],
    ),
    ("kind", &["kind", "type", "loại", "loai", "loại thiết bị"]),
    ("role", &["role", "function", "vai trò", "chức năng", "chuc nang"]),
    (
        "criticality",
        &[
            "criticality",
            "importance",
            "mức độ quan trọng",
            "mức quan trọng",
            "muc do quan trong",
        ],
    ),
    (
        "location",
        &["location", "vị trí", "vi tri", "khoa/phòng", "phòng"],
    ),
    (
        "owner",
        &[
            "owner",
            "người phụ trách",
            "người quản lý",
            "người sử dụng",
            "nguoi phu trach",
        ],
    ),
    ("notes", &["notes", "note", "ghi chú", "ghi chu"]),
    ("tags", &["tags", "tag", "nhãn", "nhan"]),
];

fn field_of(header: &str) -> Option<&'static str> {
    let h = header.trim().trim_start_matches('\u{feff}').to_lowercase();
    ALIASES
        .iter()
        .find(|(_, names)| names.contains(&h.as_str()))
        .map(|(f, _)| *f)
}

fn set(input: &mut AssetInput, field: &str, value: String) {
    let slot = match field {
        "hostname" => &mut input.hostname,
        "ips" => &mut input.ips,
        "mac" => &mut input.mac,
        "os" => &mut input.os,
        "os_version" => &mut input.os_version,
        "kind" => &mut input.kind,
        "role" => &mut input.role,
        "criticality" => &mut input.criticality,
        "location" => &mut input.location,
        "owner" => &mut input.owner,
        "notes" => &mut input.notes,
        _ => &mut input.tags,
    };
    *slot = value;
}

/// Reads `bytes` named `file_name` (`.xlsx` by name or by its zip signature; otherwise CSV).
pub fn read(file_name: &str, bytes: &[u8]) -> Result<Preview, FileError> {
    let options = canhgac_tabular::Options {
        max_rows: Some(MAX_ROWS + 50),
        ..Default::default()
    };
    let grid = canhgac_tabular::read(file_name, bytes, &options).map_err(|e| match e {
        canhgac_tabular::Error::Empty => FileError::Empty,
        canhgac_tabular::Error::TooManyRows { .. } => FileError::TooManyRows,
        canhgac_tabular::Error::Csv { .. } => FileError::Csv(e.to_string()),
        other => FileError::Xlsx(other.to_string()),
    })?;
    from_grid(grid)
}

/// Text from UTF-8 (with or without BOM), UTF-16 (with BOM) or Windows-1258.
pub use canhgac_tabular::decode;

fn from_grid(grid: Grid) -> Result<Preview, FileError> {
    if grid.is_blank() {
        return Err(FileError::Empty);
    }
    // The header is the first row (within the first 20: title rows come before it) naming the hostname column.
    let header_at = grid
        .find_header(20, |cells| cells.iter().any(|c| field_of(c) == Some("hostname")))
        .ok_or(FileError::NoHeader)?;
    let header = &grid.rows[header_at].cells;
    let columns: Vec<Option<&'static str>> = header.iter().map(|h| field_of(h)).collect();
    let mut preview = Preview {
        ignored_columns: header
            .iter()
            .zip(&columns)
            .filter(|(h, f)| f.is_none() && !h.trim().is_empty())
            .map(|(h, _)| h.trim().to_string())
            .collect(),
        ..Default::default()
    };
    let mut seen = std::collections::HashMap::new();
    let body = &grid.rows[header_at + 1..];
    if body.len() > MAX_ROWS {
        return Err(FileError::TooManyRows);
    }
    for Row { line, cells } in body {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut input = AssetInput::default();
        for (cell, field) in cells.iter().zip(&columns) {
            if let Some(f) = field {
                set(&mut input, f, cell.clone());
            }
        }
        match input.validate() {
            Ok(fields) => {
                let key = fields.hostname.to_lowercase();
                if let Some(first) = seen.get(&key) {
                    let e = FieldError::new("hostname", "err.duplicate_in_file")
                        .with_value(&format!("{} ({first})", fields.hostname));
                    preview.errors.push(row_error(*line, e));
                } else {
                    seen.insert(key, *line);
                    preview.rows.push((*line, fields));
                }
            }
            Err(inv) => preview
                .errors
                .extend(inv.0.into_iter().map(|e| row_error(*line, e))),
        }
    }
    Ok(preview)
}

fn row_error(line: usize, e: FieldError) -> RowError {
    RowError {
        line,
        field: e.field,
        code: e.code,
        value: e.value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_headers_title_rows_and_bad_rows() {
        let csv = "DANH SÁCH MÁY CHỦ;;\n\nTên máy;Địa chỉ IP;Loại;Mức độ quan trọng\nHIS-01;10.0.0.1;Máy chủ;Cao\nPC-02;10.0.0.999;Máy trạm;\nPC-03;10.0.0.3;;\nhis-01;10.0.0.4;;\n";
        let p = read("a.csv", csv.as_bytes()).unwrap();
        assert_eq!(
            p.rows
                .iter()
                .map(|(l, f)| (*l, f.hostname.as_str()))
                .collect::<Vec<_>>(),
            [(4, "HIS-01"), (6, "PC-03")]
        );
        assert_eq!(p.errors.len(), 2);
        assert_eq!(
            (
                p.errors[0].line,
                p.errors[0].field.as_str(),
                p.errors[0].code.as_str()
            ),
            (5, "ips", "err.ip_invalid")
        );
        assert_eq!(
            (p.errors[1].line, p.errors[1].code.as_str()),
            (7, "err.duplicate_in_file")
        );
    }

    #[test]
    fn encodings_are_detected() {
        let text = "hostname,ip,location\nPC-1,10.0.0.1,Khoa Dược\n";
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let p = read("a.csv", &utf16).unwrap();
        assert_eq!(p.rows[0].1.location, "Khoa Dược");
        // "Khoa Dược" as Windows-1258 writes it: ư = 0xFD, ơ = 0xF5 followed by the combining dot below 0xF2.
        let mut cp1258 = b"hostname,ip,location\nPC-1,10.0.0.1,Khoa D\xFD\xF5\xF2c\n".to_vec();
        assert_eq!(read("a.csv", &cp1258).unwrap().rows[0].1.location, "Khoa Dược");
        cp1258.clear();
    }

    #[test]
    fn files_without_a_header_or_rows_are_refused() {
        assert_eq!(read("a.csv", b"").unwrap_err(), FileError::Empty);
        assert_eq!(read("a.csv", b"foo,bar\n1,2\n").unwrap_err(), FileError::NoHeader);
        assert!(matches!(
            read("a.xlsx", b"PK\x03\x04garbage").unwrap_err(),
            FileError::Xlsx(_)
        ));
    }

    #[test]
    fn xlsx_is_read_with_row_numbers() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.write(0, 0, "Danh sách thiết bị").unwrap();
        for (c, h) in ["Tên máy", "Địa chỉ IP", "Ghi chú"].iter().enumerate() {
            ws.write(2, c as u16, *h).unwrap();
        }
        ws.write(3, 0, "SRV-1").unwrap();
        ws.write(3, 1, "192.0.2.10").unwrap();
        ws.write(4, 0, "SRV-2").unwrap();
        ws.write(4, 1, "not-an-ip").unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        let p = read("list.xlsx", &bytes).unwrap();
        assert_eq!(p.rows.len(), 1);
        assert_eq!(p.rows[0].0, 4);
        assert_eq!(p.errors[0].line, 5);
        assert!(p.ignored_columns.is_empty(), "Ghi chú is the notes column");
    }
}
