//! Windows event channels: [`xml`] turns a rendered event into the `evtx` JSON shape (pure, tested everywhere);
//! `subscribe` (Windows only) reads channels with `EvtSubscribe` and persisted bookmarks.

#[cfg(windows)]
mod subscribe;
pub mod xml;

#[cfg(windows)]
pub use subscribe::{event_id, ChannelBatch, ChannelEvent, EventLogFollower};
