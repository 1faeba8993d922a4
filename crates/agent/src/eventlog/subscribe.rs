//! Reading Windows event channels with `EvtSubscribe` in pull mode and a bookmark per channel (Windows only).
//!
//! Each channel gets one subscription: after its saved bookmark when there is one, else from future events. Each
//! [`EventLogFollower::poll`] takes what is waiting (`EvtNext` without waiting), renders every event as XML,
//! converts it to the `evtx` JSON shape ([`super::xml`]) and moves an in-memory bookmark past it. The bookmarks
//! are written to the state file (temporary file, fsync, rename) only when the caller commits the batch, after
//! the events are in the spool; a restart then resumes after the last committed event. An event's id is derived
//! from the source, channel and record number, so one read twice is stored once.

#![allow(unsafe_code, reason = "the Windows event log API")]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::ptr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use windows_sys::Win32::Foundation::{CloseHandle, ERROR_INSUFFICIENT_BUFFER, ERROR_NO_MORE_ITEMS, HANDLE};
use windows_sys::Win32::System::EventLog::{
    EvtClose, EvtCreateBookmark, EvtNext, EvtRender, EvtRenderBookmark, EvtRenderEventXml, EvtSubscribe,
    EvtSubscribeStartAfterBookmark, EvtSubscribeToFutureEvents, EvtUpdateBookmark, EVT_HANDLE,
};
use windows_sys::Win32::System::Threading::CreateEventW;

use crate::error::{Error, Result};
use crate::fsutil::{atomic_write, read_text};
use crate::inventory::hex;

/// One event read from a channel.
#[derive(Debug, Clone)]
pub struct ChannelEvent {
    /// Stable id (source, channel, record number).
    pub id: String,
    /// The channel.
    pub channel: String,
    /// The event in the `evtx` JSON shape.
    pub json: serde_json::Value,
}

/// Events of one poll and the bookmarks they leave.
#[derive(Debug, Default)]
pub struct ChannelBatch {
    pub events: Vec<ChannelEvent>,
    /// Bookmark XML per channel, to commit.
    pub bookmarks: BTreeMap<String, String>,
    /// Events that could not be rendered or converted, in words.
    pub rejected: Vec<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    version: u32,
    bookmarks: BTreeMap<String, String>,
}

struct Handle(EVT_HANDLE);

impl Drop for Handle {
    fn drop(&mut self) {
        if self.0 != 0 {
            // SAFETY: a handle this module opened and closes once.
            unsafe { EvtClose(self.0) };
        }
    }
}

struct Subscription {
    channel: String,
    handle: Handle,
    bookmark: Handle,
    signal: HANDLE,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        // SAFETY: the event object created for this subscription.
        unsafe { CloseHandle(self.signal) };
    }
}

/// Follows event channels.
pub struct EventLogFollower {
    source: String,
    state_path: PathBuf,
    subscriptions: Vec<Subscription>,
    /// The committed bookmarks, also of channels not subscribed this time (kept for when they come back).
    saved: BTreeMap<String, String>,
    /// Channels that could not be subscribed (absent, such as Sysmon's when Sysmon is not installed, or not
    /// readable), with why; the others are followed.
    pub skipped: Vec<String>,
}

fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(Some(0)).collect()
}

fn last_error(what: String) -> Error {
    Error::Command {
        command: what,
        message: std::io::Error::last_os_error().to_string(),
    }
}

/// The calling thread's last Windows error code (what `GetLastError` returns).
fn last_error_code() -> u32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .map_or(0, |c| c as u32)
}

/// Renders an event (XML) or a bookmark into a string.
fn render(handle: EVT_HANDLE, flags: u32) -> std::result::Result<String, u32> {
    let mut used = 0u32;
    let mut count = 0u32;
    // SAFETY: a size query with no buffer.
    let ok = unsafe { EvtRender(0, handle, flags, 0, ptr::null_mut(), &mut used, &mut count) };
    if ok == 0 {
        let err = last_error_code();
        if err != ERROR_INSUFFICIENT_BUFFER {
            return Err(err);
        }
    }
    let mut buf = vec![0u16; (used as usize).div_ceil(2)];
    // SAFETY: `buf` holds `used` bytes.
    let ok = unsafe {
        EvtRender(
            0,
            handle,
            flags,
            used,
            buf.as_mut_ptr().cast(),
            &mut used,
            &mut count,
        )
    };
    if ok == 0 {
        return Err(last_error_code());
    }
    let end = buf.iter().position(|&c| c == 0).unwrap_or(buf.len());
    Ok(String::from_utf16_lossy(&buf[..end]))
}

/// The stable id of an event.
pub fn event_id(source: &str, channel: &str, record: u64) -> String {
    let mut h = Sha256::new();
    for part in [source.as_bytes(), channel.as_bytes()] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part);
    }
    h.update(record.to_le_bytes());
    let mut id = hex(&h.finalize());
    id.truncate(32);
    id
}

impl EventLogFollower {
    /// Subscribes to `channels` (`Security`, `System`, `Microsoft-Windows-Sysmon/Operational`…), after their
    /// bookmarks in `state_path` when there are. A channel that cannot be subscribed is listed in
    /// [`EventLogFollower::skipped`]; an unreadable state file is an error.
    pub fn open(
        state_path: impl Into<PathBuf>,
        channels: &[String],
        source: impl Into<String>,
    ) -> Result<Self> {
        let state_path = state_path.into();
        let state: State = match read_text(&state_path, 16 << 20)? {
            Some(text) => serde_json::from_str(&text).map_err(|e| Error::Corrupt {
                path: state_path.clone(),
                line: e.line(),
                message: e.to_string(),
            })?,
            None => State::default(),
        };
        let mut subscriptions = Vec::new();
        let mut skipped = Vec::new();
        for channel in channels {
            let saved = state.bookmarks.get(channel);
            let bookmark_xml = saved.map(|x| wide(x));
            // SAFETY: a NUL-terminated string or null (a new, empty bookmark).
            let bookmark = Handle(unsafe {
                EvtCreateBookmark(bookmark_xml.as_ref().map_or(ptr::null(), |x| x.as_ptr()))
            });
            if bookmark.0 == 0 {
                return Err(last_error(format!("EvtCreateBookmark for {channel}")));
            }
            // SAFETY: manual-reset event, initially signalled, no name.
            let signal = unsafe { CreateEventW(ptr::null(), 1, 1, ptr::null()) };
            if signal.is_null() {
                return Err(last_error("CreateEventW".into()));
            }
            let flags = if saved.is_some() {
                EvtSubscribeStartAfterBookmark
            } else {
                EvtSubscribeToFutureEvents
            };
            let path = wide(channel);
            let query = wide("*");
            // SAFETY: valid strings, signal and bookmark handles; pull mode (no callback).
            let handle = unsafe {
                EvtSubscribe(
                    0,
                    signal,
                    path.as_ptr(),
                    query.as_ptr(),
                    bookmark.0,
                    ptr::null(),
                    None,
                    flags,
                )
            };
            if handle == 0 {
                let err = last_error(format!("EvtSubscribe {channel}"));
                // SAFETY: the event created above.
                unsafe { CloseHandle(signal) };
                skipped.push(format!("{channel}: {err}"));
                continue;
            }
            subscriptions.push(Subscription {
                channel: channel.clone(),
                handle: Handle(handle),
                bookmark,
                signal,
            });
        }
        Ok(Self {
            source: source.into(),
            state_path,
            subscriptions,
            saved: state.bookmarks,
            skipped,
        })
    }

    /// What is waiting on every channel, at most `max` events in all.
    pub fn poll(&mut self, max: usize) -> Result<ChannelBatch> {
        let mut batch = ChannelBatch::default();
        for sub in &self.subscriptions {
            let mut handles = [0isize; 64];
            while batch.events.len() < max {
                let want = (max - batch.events.len()).min(handles.len()) as u32;
                let mut returned = 0u32;
                // SAFETY: `handles` has room for `want` handles; no waiting.
                let ok = unsafe { EvtNext(sub.handle.0, want, handles.as_mut_ptr(), 0, 0, &mut returned) };
                if ok == 0 {
                    if last_error_code() == ERROR_NO_MORE_ITEMS {
                        break;
                    }
                    return Err(last_error(format!("EvtNext {}", sub.channel)));
                }
                for &h in &handles[..returned as usize] {
                    let event = Handle(h);
                    match render(event.0, EvtRenderEventXml)
                        .map_err(|e| format!("render error {e}"))
                        .and_then(|xml| super::xml::event_to_json(&xml))
                    {
                        Ok(json) => {
                            let record = json["Event"]["System"]["EventRecordID"].as_u64().unwrap_or(0);
                            batch.events.push(ChannelEvent {
                                id: event_id(&self.source, &sub.channel, record),
                                channel: sub.channel.clone(),
                                json,
                            });
                        }
                        Err(e) => batch.rejected.push(format!("{}: {e}", sub.channel)),
                    }
                    // SAFETY: both handles are open.
                    if unsafe { EvtUpdateBookmark(sub.bookmark.0, event.0) } == 0 {
                        return Err(last_error(format!("EvtUpdateBookmark {}", sub.channel)));
                    }
                }
            }
            match render(sub.bookmark.0, EvtRenderBookmark) {
                Ok(xml) => {
                    batch.bookmarks.insert(sub.channel.clone(), xml);
                }
                Err(e) => batch
                    .rejected
                    .push(format!("{}: bookmark not rendered (error {e})", sub.channel)),
            }
        }
        Ok(batch)
    }

    /// Saves a batch's bookmarks as the resume point (the other channels' saved ones kept).
    pub fn commit(&mut self, bookmarks: &BTreeMap<String, String>) -> Result<()> {
        self.saved
            .extend(bookmarks.iter().map(|(k, v)| (k.clone(), v.clone())));
        let state = State {
            version: 1,
            bookmarks: self.saved.clone(),
        };
        let text = serde_json::to_vec_pretty(&state).map_err(|e| Error::Corrupt {
            path: self.state_path.clone(),
            line: 0,
            message: e.to_string(),
        })?;
        atomic_write(&self.state_path, &text)
    }
}
