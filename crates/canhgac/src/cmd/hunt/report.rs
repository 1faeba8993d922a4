//! The hunt's output (table, CSV, JSON lines) and its summary on standard error.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use canhgac_sigma::{CorrelationMatch, Engine, Level};

use super::scan::{Detection, Outcome};

/// How detections are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for reading on a terminal.
    Table,
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object per detection.
    Jsonl,
}

/// Rules used, skipped (with a reason printed) and left out by the level/status/tag options.
#[derive(Debug, Clone, Copy, Default)]
pub struct RuleCounts {
    pub loaded: usize,
    pub skipped: usize,
    pub restricted: usize,
}

fn level(engine: &Engine, d: &Detection) -> String {
    engine
        .rule(d.rule)
        .level
        .map_or_else(|| "-".to_string(), |l| l.to_string())
}

fn fields_text(fields: &[(String, String)], cap: usize) -> String {
    let mut s = String::new();
    for (k, v) in fields {
        if !s.is_empty() {
            s.push_str("; ");
        }
        let v: String = if v.chars().count() > cap {
            v.chars().take(cap).chain("…".chars()).collect()
        } else {
            v.clone()
        };
        s.push_str(&format!("{k}={}", v.replace(['\r', '\n', '\t'], " ")));
    }
    s
}

fn write_table(
    out: &mut dyn Write,
    engine: &Engine,
    dets: &[Detection],
    corr: &[CorrelationMatch],
) -> std::io::Result<()> {
    let rows: Vec<[String; 8]> = dets
        .iter()
        .map(|d| {
            [
                d.timestamp.format("%Y-%m-%d %H:%M:%S%.3fZ").to_string(),
                level(engine, d),
                engine.rule(d.rule).title.clone(),
                d.computer.clone(),
                format!("{} {}", d.channel, d.event_id),
                format!("#{} {}", d.record_id, d.file),
                fields_text(&d.fields, 120),
                String::new(),
            ]
        })
        .collect();
    let head = [
        "time",
        "level",
        "rule",
        "computer",
        "channel / event id",
        "record / file",
        "matched fields",
        "",
    ];
    let mut width = [0usize; 6];
    for r in rows
        .iter()
        .map(|r| &r[..6])
        .chain(std::iter::once(&head.map(String::from)[..6]))
    {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |out: &mut dyn Write, r: &[String]| -> std::io::Result<()> {
        for (c, w) in r[..5].iter().zip(width) {
            write!(out, "{c:w$}  ")?;
        }
        writeln!(out, "{}\n{:>pad$}{}", r[5], "", r[6], pad = 4)
    };
    line(out, &head.map(String::from))?;
    for r in &rows {
        line(out, r)?;
    }
    let titles: Vec<_> = engine.correlations().collect();
    for m in corr {
        let c = titles[m.correlation];
        let level = c.meta.level.map_or_else(|| "-".to_string(), |l| l.to_string());
        let group = fields_text(&m.group, 120);
        writeln!(
            out,
            "{}  {level}  correlation: {} ({} from {}; {group})",
            m.last.format("%Y-%m-%d %H:%M:%S%.3fZ"),
            c.meta.title,
            m.count,
            m.first.format("%Y-%m-%d %H:%M:%S%.3fZ")
        )?;
    }
    Ok(())
}

fn write_jsonl(
    out: &mut dyn Write,
    engine: &Engine,
    dets: &[Detection],
    corr: &[CorrelationMatch],
) -> std::io::Result<()> {
    for d in dets {
        let r = engine.rule(d.rule);
        let fields: serde_json::Map<String, serde_json::Value> = d
            .fields
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        let v = serde_json::json!({
            "rule_id": r.id, "rule_title": r.title, "level": r.level.map(|l| l.to_string()),
            "timestamp": d.timestamp.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            "computer": d.computer, "channel": d.channel, "event_id": d.event_id, "file": &*d.file,
            "record_id": d.record_id, "fields": fields, "tags": r.tags,
        });
        writeln!(out, "{v}")?;
    }
    let list: Vec<_> = engine.correlations().collect();
    for m in corr {
        let c = list[m.correlation];
        let group: serde_json::Map<String, serde_json::Value> = m
            .group
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        let v = serde_json::json!({
            "rule_id": c.meta.id, "rule_title": c.meta.title, "level": c.meta.level.map(|l| l.to_string()),
            "timestamp": m.last.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            "first": m.first.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            "correlation": true, "count": m.count, "group": group,
        });
        writeln!(out, "{v}")?;
    }
    Ok(())
}

fn write_csv(out: &mut dyn Write, engine: &Engine, dets: &[Detection]) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "timestamp",
        "level",
        "rule_title",
        "rule_id",
        "computer",
        "channel",
        "event_id",
        "record_id",
        "file",
        "fields",
    ])?;
    for d in dets {
        let r = engine.rule(d.rule);
        w.write_record([
            d.timestamp.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            level(engine, d),
            r.title.clone(),
            r.id.clone().unwrap_or_default(),
            d.computer.clone(),
            d.channel.clone(),
            d.event_id.to_string(),
            d.record_id.to_string(),
            d.file.to_string(),
            fields_text(&d.fields, usize::MAX),
        ])?;
    }
    w.flush()
}

/// Writes the detections (sorted by time) and the correlations that fired.
pub fn write(
    out: &mut dyn Write,
    format: Format,
    engine: &Engine,
    dets: &[Detection],
    corr: &[CorrelationMatch],
) -> std::io::Result<()> {
    match format {
        Format::Table => write_table(out, engine, dets, corr),
        Format::Jsonl => write_jsonl(out, engine, dets, corr),
        Format::Csv => write_csv(out, engine, dets),
    }
}

fn top<'a>(items: impl Iterator<Item = &'a str>, n: usize) -> Vec<(usize, &'a str)> {
    let mut m: BTreeMap<&str, usize> = BTreeMap::new();
    items.for_each(|i| *m.entry(i).or_default() += 1);
    let mut v: Vec<(usize, &str)> = m.into_iter().map(|(k, c)| (c, k)).collect();
    v.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    v.truncate(n);
    v
}

/// Prints the summary on standard error.
pub fn summary(engine: &Engine, rules: &RuleCounts, o: &Outcome, corr: &[CorrelationMatch], total: Duration) {
    let secs = o.elapsed.as_secs_f64().max(1e-6);
    eprintln!(
        "files: {} ({} unreadable); records: {} ({} unreadable, {} outside the time range); {:.0} records/s",
        o.files,
        o.unreadable_files,
        o.records,
        o.record_errors,
        o.outside_window,
        o.records as f64 / secs
    );
    eprintln!(
        "rules: {} loaded, {} skipped, {} left out by level/status/tag; {:.2} s in all",
        rules.loaded,
        rules.skipped,
        rules.restricted,
        total.as_secs_f64()
    );
    let mut by_level: BTreeMap<Option<Level>, usize> = BTreeMap::new();
    o.detections
        .iter()
        .for_each(|d| *by_level.entry(engine.rule(d.rule).level).or_default() += 1);
    let levels: Vec<String> = by_level
        .iter()
        .rev()
        .map(|(l, n)| {
            format!(
                "{} {n}",
                l.map_or_else(|| "no level".to_string(), |l| l.to_string())
            )
        })
        .collect();
    eprintln!(
        "detections: {} ({}); correlations: {}",
        o.detections.len(),
        levels.join(", "),
        corr.len()
    );
    for (n, t) in top(o.detections.iter().map(|d| engine.rule(d.rule).title.as_str()), 5) {
        eprintln!("  top rule  {n:>6}  {t}");
    }
    for (n, h) in top(o.detections.iter().map(|d| d.computer.as_str()), 5) {
        eprintln!("  top host  {n:>6}  {h}");
    }
}
