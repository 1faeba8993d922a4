//! Zeek logs: the TSV files Zeek writes by default (`conn.log`, `dns.log`, `http.log`… with `#separator`,
//! `#fields` header lines) and Zeek's JSON output (one object per line with `ts` and `uid` or `_path`).
//!
//! A TSV file is read line by line with [`ZeekTsv`], which keeps the header's state; every row becomes an event with
//! Zeek's own field names (`id.orig_h`, `id.resp_h`, `query`…), unset (`-`) fields left out. The time is `ts`
//! (seconds since the epoch); the message names the log and the connection.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::event::{Event, EventFormat, Severity};
use crate::error::ParseError;
use crate::time::parse_timestamp;

/// Reads a Zeek TSV log line by line.
#[derive(Debug, Clone)]
pub struct ZeekTsv {
    separator: String,
    unset: String,
    empty: String,
    path: String,
    fields: Vec<String>,
}

impl Default for ZeekTsv {
    fn default() -> Self {
        Self {
            separator: "\t".into(),
            unset: "-".into(),
            empty: "(empty)".into(),
            path: String::new(),
            fields: Vec::new(),
        }
    }
}

/// `\x09` → a tab (Zeek writes the separator escaped).
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("\\x") {
        out.push_str(&rest[..i]);
        let hex = rest.get(i + 2..i + 4).unwrap_or("");
        match u8::from_str_radix(hex, 16) {
            Ok(b) if hex.len() == 2 => {
                out.push(char::from(b));
                rest = &rest[i + 4..];
            }
            _ => {
                out.push_str("\\x");
                rest = &rest[i + 2..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn epoch(text: &str) -> Option<DateTime<Utc>> {
    let secs: f64 = text.trim().parse().ok()?;
    if !secs.is_finite() {
        return None;
    }
    DateTime::from_timestamp_millis((secs * 1000.0).round() as i64)
}

/// The one-line summary of a Zeek record.
fn message(path: &str, fields: &[(String, String)]) -> String {
    let get = |n: &str| {
        fields
            .iter()
            .find(|(k, _)| k == n)
            .map_or("?", |(_, v)| v.as_str())
    };
    let mut m = format!(
        "zeek {} {}:{} -> {}:{}",
        if path.is_empty() { "log" } else { path },
        get("id.orig_h"),
        get("id.orig_p"),
        get("id.resp_h"),
        get("id.resp_p")
    );
    for extra in ["proto", "service", "query", "host", "uri"] {
        if let Some((_, v)) = fields.iter().find(|(k, _)| k == extra) {
            m.push(' ');
            m.push_str(v);
        }
    }
    m
}

impl ZeekTsv {
    /// A reader that has not seen a header yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether `text` starts like a Zeek TSV log.
    pub fn looks_like(text: &str) -> bool {
        text.starts_with("#separator")
    }

    /// One line: a header line updates the reader and gives `None`; a row gives its event.
    pub fn line(&mut self, line: &str) -> Option<Result<Event, ParseError>> {
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            return None;
        }
        if let Some(header) = line.strip_prefix('#') {
            if let Some(sep) = header.strip_prefix("separator ") {
                self.separator = unescape(sep.trim());
                return None;
            }
            let mut parts = header.splitn(2, self.separator.as_str());
            let (key, value) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            match key {
                "fields" => self.fields = value.split(self.separator.as_str()).map(str::to_owned).collect(),
                "unset_field" => self.unset = value.to_owned(),
                "empty_field" => self.empty = value.to_owned(),
                "path" => self.path = value.to_owned(),
                _ => {}
            }
            return None;
        }
        Some(self.row(line))
    }

    fn row(&self, line: &str) -> Result<Event, ParseError> {
        if self.fields.is_empty() {
            return Err(ParseError::whole("a Zeek row before the `#fields` header"));
        }
        let values: Vec<&str> = line.split(self.separator.as_str()).collect();
        if values.len() != self.fields.len() {
            return Err(ParseError::whole(format!(
                "{} values where the `#fields` header names {}",
                values.len(),
                self.fields.len()
            )));
        }
        let mut event = Event::new(EventFormat::Zeek, line);
        for (name, value) in self.fields.iter().zip(values) {
            if value == self.unset {
                continue;
            }
            let value = if value == self.empty { "" } else { value };
            if name == "ts" {
                event.timestamp = Some(
                    epoch(value).ok_or_else(|| ParseError::whole(format!("`ts` {value:?} is not a time")))?,
                );
            }
            event.fields.push((name.clone(), value.to_owned()));
        }
        event.app = Some(format!("zeek/{}", self.path));
        event.severity = Some(Severity::Informational);
        event.message = message(&self.path, &event.fields);
        Ok(event)
    }
}

/// Whether a JSON object is a Zeek record (`ts` with `uid`, or `_path`).
pub fn is_zeek_json(object: &Map<String, Value>) -> bool {
    object.contains_key("_path") || (object.contains_key("ts") && object.contains_key("uid"))
}

/// Builds the event of a Zeek JSON record; nested objects (`"id": {"orig_h": …}`) are flattened with `.`.
pub fn zeek_from_object(object: &Map<String, Value>, original: &str) -> Result<Event, ParseError> {
    let mut event = Event::new(EventFormat::Zeek, original);
    if let Some(ts) = object.get("ts") {
        let t = match ts {
            Value::Number(n) => n.as_f64().and_then(|s| epoch(&s.to_string())),
            Value::String(s) => parse_timestamp(s).or_else(|| epoch(s)),
            _ => None,
        };
        event.timestamp = Some(t.ok_or_else(|| ParseError::whole(format!("`ts` {ts} is not a time")))?);
    }
    super::eve::flatten("", object, &mut event.fields);
    let path = object.get("_path").and_then(Value::as_str).unwrap_or("");
    event.app = Some(format!("zeek/{path}"));
    event.severity = Some(Severity::Informational);
    event.message = message(path, &event.fields);
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONN: &str =
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n\
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\n\
#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\n\
1541117137.618695\tCYtJYz4gNk3t5ZEt2\t172.16.9.233\t49159\t172.16.9.5\t88\ttcp\t-\n";

    #[test]
    fn reads_a_conn_log_with_its_header() {
        let mut r = ZeekTsv::new();
        let events: Vec<Event> = CONN
            .lines()
            .filter_map(|l| r.line(l))
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(events.len(), 1);
        let e = &events[0];
        assert_eq!(e.field("id.resp_h"), Some("172.16.9.5"));
        assert_eq!(e.field("service"), None, "unset fields are left out");
        assert_eq!(e.timestamp.map(|t| t.timestamp_millis()), Some(1_541_117_137_619));
        assert_eq!(e.message, "zeek conn 172.16.9.233:49159 -> 172.16.9.5:88 tcp");
        assert_eq!(e.app.as_deref(), Some("zeek/conn"));
    }

    #[test]
    fn refuses_rows_without_header_or_with_wrong_width() {
        let mut r = ZeekTsv::new();
        assert!(r.line("1\t2\t3").unwrap().is_err());
        r.line("#fields\tts\tuid");
        let err = r.line("1541117137.6\tX\textra").unwrap().unwrap_err();
        assert!(err.to_string().contains("3 values"), "{err}");
        assert!(r.line("not-a-time\tX").unwrap().is_err());
    }

    #[test]
    fn reads_zeek_json() {
        let line = r#"{"_path":"dns","ts":1541117137.5,"uid":"C1","id":{"orig_h":"10.0.0.2","resp_h":"8.8.8.8"},"query":"evil.example","answers":["1.2.3.4"]}"#;
        let Value::Object(o) = serde_json::from_str::<Value>(line).unwrap() else {
            panic!()
        };
        assert!(is_zeek_json(&o));
        let e = zeek_from_object(&o, line).unwrap();
        assert_eq!(e.field("id.resp_h"), Some("8.8.8.8"));
        assert_eq!(e.field("answers"), Some("1.2.3.4"));
        assert_eq!(e.field("query"), Some("evil.example"));
    }
}
