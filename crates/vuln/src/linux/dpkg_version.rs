//! Debian package versions (`[epoch:]upstream[-revision]`) ordered as dpkg orders them (Debian Policy §5.6.12):
//! epochs numerically, then upstream and revision alternating non-digit parts (compared character by character,
//! letters before non-letters, `~` before everything, even the end) and digit parts (numerically).

use std::cmp::Ordering;
use std::fmt;

/// A parsed Debian version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebVersion {
    /// The epoch (0 when absent).
    pub epoch: u64,
    /// The upstream version.
    pub upstream: String,
    /// The Debian revision (empty when absent; dpkg orders an absent revision like `0`).
    pub revision: String,
}

impl DebVersion {
    /// Parses a version, refusing what dpkg refuses: an empty version, a non-numeric epoch, an empty upstream
    /// part, an upstream part not starting with a digit, and characters outside letters, digits and `.+~-:`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("empty version".into());
        }
        let (epoch, rest) = match t.split_once(':') {
            Some((e, rest)) => {
                let epoch = e
                    .parse::<u64>()
                    .map_err(|_| format!("{t:?}: epoch {e:?} is not a number"))?;
                (epoch, rest)
            }
            None => (0, t),
        };
        let (upstream, revision) = match rest.rsplit_once('-') {
            Some((u, r)) => (u, r),
            None => (rest, ""),
        };
        if upstream.is_empty() {
            return Err(format!("{t:?}: empty upstream version"));
        }
        if !upstream.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(format!("{t:?}: the upstream version must start with a digit"));
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || ".+~-:".contains(c);
        if let Some(bad) = rest.chars().find(|c| !allowed(*c)) {
            return Err(format!("{t:?}: character {bad:?} is not allowed in a version"));
        }
        if revision.contains(':') {
            return Err(format!("{t:?}: ':' in the revision"));
        }
        Ok(Self {
            epoch,
            upstream: upstream.to_owned(),
            revision: revision.to_owned(),
        })
    }
}

impl Ord for DebVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(&self.upstream, &other.upstream))
            .then_with(|| verrevcmp(&self.revision, &other.revision))
    }
}

impl PartialOrd for DebVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for DebVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.epoch > 0 {
            write!(f, "{}:", self.epoch)?;
        }
        f.write_str(&self.upstream)?;
        if !self.revision.is_empty() {
            write!(f, "-{}", self.revision)?;
        }
        Ok(())
    }
}

/// Compares two version texts the way `dpkg --compare-versions` does; an error names the version that does not
/// parse.
pub fn compare_dpkg(a: &str, b: &str) -> Result<Ordering, String> {
    Ok(DebVersion::parse(a)?.cmp(&DebVersion::parse(b)?))
}

/// dpkg's weight of a character in a non-digit part: `~` lowest (below the end of the string), then the end and
/// digits, then letters, then everything else.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`.
fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    let digit = |s: &[u8], k: usize| s.get(k).is_some_and(u8::is_ascii_digit);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !digit(a, i)) || (j < b.len() && !digit(b, j)) {
            let (ac, bc) = (order(a.get(i).copied()), order(b.get(j).copied()));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while digit(a, i) && digit(b, j) {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if digit(a, i) {
            return Ordering::Greater;
        }
        if digit(b, j) {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal, Greater, Less};

    /// Cases from Debian Policy §5.6.12 and dpkg's own test suite (`lib/dpkg/t/t-version.c`), plus the versions
    /// the security data uses.
    #[test]
    fn dpkg_ordering() {
        let cases = [
            // Policy: "~~" < "~~a" < "~" < "" < "a", shown on upstream versions.
            ("1.0~~", "1.0~~a", Less),
            ("1.0~~a", "1.0~", Less),
            ("1.0~", "1.0", Less),
            ("1.0", "1.0a", Less),
            // Pre-releases with ~ sort before the release.
            ("1.0~rc1", "1.0", Less),
            ("1.0~rc1-1", "1.0-1", Less),
            ("2.30~rc2-1", "2.30-1", Less),
            // The epoch wins over everything.
            ("1:0.1", "2.0", Greater),
            ("0:1.0", "1.0", Equal),
            // An absent revision is like revision 0.
            ("1.0", "1.0-0", Equal),
            ("1.0-1", "1.0", Greater),
            // Digit parts compare numerically, leading zeros ignored.
            ("1.002", "1.2", Equal),
            ("1.10", "1.9", Greater),
            ("1.0.1", "1.0", Greater),
            // Non-letters sort after letters: "+" after the end and after letters.
            ("1.0+b1", "1.0", Greater),
            ("1.0+", "1.0a", Greater),
            ("1.0+", "1.0.", Less),
            // dpkg's t-version.c.
            ("0:1.1-1", "0:1.0-1", Greater),
            ("1:1.0-1", "0:1.0-1", Greater),
            ("1.0-1", "1.0-2", Less),
            ("1.0-a", "1.0-b", Less),
            ("1.0-a", "1.0-1", Greater),
            ("1.1.6r2-2", "1.1.6r-1", Greater),
            ("2.6b2-1", "2.6b-2", Greater),
            ("98.1p5-1", "98.1-pre2-b6-2", Less),
            ("0.4a6-2", "0.4-1", Greater),
            ("1:3.0.5-2", "1:3.0.5.1", Less),
            ("10.3", "1:0.4", Less),
            ("1:1.25-4", "1:1.25-8", Less),
            ("0:1.18.36", "1.18.36", Equal),
            ("1.18.36", "1.18.35", Greater),
            ("0:1.18.36", "1.18.35", Greater),
            ("9:1.18.36:5.4-20", "10:0.5.1-22", Less),
            ("9:1.18.36:5.4-20", "9:1.18.36:5.5-1", Less),
            ("9:1.18.36:5.4-20", " 9:1.18.37:4.3-22", Less),
            ("1.18.36-0.17.35-18", "1.18.36-19", Greater),
            ("1:1.2.13-3", "1:1.2.13-3.1", Less),
            ("2.0.7pre1-4", "2.0.7r-1", Less),
            // Security data: OpenSSH in Debian 12 and Ubuntu 22.04.
            ("1:9.2p1-2", "1:9.2p1-2+deb12u1", Less),
            ("1:9.2p1-2+deb12u1", "1:9.2p1-2+deb12u1", Equal),
            ("1:9.2p1-2+deb12u2", "1:9.2p1-2+deb12u1", Greater),
            ("1:8.9p1-3ubuntu0.1", "1:8.9p1-3ubuntu0.3", Less),
            ("1:8.9p1-3ubuntu0.10", "1:8.9p1-3ubuntu0.3", Greater),
            ("3.0.11-1~deb12u2", "3.0.11-1", Less),
            ("3.0.11-1~deb12u2+b1", "3.0.11-1~deb12u2", Greater),
        ];
        for (a, b, want) in cases {
            assert_eq!(compare_dpkg(a, b), Ok(want), "{a} vs {b}");
            assert_eq!(compare_dpkg(b, a), Ok(want.reverse()), "{b} vs {a}");
        }
    }

    #[test]
    fn malformed_versions_are_refused() {
        for bad in ["", "a:1.0", "1:", "-1", "abc", "1.0 beta", "1:2.0-3:4"] {
            assert!(DebVersion::parse(bad).is_err(), "{bad:?} parsed");
        }
        let v = DebVersion::parse("1:9.2p1-2+deb12u1").unwrap();
        assert_eq!(
            (v.epoch, v.upstream.as_str(), v.revision.as_str()),
            (1, "9.2p1", "2+deb12u1")
        );
        assert_eq!(v.to_string(), "1:9.2p1-2+deb12u1");
    }
}
