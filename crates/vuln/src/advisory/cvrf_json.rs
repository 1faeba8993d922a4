//! Microsoft CVRF as JSON: the Security Update Guide API's `application/json` form (PascalCase keys, scalars
//! wrapped in `{"Value": …}`, numeric type codes) and per-CVE extracts with snake-case keys. Both give the same
//! [`MsrcDocument`] as the XML form.

use super::json::{children, get, list, text, text_of, texts};
use super::{ExploitStatus, MsrcDocument, MsrcVulnerability, Product, Remediation, RemediationKind};
use crate::error::{Error, Location, Result};
use crate::model::{Cvss, Kb, Severity};
use serde_json::Value;

/// Parses a CVRF JSON document from bytes.
pub fn parse(source: &str, bytes: &[u8]) -> Result<MsrcDocument> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| Error::Json {
        at: Location::line(source, e.line()),
        message: e.to_string(),
    })?;
    from_value(source, &value)
}

/// Reads a CVRF JSON value already parsed.
pub fn from_value(source: &str, v: &Value) -> Result<MsrcDocument> {
    if get(v, "vulnerability").is_none() || get(v, "documenttracking").is_none() {
        return Err(Error::Schema {
            at: Location::source(source),
            message: "not a CVRF JSON document: no DocumentTracking and Vulnerability members".into(),
        });
    }
    let tracking = get(v, "documenttracking").unwrap_or(&Value::Null);
    let ident = get(tracking, "identification").unwrap_or(&Value::Null);
    let mut doc = MsrcDocument {
        id: text_of(ident, "id"),
        title: text_of(v, "documenttitle"),
        initial_release: text(get(tracking, "initialreleasedate")),
        current_release: text(get(tracking, "currentreleasedate")),
        ..MsrcDocument::default()
    };
    if let Some(tree) = get(v, "producttree") {
        walk_branches(tree, "", &mut doc.products);
        for p in list(get(tree, "fullproductname")) {
            push_product(p, "", &mut doc.products);
        }
    }
    for (i, vuln) in list(get(v, "vulnerability")).into_iter().enumerate() {
        let parsed = vulnerability(vuln, source, i, &mut doc.warnings);
        if parsed.cve.is_empty() {
            doc.warnings
                .push(format!("{source}: Vulnerability[{i}] has no CVE, skipped"));
        } else {
            doc.vulnerabilities.push(parsed);
        }
    }
    Ok(doc)
}

fn push_product(p: &Value, family: &str, out: &mut Vec<Product>) {
    let id = text_of(p, "productid");
    if id.is_empty() || out.iter().any(|q| q.id == id) {
        return;
    }
    let name = text(get(p, "value").or_else(|| get(p, "text"))).unwrap_or_default();
    out.push(Product {
        id,
        name,
        family: family.to_owned(),
    });
}

fn walk_branches(node: &Value, family: &str, out: &mut Vec<Product>) {
    for key in ["branch", "items"] {
        for child in list(get(node, key)) {
            if get(child, "productid").is_some() {
                push_product(child, family, out);
                continue;
            }
            let kind = text_of(child, "type");
            let name = text_of(child, "name");
            let is_vendor = kind == "Vendor" || kind == "0";
            let child_family = if is_vendor || name.is_empty() {
                family
            } else {
                name.as_str()
            };
            for p in list(get(child, "fullproductname")) {
                push_product(p, child_family, out);
            }
            walk_branches(child, child_family, out);
        }
    }
}

fn vulnerability(v: &Value, source: &str, index: usize, warnings: &mut Vec<String>) -> MsrcVulnerability {
    let mut out = MsrcVulnerability {
        cve: text_of(v, "cve"),
        title: text_of(v, "title"),
        ..Default::default()
    };
    let place = format!("{source}: Vulnerability[{index}] {}", out.cve);
    for status in children(v, "productstatuses", "status") {
        let kind = text_of(status, "type");
        // MSRC's JSON codes the status type as a number and publishes only "Known Affected" statuses.
        if kind == "Known Affected" || kind.parse::<u32>().is_ok() {
            out.affected.extend(texts(status, "productid"));
        }
    }
    for threat in children(v, "threats", "threat") {
        let kind = text_of(threat, "type");
        let description = text_of(threat, "description");
        let word = Severity::parse(&description);
        match kind.as_str() {
            "Severity" | "3" if !description.is_empty() => match Severity::parse(&description) {
                Some(sev) => out
                    .severities
                    .extend(texts(threat, "productid").into_iter().map(|p| (p, sev))),
                None => warnings.push(format!("{place}: unknown severity {description:?}")),
            },
            // Some converters label the severity threat "Exploit Status"; a bare severity word is a severity.
            "Exploit Status" | "1" if word.is_some() => {
                out.severities.extend(
                    texts(threat, "productid")
                        .into_iter()
                        .zip(std::iter::repeat(word).flatten()),
                );
            }
            "Exploit Status" | "1" => {
                let s = ExploitStatus::parse(&description);
                out.exploit.exploited = s.exploited.or(out.exploit.exploited);
                out.exploit.publicly_disclosed = s.publicly_disclosed.or(out.exploit.publicly_disclosed);
            }
            _ => {}
        }
    }
    for set in children(v, "cvssscoresets", "scoreset") {
        let base = text_of(set, "basescore");
        match base.parse::<f32>() {
            Ok(b) if (0.0..=10.0).contains(&b) => {
                let cvss = Cvss {
                    base: b,
                    temporal: text_of(set, "temporalscore").parse().ok(),
                    vector: text_of(set, "vector"),
                };
                out.scores.push((texts(set, "productid"), cvss));
            }
            _ => warnings.push(format!(
                "{place}: CVSS base score {base:?} is not a number from 0 to 10"
            )),
        }
    }
    for rem in children(v, "remediations", "remediation") {
        out.remediations.push(remediation(rem, &place, warnings));
    }
    out.published = children(v, "revisionhistory", "revision")
        .first()
        .and_then(|r| text(get(r, "date")));
    out
}

fn remediation(rem: &Value, place: &str, warnings: &mut Vec<String>) -> Remediation {
    let kind = match text_of(rem, "type").as_str() {
        // MSRC JSON type codes: 0 workaround, 1 mitigation, 2 vendor fix, 5 known issue.
        "0" => RemediationKind::Workaround,
        "1" => RemediationKind::Mitigation,
        "2" => RemediationKind::VendorFix,
        "5" => RemediationKind::KnownIssue,
        other => RemediationKind::parse(other),
    };
    let mut r = Remediation::new(kind);
    r.description = text_of(rem, "description");
    r.url = text(get(rem, "url")).filter(|s| !s.is_empty());
    r.products = texts(rem, "productid");
    r.sub_type = text(get(rem, "subtype")).filter(|s| !s.is_empty());
    r.fixed_build = text(get(rem, "fixedbuild")).filter(|s| !s.is_empty());
    let (kbs, strays) = Kb::parse_list(&text_of(rem, "supercedence"));
    if !strays.is_empty() {
        warnings.push(format!(
            "{place}: Supercedence value(s) {strays:?} are not KB numbers, ignored"
        ));
    }
    r.supersedes = kbs;
    r.infer_kb();
    r
}
