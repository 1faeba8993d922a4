//! JSON lines of Windows events as event shippers write them, into [`WinEvent`], with the shape detected per line.
//!
//! | shape | recognised by | example |
//! |---|---|---|
//! | [`WinJsonShape::EvtxDump`] | an `Event` object with `System` | `evtx_dump -o jsonl`, the `evtx` crate |
//! | [`WinJsonShape::Winlogbeat`] | a `winlog` object (7.x/8.x), or top-level `event_data`/`log_name` (6.x) | Winlogbeat, Elastic Agent |
//! | [`WinJsonShape::Flat`] | a top-level `EventID` | NXLog `im_msvistalog`, the OTRF Security Datasets |
//!
//! Field names are brought to the names of [`WinEvent`]: NXLog's `Hostname` becomes `Computer`, `SourceName`
//! `Provider_Name`, `RecordNumber` `EventRecordID`; Winlogbeat's `winlog.event_data` keys are kept as they are.
//! Timestamps: a zoned `TimeCreated` first, then `@timestamp`, then a zone-less `TimeCreated`/`EventTime`, read as
//! UTC (NXLog writes the host's local time without a zone; the OTRF sets carry `@timestamp` where it matters).

use std::io::BufRead;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

use super::event::WinEvent;
use super::evtx_file::{event_from_json, text};
use crate::error::{Error, ParseError, Result};
use crate::time::parse_timestamp;

/// Which shipper's layout a JSON line has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WinJsonShape {
    /// `{"Event": {"System": …, "EventData": …}}`.
    EvtxDump,
    /// Winlogbeat / Elastic (`winlog.*`, or 6.x top-level `event_data`).
    Winlogbeat,
    /// One flat object with `EventID`, `Channel`, `Hostname`… (NXLog, OTRF).
    Flat,
}

/// The shape of a parsed JSON line, if it is a Windows event at all.
pub fn detect_shape(value: &Value) -> Option<WinJsonShape> {
    let object = value.as_object()?;
    if object.get("Event").and_then(|e| e.get("System")).is_some() {
        Some(WinJsonShape::EvtxDump)
    } else if object.get("winlog").is_some_and(Value::is_object)
        || object.contains_key("event_data")
        || (object.contains_key("log_name") && object.contains_key("event_id"))
    {
        Some(WinJsonShape::Winlogbeat)
    } else if object.contains_key("EventID") {
        Some(WinJsonShape::Flat)
    } else {
        None
    }
}

/// Parses one JSON line into an event, keeping the line as [`WinEvent::original`].
pub fn parse_win_json_line(line: &str) -> Result<(WinEvent, WinJsonShape), ParseError> {
    let value: Value = serde_json::from_str(line)
        .map_err(|e| ParseError::new(e.column().max(1), format!("invalid JSON: {e}")))?;
    let (mut event, shape) = win_event_from_value(&value)?;
    event.original = Some(line.to_owned());
    Ok((event, shape))
}

/// Builds an event from a parsed JSON document of any known shape.
pub fn win_event_from_value(value: &Value) -> Result<(WinEvent, WinJsonShape), ParseError> {
    let shape = detect_shape(value).ok_or_else(|| {
        ParseError::whole("not a Windows event: no `Event.System`, `winlog`, `event_data` or `EventID`")
    })?;
    let event = match (shape, value.as_object()) {
        (WinJsonShape::EvtxDump, _) => event_from_json(value).map_err(ParseError::whole)?,
        (WinJsonShape::Winlogbeat, Some(object)) => from_winlogbeat(object)?,
        (WinJsonShape::Flat, Some(object)) => from_flat(object)?,
        (_, None) => return Err(ParseError::whole("not a JSON object")),
    };
    Ok((event, shape))
}

/// Reads JSON lines from `reader`, one event or error per non-blank line; errors name `source_name` and the line.
pub fn read_win_json_lines<R: BufRead>(
    source_name: impl Into<String>,
    reader: R,
) -> impl Iterator<Item = Result<WinEvent>> {
    let source_name = source_name.into();
    let mut number = 0u64;
    reader.lines().filter_map(move |line| {
        number += 1;
        let line = match line {
            Ok(line) => line,
            Err(source) => {
                return Some(Err(Error::Io {
                    source_name: format!("{source_name}: line {number}"),
                    source,
                }))
            }
        };
        let trimmed = line.trim();
        if trimmed.is_empty() {
            return None;
        }
        Some(
            parse_win_json_line(trimmed)
                .map(|(event, _)| event)
                .map_err(|error| Error::Line {
                    source_name: source_name.clone(),
                    line: number,
                    error,
                }),
        )
    })
}

/// Reads a stream of JSON documents — one per line, or pretty-printed one after another as `evtx_dump -o json`
/// writes them, or arrays of events — and yields an event or an error per document. Errors name `source_name` and
/// the line and column of invalid JSON, which ends the stream (where the next document starts cannot be known); a
/// valid document that is not a Windows event is an [`Error::Document`] naming where it ends, and reading goes on.
pub fn read_win_json_documents<R: std::io::Read>(
    source_name: impl Into<String>,
    reader: R,
) -> impl Iterator<Item = Result<WinEvent>> {
    let source_name = source_name.into();
    let mut documents = serde_json::Deserializer::from_reader(reader).into_iter::<Value>();
    let mut pending: std::vec::IntoIter<Result<WinEvent>> = Vec::new().into_iter();
    let mut done = false;
    std::iter::from_fn(move || loop {
        if let Some(item) = pending.next() {
            return Some(item);
        }
        if done {
            return None;
        }
        let next = documents.next()?;
        let end = documents.byte_offset() as u64;
        let located = |error: ParseError| Error::Document {
            source_name: source_name.clone(),
            end,
            error,
        };
        match next {
            Err(error) => {
                done = true;
                let (line, column) = (error.line() as u64, error.column().max(1));
                let error = ParseError::new(column, format!("invalid JSON: {error}"));
                return Some(Err(Error::Line {
                    source_name: source_name.clone(),
                    line,
                    error,
                }));
            }
            Ok(Value::Array(items)) => {
                pending = items
                    .iter()
                    .map(|item| document(item).map_err(located))
                    .collect::<Vec<_>>()
                    .into_iter();
            }
            Ok(value) => return Some(document(&value).map_err(located)),
        }
    })
}

/// One parsed document as an event, with its JSON text as the original.
fn document(value: &Value) -> Result<WinEvent, ParseError> {
    let (mut event, _) = win_event_from_value(value)?;
    event.original = Some(value.to_string());
    Ok(event)
}

fn get<'a>(object: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut value = object.get(parts.next()?)?;
    for part in parts {
        value = value.get(part)?;
    }
    (!value.is_null()).then_some(value)
}

fn event_id(value: Option<&Value>, place: &str) -> Result<u32, ParseError> {
    let value = value.ok_or_else(|| ParseError::whole(format!("no `{place}`")))?;
    match value {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| ParseError::whole(format!("`{place}` is not an event id: {value}")))
}

fn number(value: Option<&Value>) -> u64 {
    match value {
        Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(0),
        _ => 0,
    }
}

fn timestamp(candidates: &[Option<&Value>]) -> Result<DateTime<Utc>, ParseError> {
    candidates
        .iter()
        .flatten()
        .find_map(|v| v.as_str().and_then(parse_timestamp))
        .ok_or_else(|| {
            ParseError::whole("no readable timestamp (`TimeCreated`, `@timestamp` or `EventTime`)")
        })
}

fn push(fields: &mut Vec<(String, String)>, name: &str, value: Option<&Value>) {
    match value {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => items.iter().for_each(|item| push(fields, name, Some(item))),
        Some(Value::Object(children)) => {
            for (child, value) in children {
                push(fields, child, Some(value));
            }
        }
        Some(scalar) => fields.push((name.to_owned(), text(scalar))),
    }
}

fn string(value: Option<&Value>) -> String {
    value.map(text).unwrap_or_default()
}

fn from_winlogbeat(object: &Map<String, Value>) -> Result<WinEvent, ParseError> {
    // 7.x/8.x keep everything under `winlog`; 6.x had the same names at the top.
    let w = |name: &str| get(object, &format!("winlog.{name}")).or_else(|| get(object, name));
    let event_id = event_id(
        w("event_id").or_else(|| get(object, "event.code")),
        "winlog.event_id",
    )?;
    let timestamp = timestamp(&[get(object, "@timestamp"), w("time_created")])?;
    let computer = w("computer_name")
        .or_else(|| get(object, "host.name"))
        .or_else(|| get(object, "host.hostname"));
    let channel = w("channel").or_else(|| w("log_name"));
    let provider = w("provider_name").or_else(|| w("source_name"));
    let record_id = w("record_id").or_else(|| w("record_number"));
    let mut fields = Vec::with_capacity(32);
    fields.push(("EventID".to_owned(), event_id.to_string()));
    push(&mut fields, "Channel", channel);
    push(&mut fields, "Computer", computer);
    push(&mut fields, "Provider_Name", provider);
    push(&mut fields, "Provider_Guid", w("provider_guid"));
    push(&mut fields, "EventRecordID", record_id);
    fields.push((
        "TimeCreated".to_owned(),
        timestamp.to_rfc3339_opts(SecondsFormat::AutoSi, true),
    ));
    push(&mut fields, "Version", w("version"));
    push(&mut fields, "Task", w("task"));
    push(&mut fields, "Opcode", w("opcode"));
    push(&mut fields, "Keywords", w("keywords"));
    push(
        &mut fields,
        "Level",
        get(object, "log.level").or_else(|| get(object, "level")),
    );
    push(&mut fields, "Execution_ProcessID", w("process.pid"));
    push(&mut fields, "Execution_ThreadID", w("process.thread.id"));
    push(&mut fields, "Security_UserID", w("user.identifier"));
    push(&mut fields, "EventData", w("event_data"));
    push(&mut fields, "UserData", w("user_data"));
    Ok(WinEvent {
        timestamp,
        computer: string(computer),
        channel: string(channel),
        event_id,
        record_id: number(record_id),
        provider: string(provider),
        fields,
        original: None,
    })
}

/// NXLog's names for System fields, and the names [`WinEvent`] uses.
const FLAT_RENAMES: [(&str, &str); 6] = [
    ("Hostname", "Computer"),
    ("SourceName", "Provider_Name"),
    ("ProviderGuid", "Provider_Guid"),
    ("RecordNumber", "EventRecordID"),
    ("ExecutionProcessID", "Execution_ProcessID"),
    ("UserID", "Security_UserID"),
];

fn from_flat(object: &Map<String, Value>) -> Result<WinEvent, ParseError> {
    let event_id = event_id(object.get("EventID"), "EventID")?;
    let created = object.get("TimeCreated");
    let zoned_created = created.filter(|v| v.as_str().is_some_and(has_zone));
    let timestamp = timestamp(&[
        zoned_created,
        object.get("@timestamp"),
        created,
        object.get("EventTime"),
    ])?;
    let mut fields = Vec::with_capacity(object.len() + 1);
    for (name, value) in object {
        let name = FLAT_RENAMES
            .iter()
            .find(|(from, _)| from == name)
            .map_or(name.as_str(), |(_, to)| to);
        push(&mut fields, name, Some(value));
    }
    if created.is_none() {
        fields.push((
            "TimeCreated".to_owned(),
            timestamp.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        ));
    }
    let computer = object
        .get("Hostname")
        .or_else(|| object.get("Computer"))
        .or_else(|| object.get("host"));
    Ok(WinEvent {
        timestamp,
        computer: string(computer.filter(|v| v.is_string())),
        channel: string(object.get("Channel")),
        event_id,
        record_id: number(object.get("RecordNumber").or_else(|| object.get("EventRecordID"))),
        provider: string(object.get("SourceName").or_else(|| object.get("ProviderName"))),
        fields,
        original: None,
    })
}

/// Whether a timestamp text says its zone (`Z` or an offset after the time).
fn has_zone(text: &str) -> bool {
    let time = text.get(10..).unwrap_or_default();
    time.ends_with('Z') || time.contains('+') || time.rfind('-').is_some()
}
