//! Syslog messages: RFC 5424 (with structured data) and BSD syslog, RFC 3164.
//!
//! [`parse_syslog`] recognises RFC 5424 by the version `1` after the priority; anything else is read as
//! RFC 3164. Fields: `syslog.facility`, `syslog.severity`, `syslog.procid`, `syslog.msgid`, and each
//! structured-data parameter as `<SD-ID>.<name>` (e.g. `exampleSDID@32473.iut`). RFC 3164 timestamps carry no
//! year and no zone: the year is the one that puts the time closest before `received` (at most a day ahead, for
//! clock skew) and the zone is UTC.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Utc};

use super::event::{Event, EventFormat, Severity};
use crate::error::ParseError;

/// A syslog priority: facility and severity.
fn parse_pri(line: &str) -> Result<Option<(u8, u8, usize)>, ParseError> {
    let Some(rest) = line.strip_prefix('<') else {
        return Ok(None);
    };
    let end = rest
        .find('>')
        .ok_or_else(|| ParseError::new(1, "priority `<` is not closed by `>`"))?;
    let digits = &rest[..end];
    let pri: u8 = match digits.parse() {
        Ok(pri) if (1..=3).contains(&digits.len()) && pri <= 191 => pri,
        _ => {
            return Err(ParseError::new(
                2,
                format!("priority {digits:?} is not a number from 0 to 191"),
            ))
        }
    };
    Ok(Some((pri / 8, pri % 8, end + 2)))
}

/// Parses one syslog message (a line or a frame's text). `received` dates RFC 3164 timestamps.
pub fn parse_syslog(line: &str, received: DateTime<Utc>) -> Result<Event, ParseError> {
    let line = line.trim_end_matches(['\r', '\n', '\0']);
    let pri = parse_pri(line)?;
    let start = pri.map_or(0, |(_, _, len)| len);
    let rest = &line[start..];
    let mut event = if let Some(after_version) = rest.strip_prefix("1 ") {
        parse_5424(line, after_version, start + 2)?
    } else {
        parse_3164(line, rest, start, received)?
    };
    if let Some((facility, severity, _)) = pri {
        event.severity = Severity::from_code(severity);
        event
            .fields
            .insert(0, ("syslog.facility".to_owned(), facility.to_string()));
        event
            .fields
            .insert(1, ("syslog.severity".to_owned(), severity.to_string()));
    }
    Ok(event)
}

/// A cursor over a header: space-separated tokens, with the column of each.
struct Header<'a> {
    text: &'a str,
    /// Byte offset of `text` in the line.
    base: usize,
    pos: usize,
}

impl<'a> Header<'a> {
    fn column(&self) -> usize {
        self.base + self.pos + 1
    }

    fn token(&mut self, what: &str) -> Result<(&'a str, usize), ParseError> {
        let column = self.column();
        let rest = &self.text[self.pos..];
        if rest.is_empty() {
            return Err(ParseError::new(
                column,
                format!("the message ends before its {what}"),
            ));
        }
        let len = rest.find(' ').unwrap_or(rest.len());
        self.pos += (len + 1).min(rest.len());
        Ok((&rest[..len], column))
    }

    fn rest(&self) -> &'a str {
        self.text.get(self.pos..).unwrap_or_default()
    }
}

fn nil(value: &str) -> Option<String> {
    (value != "-").then(|| value.to_owned())
}

fn parse_5424(line: &str, text: &str, base: usize) -> Result<Event, ParseError> {
    let mut header = Header { text, base, pos: 0 };
    let mut event = Event::new(EventFormat::Syslog5424, line);
    let (timestamp, column) = header.token("TIMESTAMP")?;
    if timestamp != "-" {
        let parsed = DateTime::parse_from_rfc3339(timestamp)
            .map_err(|e| ParseError::new(column, format!("TIMESTAMP {timestamp:?} is not RFC 3339: {e}")))?;
        event.timestamp = Some(parsed.with_timezone(&Utc));
    }
    event.host = nil(header.token("HOSTNAME")?.0);
    event.app = nil(header.token("APP-NAME")?.0);
    if let Some(procid) = nil(header.token("PROCID")?.0) {
        event.fields.push(("syslog.procid".to_owned(), procid));
    }
    if let Some(msgid) = nil(header.token("MSGID")?.0) {
        event.fields.push(("syslog.msgid".to_owned(), msgid));
    }
    let column = header.column();
    let rest = header.rest();
    let message = if let Some(after) = rest.strip_prefix('-') {
        after
    } else if rest.starts_with('[') {
        let used = parse_structured_data(rest, column, &mut event.fields)?;
        &rest[used..]
    } else {
        return Err(ParseError::new(
            column,
            "STRUCTURED-DATA must be `-` or start with `[`",
        ));
    };
    let message = message.strip_prefix(' ').unwrap_or(message);
    event.message = message.strip_prefix('\u{feff}').unwrap_or(message).to_owned();
    Ok(event)
}

/// Reads `[id name="value" …][…]` from the start of `text`; returns the bytes used.
fn parse_structured_data(
    text: &str,
    column: usize,
    out: &mut Vec<(String, String)>,
) -> Result<usize, ParseError> {
    let bytes = text.as_bytes();
    let mut pos = 0;
    while bytes.get(pos) == Some(&b'[') {
        pos += 1;
        let id_len = text[pos..]
            .find([' ', ']'])
            .ok_or_else(|| ParseError::new(column + pos, "SD-ELEMENT is not closed by `]`"))?;
        let id = &text[pos..pos + id_len];
        if id.is_empty() {
            return Err(ParseError::new(column + pos, "SD-ID is empty"));
        }
        pos += id_len;
        loop {
            match bytes.get(pos) {
                Some(b']') => {
                    pos += 1;
                    break;
                }
                Some(b' ') => pos += 1,
                None => {
                    return Err(ParseError::new(
                        column + pos,
                        format!("SD-ELEMENT [{id} is not closed by `]`"),
                    ))
                }
                Some(_) => {
                    let eq = text[pos..]
                        .find('=')
                        .ok_or_else(|| ParseError::new(column + pos, "SD-PARAM has no `=`"))?;
                    let name = &text[pos..pos + eq];
                    pos += eq + 1;
                    if bytes.get(pos) != Some(&b'"') {
                        return Err(ParseError::new(
                            column + pos,
                            format!("value of SD-PARAM {name:?} must be quoted"),
                        ));
                    }
                    pos += 1;
                    let mut value = String::new();
                    loop {
                        match bytes.get(pos) {
                            None => {
                                return Err(ParseError::new(
                                    column + pos,
                                    format!("value of {name:?} is not closed by `\"`"),
                                ))
                            }
                            Some(b'"') => {
                                pos += 1;
                                break;
                            }
                            Some(b'\\') if matches!(bytes.get(pos + 1), Some(b'"' | b'\\' | b']')) => {
                                value.push(char::from(bytes[pos + 1]));
                                pos += 2;
                            }
                            Some(_) => {
                                let ch = text[pos..].chars().next().unwrap_or_default();
                                value.push(ch);
                                pos += ch.len_utf8();
                            }
                        }
                    }
                    out.push((format!("{id}.{name}"), value));
                }
            }
        }
    }
    Ok(pos)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn parse_3164(line: &str, text: &str, base: usize, received: DateTime<Utc>) -> Result<Event, ParseError> {
    let mut event = Event::new(EventFormat::Syslog3164, line);
    let mut rest = text;
    if let Some((timestamp, used)) = parse_3164_timestamp(text, base, received)? {
        event.timestamp = Some(timestamp);
        rest = text[used..].trim_start_matches(' ');
        // HOSTNAME, unless the next token is already the tag (`su:`, `sshd[42]:`).
        if let Some(space) = rest.find(' ') {
            let token = &rest[..space];
            if !token.ends_with(':') && !token.contains('[') {
                event.host = Some(token.to_owned());
                rest = &rest[space + 1..];
            }
        }
    }
    // TAG: up to `[`, `:` or a space; `TAG[PID]:`.
    let tag_end = rest.find([':', '[', ' ']).unwrap_or(0);
    let tag = &rest[..tag_end];
    if !tag.is_empty() && tag.len() <= 48 {
        let mut after = &rest[tag_end..];
        if let Some(pid_part) = after.strip_prefix('[') {
            if let Some(close) = pid_part.find(']') {
                event
                    .fields
                    .push(("syslog.procid".to_owned(), pid_part[..close].to_owned()));
                after = &pid_part[close + 1..];
            }
        }
        if let Some(message) = after.strip_prefix(':') {
            event.app = Some(tag.to_owned());
            rest = message.strip_prefix(' ').unwrap_or(message);
        }
    }
    event.message = rest.to_owned();
    Ok(event)
}

/// `Mmm dd hh:mm:ss` (day space-padded) or an RFC 3339 time (rsyslog's high-precision format). A text that does
/// not start with a month name or a digit has no timestamp (RFC 3164 §4.3.3: the whole text is the message).
fn parse_3164_timestamp(
    text: &str,
    base: usize,
    received: DateTime<Utc>,
) -> Result<Option<(DateTime<Utc>, usize)>, ParseError> {
    if text.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        let end = text.find(' ').unwrap_or(text.len());
        return match DateTime::parse_from_rfc3339(&text[..end]) {
            Ok(t) => Ok(Some((t.with_timezone(&Utc), end))),
            Err(_) => Ok(None),
        };
    }
    let Some(month) = MONTHS.iter().position(|m| text.starts_with(m)) else {
        return Ok(None);
    };
    let column = base + 1;
    let stamp = text
        .get(..15)
        .ok_or_else(|| ParseError::new(column, "timestamp `Mmm dd hh:mm:ss` is cut short"))?;
    let day: u32 = stamp[4..6]
        .trim_start()
        .parse()
        .map_err(|_| ParseError::new(column + 4, format!("day {:?} is not a number", &stamp[4..6])))?;
    let time = NaiveTime::parse_from_str(&stamp[7..15], "%H:%M:%S")
        .map_err(|e| ParseError::new(column + 7, format!("time {:?}: {e}", &stamp[7..15])))?;
    if !(1..=31).contains(&day) {
        return Err(ParseError::new(
            column + 4,
            format!("day {day} is not a day of a month"),
        ));
    }
    let month = month as u32 + 1;
    let limit = received + chrono::Duration::days(1);
    let mut year = received.year();
    loop {
        let date = NaiveDate::from_ymd_opt(year, month, day)
            .ok_or_else(|| ParseError::new(column, format!("{stamp:?} is not a date in {year}")));
        match date {
            Ok(date) => {
                let at = NaiveDateTime::new(date, time).and_utc();
                if at <= limit || year < received.year() - 1 {
                    return Ok(Some((at, 15)));
                }
            }
            // 29 February in a year that does not have it: try the year before.
            Err(error) if year < received.year() - 4 => return Err(error),
            Err(_) => {}
        }
        year -= 1;
    }
}

#[cfg(test)]
mod tests;
