//! Windows events as JSON lines: the OTRF Security Datasets (NXLog-style flat objects), EVTX records re-read as
//! `evtx_dump` JSON lines, and Winlogbeat documents.

use std::io::{BufReader, Cursor};

use canhgac_logs::windows::json_lines::{parse_win_json_line, read_win_json_lines, WinJsonShape};
use canhgac_logs::{find_evtx_files, read_evtx_file, Error, EvtxOptions, WinEvent};

/// The JSON files inside every OTRF zip: (zip/entry name, text).
fn otrf_files() -> Option<Vec<(String, String)>> {
    canhgac_testdata::otrf_json_files()
}

#[test]
fn otrf_datasets_parse_to_the_documented_69068_events() {
    let Some(files) = otrf_files() else { return };
    assert_eq!(files.len(), 21, "21 lab runs");
    let (mut events, mut errors) = (0, Vec::new());
    let blank_lines: usize = files
        .iter()
        .map(|(_, text)| text.lines().filter(|l| l.trim().is_empty()).count())
        .sum();
    let mut channels = std::collections::BTreeMap::new();
    for (name, text) in &files {
        for item in read_win_json_lines(name.clone(), BufReader::new(Cursor::new(text.as_bytes()))) {
            match item {
                Ok(event) => {
                    events += 1;
                    assert!(
                        !event.channel.is_empty() && !event.computer.is_empty(),
                        "{name}: {event:?}"
                    );
                    *channels.entry(event.channel).or_insert(0) += 1;
                }
                Err(error) => errors.push(error.to_string()),
            }
        }
    }
    println!("{events} events by channel: {channels:?}");
    assert_eq!(errors, Vec::<String>::new());
    // The data set's manifest says 21 lab runs, 69,068 events: it counts lines, and one of them is blank
    // (`schtask_create`, line 2). Every other line is an event.
    assert_eq!(blank_lines, 1);
    assert_eq!(events + blank_lines, 69_068);
    assert!(
        channels.get("Security").is_some_and(|n| *n > 10_000),
        "{channels:?}"
    );
    assert!(
        channels
            .get("Microsoft-Windows-Sysmon/Operational")
            .is_some_and(|n| *n > 10_000),
        "{channels:?}"
    );
}

fn otrf_event(file_part: &str, pick: impl Fn(&WinEvent) -> bool) -> Option<WinEvent> {
    let files = otrf_files()?;
    let (name, text) = files
        .iter()
        .find(|(name, _)| name.contains(file_part))
        .expect("the file is in the data set");
    let found = read_win_json_lines(name.clone(), BufReader::new(Cursor::new(text.as_bytes())))
        .map(Result::unwrap)
        .find(|e| pick(e));
    Some(found.expect("the event is in the file"))
}

#[test]
fn otrf_4688_has_its_process_fields_and_naive_time_as_utc() {
    let Some(event) = otrf_event("cmd_netsh_fw_mod_open_ports", |e| e.event_id == 4688) else {
        return;
    };
    assert_eq!(
        (event.channel.as_str(), event.computer.as_str()),
        ("Security", "WORKSTATION5")
    );
    assert_eq!(event.provider, "Microsoft-Windows-Security-Auditing");
    assert_eq!(
        event.field("Provider_Name"),
        Some("Microsoft-Windows-Security-Auditing")
    );
    assert_eq!(event.field("Computer"), Some("WORKSTATION5"));
    assert_eq!(
        event.field("NewProcessName"),
        Some(r"C:\Windows\System32\netsh.exe")
    );
    assert!(event
        .field("CommandLine")
        .is_some_and(|c| c.starts_with("netsh  advfirewall firewall add rule")));
    assert_eq!(event.timestamp.to_rfc3339(), "2020-10-21T12:19:04.411+00:00");
    assert!(event
        .original
        .as_deref()
        .is_some_and(|o| o.contains("\"EventID\":4688")));
}

#[test]
fn otrf_nxlog_records_keep_record_numbers_and_sysmon_fields() {
    let Some(event) = otrf_event("covenant_copy_smb_CreateRequest", |e| e.record_id == 3_518_579) else {
        return;
    };
    assert_eq!(
        (event.event_id, event.channel.as_str()),
        (13, "Microsoft-Windows-Sysmon/Operational")
    );
    assert_eq!(event.computer, "WORKSTATION5.theshire.local");
    assert_eq!(event.field("EventRecordID"), Some("3518579"));
    assert_eq!(event.field("Image"), Some(r"C:\windows\Explorer.EXE"));
    assert_eq!(event.field("tags"), Some("mordorDataset"));
    // No zoned TimeCreated: `@timestamp` is taken.
    assert_eq!(event.timestamp.to_rfc3339(), "2020-09-22T18:53:04.182+00:00");
}

#[test]
fn evtx_records_reread_as_evtx_dump_json_lines_give_the_same_events() {
    // EVTX records are flattened straight from the rendered bytes; JSON lines through a parsed tree. Both must
    // give the same fields, in the same order, on every sample record.
    let Some(root) = canhgac_testdata::require("evtx-attack-samples") else {
        return;
    };
    let Some(regression) = canhgac_testdata::require("sigma/regression_data") else {
        return;
    };
    let mut files = find_evtx_files(&root).unwrap();
    files.extend(find_evtx_files(&regression).unwrap());
    let mut compared = 0;
    for path in &files {
        read_evtx_file(path, EvtxOptions::default(), |item| {
            let event = item.unwrap();
            let line = event.original.clone().unwrap();
            let (again, shape) = parse_win_json_line(&line).unwrap();
            assert_eq!(shape, WinJsonShape::EvtxDump);
            assert_eq!(
                again.fields,
                event.fields,
                "{} record {}",
                path.display(),
                event.record_id
            );
            assert_eq!(
                (again.event_id, again.record_id, &again.channel),
                (event.event_id, event.record_id, &event.channel)
            );
            assert_eq!(
                again.timestamp,
                event.timestamp,
                "{} record {}",
                path.display(),
                event.record_id
            );
            compared += 1;
        })
        .unwrap();
    }
    assert!(compared > 8000, "{compared}");
}

const WINLOGBEAT_8: &str = r#"{"@timestamp":"2023-05-04T03:02:01.123Z","event":{"code":"4688","provider":"Microsoft-Windows-Security-Auditing"},"host":{"name":"pc-khoa-noi"},"log":{"level":"information"},"winlog":{"api":"wineventlog","channel":"Security","computer_name":"PC-KHOA-NOI.bv.local","event_id":"4688","provider_name":"Microsoft-Windows-Security-Auditing","provider_guid":"{54849625-5478-4994-a5ba-3e3b0328c30d}","record_id":"987654","process":{"pid":4,"thread":{"id":120}},"keywords":["Audit Success"],"task":"Process Creation","opcode":"Info","event_data":{"NewProcessName":"C:\\Windows\\System32\\whoami.exe","CommandLine":"whoami /all","ParentProcessName":"C:\\Windows\\System32\\cmd.exe","SubjectUserName":"nv.a"}}}"#;

const WINLOGBEAT_6: &str = r#"{"@timestamp":"2019-01-02T03:04:05.000Z","beat":{"hostname":"srv"},"computer_name":"SRV01","event_data":{"param1":"Windows Update","param2":"running"},"event_id":7036,"level":"Information","log_name":"System","record_number":"42","source_name":"Service Control Manager","type":"wineventlog"}"#;

#[test]
fn winlogbeat_8_document() {
    let (event, shape) = parse_win_json_line(WINLOGBEAT_8).unwrap();
    assert_eq!(shape, WinJsonShape::Winlogbeat);
    assert_eq!((event.event_id, event.record_id), (4688, 987_654));
    assert_eq!(
        (event.channel.as_str(), event.computer.as_str()),
        ("Security", "PC-KHOA-NOI.bv.local")
    );
    assert_eq!(event.provider, "Microsoft-Windows-Security-Auditing");
    assert_eq!(event.field("CommandLine"), Some("whoami /all"));
    assert_eq!(
        event.field("NewProcessName"),
        Some(r"C:\Windows\System32\whoami.exe")
    );
    assert_eq!(event.field("Execution_ProcessID"), Some("4"));
    assert_eq!(event.field("Keywords"), Some("Audit Success"));
    assert_eq!(event.field("TimeCreated"), Some("2023-05-04T03:02:01.123Z"));
    assert_eq!(event.timestamp.to_rfc3339(), "2023-05-04T03:02:01.123+00:00");
}

#[test]
fn winlogbeat_6_document() {
    let (event, shape) = parse_win_json_line(WINLOGBEAT_6).unwrap();
    assert_eq!(shape, WinJsonShape::Winlogbeat);
    assert_eq!(
        (event.event_id, event.record_id, event.channel.as_str()),
        (7036, 42, "System")
    );
    assert_eq!(
        (event.computer.as_str(), event.provider.as_str()),
        ("SRV01", "Service Control Manager")
    );
    assert_eq!(event.field("param1"), Some("Windows Update"));
}

#[test]
fn bad_lines_are_reported_with_their_line_and_the_good_ones_kept() {
    let text = format!(
        "{WINLOGBEAT_8}\n\n{{\"EventID\": 1, \"Channel\": \"x\"}}\nnot json\n{{\"Channel\":\"Security\"}}\n{{\"EventID\":\"abc\",\"TimeCreated\":\"2020-01-01 00:00:00\"}}\n{WINLOGBEAT_6}\n"
    );
    let items: Vec<_> =
        read_win_json_lines("upload.jsonl", BufReader::new(Cursor::new(text.into_bytes()))).collect();
    let lines: Vec<String> = items
        .iter()
        .map(|item| match item {
            Ok(event) => format!("ok {}", event.event_id),
            Err(Error::Line { line, error, .. }) => format!("line {line}: {}", error.reason),
            Err(other) => panic!("{other}"),
        })
        .collect();
    assert_eq!(lines[0], "ok 4688");
    assert!(lines[1].starts_with("line 3: no readable timestamp"), "{lines:?}");
    assert!(lines[2].starts_with("line 4: invalid JSON"), "{lines:?}");
    assert!(lines[3].starts_with("line 5: not a Windows event"), "{lines:?}");
    assert!(
        lines[4].starts_with("line 6: `EventID` is not an event id"),
        "{lines:?}"
    );
    assert_eq!(lines[5], "ok 7036");
    assert_eq!(lines.len(), 6);
    let first_error = items.iter().find_map(|i| i.as_ref().err()).unwrap().to_string();
    assert!(
        first_error.starts_with("upload.jsonl: line 3, column 1: "),
        "{first_error}"
    );
}
