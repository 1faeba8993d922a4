//! Parsers for what a collector receives — syslog, CEF, key=value firewall lines, Suricata EVE JSON — into the
//! common [`Event`](event::Event), with the stream framing helpers and [`parse_line`](detect::parse_line) that
//! recognises the format of each line.

pub mod cef;
pub mod detect;
pub mod eve;
pub mod event;
pub mod framing;
pub mod kv;
pub mod received;
pub mod syslog;
pub mod zeek;
