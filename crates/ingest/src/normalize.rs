//! One received line → the common schema the event store keeps: time, host, format, Windows channel and event id,
//! message, flat fields, and the original text unchanged.

use canhgac_logs::{parse_line, parse_win_json_line, Event, EventFormat, ParseError, Received, WinEvent};
use canhgac_model::{Millis, UnitId};
use canhgac_store::NewEvent;

/// The longest line kept whole; a longer one is refused with a parse error (counted, never silently cut).
pub const MAX_LINE: usize = 256 * 1024;

/// A line read into the common schema, before it is attributed to a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    pub ts: Option<Millis>,
    pub host: String,
    pub format: &'static str,
    pub channel: String,
    pub event_id: Option<i64>,
    pub message: String,
    pub fields: Vec<(String, String)>,
    pub original: String,
}

impl Normalized {
    /// The row to store for `unit` and `source`, received at `received_at`, and the fields as pairs (what
    /// detection reads). A Windows JSON event's fields are not stored beside its original: the store reads them
    /// from it (see `canhgac_store::NewEvent::fields`).
    pub fn into_new_event(
        self,
        unit: UnitId,
        source_id: i64,
        ext_id: Option<String>,
        received_at: Millis,
    ) -> (NewEvent, Vec<(String, String)>) {
        let event = NewEvent {
            unit_id: unit,
            source_id,
            ext_id,
            received_at,
            ts: self.ts.unwrap_or(received_at),
            host: self.host,
            format: self.format.to_string(),
            channel: self.channel,
            event_id: self.event_id,
            message: self.message,
            fields: if self.format == "windows" {
                String::new()
            } else {
                serde_json::to_string(&self.fields).unwrap_or_else(|_| "[]".into())
            },
            original: self.original,
        };
        (event, self.fields)
    }
}

fn format_name(f: EventFormat) -> &'static str {
    match f {
        EventFormat::Syslog3164 => "syslog3164",
        EventFormat::Syslog5424 => "syslog5424",
        EventFormat::Cef => "cef",
        EventFormat::KeyValue => "kv",
        EventFormat::SuricataEve => "eve",
        EventFormat::Windows => "windows",
        EventFormat::Zeek => "zeek",
        _ => "other",
    }
}

fn from_win(e: WinEvent, line: &str) -> Normalized {
    let message = e
        .field("Message")
        .map_or_else(|| format!("{} {}", e.channel, e.event_id), str::to_owned);
    Normalized {
        ts: Some(e.timestamp.timestamp_millis()),
        host: e.computer,
        format: "windows",
        channel: e.channel,
        event_id: Some(i64::from(e.event_id)),
        message,
        fields: e.fields,
        original: line.to_owned(),
    }
}

fn from_event(e: Event) -> Normalized {
    // A Windows event forwarded inside syslog keeps its channel and id among the fields.
    let channel = e.field("Channel").unwrap_or_default().to_owned();
    let event_id = e.field("EventID").and_then(|v| v.trim().parse().ok());
    Normalized {
        ts: e.timestamp.map(|t| t.timestamp_millis()),
        host: e.host.unwrap_or_default(),
        format: format_name(e.format),
        channel,
        event_id,
        message: e.message,
        fields: e.fields,
        original: e.original,
    }
}

/// The event of a Zeek TSV row (the reader keeps the file's header).
pub fn from_zeek(event: Event) -> Normalized {
    from_event(event)
}

/// Reads one line of any supported format (Windows JSON of the common shippers, Suricata EVE, syslog 3164/5424
/// with CEF, JSON or key=value inside, bare CEF or key=value).
pub fn normalize(line: &str, received: Received) -> Result<Normalized, ParseError> {
    if line.len() > MAX_LINE {
        return Err(ParseError::whole(format!(
            "line of {} bytes is longer than the limit of {MAX_LINE}",
            line.len()
        )));
    }
    let trimmed = line.trim_end_matches(['\r', '\n']);
    if trimmed.starts_with('{') && !trimmed.contains("\"event_type\"") && !trimmed.contains("\"uid\"") {
        if let Ok((e, _)) = parse_win_json_line(trimmed) {
            return Ok(from_win(e, trimmed));
        }
    }
    parse_line(trimmed, received).map(from_event)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_json_keeps_channel_id_and_host() {
        let line = r#"{"EventID":4688,"Channel":"Security","Hostname":"WS5","TimeCreated":"2020-10-21 12:19:04.411","NewProcessName":"C:\\Windows\\System32\\netsh.exe"}"#;
        let n = normalize(line, Received::now()).unwrap();
        assert_eq!(
            (n.format, n.channel.as_str(), n.event_id, n.host.as_str()),
            ("windows", "Security", Some(4688), "WS5")
        );
        assert!(n
            .fields
            .iter()
            .any(|(k, v)| k == "NewProcessName" && v.ends_with("netsh.exe")));
        assert_eq!(n.original, line);
    }

    #[test]
    fn syslog_cef_and_garbage() {
        let n = normalize(
            "<86>Feb 28 10:00:01 web1 sshd[811]: Failed password for root",
            Received::now(),
        )
        .unwrap();
        assert_eq!((n.format, n.host.as_str()), ("syslog3164", "web1"));
        let n = normalize(
            "CEF:0|Fortinet|FortiGate|7.0|1|blocked|5|src=10.0.0.5 dst=45.9.148.3",
            Received::now(),
        )
        .unwrap();
        assert_eq!(n.format, "cef");
        assert!(n.fields.iter().any(|(k, v)| k == "dst" && v == "45.9.148.3"));
        assert!(normalize("just some words", Received::now()).is_err());
        assert!(normalize(&"x".repeat(MAX_LINE + 1), Received::now()).is_err());
    }
}
