//! Indicator engine: sets of IP addresses and ranges, domains, URLs and file hashes, the parsers for lists as
//! they really arrive, and matching. No I/O: everything starts from bytes and ends in values.
//!
//! - [`import::import`] reads a list (plain text, CSV, XLSX, STIX 2.1, MISP) into [`Entry`]s, reporting every bad
//!   line with its place and reason ([`Rejected`]); tables come with the [`import::ColumnMap`] used.
//! - [`IndicatorSet`] indexes one or more [`List`]s once; lookups by address (most specific range first),
//!   domain (with parents), URL and hash allocate nothing.
//! - [`IndicatorSet::match_estate`] finds the list entries on a unit's assets and inside its public ranges.
//! - [`Warnings`] (MISP-style warning lists: CIDR, hostname, string, substring, regex) mark matches on known-good
//!   values as suppressed, naming the list.
//! - [`diff`] compares two versions of a list.
//!
//! ```
//! use canhgac_ioc::{import::{import, ImportOptions}, IndicatorSet};
//!
//! let csv = "Danh sách IP botnet tháng 01/2024;;\nSTT;Địa chỉ IP;Tên mạng botnet;Ngày phát hiện\n1;203.0.113.7;Mirai;15/01/2024\n2;203.0.113.999;Mirai;15/01/2024\n";
//! let imported = import("botnet.csv", csv.as_bytes(), &ImportOptions::default()).unwrap();
//! assert_eq!(imported.entries.len(), 1);
//! assert_eq!(imported.rejected[0].to_string(), "line 4, column \"Địa chỉ IP\": not an IP address: \"203.0.113.999\"");
//!
//! let set = IndicatorSet::from_lists([imported.into_list("Botnet IP list", "Sở TT&TT", "2024-01")]);
//! let unit_ranges = [("BV Đa khoa", "203.0.113.0/24".parse::<canhgac_ioc::IpRange>().unwrap())];
//! let no_assets = std::iter::empty::<(&str, std::net::IpAddr)>();
//! let found = set.match_estate(no_assets, unit_ranges, &canhgac_ioc::Warnings::default());
//! assert_eq!(found[0].hit.entry.meta.family.as_deref(), Some("Mirai"));
//! assert!(found[0].suppressed.is_none());
//! ```
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod diff;
mod error;
pub mod import;
mod indicator;
mod ranges;
mod set;
pub mod text;
mod warning;

pub use diff::{diff, Diff};
pub use error::{Error, Location, Problem, Rejected, Result};
pub use import::{DateOrder, ImportOptions};
pub use indicator::{Category, Entry, FileHash, HashKind, Indicator, IpRange, List, ListKind, Meta};
pub use set::{EstateMatch, Hit, IndicatorSet, ListInfo};
pub use warning::{read_warning_list, Suppression, WarningKind, WarningList, Warnings};

impl std::str::FromStr for IpRange {
    type Err = Problem;

    /// An address, CIDR block or `a-b` range.
    fn from_str(s: &str) -> Result<Self, Problem> {
        text::parse_ip(s).map(|(r, _)| r)
    }
}
