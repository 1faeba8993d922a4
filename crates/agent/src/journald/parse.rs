//! One line of `journalctl -o json` output → [`JournalEntry`].
//!
//! Field values are JSON strings; a value that is not valid UTF-8 comes as an array of byte numbers, and a field
//! that occurs several times in one entry as an array of such values (the first is kept).

use serde_json::Value;

/// Longest output line read (one entry).
pub const MAX_LINE_BYTES: u64 = 4 << 20;

/// One journal entry, as much of it as the agent forwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    /// Stable id (set by the follower from the source and the cursor).
    pub id: String,
    /// `__CURSOR`: where the entry is in the journal.
    pub cursor: String,
    /// `__REALTIME_TIMESTAMP`: microseconds since 1970.
    pub realtime_us: Option<i64>,
    /// `MESSAGE`.
    pub message: String,
    /// `PRIORITY` (syslog severity 0–7).
    pub priority: Option<u8>,
    /// `SYSLOG_IDENTIFIER`, else `_COMM`.
    pub identifier: Option<String>,
    /// `_SYSTEMD_UNIT`.
    pub unit: Option<String>,
    /// `_PID`.
    pub pid: Option<u32>,
    /// `_HOSTNAME`.
    pub hostname: Option<String>,
}

/// A field's text: a string, bytes as an array of numbers, or the first of repeated values.
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) if items.iter().all(Value::is_u64) => {
            let bytes: Vec<u8> = items
                .iter()
                .filter_map(Value::as_u64)
                .map(|b| u8::try_from(b).unwrap_or(b'?'))
                .collect();
            Some(String::from_utf8_lossy(&bytes).into_owned())
        }
        Value::Array(items) => items.first().and_then(text),
        _ => None,
    }
}

/// Parses one output line; the reason in words when it is not an entry.
pub fn parse_line(line: &[u8]) -> Result<JournalEntry, String> {
    let v: Value = serde_json::from_slice(line.trim_ascii()).map_err(|e| format!("not JSON: {e}"))?;
    let obj = v.as_object().ok_or("not a JSON object")?;
    let field = |name: &str| obj.get(name).and_then(text);
    let cursor = field("__CURSOR").ok_or("no __CURSOR field")?;
    if cursor.is_empty() {
        return Err("empty __CURSOR".into());
    }
    Ok(JournalEntry {
        id: String::new(),
        cursor,
        realtime_us: field("__REALTIME_TIMESTAMP").and_then(|t| t.parse().ok()),
        message: field("MESSAGE").unwrap_or_default(),
        priority: field("PRIORITY").and_then(|p| p.parse().ok()).filter(|p| *p <= 7),
        identifier: field("SYSLOG_IDENTIFIER").or_else(|| field("_COMM")),
        unit: field("_SYSTEMD_UNIT"),
        pid: field("_PID").and_then(|p| p.parse().ok()),
        hostname: field("_HOSTNAME"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../../tests/fixtures/journal/journalctl-o-json.jsonl");

    #[test]
    fn recorded_output_parses_with_every_field() {
        let entries: Vec<JournalEntry> = FIXTURE
            .lines()
            .map(|l| parse_line(l.as_bytes()).unwrap())
            .collect();
        assert_eq!(entries.len(), 6);
        let ssh = &entries[0];
        assert!(ssh.cursor.starts_with("s=62c8b697d1e64280ae796bcf042cc8f6;i=1;"));
        assert_eq!(ssh.realtime_us, Some(1_764_150_001_234_567));
        assert_eq!(
            ssh.message,
            "Failed password for invalid user admin from 203.0.113.7 port 52144 ssh2"
        );
        assert_eq!(ssh.priority, Some(6));
        assert_eq!(ssh.identifier.as_deref(), Some("sshd"));
        assert_eq!(ssh.unit.as_deref(), Some("ssh.service"));
        assert_eq!(ssh.pid, Some(1234));
        assert_eq!(ssh.hostname.as_deref(), Some("ws-07"));
        // Bytes that are not UTF-8 come as an array of numbers.
        assert_eq!(entries[3].message, "binary \u{fffd} value");
        // A field repeated in one entry: the first value.
        assert_eq!(entries[4].message, "first");
        // Kernel messages have no unit and take _COMM when there is no identifier.
        assert_eq!(entries[5].unit, None);
        assert_eq!(entries[5].identifier.as_deref(), Some("kernel"));
    }

    #[test]
    fn lines_that_are_not_entries_are_named() {
        assert!(parse_line(b"{\"MESSAGE\":\"x\"}")
            .unwrap_err()
            .contains("__CURSOR"));
        assert!(parse_line(b"-- No entries --").unwrap_err().contains("not JSON"));
        assert!(parse_line(b"[1,2]").unwrap_err().contains("object"));
    }
}
