//! CSAF 2.0 security advisories (the format Microsoft and national CERTs publish alongside CVRF), read into the
//! same [`MsrcDocument`] shape: product tree, known-affected products, severity, exploit flags, CVSS and vendor
//! fixes with their KB numbers.

use super::json::{get, list, text, text_of, texts};
use super::{ExploitStatus, MsrcDocument, MsrcVulnerability, Product, Remediation, RemediationKind};
use crate::error::{Error, Location, Result};
use crate::model::{Cvss, Severity};
use serde_json::Value;

/// Parses a CSAF 2.0 JSON document from bytes.
pub fn parse(source: &str, bytes: &[u8]) -> Result<MsrcDocument> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| Error::Json {
        at: Location::line(source, e.line()),
        message: e.to_string(),
    })?;
    from_value(source, &value)
}

/// Reads a CSAF value already parsed.
pub fn from_value(source: &str, v: &Value) -> Result<MsrcDocument> {
    let document = get(v, "document")
        .filter(|d| get(d, "csaf_version").is_some())
        .ok_or_else(|| Error::Schema {
            at: Location::source(source).with_element("document.csaf_version"),
            message: "not a CSAF 2.0 document: document.csaf_version is missing".into(),
        })?;
    let tracking = get(document, "tracking").unwrap_or(&Value::Null);
    let mut doc = MsrcDocument {
        id: text_of(tracking, "id"),
        title: text_of(document, "title"),
        initial_release: text(get(tracking, "initial_release_date")),
        current_release: text(get(tracking, "current_release_date")),
        ..MsrcDocument::default()
    };
    if let Some(tree) = get(v, "product_tree") {
        branches(tree, "", &mut doc.products);
        for p in list(get(tree, "full_product_names")) {
            push(p, "", &mut doc.products);
        }
        for rel in list(get(tree, "relationships")) {
            if let Some(p) = get(rel, "full_product_name") {
                push(p, "", &mut doc.products);
            }
        }
    }
    for (i, vuln) in list(get(v, "vulnerabilities")).into_iter().enumerate() {
        let parsed = vulnerability(
            vuln,
            &format!("{source}: vulnerabilities[{i}]"),
            &mut doc.warnings,
        );
        if parsed.cve.is_empty() {
            doc.warnings
                .push(format!("{source}: vulnerabilities[{i}] has no cve, skipped"));
        } else {
            doc.vulnerabilities.push(parsed);
        }
    }
    Ok(doc)
}

fn push(p: &Value, family: &str, out: &mut Vec<Product>) {
    let id = text_of(p, "product_id");
    if !id.is_empty() && !out.iter().any(|q| q.id == id) {
        out.push(Product {
            id,
            name: text_of(p, "name"),
            family: family.to_owned(),
        });
    }
}

fn branches(node: &Value, family: &str, out: &mut Vec<Product>) {
    for b in list(get(node, "branches")) {
        let fam = if text_of(b, "category") == "product_family" {
            text_of(b, "name")
        } else {
            family.to_owned()
        };
        if let Some(p) = get(b, "product") {
            push(p, &fam, out);
        }
        branches(b, &fam, out);
    }
}

fn vulnerability(v: &Value, place: &str, warnings: &mut Vec<String>) -> MsrcVulnerability {
    let mut out = MsrcVulnerability {
        cve: text_of(v, "cve"),
        title: text_of(v, "title"),
        ..Default::default()
    };
    if let Some(status) = get(v, "product_status") {
        for key in ["known_affected", "first_affected", "last_affected"] {
            out.affected.extend(texts(status, key));
        }
    }
    for threat in list(get(v, "threats")) {
        let details = text_of(threat, "details");
        match text_of(threat, "category").as_str() {
            "exploit_status" => {
                let s = ExploitStatus::parse(&details);
                out.exploit.exploited = s.exploited.or(out.exploit.exploited);
                out.exploit.publicly_disclosed = s.publicly_disclosed.or(out.exploit.publicly_disclosed);
            }
            _ => {
                if let Some(sev) = Severity::parse(&details) {
                    out.severities
                        .extend(texts(threat, "product_ids").into_iter().map(|p| (p, sev)));
                }
            }
        }
    }
    for score in list(get(v, "scores")) {
        let Some(cvss) = get(score, "cvss_v3") else {
            continue;
        };
        let base = text_of(cvss, "baseScore");
        match base.parse::<f32>() {
            Ok(b) if (0.0..=10.0).contains(&b) => {
                let products = texts(score, "products");
                if out.severities.is_empty() {
                    if let Some(sev) = Severity::parse(&text_of(cvss, "baseSeverity")) {
                        out.severities.extend(products.iter().map(|p| (p.clone(), sev)));
                    }
                }
                let c = Cvss {
                    base: b,
                    temporal: text_of(cvss, "temporalScore").parse().ok(),
                    vector: text_of(cvss, "vectorString"),
                };
                out.scores.push((products, c));
            }
            _ => warnings.push(format!(
                "{place}: cvss_v3.baseScore {base:?} is not a number from 0 to 10"
            )),
        }
    }
    for rem in list(get(v, "remediations")) {
        let mut r = Remediation::new(RemediationKind::parse(&text_of(rem, "category")));
        r.description = text_of(rem, "details");
        r.url = text(get(rem, "url")).filter(|s| !s.is_empty());
        r.products = texts(rem, "product_ids");
        r.infer_kb();
        out.remediations.push(r);
    }
    out.published = text(get(v, "release_date")).or_else(|| text(get(v, "discovery_date")));
    out
}
