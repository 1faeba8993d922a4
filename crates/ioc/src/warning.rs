//! Warning lists: known-good values (private ranges, the unit's own resolvers, large CDNs) that would otherwise
//! raise false positives, in MISP's kinds — CIDR, hostname, exact string, substring, regular expression. A match
//! whose entry a warning list covers is kept but marked suppressed, with the list that suppressed it.

use std::collections::HashMap;

use aho_corasick::AhoCorasick;
use regex::RegexSet;
use serde::{Deserialize, Serialize};

use crate::indicator::{Indicator, IpRange};
use crate::ranges::RangeTable;
use crate::{Error, Location, Problem, Rejected, Result};

/// How a warning list's values are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum WarningKind {
    /// Addresses and CIDR blocks: an address or range inside one is covered.
    Cidr,
    /// Host names: the name and its subdomains are covered.
    Hostname,
    /// The indicator's text, exactly (case ignored).
    String,
    /// Text contained in the indicator (case ignored).
    Substring,
    /// A regular expression matching the indicator's text.
    Regex,
}

/// One warning list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarningList {
    /// Its name, shown when it suppresses a match.
    pub name: String,
    /// What it holds.
    #[serde(default)]
    pub description: String,
    /// How its values are compared.
    #[serde(rename = "type")]
    pub kind: WarningKind,
    /// The values.
    #[serde(rename = "list")]
    pub values: Vec<String>,
}

impl WarningList {
    /// A list in MISP's warning-list JSON (`{"name", "description", "type", "list": [...]}`).
    pub fn from_misp_json(bytes: &[u8]) -> Result<Self> {
        Ok(serde_json::from_slice(bytes)?)
    }

    /// Private, loopback, link-local, shared (CGNAT), documentation and multicast ranges: addresses that cannot be
    /// a botnet's public address and whose appearance on a list (e.g. FireHOL's bogons) says nothing about a unit.
    pub fn private_ranges() -> Self {
        let values = [
            "0.0.0.0/8",
            "10.0.0.0/8",
            "100.64.0.0/10",
            "127.0.0.0/8",
            "169.254.0.0/16",
            "172.16.0.0/12",
            "192.0.2.0/24",
            "192.168.0.0/16",
            "198.18.0.0/15",
            "198.51.100.0/24",
            "203.0.113.0/24",
            "224.0.0.0/3",
            "::1/128",
            "fc00::/7",
            "fe80::/10",
            "2001:db8::/32",
            "ff00::/8",
        ];
        Self {
            name: "Private and reserved ranges".into(),
            description: "RFC 1918, RFC 6598, loopback, link-local, documentation, multicast and reserved"
                .into(),
            kind: WarningKind::Cidr,
            values: values.iter().map(|v| (*v).to_string()).collect(),
        }
    }
}

/// Why a match is suppressed: the warning list and its value that covers the entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    /// The warning list's name.
    pub list: String,
    /// The value of that list that covers the entry.
    pub value: String,
}

/// Warning lists compiled for checking.
#[derive(Debug, Clone)]
pub struct Warnings {
    lists: Vec<WarningList>,
    /// (list, value) of each compiled value, by id.
    refs: Vec<(u32, u32)>,
    v4: RangeTable<u32>,
    v6: RangeTable<u128>,
    ranges: Vec<IpRange>,
    names: HashMap<String, u32>,
    strings: HashMap<String, u32>,
    substrings: Option<(AhoCorasick, Vec<u32>)>,
    regexes: Option<(RegexSet, Vec<u32>)>,
}

impl Default for Warnings {
    fn default() -> Self {
        Self::build(Vec::new()).0
    }
}

impl Warnings {
    /// Compiles `lists`. Values that cannot be read (a bad CIDR, an invalid regular expression) are returned as
    /// rejected, located by list and position (`Private ranges[3]`); the others are kept.
    pub fn build(lists: Vec<WarningList>) -> (Self, Vec<Rejected>) {
        let mut rejected = Vec::new();
        let mut refs = Vec::new();
        let (mut v4, mut v6, mut ranges) = (Vec::new(), Vec::new(), Vec::new());
        let (mut names, mut strings) = (HashMap::new(), HashMap::new());
        let (mut subs, mut sub_ids, mut res, mut re_ids) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (li, list) in lists.iter().enumerate() {
            for (vi, value) in list.values.iter().enumerate() {
                let id = u32::try_from(refs.len()).unwrap_or(u32::MAX);
                let at = || Location::Path(format!("{}[{vi}]", list.name));
                let ok = match list.kind {
                    WarningKind::Cidr => match value.parse::<IpRange>() {
                        Ok(r) => {
                            match r {
                                IpRange::V4(a, b) => v4.push((a, b, id)),
                                IpRange::V6(a, b) => v6.push((a, b, id)),
                            }
                            ranges.push(r);
                            true
                        }
                        Err(p) => {
                            rejected.push(Rejected::new(at(), None, value, p));
                            false
                        }
                    },
                    WarningKind::Hostname => match crate::text::normalize_domain(value) {
                        Some(d) => {
                            names.entry(d).or_insert(id);
                            true
                        }
                        None => {
                            rejected.push(Rejected::new(at(), None, value, Problem::BadDomain));
                            false
                        }
                    },
                    WarningKind::String => {
                        strings.entry(value.trim().to_lowercase()).or_insert(id);
                        true
                    }
                    WarningKind::Substring => {
                        subs.push(value.to_lowercase());
                        sub_ids.push(id);
                        true
                    }
                    WarningKind::Regex => {
                        if regex::Regex::new(value).is_ok() {
                            res.push(value.clone());
                            re_ids.push(id);
                            true
                        } else {
                            rejected.push(Rejected::new(at(), None, value, Problem::BadPattern));
                            false
                        }
                    }
                };
                if ok {
                    refs.push((
                        u32::try_from(li).unwrap_or(u32::MAX),
                        u32::try_from(vi).unwrap_or(u32::MAX),
                    ));
                    if list.kind != WarningKind::Cidr {
                        ranges.push(IpRange::V4(0, 0)); // keeps `ranges` indexed by id
                    }
                }
            }
        }
        let substrings = AhoCorasick::new(&subs)
            .ok()
            .filter(|_| !subs.is_empty())
            .map(|a| (a, sub_ids));
        let regexes = RegexSet::new(&res)
            .ok()
            .filter(|_| !res.is_empty())
            .map(|r| (r, re_ids));
        let warnings = Self {
            lists,
            refs,
            v4: RangeTable::build(v4),
            v6: RangeTable::build(v6),
            ranges,
            names,
            strings,
            substrings,
            regexes,
        };
        (warnings, rejected)
    }

    fn suppression(&self, id: u32) -> Option<Suppression> {
        let (li, vi) = self.refs.get(id as usize)?;
        let list = self.lists.get(*li as usize)?;
        Some(Suppression {
            list: list.name.clone(),
            value: list.values.get(*vi as usize)?.clone(),
        })
    }

    /// The warning that covers `indicator`, if any: an address or range wholly inside a CIDR value, a domain or
    /// URL host under a hostname value, or the indicator's text matching a string, substring or regex value.
    pub fn check(&self, indicator: &Indicator) -> Option<Suppression> {
        let id = match indicator {
            Indicator::Ip(r) => self.covering(*r),
            Indicator::Domain(d) => self.host(d),
            Indicator::Url(u) => {
                let host = u
                    .split_once("://")
                    .map_or("", |(_, r)| r.split(['/', '?', ':']).next().unwrap_or(""));
                self.host(host)
            }
            Indicator::Hash(_) => None,
        };
        id.or_else(|| self.text(&indicator.to_string()))
            .and_then(|id| self.suppression(id))
    }

    fn covering(&self, r: IpRange) -> Option<u32> {
        let ids = match r {
            IpRange::V4(a, _) => self.v4.lookup(a),
            IpRange::V6(a, _) => self.v6.lookup(a),
        };
        ids.iter().copied().find(|id| {
            self.ranges.get(*id as usize).is_some_and(|w| match (w, r) {
                (IpRange::V4(a, b), IpRange::V4(c, d)) => a <= &c && d <= *b,
                (IpRange::V6(a, b), IpRange::V6(c, d)) => a <= &c && d <= *b,
                _ => false,
            })
        })
    }

    fn host(&self, name: &str) -> Option<u32> {
        let mut rest = name;
        loop {
            if let Some(id) = self.names.get(rest) {
                return Some(*id);
            }
            rest = rest.split_once('.')?.1;
        }
    }

    fn text(&self, text: &str) -> Option<u32> {
        let lower = text.to_lowercase();
        if let Some(id) = self.strings.get(&lower) {
            return Some(*id);
        }
        if let Some((ac, ids)) = &self.substrings {
            if let Some(m) = ac.find(&lower) {
                return ids.get(m.pattern().as_usize()).copied();
            }
        }
        let (set, ids) = self.regexes.as_ref()?;
        set.matches(text).iter().next().and_then(|i| ids.get(i).copied())
    }
}

/// Reads a warning list, MISP JSON or one value a line with the given kind (`#` comments).
pub fn read_warning_list(name: &str, kind: WarningKind, bytes: &[u8]) -> Result<WarningList> {
    let text = canhgac_tabular::decode(bytes);
    if text.trim_start().starts_with('{') {
        return WarningList::from_misp_json(text.as_bytes());
    }
    if text.trim().is_empty() {
        return Err(Error::Empty);
    }
    Ok(WarningList {
        name: name.to_string(),
        description: String::new(),
        kind,
        values: text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ind(s: &str) -> Indicator {
        crate::text::parse_any(s).unwrap().0
    }

    #[test]
    fn each_kind_suppresses_what_it_covers() {
        let lists = vec![
            WarningList::private_ranges(),
            WarningList {
                name: "Resolvers of BV Đa khoa".into(),
                description: String::new(),
                kind: WarningKind::Cidr,
                values: vec!["8.8.8.8".into(), "not-a-cidr".into()],
            },
            WarningList {
                name: "CDNs".into(),
                description: String::new(),
                kind: WarningKind::Hostname,
                values: vec!["cloudfront.net".into()],
            },
            WarningList {
                name: "Update sites".into(),
                description: String::new(),
                kind: WarningKind::Substring,
                values: vec!["windowsupdate".into()],
            },
            WarningList {
                name: "Regex".into(),
                description: String::new(),
                kind: WarningKind::Regex,
                values: vec![r"^https?://[^/]*\.gov\.vn/".into(), "(unclosed".into()],
            },
        ];
        let (w, rejected) = Warnings::build(lists);
        let bad: Vec<_> = rejected.iter().map(ToString::to_string).collect();
        assert_eq!(
            bad,
            [
                "Resolvers of BV Đa khoa[1]: not an IP address: \"not-a-cidr\"",
                "Regex[1]: invalid regular expression: \"(unclosed\"",
            ]
        );
        let by = |s: &str| {
            w.check(&ind(s))
                .map(|s| (s.list.to_string(), s.value.to_string()))
        };
        assert_eq!(
            by("10.1.2.0/24"),
            Some(("Private and reserved ranges".into(), "10.0.0.0/8".into()))
        );
        assert_eq!(by("10.0.0.0/7"), None, "wider than the private range");
        assert_eq!(
            by("8.8.8.8"),
            Some(("Resolvers of BV Đa khoa".into(), "8.8.8.8".into()))
        );
        assert_eq!(
            by("d1.cloudfront.net"),
            Some(("CDNs".into(), "cloudfront.net".into()))
        );
        assert_eq!(
            by("http://x.cloudfront.net/a"),
            Some(("CDNs".into(), "cloudfront.net".into()))
        );
        assert_eq!(
            by("download.WindowsUpdate.com"),
            Some(("Update sites".into(), "windowsupdate".into()))
        );
        assert_eq!(
            by("https://soyte.gov.vn/a"),
            Some(("Regex".into(), r"^https?://[^/]*\.gov\.vn/".into()))
        );
        assert_eq!(
            by("fd00::1"),
            Some(("Private and reserved ranges".into(), "fc00::/7".into()))
        );
        assert_eq!(by("1.2.3.4"), None);
        assert_eq!(by("evil.example"), None);
    }

    #[test]
    fn misp_warning_list_json() {
        let json = br#"{"name": "List of known Google DNS", "type": "cidr", "description": "x", "version": 3, "list": ["8.8.8.8/32", "2001:4860:4860::8888/128"], "matching_attributes": ["ip-dst"]}"#;
        let list = read_warning_list("ignored", WarningKind::String, json).unwrap();
        assert_eq!(list.kind, WarningKind::Cidr);
        assert_eq!(list.values.len(), 2);
        let (w, rejected) = Warnings::build(vec![list]);
        assert!(rejected.is_empty());
        assert!(w.check(&ind("2001:4860:4860::8888")).is_some());
    }
}
