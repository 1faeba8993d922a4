//! Reading one `.evtx` file with the `evtx` crate into [`WinEvent`]s.
//!
//! Each record is rendered once, to JSON bytes, by the `evtx` crate and converted on the same worker thread that
//! parsed its chunk, so the conversion runs in parallel over chunks with the crate's own bounded pipeline (at most
//! two chunks in flight per thread). A record that cannot be read or converted is reported as an
//! [`Error::Record`] naming the file and record; the other records are kept. A file whose header is not EVTX is an
//! [`Error::Open`].

use std::ops::ControlFlow;
use std::path::Path;

use evtx::{EvtxParser, ParserSettings, SerializedEvtxRecord};
use serde_json::Value;

use super::event::WinEvent;
use super::flatten::{flatten_event, scalar_text};
use super::visit::flatten_event_bytes;
use crate::error::{Error, Result};
use crate::time::{from_evtx, parse_timestamp};

/// How to read EVTX files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvtxOptions {
    /// Worker threads over a file's chunks; 0 lets the thread pool decide (one per core), 1 parses inline.
    pub threads: usize,
    /// Keep each record's JSON text in [`WinEvent::original`].
    pub keep_json: bool,
    /// Also carve stale records from unallocated chunk space (cleared logs, chunk slack). Carved records that
    /// cannot be read are not reported (they are noise by nature).
    pub recover_records: bool,
    /// Skip chunks whose checksums are wrong (each is reported as an error) instead of reading them anyway.
    pub validate_checksums: bool,
}

impl Default for EvtxOptions {
    fn default() -> Self {
        Self {
            threads: 0,
            keep_json: true,
            recover_records: false,
            validate_checksums: false,
        }
    }
}

impl EvtxOptions {
    fn settings(self) -> ParserSettings {
        ParserSettings::new()
            .num_threads(self.threads)
            .indent(false)
            .separate_json_attributes(false)
            .recover_records(self.recover_records)
            .validate_checksums(self.validate_checksums)
    }
}

/// What reading a file gave: records converted and records (or chunks) that failed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EvtxStats {
    /// Records converted into events.
    pub records: u64,
    /// Records or chunks that could not be read or converted (each one was handed over as an error).
    pub errors: u64,
}

/// Reads `path` and hands every event, or the error for a record that failed, to `sink`, in record order.
///
/// Returns the counts, or [`Error::Open`] when the file cannot be opened as EVTX at all.
///
/// ```no_run
/// use canhgac_logs::windows::evtx_file::{read_evtx_file, EvtxOptions};
/// let stats = read_evtx_file("Security.evtx".as_ref(), EvtxOptions::default(), |item| match item {
///     Ok(event) => println!("{} {} {}", event.timestamp, event.channel, event.event_id),
///     Err(error) => eprintln!("{error}"),
/// })?;
/// println!("{} records, {} errors", stats.records, stats.errors);
/// # Ok::<(), canhgac_logs::Error>(())
/// ```
pub fn read_evtx_file(
    path: &Path,
    options: EvtxOptions,
    mut sink: impl FnMut(Result<WinEvent>),
) -> Result<EvtxStats> {
    read_evtx_file_while(path, options, |item| {
        sink(item);
        ControlFlow::Continue(())
    })
}

/// Like [`read_evtx_file`], but stops early when `sink` answers [`ControlFlow::Break`].
pub fn read_evtx_file_while(
    path: &Path,
    options: EvtxOptions,
    mut sink: impl FnMut(Result<WinEvent>) -> ControlFlow<()>,
) -> Result<EvtxStats> {
    let mut parser = open(path, options)?;
    let cut_chunk = cut_chunk(path, u64::from(parser.header().header_block_size))?;
    let keep_json = options.keep_json;
    let mut stats = EvtxStats::default();
    let records = parser.serialized_records(move |record| {
        let record = record?;
        let recovered = record.recovered;
        let record_id = record.event_record_id;
        let converted = record
            .into_json_bytes()
            .map(|json| convert_record(json, keep_json));
        match converted {
            Ok(Ok(event)) => Ok(Ok(event)),
            // Carved records that do not render are noise; the `evtx` crate drops them when we return an error.
            Err(error) if recovered => Err(error),
            Ok(Err(reason)) if recovered => Err(evtx::err::EvtxError::CalculationError(reason)),
            Err(error) => Ok(Err((Some(record_id), error_chain(&error)))),
            Ok(Err(reason)) => Ok(Err((Some(record_id), reason))),
        }
    });
    for item in records {
        let item = match item {
            Ok(Ok(event)) => Ok(event),
            Ok(Err((record_id, reason))) => Err(Error::Record {
                path: path.to_owned(),
                record_id,
                reason,
            }),
            Err(error) => Err(Error::Record {
                path: path.to_owned(),
                record_id: record_of(&error),
                reason: error_chain(&error),
            }),
        };
        match item {
            Ok(_) => stats.records += 1,
            Err(_) => stats.errors += 1,
        }
        if sink(item).is_break() {
            return Ok(stats);
        }
    }
    if let Some(reason) = cut_chunk {
        stats.errors += 1;
        // The stats are returned either way; an early stop changes nothing here.
        let _ = sink(Err(Error::Record {
            path: path.to_owned(),
            record_id: None,
            reason,
        }));
    }
    Ok(stats)
}

fn open(path: &Path, options: EvtxOptions) -> Result<EvtxParser<std::fs::File>> {
    let parser = EvtxParser::from_path(path).map_err(|error| Error::Open {
        path: path.to_owned(),
        reason: error_chain(&error),
    })?;
    Ok(parser.with_configuration(options.settings()))
}

/// The error and its causes, `: `-separated (the `evtx` crate's messages say where, their causes say why).
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let message = inner.to_string();
        if !text.ends_with(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        cause = inner.source();
    }
    text
}

/// The size of an EVTX chunk.
const CHUNK_SIZE: u64 = 65_536;

/// When the file ends inside a chunk (a truncated copy), the `evtx` crate does not read that chunk: say so.
fn cut_chunk(path: &Path, header_size: u64) -> Result<Option<String>> {
    let len = std::fs::metadata(path)
        .map_err(|source| Error::Io {
            source_name: path.display().to_string(),
            source,
        })?
        .len();
    let partial = len.saturating_sub(header_size) % CHUNK_SIZE;
    Ok((partial != 0).then(|| {
        let chunk = len.saturating_sub(header_size) / CHUNK_SIZE;
        format!("the file ends {partial} bytes into chunk {chunk} (chunks are {CHUNK_SIZE} bytes): its records are not read")
    }))
}

/// The record id an `evtx` error names, if any.
fn record_of(error: &evtx::err::EvtxError) -> Option<u64> {
    match error {
        evtx::err::EvtxError::FailedToParseRecord { record_id, .. } => Some(*record_id),
        _ => None,
    }
}

/// Converts one record rendered as JSON bytes; the error is the reason, for a person.
fn convert_record(json: SerializedEvtxRecord<Vec<u8>>, keep_json: bool) -> Result<WinEvent, String> {
    let fields = flatten_event_bytes(&json.data).map_err(|e| format!("rendered JSON is invalid: {e}"))?;
    let mut event = event_from_fields(fields)?;
    if event.record_id == 0 {
        event.record_id = json.event_record_id;
    }
    if !event
        .fields
        .iter()
        .any(|(n, v)| n == "TimeCreated" && parse_timestamp(v).is_some())
    {
        // No readable System/TimeCreated: the record header's time (when the record was written) is next best.
        event.timestamp = from_evtx(json.timestamp).unwrap_or_default();
    }
    if keep_json {
        event.original =
            Some(String::from_utf8(json.data).map_err(|e| format!("rendered JSON is not UTF-8: {e}"))?);
    }
    Ok(event)
}

/// Builds a [`WinEvent`] from a JSON document holding `{"Event": {"System": …, "EventData" | "UserData": …}}`,
/// the shape the `evtx` crate renders and `evtx_dump -o jsonl` writes.
pub(crate) fn event_from_json(value: &Value) -> Result<WinEvent, String> {
    let Some(Value::Object(event)) = value.get("Event") else {
        return Err("no `Event` object".to_owned());
    };
    event_from_fields(flatten_event(event))
}

/// Builds a [`WinEvent`] from flat fields: the headline values are taken from the System fields.
fn event_from_fields(fields: Vec<(String, String)>) -> Result<WinEvent, String> {
    let first = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    let event_id = first("EventID")
        .ok_or("no System/EventID")?
        .parse::<u32>()
        .map_err(|_| {
            format!(
                "System/EventID is not a number: {:?}",
                first("EventID").unwrap_or_default()
            )
        })?;
    let record_id = first("EventRecordID").and_then(|v| v.parse().ok()).unwrap_or(0);
    let timestamp = first("TimeCreated").and_then(parse_timestamp).unwrap_or_default();
    Ok(WinEvent {
        timestamp,
        computer: first("Computer").unwrap_or_default().to_owned(),
        channel: first("Channel").unwrap_or_default().to_owned(),
        event_id,
        record_id,
        provider: first("Provider_Name").unwrap_or_default().to_owned(),
        original: None,
        fields,
    })
}

/// The text of a JSON scalar (re-exported for the JSON-lines shapes).
pub(crate) fn text(value: &Value) -> String {
    scalar_text(value)
}
