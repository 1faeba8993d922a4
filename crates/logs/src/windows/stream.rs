//! A streaming iterator over the events of many `.evtx` files, with bounded memory.
//!
//! A reader thread walks the files one after the other (each parsed in parallel over its chunks, see
//! [`read_evtx_file`]) and hands events over in batches through a bounded channel: at most
//! [`EvtxStream::BATCHES_IN_FLIGHT`] batches of [`EvtxStream::BATCH`] events wait for the consumer, so a folder of
//! any size is read in constant memory. Dropping the stream stops the reader at its next batch.

use std::ffi::OsStr;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use super::event::WinEvent;
use super::evtx_file::{read_evtx_file_while, EvtxOptions};
use crate::error::{Error, Result};

/// Every `.evtx` file (extension in any case) under `root`, recursively, sorted by path; `root` itself when it is
/// a file. A folder that cannot be listed is an [`Error::Io`].
pub fn find_evtx_files(root: &Path) -> Result<Vec<PathBuf>> {
    find_files(root, "evtx")
}

/// Every file whose extension is `extension` (in any case) under `root`, recursively, sorted by path; `root`
/// itself when it is a file. A folder that cannot be listed is an [`Error::Io`].
pub fn find_files(root: &Path, extension: &str) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    if root.is_file() {
        found.push(root.to_owned());
        return Ok(found);
    }
    let mut pending = vec![root.to_owned()];
    while let Some(dir) = pending.pop() {
        let io = |source| Error::Io {
            source_name: dir.display().to_string(),
            source,
        };
        for entry in std::fs::read_dir(&dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path
                .extension()
                .and_then(OsStr::to_str)
                .is_some_and(|e| e.eq_ignore_ascii_case(extension))
            {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Events of many EVTX files, in file order then record order; a file that cannot be opened and a record that
/// cannot be read each come as an error item, and reading goes on.
///
/// ```no_run
/// use canhgac_logs::windows::{evtx_file::EvtxOptions, stream::{find_evtx_files, EvtxStream}};
/// let files = find_evtx_files("logs".as_ref())?;
/// let (mut events, mut errors) = (0, 0);
/// for item in EvtxStream::new(files, EvtxOptions::default()) {
///     match item {
///         Ok(_) => events += 1,
///         Err(error) => { errors += 1; eprintln!("{error}") }
///     }
/// }
/// # Ok::<(), canhgac_logs::Error>(())
/// ```
#[derive(Debug)]
pub struct EvtxStream {
    batches: Receiver<Vec<Result<WinEvent>>>,
    current: std::vec::IntoIter<Result<WinEvent>>,
    reader: Option<JoinHandle<()>>,
}

impl EvtxStream {
    /// Events per batch handed from the reader thread.
    pub const BATCH: usize = 512;
    /// Batches that may wait for the consumer.
    pub const BATCHES_IN_FLIGHT: usize = 4;

    /// Starts reading `files` on a reader thread.
    pub fn new(files: Vec<PathBuf>, options: EvtxOptions) -> Self {
        let (sender, batches) = sync_channel(Self::BATCHES_IN_FLIGHT);
        let reader = std::thread::Builder::new()
            .name("evtx-reader".to_owned())
            .spawn(move || read_all(&files, options, &sender));
        let (reader, current) = match reader {
            Ok(handle) => (Some(handle), Vec::new().into_iter()),
            Err(source) => {
                let error = Error::Io {
                    source_name: "evtx reader thread".to_owned(),
                    source,
                };
                (None, vec![Err(error)].into_iter())
            }
        };
        Self {
            batches,
            current,
            reader,
        }
    }
}

fn read_all(files: &[PathBuf], options: EvtxOptions, sender: &SyncSender<Vec<Result<WinEvent>>>) {
    let mut batch = Vec::with_capacity(EvtxStream::BATCH);
    for path in files {
        let mut stopped = false;
        let outcome = read_evtx_file_while(path, options, |item| {
            batch.push(item);
            if batch.len() >= EvtxStream::BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(EvtxStream::BATCH));
                if sender.send(full).is_err() {
                    stopped = true;
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        });
        if stopped {
            return;
        }
        if let Err(error) = outcome {
            batch.push(Err(error));
        }
    }
    if !batch.is_empty() {
        // The consumer may be gone; nothing left to do either way.
        let _ = sender.send(batch);
    }
}

impl Iterator for EvtxStream {
    type Item = Result<WinEvent>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.current.next() {
                return Some(item);
            }
            match self.batches.recv() {
                Ok(batch) => self.current = batch.into_iter(),
                Err(_) => {
                    if let Some(reader) = self.reader.take() {
                        if let Err(panic) = reader.join() {
                            std::panic::resume_unwind(panic);
                        }
                    }
                    return None;
                }
            }
        }
    }
}
