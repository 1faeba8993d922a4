//! The event contract: what the engine needs from a log record, and implementations for JSON events.
//!
//! Any record type can be matched by implementing [`Event`]; a flat list of `(name, value)` pairs (what the log
//! crate produces) needs only a field lookup and a walk over the pairs. Two JSON shapes come built in:
//!
//! - the `evtx` crate's shape, `{"Event":{"System":{..},"EventData":{..}}}` (also `UserData`), and
//! - the flat shape of shippers, `{"Channel":..,"EventID":..,"Image":..}`.
//!
//! Both are served by the impl for [`serde_json::Value`], which looks at the top level to tell them apart.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::fmt::Write as _;

/// One field's value as the engine sees it. Numbers stay numbers so that `lt`/`gt` need no parsing; string
/// comparisons format them into a stack buffer.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum FieldValue<'a> {
    /// Text.
    Str(&'a str),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    UInt(u64),
    /// A floating-point number.
    Float(f64),
    /// A boolean (compared as `true` / `false`).
    Bool(bool),
    /// An explicit null (matched by Sigma's `null`).
    Null,
}

impl FieldValue<'_> {
    /// Calls `f` with the value as text (numbers formatted without allocating); `None` for null.
    pub fn with_str<R>(&self, f: impl FnOnce(&str) -> R) -> Option<R> {
        let mut buf = StackStr { buf: [0; 40], len: 0 };
        let s = match *self {
            FieldValue::Str(s) => s,
            FieldValue::Int(n) => buf.fmt(format_args!("{n}")),
            FieldValue::UInt(n) => buf.fmt(format_args!("{n}")),
            FieldValue::Float(n) => buf.fmt(format_args!("{n}")),
            FieldValue::Bool(b) => {
                if b {
                    "true"
                } else {
                    "false"
                }
            }
            FieldValue::Null => return None,
        };
        Some(f(s))
    }

    /// The value as a number, when it is one or is text holding one (decimal, or hexadecimal with `0x`).
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            FieldValue::Int(n) => Some(n as f64),
            FieldValue::UInt(n) => Some(n as f64),
            FieldValue::Float(n) => Some(n),
            FieldValue::Str(s) => {
                let s = s.trim();
                match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                    Some(hex) => u64::from_str_radix(hex, 16).ok().map(|n| n as f64),
                    None => s.parse().ok(),
                }
            }
            FieldValue::Bool(_) | FieldValue::Null => None,
        }
    }
}

/// A small fixed buffer for formatting numbers without allocating.
struct StackStr {
    buf: [u8; 40],
    len: usize,
}

impl std::fmt::Write for StackStr {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl StackStr {
    fn fmt(&mut self, args: std::fmt::Arguments<'_>) -> &str {
        self.len = 0;
        if self.write_fmt(args).is_err() {
            self.len = 0;
        }
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

/// What the engine reads from a log record.
///
/// Field names are Sigma's (after the log-source mapping renamed them, e.g. `NewProcessName` for Security 4688).
/// Implementations should answer [`Event::field`] case-sensitively by name, as Windows does.
pub trait Event {
    /// The value of a named field, `None` when the record has no such field.
    fn field(&self, name: &str) -> Option<FieldValue<'_>>;

    /// Visits every field of the record with its name and value (system fields too). The engine's literal
    /// prefilter and Sigma keyword searches read the record through this walk, so every value that
    /// [`Event::field`] can return must be visited here.
    fn for_each_field(&self, f: &mut dyn FnMut(&str, FieldValue<'_>));

    /// Visits every value of a field that a record holds more than once (unnamed `<Data>` items, lists); a
    /// detection item holds when one of the values satisfies it. The default visits [`Event::field`].
    fn field_values(&self, name: &str, f: &mut dyn FnMut(FieldValue<'_>)) {
        if let Some(v) = self.field(name) {
            f(v);
        }
    }

    /// The log channel (`Security`, `Microsoft-Windows-Sysmon/Operational`, …), used to dispatch rules.
    fn channel(&self) -> Option<&str>;

    /// The Windows event id, used to dispatch rules.
    fn event_id(&self) -> Option<u32>;

    /// When the event happened; correlation rules need it.
    fn timestamp(&self) -> Option<DateTime<Utc>>;
}

/// A flat list of `(name, value)` pairs with its system fields: the easiest way to feed the engine, and the shape
/// the log crate's records map onto directly.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FlatEvent {
    /// `System.Channel`.
    pub channel: Option<String>,
    /// `System.EventID`.
    pub event_id: Option<u32>,
    /// `System.TimeCreated`.
    pub timestamp: Option<DateTime<Utc>>,
    /// Every other field (EventData, and system fields such as `Computer` or `Provider_Name` if wanted).
    pub fields: Vec<(String, String)>,
}

/// A [`FlatEvent`] borrowed from data kept elsewhere (a stored row and its field pairs): nothing is copied.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlatRef<'a> {
    /// `System.Channel`.
    pub channel: Option<&'a str>,
    /// `System.EventID`.
    pub event_id: Option<u32>,
    /// `System.TimeCreated`.
    pub timestamp: Option<DateTime<Utc>>,
    /// Every other field.
    pub fields: &'a [(String, String)],
}

impl<'a> FlatRef<'a> {
    fn value(self, name: &str) -> Option<FieldValue<'a>> {
        if let Some((_, v)) = self.fields.iter().find(|(k, _)| k == name) {
            return Some(FieldValue::Str(v));
        }
        match name {
            "Channel" => self.channel.map(FieldValue::Str),
            "EventID" => self.event_id.map(|n| FieldValue::UInt(n.into())),
            _ => None,
        }
    }

    fn walk(self, f: &mut dyn FnMut(&str, FieldValue<'_>)) {
        if let Some(c) = self.channel {
            f("Channel", FieldValue::Str(c));
        }
        if let Some(id) = self.event_id {
            f("EventID", FieldValue::UInt(id.into()));
        }
        for (k, v) in self.fields {
            f(k, FieldValue::Str(v));
        }
    }
}

impl Event for FlatRef<'_> {
    fn field(&self, name: &str) -> Option<FieldValue<'_>> {
        self.value(name)
    }

    fn for_each_field(&self, f: &mut dyn FnMut(&str, FieldValue<'_>)) {
        self.walk(f);
    }

    fn channel(&self) -> Option<&str> {
        self.channel
    }

    fn event_id(&self) -> Option<u32> {
        self.event_id
    }

    fn timestamp(&self) -> Option<DateTime<Utc>> {
        self.timestamp
    }
}

impl FlatEvent {
    /// The same record, borrowed.
    pub fn borrowed(&self) -> FlatRef<'_> {
        FlatRef {
            channel: self.channel.as_deref(),
            event_id: self.event_id,
            timestamp: self.timestamp,
            fields: &self.fields,
        }
    }
}

impl Event for FlatEvent {
    fn field(&self, name: &str) -> Option<FieldValue<'_>> {
        self.borrowed().value(name)
    }

    fn for_each_field(&self, f: &mut dyn FnMut(&str, FieldValue<'_>)) {
        self.borrowed().walk(f);
    }

    fn channel(&self) -> Option<&str> {
        self.channel.as_deref()
    }

    fn event_id(&self) -> Option<u32> {
        self.event_id
    }

    fn timestamp(&self) -> Option<DateTime<Utc>> {
        self.timestamp
    }
}

fn scalar(v: &Value) -> Option<FieldValue<'_>> {
    Some(match v {
        Value::String(s) => FieldValue::Str(s),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => FieldValue::UInt(u),
            (None, Some(i)) => FieldValue::Int(i),
            _ => FieldValue::Float(n.as_f64()?),
        },
        Value::Bool(b) => FieldValue::Bool(*b),
        Value::Null => FieldValue::Null,
        // `{"#text": ..}` is how evtx renders an element with attributes and text.
        Value::Object(o) => return o.get("#text").and_then(scalar),
        // A repeated element: its first value here; `field_values` visits them all.
        Value::Array(items) => return items.iter().find_map(scalar),
    })
}

/// The parts of an evtx-shaped event: `System`, and the data maps (`EventData`, `UserData` children).
#[derive(Debug, Clone, Copy)]
struct EvtxParts<'a> {
    system: Option<&'a Map<String, Value>>,
    data: [Option<&'a Map<String, Value>>; 2],
}

fn evtx_parts(v: &Value) -> Option<EvtxParts<'_>> {
    let ev = v.get("Event")?.as_object()?;
    let system = ev.get("System").and_then(Value::as_object);
    let event_data = ev.get("EventData").and_then(Value::as_object);
    // UserData holds one element named after its schema (e.g. `LogFileCleared`) whose children are the fields.
    let user_data = ev
        .get("UserData")
        .and_then(Value::as_object)
        .and_then(|u| u.iter().find(|(k, _)| !k.starts_with('#')))
        .and_then(|(_, v)| v.as_object());
    Some(EvtxParts {
        system,
        data: [event_data, user_data],
    })
}

/// System fields under their Sigma names, as evtx renders them.
fn system_field<'a>(sys: &'a Map<String, Value>, name: &str) -> Option<FieldValue<'a>> {
    let attr = |elem: &str, a: &str| sys.get(elem)?.get("#attributes")?.get(a).and_then(scalar);
    match name {
        "Provider_Name" => attr("Provider", "Name"),
        "Provider_Guid" => attr("Provider", "Guid"),
        "Security_UserID" | "UserID" => attr("Security", "UserID"),
        "TimeCreated" | "SystemTime" => attr("TimeCreated", "SystemTime"),
        "ProcessID" if !sys.contains_key("ProcessID") => attr("Execution", "ProcessID"),
        "ThreadID" => attr("Execution", "ThreadID"),
        _ => sys.get(name).and_then(scalar),
    }
}

/// A data field by name; Sigma writes names without the spaces some providers put in them (Windows Defender's
/// `Source Name` is `SourceName` in rules), so a name not found as is matches a key that differs only by spaces.
fn data_field<'a>(m: &'a Map<String, Value>, name: &str) -> Option<FieldValue<'a>> {
    if let Some(v) = m.get(name) {
        return scalar(v);
    }
    m.iter()
        .find(|(k, _)| k.contains(' ') && k.bytes().filter(|b| *b != b' ').eq(name.bytes()))
        .and_then(|(_, v)| scalar(v))
}

fn visit_map(m: &Map<String, Value>, f: &mut dyn FnMut(&str, FieldValue<'_>)) {
    for (k, v) in m {
        if k.starts_with('#') {
            continue;
        }
        match v {
            Value::Array(items) => items.iter().filter_map(scalar).for_each(|x| f(k, x)),
            Value::Object(o) => match o.get("#text") {
                Some(Value::Array(items)) => items.iter().filter_map(scalar).for_each(|x| f(k, x)),
                Some(t) => {
                    if let Some(x) = scalar(t) {
                        f(k, x);
                    }
                }
                None => visit_map(o, f),
            },
            _ => {
                if let Some(x) = scalar(v) {
                    f(k, x);
                }
            }
        }
    }
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    // `2024-01-02 03:04:05.678` (Sysmon's UtcTime and many shippers).
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .map(|n| n.and_utc())
}

/// A JSON event with its `System` and data maps located once, so that the many field lookups of a scan do not
/// walk from the root each time. `impl Event for serde_json::Value` does the same work per call; wrap values in
/// this when matching many rules.
#[derive(Debug, Clone, Copy)]
pub struct JsonEvent<'a> {
    root: &'a Value,
    evtx: Option<EvtxParts<'a>>,
}

impl<'a> JsonEvent<'a> {
    /// Wraps an event in the evtx shape or the flat shape.
    pub fn new(root: &'a Value) -> JsonEvent<'a> {
        JsonEvent {
            root,
            evtx: evtx_parts(root),
        }
    }

    fn get(&self, name: &str) -> Option<FieldValue<'a>> {
        match &self.evtx {
            Some(p) => p
                .data
                .iter()
                .flatten()
                .find_map(|m| data_field(m, name))
                .or_else(|| p.system.and_then(|s| system_field(s, name))),
            None => self.root.get(name).and_then(scalar),
        }
    }

    fn values(&self, name: &str, f: &mut dyn FnMut(FieldValue<'_>)) {
        let raw = match &self.evtx {
            Some(p) => p.data.iter().flatten().find_map(|m| m.get(name)),
            None => self.root.get(name),
        };
        let items = match raw {
            Some(Value::Array(items)) => items,
            Some(Value::Object(o)) => match o.get("#text") {
                Some(Value::Array(items)) => items,
                _ => return self.get(name).into_iter().for_each(&mut *f),
            },
            _ => return self.get(name).into_iter().for_each(&mut *f),
        };
        items.iter().filter_map(scalar).for_each(f);
    }

    fn visit(&self, f: &mut dyn FnMut(&str, FieldValue<'_>)) {
        match &self.evtx {
            Some(p) => {
                if let Some(sys) = p.system {
                    for (k, v) in sys {
                        if let Some(x) = scalar(v) {
                            f(k, x);
                        }
                    }
                    for name in ["Provider_Name", "Security_UserID"] {
                        if let Some(x) = system_field(sys, name) {
                            f(name, x);
                        }
                    }
                }
                p.data.iter().flatten().for_each(|m| visit_map(m, f));
            }
            None => {
                if let Some(m) = self.root.as_object() {
                    visit_map(m, f);
                }
            }
        }
    }

    fn channel_str(&self) -> Option<&'a str> {
        match self.get("Channel")? {
            FieldValue::Str(s) => Some(s),
            _ => None,
        }
    }

    fn id(&self) -> Option<u32> {
        let v = self.get("EventID")?;
        v.as_f64()
            .filter(|n| *n >= 0.0 && *n <= f64::from(u32::MAX))
            .map(|n| n as u32)
    }

    fn time(&self) -> Option<DateTime<Utc>> {
        [
            "TimeCreated",
            "@timestamp",
            "TimeGenerated",
            "EventTime",
            "UtcTime",
        ]
        .iter()
        .find_map(|name| match self.get(name) {
            Some(FieldValue::Str(s)) => parse_time(s),
            _ => None,
        })
    }
}

impl Event for JsonEvent<'_> {
    fn field(&self, name: &str) -> Option<FieldValue<'_>> {
        self.get(name)
    }

    fn field_values(&self, name: &str, f: &mut dyn FnMut(FieldValue<'_>)) {
        self.values(name, f);
    }

    fn for_each_field(&self, f: &mut dyn FnMut(&str, FieldValue<'_>)) {
        self.visit(f);
    }

    fn channel(&self) -> Option<&str> {
        self.channel_str()
    }

    fn event_id(&self) -> Option<u32> {
        self.id()
    }

    fn timestamp(&self) -> Option<DateTime<Utc>> {
        self.time()
    }
}

impl Event for Value {
    fn field(&self, name: &str) -> Option<FieldValue<'_>> {
        JsonEvent::new(self).get(name)
    }

    fn field_values(&self, name: &str, f: &mut dyn FnMut(FieldValue<'_>)) {
        JsonEvent::new(self).values(name, f);
    }

    fn for_each_field(&self, f: &mut dyn FnMut(&str, FieldValue<'_>)) {
        JsonEvent::new(self).visit(f);
    }

    fn channel(&self) -> Option<&str> {
        JsonEvent::new(self).channel_str()
    }

    fn event_id(&self) -> Option<u32> {
        JsonEvent::new(self).id()
    }

    fn timestamp(&self) -> Option<DateTime<Utc>> {
        JsonEvent::new(self).time()
    }
}

/// Makes a short string for diagnostics from a field value.
pub(crate) fn display_value(v: FieldValue<'_>) -> String {
    let mut s = String::new();
    match v {
        FieldValue::Null => s.push_str("null"),
        _ => {
            v.with_str(|t| {
                let _ = write!(s, "{t}");
            });
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn evtx_shape() {
        let v = json!({"Event": {"System": {"Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}},
            "EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "Computer": "pc1",
            "TimeCreated": {"#attributes": {"SystemTime": "2025-11-27T07:40:10.165324Z"}}},
            "EventData": {"Image": "C:\\x.exe", "ProcessId": 42}}});
        assert_eq!(v.channel(), Some("Microsoft-Windows-Sysmon/Operational"));
        assert_eq!(v.event_id(), Some(1));
        assert_eq!(v.field("Image"), Some(FieldValue::Str("C:\\x.exe")));
        assert_eq!(
            v.field("Provider_Name"),
            Some(FieldValue::Str("Microsoft-Windows-Sysmon"))
        );
        assert_eq!(v.field("Computer"), Some(FieldValue::Str("pc1")));
        let d = json!({"Event": {"EventData": {"Data": {"#text": ["one", "xp_cmdshell"]}}}});
        let mut seen = Vec::new();
        d.field_values("Data", &mut |v| seen.push(display_value(v)));
        assert_eq!(seen, vec!["one", "xp_cmdshell"]);
        let d = json!({"Event": {"EventData": {"Source Name": "Real-Time Protection"}}});
        assert_eq!(
            d.field("SourceName"),
            Some(FieldValue::Str("Real-Time Protection"))
        );
        assert!(v.timestamp().is_some());
        let mut names = Vec::new();
        v.for_each_field(&mut |k, _| names.push(k.to_string()));
        assert!(names.contains(&"Image".to_string()) && names.contains(&"Provider_Name".to_string()));
    }

    #[test]
    fn flat_shape() {
        let v = json!({"Channel": "Security", "EventID": "4688", "NewProcessName": "a", "@timestamp": "2024-01-01T00:00:00Z"});
        assert_eq!(v.event_id(), Some(4688));
        assert_eq!(v.channel(), Some("Security"));
        assert!(v.timestamp().is_some());
    }

    #[test]
    fn numbers_as_text() {
        assert_eq!(FieldValue::Int(-5).with_str(str::to_string), Some("-5".into()));
        assert_eq!(FieldValue::Str("0x10").as_f64(), Some(16.0));
    }
}
