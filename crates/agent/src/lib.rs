//! Host side of the canhgac endpoint agent: what runs on a monitored machine before anything is sent.
//!
//! Three host-side pieces, each usable alone, and the service that composes them with the server
//! ([`client`]: enroll, inventory, heartbeat, events over HTTPS; [`run`]: the loop and the state folder):
//!
//! 1. [`inventory`]: [`collect_inventory`] builds the `canhgac.inventory/1` document (OS, packages, interfaces,
//!    CPU, memory, disks, uptime) that `canhgac-vuln` reads; [`Inventory::fingerprint`] changes only when
//!    something other than volatile counters does, so the agent sends it on change.
//! 2. [`follow`]: [`FileFollower`] tails log files line by line across rotation (rename and copytruncate) with a
//!    checkpoint per file that the caller commits once a batch is safe, so a restart resumes exactly there.
//! 3. [`spool`]: [`Spool`] keeps NDJSON batches on disk in checksummed segment files until the server
//!    acknowledges them, bounded in size (oldest segment dropped and counted).
//!
//! ```no_run
//! use canhgac_agent::{FileFollower, FollowConfig, Spool, SpoolConfig};
//! # fn main() -> Result<(), canhgac_agent::Error> {
//! let inventory = canhgac_agent::collect_inventory()?;
//! println!("{} {}", inventory.hostname, inventory.fingerprint());
//!
//! let mut spool = Spool::open("/var/lib/canhgac-agent/spool", SpoolConfig::default())?;
//! let mut follower = FileFollower::open(
//!     "/var/lib/canhgac-agent/follow.json",
//!     &["/var/log/auth.log".into()],
//!     FollowConfig::new("host-42"),
//! )?;
//! let batch = follower.poll()?;
//! if !batch.lines.is_empty() {
//!     spool.push_events(&batch.lines)?; // durable on disk first…
//!     follower.commit(&batch.checkpoint)?; // …then the read position moves on
//! }
//! while let Some(record) = spool.peek()? {
//!     // send record.bytes (NDJSON); once the server accepted them:
//!     spool.ack()?;
//! }
//! # Ok(()) }
//! ```
#![deny(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod client;
mod error;
pub mod eventlog;
pub mod follow;
mod fsutil;
pub mod inventory;
#[cfg(unix)]
pub mod journald;
mod pin;
pub mod run;
#[cfg(windows)]
pub mod service;
pub mod spool;
pub mod tasks;

pub use client::{Enrollment, HttpClient, Pin, Transport, Trust};
pub use error::{Error, Result};
pub use follow::{Batch, Checkpoints, FileFollower, FollowConfig, Line};
pub use inventory::{collect_from, collect_inventory, Inventory, Sources};
pub use run::{enroll, enroll_with, open_enrolled, Agent, AgentState, RunStats, Schedule};
pub use spool::{Record, Spool, SpoolConfig, SpoolStats};
pub use tasks::{ScanConfig, Tasks};
