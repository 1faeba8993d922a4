//! What a host is: the `canhgac.inventory/1` document.
//!
//! The members `schema`, `hostname`, `os {name, version, display_version, architecture, id, version_id}`,
//! `hotfixes` and `software [{name, version, source, source_package, source_version}]` are the ones
//! `canhgac-vuln` reads (`crates/vuln/src/inventory/agent.rs`); the others
//! (domain, interfaces, CPU, memory, disks, uptime, boot time, package architecture and origin) are extensions that
//! reader ignores.
//!
//! Every collector reads from a [`Sources`] root (`/` on a live host, a fixture folder in tests), so each piece is
//! tested on files written for the purpose. On Windows the same document is built from `reg query` output
//! ([`windows`]); the reading of the registry itself is compiled only with `cfg(windows)`.

mod hardware;
mod network;
mod os_release;
mod packages;
pub mod windows;

pub use hardware::{parse_cpuinfo, parse_meminfo_total, parse_mounts, parse_stat_btime, parse_uptime, Mount};
pub use network::{interfaces_from, read_macs};
pub use os_release::{dotted_version, OsRelease};
pub use packages::{parse_dpkg_status, parse_rpm_query, DpkgStatus, LineProblem, RPM_QUERY_FORMAT};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::path::PathBuf;

/// The schema name written in every inventory, the one `canhgac-vuln` reads.
pub const SCHEMA: &str = "canhgac.inventory/1";

/// One host's inventory, serialisable to the `canhgac.inventory/1` JSON document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// Host name without the domain.
    pub hostname: String,
    /// DNS (Linux) or Active Directory (Windows) domain, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Operating system.
    pub os: OsInfo,
    /// Installed Windows updates (`KB5034122`); empty elsewhere.
    #[serde(default)]
    pub hotfixes: Vec<String>,
    /// Installed packages or programs, sorted; `None` when no package database was found (then the list is
    /// unknown rather than empty — `canhgac-vuln` takes a present list as complete).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software: Option<Vec<Software>>,
    /// Network interfaces, sorted by name.
    #[serde(default)]
    pub interfaces: Vec<Interface>,
    /// Processor.
    pub cpu: Cpu,
    /// Physical memory in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_total_bytes: Option<u64>,
    /// Mounted disk file systems, sorted by mount point.
    #[serde(default)]
    pub disks: Vec<Disk>,
    /// Seconds since boot (volatile: not part of the [`Inventory::fingerprint`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uptime_seconds: Option<u64>,
    /// Last boot, RFC 3339 UTC (volatile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_boot: Option<String>,
    /// When this inventory was taken, RFC 3339 UTC (volatile).
    pub collected_at: String,
    /// Lines or values that could not be read, with file and line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// The operating system.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsInfo {
    /// Display name: `Debian GNU/Linux 12 (bookworm)`, `Microsoft Windows 10 Pro`.
    pub name: String,
    /// Dotted numeric version (`canhgac-vuln` requires digits and dots): Windows `10.0.19045.3930`, Linux the
    /// numeric part of `VERSION_ID` (`12`, `22.04`), or `0` when the distribution has none (rolling releases).
    pub version: String,
    /// Windows release name (`22H2`); the distribution's `VERSION_CODENAME` on Linux.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_version: Option<String>,
    /// `x64`, `x86`, `arm64`, or the machine name as the kernel gives it for other processors.
    pub architecture: String,
    /// Distribution id (`debian`, `rhel`) or `windows`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `VERSION_ID` as written, when it is not purely numeric.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// Kernel release (`6.1.0-18-amd64`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<String>,
}

/// An installed package or program.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Software {
    /// Package or display name.
    pub name: String,
    /// Version as the package manager writes it (`1:2.3-4`, `5.14.0-362.el9`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Package architecture (`amd64`, `x86_64`, `noarch`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
    /// Where it was read: `dpkg`, `rpm` or `windows`.
    pub source: String,
    /// dpkg's `Source:`: the source package a binary package was built from, when its name differs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_package: Option<String>,
    /// The source package's version, when dpkg's `Source:` gives one (it differs from the binary's, e.g. a
    /// binary-only rebuild `+b1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
}

/// A network interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interface {
    /// Interface name (`eth0`).
    pub name: String,
    /// Hardware address, lower-case, colon-separated; absent for interfaces without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    /// Addresses, sorted.
    #[serde(default)]
    pub addresses: Vec<IpAddr>,
}

/// The processor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cpu {
    /// Model name (`Intel(R) Xeon(R) Silver 4210R CPU @ 2.40GHz`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Logical processors.
    pub count: usize,
}

/// A mounted disk file system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disk {
    /// Mount point (`/`, `C:\`).
    pub mount: String,
    /// Device (`/dev/sda1`).
    pub device: String,
    /// File system type (`ext4`, `NTFS`).
    pub fs_type: String,
    /// Size in bytes.
    pub total_bytes: u64,
    /// Bytes available to unprivileged users (volatile).
    pub free_bytes: u64,
}

impl Inventory {
    /// A stable SHA-256 (hex) of the content without the volatile members — `collected_at`, `uptime_seconds`,
    /// `last_boot`, each disk's `free_bytes` and the warnings — so the agent sends an inventory only when this
    /// changes.
    pub fn fingerprint(&self) -> String {
        let mut stable = self.clone();
        stable.collected_at.clear();
        stable.uptime_seconds = None;
        stable.last_boot = None;
        stable.warnings.clear();
        for d in &mut stable.disks {
            d.free_bytes = 0;
        }
        // Serialising a struct writes members in declaration order, and every list is sorted at collection.
        let bytes = serde_json::to_vec(&stable).unwrap_or_default();
        hex(&Sha256::digest(&bytes))
    }

    /// The JSON document.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// Lower-case hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Where the collectors read from.
#[derive(Debug, Clone)]
pub struct Sources {
    /// Root of the file system: `/` on a live host; `proc`, `sys`, `etc` and `var/lib/dpkg` are read under it.
    pub root: PathBuf,
    /// Query the rpm database with the `rpm` program when one is found on `PATH`.
    pub run_rpm: bool,
    /// Measure disk sizes with `statvfs` (mount points are taken under `root`).
    pub measure_disks: bool,
    /// Read interface addresses from the running system (`getifaddrs`); off for fixture roots.
    pub live_addresses: bool,
}

impl Sources {
    /// The running system.
    pub fn system() -> Self {
        Self {
            root: PathBuf::from("/"),
            run_rpm: true,
            measure_disks: true,
            live_addresses: true,
        }
    }

    /// A folder laid out like a root file system, nothing taken from the running system.
    pub fn fixture(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            run_rpm: false,
            measure_disks: false,
            live_addresses: false,
        }
    }
}

mod collect;
pub use collect::{collect_from, collect_inventory};
