//! One entry point for a collected line of unknown format: [`parse_line`].
//!
//! | the line starts with | read as |
//! |---|---|
//! | `{` with `event_type` | Suricata EVE JSON |
//! | `{` with `_path`, or `ts` and `uid` | Zeek JSON |
//! | `{` otherwise | a Windows event in a shipper's JSON (see [`json_lines`](crate::windows::json_lines)) |
//! | `<PRI>` | syslog; a message that is `CEF:…`, a JSON object (EVE or a Windows event) or `key=value` pairs is read as such, with the syslog header's time, host and priority where it has none |
//! | `CEF:` | CEF |
//! | `key=` | key=value |

use serde_json::Value;

use super::event::{Event, EventFormat};
use super::received::Received;
use super::{cef, eve, kv, syslog, zeek};
use crate::error::{Error, ParseError};
use crate::windows::json_lines::win_event_from_value;

/// Parses one line of any supported format; `received` places zone-less and year-less times.
pub fn parse_line(line: &str, received: Received) -> Result<Event, ParseError> {
    let trimmed = line.trim_end_matches(['\r', '\n']);
    if trimmed.starts_with('{') {
        return parse_json(trimmed);
    }
    if trimmed.starts_with('<') {
        let event = syslog::parse_syslog(trimmed, received)?;
        let offset = trimmed.len() - event.message.len();
        if event.message.starts_with('{') {
            // A shipper forwarding JSON over syslog (NXLog `to_json()`, Suricata's syslog output).
            let column = offset;
            let inner =
                parse_json(&event.message).map_err(|e| ParseError::new(e.column + column, e.reason))?;
            return Ok(merge(event, inner, trimmed));
        }
        if event.message.starts_with("CEF:") {
            let cef = cef::parse_cef(&event.message, offset, received)?;
            return Ok(merge(event, cef, trimmed));
        }
        if looks_like_kv(&event.message) {
            if let Ok(kv) = kv::parse_kv(&event.message, offset, received) {
                return Ok(merge(event, kv, trimmed));
            }
        }
        return Ok(event);
    }
    if let Some(start) = trimmed.find("CEF:") {
        let mut event = cef::parse_cef(&trimmed[start..], start, received)?;
        event.original = trimmed.to_owned();
        return Ok(event);
    }
    if looks_like_kv(trimmed) {
        return kv::parse_kv(trimmed, 0, received);
    }
    Err(ParseError::whole(
        "not a known format (syslog `<PRI>`, CEF, key=value, EVE JSON or Windows JSON)",
    ))
}

/// Parses every line of `text`, naming `source_name` and the line in each error; blank lines are skipped.
pub fn parse_lines<'a>(
    source_name: &'a str,
    text: &'a str,
    received: Received,
) -> impl Iterator<Item = Result<Event, Error>> + 'a {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(move |(index, line)| {
            parse_line(line, received).map_err(|error| Error::Line {
                source_name: source_name.to_owned(),
                line: index as u64 + 1,
                error,
            })
        })
}

fn parse_json(line: &str) -> Result<Event, ParseError> {
    let value: Value = serde_json::from_str(line)
        .map_err(|e| ParseError::new(e.column().max(1), format!("invalid JSON: {e}")))?;
    if let Some(object) = value.as_object().filter(|o| o.contains_key("event_type")) {
        return eve::eve_from_object(object, line);
    }
    if let Some(object) = value.as_object().filter(|o| zeek::is_zeek_json(o)) {
        return zeek::zeek_from_object(object, line);
    }
    let (mut event, _shape) = win_event_from_value(&value)?;
    event.original = Some(line.to_owned());
    Ok(Event::from(event))
}

/// The first token is `key=…` with a plain key.
fn looks_like_kv(text: &str) -> bool {
    let first = text.split_whitespace().next().unwrap_or_default();
    first.split_once('=').is_some_and(|(key, _)| {
        !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
    })
}

/// The inner record's fields, with the syslog header's time, host and priority where the record has none.
fn merge(header: Event, mut inner: Event, original: &str) -> Event {
    inner.timestamp = inner.timestamp.or(header.timestamp);
    inner.host = inner.host.or(header.host);
    inner.severity = inner.severity.or(header.severity);
    if inner.app.is_none() || inner.format == EventFormat::KeyValue {
        inner.app = inner.app.or(header.app);
    }
    let mut fields = header.fields;
    fields.append(&mut inner.fields);
    inner.fields = fields;
    inner.original = original.to_owned();
    inner
}
