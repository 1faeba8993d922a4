//! `/etc/os-release` (or `/usr/lib/os-release`): shell-style `KEY=value` lines.

use std::collections::BTreeMap;

/// The members of os-release the inventory uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OsRelease {
    /// `NAME`.
    pub name: Option<String>,
    /// `PRETTY_NAME`.
    pub pretty_name: Option<String>,
    /// `ID`.
    pub id: Option<String>,
    /// `VERSION_ID`.
    pub version_id: Option<String>,
    /// `VERSION_CODENAME`.
    pub version_codename: Option<String>,
}

impl OsRelease {
    /// Parses the file's text. Comments, blank lines and lines without `=` are skipped; values may be quoted with
    /// `"` or `'`, and `\"`, `\\`, `\$`, `` \` `` are unescaped inside double quotes.
    pub fn parse(text: &str) -> Self {
        let mut map = BTreeMap::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            map.insert(key.trim().to_owned(), unquote(value.trim()));
        }
        let mut take = |k: &str| map.remove(k).filter(|v| !v.is_empty());
        Self {
            name: take("NAME"),
            pretty_name: take("PRETTY_NAME"),
            id: take("ID"),
            version_id: take("VERSION_ID"),
            version_codename: take("VERSION_CODENAME"),
        }
    }

    /// `PRETTY_NAME`, else `NAME`, else `Linux`.
    pub fn display_name(&self) -> String {
        self.pretty_name
            .clone()
            .or_else(|| self.name.clone())
            .unwrap_or_else(|| "Linux".to_owned())
    }
}

fn unquote(value: &str) -> String {
    if let Some(inner) = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        return inner.to_owned();
    }
    let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) else {
        return value.to_owned();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(n @ ('"' | '\\' | '$' | '`')) => out.push(n),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The leading dotted-number part of a version (`22.04` of `22.04`, `9` of `9-stream`), `None` when it starts with
/// no digit or a part does not fit 32 bits.
pub fn dotted_version(text: &str) -> Option<String> {
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let head = text[..end].trim_end_matches('.');
    if head.is_empty() || head.split('.').any(|p| p.parse::<u32>().is_err()) {
        return None;
    }
    Some(head.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_and_escaped_values() {
        let r = OsRelease::parse(
            "# comment\nNAME=\"Debian GNU/Linux\"\nPRETTY_NAME='Debian 12'\nID=debian\n\
             VERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nBAD LINE\nX=\"a \\\"b\\\" \\$c\"\n",
        );
        assert_eq!(r.name.as_deref(), Some("Debian GNU/Linux"));
        assert_eq!(r.pretty_name.as_deref(), Some("Debian 12"));
        assert_eq!(r.id.as_deref(), Some("debian"));
        assert_eq!(r.version_id.as_deref(), Some("12"));
        assert_eq!(r.version_codename.as_deref(), Some("bookworm"));
        assert_eq!(unquote("\"a \\\"b\\\" \\$c\""), "a \"b\" $c");
    }

    #[test]
    fn dotted_versions() {
        assert_eq!(dotted_version("22.04").as_deref(), Some("22.04"));
        assert_eq!(dotted_version("9-stream").as_deref(), Some("9"));
        assert_eq!(dotted_version("15.5.").as_deref(), Some("15.5"));
        assert_eq!(dotted_version("rolling"), None);
        assert_eq!(dotted_version("99999999999"), None);
        assert_eq!(dotted_version("1..2"), None);
    }
}
