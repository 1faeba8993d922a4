//! `key=value` lines as firewalls write them (FortiGate, Palo Alto's syslog KV, Sophos, pfSense filterlog in KV
//! mode…): `date=2024-01-02 time=10:11:12 devname="FG-HQ" srcip=10.0.0.5 action="deny" msg="a \"quoted\" text"`.
//!
//! Values are bare (up to the next space) or quoted with `"` or `'` (backslash escapes the quote and itself).
//! The event's time comes from `date` + `time` (with `tz` when present), or `eventtime`/`timestamp`
//! (epoch seconds, milliseconds, microseconds or nanoseconds, or RFC 3339); its host from `devname`, `hostname`,
//! `host` or `dvc`; its severity from `level`, `severity` or `pri`; its message from `msg` or `message`.

use chrono::{DateTime, NaiveDateTime, Utc};

use super::event::{Event, EventFormat, Severity};
use crate::error::ParseError;

/// Splits `text` into `(key, value)` pairs. `column_base` is the byte offset of `text` in its line, for errors.
pub fn parse_pairs(text: &str, column_base: usize) -> Result<Vec<(String, String)>, ParseError> {
    let bytes = text.as_bytes();
    let mut pairs = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        if bytes[pos].is_ascii_whitespace() || bytes[pos] == b',' {
            pos += 1;
            continue;
        }
        let key_len = text[pos..]
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(text.len() - pos);
        let key = &text[pos..pos + key_len];
        if bytes.get(pos + key_len) != Some(&b'=') {
            return Err(ParseError::new(
                column_base + pos + 1,
                format!("{key:?} is not `key=value`"),
            ));
        }
        if key.is_empty() {
            return Err(ParseError::new(column_base + pos + 1, "`=` without a key"));
        }
        pos += key_len + 1;
        let (value, used) = match bytes.get(pos) {
            Some(&quote @ (b'"' | b'\'')) => quoted(&text[pos + 1..], quote).ok_or_else(|| {
                ParseError::new(
                    column_base + pos + 1,
                    format!("value of {key:?} opens a quote that is not closed"),
                )
            })?,
            _ => {
                let len = text[pos..].find(char::is_whitespace).unwrap_or(text.len() - pos);
                (text[pos..pos + len].to_owned(), len)
            }
        };
        pairs.push((key.to_owned(), value));
        pos += used;
    }
    Ok(pairs)
}

/// The unescaped value inside quotes (text starts after the opening quote) and the bytes used with both quotes.
fn quoted(text: &str, quote: u8) -> Option<(String, usize)> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((i, ch)) = chars.next() {
        if ch as u32 == u32::from(quote) {
            return Some((value, i + 2));
        }
        if ch == '\\' {
            match chars.next() {
                Some((_, next)) if next as u32 == u32::from(quote) || next == '\\' => value.push(next),
                Some((_, next)) => {
                    value.push('\\');
                    value.push(next);
                }
                None => value.push('\\'),
            }
        } else {
            value.push(ch);
        }
    }
    None
}

/// Parses a key=value line into an event.
pub fn parse_kv(text: &str, column_base: usize) -> Result<Event, ParseError> {
    let pairs = parse_pairs(text, column_base)?;
    if pairs.is_empty() {
        return Err(ParseError::new(column_base + 1, "no `key=value` pairs"));
    }
    let mut event = Event::new(EventFormat::KeyValue, text);
    event.fields = pairs;
    let field = |name: &str| event.field(name).map(str::to_owned);
    let host = ["devname", "hostname", "host", "dvc"]
        .iter()
        .find_map(|k| field(k));
    let severity = ["level", "severity", "pri"]
        .iter()
        .find_map(|k| field(k).as_deref().and_then(Severity::from_name));
    let message = field("msg").or_else(|| field("message")).unwrap_or_default();
    let app = field("devtype").or_else(|| field("product"));
    event.timestamp = kv_time(&event);
    (event.host, event.severity, event.message, event.app) = (host, severity, message, app);
    Ok(event)
}

fn kv_time(event: &Event) -> Option<DateTime<Utc>> {
    if let (Some(date), Some(time)) = (event.field("date"), event.field("time")) {
        let text = format!("{date} {time}{}", event.field("tz").unwrap_or_default());
        for format in ["%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d %H:%M:%S%#z"] {
            if let Ok(t) = DateTime::parse_from_str(&text, format) {
                return Some(t.with_timezone(&Utc));
            }
        }
        if let Ok(t) = NaiveDateTime::parse_from_str(&format!("{date} {time}"), "%Y-%m-%d %H:%M:%S") {
            return Some(t.and_utc());
        }
    }
    let text = event.field("eventtime").or_else(|| event.field("timestamp"))?;
    match text.parse::<i64>() {
        Ok(n) if n > 100_000_000_000_000_000 => Some(DateTime::from_timestamp_nanos(n)),
        Ok(n) if n > 100_000_000_000_000 => DateTime::from_timestamp_micros(n),
        Ok(n) if n > 100_000_000_000 => DateTime::from_timestamp_millis(n),
        Ok(n) => DateTime::from_timestamp(n, 0),
        Err(_) => crate::time::parse_timestamp(text),
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_kv, parse_pairs};
    use crate::collect::event::Severity;

    #[test]
    fn fortigate_line() {
        let line = r#"date=2024-01-02 time=10:11:12 devname="FG-HQ" devid="FG100" logid="0000000013" type="traffic" level="notice" srcip=10.0.0.5 dstip=203.0.113.9 action="deny" msg="blocked \"bad\" host" tz="+0700""#;
        let event = parse_kv(line, 0).unwrap();
        assert_eq!(event.host.as_deref(), Some("FG-HQ"));
        assert_eq!(event.field("dstip"), Some("203.0.113.9"));
        assert_eq!(event.message, r#"blocked "bad" host"#);
        assert_eq!(event.severity, Some(Severity::Notice));
        assert_eq!(
            event.timestamp.map(|t| t.to_rfc3339()),
            Some("2024-01-02T03:11:12+00:00".to_owned())
        );
    }

    #[test]
    fn single_quotes_empty_values_and_epoch_nanoseconds() {
        let pairs = parse_pairs("a='x y' b= c=3", 0).unwrap();
        assert_eq!(
            pairs,
            [
                ("a".into(), "x y".into()),
                ("b".into(), String::new()),
                ("c".into(), "3".into())
            ]
        );
        let event = parse_kv("eventtime=1704164672000000000 srcip=1.2.3.4", 0).unwrap();
        assert_eq!(event.timestamp.map(|t| t.timestamp()), Some(1_704_164_672));
    }

    #[test]
    fn errors_name_the_column() {
        let error = parse_pairs(r#"a=1 b="open"#, 5).unwrap_err();
        assert_eq!(error.column, 5 + 7);
        assert!(error.reason.contains("not closed"), "{error}");
        let error = parse_pairs("a=1 junk c=2", 0).unwrap_err();
        assert_eq!(
            (error.column, error.reason.as_str()),
            (5, r#""junk" is not `key=value`"#)
        );
    }
}
