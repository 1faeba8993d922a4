//! Any bytes as an EVTX file: events or located errors, never a panic or a hang.
#![no_main]

use std::path::Path;

use canhgac_logs::{read_evtx_bytes, EvtxOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for recover_records in [false, true] {
        let options = EvtxOptions {
            threads: 1,
            keep_json: true,
            recover_records,
            validate_checksums: false,
        };
        let _ = read_evtx_bytes(data.to_vec(), Path::new("fuzz.evtx"), options, |item| {
            if let Ok(event) = item {
                assert!(event.original.is_some());
            }
        });
    }
});
