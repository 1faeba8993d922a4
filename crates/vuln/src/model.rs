//! Small value types shared by advisories, the knowledge base and matching.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A Microsoft Knowledge Base article number (the `KB` prefix is not stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Kb(pub u32);

impl Kb {
    /// Parses `"5026382"`, `"KB5026382"` or `"kb5026382"` (surrounding spaces ignored).
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        let digits = t.strip_prefix("KB").or_else(|| t.strip_prefix("kb")).unwrap_or(t);
        if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok().map(Kb)
    }

    /// Like [`Kb::parse`] but requires the `KB` prefix and accepts a suffix after the digits (`KB893803v2`), as
    /// hotfix lists write revised updates.
    pub fn parse_prefixed(text: &str) -> Option<Self> {
        let rest = text
            .trim()
            .strip_prefix("KB")
            .or_else(|| text.trim().strip_prefix("kb"))?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        Kb::parse(&digits)
    }

    /// Every KB number in a list such as `"5022728, 5026958"` or `"5018545;5021085"`; other tokens are returned
    /// separately so a caller can report them.
    pub fn parse_list(text: &str) -> (Vec<Kb>, Vec<String>) {
        let mut kbs = Vec::new();
        let mut other = Vec::new();
        for token in text
            .split([',', ';', ' ', '\n', '\t'])
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            match Kb::parse(token) {
                Some(kb) => kbs.push(kb),
                None => other.push(token.to_owned()),
            }
        }
        (kbs, other)
    }
}

impl fmt::Display for Kb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KB{}", self.0)
    }
}

/// Microsoft's severity rating, ordered from lowest to highest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Severity {
    /// "Low".
    Low,
    /// "Moderate" (Microsoft) or "Medium" (CVSS).
    Moderate,
    /// "Important" (Microsoft) or "High" (CVSS).
    Important,
    /// "Critical".
    Critical,
}

impl Severity {
    /// Parses Microsoft's and CVSS's words, case-insensitively.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "low" => Some(Self::Low),
            "moderate" | "medium" => Some(Self::Moderate),
            "important" | "high" => Some(Self::Important),
            "critical" => Some(Self::Critical),
            _ => None,
        }
    }

    /// Microsoft's word for this rating.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "Low",
            Self::Moderate => "Moderate",
            Self::Important => "Important",
            Self::Critical => "Critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A CVSS score with its vector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cvss {
    /// Base score, 0.0–10.0.
    pub base: f32,
    /// Temporal score when published.
    pub temporal: Option<f32>,
    /// The vector string, e.g. `CVSS:3.1/AV:N/...`.
    pub vector: String,
}

/// A dotted version such as `10.0.19045.2965`, compared numerically part by part.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Version(pub Vec<u32>);

impl Version {
    /// Parses digits separated by dots; `None` if any part is not a number.
    pub fn parse(text: &str) -> Option<Self> {
        let parts: Option<Vec<u32>> = text.trim().split('.').map(|p| p.parse().ok()).collect();
        parts.filter(|p| !p.is_empty()).map(Version)
    }

    /// True when both versions have at least `n` parts and the first `n` are equal.
    pub fn same_prefix(&self, other: &Version, n: usize) -> bool {
        self.0.len() >= n && other.0.len() >= n && self.0[..n] == other.0[..n]
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(u32::to_string).collect();
        f.write_str(&parts.join("."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kb_lists_split_on_commas_and_keep_strays() {
        let (kbs, other) = Kb::parse_list("5022728, 5026958,KB5022729 ..");
        assert_eq!(kbs, vec![Kb(5022728), Kb(5026958), Kb(5022729)]);
        assert_eq!(other, vec![".."]);
        assert_eq!(Kb::parse("20.0.1"), None);
    }

    #[test]
    fn versions_compare_numerically() {
        let a = Version::parse("10.0.19045.2965").unwrap();
        let b = Version::parse("10.0.19045.10000").unwrap();
        assert!(a < b);
        assert!(a.same_prefix(&b, 3));
        assert_eq!(Version::parse("4.8.x"), None);
    }
}
