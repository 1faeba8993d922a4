//! One CVE's merged record.

use crate::advisory::distro::PackageAdvisory;
use crate::advisory::nvd::NvdRecord;
use crate::advisory::{MsrcVulnerability, RemediationKind};
use crate::model::{Cvss, Kb, Severity, Version};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// An update that fixes a CVE for one product.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Fix {
    /// Product id.
    pub product: String,
    /// The KB, when the remediation names one.
    pub kb: Option<Kb>,
    /// The build containing the fix (`10.0.19045.2965`), when published.
    pub fixed_build: Option<String>,
    /// `Security Update`, `Monthly Rollup`, `Security Only`…
    pub sub_type: Option<String>,
    /// The remediation's description when it is not a KB number (`Release Notes`, `Click to Run`).
    pub note: Option<String>,
}

impl Fix {
    /// The fixed build as a [`Version`], when it parses.
    pub fn fixed_version(&self) -> Option<Version> {
        self.fixed_build.as_deref().and_then(Version::parse)
    }
}

/// What is known about one CVE.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CveRecord {
    /// The CVE id.
    pub cve: String,
    /// Microsoft's title.
    pub title: String,
    /// Microsoft documents that list it (e.g. `2023-May`).
    pub documents: BTreeSet<String>,
    /// Earliest release date seen (first revision, else the document's initial release), ISO 8601 text.
    pub released: Option<String>,
    /// Exploited, per Microsoft (`None`: never stated).
    pub exploited: Option<bool>,
    /// Publicly disclosed, per Microsoft.
    pub publicly_disclosed: Option<bool>,
    /// Microsoft severity per product id.
    pub severity: BTreeMap<String, Severity>,
    /// Highest CVSS published by Microsoft.
    pub cvss: Option<Cvss>,
    /// Product ids known affected.
    pub affected: BTreeSet<String>,
    /// Vendor fixes per product.
    pub fixes: BTreeSet<Fix>,
    /// NVD or CNA record, when imported.
    pub nvd: Option<NvdRecord>,
    /// Distribution security data: the CVE in source packages of Debian and Ubuntu releases.
    #[serde(default)]
    pub packages: BTreeSet<PackageAdvisory>,
    /// The distribution's description, when neither Microsoft nor NVD gave one.
    #[serde(default)]
    pub description: String,
}

impl CveRecord {
    /// An empty record.
    pub fn new(cve: &str) -> Self {
        Self {
            cve: cve.to_owned(),
            title: String::new(),
            documents: BTreeSet::new(),
            released: None,
            exploited: None,
            publicly_disclosed: None,
            severity: BTreeMap::new(),
            cvss: None,
            affected: BTreeSet::new(),
            fixes: BTreeSet::new(),
            nvd: None,
            packages: BTreeSet::new(),
            description: String::new(),
        }
    }

    /// Microsoft's maximum severity over all products (falls back to NVD's when Microsoft gives none, then to the
    /// highest urgency a distribution gives: high → Important, medium → Moderate, low → Low).
    pub fn max_severity(&self) -> Option<Severity> {
        self.severity
            .values()
            .copied()
            .max()
            .or_else(|| self.nvd.as_ref().and_then(|n| n.severity))
            .or_else(|| {
                self.packages
                    .iter()
                    .filter_map(|p| p.urgency.as_deref())
                    .filter_map(|u| Severity::parse(u.trim_end_matches('*').trim_end_matches(" (deferred)")))
                    .max()
            })
    }

    /// The best CVSS: Microsoft's, else NVD's.
    pub fn best_cvss(&self) -> Option<&Cvss> {
        self.cvss
            .as_ref()
            .or_else(|| self.nvd.as_ref().and_then(|n| n.cvss.as_ref()))
    }

    /// Fixes for one product.
    pub fn fixes_for<'a>(&'a self, product: &'a str) -> impl Iterator<Item = &'a Fix> + 'a {
        self.fixes.iter().filter(move |f| f.product == product)
    }

    pub(crate) fn merge_msrc(&mut self, source: &str, release: Option<String>, v: &MsrcVulnerability) {
        self.documents.insert(source.to_owned());
        if self.title.is_empty() || (!v.title.is_empty() && v.title < self.title) {
            self.title.clone_from(&v.title);
        }
        if let Some(r) = release.filter(|r| !r.is_empty()) {
            if self.released.as_ref().is_none_or(|cur| r < *cur) {
                self.released = Some(r);
            }
        }
        self.exploited = either(self.exploited, v.exploit.exploited);
        self.publicly_disclosed = either(self.publicly_disclosed, v.exploit.publicly_disclosed);
        for (product, sev) in &v.severities {
            let cur = self.severity.entry(product.clone()).or_insert(*sev);
            *cur = (*cur).max(*sev);
        }
        for (_, cvss) in &v.scores {
            let better = match &self.cvss {
                None => true,
                Some(cur) => cvss.base > cur.base || (cvss.base == cur.base && cvss.vector > cur.vector),
            };
            if better {
                self.cvss = Some(cvss.clone());
            }
        }
        self.affected.extend(v.affected.iter().cloned());
        for r in v
            .remediations
            .iter()
            .filter(|r| r.kind == RemediationKind::VendorFix)
        {
            let note =
                r.kb.is_none()
                    .then(|| r.description.clone())
                    .filter(|d| !d.is_empty());
            for product in &r.products {
                self.fixes.insert(Fix {
                    product: product.clone(),
                    kb: r.kb,
                    fixed_build: r.fixed_build.clone(),
                    sub_type: r.sub_type.clone(),
                    note: note.clone(),
                });
            }
        }
    }
}

/// Merge of two optional flags: yes if either says yes, no if either says no, else unknown.
fn either(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), _) | (_, Some(false)) => Some(false),
        _ => None,
    }
}
