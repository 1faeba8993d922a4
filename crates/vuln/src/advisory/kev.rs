//! CISA's Known Exploited Vulnerabilities catalog (JSON).

use super::json::{get, text_of};
use crate::error::{Error, Location, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The catalog: its version and entries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KevCatalog {
    /// `catalogVersion`, e.g. `2024.01.18`.
    pub version: String,
    /// `dateReleased`.
    pub released: String,
    /// The entries, in catalog order.
    pub entries: Vec<KevEntry>,
    /// Problems found (entries without a CVE id, a count that does not match); nothing is dropped silently.
    pub warnings: Vec<String>,
}

/// One catalog entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KevEntry {
    /// `cveID`.
    pub cve: String,
    /// `vendorProject`.
    pub vendor: String,
    /// `product`.
    pub product: String,
    /// `vulnerabilityName`.
    pub name: String,
    /// `dateAdded` (YYYY-MM-DD).
    pub date_added: String,
    /// `dueDate` (YYYY-MM-DD) for US federal agencies.
    pub due_date: String,
    /// `knownRansomwareCampaignUse`: `Known` or `Unknown`.
    pub ransomware: String,
}

/// Parses the catalog JSON.
pub fn parse(source: &str, bytes: &[u8]) -> Result<KevCatalog> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| Error::Json {
        at: Location::line(source, e.line()),
        message: e.to_string(),
    })?;
    from_value(source, &value)
}

/// Reads a catalog value already parsed.
pub fn from_value(source: &str, v: &Value) -> Result<KevCatalog> {
    let Some(Value::Array(items)) = get(v, "vulnerabilities") else {
        return Err(Error::Schema {
            at: Location::source(source).with_element("vulnerabilities"),
            message: "not a KEV catalog: no vulnerabilities array".into(),
        });
    };
    let mut cat = KevCatalog {
        version: text_of(v, "catalogVersion"),
        released: text_of(v, "dateReleased"),
        ..Default::default()
    };
    for (i, item) in items.iter().enumerate() {
        let cve = text_of(item, "cveID");
        if !cve.starts_with("CVE-") {
            cat.warnings.push(format!(
                "{source}: vulnerabilities[{i}]: cveID {cve:?} is not a CVE id, skipped"
            ));
            continue;
        }
        cat.entries.push(KevEntry {
            cve,
            vendor: text_of(item, "vendorProject"),
            product: text_of(item, "product"),
            name: text_of(item, "vulnerabilityName"),
            date_added: text_of(item, "dateAdded"),
            due_date: text_of(item, "dueDate"),
            ransomware: text_of(item, "knownRansomwareCampaignUse"),
        });
    }
    if let Some(count) = get(v, "count").and_then(Value::as_u64) {
        if usize::try_from(count).ok() != Some(items.len()) {
            cat.warnings.push(format!(
                "{source}: count says {count} but the catalog has {} entries",
                items.len()
            ));
        }
    }
    Ok(cat)
}
