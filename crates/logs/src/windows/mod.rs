//! Windows events: from `.evtx` files ([`evtx_file`], [`stream`]) and from JSON lines written by event shippers
//! ([`json_lines`]), all into one [`WinEvent`].

pub mod event;
pub mod evtx_file;
pub(crate) mod flatten;
pub mod json_lines;
pub mod stream;
mod visit;
