use chrono::{TimeZone, Utc};

use super::parse_syslog;
use crate::collect::event::{EventFormat, Severity};

fn received() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 3, 0, 0, 0).single().unwrap()
}

#[test]
fn rfc5424_with_structured_data_and_bom() {
    let line = "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"][examplePriority@32473 class=\"high \\\"x\\\" \\]\"] \u{feff}An application event log entry...";
    let event = parse_syslog(line, received()).unwrap();
    assert_eq!(event.format, EventFormat::Syslog5424);
    assert_eq!(event.severity, Some(Severity::Notice));
    assert_eq!(event.field("syslog.facility"), Some("20"));
    assert_eq!(event.host.as_deref(), Some("mymachine.example.com"));
    assert_eq!(event.app.as_deref(), Some("evntslog"));
    assert_eq!(event.field("syslog.msgid"), Some("ID47"));
    assert_eq!(event.field("syslog.procid"), None);
    assert_eq!(event.field("exampleSDID@32473.eventID"), Some("1011"));
    assert_eq!(event.field("examplePriority@32473.class"), Some("high \"x\" ]"));
    assert_eq!(event.message, "An application event log entry...");
    assert_eq!(
        event.timestamp.map(|t| t.timestamp_millis()),
        Some(1_065_910_455_003)
    );
}

#[test]
fn rfc5424_nil_values() {
    let event = parse_syslog("<34>1 - - - - - -", received()).unwrap();
    assert_eq!((event.timestamp, event.host, event.app), (None, None, None));
    assert_eq!(event.message, "");
}

#[test]
fn rfc3164_with_host_tag_and_pid() {
    let event = parse_syslog(
        "<38>Jan  2 22:14:15 mymachine sshd[4242]: Accepted password for root",
        received(),
    )
    .unwrap();
    assert_eq!(event.format, EventFormat::Syslog3164);
    assert_eq!(event.severity, Some(Severity::Informational));
    assert_eq!(event.host.as_deref(), Some("mymachine"));
    assert_eq!(event.app.as_deref(), Some("sshd"));
    assert_eq!(event.field("syslog.procid"), Some("4242"));
    assert_eq!(event.message, "Accepted password for root");
    assert_eq!(
        event.timestamp.map(|t| t.to_rfc3339()),
        Some("2024-01-02T22:14:15+00:00".to_owned())
    );
}

#[test]
fn rfc3164_december_message_received_in_january_is_last_year() {
    let event = parse_syslog("<13>Dec 31 23:59:59 host app: bye", received()).unwrap();
    assert_eq!(
        event.timestamp.map(|t| t.to_rfc3339()),
        Some("2023-12-31T23:59:59+00:00".to_owned())
    );
}

#[test]
fn rfc3164_without_timestamp_is_all_message() {
    let event = parse_syslog("<13>just some text", received()).unwrap();
    assert_eq!((event.timestamp, event.host.as_deref()), (None, None));
    assert_eq!(event.message, "just some text");
}

#[test]
fn errors_name_column_and_reason() {
    let cases = [
        ("<999>Jan  1 00:00:00 h a: m", 2, "priority"),
        ("<13", 1, "not closed"),
        ("<13>1 2003-13-11T22:14:15Z h a - - -", 7, "TIMESTAMP"),
        ("<13>1 - h a - - [id x=\"1\"", 26, "not closed"),
        ("<13>1 - h a - - [id x=1]", 23, "quoted"),
        ("<13>1 - h a - - junk", 17, "STRUCTURED-DATA"),
        ("<13>Jan 99 00:00:00 h a: m", 9, "not a day"),
        ("<13>Feb 30 00:00:00 h a: m", 5, "not a date"),
        ("<13>Jan  1 25:00:00 h a: m", 12, "time"),
    ];
    for (line, column, reason) in cases {
        let error = parse_syslog(line, received()).unwrap_err();
        assert_eq!(error.column, column, "{line}: {error}");
        assert!(error.reason.contains(reason), "{line}: {error}");
    }
}
