//! EVTX reading against the real attack samples and SigmaHQ regression files in the shared data.

use std::path::{Path, PathBuf};

use canhgac_logs::{find_evtx_files, read_evtx_file, Error, EvtxOptions, EvtxStream, WinEvent};

fn sample_files() -> Option<Vec<PathBuf>> {
    let attack = canhgac_testdata::require("evtx-attack-samples")?;
    let regression = canhgac_testdata::require("sigma/regression_data")?;
    let mut files = find_evtx_files(&attack).unwrap();
    files.extend(find_evtx_files(&regression).unwrap());
    Some(files)
}

/// Records and errors as the `evtx` crate alone reports them.
fn evtx_crate_counts(path: &Path) -> (u64, u64) {
    let mut parser = evtx::EvtxParser::from_path(path).unwrap();
    parser.records_json().fold(
        (0, 0),
        |(ok, bad), r| if r.is_ok() { (ok + 1, bad) } else { (ok, bad + 1) },
    )
}

fn read_all(path: &Path, options: EvtxOptions) -> (Vec<WinEvent>, Vec<Error>) {
    let (mut events, mut errors) = (Vec::new(), Vec::new());
    read_evtx_file(path, options, |item| match item {
        Ok(event) => events.push(event),
        Err(error) => errors.push(error),
    })
    .unwrap();
    (events, errors)
}

#[test]
fn every_sample_file_parses_with_the_same_counts_as_the_evtx_crate() {
    let Some(files) = sample_files() else { return };
    assert!(
        files.len() >= 277 + 200,
        "expected the 277 attack samples and ~200 regression files, found {}",
        files.len()
    );
    let (mut total, mut total_errors) = (0, 0);
    for path in &files {
        let stats = read_evtx_file(path, EvtxOptions::default(), |_| {}).unwrap();
        let (ok, bad) = evtx_crate_counts(path);
        assert_eq!(stats.records, ok, "{}", path.display());
        // Ours also counts a chunk cut short at the end of a file, which the `evtx` crate skips silently.
        assert!(
            stats.errors >= bad && stats.errors <= bad + 1,
            "{}: {} vs {bad}",
            path.display(),
            stats.errors
        );
        total += stats.records;
        total_errors += stats.errors;
    }
    println!(
        "{} files, {total} records, {total_errors} record errors",
        files.len()
    );
    // Every file yields events; the samples are intact, so errors are rare.
    assert!(total > 8_000, "{total}");
    assert!(
        total_errors * 1000 <= total,
        "{total_errors} errors in {total} records"
    );
}

#[test]
fn every_event_has_its_headline_fields() {
    let Some(files) = sample_files() else { return };
    for path in files.iter().step_by(7) {
        let (events, _) = read_all(path, EvtxOptions::default());
        for event in &events {
            let place = format!("{} record {}", path.display(), event.record_id);
            assert!(!event.channel.is_empty(), "{place}: no channel");
            assert!(!event.computer.is_empty(), "{place}: no computer");
            assert_eq!(
                event.field("EventID"),
                Some(event.event_id.to_string().as_str()),
                "{place}"
            );
            assert_eq!(event.field("Channel"), Some(event.channel.as_str()), "{place}");
            assert_eq!(
                event.field("EventRecordID"),
                Some(event.record_id.to_string().as_str()),
                "{place}"
            );
            assert!(
                event.timestamp.timestamp() > 1_000_000_000,
                "{place}: {}",
                event.timestamp
            );
            let json = event
                .original_json()
                .expect("JSON kept by default")
                .expect("valid JSON");
            assert_eq!(
                json["Event"]["System"]["EventRecordID"].as_u64(),
                Some(event.record_id),
                "{place}"
            );
        }
    }
}

fn record(rel: &str, record_id: u64) -> Option<WinEvent> {
    let path = canhgac_testdata::require(rel)?;
    let (events, errors) = read_all(&path, EvtxOptions::default());
    assert!(errors.is_empty(), "{errors:?}");
    Some(
        events
            .into_iter()
            .find(|e| e.record_id == record_id)
            .expect("the record is in the file"),
    )
}

#[test]
fn sysmon_process_creation_has_image_and_command_line() {
    let Some(event) = record(
        "evtx-attack-samples/Execution/exec_sysmon_1_lolbin_pcalua.evtx",
        16497,
    ) else {
        return;
    };
    assert_eq!(
        (event.event_id, event.channel.as_str()),
        (1, "Microsoft-Windows-Sysmon/Operational")
    );
    assert_eq!(event.provider, "Microsoft-Windows-Sysmon");
    assert_eq!(event.field("Provider_Name"), Some("Microsoft-Windows-Sysmon"));
    assert_eq!(event.field("Image"), Some(r"C:\Windows\System32\pcalua.exe"));
    assert_eq!(
        event.field("CommandLine"),
        Some(r#""C:\Windows\System32\pcalua.exe"  -a c:\Windows\system32\calc.exe"#)
    );
    assert_eq!(event.field("ParentImage"), Some(r"C:\Windows\System32\cmd.exe"));
}

#[test]
fn security_4688_has_new_process_name() {
    let Some(event) = record(
        "evtx-attack-samples/Lateral Movement/LM_WMIC_4648_rpcss.evtx",
        433308,
    ) else {
        return;
    };
    assert_eq!((event.event_id, event.channel.as_str()), (4688, "Security"));
    assert_eq!(
        event.field("NewProcessName"),
        Some(r"C:\Windows\System32\wbem\WMIC.exe")
    );
    assert_eq!(
        event.field("Provider_Name"),
        Some("Microsoft-Windows-Security-Auditing")
    );
}

#[test]
fn user_data_of_a_cleared_log_is_flattened_by_leaf_name() {
    let Some(event) = record(
        "evtx-attack-samples/Defense Evasion/DE_1102_security_log_cleared.evtx",
        452811,
    ) else {
        return;
    };
    assert_eq!(
        (event.event_id, event.computer.as_str()),
        (1102, "PC01.example.corp")
    );
    assert!(
        event.field("SubjectUserName").is_some_and(|v| !v.is_empty()),
        "{:?}",
        event.fields
    );
    assert!(
        !event.fields.iter().any(|(n, _)| n.starts_with("xmlns")),
        "{:?}",
        event.fields
    );
    assert_eq!(
        event.timestamp.to_rfc3339(),
        "2019-03-19T23:35:07.524202100+00:00"
    );
}

#[test]
fn unnamed_data_and_event_id_qualifiers() {
    let Some(event) = record(
        "evtx-attack-samples/Defense Evasion/DE_xp_cmdshell_enabled_MSSQL_EID_15457.evtx",
        9691,
    ) else {
        return;
    };
    assert_eq!(
        (event.event_id, event.channel.as_str(), event.provider.as_str()),
        (15457, "Application", "MSSQLSERVER")
    );
    assert_eq!(event.field("EventID_Qualifiers"), Some("16384"));
    assert_eq!(
        event.field_values("Data").collect::<Vec<_>>(),
        ["show advanced options", "0", "1"]
    );
    assert_eq!(event.field("Data[1]"), Some("show advanced options"));
    assert_eq!(event.field("Data[3]"), Some("1"));
}

#[test]
fn one_thread_and_many_threads_give_the_same_events_in_the_same_order() {
    let Some(path) = canhgac_testdata::require(
        "evtx-attack-samples/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx",
    ) else {
        return;
    };
    let single = read_all(
        &path,
        EvtxOptions {
            threads: 1,
            ..EvtxOptions::default()
        },
    )
    .0;
    let many = read_all(
        &path,
        EvtxOptions {
            threads: 4,
            ..EvtxOptions::default()
        },
    )
    .0;
    assert!(single.len() > 100, "{}", single.len());
    assert_eq!(single, many);
}

#[test]
fn the_stream_yields_every_record_of_every_file_in_order() {
    let Some(files) = sample_files() else { return };
    let files: Vec<PathBuf> = files.into_iter().take(40).collect();
    let expected: u64 = files.iter().map(|f| evtx_crate_counts(f).0).sum();
    let mut count = 0;
    let mut last: Option<(String, u64)> = None;
    for item in EvtxStream::new(
        files,
        EvtxOptions {
            keep_json: false,
            ..EvtxOptions::default()
        },
    ) {
        let event = item.unwrap();
        assert!(event.original.is_none());
        count += 1;
        last = Some((event.computer, event.record_id));
    }
    assert_eq!(count, expected);
    assert!(last.is_some());
}

#[test]
fn a_file_that_is_not_evtx_is_an_open_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.evtx");
    std::fs::write(&path, b"this is not an event log").unwrap();
    let error = read_evtx_file(&path, EvtxOptions::default(), |_| {}).unwrap_err();
    assert!(matches!(error, Error::Open { .. }), "{error}");
    assert!(error.to_string().contains("notes.evtx"), "{error}");
    let items: Vec<_> = EvtxStream::new(vec![path], EvtxOptions::default()).collect();
    assert!(matches!(items.as_slice(), [Err(Error::Open { .. })]), "{items:?}");
}
