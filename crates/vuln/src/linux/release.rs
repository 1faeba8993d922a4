//! Distributions and their releases as security data names them: Debian by codename (`bookworm`), Ubuntu by
//! version in OSV (`Ubuntu:22.04:LTS`) and by codename elsewhere; both are kept as codenames here.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A distribution whose security data is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Distro {
    /// Debian.
    Debian,
    /// Ubuntu.
    Ubuntu,
}

impl Distro {
    /// From an os-release `ID` or an OSV ecosystem name, case-insensitively.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "debian" => Some(Self::Debian),
            "ubuntu" => Some(Self::Ubuntu),
            _ => None,
        }
    }

    /// `Debian` or `Ubuntu`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Debian => "Debian",
            Self::Ubuntu => "Ubuntu",
        }
    }
}

impl fmt::Display for Distro {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Release numbers and codenames, a table of data.
const RELEASES: &[(Distro, &str, &str)] = &[
    (Distro::Debian, "9", "stretch"),
    (Distro::Debian, "10", "buster"),
    (Distro::Debian, "11", "bullseye"),
    (Distro::Debian, "12", "bookworm"),
    (Distro::Debian, "13", "trixie"),
    (Distro::Debian, "14", "forky"),
    (Distro::Ubuntu, "16.04", "xenial"),
    (Distro::Ubuntu, "18.04", "bionic"),
    (Distro::Ubuntu, "20.04", "focal"),
    (Distro::Ubuntu, "22.04", "jammy"),
    (Distro::Ubuntu, "23.10", "mantic"),
    (Distro::Ubuntu, "24.04", "noble"),
    (Distro::Ubuntu, "24.10", "oracular"),
    (Distro::Ubuntu, "25.04", "plucky"),
];

/// The codename of a release given by number (`12`, `12.5` for a Debian point release, `22.04`) or already by
/// codename (returned lower-cased). `None` for a number the table does not know.
pub fn codename_of(distro: Distro, release: &str) -> Option<String> {
    let r = release.trim().to_ascii_lowercase();
    if r.is_empty() {
        return None;
    }
    if !r.starts_with(|c: char| c.is_ascii_digit()) {
        return Some(r);
    }
    // Debian point releases (12.5) are the same release as 12.
    let key = match distro {
        Distro::Debian => r.split('.').next().unwrap_or(&r).to_owned(),
        Distro::Ubuntu => r.split('.').take(2).collect::<Vec<_>>().join("."),
    };
    RELEASES
        .iter()
        .find(|(d, n, _)| *d == distro && *n == key)
        .map(|(_, _, c)| (*c).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_map_to_codenames() {
        assert_eq!(codename_of(Distro::Debian, "12").as_deref(), Some("bookworm"));
        assert_eq!(codename_of(Distro::Debian, "12.5").as_deref(), Some("bookworm"));
        assert_eq!(codename_of(Distro::Debian, "10").as_deref(), Some("buster"));
        assert_eq!(codename_of(Distro::Debian, "13").as_deref(), Some("trixie"));
        assert_eq!(codename_of(Distro::Ubuntu, "22.04").as_deref(), Some("jammy"));
        assert_eq!(codename_of(Distro::Ubuntu, "20.04").as_deref(), Some("focal"));
        assert_eq!(codename_of(Distro::Ubuntu, "24.04").as_deref(), Some("noble"));
        assert_eq!(codename_of(Distro::Ubuntu, "Jammy").as_deref(), Some("jammy"));
        assert_eq!(codename_of(Distro::Debian, "7"), None);
        assert_eq!(Distro::parse("Ubuntu"), Some(Distro::Ubuntu));
        assert_eq!(Distro::parse("rhel"), None);
    }
}
