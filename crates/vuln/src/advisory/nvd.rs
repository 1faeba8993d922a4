//! NVD records (API 2.0 CVE objects and responses, 1.1 and 2.0 feed items) and CVE JSON 5 records, reduced to the
//! CVE id, dates, English description, the highest-version CVSS score and NVD's CPE configurations
//! ([`super::nvd_config`]). Matching uses the configurations only where neither Microsoft's data nor a
//! distribution's security data describes the product (see `matching`).

use super::json::{get, list, text, text_of};
use super::nvd_config::{read_v11, read_v2, Configuration};
use crate::error::{Error, Location, Result};
use crate::model::{Cvss, Severity};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One CVE as NVD or a CNA describes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NvdRecord {
    /// The CVE id.
    pub cve: String,
    /// Publication date as given.
    pub published: Option<String>,
    /// English description.
    pub description: String,
    /// Highest-version CVSS score found (3.1, then 3.0, 4.0, 2.0).
    pub cvss: Option<Cvss>,
    /// The severity word published with that score.
    pub severity: Option<Severity>,
    /// NVD's CPE configurations (empty for CVE JSON 5 records and CVEs NVD has not analysed).
    #[serde(default)]
    pub configurations: Vec<Configuration>,
    /// Criteria that could not be read, with their place.
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// Parses a file holding one record, an NVD API 2.0 response (`vulnerabilities[].cve`) or a CVE JSON 5 record.
pub fn parse(source: &str, bytes: &[u8]) -> Result<Vec<NvdRecord>> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| Error::Json {
        at: Location::line(source, e.line()),
        message: e.to_string(),
    })?;
    from_value(source, &value)
}

/// Reads records from a value already parsed.
pub fn from_value(source: &str, v: &Value) -> Result<Vec<NvdRecord>> {
    if let Some(Value::Array(items)) = get(v, "vulnerabilities") {
        return items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let cve = get(item, "cve").unwrap_or(item);
                one(cve).ok_or_else(|| schema(source, &format!("vulnerabilities[{i}].cve")))
            })
            .collect();
    }
    one(v)
        .map(|r| vec![r])
        .ok_or_else(|| schema(source, "id / cveMetadata.cveId / cve.CVE_data_meta.ID"))
}

fn schema(source: &str, element: &str) -> Error {
    Error::Schema {
        at: Location::source(source).with_element(element),
        message: format!("not an NVD or CVE JSON 5 record: {element} is missing"),
    }
}

fn one(v: &Value) -> Option<NvdRecord> {
    if let Some(meta) = get(v, "cveMetadata") {
        return cve5(v, meta);
    }
    if let Some(meta) = get(v, "cve").and_then(|c| get(c, "CVE_data_meta")) {
        return feed11(v, meta);
    }
    let id = text_of(v, "id");
    if !id.starts_with("CVE-") {
        return None;
    }
    let description = english(list(get(v, "descriptions")));
    let metrics = get(v, "metrics").unwrap_or(&Value::Null);
    let mut best = None;
    for key in ["cvssMetricV31", "cvssMetricV30", "cvssMetricV40", "cvssMetricV2"] {
        let entries = list(get(metrics, key));
        let primary = entries
            .iter()
            .find(|m| text_of(m, "type") == "Primary")
            .or(entries.first());
        if let Some(m) = primary {
            let data = get(m, "cvssData").unwrap_or(&Value::Null);
            let sev = text(get(data, "baseSeverity")).or_else(|| text(get(m, "baseSeverity")));
            best = score(data).map(|c| (c, sev.as_deref().and_then(Severity::parse)));
            if best.is_some() {
                break;
            }
        }
    }
    let (cvss, severity) = best.map_or((None, None), |(c, s)| (Some(c), s));
    let mut warnings = Vec::new();
    let configurations = read_v2(&id, v, &mut warnings);
    Some(NvdRecord {
        cve: id,
        published: text(get(v, "published")),
        description,
        cvss,
        severity,
        configurations,
        warnings,
    })
}

fn score(data: &Value) -> Option<Cvss> {
    let base = text_of(data, "baseScore").parse().ok()?;
    Some(Cvss {
        base,
        temporal: None,
        vector: text_of(data, "vectorString"),
    })
}

fn english(items: Vec<&Value>) -> String {
    items
        .iter()
        .find(|d| text_of(d, "lang").starts_with("en"))
        .or(items.first())
        .map(|d| text_of(d, "value"))
        .unwrap_or_default()
}

fn cve5(v: &Value, meta: &Value) -> Option<NvdRecord> {
    let cve = text_of(meta, "cveId");
    if cve.is_empty() {
        return None;
    }
    let cna = get(v, "containers")
        .and_then(|c| get(c, "cna"))
        .unwrap_or(&Value::Null);
    let mut record = NvdRecord {
        cve,
        published: text(get(meta, "datePublished")),
        description: english(list(get(cna, "descriptions"))),
        ..Default::default()
    };
    for key in ["cvssV3_1", "cvssV3_0", "cvssV4_0", "cvssV2_0"] {
        if let Some(data) = list(get(cna, "metrics")).into_iter().find_map(|m| get(m, key)) {
            record.cvss = score(data);
            record.severity = Severity::parse(&text_of(data, "baseSeverity"));
            break;
        }
    }
    Some(record)
}

fn feed11(v: &Value, meta: &Value) -> Option<NvdRecord> {
    let cve = text_of(meta, "ID");
    if cve.is_empty() {
        return None;
    }
    let desc = get(v, "cve")
        .and_then(|c| get(c, "description"))
        .map(|d| list(get(d, "description_data")))
        .unwrap_or_default();
    let impact = get(v, "impact").unwrap_or(&Value::Null);
    let mut warnings = Vec::new();
    let configurations = read_v11(&cve, v, &mut warnings);
    let mut record = NvdRecord {
        cve,
        published: text(get(v, "publishedDate")),
        description: english(desc),
        configurations,
        warnings,
        ..Default::default()
    };
    if let Some(m) = get(impact, "baseMetricV3").and_then(|m| get(m, "cvssV3")) {
        record.cvss = score(m);
        record.severity = Severity::parse(&text_of(m, "baseSeverity"));
    } else if let Some(m) = get(impact, "baseMetricV2") {
        record.cvss = get(m, "cvssV2").and_then(score);
        record.severity = Severity::parse(&text_of(m, "severity"));
    }
    Some(record)
}
