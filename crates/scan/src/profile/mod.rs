//! Scan profiles: which roots a quick or a full scan covers on the running system.
//!
//! - **Quick**: the places malware is usually dropped or made to start — temporary folders, each user's downloads,
//!   autostart and personal program folders, scheduled tasks and service definitions (Linux: cron and systemd
//!   folders, `/etc/rc.local`…; Windows: `%TEMP%`, each profile's `AppData`, downloads and Startup folders,
//!   `ProgramData`, and the programs named by the `Run`/`RunOnce` registry values).
//! - **Full**: every local file system (Linux: the mount table without pseudo and network file systems, each
//!   walked without crossing into other mounts; Windows: every fixed drive).
//!
//! The Linux resolution reads everything under a root folder (`/` live, a fixture tree in tests), like the
//! agent's inventory.

pub mod linux;
#[cfg(windows)]
mod windows;
pub mod windows_paths;

use std::path::PathBuf;

/// What to scan when no paths are given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanProfile {
    /// Common malware locations and autoruns.
    Quick,
    /// Every local fixed file system.
    Full,
}

impl std::str::FromStr for ScanProfile {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "quick" => Ok(Self::Quick),
            "full" => Ok(Self::Full),
            other => Err(format!("scan profile {other:?}: expected quick or full")),
        }
    }
}

/// The roots of a profile, and what was noticed while resolving them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roots {
    /// Existing files and folders to scan, without duplicates.
    pub paths: Vec<PathBuf>,
    /// Whether the walk must stay on each root's file system (full scans: the other mounts are roots of their
    /// own, or were left out on purpose).
    pub one_file_system: bool,
    /// Problems met (an unreadable mount table, registry key…), in words; resolution carries on.
    pub notes: Vec<String>,
}

impl ScanProfile {
    /// Resolves the profile on the running system.
    pub fn roots(self) -> Roots {
        #[cfg(windows)]
        {
            windows::roots(self)
        }
        #[cfg(not(windows))]
        {
            let sources = linux::Sources::live();
            match self {
                Self::Quick => linux::quick_roots(&sources),
                Self::Full => linux::full_roots(&sources),
            }
        }
    }
}
