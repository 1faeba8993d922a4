//! Which column of a table holds what: recognised from header names (English or Vietnamese, diacritics and case
//! ignored) or, for a table without a header, from the values themselves. The result is a [`ColumnMap`] that a
//! console shows the user to confirm or correct before importing again with it.

use serde::{Deserialize, Serialize};

use crate::import::dates::parse_date;
use crate::text::{fold, parse_any, parse_ip};
use crate::DateOrder;

/// What a column holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "name")]
#[non_exhaustive]
pub enum Column {
    /// IP addresses, CIDR blocks, ranges or `ip:port`.
    Ip,
    /// Domain names.
    Domain,
    /// URLs.
    Url,
    /// File hashes.
    Hash,
    /// Indicators of any kind, mixed.
    Indicator,
    /// The port.
    Port,
    /// When first seen (or the one date the list gives).
    FirstSeen,
    /// When last seen.
    LastSeen,
    /// Malware or botnet family.
    Family,
    /// Category words ("C&C", "phishing", "máy nhiễm").
    Category,
    /// Kept as a free attribute under this name.
    Attribute(String),
    /// A row number or other column not worth keeping.
    Ignore,
}

impl Column {
    /// Whether the column holds indicator values.
    pub fn is_indicator(&self) -> bool {
        matches!(
            self,
            Self::Ip | Self::Domain | Self::Url | Self::Hash | Self::Indicator
        )
    }
}

/// How a table's columns are read: the header row (if any) and one [`Column`] per position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnMap {
    /// The 1-based line of the header row; `None` when the table has none (columns recognised by content).
    pub header_line: Option<usize>,
    /// The header text of each column (empty without a header).
    pub headers: Vec<String>,
    /// What each column holds, by position.
    pub columns: Vec<Column>,
    /// How slashed dates are read (detected from the date columns' values when not given).
    pub date_order: DateOrder,
}

/// Header words → column, checked in order on the folded header (`first_seen_utc` → `first seen utc`). The first
/// rule whose any word occurs as a whole word (or phrase) wins.
const RULES: &[(&[&str], Column)] = &[
    (&["stt", "no", "#", "so thu tu", "index", "tt"], Column::Ignore),
    (
        &["sha256", "sha 256", "sha1", "sha 1", "md5", "hash", "ma bam"],
        Column::Hash,
    ),
    (&["url", "link", "duong dan", "uri"], Column::Url),
    (
        &["domain", "ten mien", "hostname", "host", "fqdn"],
        Column::Domain,
    ),
    (
        &[
            "ip",
            "ipv4",
            "ipv6",
            "dst ip",
            "dstip",
            "src ip",
            "dia chi ip",
            "ip address",
            "ip cong khai",
            "cidr",
            "dai ip",
            "subnet",
            "network",
        ],
        Column::Ip,
    ),
    (
        &["indicator", "ioc", "value", "chi bao", "gia tri"],
        Column::Indicator,
    ),
    (&["port", "dst port", "dstport", "cong"], Column::Port),
    (
        &[
            "last seen",
            "last online",
            "lan cuoi",
            "ngay cuoi",
            "last",
            "den ngay",
            "ngay ket thuc",
        ],
        Column::LastSeen,
    ),
    (
        &[
            "first seen",
            "ngay phat hien",
            "thoi gian phat hien",
            "ngay",
            "date",
            "listingdate",
            "thoi gian",
            "time",
            "tu ngay",
            "first",
            "detected",
        ],
        Column::FirstSeen,
    ),
    (
        &[
            "malware",
            "botnet",
            "family",
            "ten mang botnet",
            "mang botnet",
            "ma doc",
            "loai ma doc",
            "ten ma doc",
            "threat",
            "listingreason",
            "reason",
        ],
        Column::Family,
    ),
    (
        &["category", "type", "loai", "phan loai", "tag", "tags"],
        Column::Category,
    ),
];

/// The column a header names, `None` when it names nothing this crate knows (kept as an attribute then).
pub fn column_of(header: &str) -> Option<Column> {
    let h = fold(header);
    if h.is_empty() {
        return None;
    }
    let padded = format!(" {h} ");
    RULES
        .iter()
        .find(|(words, _)| words.iter().any(|w| padded.contains(&format!(" {w} "))))
        .map(|(_, c)| c.clone())
}

/// The header row: the first of the first 20 rows where some cell names an indicator column and no cell is an
/// indicator itself; comment rows (`#…`) are never headers. A title row ("Danh sách IP botnet tháng 01/2024", alone in its row) is not a header even
/// though it says "IP": a header cell alone in its row must be short.
pub fn detect_header(grid: &canhgac_tabular::Grid) -> Option<usize> {
    grid.find_header(20, |cells| {
        if cells.first().is_some_and(|c| c.trim_start().starts_with('#')) {
            return false; // a comment, even when it names columns ("# DstIP,DstPort")
        }
        let filled = cells.iter().filter(|c| !c.trim().is_empty()).count();
        cells.iter().any(|c| {
            column_of(c).is_some_and(|c| c.is_indicator()) && (filled > 1 || fold(c).split(' ').count() <= 3)
        }) && !cells.iter().any(|c| parse_any(c).is_ok())
    })
}

/// Builds the map from a header row: known names get their column, other non-empty headers become attributes.
pub fn from_header(line: usize, cells: &[String]) -> ColumnMap {
    let columns = cells
        .iter()
        .map(|h| {
            column_of(h).unwrap_or_else(|| match h.trim() {
                "" => Column::Ignore,
                other => Column::Attribute(other.trim_start_matches('\u{feff}').to_string()),
            })
        })
        .collect();
    ColumnMap {
        header_line: Some(line),
        headers: cells
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
            .collect(),
        columns,
        date_order: DateOrder::DayFirst,
    }
}

/// Recognises columns from the values of `rows` (a table without header): addresses, hashes, URLs, domains,
/// dates, ports (integers next to an address column) and free text (the family, when it is the only one).
pub fn from_content(rows: &[&[String]]) -> ColumnMap {
    let width = rows.iter().map(|r| r.len()).max().unwrap_or(0);
    let mut columns = Vec::with_capacity(width);
    for i in 0..width {
        let values: Vec<&str> = rows
            .iter()
            .filter_map(|r| r.get(i))
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect();
        let all = |f: &dyn Fn(&str) -> bool| !values.is_empty() && values.iter().all(|v| f(v));
        let col = if all(&|v| parse_ip(v).is_ok()) {
            Column::Ip
        } else if all(&|v| crate::FileHash::parse(v).is_some()) {
            Column::Hash
        } else if all(&|v| parse_any(v).is_ok()) {
            Column::Indicator
        } else if all(&|v| {
            parse_date(v, DateOrder::DayFirst).is_some() || parse_date(v, DateOrder::MonthFirst).is_some()
        }) {
            Column::FirstSeen
        } else if all(&|v| v.parse::<u16>().is_ok()) && columns.first() == Some(&Column::Ip) {
            Column::Port
        } else if values.is_empty() {
            Column::Ignore
        } else {
            Column::Attribute(format!("column {}", i + 1))
        };
        columns.push(col);
    }
    // A single free-text column beside the indicators is the reason/family (abuse.ch "URLzone C&C").
    let text: Vec<usize> = columns
        .iter()
        .enumerate()
        .filter(|(_, c)| matches!(c, Column::Attribute(_)))
        .map(|(i, _)| i)
        .collect();
    if let [only] = text[..] {
        columns[only] = Column::Family;
    }
    ColumnMap {
        header_line: None,
        headers: vec![String::new(); width],
        columns,
        date_order: DateOrder::DayFirst,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_and_english_headers() {
        let cases = [
            ("Địa chỉ IP", Some(Column::Ip)),
            ("IP công khai", Some(Column::Ip)),
            ("dst_ip", Some(Column::Ip)),
            ("Tên mạng botnet", Some(Column::Family)),
            ("malware", Some(Column::Family)),
            ("Ngày phát hiện", Some(Column::FirstSeen)),
            ("first_seen_utc", Some(Column::FirstSeen)),
            ("last_online", Some(Column::LastSeen)),
            ("dst_port", Some(Column::Port)),
            ("Cổng", Some(Column::Port)),
            ("\u{feff}SHA1", Some(Column::Hash)),
            ("Tên miền", Some(Column::Domain)),
            ("STT", Some(Column::Ignore)),
            ("Đơn vị", None),
            ("c2_status", None),
        ];
        for (h, want) in cases {
            assert_eq!(column_of(h), want, "{h}");
        }
    }

    #[test]
    fn headerless_columns_by_content() {
        let rows: Vec<Vec<String>> = [
            ["104.130.17.100", "443", "URLzone C&C"],
            ["109.120.155.159", "443", "TorrentLocker C&C"],
            ["109.120.156.217", "443", ""],
        ]
        .iter()
        .map(|r| r.iter().map(|s| s.to_string()).collect())
        .collect();
        let refs: Vec<&[String]> = rows.iter().map(Vec::as_slice).collect();
        let map = from_content(&refs);
        assert_eq!(map.columns, [Column::Ip, Column::Port, Column::Family]);
    }
}
