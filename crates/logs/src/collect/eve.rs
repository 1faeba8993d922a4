//! Suricata EVE JSON (`eve.json`): one JSON object per line with `timestamp`, `event_type` and a section per type
//! (`alert`, `flow`, `dns`, `tls`, `http`, `fileinfo`, `stats`…).
//!
//! Fields are flattened with `.`-joined names (`alert.signature`, `flow.bytes_toserver`; list items repeat the
//! name). Severity: an alert's `alert.severity` 1 (high) is [`Severity::Error`], 2 [`Severity::Warning`], 3 and
//! beyond [`Severity::Notice`]; other records are [`Severity::Informational`]. The message is the alert's
//! signature, or the event type and the flow's addresses.

use serde_json::{Map, Value};

use super::event::{Event, EventFormat, Severity};
use crate::error::ParseError;
use crate::time::parse_timestamp;

/// Parses one EVE JSON line.
pub fn parse_eve(line: &str) -> Result<Event, ParseError> {
    let value: Value = serde_json::from_str(line)
        .map_err(|e| ParseError::new(e.column().max(1), format!("invalid JSON: {e}")))?;
    let Value::Object(object) = value else {
        return Err(ParseError::whole("an EVE record is a JSON object"));
    };
    eve_from_object(&object, line)
}

/// Builds the event from an already-parsed EVE object; `original` is its text.
pub fn eve_from_object(object: &Map<String, Value>, original: &str) -> Result<Event, ParseError> {
    let event_type = object
        .get("event_type")
        .and_then(Value::as_str)
        .ok_or_else(|| ParseError::whole("no `event_type`: not a Suricata EVE record"))?;
    let timestamp = object
        .get("timestamp")
        .and_then(Value::as_str)
        .ok_or_else(|| ParseError::whole("no `timestamp`"))?;
    let mut event = Event::new(EventFormat::SuricataEve, original);
    event.timestamp = Some(
        parse_timestamp(timestamp)
            .ok_or_else(|| ParseError::whole(format!("`timestamp` {timestamp:?} is not a time")))?,
    );
    flatten("", object, &mut event.fields);
    event.app = Some("suricata".to_owned());
    event.host = ["host", "sensor_name"]
        .iter()
        .find_map(|k| object.get(*k).and_then(Value::as_str))
        .map(str::to_owned);
    let alert = object.get("alert");
    event.severity = Some(
        match alert.and_then(|a| a.get("severity")).and_then(Value::as_u64) {
            Some(1) => Severity::Error,
            Some(2) => Severity::Warning,
            Some(_) => Severity::Notice,
            None => Severity::Informational,
        },
    );
    event.message = match alert.and_then(|a| a.get("signature")).and_then(Value::as_str) {
        Some(signature) => signature.to_owned(),
        None => {
            let endpoint = |ip: &str, port: &str| {
                let ip = event.field(ip).unwrap_or("?");
                event
                    .field(port)
                    .map_or_else(|| ip.to_owned(), |port| format!("{ip}:{port}"))
            };
            match event.field("src_ip") {
                Some(_) => format!(
                    "{event_type} {} -> {} {}",
                    endpoint("src_ip", "src_port"),
                    endpoint("dest_ip", "dest_port"),
                    event.field("proto").unwrap_or_default()
                )
                .trim_end()
                .to_owned(),
                None => event_type.to_owned(),
            }
        }
    };
    Ok(event)
}

pub(crate) fn flatten(prefix: &str, object: &Map<String, Value>, out: &mut Vec<(String, String)>) {
    for (key, value) in object {
        let name = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        push(&name, value, out);
    }
}

fn push(name: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Null => {}
        Value::Object(children) => flatten(name, children, out),
        Value::Array(items) => items.iter().for_each(|item| push(name, item, out)),
        Value::String(text) => out.push((name.to_owned(), text.clone())),
        other => out.push((name.to_owned(), other.to_string())),
    }
}
