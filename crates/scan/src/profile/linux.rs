//! Quick and full scan roots on Linux, read from a root folder (`/` live, a fixture tree in tests).

use std::io::Read;
use std::path::{Path, PathBuf};

use super::Roots;

/// Where the system is read from.
#[derive(Debug, Clone)]
pub struct Sources {
    /// The root file system (`/` on a live system).
    pub root: PathBuf,
    /// The mount table (`/proc/self/mounts`).
    pub mounts: PathBuf,
}

impl Sources {
    /// The running system.
    pub fn live() -> Self {
        Self::under("/")
    }

    /// A system whose root file system is the folder `root` (mount table at `root/proc/self/mounts`).
    pub fn under(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        Self {
            mounts: root.join("proc/self/mounts"),
            root,
        }
    }
}

/// System-wide places of a quick scan, relative to the root.
pub const QUICK_SYSTEM: &[&str] = &[
    "tmp",
    "var/tmp",
    "dev/shm",
    "etc/crontab",
    "etc/cron.d",
    "etc/cron.hourly",
    "etc/cron.daily",
    "etc/cron.weekly",
    "etc/cron.monthly",
    "var/spool/cron",
    "etc/systemd/system",
    "etc/systemd/user",
    "usr/lib/systemd/system",
    "lib/systemd/system",
    "etc/init.d",
    "etc/rc.local",
    "etc/profile.d",
    "etc/ld.so.preload",
    "etc/xdg/autostart",
    "usr/local/bin",
    "usr/local/sbin",
    // Web roots: where web shells are dropped on a server.
    "var/www",
    "srv/www",
];

/// Places of a quick scan inside each home folder (`home/*` and `root`).
pub const QUICK_HOME: &[&str] = &[
    "Downloads",
    ".config/autostart",
    ".config/systemd/user",
    ".local/bin",
];

/// File system types that hold no files on a disk of this machine: kernel interfaces, memory, containers' layers.
pub const PSEUDO_FS: &[&str] = &[
    "proc",
    "sysfs",
    "tmpfs",
    "devtmpfs",
    "overlay",
    "devpts",
    "cgroup",
    "cgroup2",
    "securityfs",
    "debugfs",
    "tracefs",
    "pstore",
    "bpf",
    "mqueue",
    "hugetlbfs",
    "configfs",
    "fusectl",
    "autofs",
    "binfmt_misc",
    "efivarfs",
    "rpc_pipefs",
    "nsfs",
    "ramfs",
    "selinuxfs",
    "squashfs",
    "nfsd",
    "rootfs",
];

/// Network file systems (scanned on the machine that serves them).
pub const NETWORK_FS: &[&str] = &[
    "nfs",
    "nfs4",
    "cifs",
    "smb3",
    "smbfs",
    "ncpfs",
    "9p",
    "afs",
    "ceph",
    "glusterfs",
    "lustre",
    "davfs",
    "gfs2",
    "ocfs2",
];

/// The quick scan's existing places, canonical, without duplicates or places inside another.
pub fn quick_roots(sources: &Sources) -> Roots {
    let mut candidates: Vec<PathBuf> = QUICK_SYSTEM.iter().map(|p| sources.root.join(p)).collect();
    let mut homes: Vec<PathBuf> = match std::fs::read_dir(sources.root.join("home")) {
        Ok(dir) => dir
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .collect(),
        Err(_) => Vec::new(),
    };
    homes.sort();
    homes.push(sources.root.join("root"));
    for home in &homes {
        candidates.extend(QUICK_HOME.iter().map(|p| home.join(p)));
    }
    Roots {
        paths: existing_outermost(candidates),
        one_file_system: false,
        notes: Vec::new(),
    }
}

/// Every local disk file system in the mount table, each walked without crossing into other mounts.
pub fn full_roots(sources: &Sources) -> Roots {
    let mut notes = Vec::new();
    let text = match read_capped(&sources.mounts, 4 << 20) {
        Ok(t) => t,
        Err(e) => {
            notes.push(format!(
                "{}: {e}; scanning {} as one file system",
                sources.mounts.display(),
                sources.root.display()
            ));
            return Roots {
                paths: vec![sources.root.clone()],
                one_file_system: true,
                notes,
            };
        }
    };
    let mut paths = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut fields = line.split_whitespace();
        let (Some(_device), Some(mount), Some(fstype)) = (fields.next(), fields.next(), fields.next()) else {
            if !line.trim().is_empty() {
                notes.push(format!(
                    "{}:{}: not a mount line",
                    sources.mounts.display(),
                    n + 1
                ));
            }
            continue;
        };
        if !is_local_disk(fstype) {
            continue;
        }
        let mount = unescape(mount);
        let relative = mount.trim_start_matches('/');
        let path = if relative.is_empty() {
            sources.root.clone()
        } else {
            sources.root.join(relative)
        };
        if path.is_dir() && !paths.contains(&path) {
            paths.push(path);
        }
    }
    Roots {
        paths,
        one_file_system: true,
        notes,
    }
}

/// True for a file system type that keeps files on a local disk.
pub fn is_local_disk(fstype: &str) -> bool {
    if PSEUDO_FS.contains(&fstype) || NETWORK_FS.contains(&fstype) {
        return false;
    }
    // FUSE: only block-device backed file systems (NTFS through ntfs-3g) are local; sshfs, gvfs and the like not.
    !(fstype == "fuse" || fstype.starts_with("fuse.") || fstype.starts_with("nfs"))
}

/// Undoes the mount table's octal escapes (`\040` space, `\011` tab, `\012` newline, `\134` backslash).
pub fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && i + 4 <= bytes.len()
            && bytes[i + 1..i + 4].iter().all(|b| (b'0'..=b'7').contains(b))
        {
            let v = bytes[i + 1..i + 4]
                .iter()
                .fold(0u32, |a, b| a * 8 + u32::from(b - b'0'));
            if let Ok(b) = u8::try_from(v) {
                out.push(b);
                i += 4;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The candidates that exist, canonical, sorted, without duplicates and without any inside another kept one.
pub(crate) fn existing_outermost(candidates: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = candidates
        .into_iter()
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    found.sort();
    found.dedup();
    let mut kept: Vec<PathBuf> = Vec::new();
    for p in found {
        if !kept.iter().any(|k| p.starts_with(k)) {
            kept.push(p);
        }
    }
    kept
}

fn read_capped(path: &Path, cap: u64) -> std::io::Result<String> {
    let mut text = String::new();
    std::fs::File::open(path)?.take(cap).read_to_string(&mut text)?;
    Ok(text)
}

#[cfg(all(test, unix))]
mod tests;
