//! Reads every `.evtx` file under the given paths into `WinEvent`s and prints the counts; with `--jsonl`, also
//! writes each event's fields as one JSON line to stdout (the work `evtx_dump -o jsonl` does, plus flattening).
//!
//! `cargo run --release -p canhgac-logs --example evtx_winevents -- [--threads N] [--jsonl] PATH...`

use std::io::Write;

use canhgac_logs::{find_evtx_files, read_evtx_file, EvtxOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut options = EvtxOptions {
        keep_json: false,
        ..EvtxOptions::default()
    };
    let mut jsonl = false;
    let mut files = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--threads" => options.threads = args.next().ok_or("--threads needs a number")?.parse()?,
            "--jsonl" => jsonl = true,
            path => files.extend(find_evtx_files(path.as_ref())?),
        }
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let (mut records, mut errors) = (0, 0);
    for path in &files {
        let stats = read_evtx_file(path, options, |item| match item {
            Ok(event) if jsonl => {
                let fields: serde_json::Map<String, serde_json::Value> = event
                    .fields
                    .into_iter()
                    .map(|(n, v)| (n, serde_json::Value::String(v)))
                    .collect();
                // A closed stdout is reported when the buffer is flushed at the end.
                let _ = serde_json::to_writer(&mut out, &fields).map_err(std::io::Error::from);
                let _ = out.write_all(b"\n");
            }
            Ok(_) => {}
            Err(error) => eprintln!("{error}"),
        });
        match stats {
            Ok(stats) => {
                records += stats.records;
                errors += stats.errors;
            }
            Err(error) => {
                errors += 1;
                eprintln!("{error}");
            }
        }
    }
    out.flush()?;
    eprintln!("{} files, {records} records, {errors} errors", files.len());
    Ok(())
}
