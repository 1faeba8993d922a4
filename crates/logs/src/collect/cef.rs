//! ArcSight Common Event Format: `CEF:Version|Vendor|Product|Version|Signature ID|Name|Severity|Extension`.
//!
//! Header fields become `cef.version`, `cef.vendor`, `cef.product`, `cef.device_version`, `cef.signature_id`,
//! `cef.name`, `cef.severity`; extension keys are kept under their own names (`src`, `dst`, `suser`…). Escapes
//! `\|` and `\\` in the header, `\=`, `\\`, `\n`, `\r` in extension values are undone. Text before `CEF:` (a
//! syslog header) is left to the caller: see [`parse_line`](super::detect::parse_line).

use chrono::{DateTime, NaiveDateTime, Utc};

use super::event::{Event, EventFormat, Severity};
use crate::error::ParseError;

const HEADER: [&str; 7] = [
    "cef.version",
    "cef.vendor",
    "cef.product",
    "cef.device_version",
    "cef.signature_id",
    "cef.name",
    "cef.severity",
];

/// Parses a CEF record starting at `CEF:`. `column_base` is the byte offset of `text` in its line, for errors.
pub fn parse_cef(text: &str, column_base: usize) -> Result<Event, ParseError> {
    if !text.starts_with("CEF:") {
        return Err(ParseError::new(
            column_base + 1,
            "a CEF record starts with `CEF:`",
        ));
    }
    let mut event = Event::new(EventFormat::Cef, text);
    let mut pos = 4;
    for name in HEADER {
        let (value, used) = header_field(&text[pos..]).ok_or_else(|| {
            ParseError::new(
                column_base + pos + 1,
                format!("CEF header ends before `{name}` (7 `|`-separated fields are needed)"),
            )
        })?;
        event.fields.push((name.to_owned(), value));
        pos += used;
    }
    parse_extension(&text[pos..], column_base + pos, &mut event.fields)?;
    let field = |name: &str| {
        event
            .fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    event.severity = field("cef.severity").as_deref().and_then(Severity::from_cef);
    event.message = field("cef.name").unwrap_or_default();
    event.app = match (field("cef.vendor"), field("cef.product")) {
        (Some(vendor), Some(product)) => Some(format!("{vendor} {product}")),
        (vendor, product) => vendor.or(product),
    };
    event.host = field("dvchost").or_else(|| field("dvc"));
    event.timestamp = field("rt").as_deref().and_then(cef_time);
    Ok(event)
}

/// One `|`-terminated header field, unescaped, and the bytes it used (with the `|`).
fn header_field(text: &str) -> Option<(String, usize)> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((i, ch)) = chars.next() {
        match ch {
            '|' => return Some((value, i + 1)),
            '\\' => match chars.next() {
                Some((_, next @ ('|' | '\\'))) => value.push(next),
                Some((_, next)) => {
                    value.push('\\');
                    value.push(next);
                }
                None => value.push('\\'),
            },
            _ => value.push(ch),
        }
    }
    None
}

/// `key=value` pairs where values may hold spaces: a value runs to the space before the next `key=`.
fn parse_extension(text: &str, base: usize, out: &mut Vec<(String, String)>) -> Result<(), ParseError> {
    let bytes = text.as_bytes();
    // Positions of unescaped `=`.
    let mut equals = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'=' => {
                equals.push(i);
                i += 1;
            }
            _ => i += 1,
        }
    }
    let mut key_starts = Vec::with_capacity(equals.len());
    let mut previous_eq = None;
    for &eq in &equals {
        let start = text[..eq].rfind(' ').map_or(0, |s| s + 1);
        let start = previous_eq.map_or(start, |p: usize| start.max(p + 1));
        let key = &text[start..eq];
        let valid = !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-[]".contains(&b));
        if !valid {
            if previous_eq.is_none() {
                return Err(ParseError::new(
                    base + start + 1,
                    format!("extension key {key:?} is not a CEF key"),
                ));
            }
            // An `=` inside a value (unescaped, as some devices write it): part of the previous value.
            continue;
        }
        key_starts.push((start, eq));
        previous_eq = Some(eq);
    }
    if key_starts.is_empty() && !text.trim().is_empty() {
        return Err(ParseError::new(base + 1, "extension has text but no `key=value`"));
    }
    for (n, &(start, eq)) in key_starts.iter().enumerate() {
        let end = key_starts.get(n + 1).map_or(text.len(), |&(next, _)| next);
        let value = text[eq + 1..end].trim_end_matches(' ');
        out.push((text[start..eq].to_owned(), unescape_value(value)));
    }
    Ok(())
}

fn unescape_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(ch) = chars.next() {
        if ch != '\\' {
            out.push(ch);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other @ ('=' | '\\' | '|')) => out.push(other),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// CEF `rt`: milliseconds since the epoch, or `MMM dd yyyy HH:mm:ss`.
fn cef_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(millis) = text.parse::<i64>() {
        return DateTime::from_timestamp_millis(millis);
    }
    ["%b %d %Y %H:%M:%S%.f", "%b %d %Y %H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .map(|t| t.and_utc())
        .or_else(|| crate::time::parse_timestamp(text))
}

#[cfg(test)]
mod tests {
    use super::parse_cef;
    use crate::collect::event::Severity;

    #[test]
    fn header_and_extension_with_spaces_and_escapes() {
        let text = r"CEF:0|Security|threatmanager|1.0|100|worm successfully stopped|10|src=10.0.0.1 dst=2.1.2.2 spt=1232 msg=Detected a threat. No action needed path=C:\\Windows act=a\=b rt=1700000000000";
        let event = parse_cef(text, 0).unwrap();
        assert_eq!(event.field("cef.vendor"), Some("Security"));
        assert_eq!(event.field("cef.name"), Some("worm successfully stopped"));
        assert_eq!(event.field("msg"), Some("Detected a threat. No action needed"));
        assert_eq!(event.field("path"), Some(r"C:\Windows"));
        assert_eq!(event.field("act"), Some("a=b"));
        assert_eq!(event.severity, Some(Severity::Critical));
        assert_eq!(event.app.as_deref(), Some("Security threatmanager"));
        assert_eq!(event.timestamp.map(|t| t.timestamp()), Some(1_700_000_000));
    }

    #[test]
    fn escaped_pipe_in_header() {
        let event = parse_cef(r"CEF:0|Ven\|dor|P|1|sig|name with \\ slash|Low|", 0).unwrap();
        assert_eq!(event.field("cef.vendor"), Some("Ven|dor"));
        assert_eq!(event.field("cef.name"), Some(r"name with \ slash"));
        assert_eq!(event.severity, Some(Severity::Notice));
    }

    #[test]
    fn short_header_names_the_missing_field() {
        let error = parse_cef("CEF:0|Vendor|Product", 10).unwrap_err();
        assert!(error.reason.contains("`cef.product`"), "{error}");
        // `Product` starts at byte 13 of the record, which starts at byte 10 of its line.
        assert_eq!(error.column, 24);
    }
}
