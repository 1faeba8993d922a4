//! The SigmaHQ regression set ships, beside each `.evtx`, the matching record(s) as JSON rendered by another tool
//! (pretty-printed, several documents one after the other in some files, GUIDs upper-case without braces). Read as
//! a stream of documents, each must be the same event as the record with its id in the `.evtx`.

use std::path::PathBuf;

use canhgac_logs::time::parse_timestamp;
use canhgac_logs::windows::json_lines::read_win_json_documents;
use canhgac_logs::windows::stream::find_files;
use canhgac_logs::{read_evtx_file, EvtxOptions, WinEvent};

fn json_files() -> Option<Vec<PathBuf>> {
    let root = canhgac_testdata::require("sigma/regression_data")?;
    Some(find_files(&root, "json").unwrap())
}

/// GUIDs compare without braces and case, times to the microsecond (the other tool keeps six decimals of
/// seven); everything else exactly.
fn same_value(a: &str, b: &str) -> bool {
    let guid = |s: &str| s.trim_matches(['{', '}']).to_ascii_lowercase();
    let same_time = match (parse_timestamp(a), parse_timestamp(b)) {
        (Some(a), Some(b)) => (a - b).num_microseconds().is_some_and(|d| d.abs() < 1),
        _ => false,
    };
    // The other tool trims trailing spaces (Sysmon's `ParentCommandLine` often ends with one; the EVTX keeps it).
    a == b
        || a.trim_end() == b.trim_end()
        || same_time
        || (a.len() >= 36 && a.len() <= 38 && a.matches('-').count() == 4 && guid(a) == guid(b))
}

#[test]
fn regression_json_documents_are_the_records_of_their_evtx_files() {
    let Some(files) = json_files() else { return };
    assert!(files.len() >= 200, "{}", files.len());
    let (mut documents, mut multi) = (0, 0);
    let mut mismatches: Vec<String> = Vec::new();
    for json in &files {
        let file = std::fs::File::open(json).unwrap();
        let events: Vec<WinEvent> =
            read_win_json_documents(json.display().to_string(), std::io::BufReader::new(file))
                .collect::<Result<_, _>>()
                .unwrap_or_else(|e| panic!("{e}"));
        assert!(!events.is_empty(), "{}", json.display());
        documents += events.len();
        multi += usize::from(events.len() > 1);
        let mut records = Vec::new();
        read_evtx_file(&json.with_extension("evtx"), EvtxOptions::default(), |r| {
            records.push(r.unwrap())
        })
        .unwrap();
        for event in &events {
            let place = format!("{} record {}", json.display(), event.record_id);
            let record = records
                .iter()
                .find(|r| r.record_id == event.record_id)
                .unwrap_or_else(|| panic!("{place}: not in the .evtx"));
            assert_eq!(
                (event.event_id, &event.channel, &event.computer),
                (record.event_id, &record.channel, &record.computer),
                "{place}"
            );
            assert_eq!(
                event.timestamp.timestamp(),
                record.timestamp.timestamp(),
                "{place}"
            );
            assert_eq!(
                event.fields.len(),
                record.fields.len(),
                "{place}: {:?} vs {:?}",
                event.fields,
                record.fields
            );
            for ((name, value), (record_name, record_value)) in event.fields.iter().zip(&record.fields) {
                assert_eq!(name, record_name, "{place}");
                if !same_value(value, record_value) {
                    mismatches.push(format!("{place}: {name}: {value:?} vs {record_value:?}"));
                }
            }
        }
    }
    println!(
        "{} files, {documents} documents, {multi} files with several",
        files.len()
    );
    assert!(multi >= 13, "{multi}");
    // One value differs in the upstream JSON from its own .evtx (checked with `evtx_dump`: the record says
    // `Explorer.EXE`); every other field of the 238 documents is the same.
    assert_eq!(mismatches.len(), 1, "{mismatches:#?}");
    assert!(
        mismatches[0].ends_with(r#"record 23419552: ParentCommandLine: "C:\\Windows\\Explorer.exe" vs "C:\\Windows\\Explorer.EXE""#),
        "{mismatches:#?}"
    );
}

#[test]
fn a_document_that_is_not_an_event_is_reported_and_reading_goes_on() {
    let text = "{\"EventID\": 1, \"Channel\": \"c\", \"TimeCreated\": \"2024-01-01T00:00:00Z\"}\n[{\"hello\": 1}, {\"EventID\": 2, \"TimeCreated\": \"2024-01-01T00:00:01Z\"}]\n{\"EventID\": 3,";
    let items: Vec<_> = read_win_json_documents("docs.json", text.as_bytes()).collect();
    let described: Vec<String> = items
        .iter()
        .map(|i| {
            i.as_ref()
                .map_or_else(ToString::to_string, |e| format!("ok {}", e.event_id))
        })
        .collect();
    assert_eq!(described[0], "ok 1");
    assert!(
        described[1].starts_with("docs.json: document ending at byte 139, column 1: not a Windows event"),
        "{described:?}"
    );
    assert_eq!(described[2], "ok 2");
    assert!(
        described[3].starts_with("docs.json: line 3, column "),
        "{described:?}"
    );
    assert!(described[3].contains("invalid JSON"), "{described:?}");
    assert_eq!(described.len(), 4);
}
