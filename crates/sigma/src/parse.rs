//! One YAML document → a rule, a filter or a correlation, with every problem named by its place.

use crate::condition::{self, Cond, Expr};
use crate::error::Problem;
use crate::rule::{
    CorrelationRule, CorrelationType, CountCondition, Detection, FilterRule, LogSource, Rule, RuleMeta,
    Search,
};
use crate::value::{ItemCompiler, Placeholders};
use serde_yaml_ng::{Mapping, Value as Yaml};
use std::time::Duration;

/// What a YAML document turned out to be.
#[derive(Debug)]
pub(crate) enum Document {
    Rule(Rule),
    Filter(FilterRule),
    Correlation(CorrelationRule),
}

fn get<'a>(m: &'a Mapping, key: &str) -> Option<&'a Yaml> {
    m.get(key)
}

fn opt_str(m: &Mapping, key: &str) -> Result<Option<String>, Problem> {
    match get(m, key) {
        None | Some(Yaml::Null) => Ok(None),
        Some(Yaml::String(s)) => Ok(Some(s.clone())),
        Some(Yaml::Number(n)) => Ok(Some(n.to_string())),
        Some(Yaml::Bool(b)) => Ok(Some(b.to_string())),
        Some(_) => Err(Problem::invalid(key, "expected a string")),
    }
}

fn str_list(m: &Mapping, key: &str) -> Result<Vec<String>, Problem> {
    match get(m, key) {
        None | Some(Yaml::Null) => Ok(Vec::new()),
        Some(Yaml::String(s)) => Ok(vec![s.clone()]),
        Some(Yaml::Sequence(v)) => v
            .iter()
            .map(|x| match x {
                Yaml::String(s) => Ok(s.clone()),
                Yaml::Number(n) => Ok(n.to_string()),
                _ => Err(Problem::invalid(key, "expected a list of strings")),
            })
            .collect(),
        Some(_) => Err(Problem::invalid(key, "expected a list of strings")),
    }
}

/// The rule's label (title, else id) from a raw document, for error messages.
pub(crate) fn label(doc: &Yaml) -> Option<String> {
    let m = doc.as_mapping()?;
    let t = |k: &str| m.get(k).and_then(Yaml::as_str).map(str::to_string);
    t("title").or_else(|| t("id"))
}

fn meta(m: &Mapping, origin: &str, document: usize) -> Result<RuleMeta, Problem> {
    let title = opt_str(m, "title")?.ok_or_else(|| Problem::invalid("title", "missing"))?;
    let author = match get(m, "author") {
        Some(Yaml::Sequence(_)) => Some(str_list(m, "author")?.join(", ")),
        _ => opt_str(m, "author")?,
    };
    Ok(RuleMeta {
        id: opt_str(m, "id")?,
        name: opt_str(m, "name")?,
        title,
        description: opt_str(m, "description")?,
        level: opt_str(m, "level")?
            .map(|s| s.parse())
            .transpose()
            .map_err(|e: String| Problem::invalid("level", e))?,
        status: opt_str(m, "status")?
            .map(|s| s.parse())
            .transpose()
            .map_err(|e: String| Problem::invalid("status", e))?,
        author,
        date: opt_str(m, "date")?,
        tags: str_list(m, "tags")?,
        references: str_list(m, "references")?,
        falsepositives: str_list(m, "falsepositives")?,
        origin: origin.to_string(),
        document,
    })
}

fn logsource(m: &Mapping) -> Result<LogSource, Problem> {
    let Some(ls) = get(m, "logsource") else {
        return Ok(LogSource::default());
    };
    let ls = ls
        .as_mapping()
        .ok_or_else(|| Problem::invalid("logsource", "expected a map"))?;
    let lower = |k: &str| opt_str(ls, k).map(|o| o.map(|s| s.to_ascii_lowercase()));
    Ok(LogSource {
        product: lower("product")?,
        category: lower("category")?,
        service: lower("service")?,
    })
}

/// Parses one document.
pub(crate) fn document(
    doc: &Yaml,
    origin: &str,
    index: usize,
    ph: &Placeholders,
) -> Result<Document, Problem> {
    let m = doc
        .as_mapping()
        .ok_or_else(|| Problem::invalid("document", "expected a map at the top"))?;
    let meta = meta(m, origin, index)?;
    if let Some(c) = get(m, "correlation") {
        return correlation(meta, c).map(Document::Correlation);
    }
    if let Some(f) = get(m, "filter") {
        let f = f
            .as_mapping()
            .ok_or_else(|| Problem::invalid("filter", "expected a map"))?;
        let rules = str_list(f, "rules").map_err(|p| Problem {
            place: format!("filter.{}", p.place),
            ..p
        })?;
        if rules.is_empty() {
            return Err(Problem::invalid(
                "filter.rules",
                "a filter must name the rules it applies to",
            ));
        }
        let detection = detection(f, "filter", ph)?;
        return Ok(Document::Filter(FilterRule {
            meta,
            logsource: logsource(m)?,
            rules,
            detection,
        }));
    }
    let d = get(m, "detection").ok_or_else(|| Problem::invalid("detection", "missing"))?;
    let d = d
        .as_mapping()
        .ok_or_else(|| Problem::invalid("detection", "expected a map"))?;
    Ok(Document::Rule(Rule {
        meta,
        logsource: logsource(m)?,
        detection: detection(d, "detection", ph)?,
    }))
}

fn detection(d: &Mapping, at: &str, ph: &Placeholders) -> Result<Detection, Problem> {
    let mut fields = Vec::new();
    let mut names = Vec::new();
    let mut searches = Vec::new();
    let mut ic = ItemCompiler {
        fields: &mut fields,
        placeholders: ph,
    };
    let mut cond_text: Vec<String> = Vec::new();
    for (k, v) in d {
        let k = k
            .as_str()
            .ok_or_else(|| Problem::invalid(at, "keys must be strings"))?;
        match k {
            "condition" => {
                cond_text = match v {
                    Yaml::String(s) => vec![s.clone()],
                    Yaml::Sequence(list) => list
                        .iter()
                        .map(|c| c.as_str().map(str::to_string))
                        .collect::<Option<_>>()
                        .ok_or_else(|| Problem::invalid(format!("{at}.condition"), "expected strings"))?,
                    _ => {
                        return Err(Problem::invalid(
                            format!("{at}.condition"),
                            "expected a string or a list",
                        ))
                    }
                };
            }
            "rules" if at == "filter" => {}
            "timeframe" => {}
            name => {
                let place = format!("{at}.{name}");
                searches.push(search(&mut ic, &place, v)?);
                names.push(name.to_string());
            }
        }
    }
    if cond_text.is_empty() {
        return Err(Problem::invalid(format!("{at}.condition"), "missing"));
    }
    let mut conds = Vec::new();
    for c in &cond_text {
        let place = format!("{at}.condition");
        let e: Expr = condition::parse(c).map_err(|e| {
            if e.message.starts_with("aggregation") {
                Problem::unsupported(place.clone(), e.message.clone())
            } else {
                Problem::invalid(place.clone(), format!("`{c}` {e}"))
            }
        })?;
        conds.push(e.resolve(&names).map_err(|r| Problem::invalid(place, r))?);
    }
    let cond = if conds.len() == 1 {
        conds.remove(0)
    } else {
        Cond::Or(conds)
    };
    Ok(Detection {
        names,
        searches,
        cond,
        fields,
    })
}

fn search(ic: &mut ItemCompiler<'_>, place: &str, v: &Yaml) -> Result<Search, Problem> {
    let mut alternatives = Vec::new();
    match v {
        Yaml::Mapping(m) => alternatives.push(map_items(ic, place, m)?),
        Yaml::Sequence(list) => {
            let (maps, scalars): (Vec<&Yaml>, Vec<&Yaml>) = list.iter().partition(|x| x.is_mapping());
            for m in maps.iter().filter_map(|m| m.as_mapping()) {
                alternatives.push(map_items(ic, place, m)?);
            }
            if !scalars.is_empty() {
                let seq = Yaml::Sequence(scalars.into_iter().cloned().collect());
                alternatives.push(vec![ic.item(place, None, &seq)?]);
            }
        }
        Yaml::String(_) | Yaml::Number(_) => alternatives.push(vec![ic.item(place, None, v)?]),
        _ => {
            return Err(Problem::invalid(
                place,
                "a search must be a map, a list or a keyword",
            ))
        }
    }
    Ok(Search { alternatives })
}

fn map_items(
    ic: &mut ItemCompiler<'_>,
    place: &str,
    m: &Mapping,
) -> Result<Vec<crate::value::Item>, Problem> {
    let mut items = Vec::new();
    for (k, v) in m {
        let key = match k {
            Yaml::String(s) => s.clone(),
            Yaml::Number(n) => n.to_string(),
            _ => return Err(Problem::invalid(place, "field names must be strings")),
        };
        let place = format!("{place}.{key}");
        items.push(ic.item(&place, Some(&key), v)?);
    }
    Ok(items)
}

/// `30s`, `5m`, `1h`, `2d`, `1w`, `1M` (30 days), `1y` (365 days).
pub(crate) fn timespan(s: &str) -> Option<Duration> {
    let s = s.trim();
    let unit = s.chars().last()?;
    let n: u64 = s[..s.len() - unit.len_utf8()].trim().parse().ok()?;
    let secs = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 604_800,
        'M' => 2_592_000,
        'y' => 31_536_000,
        _ => return None,
    };
    Some(Duration::from_secs(n.checked_mul(secs)?))
}

fn count_condition(m: &Mapping) -> Result<Option<CountCondition>, Problem> {
    let num = |k: &str| -> Result<Option<u64>, Problem> {
        match get(m, k) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| Problem::invalid(format!("correlation.condition.{k}"), "expected a count")),
        }
    };
    Ok(
        match (num("gte")?, num("lte")?, num("gt")?, num("lt")?, num("eq")?) {
            (Some(a), Some(b), None, None, None) => Some(CountCondition::Range(a, b)),
            (Some(a), None, None, None, None) => Some(CountCondition::Gte(a)),
            (None, Some(b), None, None, None) => Some(CountCondition::Lte(b)),
            (None, None, Some(a), None, None) => Some(CountCondition::Gt(a)),
            (None, None, None, Some(a), None) => Some(CountCondition::Lt(a)),
            (None, None, None, None, Some(a)) => Some(CountCondition::Eq(a)),
            (None, None, None, None, None) => None,
            _ => {
                return Err(Problem::unsupported(
                    "correlation.condition",
                    "this combination of comparisons",
                ))
            }
        },
    )
}

fn correlation(meta: RuleMeta, c: &Yaml) -> Result<CorrelationRule, Problem> {
    let c = c
        .as_mapping()
        .ok_or_else(|| Problem::invalid("correlation", "expected a map"))?;
    let at = |p: Problem| Problem {
        place: format!("correlation.{}", p.place),
        ..p
    };
    let kind = match opt_str(c, "type").map_err(at)?.as_deref() {
        Some("event_count") => CorrelationType::EventCount,
        Some("value_count") => CorrelationType::ValueCount,
        Some("temporal") => CorrelationType::Temporal,
        Some("temporal_ordered") => CorrelationType::TemporalOrdered,
        Some(t) => {
            return Err(Problem::unsupported(
                "correlation.type",
                format!("correlation type `{t}`"),
            ))
        }
        None => return Err(Problem::invalid("correlation.type", "missing")),
    };
    let rules = str_list(c, "rules").map_err(at)?;
    if rules.is_empty() {
        return Err(Problem::invalid("correlation.rules", "missing"));
    }
    let group_by = str_list(c, "group-by").map_err(at)?;
    let ts = opt_str(c, "timespan")
        .map_err(at)?
        .or(opt_str(c, "timeframe").map_err(at)?);
    let ts = ts.ok_or_else(|| Problem::invalid("correlation.timespan", "missing"))?;
    let timespan = timespan(&ts)
        .ok_or_else(|| Problem::invalid("correlation.timespan", format!("`{ts}` is not like 5m or 1h")))?;
    let (condition, value_field) = match get(c, "condition") {
        Some(Yaml::Mapping(m)) => (count_condition(m)?, opt_str(m, "field").map_err(at)?),
        None => (None, None),
        Some(_) => return Err(Problem::invalid("correlation.condition", "expected a map")),
    };
    if matches!(kind, CorrelationType::EventCount | CorrelationType::ValueCount) && condition.is_none() {
        return Err(Problem::invalid(
            "correlation.condition",
            "missing (e.g. `gte: 10`)",
        ));
    }
    if kind == CorrelationType::ValueCount && value_field.is_none() {
        return Err(Problem::invalid(
            "correlation.condition.field",
            "value_count needs the field to count",
        ));
    }
    let mut aliases = Vec::new();
    if let Some(a) = get(c, "aliases") {
        let a = a
            .as_mapping()
            .ok_or_else(|| Problem::invalid("correlation.aliases", "expected a map"))?;
        for (name, per_rule) in a {
            let name = name
                .as_str()
                .ok_or_else(|| Problem::invalid("correlation.aliases", "names must be strings"))?;
            let per_rule = per_rule
                .as_mapping()
                .ok_or_else(|| Problem::invalid(format!("correlation.aliases.{name}"), "expected a map"))?;
            let list = per_rule
                .iter()
                .filter_map(|(r, f)| Some((r.as_str()?.to_string(), f.as_str()?.to_string())))
                .collect();
            aliases.push((name.to_string(), list));
        }
    }
    let generate = matches!(get(c, "generate"), Some(Yaml::Bool(true)));
    Ok(CorrelationRule {
        meta,
        kind,
        rules,
        group_by,
        timespan,
        condition,
        value_field,
        aliases,
        generate,
    })
}
