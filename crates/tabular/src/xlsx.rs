//! XLSX workbooks → [`Grid`] via `calamine`.

use std::io::Cursor;

use calamine::{Data, DataType, Reader, Xlsx};

use crate::{check_rows, Error, Grid, Options, Result, Row, Sheet};

fn open(bytes: &[u8]) -> Result<Xlsx<Cursor<&[u8]>>> {
    Xlsx::new(Cursor::new(bytes)).map_err(|e| Error::Xlsx(e.to_string()))
}

/// The names of the worksheets of a workbook, in order (for a UI that lets the user choose one).
pub fn sheet_names(bytes: &[u8]) -> Result<Vec<String>> {
    Ok(open(bytes)?.sheet_names())
}

/// Reads the chosen worksheet ([`Options::sheet`]) of an XLSX workbook. Row numbers are the spreadsheet's own
/// (a sheet whose data starts at row 3 gives line 3); whole numbers are written without a decimal point; formula
/// cells give their cached value; dates are written `YYYY-MM-DD` (with ` HH:MM:SS` when they have a time).
pub fn read_xlsx(bytes: &[u8], options: &Options) -> Result<Grid> {
    let mut wb = open(bytes)?;
    let range = match &options.sheet {
        Sheet::First => wb.worksheet_range_at(0).ok_or(Error::Empty)?,
        Sheet::Index(i) => wb
            .worksheet_range_at(*i)
            .ok_or_else(|| Error::NoSuchSheet(format!("#{}", i + 1)))?,
        Sheet::Named(name) => {
            if !wb.sheet_names().contains(name) {
                return Err(Error::NoSuchSheet(name.clone()));
            }
            wb.worksheet_range(name)
        }
    }
    .map_err(|e| Error::Xlsx(e.to_string()))?;
    let start_row = range.start().map_or(0, |(r, _)| r as usize);
    let mut grid = Grid::default();
    for (i, row) in range.rows().enumerate() {
        let cells = row.iter().map(cell_text).collect();
        grid.rows.push(Row {
            line: start_row + i + 1,
            cells,
        });
        check_rows(grid.rows.len(), options)?;
    }
    Ok(grid)
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::Float(f) if f.fract() == 0.0 => format!("{f:.0}"),
        // Dates as ISO text (a date alone when it has no time of day), never as Excel's serial number.
        Data::DateTime(_) | Data::DateTimeIso(_) => match cell.as_datetime() {
            Some(dt) if dt.time() == chrono::NaiveTime::MIN => dt.format("%Y-%m-%d").to_string(),
            Some(dt) => dt.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => cell.to_string(),
        },
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workbook() -> Vec<u8> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let first = wb.add_worksheet();
        first.set_name("Tổng hợp").unwrap();
        first.write(2, 0, "IP").unwrap();
        first.write(3, 0, "192.0.2.1").unwrap();
        first.write(3, 1, 443).unwrap();
        let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2024, 1, 15).unwrap();
        let format = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
        first.write_datetime_with_format(3, 2, &date, &format).unwrap();
        let second = wb.add_worksheet();
        second.set_name("Chi tiết").unwrap();
        second.write(0, 0, "x").unwrap();
        wb.save_to_buffer().unwrap()
    }

    #[test]
    fn first_sheet_keeps_spreadsheet_row_numbers() {
        let grid = read_xlsx(&workbook(), &Options::default()).unwrap();
        assert_eq!(grid.rows[0].line, 3);
        assert_eq!(grid.rows[1].cells, ["192.0.2.1", "443", "2024-01-15"]);
    }

    #[test]
    fn chosen_sheet_by_name_or_index() {
        let bytes = workbook();
        assert_eq!(sheet_names(&bytes).unwrap(), ["Tổng hợp", "Chi tiết"]);
        for sheet in [Sheet::Named("Chi tiết".into()), Sheet::Index(1)] {
            let options = Options {
                sheet,
                ..Options::default()
            };
            assert_eq!(read_xlsx(&bytes, &options).unwrap().rows[0].cells, ["x"]);
        }
        let options = Options {
            sheet: Sheet::Named("Không có".into()),
            ..Options::default()
        };
        assert_eq!(
            read_xlsx(&bytes, &options).unwrap_err(),
            Error::NoSuchSheet("Không có".into())
        );
    }

    #[test]
    fn junk_is_an_xlsx_error() {
        assert!(matches!(
            read_xlsx(b"PK\x03\x04garbage", &Options::default()),
            Err(Error::Xlsx(_))
        ));
    }
}
