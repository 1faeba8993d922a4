//! Debian and Ubuntu hosts against distribution security data: the host's release and dpkg packages (grouped by
//! source package, dpkg's `Source:`) against each statement for that release, versions ordered as dpkg orders them.

use super::judge::Outcome;
use crate::advisory::distro::{PackageAdvisory, PackageStatus};
use crate::inventory::{HostInventory, Software};
use crate::knowledge::CveRecord;
use crate::linux::{compare_dpkg, Distro};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

/// What a Linux host brings to matching.
pub(super) struct LinuxHost<'h> {
    /// The distribution, when its security data is read (Debian, Ubuntu).
    pub distro: Option<Distro>,
    /// The os-release `ID` as given.
    pub id: &'h str,
    /// The release's codename.
    pub release: Option<&'h str>,
    /// dpkg packages by source package as security data names it ([`Software::security_source`]: a signed
    /// kernel under `linux`); `None` when the inventory lists no software.
    pub by_source: Option<HashMap<Cow<'h, str>, Vec<&'h Software>>>,
}

impl<'h> LinuxHost<'h> {
    pub(super) fn of(host: &'h HostInventory) -> Option<Self> {
        let id = host.distro.as_deref().filter(|_| host.is_linux())?;
        let by_source = host.software.as_ref().map(|list| {
            let mut map: HashMap<Cow<'h, str>, Vec<&Software>> = HashMap::new();
            for s in list.iter().filter(|s| s.manager.as_deref() == Some("dpkg")) {
                map.entry(s.security_source().0).or_default().push(s);
            }
            map
        });
        Some(Self {
            distro: Distro::parse(id),
            id,
            release: host.release.as_deref(),
            by_source,
        })
    }
}

/// The outcomes of the distribution's statements about `rec` for this host, or `None` when the imported data says
/// nothing about the host's distribution for this CVE.
pub(super) fn judge_packages(lx: &LinuxHost<'_>, rec: &CveRecord) -> Option<Vec<Outcome<'static>>> {
    let distro = lx.distro?;
    let mut by_package: BTreeMap<&str, Vec<&PackageAdvisory>> = BTreeMap::new();
    for p in rec.packages.iter().filter(|p| p.distro == distro) {
        by_package.entry(p.package.as_str()).or_default().push(p);
    }
    if by_package.is_empty() {
        return None;
    }
    let Some(by_source) = &lx.by_source else {
        let names: Vec<&str> = by_package.keys().copied().collect();
        return Some(vec![Outcome::Unknown {
            missing: format!(
                "whether {} is installed (the inventory lists no packages)",
                names.join(", ")
            ),
        }]);
    };
    let mut out = Vec::new();
    for (package, statements) in by_package {
        let Some(binaries) = by_source.get(package) else {
            out.push(Outcome::NotAffected {
                evidence: format!("{distro} source package {package} is not installed"),
            });
            continue;
        };
        let Some(release) = lx.release else {
            out.push(Outcome::Unknown {
                missing: format!(
                    "the host's {distro} release (os.display_version or os.version of the inventory), to read {package}'s status"
                ),
            });
            continue;
        };
        let here: Vec<&PackageAdvisory> = statements
            .iter()
            .copied()
            .filter(|p| p.release == release)
            .collect();
        if here.is_empty() {
            let mut known: Vec<&str> = statements.iter().map(|p| p.release.as_str()).collect();
            known.sort_unstable();
            known.dedup();
            out.push(Outcome::Unknown {
                missing: format!(
                    "whether {package} in {release} is affected: the imported {distro} data covers {} only",
                    known.join(", ")
                ),
            });
            continue;
        }
        for bin in binaries {
            out.push(worst(here.iter().map(|p| binary(bin, p))));
        }
    }
    Some(out)
}

fn severity(o: &Outcome<'_>) -> u8 {
    match o {
        Outcome::Package { vulnerable: true, .. } | Outcome::Vulnerable { .. } => 4,
        Outcome::Unknown { .. } | Outcome::NotListed { .. } => 3,
        Outcome::Package { .. } | Outcome::Remediated { .. } => 2,
        Outcome::NotAffected { .. } => 1,
    }
}

/// The decisive outcome of several statements about one binary: vulnerable, then unknown, remediated, not affected.
fn worst(outcomes: impl Iterator<Item = Outcome<'static>>) -> Outcome<'static> {
    outcomes.max_by_key(severity).unwrap_or(Outcome::NotAffected {
        evidence: String::new(),
    })
}

/// One binary package against one statement.
fn binary(bin: &Software, p: &PackageAdvisory) -> Outcome<'static> {
    let (source, _) = bin.source();
    let (compared, version) = bin.security_source();
    let mut installed = match (&bin.version, bin.source_version.as_deref()) {
        (Some(v), Some(sv)) if v != sv => format!("{} {v} (source {source} {sv})", bin.name),
        (Some(v), _) if source != bin.name => format!("{} {v} (source {source})", bin.name),
        (Some(v), _) => format!("{} {v}", bin.name),
        (None, _) => bin.name.clone(),
    };
    if compared != source {
        installed.push_str(&format!(" [compared as {compared} {}]", version.unwrap_or("?")));
    }
    let urgency = p
        .urgency
        .as_deref()
        .map(|u| format!(", urgency {u}"))
        .unwrap_or_default();
    let whose = format!("in {} ({}{urgency})", p.release, p.advisory);
    let Some(version) = version else {
        return Outcome::Unknown {
            missing: format!("the installed version of {}", bin.name),
        };
    };
    let cmp = |other: &str| compare_dpkg(version, other);
    let unknown = |e: String| Outcome::Unknown {
        missing: format!("a comparable version for {} {whose}: {e}", bin.name),
    };
    let before_intro = |introduced: &Option<String>| -> Result<bool, String> {
        match introduced {
            Some(i) => Ok(cmp(i)? == Ordering::Less),
            None => Ok(false),
        }
    };
    match &p.status {
        PackageStatus::NotAffected => Outcome::NotAffected {
            evidence: format!("{installed}: {} was never affected {whose}", p.package),
        },
        PackageStatus::Undetermined => Outcome::Unknown {
            missing: format!(
                "whether {} is affected {whose}: not yet determined by {}",
                p.package, p.distro
            ),
        },
        PackageStatus::Fixed { introduced, fixed } => match (before_intro(introduced), cmp(fixed)) {
            (Err(e), _) | (_, Err(e)) => unknown(e),
            (Ok(true), _) => Outcome::NotAffected {
                evidence: format!("{installed} is older than the first affected version {whose}"),
            },
            (Ok(false), Ok(Ordering::Less)) => Outcome::Package {
                vulnerable: true,
                fix: format!("{} → {fixed}", bin.name),
                evidence: format!("{installed} is below the fixed version {fixed} {whose}"),
            },
            (Ok(false), Ok(_)) => Outcome::Package {
                vulnerable: false,
                fix: format!("{} {}", bin.name, bin.version.as_deref().unwrap_or(version)),
                evidence: format!("{installed} is at or above the fixed version {fixed} {whose}"),
            },
        },
        PackageStatus::LastAffected { introduced, last } => match (before_intro(introduced), cmp(last)) {
            (Err(e), _) | (_, Err(e)) => unknown(e),
            (Ok(true), _) => Outcome::NotAffected {
                evidence: format!("{installed} is older than the first affected version {whose}"),
            },
            (Ok(false), Ok(Ordering::Greater)) => Outcome::Package {
                vulnerable: false,
                fix: format!("{} {}", bin.name, bin.version.as_deref().unwrap_or(version)),
                evidence: format!("{installed} is newer than the last affected version {last} {whose}"),
            },
            (Ok(false), Ok(_)) => Outcome::Package {
                vulnerable: true,
                fix: format!("{}: no fixed version named", bin.name),
                evidence: format!(
                    "{installed} is at or below the last affected version {last} {whose}; no fix is named"
                ),
            },
        },
        PackageStatus::Open { introduced } => match before_intro(introduced) {
            Err(e) => unknown(e),
            Ok(true) => Outcome::NotAffected {
                evidence: format!("{installed} is older than the first affected version {whose}"),
            },
            Ok(false) => Outcome::Package {
                vulnerable: true,
                fix: format!("{}: no fix yet", bin.name),
                evidence: format!("{installed} is affected {whose}: no fix yet"),
            },
        },
        PackageStatus::Versions { versions } => {
            let listed = versions.iter().any(|v| cmp(v) == Ok(Ordering::Equal));
            if listed {
                Outcome::Package {
                    vulnerable: true,
                    fix: format!("{}: a version not listed as affected", bin.name),
                    evidence: format!("{installed} is listed as affected {whose}"),
                }
            } else {
                Outcome::NotAffected {
                    evidence: format!("{installed} is not among the affected versions {whose}"),
                }
            }
        }
    }
}

/// Microsoft's products on a Linux host: Windows and its components do not run there; a Microsoft program in the
/// host's software list (by name) is not decided by Windows update data.
pub(super) fn microsoft_on_linux(
    lx: &LinuxHost<'_>,
    names: &[&str],
    software: Option<&[Software]>,
) -> Outcome<'static> {
    let listed: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| {
            let p = n.to_ascii_lowercase();
            software.is_some_and(|list| {
                list.iter().any(|s| {
                    let s = s.name.to_ascii_lowercase();
                    !s.is_empty() && (p.starts_with(&s) || s.starts_with(&p))
                })
            })
        })
        .collect();
    if listed.is_empty() {
        Outcome::NotAffected {
            evidence: format!(
                "Microsoft products only ({}{}); the host runs {}",
                names.iter().take(2).copied().collect::<Vec<_>>().join("; "),
                if names.len() > 2 { "; …" } else { "" },
                lx.id
            ),
        }
    } else {
        Outcome::Unknown {
            missing: format!(
                "how {} on {} is fixed: Microsoft's data describes Windows updates",
                listed.join(", "),
                lx.id
            ),
        }
    }
}
