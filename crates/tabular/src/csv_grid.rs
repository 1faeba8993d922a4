//! CSV text → [`Grid`], with the delimiter sniffed when not given.

use crate::{check_rows, Error, Grid, Options, Result, Row};

/// The delimiter among `,` `;` and tab that occurs most often in `line` (`,` when none does).
///
/// ```
/// assert_eq!(canhgac_tabular::sniff_delimiter("Tên máy;Địa chỉ IP;Ghi chú"), b';');
/// assert_eq!(canhgac_tabular::sniff_delimiter("ip\tcount"), b'\t');
/// ```
pub fn sniff_delimiter(line: &str) -> u8 {
    let mut best = (b',', 0);
    for d in [b',', b';', b'\t'] {
        let n = line.bytes().filter(|b| *b == d).count();
        if n > best.1 {
            best = (d, n);
        }
    }
    best.0
}

/// The line a record starts on. The CSV reader counts blank lines before a record as part of it, so its own line
/// number is too small by the number of blank lines skipped; count them back.
fn record_line(text: &str, p: &csv::Position) -> usize {
    let start = usize::try_from(p.byte()).unwrap_or(usize::MAX);
    let skipped = text
        .as_bytes()
        .get(start..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| matches!(b, b'\n' | b'\r'))
        .filter(|b| **b == b'\n')
        .count();
    usize::try_from(p.line())
        .unwrap_or(usize::MAX)
        .saturating_add(skipped)
}

/// Reads CSV `text` into a [`Grid`]; rows may have any number of cells. The delimiter is
/// [`Options::delimiter`] or sniffed from the first non-blank line.
pub fn read_csv(text: &str, options: &Options) -> Result<Grid> {
    let delimiter = options.delimiter.unwrap_or_else(|| {
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        sniff_delimiter(first)
    });
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut grid = Grid::default();
    for rec in reader.records() {
        let rec = rec.map_err(|e| Error::Csv {
            line: e
                .position()
                .map_or(0, |p| usize::try_from(p.line()).unwrap_or(usize::MAX)),
            message: e.to_string(),
        })?;
        let line = rec.position().map_or(0, |p| record_line(text, p));
        grid.rows.push(Row {
            line,
            cells: rec.iter().map(str::to_string).collect(),
        });
        check_rows(grid.rows.len(), options)?;
    }
    Ok(grid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_numbers_count_blank_and_quoted_lines() {
        let text = "a;b\n\n\"multi\nline\";x\nlast;y\n";
        let grid = read_csv(text, &Options::default()).unwrap();
        let lines: Vec<_> = grid.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [1, 3, 5]);
        assert_eq!(grid.rows[1].cells, ["multi\nline", "x"]);
        let crlf = read_csv("a;b\r\n\r\n\r\nc;d\r\n", &Options::default()).unwrap();
        assert_eq!(crlf.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [1, 4]);
    }

    #[test]
    fn too_many_rows_is_refused() {
        let options = Options {
            max_rows: Some(2),
            ..Options::default()
        };
        assert_eq!(
            read_csv("a\nb\nc\n", &options).unwrap_err(),
            Error::TooManyRows { limit: 2 }
        );
    }

    #[test]
    fn explicit_delimiter_wins() {
        let options = Options {
            delimiter: Some(b'|'),
            ..Options::default()
        };
        let grid = read_csv("a,b|c\n", &options).unwrap();
        assert_eq!(grid.rows[0].cells, ["a,b", "c"]);
    }
}
