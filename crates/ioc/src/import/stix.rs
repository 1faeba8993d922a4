//! STIX 2.1 bundles: `indicator` objects whose pattern compares addresses, domains, URLs or file hashes
//! (`[ipv4-addr:value = '198.51.100.1']`, `[file:hashes.'SHA-256' = '…']`, `ISSUBSET '10.0.0.0/8'`, several
//! comparisons joined by `OR`). The malware an indicator `indicates` (a relationship) becomes its family.

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value;

use crate::import::dates::{parse_date, DateOrder};
use crate::import::{Format, Imported};
use crate::indicator::{Category, Entry, FileHash, Indicator, Meta};
use crate::text::{normalize_domain, normalize_url, parse_ip};
use crate::{Location, Problem, Rejected};

fn comparison() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?x)
            (ipv4-addr|ipv6-addr|domain-name|url|file)
            :(value|hashes\.(?:'([^']+)'|([A-Za-z0-9-]+)))
            \s*(=|ISSUBSET)\s*
            '((?:[^'\\]|\\.)*)'",
        )
        .unwrap_or_else(|e| unreachable!("constant pattern: {e}"))
    })
}

/// Reads the indicators of a bundle.
pub(crate) fn read_bundle(doc: &Value) -> Imported {
    let mut out = Imported::new(Format::Stix);
    let objects = doc
        .get("objects")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let by_id: HashMap<&str, &Value> = objects
        .iter()
        .filter_map(|o| Some((o.get("id")?.as_str()?, o)))
        .collect();
    // indicator id → malware names it indicates
    let mut families: HashMap<&str, Vec<&str>> = HashMap::new();
    for o in objects
        .iter()
        .filter(|o| str_of(o, "type") == Some("relationship"))
    {
        if str_of(o, "relationship_type") != Some("indicates") {
            continue;
        }
        let (Some(src), Some(dst)) = (str_of(o, "source_ref"), str_of(o, "target_ref")) else {
            continue;
        };
        if let Some(name) = by_id.get(dst).and_then(|m| str_of(m, "name")) {
            families.entry(src).or_default().push(name);
        }
    }
    for (i, o) in objects.iter().enumerate() {
        if str_of(o, "type") != Some("indicator") {
            continue;
        }
        let at = Location::Path(format!("objects[{i}]"));
        let Some(pattern) = str_of(o, "pattern") else {
            out.rejected.push(Rejected::new(
                at,
                Some("pattern"),
                "",
                Problem::MissingField("pattern".into()),
            ));
            continue;
        };
        let meta = meta_of(o, str_of(o, "id").and_then(|id| families.get(id)));
        let mut found = false;
        for cap in comparison().captures_iter(pattern) {
            found = true;
            let value = cap.get(6).map_or("", |m| m.as_str()).replace("\\'", "'");
            match indicator_of(&cap, &value) {
                Ok(indicator) => out.entries.push(Entry {
                    indicator,
                    meta: meta.clone(),
                    origin: at.clone(),
                }),
                Err(p) => out
                    .rejected
                    .push(Rejected::new(at.clone(), Some("pattern"), &value, p)),
            }
        }
        if !found {
            out.rejected.push(Rejected::new(
                at,
                Some("pattern"),
                pattern,
                Problem::UnsupportedPattern,
            ));
        }
    }
    out
}

fn str_of<'a>(o: &'a Value, key: &str) -> Option<&'a str> {
    o.get(key)?.as_str()
}

fn indicator_of(cap: &regex::Captures<'_>, value: &str) -> Result<Indicator, Problem> {
    let object = cap.get(1).map_or("", |m| m.as_str());
    Ok(match object {
        "ipv4-addr" | "ipv6-addr" => Indicator::Ip(parse_ip(value)?.0),
        "domain-name" => Indicator::Domain(normalize_domain(value).ok_or(Problem::BadDomain)?),
        "url" => Indicator::Url(normalize_url(value).ok_or(Problem::BadUrl)?),
        _ => {
            let algo = cap.get(3).or_else(|| cap.get(4)).map_or("", |m| m.as_str());
            let h = FileHash::parse(value).ok_or(Problem::BadHash)?;
            let fits = match h {
                FileHash::Md5(_) => algo.eq_ignore_ascii_case("MD5"),
                FileHash::Sha1(_) => algo.eq_ignore_ascii_case("SHA-1") || algo.eq_ignore_ascii_case("SHA1"),
                FileHash::Sha256(_) => {
                    algo.eq_ignore_ascii_case("SHA-256") || algo.eq_ignore_ascii_case("SHA256")
                }
            };
            if !fits {
                return Err(Problem::BadHash);
            }
            Indicator::Hash(h)
        }
    })
}

fn meta_of(o: &Value, families: Option<&Vec<&str>>) -> Meta {
    let date = |k: &str| str_of(o, k).and_then(|d| parse_date(d, DateOrder::DayFirst));
    let types: Vec<&str> = o
        .get("indicator_types")
        .or_else(|| o.get("labels"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let category = match types.first() {
        Some(&"malicious-activity") | None => Category::Unknown,
        Some(&"compromised") => Category::InfectedHost,
        Some(t) => Category::from_words(&t.replace('-', " ")),
    };
    let mut meta = Meta {
        category,
        first_seen: date("valid_from").or_else(|| date("created")),
        last_seen: date("valid_until"),
        family: families.and_then(|f| f.first()).map(|s| (*s).to_string()),
        ..Meta::default()
    };
    for key in ["name", "id", "description"] {
        if let Some(v) = str_of(o, key) {
            meta.attributes.push((key.into(), v.to_string()));
        }
    }
    meta
}
