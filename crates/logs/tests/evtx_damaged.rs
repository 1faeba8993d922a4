//! Damaged copies of a real EVTX file (truncated, overwritten with garbage) are read without panicking: the good
//! records are kept and every failure is reported with the file and record.

use std::path::Path;

use canhgac_logs::{read_evtx_file, Error, EvtxOptions};

const SAMPLE: &str = "evtx-attack-samples/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx";

fn read(path: &Path, options: EvtxOptions) -> Result<(u64, Vec<Error>), Error> {
    let mut errors = Vec::new();
    let stats = read_evtx_file(path, options, |item| {
        if let Err(error) = item {
            errors.push(error);
        }
    })?;
    assert_eq!(stats.errors, errors.len() as u64);
    Ok((stats.records, errors))
}

/// A pseudo-random generator for repeatable damage.
fn lcg(seed: &mut u64) -> u64 {
    *seed = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    *seed >> 33
}

#[test]
fn truncated_copies_keep_the_records_before_the_cut() {
    let Some(source) = canhgac_testdata::require(SAMPLE) else {
        return;
    };
    let bytes = std::fs::read(&source).unwrap();
    let (full, _) = read(&source, EvtxOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for cut in [
        4096 + 65536 / 2,
        4096 + 65536,
        4096 + 65536 * 2 + 1000,
        bytes.len() - 1,
    ] {
        let path = dir.path().join(format!("cut-{cut}.evtx"));
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let (records, errors) = read(&path, EvtxOptions::default()).unwrap();
        assert!(records <= full, "{cut}: {records} of {full}");
        let whole_chunks = (cut - 4096) / 65536;
        assert!(
            records > 0 || whole_chunks == 0,
            "{cut}: no records from {whole_chunks} whole chunks"
        );
        // The chunk the cut falls into is reported, with the file.
        let partial = (cut - 4096) % 65536 != 0;
        let reported = errors.iter().any(|e| {
            matches!(e, Error::Record { record_id: None, .. })
                && e.to_string().contains(&format!("cut-{cut}.evtx"))
                && e.to_string().contains("ends")
        });
        assert_eq!(reported, partial, "{cut}: {errors:?}");
    }
    // A header alone (the first chunk cut away) is still opened; it just has no whole chunk.
    let path = dir.path().join("header-only.evtx");
    std::fs::write(&path, &bytes[..4096]).unwrap();
    assert_eq!(read(&path, EvtxOptions::default()).unwrap().0, 0);
    // Less than a header is an open error naming the file.
    std::fs::write(&path, &bytes[..100]).unwrap();
    let error = read(&path, EvtxOptions::default()).unwrap_err();
    assert!(error.to_string().contains("header-only.evtx"), "{error}");
}

#[test]
fn garbage_inside_chunks_is_reported_per_record_and_does_not_panic() {
    let Some(source) = canhgac_testdata::require(SAMPLE) else {
        return;
    };
    let clean = std::fs::read(&source).unwrap();
    let (full, _) = read(&source, EvtxOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut seed = 7;
    let mut damaged_runs = 0;
    for round in 0..24 {
        let mut bytes = clean.clone();
        // Overwrite a few runs of bytes past the file header.
        for _ in 0..1 + round % 4 {
            let start = 4096 + (lcg(&mut seed) as usize % (bytes.len() - 4096 - 64));
            let len = 1 + lcg(&mut seed) as usize % 48;
            for byte in &mut bytes[start..start + len] {
                *byte = lcg(&mut seed) as u8;
            }
        }
        let path = dir.path().join(format!("damaged-{round}.evtx"));
        std::fs::write(&path, &bytes).unwrap();
        for options in [
            EvtxOptions::default(),
            EvtxOptions {
                recover_records: true,
                ..EvtxOptions::default()
            },
        ] {
            let (records, errors) = read(&path, options).unwrap();
            for error in &errors {
                let text = error.to_string();
                assert!(text.contains(&format!("damaged-{round}.evtx")), "{text}");
                assert!(matches!(error, Error::Record { .. }), "{text}");
            }
            if !errors.is_empty() || records < full {
                damaged_runs += 1;
            }
        }
    }
    assert!(damaged_runs > 0, "the damage should have hit some records");
}

#[test]
fn checksum_validation_skips_damaged_chunks_and_reports_them() {
    let Some(source) = canhgac_testdata::require(SAMPLE) else {
        return;
    };
    let mut bytes = std::fs::read(&source).unwrap();
    // One byte inside the first chunk's records.
    bytes[4096 + 1024] ^= 0xff;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("checksum.evtx");
    std::fs::write(&path, &bytes).unwrap();
    let (records, errors) = read(
        &path,
        EvtxOptions {
            validate_checksums: true,
            ..EvtxOptions::default()
        },
    )
    .unwrap();
    let (full, _) = read(&source, EvtxOptions::default()).unwrap();
    assert!(records < full, "{records} of {full}");
    assert!(
        errors
            .iter()
            .any(|e| matches!(e, Error::Record { record_id: None, .. })),
        "{errors:?}"
    );
}
