//! Indicator values and the facts a list gives about them.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use chrono::NaiveDateTime;
use serde::Serialize;

/// An inclusive range of IPv4 or IPv6 addresses: one address, a CIDR block or an `a-b` range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IpRange {
    /// IPv4 addresses `first..=last`, as integers.
    V4(u32, u32),
    /// IPv6 addresses `first..=last`, as integers.
    V6(u128, u128),
}

impl IpRange {
    /// The range holding one address.
    pub fn single(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(a) => Self::V4(a.into(), a.into()),
            IpAddr::V6(a) => Self::V6(a.into(), a.into()),
        }
    }

    /// The CIDR block `ip/prefix` (host bits of `ip` are ignored), or `None` when the prefix is too long.
    pub fn cidr(ip: IpAddr, prefix: u8) -> Option<Self> {
        match ip {
            IpAddr::V4(a) if prefix <= 32 => {
                let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
                let first = u32::from(a) & mask;
                Some(Self::V4(first, first | !mask))
            }
            IpAddr::V6(a) if prefix <= 128 => {
                let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
                let first = u128::from(a) & mask;
                Some(Self::V6(first, first | !mask))
            }
            _ => None,
        }
    }

    /// The range `first..=last`, or `None` when they are of different families or out of order.
    pub fn between(first: IpAddr, last: IpAddr) -> Option<Self> {
        match (first, last) {
            (IpAddr::V4(a), IpAddr::V4(b)) if a <= b => Some(Self::V4(a.into(), b.into())),
            (IpAddr::V6(a), IpAddr::V6(b)) if a <= b => Some(Self::V6(a.into(), b.into())),
            _ => None,
        }
    }

    /// Whether `ip` lies in the range.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self, ip) {
            (Self::V4(a, b), IpAddr::V4(x)) => (*a..=*b).contains(&u32::from(x)),
            (Self::V6(a, b), IpAddr::V6(x)) => (*a..=*b).contains(&u128::from(x)),
            _ => false,
        }
    }

    /// Whether the two ranges share at least one address.
    pub fn overlaps(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::V4(a, b), Self::V4(c, d)) => a <= d && c <= b,
            (Self::V6(a, b), Self::V6(c, d)) => a <= d && c <= b,
            _ => false,
        }
    }

    /// How many addresses the range holds (saturating at `u128::MAX` for all of IPv6).
    pub fn len(&self) -> u128 {
        match self {
            Self::V4(a, b) => u128::from(b - a) + 1,
            Self::V6(a, b) => (b - a).saturating_add(1),
        }
    }

    /// Always false: a range holds at least one address.
    pub fn is_empty(&self) -> bool {
        false
    }
}

impl fmt::Display for IpRange {
    /// One address, the CIDR block when the range is one, otherwise `first-last`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (first, last, bits, span): (IpAddr, IpAddr, u32, u128) = match *self {
            Self::V4(a, b) => (
                Ipv4Addr::from(a).into(),
                Ipv4Addr::from(b).into(),
                32,
                u128::from(b - a),
            ),
            Self::V6(a, b) => (Ipv6Addr::from(a).into(), Ipv6Addr::from(b).into(), 128, b - a),
        };
        if span == 0 {
            return write!(f, "{first}");
        }
        let host_bits = 128 - span.leading_zeros();
        let aligned = span.count_ones() == host_bits
            && match *self {
                Self::V4(a, _) => u128::from(a) & span == 0,
                Self::V6(a, _) => a & span == 0,
            };
        if aligned {
            write!(f, "{first}/{}", bits - host_bits)
        } else {
            write!(f, "{first}-{last}")
        }
    }
}

impl Serialize for IpRange {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Which digest a file hash is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HashKind {
    /// 16 bytes.
    Md5,
    /// 20 bytes.
    Sha1,
    /// 32 bytes.
    Sha256,
}

/// A file hash, kept as bytes (so lookups compare bytes, whatever the case of the hex text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileHash {
    /// An MD5 digest.
    Md5([u8; 16]),
    /// A SHA-1 digest.
    Sha1([u8; 20]),
    /// A SHA-256 digest.
    Sha256([u8; 32]),
}

impl FileHash {
    /// Parses 32, 40 or 64 hexadecimal digits (any case, surrounding whitespace ignored). Allocates nothing.
    pub fn parse(text: &str) -> Option<Self> {
        let hex = text.trim().as_bytes();
        match hex.len() {
            32 => decode_hex::<16>(hex).map(Self::Md5),
            40 => decode_hex::<20>(hex).map(Self::Sha1),
            64 => decode_hex::<32>(hex).map(Self::Sha256),
            _ => None,
        }
    }

    /// Which digest this is.
    pub fn kind(&self) -> HashKind {
        match self {
            Self::Md5(_) => HashKind::Md5,
            Self::Sha1(_) => HashKind::Sha1,
            Self::Sha256(_) => HashKind::Sha256,
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            Self::Md5(b) => b,
            Self::Sha1(b) => b,
            Self::Sha256(b) => b,
        }
    }
}

fn decode_hex<const N: usize>(hex: &[u8]) -> Option<[u8; N]> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let mut out = [0u8; N];
    for (i, pair) in hex.chunks_exact(2).enumerate() {
        *out.get_mut(i)? = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(out)
}

impl fmt::Display for FileHash {
    /// Lowercase hexadecimal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.bytes().iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// One indicator value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Indicator {
    /// An address, CIDR block or address range.
    Ip(IpRange),
    /// A domain name, lowercase without trailing dot; its subdomains match too.
    Domain(String),
    /// A URL, with scheme and host lowercase and without fragment.
    Url(String),
    /// A file hash.
    #[serde(serialize_with = "ser_display")]
    Hash(FileHash),
}

fn ser_display<S: serde::Serializer>(v: &FileHash, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

impl fmt::Display for Indicator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ip(r) => r.fmt(f),
            Self::Domain(d) | Self::Url(d) => f.write_str(d),
            Self::Hash(h) => h.fmt(f),
        }
    }
}

/// What a list says an indicator is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Category {
    /// A botnet command-and-control server.
    BotnetC2,
    /// A machine infected by a botnet (the usual content of the national Botnet IP list).
    InfectedHost,
    /// Phishing.
    Phishing,
    /// Malware distribution or a malware sample.
    Malware,
    /// Attacks, scans, brute force.
    Attack,
    /// Spam or hijacked networks (Spamhaus DROP).
    Spam,
    /// Not said by the list.
    #[default]
    Unknown,
    /// Another category, in the list's words.
    Other(String),
}

impl Category {
    /// The category a list's own words name: English or Vietnamese, case and diacritics ignored.
    pub fn from_words(words: &str) -> Self {
        let w = crate::text::fold(words);
        let padded = format!(" {w}");
        // Words match at a word start: "bot" matches "botnet" but not "Pikabot".
        let has = |k: &[&str]| k.iter().any(|k| padded.contains(&format!(" {k}")));
        if w.is_empty() {
            Self::Unknown
        } else if has(&["c2", "c&c", "command and control", "botnet cc", "dieu khien"]) {
            Self::BotnetC2
        } else if has(&["botnet", "infected", "nhiem", "bot"]) {
            Self::InfectedHost
        } else if has(&["phish", "lua dao", "gia mao"]) {
            Self::Phishing
        } else if has(&["malware", "ma doc", "ransom", "trojan", "payload"]) {
            Self::Malware
        } else if has(&["attack", "scan", "brute", "tan cong"]) {
            Self::Attack
        } else if has(&["spam", "drop", "hijack"]) {
            Self::Spam
        } else {
            Self::Other(words.trim().to_string())
        }
    }
}

/// The facts a list gives about one indicator.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Meta {
    /// What the indicator is.
    pub category: Category,
    /// When it was first seen, as the list says.
    pub first_seen: Option<NaiveDateTime>,
    /// When it was last seen.
    pub last_seen: Option<NaiveDateTime>,
    /// The port it was seen on (C2 lists give one).
    pub port: Option<u16>,
    /// The malware or botnet family ("Emotet", "Mirai", …).
    pub family: Option<String>,
    /// Any other column or field, by the list's own name (e.g. `("sbl", "SBL123")`, `("lists", "7")`).
    pub attributes: Vec<(String, String)>,
}

/// One entry of a list: the indicator, the facts about it and where it came from in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The indicator.
    pub indicator: Indicator,
    /// The facts the list gives.
    pub meta: Meta,
    /// Where in the file it was read: `line 12`, `row 5`, `objects[3]`.
    pub origin: crate::Location,
}

/// How a list version arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ListKind {
    /// The monthly list (e.g. the Department of Information and Communications' Botnet IP list).
    Monthly,
    /// Sent once, outside the monthly cycle.
    #[default]
    AdHoc,
    /// A public feed refreshed automatically (FireHOL, Spamhaus, abuse.ch).
    Feed,
}

/// A dated version of a list, as imported: its name, source, kind and entries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct List {
    /// The list's name, e.g. "Botnet IP list".
    pub name: String,
    /// Who sent it, e.g. "Department of Information and Communications".
    pub source: String,
    /// The version, e.g. "2024-01".
    pub version: String,
    /// Monthly, ad hoc or feed.
    pub kind: ListKind,
    /// The category given to entries whose file says none.
    pub default_category: Category,
    /// The entries.
    pub entries: Vec<Entry>,
}

impl List {
    /// The same list with its kind set.
    pub fn with_kind(mut self, kind: ListKind) -> Self {
        self.kind = kind;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_print_as_cidr_when_aligned() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(
            IpRange::cidr(ip("10.1.2.3"), 8).unwrap().to_string(),
            "10.0.0.0/8"
        );
        assert_eq!(IpRange::cidr(ip("0.0.0.0"), 0).unwrap().to_string(), "0.0.0.0/0");
        assert_eq!(
            IpRange::cidr(ip("2001:db8::1"), 32).unwrap().to_string(),
            "2001:db8::/32"
        );
        assert_eq!(IpRange::single(ip("192.0.2.1")).to_string(), "192.0.2.1");
        assert_eq!(
            IpRange::between(ip("10.0.0.1"), ip("10.0.0.4"))
                .unwrap()
                .to_string(),
            "10.0.0.1-10.0.0.4"
        );
        assert_eq!(IpRange::cidr(ip("10.0.0.0"), 33), None);
        assert_eq!(IpRange::between(ip("10.0.0.2"), ip("10.0.0.1")), None);
    }

    #[test]
    fn hashes_parse_any_case() {
        let h = FileHash::parse("44D88612FEA8A8F36DE82E1278ABB02F").unwrap();
        assert_eq!(h.kind(), HashKind::Md5);
        assert_eq!(h.to_string(), "44d88612fea8a8f36de82e1278abb02f");
        assert_eq!(FileHash::parse("44d88612fea8a8f36de82e1278abb02g"), None);
        assert_eq!(FileHash::parse("abc"), None);
    }

    #[test]
    fn categories_from_english_and_vietnamese_words() {
        assert_eq!(Category::from_words("AsyncRAT C&C"), Category::BotnetC2);
        assert_eq!(
            Category::from_words("Máy nhiễm mã độc botnet"),
            Category::InfectedHost
        );
        assert_eq!(Category::from_words("Lừa đảo"), Category::Phishing);
        assert_eq!(Category::from_words(""), Category::Unknown);
        assert_eq!(Category::from_words("weird"), Category::Other("weird".into()));
        assert_eq!(Category::from_words("Pikabot"), Category::Other("Pikabot".into()));
    }
}
