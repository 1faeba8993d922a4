//! Log parsers: Windows event logs (EVTX files and the JSON lines event shippers write) into [`WinEvent`], and the
//! formats a collector receives — syslog (RFC 3164, RFC 5424), CEF, key=value firewall lines, Suricata EVE JSON —
//! into the common [`Event`].
//!
//! A pure library: it reads files it is given and parses bytes; no network, no database. Nothing is dropped
//! silently: a record or line that cannot be parsed comes back as an [`Error`] naming its file, record or line and
//! column, and the good ones around it are kept.
//!
//! ```
//! use canhgac_logs::windows::json_lines::parse_win_json_line;
//! let line = r#"{"EventID":4688,"Channel":"Security","Hostname":"WS5","TimeCreated":"2020-10-21 12:19:04.411",
//!               "NewProcessName":"C:\\Windows\\System32\\netsh.exe"}"#;
//! let (event, _shape) = parse_win_json_line(line).unwrap();
//! assert_eq!((event.event_id, event.computer.as_str()), (4688, "WS5"));
//! assert_eq!(event.field("NewProcessName"), Some(r"C:\Windows\System32\netsh.exe"));
//! ```
#![deny(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod collect;
pub mod error;
pub mod time;
pub mod windows;

pub use collect::event::{Event, EventFormat, Severity};
pub use error::{Error, ParseError, Result};
pub use windows::event::WinEvent;
pub use windows::evtx_file::{read_evtx_file, EvtxOptions, EvtxStats};
pub use windows::json_lines::{parse_win_json_line, WinJsonShape};
pub use windows::stream::{find_evtx_files, EvtxStream};
