//! Tables (CSV, XLSX) → entries, through a [`ColumnMap`] detected or given.

use canhgac_tabular::{Grid, Row};

use crate::import::columns::{detect_header, from_content, from_header, Column, ColumnMap};
use crate::import::dates::{parse_date, DateOrder};
use crate::import::{Format, Imported};
use crate::indicator::{Category, Entry, Indicator, Meta};
use crate::text::{normalize_domain, normalize_url, parse_any, parse_ip, parse_port};
use crate::{Error, FileHash, Location, Problem, Rejected, Result};

/// Reads `grid` with `mapping`, or with the mapping detected from its header (or content).
pub(crate) fn read_grid(grid: &Grid, mapping: Option<&ColumnMap>, format: Format) -> Result<Imported> {
    if grid.is_blank() {
        return Err(Error::Empty);
    }
    let mut map = match mapping {
        Some(m) => m.clone(),
        None => detect(grid),
    };
    if !map.columns.iter().any(Column::is_indicator) {
        return Err(Error::NoIndicatorColumn);
    }
    let width = grid.rows.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    if let Some(column) = map
        .columns
        .iter()
        .enumerate()
        .skip(width)
        .find(|(_, c)| **c != Column::Ignore)
        .map(|(i, _)| i)
    {
        return Err(Error::BadMapping { column, width });
    }
    let start = match map.header_line {
        Some(line) => grid.rows.iter().position(|r| r.line == line).map_or(0, |i| i + 1),
        None => 0,
    };
    let body: Vec<&Row> = grid.rows[start..].iter().filter(|r| !skip(r)).collect();
    if mapping.is_none() {
        map.date_order = detect_order(&map, &body);
    }
    let mut out = Imported::new(format);
    for row in body {
        read_row(row, &map, &mut out);
    }
    out.mapping = Some(map);
    Ok(out)
}

/// Blank rows and comment rows (`#…`) carry nothing.
fn skip(row: &Row) -> bool {
    row.is_blank() || row.cells.first().is_some_and(|c| c.trim_start().starts_with('#'))
}

fn detect(grid: &Grid) -> ColumnMap {
    if let Some(i) = detect_header(grid) {
        let row = &grid.rows[i];
        return from_header(row.line, &row.cells);
    }
    let sample: Vec<&[String]> = grid
        .rows
        .iter()
        .filter(|r| !skip(r))
        .take(50)
        .map(|r| r.cells.as_slice())
        .collect();
    from_content(&sample)
}

fn detect_order(map: &ColumnMap, body: &[&Row]) -> DateOrder {
    let dates = map
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| matches!(c, Column::FirstSeen | Column::LastSeen))
        .flat_map(|(i, _)| body.iter().filter_map(move |r| r.cells.get(i)))
        .filter(|v| v.contains('/'));
    DateOrder::detect(dates.map(String::as_str))
}

fn read_row(row: &Row, map: &ColumnMap, out: &mut Imported) {
    let at = || Location::Line(row.line);
    let header = |i: usize| {
        map.headers
            .get(i)
            .filter(|h| !h.is_empty())
            .cloned()
            .unwrap_or_else(|| format!("column {}", i + 1))
    };
    let mut indicators = Vec::new();
    let mut meta = Meta::default();
    let mut category_words = None;
    let mut problems = Vec::new();
    for (i, (cell, col)) in row.cells.iter().zip(&map.columns).enumerate() {
        let v = cell.trim();
        if v.is_empty() {
            continue; // a row may fill only some of several indicator columns; none at all is reported below
        }
        let result: Result<(), Problem> = (|| {
            match col {
                Column::Ip => {
                    let (r, port) = parse_ip(&crate::text::refang(v))?;
                    indicators.push((Indicator::Ip(r), i));
                    meta.port = meta.port.or(port);
                }
                Column::Domain => {
                    let d = normalize_domain(&crate::text::refang(v)).ok_or(Problem::BadDomain)?;
                    indicators.push((Indicator::Domain(d), i));
                }
                Column::Url => {
                    let u = normalize_url(&crate::text::refang(v)).ok_or(Problem::BadUrl)?;
                    indicators.push((Indicator::Url(u), i));
                }
                Column::Hash => {
                    indicators.push((Indicator::Hash(FileHash::parse(v).ok_or(Problem::BadHash)?), i));
                }
                Column::Indicator => {
                    let (ind, port) = parse_any(v)?;
                    indicators.push((ind, i));
                    meta.port = meta.port.or(port);
                }
                Column::Port => meta.port = Some(parse_port(v)?),
                Column::FirstSeen => {
                    meta.first_seen = Some(parse_date(v, map.date_order).ok_or(Problem::BadDate)?)
                }
                Column::LastSeen => {
                    meta.last_seen = Some(parse_date(v, map.date_order).ok_or(Problem::BadDate)?)
                }
                Column::Family => meta.family = Some(v.to_string()),
                Column::Category => category_words = Some(v.to_string()),
                Column::Attribute(name) => meta.attributes.push((name.clone(), v.to_string())),
                Column::Ignore => {}
            }
            Ok(())
        })();
        if let Err(p) = result {
            problems.push(Rejected::new(at(), Some(&header(i)), v, p));
        }
    }
    // A row is kept when it has an indicator and no problem in an indicator column; a bad date or port rejects
    // the row too (the list would otherwise be imported with silently missing facts).
    if !problems.is_empty() || indicators.is_empty() {
        if problems.is_empty() {
            let i = map.columns.iter().position(Column::is_indicator).unwrap_or(0);
            problems.push(Rejected::new(at(), Some(&header(i)), "", Problem::Empty));
        }
        out.rejected.extend(problems);
        return;
    }
    meta.category = match category_words {
        Some(w) => Category::from_words(&w),
        None => meta
            .family
            .as_deref()
            .map(Category::from_words)
            .filter(|c| !matches!(c, Category::Other(_)))
            .unwrap_or_default(),
    };
    if let Some(f) = &meta.family {
        meta.family = clean_family(f);
    }
    for (indicator, _) in indicators {
        out.entries.push(Entry {
            indicator,
            meta: meta.clone(),
            origin: at(),
        });
    }
}

/// "AsyncRAT C&C" → "AsyncRAT": the family without the category words lists append to it.
fn clean_family(f: &str) -> Option<String> {
    let mut t = f.trim();
    for suffix in ["c&c", "c2"] {
        if t.eq_ignore_ascii_case(suffix) {
            return None;
        }
        let cut = t.len().saturating_sub(suffix.len() + 1);
        if t.is_char_boundary(cut) && t[cut..].eq_ignore_ascii_case(&format!(" {suffix}")) {
            t = t[..cut].trim();
        }
    }
    (!t.is_empty()).then(|| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_loses_category_suffix() {
        assert_eq!(clean_family("AsyncRAT C&C").as_deref(), Some("AsyncRAT"));
        assert_eq!(clean_family("Dridex").as_deref(), Some("Dridex"));
        assert_eq!(clean_family("C&C"), None);
    }
}
