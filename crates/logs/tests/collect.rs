//! Collected formats: Suricata EVE files from the shared data, and crafted syslog/CEF/key=value lines through the
//! format detection and the stream framing.

use chrono::{TimeZone, Utc};

use canhgac_logs::collect::detect::{parse_line, parse_lines};
use canhgac_logs::collect::framing::FrameDecoder;
use canhgac_logs::{Error, EventFormat, Severity};

fn received() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 1, 12, 0, 0).single().unwrap()
}

#[test]
fn suricata_eve_files_parse_every_line() {
    let Some(dir) = canhgac_testdata::require("logs/suricata-eve-small") else {
        return;
    };
    let mut by_type = std::collections::BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.display().to_string();
        let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
        let events: Vec<_> = parse_lines(&name, &text, received())
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(events.len(), lines, "{name}");
        for event in events {
            assert_eq!(event.format, EventFormat::SuricataEve);
            assert!(event.timestamp.is_some());
            *by_type
                .entry(event.field("event_type").unwrap().to_owned())
                .or_insert(0) += 1;
        }
    }
    // Counted with `jq -r .event_type | sort | uniq -c` over the three files.
    let expected = [
        ("alert", 19),
        ("dns", 11),
        ("fileinfo", 1),
        ("flow", 219),
        ("http", 1),
        ("ssh", 13),
        ("stats", 16),
        ("tls", 12),
    ];
    assert_eq!(
        by_type.into_iter().collect::<Vec<_>>(),
        expected.map(|(t, n)| (t.to_owned(), n))
    );
}

#[test]
fn suricata_alert_fields() {
    let Some(path) =
        canhgac_testdata::require("logs/suricata-eve-small/stratosphere-suricata-extractor_sample_eve.json")
    else {
        return;
    };
    let text = std::fs::read_to_string(path).unwrap();
    let alert = text
        .lines()
        .map(|line| parse_line(line, received()).unwrap())
        .find(|e| e.field("alert.signature_id") == Some("2001330"))
        .expect("the RDP alert is in the file");
    assert_eq!(alert.message, "ET POLICY RDP connection confirm");
    assert_eq!(alert.severity, Some(Severity::Notice));
    assert_eq!(alert.field("src_ip"), Some("147.32.81.184"));
    assert_eq!(alert.field("dest_port"), Some("9259"));
    assert_eq!(alert.field("alert.category"), Some("Misc activity"));
    // 21:49:10.540270+0200
    assert_eq!(
        alert.timestamp.unwrap().to_rfc3339(),
        "2017-05-05T19:49:10.540270+00:00"
    );
    let dns = text
        .lines()
        .map(|line| parse_line(line, received()).unwrap())
        .find(|e| e.field("event_type") == Some("dns"))
        .unwrap();
    assert_eq!(dns.message, "dns 81.30.240.203:46304 -> 147.32.80.9:53 UDP");
    assert_eq!(dns.field("dns.rrname"), Some("iphonesubmissions.apple.com"));
}

#[test]
fn cef_inside_rfc5424_syslog_takes_the_syslog_host_and_time() {
    let line = "<134>1 2024-02-29T10:00:00+07:00 fw01.bv.local CEF - - - CEF:0|Palo Alto Networks|PAN-OS|10.1|THREAT|url|7|src=10.1.2.3 dst=198.51.100.7 request=http://x.test/a b";
    let event = parse_line(line, received()).unwrap();
    assert_eq!(event.format, EventFormat::Cef);
    assert_eq!(event.host.as_deref(), Some("fw01.bv.local"));
    assert_eq!(event.timestamp.unwrap().to_rfc3339(), "2024-02-29T03:00:00+00:00");
    assert_eq!(event.severity, Some(Severity::Error));
    assert_eq!(event.field("request"), Some("http://x.test/a b"));
    assert_eq!(event.field("syslog.facility"), Some("16"));
    assert_eq!(event.original, line);
}

#[test]
fn key_value_firewall_line_inside_rfc3164_syslog() {
    let line = r#"<189>Feb 29 09:59:58 fg-hq date=2024-02-29 time=09:59:58 devname="FG-HQ" logid="0000000013" type="traffic" level="warning" srcip=10.0.0.5 dstip=203.0.113.9 action="deny""#;
    let event = parse_line(line, received()).unwrap();
    assert_eq!(event.format, EventFormat::KeyValue);
    assert_eq!(event.host.as_deref(), Some("FG-HQ"));
    assert_eq!(event.severity, Some(Severity::Warning));
    assert_eq!(event.field("dstip"), Some("203.0.113.9"));
    assert_eq!(event.field("syslog.severity"), Some("5"));
}

#[test]
fn plain_syslog_cef_and_windows_json_lines() {
    let event = parse_line(
        "<86>Feb 29 10:00:01 web1 sshd[811]: Failed password for root from 203.0.113.4",
        received(),
    )
    .unwrap();
    assert_eq!(
        (event.format, event.app.as_deref(), event.host.as_deref()),
        (EventFormat::Syslog3164, Some("sshd"), Some("web1"))
    );
    let event = parse_line(
        "CEF:0|Trend|DS|20|4000000|Eicar_test_file|6|dvchost=pc-12 fname=eicar.com",
        received(),
    )
    .unwrap();
    assert_eq!(
        (event.host.as_deref(), event.message.as_str()),
        (Some("pc-12"), "Eicar_test_file")
    );
    let event = parse_line(
        r#"{"EventID":4625,"Channel":"Security","Hostname":"PC-1","TimeCreated":"2024-02-29T01:02:03Z","TargetUserName":"admin"}"#,
        received(),
    )
    .unwrap();
    assert_eq!(
        (event.format, event.host.as_deref()),
        (EventFormat::Windows, Some("PC-1"))
    );
    assert_eq!(event.field("TargetUserName"), Some("admin"));
}

#[test]
fn each_bad_line_names_its_line_and_column_and_the_rest_are_kept() {
    let text = "<13>1 - h a - - -  ok\n<300>bad pri\nCEF:0|only|three\nrandom words here\n{\"event_type\":\"alert\"}\nk=v\n";
    let items: Vec<_> = parse_lines("fw.log", text, received()).collect();
    let described: Vec<String> = items
        .iter()
        .map(|item| match item {
            Ok(event) => format!("ok {:?}", event.format),
            Err(error @ Error::Line { .. }) => error.to_string(),
            Err(other) => panic!("{other}"),
        })
        .collect();
    assert_eq!(described[0], "ok Syslog5424");
    assert_eq!(
        described[1],
        "fw.log: line 2, column 2: priority \"300\" is not a number from 0 to 191"
    );
    assert!(
        described[2].starts_with("fw.log: line 3, column 12: CEF header ends before `cef.product`"),
        "{described:?}"
    );
    assert!(
        described[3].starts_with("fw.log: line 4, column 1: not a known format"),
        "{described:?}"
    );
    assert_eq!(described[4], "fw.log: line 5, column 1: no `timestamp`");
    assert_eq!(described[5], "ok KeyValue");
}

#[test]
fn frames_split_across_reads_and_mixed_framing() {
    let stream = b"19 <13>1 - h a - - - x<14>line one\r\n23 <13>1 - h a - - - hello\n<15>last";
    // Feed one byte at a time: frames come out whole and in order.
    let mut decoder = FrameDecoder::new(1024);
    let mut frames = Vec::new();
    for byte in stream.iter() {
        decoder.push(std::slice::from_ref(byte));
        while let Some(frame) = decoder.next_frame() {
            frames.push(frame.unwrap());
        }
    }
    while let Some(frame) = decoder.finish() {
        frames.push(frame.unwrap());
    }
    let texts: Vec<_> = frames
        .iter()
        .map(|f| String::from_utf8(f.data.clone()).unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "<13>1 - h a - - - x",
            "<14>line one",
            "<13>1 - h a - - - hello",
            "<15>last"
        ]
    );
    assert_eq!(
        frames.iter().map(|f| f.offset).collect::<Vec<_>>(),
        [0, 22, 36, 63]
    );
    for text in &texts {
        parse_line(text, received()).unwrap();
    }
}

#[test]
fn oversized_and_malformed_frames_are_reported_and_skipped() {
    let mut decoder = FrameDecoder::new(16);
    decoder.push(b"40 <13>this frame is too long for the limit<14>ok\n12x bad\n<14>after\n99");
    let mut items = Vec::new();
    while let Some(item) = decoder.next_frame() {
        items.push(
            item.map(|f| String::from_utf8(f.data).unwrap())
                .map_err(|e| e.to_string()),
        );
    }
    assert_eq!(
        items,
        [
            Err("frame at byte 0: octet-counted frame of 40 bytes is longer than the limit of 16".to_owned()),
            Ok("<14>ok".to_owned()),
            Err("frame at byte 50: a frame starting with a digit must be `LENGTH SP MESSAGE` (octet counting)".to_owned()),
            Ok("<14>after".to_owned()),
        ]
    );
    assert!(decoder.buffered() <= 16);
    let end = decoder.finish().unwrap().unwrap_err().to_string();
    assert_eq!(
        end,
        "frame at byte 68: stream ends inside an octet-counted frame (2 bytes received)"
    );
    // A line longer than the limit without a newline yet is refused before it is buffered further.
    let mut decoder = FrameDecoder::new(8);
    decoder.push(b"<13>0123456789");
    assert!(decoder.next_frame().unwrap().is_err());
    decoder.push(b"more\n<13>ok\n");
    assert_eq!(decoder.next_frame().unwrap().unwrap().data, b"<13>ok");
}
