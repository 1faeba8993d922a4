//! The common [`Event`] schema every collected format is normalised to.

use chrono::{DateTime, Utc};

use crate::windows::event::WinEvent;

/// Syslog severities (RFC 5424 §6.2.1), the common scale for every format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Severity {
    /// 0: system is unusable.
    Emergency,
    /// 1: action must be taken immediately.
    Alert,
    /// 2: critical conditions.
    Critical,
    /// 3: error conditions.
    Error,
    /// 4: warning conditions.
    Warning,
    /// 5: normal but significant.
    Notice,
    /// 6: informational.
    Informational,
    /// 7: debug-level.
    Debug,
}

impl Severity {
    const ALL: [Severity; 8] = [
        Severity::Emergency,
        Severity::Alert,
        Severity::Critical,
        Severity::Error,
        Severity::Warning,
        Severity::Notice,
        Severity::Informational,
        Severity::Debug,
    ];

    /// The severity of a syslog code 0–7.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.get(usize::from(code)).copied()
    }

    /// Its syslog code 0–7.
    pub fn code(self) -> u8 {
        // The position in ALL is the code; ALL has eight entries.
        Self::ALL.iter().position(|s| *s == self).map_or(7, |i| i as u8)
    }

    /// From a name as firewalls and syslog tools write it (`warning`, `warn`, `err`, `information`, `crit`…).
    pub fn from_name(name: &str) -> Option<Self> {
        let name = name.trim().to_ascii_lowercase();
        Some(match name.as_str() {
            "emerg" | "emergency" | "panic" => Self::Emergency,
            "alert" => Self::Alert,
            "crit" | "critical" => Self::Critical,
            "err" | "error" => Self::Error,
            "warn" | "warning" => Self::Warning,
            "notice" => Self::Notice,
            "info" | "information" | "informational" => Self::Informational,
            "debug" => Self::Debug,
            _ => return None,
        })
    }

    /// From a CEF severity: 0–10 (0–3 low, 4–6 medium, 7–8 high, 9–10 very high) or those words.
    pub fn from_cef(text: &str) -> Option<Self> {
        let text = text.trim();
        let level = match text.parse::<u8>() {
            Ok(n) if n <= 10 => n,
            Ok(_) => return None,
            Err(_) => match text.to_ascii_lowercase().as_str() {
                "low" => 0,
                "medium" => 4,
                "high" => 7,
                "very-high" | "very high" => 9,
                _ => return None,
            },
        };
        Some(match level {
            0..=3 => Self::Notice,
            4..=6 => Self::Warning,
            7..=8 => Self::Error,
            _ => Self::Critical,
        })
    }

    /// From a Windows event `Level` (1 critical, 2 error, 3 warning, 4 and 0 information, 5 verbose).
    pub fn from_windows_level(level: u8) -> Option<Self> {
        Some(match level {
            1 => Self::Critical,
            2 => Self::Error,
            3 => Self::Warning,
            0 | 4 => Self::Informational,
            5 => Self::Debug,
            _ => return None,
        })
    }
}

/// Which format an [`Event`] was parsed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventFormat {
    /// BSD syslog, RFC 3164.
    Syslog3164,
    /// Syslog, RFC 5424.
    Syslog5424,
    /// ArcSight Common Event Format.
    Cef,
    /// `key=value` lines (firewalls).
    KeyValue,
    /// Suricata EVE JSON.
    SuricataEve,
    /// A Windows event (EVTX or a shipper's JSON).
    Windows,
    /// A Zeek log record (TSV or JSON).
    Zeek,
}

/// One collected event, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// When it happened, when the source says so (UTC).
    pub timestamp: Option<DateTime<Utc>>,
    /// The host that produced it.
    pub host: Option<String>,
    /// The application or device that produced it (syslog APP-NAME or tag, CEF vendor and product, `suricata`).
    pub app: Option<String>,
    /// Its severity on the syslog scale.
    pub severity: Option<Severity>,
    /// The human-readable message.
    pub message: String,
    /// Every other field, flat, under the source's names (nested names joined with `.`).
    pub fields: Vec<(String, String)>,
    /// The format it was parsed from.
    pub format: EventFormat,
    /// The original text, unchanged.
    pub original: String,
}

impl Event {
    /// An event of `format` with only its original text set.
    pub fn new(format: EventFormat, original: impl Into<String>) -> Self {
        Self {
            timestamp: None,
            host: None,
            app: None,
            severity: None,
            message: String::new(),
            fields: Vec::new(),
            format,
            original: original.into(),
        }
    }

    /// The first value of the field `name`.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

impl From<WinEvent> for Event {
    fn from(event: WinEvent) -> Self {
        let severity = event
            .field("Level")
            .and_then(|l| l.parse().ok())
            .and_then(Severity::from_windows_level);
        let message = event.field("Message").map_or_else(
            || format!("{} event {}", event.channel, event.event_id),
            str::to_owned,
        );
        Self {
            timestamp: Some(event.timestamp),
            host: (!event.computer.is_empty()).then_some(event.computer),
            app: (!event.provider.is_empty()).then_some(event.provider),
            severity,
            message,
            fields: event.fields,
            format: EventFormat::Windows,
            original: event.original.unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Event, EventFormat, Severity};
    use crate::windows::event::WinEvent;

    #[test]
    fn a_windows_event_keeps_its_fields_and_takes_its_level_as_severity() {
        let event = WinEvent {
            timestamp: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
            computer: "PC-1".to_owned(),
            channel: "System".to_owned(),
            event_id: 7045,
            record_id: 9,
            provider: "Service Control Manager".to_owned(),
            fields: vec![
                ("Level".to_owned(), "2".to_owned()),
                ("ServiceName".to_owned(), "evil".to_owned()),
            ],
            original: Some("{}".to_owned()),
        };
        let common = Event::from(event);
        assert_eq!(common.format, EventFormat::Windows);
        assert_eq!(
            (common.host.as_deref(), common.app.as_deref()),
            (Some("PC-1"), Some("Service Control Manager"))
        );
        assert_eq!(common.severity, Some(Severity::Error));
        assert_eq!(common.message, "System event 7045");
        assert_eq!(common.field("ServiceName"), Some("evil"));
        assert_eq!(common.original, "{}");
    }

    #[test]
    fn severity_scales() {
        assert_eq!(Severity::from_code(3).map(Severity::code), Some(3));
        assert_eq!(Severity::from_code(8), None);
        assert_eq!(Severity::from_name("WARN"), Some(Severity::Warning));
        assert_eq!(Severity::from_cef("Very-High"), Some(Severity::Critical));
        assert_eq!(Severity::from_cef("11"), None);
        assert_eq!(Severity::from_windows_level(0), Some(Severity::Informational));
    }
}
