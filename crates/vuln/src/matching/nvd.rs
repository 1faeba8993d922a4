//! NVD's CPE configurations against a host's software mapped to CPEs, in three-valued logic: a criterion is true,
//! false or unknown (a version that cannot be ordered against a bound, a hardware model, Windows itself), `AND`,
//! `OR` and `negate` combine them as Kleene's logic does, and only a configuration that is true with a vulnerable
//! criterion met by the host makes it vulnerable. A distribution's package is never decided by NVD's upstream
//! ranges (the distribution backports fixes): a match on one is unknown, naming the package.

use super::judge::Outcome;
use crate::advisory::nvd_config::{Configuration, CpeMatch, Operator};
use crate::cpe::{compare_versions, dictionary_key, normalise_product, Cpe};
use crate::inventory::HostInventory;
use crate::knowledge::KnowledgeBase;
use crate::linux::{DebVersion, Distro};
use std::cmp::Ordering;
use std::collections::HashMap;

/// The operating system family, for `target_sw` and operating-system criteria.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    Windows,
    Linux,
    Other,
}

/// A program or the OS as a CPE.
struct HostCpe {
    part: Option<char>,
    vendor: Option<String>,
    version: Option<String>,
    /// How the host lists it (`openssh-client 1:9.2p1-2 (dpkg)`).
    label: String,
    /// A distribution package.
    managed: bool,
}

/// The host's CPEs indexed by product, built once per host.
pub(super) struct NvdHost {
    by_product: HashMap<String, Vec<HostCpe>>,
    family: Family,
    listed: bool,
    count: usize,
    has_hardware: bool,
}

/// The upstream part of a Debian version (`1:9.2p1-2+deb12u1` → `9.2p1`); other versions as they are.
fn upstream(version: &str, managed: bool) -> String {
    if managed {
        if let Ok(v) = DebVersion::parse(version) {
            return v.upstream;
        }
    }
    version.to_owned()
}

impl NvdHost {
    pub(super) fn of(kb: &KnowledgeBase, host: &HostInventory, windows: bool) -> Self {
        let family = if host.is_linux() {
            Family::Linux
        } else if windows || host.os_name.as_deref().is_some_and(|n| n.contains("Windows")) {
            Family::Windows
        } else {
            Family::Other
        };
        let mut by_product: HashMap<String, Vec<HostCpe>> = HashMap::new();
        let mut add = |product: String, c: HostCpe| by_product.entry(product).or_default().push(c);
        for s in host.software.iter().flatten() {
            let managed = s.is_distro_package();
            let label = match (&s.version, &s.manager) {
                (Some(v), Some(m)) => format!("{} {v} ({m})", s.name),
                (Some(v), None) => format!("{} {v}", s.name),
                (None, _) => s.name.clone(),
            };
            let version = s.version.as_deref().map(|v| upstream(v, managed));
            if let Some(cpe) = s.cpe.as_deref().and_then(|c| Cpe::parse(c).ok()) {
                let v = (cpe.version != "*" && cpe.version != "-")
                    .then(|| match cpe.update.as_str() {
                        "*" | "-" => cpe.version.clone(),
                        u => format!("{}{u}", cpe.version),
                    })
                    .or(version.clone());
                add(
                    cpe.product.clone(),
                    HostCpe {
                        part: cpe.part.chars().next().filter(|p| *p != '*'),
                        vendor: (cpe.vendor != "*").then(|| cpe.vendor.clone()),
                        version: v,
                        label: label.clone(),
                        managed,
                    },
                );
                continue;
            }
            let key = dictionary_key(&s.name, s.version.as_deref().unwrap_or(""));
            let (vendor, product) = match kb.cpe_titles.get(&key) {
                Some((v, p)) => (Some(v.clone()), p.clone()),
                None => (None, normalise_product(&s.name)),
            };
            let mut products = vec![product];
            if let Some(src) = s.source_package.as_deref().filter(|_| managed) {
                products.push(normalise_product(src));
            }
            products.dedup();
            for p in products {
                add(
                    p,
                    HostCpe {
                        part: None,
                        vendor: vendor.clone(),
                        version: version.clone(),
                        label: label.clone(),
                        managed,
                    },
                );
            }
        }
        // The distribution itself.
        let os = match (
            host.distro.as_deref().and_then(Distro::parse),
            host.os_version.as_ref(),
        ) {
            (Some(Distro::Debian), Some(v)) => Some(("debian", "debian_linux", v.to_string())),
            (Some(Distro::Ubuntu), Some(v)) => Some(("canonical", "ubuntu_linux", v.to_string())),
            _ => None,
        };
        if let Some((vendor, product, version)) = os {
            add(
                product.to_owned(),
                HostCpe {
                    part: Some('o'),
                    vendor: Some(vendor.to_owned()),
                    version: Some(version.clone()),
                    label: format!("{} {version}", host.os_name.as_deref().unwrap_or(product)),
                    managed: false,
                },
            );
        }
        let has_hardware = by_product.values().flatten().any(|c| c.part == Some('h'));
        Self {
            by_product,
            has_hardware,
            family,
            listed: host.software.is_some(),
            count: host.software.as_ref().map_or(0, Vec::len),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tri {
    True,
    False,
    Unknown,
}

impl Tri {
    fn not(self) -> Self {
        match self {
            Self::True => Self::False,
            Self::False => Self::True,
            Self::Unknown => Self::Unknown,
        }
    }

    fn combine(op: Operator, values: impl Iterator<Item = Tri>) -> Tri {
        let (decisive, other) = match op {
            Operator::And => (Tri::False, Tri::True),
            Operator::Or => (Tri::True, Tri::False),
        };
        let mut unknown = false;
        for v in values {
            if v == decisive {
                return decisive;
            }
            unknown |= v == Tri::Unknown;
        }
        if unknown {
            Tri::Unknown
        } else {
            other
        }
    }
}

/// What evaluating one CVE's configurations found.
#[derive(Default)]
struct Found {
    hits: Vec<String>,
    fixes: Vec<String>,
    unknowns: Vec<String>,
}

fn in_range(v: &str, m: &CpeMatch) -> Result<bool, String> {
    let check = |bound: &Option<String>, ok: fn(Ordering) -> bool| -> Result<bool, String> {
        match bound {
            None => Ok(true),
            Some(b) => compare_versions(v, b)
                .map(ok)
                .ok_or_else(|| format!("version {v} cannot be ordered against {b}")),
        }
    };
    Ok(check(&m.start_including, |o| o != Ordering::Less)?
        && check(&m.start_excluding, |o| o == Ordering::Greater)?
        && check(&m.end_including, |o| o != Ordering::Greater)?
        && check(&m.end_excluding, |o| o == Ordering::Less)?)
}

/// One criterion against one of the host's CPEs.
fn one(m: &CpeMatch, h: &HostCpe, family: Family) -> Result<bool, String> {
    let c = &m.criteria;
    let part = c.part.chars().next().unwrap_or('*');
    match h.part {
        Some(p) if part != '*' && p != part => return Ok(false),
        None if part == 'h' => return Ok(false),
        _ => {}
    }
    if let Some(v) = &h.vendor {
        if c.vendor != "*" && *v != c.vendor {
            return Ok(false);
        }
    }
    if c.target_sw != "*" && c.target_sw != "-" {
        let wanted = match family {
            Family::Windows => Some("windows"),
            Family::Linux => Some("linux"),
            Family::Other => None,
        };
        if let Some(w) = wanted {
            if !c.target_sw.starts_with(w) {
                return Ok(false);
            }
        }
    }
    let any_version = c.version == "*" || c.version == "-";
    let bounded = m.start_including.is_some()
        || m.start_excluding.is_some()
        || m.end_including.is_some()
        || m.end_excluding.is_some();
    if any_version && !bounded {
        return Ok(true);
    }
    let Some(v) = h.version.as_deref() else {
        return Err("its version is not listed".into());
    };
    if any_version {
        return in_range(v, m);
    }
    let exact = match c.update.as_str() {
        "*" | "-" => c.version.clone(),
        u => format!("{}{u}", c.version),
    };
    if c.update == "*" {
        // Any update of the version: 9.3p1 is an update of 9.3.
        if let Some(rest) = v.strip_prefix(c.version.as_str()) {
            if rest.starts_with(|ch: char| ch.is_ascii_alphabetic()) {
                return Ok(true);
            }
        }
    }
    compare_versions(v, &exact)
        .map(|o| o == Ordering::Equal)
        .ok_or_else(|| format!("version {v} cannot be ordered against {exact}"))
}

fn criterion(m: &CpeMatch, host: &NvdHost, negated: bool, found: &mut Found) -> Tri {
    let c = &m.criteria;
    let what = m.describe();
    let mut result = Tri::False;
    let mut present = false;
    let candidates = host.by_product.get(&c.product);
    for h in candidates.into_iter().flatten() {
        let r = match one(m, h, host.family) {
            Ok(true) => Tri::True,
            Ok(false) => Tri::False,
            Err(e) => {
                found
                    .unknowns
                    .push(format!("whether {} is within {what}: {e}", h.label));
                Tri::Unknown
            }
        };
        present |= h
            .vendor
            .as_ref()
            .is_none_or(|v| c.vendor == "*" || *v == c.vendor);
        if h.managed && r != Tri::False {
            found.unknowns.push(format!(
                "whether {} is affected: NVD gives {what}, upstream versions that do not show the fixes a distribution backports (import its security data)",
                h.label
            ));
            result = Tri::combine(Operator::Or, [result, Tri::Unknown].into_iter());
            continue;
        }
        if r == Tri::True && m.vulnerable && !negated {
            found.hits.push(format!("{} matches {what}", h.label));
            found.fixes.push(format!("{}: a version outside {what}", h.label));
        }
        result = Tri::combine(Operator::Or, [result, r].into_iter());
    }
    if negated && m.vulnerable && present && result == Tri::False {
        found
            .hits
            .push(format!("the host's {} is not the excluded {what}", c.product));
        found.fixes.push(format!("{}: the excluded {what}", c.product));
    }
    if candidates.is_some() {
        return result;
    }
    // Products absent from a listed inventory are not installed, with two exceptions: Windows itself (Microsoft's
    // data decides, not NVD's) and hardware when the inventory names none.
    if c.part == "o" && host.family == Family::Windows && c.vendor == "microsoft" {
        found.unknowns.push(format!(
            "whether the host's Windows is {what} (import Microsoft's data for this CVE)"
        ));
        return Tri::Unknown;
    }
    if c.part == "h" && !host.has_hardware {
        found.unknowns.push(format!(
            "whether the host is the hardware {what} (the inventory names no hardware)"
        ));
        return Tri::Unknown;
    }
    result
}

fn configuration(cfg: &Configuration, host: &NvdHost, found: &mut Found) -> Tri {
    let value = Tri::combine(
        cfg.operator,
        cfg.nodes.iter().map(|n| {
            let negated = n.negate != cfg.negate;
            let v = Tri::combine(
                n.operator,
                n.matches.iter().map(|m| criterion(m, host, negated, found)),
            );
            if n.negate {
                v.not()
            } else {
                v
            }
        }),
    );
    if cfg.negate {
        value.not()
    } else {
        value
    }
}

/// The outcome of NVD's configurations for this host.
pub(super) fn judge_nvd(configs: &[Configuration], host: &NvdHost) -> Outcome<'static> {
    if !host.listed {
        return Outcome::Unknown {
            missing: "the host's software, to match NVD's configurations (the inventory lists none)".into(),
        };
    }
    let mut unknown = Vec::new();
    for cfg in configs {
        let mut found = Found::default();
        match configuration(cfg, host, &mut found) {
            Tri::True if !found.hits.is_empty() => {
                found.hits.dedup();
                found.fixes.dedup();
                return Outcome::Package {
                    vulnerable: true,
                    fix: found.fixes.join("; "),
                    evidence: format!("NVD: {}", found.hits.join("; ")),
                };
            }
            Tri::Unknown => unknown.extend(found.unknowns),
            _ => {}
        }
    }
    if unknown.is_empty() {
        Outcome::NotAffected {
            evidence: format!(
                "NVD: none of {} configurations matches the host's {} programs",
                configs.len(),
                host.count
            ),
        }
    } else {
        unknown.sort();
        unknown.dedup();
        let more = unknown.len().saturating_sub(3);
        let mut missing = unknown.into_iter().take(3).collect::<Vec<_>>().join("; ");
        if more > 0 {
            missing.push_str(&format!(" (and {more} more)"));
        }
        Outcome::Unknown { missing }
    }
}
