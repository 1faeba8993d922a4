//! [`WinEvent`]: one Windows event with its headline fields and every field flat, under Sigma's names.

use chrono::{DateTime, Utc};

/// One Windows event.
///
/// `fields` holds every System field and every EventData/UserData value as `(name, value)` pairs, in the order of
/// the event. Names follow Sigma and the Windows event schema:
///
/// - System: `EventID`, `Version`, `Level`, `Task`, `Opcode`, `Keywords`, `TimeCreated` (its `SystemTime`),
///   `EventRecordID`, `Channel`, `Computer`, and attributes as `<Element>_<Attribute>`: `Provider_Name`,
///   `Provider_Guid`, `Provider_EventSourceName`, `Execution_ProcessID`, `Execution_ThreadID`, `Security_UserID`,
///   `Correlation_ActivityID`, `EventID_Qualifiers`;
/// - EventData: each `<Data Name="X">` as `X`; unnamed `<Data>` values each as `Data` and also as `Data[1]`,
///   `Data[2]`… (1-based, in order), so a rule can test any of them or one position;
/// - UserData (and other event payloads): nested elements flattened to their leaf names;
/// - a name may repeat when the source repeats it (a list value gives one pair per item).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WinEvent {
    /// When the event was written (UTC).
    pub timestamp: DateTime<Utc>,
    /// The computer that wrote it (`Computer`; for shippers, the host name they report).
    pub computer: String,
    /// The event log channel, e.g. `Security` or `Microsoft-Windows-Sysmon/Operational`.
    pub channel: String,
    /// The event id (`EventID`, without qualifiers).
    pub event_id: u32,
    /// The record number in its log (`EventRecordID`); 0 when the source does not carry one.
    pub record_id: u64,
    /// The provider (`Provider_Name`, or the shipper's source name).
    pub provider: String,
    /// Every field, flat (see the type's documentation).
    pub fields: Vec<(String, String)>,
    /// The original JSON text of the event, when it was kept (EVTX records rendered as JSON by the `evtx` crate,
    /// or the JSON line as received).
    pub original: Option<String>,
}

impl WinEvent {
    /// The first value of the field `name` (names compare exactly).
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of the field `name`, in order.
    pub fn field_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The original JSON parsed into a value, when it was kept.
    pub fn original_json(&self) -> Option<Result<serde_json::Value, serde_json::Error>> {
        self.original.as_deref().map(serde_json::from_str)
    }
}
