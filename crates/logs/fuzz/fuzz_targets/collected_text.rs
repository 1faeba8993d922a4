//! Any bytes as a collected stream: framed, then each frame through format detection and the parsers; never a
//! panic, and every error names a column inside the line.
#![no_main]

use canhgac_logs::collect::framing::FrameDecoder;
use canhgac_logs::{parse_line, parse_win_json_line, Received};
use chrono::DateTime;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let received = Received::at(DateTime::from_timestamp(1_709_294_400, 0).unwrap_or_default());
    let mut decoder = FrameDecoder::new(4096);
    for part in data.chunks(61) {
        decoder.push(part);
        while let Some(frame) = decoder.next_frame() {
            check(frame.map(|f| f.data).ok(), received);
        }
    }
    while let Some(frame) = decoder.finish() {
        check(frame.map(|f| f.data).ok(), received);
    }
});

fn check(frame: Option<Vec<u8>>, received: Received) {
    let Some(frame) = frame else { return };
    let line = String::from_utf8_lossy(&frame);
    if let Err(error) = parse_line(&line, received) {
        assert!(
            error.column >= 1 && error.column <= line.len() + 2,
            "{line:?}: {error}"
        );
    }
    let _ = parse_win_json_line(&line);
}
