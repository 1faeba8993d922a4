//! MISP event JSON (`{"Event": {…, "Attribute": […], "Object": [{"Attribute": […]}]}}`), the form CERTs share
//! indicators in. Network and file attribute types become entries; other types are reported as unsupported
//! (with their place), never silently dropped. Galaxy tags name the family.

use serde_json::Value;

use crate::import::dates::{parse_date, DateOrder};
use crate::import::{Format, Imported};
use crate::indicator::{Category, Entry, FileHash, Indicator, Meta};
use crate::text::{normalize_domain, normalize_url, parse_ip, parse_port};
use crate::{Location, Problem, Rejected};

/// Types that carry no indicator this engine matches and are skipped with a count rather than an error.
const INFORMATIONAL: &[&str] = &[
    "comment",
    "text",
    "other",
    "link",
    "datetime",
    "counter",
    "size-in-bytes",
    "float",
];

/// Reads one event (`{"Event": …}` or the event object itself) or an array of them.
pub(crate) fn read_events(doc: &Value) -> Imported {
    let mut out = Imported::new(Format::Misp);
    match doc {
        Value::Array(events) => {
            for (i, e) in events.iter().enumerate() {
                read_event(e.get("Event").unwrap_or(e), &format!("[{i}].Event"), &mut out);
            }
        }
        other => read_event(other.get("Event").unwrap_or(other), "Event", &mut out),
    }
    out
}

fn read_event(event: &Value, path: &str, out: &mut Imported) {
    let base = base_meta(event);
    let attrs = event
        .get("Attribute")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    for (i, a) in attrs.iter().enumerate() {
        read_attribute(a, &base, format!("{path}.Attribute[{i}]"), out);
    }
    let objects = event
        .get("Object")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    for (j, o) in objects.iter().enumerate() {
        let attrs = o
            .get("Attribute")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        for (i, a) in attrs.iter().enumerate() {
            read_attribute(a, &base, format!("{path}.Object[{j}].Attribute[{i}]"), out);
        }
    }
}

fn base_meta(event: &Value) -> Meta {
    let tags = tags_of(event);
    let mut meta = Meta {
        category: category_of(&tags),
        family: family_of(&tags),
        first_seen: event
            .get("date")
            .and_then(Value::as_str)
            .and_then(|d| parse_date(d, DateOrder::DayFirst)),
        ..Meta::default()
    };
    for (key, name) in [("info", "event"), ("uuid", "event_uuid")] {
        if let Some(v) = event.get(key).and_then(Value::as_str) {
            meta.attributes.push((name.into(), v.to_string()));
        }
    }
    meta
}

fn tags_of(v: &Value) -> Vec<&str> {
    v.get("Tag")
        .and_then(Value::as_array)
        .map(|t| t.iter().filter_map(|t| t.get("name")?.as_str()).collect())
        .unwrap_or_default()
}

/// `misp-galaxy:malpedia="Emotet"` or `misp-galaxy:botnet="Mirai"` → the quoted name.
fn family_of(tags: &[&str]) -> Option<String> {
    tags.iter().find_map(|t| {
        let rest = t.strip_prefix("misp-galaxy:")?;
        let (_, name) = rest.split_once('=')?;
        Some(name.trim_matches('"').to_string())
    })
}

fn category_of(tags: &[&str]) -> Category {
    tags.iter()
        .map(|t| Category::from_words(&t.replace(['-', ':', '='], " ")))
        .find(|c| !matches!(c, Category::Other(_) | Category::Unknown))
        .unwrap_or_default()
}

fn read_attribute(a: &Value, base: &Meta, path: String, out: &mut Imported) {
    let at = Location::Path(path);
    let (Some(kind), Some(value)) = (
        a.get("type").and_then(Value::as_str),
        a.get("value").and_then(Value::as_str),
    ) else {
        out.rejected.push(Rejected::new(
            at,
            Some("type"),
            "",
            Problem::MissingField("type/value".into()),
        ));
        return;
    };
    if INFORMATIONAL.contains(&kind) {
        out.informational += 1;
        return;
    }
    let mut meta = base.clone();
    let tags = tags_of(a);
    if let Some(f) = family_of(&tags) {
        meta.family = Some(f);
    }
    if let Some(c) = a.get("comment").and_then(Value::as_str).filter(|c| !c.is_empty()) {
        meta.attributes.push(("comment".into(), c.to_string()));
    }
    if let Some(ts) = a
        .get("first_seen")
        .and_then(Value::as_str)
        .and_then(|d| parse_date(d, DateOrder::DayFirst))
    {
        meta.first_seen = Some(ts);
    }
    if let Some(ts) = a
        .get("last_seen")
        .and_then(Value::as_str)
        .and_then(|d| parse_date(d, DateOrder::DayFirst))
    {
        meta.last_seen = Some(ts);
    }
    meta.attributes.push(("misp_type".into(), kind.to_string()));
    let result = indicators_of(kind, value, &mut meta);
    match result {
        Ok(list) => out.entries.extend(list.into_iter().map(|indicator| Entry {
            indicator,
            meta: meta.clone(),
            origin: at.clone(),
        })),
        Err(p) => out.rejected.push(Rejected::new(at, Some(kind), value, p)),
    }
}

fn indicators_of(kind: &str, value: &str, meta: &mut Meta) -> Result<Vec<Indicator>, Problem> {
    let ip = |v: &str| parse_ip(v).map(|(r, _)| Indicator::Ip(r));
    let domain = |v: &str| {
        normalize_domain(v)
            .map(Indicator::Domain)
            .ok_or(Problem::BadDomain)
    };
    // The hash must be of the kind the type names ("md5" holds an MD5, "filename|sha256" a SHA-256).
    let algo = kind.rsplit('|').next().unwrap_or(kind);
    let hash = |v: &str| {
        FileHash::parse(v)
            .filter(|h| {
                matches!(
                    (algo, h.kind()),
                    ("md5", crate::HashKind::Md5)
                        | ("sha1", crate::HashKind::Sha1)
                        | ("sha256", crate::HashKind::Sha256)
                )
            })
            .map(Indicator::Hash)
            .ok_or(Problem::BadHash)
    };
    Ok(match kind {
        "ip-dst" | "ip-src" => vec![ip(value)?],
        "ip-dst|port" | "ip-src|port" => {
            let (a, p) = value.rsplit_once('|').ok_or(Problem::BadPort)?;
            meta.port = Some(parse_port(p)?);
            vec![ip(a)?]
        }
        "domain" | "hostname" => vec![domain(value)?],
        "domain|ip" | "hostname|port" => {
            let (d, rest) = value.split_once('|').ok_or(Problem::BadDomain)?;
            if kind == "hostname|port" {
                meta.port = Some(parse_port(rest)?);
                vec![domain(d)?]
            } else {
                vec![domain(d)?, ip(rest)?]
            }
        }
        "url" | "uri" => vec![normalize_url(value).map(Indicator::Url).ok_or(Problem::BadUrl)?],
        "md5" | "sha1" | "sha256" => vec![hash(value)?],
        "filename|md5" | "filename|sha1" | "filename|sha256" => {
            let (name, h) = value.rsplit_once('|').ok_or(Problem::BadHash)?;
            meta.attributes.push(("filename".into(), name.to_string()));
            vec![hash(h)?]
        }
        other => return Err(Problem::UnsupportedType(other.to_string())),
    })
}
