//! Advisory feeds parsed into plain values: Microsoft CVRF (XML and JSON), CSAF 2.0, CISA KEV, NVD and CVE JSON 5
//! (with NVD's CPE configurations), NVD CPE dictionary records, Microsoft Update Catalog records, and distribution
//! security data (the Debian Security Tracker, OSV records for Ubuntu and Debian). Parsers take bytes and a source name (for errors) and return documents;
//! they never read files themselves.

pub mod catalog;
pub mod cpe_dictionary;
pub mod csaf;
pub mod cvrf_json;
pub mod cvrf_xml;
mod detect;
pub mod distro;
mod json;
pub mod kev;
pub mod nvd;
pub mod nvd_config;

pub use detect::{parse_any, Feed, MAX_ADVISORY_BYTES};

use crate::model::{Cvss, Kb, Severity};
use serde::{Deserialize, Serialize};

/// One Microsoft security update document (a month of the Security Update Guide, a per-CVE extract, or a CSAF
/// advisory), reduced to what matching needs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MsrcDocument {
    /// Document id, e.g. `2023-May`.
    pub id: String,
    /// Title, e.g. `May 2023 Security Updates`.
    pub title: String,
    /// First release (ISO 8601 text as published).
    pub initial_release: Option<String>,
    /// Current revision date (ISO 8601 text as published).
    pub current_release: Option<String>,
    /// The product tree, flattened.
    pub products: Vec<Product>,
    /// The vulnerabilities, in document order.
    pub vulnerabilities: Vec<MsrcVulnerability>,
    /// Values the parser could not interpret, with their place; nothing is dropped silently.
    pub warnings: Vec<String>,
}

/// A product of the product tree.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Product {
    /// Microsoft's product id, e.g. `12097` or `11676-12097` (component on a platform).
    pub id: String,
    /// Full product name, e.g. `Windows 10 Version 22H2 for x64-based Systems`.
    pub name: String,
    /// The product family branch, e.g. `Windows`, `ESU`, `Microsoft Office` (empty when absent).
    pub family: String,
}

/// One vulnerability of a Microsoft document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MsrcVulnerability {
    /// The CVE (or advisory) id, e.g. `CVE-2023-29336` or `ADV230001`.
    pub cve: String,
    /// Title.
    pub title: String,
    /// Product ids with status "Known Affected".
    pub affected: Vec<String>,
    /// Severity per product id (Threat Type="Severity").
    pub severities: Vec<(String, Severity)>,
    /// Exploited / publicly disclosed flags from the "Exploit Status" threat.
    pub exploit: ExploitStatus,
    /// CVSS score sets with the product ids they apply to.
    pub scores: Vec<(Vec<String>, Cvss)>,
    /// Remediations (vendor fixes, known issues, workarounds…).
    pub remediations: Vec<Remediation>,
    /// Date of the first revision ("Information published"), when present.
    pub published: Option<String>,
}

/// Exploited and publicly-disclosed flags; `None` means the document did not say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExploitStatus {
    /// `Exploited:Yes`.
    pub exploited: Option<bool>,
    /// `Publicly Disclosed:Yes`.
    pub publicly_disclosed: Option<bool>,
}

impl ExploitStatus {
    /// Parses `Publicly Disclosed:No;Exploited:Yes;Latest Software Release:...`.
    pub fn parse(text: &str) -> Self {
        let mut status = Self::default();
        for part in text.split(';') {
            let Some((key, value)) = part.split_once(':') else {
                continue;
            };
            let flag = match value.trim() {
                "Yes" => Some(true),
                "No" => Some(false),
                _ => None,
            };
            match key.trim() {
                "Exploited" => status.exploited = flag,
                "Publicly Disclosed" => status.publicly_disclosed = flag,
                _ => {}
            }
        }
        status
    }
}

/// The kind of a remediation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum RemediationKind {
    /// "Vendor Fix": an update that fixes the vulnerability.
    VendorFix,
    /// "Workaround".
    Workaround,
    /// "Mitigation".
    Mitigation,
    /// "Known Issue" (a support article, not a fix).
    KnownIssue,
    /// "Will Not Fix", "None Available" and anything else.
    Other,
}

impl RemediationKind {
    /// Parses CVRF's and CSAF's words.
    pub fn parse(text: &str) -> Self {
        match text.trim().to_ascii_lowercase().replace(['_', ' '], "").as_str() {
            "vendorfix" => Self::VendorFix,
            "workaround" => Self::Workaround,
            "mitigation" => Self::Mitigation,
            "knownissue" => Self::KnownIssue,
            _ => Self::Other,
        }
    }
}

/// A remediation entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remediation {
    /// Vendor fix, known issue, …
    pub kind: RemediationKind,
    /// The description as published (a KB number for Windows updates, "Release Notes" for Edge…).
    pub description: String,
    /// The KB that carries the fix, when the description (or URL) names one.
    pub kb: Option<Kb>,
    /// KBs this update supersedes (CVRF `Supercedence`).
    pub supersedes: Vec<Kb>,
    /// Product ids this remediation applies to.
    pub products: Vec<String>,
    /// `Security Update`, `Monthly Rollup`, `Security Only`, …
    pub sub_type: Option<String>,
    /// The build (file version) that contains the fix, e.g. `10.0.19045.2965`.
    pub fixed_build: Option<String>,
    /// The URL.
    pub url: Option<String>,
}

impl Remediation {
    /// An empty remediation of `kind`.
    pub fn new(kind: RemediationKind) -> Self {
        Self {
            kind,
            description: String::new(),
            kb: None,
            supersedes: Vec::new(),
            products: Vec::new(),
            sub_type: None,
            fixed_build: None,
            url: None,
        }
    }

    /// Fills `kb` from the description, or from a `KBnnnn`/`q=KBnnnn`/`help/nnnn` URL.
    pub(crate) fn infer_kb(&mut self) {
        self.kb = Kb::parse(&self.description).or_else(|| self.url.as_deref().and_then(kb_in_url));
    }
}

fn kb_in_url(url: &str) -> Option<Kb> {
    let lower = url.to_ascii_lowercase();
    let idx = lower
        .rfind("kb")
        .map(|i| i + 2)
        .or_else(|| lower.rfind("/help/").map(|i| i + 6))?;
    let digits: String = lower[idx..].chars().take_while(char::is_ascii_digit).collect();
    Kb::parse(&digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exploit_status_reads_both_flags() {
        let s = ExploitStatus::parse(
            "Publicly Disclosed:No;Exploited:Yes;Latest Software Release:Exploitation Detected",
        );
        assert_eq!(s.exploited, Some(true));
        assert_eq!(s.publicly_disclosed, Some(false));
        assert_eq!(ExploitStatus::parse("DOS:N/A"), ExploitStatus::default());
    }

    #[test]
    fn kb_comes_from_the_url_when_the_description_is_text() {
        let mut r = Remediation::new(RemediationKind::VendorFix);
        r.description = "Click to Run".into();
        r.url = Some("https://catalog.update.microsoft.com/v7/site/Search.aspx?q=KB5027124".into());
        r.infer_kb();
        assert_eq!(r.kb, Some(Kb(5027124)));
    }
}
