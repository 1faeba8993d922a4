//! Distribution security data: the Debian Security Tracker's JSON (`/tracker/data/json`) and OSV records as
//! Ubuntu (USN, UBUNTU-CVE) and Debian (DSA, DLA) publish them, reduced to one statement per CVE × source package
//! × release ([`PackageAdvisory`]).
//!
//! Tracker shape: `{source_package: {CVE: {description, scope, releases: {codename: {status, fixed_version,
//! urgency, repositories}}}}}`; `status` is `resolved` (with `fixed_version`; `"0"` means never affected), `open`
//! (no fix yet) or `undetermined`. OSV: `affected[].package.{ecosystem "Ubuntu:22.04:LTS" / "Debian:12", name}`,
//! `ranges[]` of type `ECOSYSTEM` with `introduced`/`fixed`/`last_affected` events, or a `versions` list.

use super::json::{get, list, text, text_of};
use crate::error::{Error, Location, Result};
use crate::linux::{codename_of, Distro};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A document of distribution security data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DistroDocument {
    /// `Debian Security Tracker`, or the OSV record ids (`USN-6242-1`).
    pub name: String,
    /// The statements.
    pub entries: Vec<PackageAdvisory>,
    /// Descriptions by CVE, when given.
    pub descriptions: Vec<(String, String)>,
    /// Values that could not be used, with their place.
    pub warnings: Vec<String>,
}

/// What the data says about one CVE in one source package of one release.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PackageAdvisory {
    /// The CVE (or the advisory id when the record names no CVE).
    pub cve: String,
    /// The distribution.
    pub distro: Distro,
    /// The release's codename (`bookworm`, `jammy`).
    pub release: String,
    /// The source package (`openssh`).
    pub package: String,
    /// The status.
    pub status: PackageStatus,
    /// Debian's urgency or Ubuntu's priority, when given.
    pub urgency: Option<String>,
    /// Where it was read: `Debian Security Tracker`, `USN-6242-1`, `DSA-5461-1`.
    pub advisory: String,
}

/// The status of a package for a CVE.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
#[non_exhaustive]
pub enum PackageStatus {
    /// Versions from `introduced` (all when absent) up to, not including, `fixed` are affected.
    Fixed {
        /// First affected version.
        introduced: Option<String>,
        /// The version that fixes it.
        fixed: String,
    },
    /// Versions from `introduced` up to and including `last` are affected; no fix is named.
    LastAffected {
        /// First affected version.
        introduced: Option<String>,
        /// Last affected version.
        last: String,
    },
    /// Affected from `introduced`, no fix yet.
    Open {
        /// First affected version.
        introduced: Option<String>,
    },
    /// Exactly these versions are affected.
    Versions {
        /// The affected versions.
        versions: Vec<String>,
    },
    /// The distribution has not determined whether the package is affected.
    Undetermined,
    /// The package in this release was never affected.
    NotAffected,
}

/// True when the JSON value looks like the Security Tracker's document.
pub(super) fn is_tracker(v: &Value) -> bool {
    let Some(obj) = v.as_object() else {
        return false;
    };
    obj.values().take(3).any(|pkg| {
        pkg.as_object()
            .is_some_and(|cves| cves.values().take(3).any(|c| c.get("releases").is_some()))
    })
}

/// True when the JSON value is an OSV record or a list of them.
pub(super) fn is_osv(v: &Value) -> bool {
    let one = |r: &Value| r.get("affected").is_some_and(Value::is_array) && r.get("id").is_some();
    match v {
        Value::Array(items) => items.first().is_some_and(one),
        other => one(other),
    }
}

const TRACKER: &str = "Debian Security Tracker";

/// Reads the Security Tracker's JSON.
pub fn tracker_from_value(source: &str, v: &Value) -> Result<DistroDocument> {
    let Some(packages) = v.as_object() else {
        return Err(schema(
            source,
            "",
            "the Security Tracker document is an object of source packages",
        ));
    };
    let mut doc = DistroDocument {
        name: TRACKER.into(),
        ..Default::default()
    };
    let mut other_ids = 0usize;
    for (package, cves) in packages {
        let Some(cves) = cves.as_object() else {
            doc.warnings
                .push(format!("{source} ({package}): not an object of CVEs, not used"));
            continue;
        };
        for (cve, entry) in cves {
            if !cve.starts_with("CVE-") {
                // TEMP- ids: issues without a CVE yet.
                other_ids += 1;
                continue;
            }
            let desc = text_of(entry, "description");
            if !desc.is_empty() {
                doc.descriptions.push((cve.clone(), desc));
            }
            let Some(releases) = entry.get("releases").and_then(Value::as_object) else {
                doc.warnings
                    .push(format!("{source} ({package}/{cve}/releases): missing, not used"));
                continue;
            };
            for (release, r) in releases {
                let at = format!("{package}/{cve}/releases/{release}");
                let fixed = text(r.get("fixed_version")).filter(|f| !f.is_empty());
                let status = match (text_of(r, "status").as_str(), fixed) {
                    ("resolved", Some(f)) if f == "0" => PackageStatus::NotAffected,
                    ("resolved", Some(f)) => PackageStatus::Fixed {
                        introduced: None,
                        fixed: f,
                    },
                    ("open", _) => PackageStatus::Open { introduced: None },
                    ("undetermined", _) => PackageStatus::Undetermined,
                    ("resolved", None) => {
                        doc.warnings.push(format!(
                            "{source} ({at}): resolved without fixed_version, taken as undetermined"
                        ));
                        PackageStatus::Undetermined
                    }
                    (other, _) => {
                        doc.warnings.push(format!(
                            "{source} ({at}/status): {other:?} is not resolved, open or undetermined; not used"
                        ));
                        continue;
                    }
                };
                doc.entries.push(PackageAdvisory {
                    cve: cve.clone(),
                    distro: Distro::Debian,
                    release: release.to_ascii_lowercase(),
                    package: package.clone(),
                    status,
                    urgency: text(r.get("urgency")).filter(|u| !u.is_empty()),
                    advisory: TRACKER.into(),
                });
            }
        }
    }
    if other_ids > 0 {
        doc.warnings.push(format!(
            "{source}: {other_ids} entries without a CVE id (TEMP-…) not used"
        ));
    }
    if doc.entries.is_empty() && !packages.is_empty() {
        return Err(schema(source, "", "no package holds a CVE with releases"));
    }
    Ok(doc)
}

/// Reads one OSV record or a list of them.
pub fn osv_from_value(source: &str, v: &Value) -> Result<DistroDocument> {
    let records = list(Some(v));
    let mut doc = DistroDocument::default();
    let mut names = Vec::new();
    for (i, r) in records.iter().enumerate() {
        let id = text_of(r, "id");
        if id.is_empty() {
            return Err(schema(source, &format!("[{i}].id"), "an OSV record needs an id"));
        }
        names.push(id.clone());
        osv_record(source, &id, r, &mut doc);
    }
    doc.name = match names.len() {
        0 => "OSV".into(),
        1..=3 => names.join(", "),
        n => format!("{} and {} more", names[..3].join(", "), n - 3),
    };
    Ok(doc)
}

/// The CVEs an OSV record is about: its own id (`CVE-…`, `UBUNTU-CVE-…`), `aliases`, `upstream`, `related`.
fn osv_cves(id: &str, r: &Value) -> Vec<String> {
    let mut cves: Vec<String> = Vec::new();
    let own = id
        .strip_prefix("UBUNTU-")
        .or_else(|| id.strip_prefix("DEBIAN-"))
        .unwrap_or(id);
    if own.starts_with("CVE-") {
        cves.push(own.to_owned());
    }
    for key in ["aliases", "upstream", "related"] {
        for a in list(get(r, key)) {
            if let Some(t) = text(Some(a)).filter(|t| t.starts_with("CVE-")) {
                if !cves.contains(&t) {
                    cves.push(t);
                }
            }
        }
    }
    if cves.is_empty() {
        cves.push(id.to_owned());
    }
    cves
}

fn osv_record(source: &str, id: &str, r: &Value, doc: &mut DistroDocument) {
    let cves = osv_cves(id, r);
    let summary = text_of(r, "summary");
    let details = text_of(r, "details");
    let desc = if details.is_empty() { summary } else { details };
    let priority = list(get(r, "severity"))
        .into_iter()
        .find(|s| text_of(s, "type").eq_ignore_ascii_case("ubuntu"))
        .and_then(|s| text(get(s, "score")));
    for (i, a) in list(get(r, "affected")).into_iter().enumerate() {
        let at = format!("{id}/affected[{i}]");
        let pkg = get(a, "package").unwrap_or(&Value::Null);
        let ecosystem = text_of(pkg, "ecosystem");
        let name = text_of(pkg, "name");
        let Some((distro, release)) = ecosystem_release(&ecosystem) else {
            doc.warnings.push(format!(
                "{source} ({at}/package/ecosystem): {ecosystem:?} is not a Debian or Ubuntu release, not used"
            ));
            continue;
        };
        if name.is_empty() {
            doc.warnings
                .push(format!("{source} ({at}/package/name): missing, not used"));
            continue;
        }
        let mut statuses = Vec::new();
        for (j, range) in list(get(a, "ranges")).into_iter().enumerate() {
            let kind = text_of(range, "type");
            if kind != "ECOSYSTEM" {
                doc.warnings.push(format!(
                    "{source} ({at}/ranges[{j}]/type): {kind:?} ranges are not used (ECOSYSTEM only)"
                ));
                continue;
            }
            statuses.extend(range_statuses(list(get(range, "events"))));
        }
        if statuses.is_empty() {
            let versions: Vec<String> = list(get(a, "versions"))
                .into_iter()
                .filter_map(|v| text(Some(v)))
                .collect();
            if versions.is_empty() {
                doc.warnings.push(format!(
                    "{source} ({at}): neither ECOSYSTEM ranges nor versions, not used"
                ));
                continue;
            }
            statuses.push(PackageStatus::Versions { versions });
        }
        for cve in &cves {
            for status in &statuses {
                doc.entries.push(PackageAdvisory {
                    cve: cve.clone(),
                    distro,
                    release: release.clone(),
                    package: name.clone(),
                    status: status.clone(),
                    urgency: priority.clone(),
                    advisory: id.to_owned(),
                });
            }
        }
    }
    if !desc.is_empty() {
        for cve in &cves {
            doc.descriptions.push((cve.clone(), desc.clone()));
        }
    }
}

/// `Ubuntu:22.04:LTS`, `Ubuntu:Pro:18.04:LTS`, `Debian:12` → the distribution and the release's codename.
fn ecosystem_release(ecosystem: &str) -> Option<(Distro, String)> {
    let mut parts = ecosystem.split(':');
    let distro = Distro::parse(parts.next()?)?;
    let number = parts.find(|p| p.starts_with(|c: char| c.is_ascii_digit()))?;
    Some((distro, codename_of(distro, number)?))
}

/// OSV events in order: `introduced` opens a range, `fixed` or `last_affected` closes it; a range left open has no
/// fix. An `introduced` of `0` means every version.
fn range_statuses(events: Vec<&Value>) -> Vec<PackageStatus> {
    let mut out = Vec::new();
    let mut open: Option<Option<String>> = None;
    for e in events {
        if let Some(v) = text(get(e, "introduced")) {
            open = Some((v != "0").then_some(v));
        } else if let Some(f) = text(get(e, "fixed")) {
            out.push(PackageStatus::Fixed {
                introduced: open.take().flatten(),
                fixed: f,
            });
        } else if let Some(l) = text(get(e, "last_affected")) {
            out.push(PackageStatus::LastAffected {
                introduced: open.take().flatten(),
                last: l,
            });
        }
    }
    if let Some(introduced) = open {
        out.push(PackageStatus::Open { introduced });
    }
    out
}

fn schema(source: &str, element: &str, message: &str) -> Error {
    let mut at = Location::source(source);
    if !element.is_empty() {
        at = at.with_element(element);
    }
    Error::Schema {
        at,
        message: message.to_owned(),
    }
}
