//! Timestamps as the logs write them, into UTC.

use chrono::{DateTime, NaiveDateTime, Utc};

/// Parses the timestamp forms found in Windows and network logs:
/// RFC 3339 (`2019-05-16T13:10:13.7609174Z`, `+02:00`), an offset without colon (`+0200`, Suricata), and a
/// date and time without zone (`2020-10-21 12:19:01.088`, NXLog), which is taken as UTC.
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Some(t.with_timezone(&Utc));
        }
    }
    let naive = text.strip_suffix('Z').unwrap_or(text);
    for format in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(naive, format) {
            return Some(t.and_utc());
        }
    }
    None
}

/// Converts the `evtx` crate's record timestamp to chrono.
pub(crate) fn from_evtx(ts: evtx::Timestamp) -> Option<DateTime<Utc>> {
    let nanos = u32::try_from(ts.subsec_nanosecond()).ok()?;
    DateTime::from_timestamp(ts.as_second(), nanos)
}

#[cfg(test)]
mod tests {
    use super::parse_timestamp;

    #[test]
    fn reads_the_forms_seen_in_the_data() {
        let cases = [
            ("2019-05-16T13:10:13.7609174Z", "2019-05-16T13:10:13.760917400Z"),
            ("2017-05-05T21:49:10.398838+0200", "2017-05-05T19:49:10.398838Z"),
            ("2020-10-21 12:19:01.088", "2020-10-21T12:19:01.088Z"),
            ("2020-09-22T18:53:04.182Z", "2020-09-22T18:53:04.182Z"),
            ("2020-09-22 14:53:01", "2020-09-22T14:53:01Z"),
        ];
        for (text, want) in cases {
            let got = parse_timestamp(text).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
            assert_eq!(got.as_deref(), Some(want), "{text}");
        }
        assert_eq!(parse_timestamp("yesterday"), None);
    }
}
