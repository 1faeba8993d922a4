//! CPE 2.3 names (`cpe:2.3:a:openbsd:openssh:9.3:p1:*:*:*:*:*:*`) and the version comparison NVD's ranges need.

mod version;

pub use version::compare_versions;

use serde::{Deserialize, Serialize};
use std::fmt;

/// A CPE 2.3 formatted string split into its attributes (escapes removed, lower-cased). `*` is ANY and `-` is
/// NOT APPLICABLE, kept as written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Cpe {
    /// `a` application, `o` operating system, `h` hardware.
    pub part: String,
    /// Vendor.
    pub vendor: String,
    /// Product.
    pub product: String,
    /// Version.
    pub version: String,
    /// Update (`p1`, `sp2`).
    pub update: String,
    /// Software edition.
    pub sw_edition: String,
    /// Target software (`windows`, `android`).
    pub target_sw: String,
    /// Target hardware.
    pub target_hw: String,
}

impl Cpe {
    /// Parses `cpe:2.3:part:vendor:product:version:update:edition:language:sw_edition:target_sw:target_hw:other`
    /// (trailing attributes may be left out and are ANY); `\` escapes the next character.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let rest = t
            .strip_prefix("cpe:2.3:")
            .ok_or_else(|| format!("{t:?} is not a CPE 2.3 name (cpe:2.3:…)"))?;
        let mut fields = Vec::new();
        let mut cur = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    if let Some(n) = chars.next() {
                        cur.push(n);
                    }
                }
                ':' => fields.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        fields.push(cur);
        if fields.len() < 3 || fields.len() > 11 {
            return Err(format!("{t:?} has {} attributes, not 3 to 11", fields.len()));
        }
        let at = |i: usize| {
            fields
                .get(i)
                .map(|f| f.trim().to_lowercase())
                .filter(|f| !f.is_empty())
                .unwrap_or_else(|| "*".to_owned())
        };
        let part = at(0);
        if !["a", "o", "h", "*"].contains(&part.as_str()) {
            return Err(format!("{t:?}: part {part:?} is not a, o or h"));
        }
        Ok(Self {
            part,
            vendor: at(1),
            product: at(2),
            version: at(3),
            update: at(4),
            sw_edition: at(7),
            target_sw: at(8),
            target_hw: at(9),
        })
    }

    /// A CPE with vendor, product and version, the rest ANY.
    pub fn new(part: &str, vendor: &str, product: &str, version: &str) -> Self {
        Self {
            part: part.into(),
            vendor: vendor.into(),
            product: product.into(),
            version: version.into(),
            update: "*".into(),
            sw_edition: "*".into(),
            target_sw: "*".into(),
            target_hw: "*".into(),
        }
    }
}

impl fmt::Display for Cpe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cpe:2.3:{}:{}:{}:{}:{}:*:*:{}:{}:{}:*",
            self.part,
            self.vendor,
            self.product,
            self.version,
            self.update,
            self.sw_edition,
            self.target_sw,
            self.target_hw
        )
    }
}

/// A product name as CPE writes it: lower case, runs of spaces and punctuation other than `.`, `-` and `+` as
/// one `_` (`Apache HTTP Server` → `apache_http_server`).
pub fn normalise_product(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut gap = false;
    for c in name.trim().chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() || matches!(c, '.' | '-' | '+') {
            if gap && !out.is_empty() {
                out.push('_');
            }
            gap = false;
            out.push(c);
        } else {
            gap = true;
        }
    }
    out
}

/// The key a CPE dictionary title and a program's display name share: normalised ([`normalise_product`]) without
/// a trailing version (`PHPGurukul Car Rental Portal 1.0` → `phpgurukul_car_rental_portal`).
pub fn dictionary_key(title: &str, version: &str) -> String {
    let n = normalise_product(title);
    let v = normalise_product(version);
    match n.strip_suffix(&format!("_{v}")) {
        Some(head) if !v.is_empty() && v != "*" && v != "-" => head.to_owned(),
        _ => n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpe_names_parse_with_escapes() {
        let c = Cpe::parse(
            "cpe:2.3:a:cisco:unified_communications_manager:12.5\\(1\\)su8:*:*:*:session_management:*:*:*",
        )
        .unwrap();
        assert_eq!(
            (c.vendor.as_str(), c.product.as_str()),
            ("cisco", "unified_communications_manager")
        );
        assert_eq!(c.version, "12.5(1)su8");
        assert_eq!(c.sw_edition, "session_management");
        let o = Cpe::parse("cpe:2.3:a:openbsd:openssh:9.3:p1:*:*:*:*:*:*").unwrap();
        assert_eq!((o.version.as_str(), o.update.as_str()), ("9.3", "p1"));
        assert!(Cpe::parse("cpe:/a:openbsd:openssh:9.3").is_err());
        assert!(Cpe::parse("cpe:2.3:x:a:b").is_err());
        assert_eq!(normalise_product("Apache HTTP Server"), "apache_http_server");
        assert_eq!(normalise_product("  OpenSSH "), "openssh");
        assert_eq!(
            dictionary_key("PHPGurukul Car Rental Portal 1.0", "1.0"),
            "phpgurukul_car_rental_portal"
        );
        assert_eq!(dictionary_key("Product 11.0", "1.0"), "product_11.0");
    }
}
