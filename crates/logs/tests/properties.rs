//! Properties of the text parsers: any input gives an event or a located error, never a panic; what a sender
//! writes with the format's escaping comes back unchanged; framing loses no byte however the stream is split.

use chrono::{TimeZone, Utc};
use proptest::prelude::*;

use canhgac_logs::collect::cef::parse_cef;
use canhgac_logs::collect::detect::parse_line;
use canhgac_logs::collect::framing::FrameDecoder;
use canhgac_logs::collect::kv::parse_pairs;
use canhgac_logs::collect::syslog::parse_syslog;
use canhgac_logs::parse_win_json_line;

fn received() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 1, 12, 0, 0).single().unwrap()
}

/// Text that looks like the formats often enough to reach deep into the parsers.
fn log_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "<[0-9]{1,4}>(1 )?[ -~]{0,80}",
        "<1[0-9]>1 [0-9T:.Z+-]{0,30} [a-z-]{1,8} [a-z-]{1,8} - - (-|\\[[a-z@0-9]{1,8}( [a-z]{1,4}=\"[ -~]{0,8}\"){0,3}\\]?)[ -~]{0,20}",
        "<1[0-9]>(Jan|Feb|Dec) [ 0-9]{2} [0-9:]{8} [ -~]{0,40}",
        "CEF:[0-9|\\\\a-z =]{0,60}",
        "[a-z]{1,5}=(\"[ -~]{0,10}\"?|'[a-z ]{0,5}'?|[a-z0-9]{0,5})( [a-z]{1,5}=[a-z\"']{0,5}){0,4}",
        "\\{\"(EventID|event_type|winlog|Event)\":[ -~]{0,60}\\}?",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn no_input_makes_a_parser_panic(line in log_like()) {
        let column_ok = |column: usize| column >= 1 && column <= line.len() + 2;
        if let Err(error) = parse_line(&line, received()) {
            prop_assert!(column_ok(error.column), "{line:?}: {error}");
            prop_assert!(!error.reason.is_empty());
        }
        if let Err(error) = parse_syslog(&line, received()) {
            prop_assert!(column_ok(error.column), "{line:?}: {error}");
        }
        let _ = parse_cef(&line, 0);
        let _ = parse_pairs(&line, 0);
        let _ = parse_win_json_line(&line);
    }

    #[test]
    fn quoted_key_values_come_back_unchanged(
        pairs in proptest::collection::vec(("[a-z][a-z0-9_.]{0,7}", "[ -~]{0,12}"), 1..6)
    ) {
        let line: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")))
            .collect();
        let parsed = parse_pairs(&line.join(" "), 0).unwrap();
        prop_assert_eq!(parsed, pairs);
    }

    #[test]
    fn structured_data_values_come_back_unchanged(value in "[ -~]{0,20}", message in "[ -~]{0,20}") {
        let escaped = value.replace('\\', "\\\\").replace('"', "\\\"").replace(']', "\\]");
        let line = format!("<13>1 - host app - - [id@1 k=\"{escaped}\"] {message}");
        let event = parse_syslog(&line, received()).unwrap();
        prop_assert_eq!(event.field("id@1.k"), Some(value.as_str()));
        prop_assert_eq!(event.message, message);
    }

    #[test]
    fn cef_extension_values_with_escapes_come_back_unchanged(value in "[ -~]{1,20}") {
        let value = value.trim().to_owned();
        prop_assume!(!value.is_empty());
        let escaped = value.replace('\\', "\\\\").replace('=', "\\=");
        let event = parse_cef(&format!("CEF:0|V|P|1|s|n|5|msg={escaped} src=10.0.0.1"), 0).unwrap();
        prop_assert_eq!(event.field("msg"), Some(value.as_str()));
        prop_assert_eq!(event.field("src"), Some("10.0.0.1"));
    }

    #[test]
    fn framing_is_the_same_however_the_stream_is_split(
        messages in proptest::collection::vec("<1[0-9]>[ -~]{0,30}", 1..8),
        octet in proptest::collection::vec(any::<bool>(), 8),
        cuts in proptest::collection::vec(1usize..40, 1..20),
    ) {
        let mut stream = Vec::new();
        for (message, octet) in messages.iter().zip(octet.iter().cycle()) {
            if *octet {
                stream.extend_from_slice(format!("{} {message}", message.len()).as_bytes());
            } else {
                stream.extend_from_slice(format!("{message}\n").as_bytes());
            }
        }
        let mut decoder = FrameDecoder::new(64);
        let mut frames = Vec::new();
        let mut rest = stream.as_slice();
        for cut in cuts.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (now, later) = rest.split_at((*cut).min(rest.len()));
            decoder.push(now);
            rest = later;
            while let Some(frame) = decoder.next_frame() {
                frames.push(String::from_utf8(frame.unwrap().data).unwrap());
            }
        }
        while let Some(frame) = decoder.finish() {
            frames.push(String::from_utf8(frame.unwrap().data).unwrap());
        }
        // Trailing spaces of a newline-framed message are kept; leading separators are not part of a frame.
        let expected: Vec<String> = messages.iter().map(|m| m.trim_end_matches(['\r']).to_owned()).collect();
        prop_assert_eq!(frames, expected);
    }
}
