//! Hotfix lists: `wmic qfe list` / `wmic qfe get ...` and `Get-HotFix` tables (a header row naming the
//! `HotFixID` column, which WMI does not translate), and WES-NG's `KBnnnn: title` update lists.

use super::{HostInventory, InventoryKind};
use crate::error::{Error, Location, Result};
use crate::model::Kb;

/// True when the text is a hotfix table or an update list rather than `systeminfo` output.
pub(super) fn looks_like_hotfix_list(text: &str) -> bool {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let header = text.lines().any(|l| l.contains("HotFixID"));
    header
        || lines.next().is_some_and(|l| {
            l.starts_with("KB") && l.contains(':') && Kb::parse(l.split(':').next().unwrap_or("")).is_some()
        })
}

/// Parses a hotfix table or update list.
pub(super) fn parse(source: &str, text: &str) -> Result<HostInventory> {
    let mut inv = HostInventory::new(source, InventoryKind::Hotfixes);
    let lines: Vec<&str> = text.lines().collect();
    let header = lines.iter().position(|l| l.contains("HotFixID"));
    match header {
        Some(h) => table(source, &lines, h, &mut inv),
        None => {
            for (i, line) in lines.iter().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
                match line.split_once(':').and_then(|(k, _)| Kb::parse(k)) {
                    Some(kb) => {
                        inv.kbs.insert(kb);
                    }
                    None => inv.warnings.push(format!(
                        "{source}:{}: not a \"KBnnnn: title\" line, ignored",
                        i + 1
                    )),
                }
            }
        }
    }
    if inv.kbs.is_empty() && inv.warnings.is_empty() && header.is_none() {
        return Err(Error::Schema {
            at: Location::source(source),
            message: "no hotfix entries found".into(),
        });
    }
    Ok(inv)
}

fn table(source: &str, lines: &[&str], header: usize, inv: &mut HostInventory) {
    // `wmic` on Windows XP prints "Please wait while WMIC is being installed." before the header, on its line.
    let raw = lines[header];
    let head_str = raw.find("Caption").map_or(raw, |i| &raw[i..]);
    let Some(byte_col) = head_str.find("HotFixID") else {
        return;
    };
    let col = head_str[..byte_col].chars().count();
    if head_str.contains("CSName") {
        // `wmic qfe` puts the host name in CSName.
        let name_col = head_str.find("CSName").map(|b| head_str[..b].chars().count());
        if let Some(row) = lines.get(header + 1) {
            inv.hostname = name_col.and_then(|c| field_at(row, c)).map(str::to_owned);
        }
    }
    let mut odd: Vec<(usize, String)> = Vec::new();
    for (i, row) in lines.iter().enumerate().skip(header + 1) {
        if row.trim().is_empty() || row.trim_start().starts_with("---") {
            continue;
        }
        let id = field_at(row, col).unwrap_or("");
        if let Some(kb) = Kb::parse(id) {
            inv.kbs.insert(kb);
        } else if let Some(kb) = row.split_whitespace().find_map(Kb::parse_prefixed) {
            // Windows XP reports "File 1" as the HotFixID and the KB in another column.
            inv.kbs.insert(kb);
        } else {
            odd.push((i + 1, id.to_owned()));
        }
    }
    if let Some((line, id)) = odd.first() {
        inv.warnings.push(format!(
            "{source}:{line}: {} rows have no KB number in HotFixID (first: {id:?}), ignored",
            odd.len()
        ));
    }
}

/// The whitespace-delimited field starting at character column `col` of a fixed-width row.
fn field_at(row: &str, col: usize) -> Option<&str> {
    let start = row.char_indices().nth(col).map(|(b, _)| b)?;
    row[start..].split_whitespace().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wmic_table_reads_the_hotfix_column_and_reports_odd_ids() {
        let text = "Caption  CSName  Description  HotFixID   InstalledOn\n\
                    http://x PC1     Update       KB2919355  3/18/2014\n\
                    http://y PC1     Update       File 1     3/18/2014\n";
        let inv = parse("q.txt", text).unwrap();
        assert_eq!(inv.kbs.iter().copied().collect::<Vec<_>>(), vec![Kb(2919355)]);
        assert_eq!(inv.hostname.as_deref(), Some("PC1"));
        assert_eq!(
            inv.warnings,
            vec!["q.txt:3: 1 rows have no KB number in HotFixID (first: \"File\"), ignored"]
        );
    }
}
