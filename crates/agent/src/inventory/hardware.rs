//! Processor, memory, uptime and disks from `/proc` text.

use super::Cpu;

/// Logical processor count and model name from `/proc/cpuinfo` (x86 `model name`; ARM `Model` or `Hardware`).
pub fn parse_cpuinfo(text: &str) -> Cpu {
    let mut cpu = Cpu::default();
    let mut fallback = None;
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        match key {
            "processor" => cpu.count += 1,
            "model name" if cpu.model.is_none() && !value.is_empty() => cpu.model = Some(value.to_owned()),
            "Model" | "Hardware" | "cpu model" if fallback.is_none() && !value.is_empty() => {
                fallback = Some(value.to_owned());
            }
            _ => {}
        }
    }
    cpu.model = cpu.model.or(fallback);
    cpu
}

/// `MemTotal` from `/proc/meminfo`, in bytes.
pub fn parse_meminfo_total(text: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let rest = l.strip_prefix("MemTotal:")?;
        let mut parts = rest.split_whitespace();
        let n: u64 = parts.next()?.parse().ok()?;
        match parts.next() {
            Some("kB") => n.checked_mul(1024),
            None => Some(n),
            Some(_) => None,
        }
    })
}

/// Whole seconds since boot from `/proc/uptime` (`12345.67 54321.00`).
pub fn parse_uptime(text: &str) -> Option<u64> {
    let first = text.split_whitespace().next()?;
    let whole = first.split('.').next()?;
    whole.parse().ok()
}

/// Boot time (seconds since 1970) from the `btime` line of `/proc/stat`.
pub fn parse_stat_btime(text: &str) -> Option<i64> {
    text.lines()
        .find_map(|l| l.strip_prefix("btime ").and_then(|v| v.trim().parse().ok()))
}

/// A mounted file system from `/proc/mounts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// Device (`/dev/sda1`).
    pub device: String,
    /// Mount point, with the kernel's octal escapes (`\040` for a space) decoded.
    pub mount: String,
    /// File system type.
    pub fs_type: String,
}

/// Local disk file systems; pseudo (proc, tmpfs, cgroup, overlay…) and network file systems (whose `statvfs` can
/// hang) are left out.
const DISK_FS: &[&str] = &[
    "ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "vfat", "exfat", "ntfs", "ntfs3", "fuseblk", "f2fs",
    "jfs", "reiserfs", "hfsplus", "bcachefs",
];

/// The disk file systems of `/proc/mounts`, each device once (its first mount point: later ones are bind mounts),
/// sorted by mount point.
pub fn parse_mounts(text: &str) -> Vec<Mount> {
    let mut out: Vec<Mount> = Vec::new();
    for line in text.lines() {
        let mut f = line.split_whitespace();
        let (Some(device), Some(mount), Some(fs_type)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        if !DISK_FS.contains(&fs_type) || out.iter().any(|m| m.device == device) {
            continue;
        }
        out.push(Mount {
            device: unescape_octal(device),
            mount: unescape_octal(mount),
            fs_type: fs_type.to_owned(),
        });
    }
    out.sort_by(|a, b| a.mount.cmp(&b.mount));
    out
}

fn unescape_octal(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c)) {
            let v = (b[i + 1] - b'0') as u32 * 64 + (b[i + 2] - b'0') as u32 * 8 + (b[i + 3] - b'0') as u32;
            if let Ok(byte) = u8::try_from(v) {
                out.push(byte);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Size and space available to unprivileged users of the file system holding `path`.
#[cfg(unix)]
pub(super) fn disk_space(path: &std::path::Path) -> std::io::Result<(u64, u64)> {
    let s = rustix::fs::statvfs(path).map_err(std::io::Error::from)?;
    let unit = if s.f_frsize > 0 { s.f_frsize } else { s.f_bsize };
    Ok((s.f_blocks.saturating_mul(unit), s.f_bavail.saturating_mul(unit)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mounts_keep_disks_once_and_decode_spaces() {
        let m = parse_mounts(
            "proc /proc proc rw 0 0\n/dev/sda1 / ext4 rw 0 0\ntmpfs /run tmpfs rw 0 0\n\
             /dev/sdb1 /srv/my\\040data xfs rw 0 0\n/dev/sda1 /var/lib/docker ext4 rw 0 0\n\
             server:/x /mnt/nfs nfs4 rw 0 0\n",
        );
        let mounts: Vec<_> = m.iter().map(|m| m.mount.as_str()).collect();
        assert_eq!(mounts, ["/", "/srv/my data"]);
        assert_eq!(m[1].fs_type, "xfs");
    }

    #[test]
    fn meminfo_uptime_btime() {
        assert_eq!(
            parse_meminfo_total("MemFree: 1 kB\nMemTotal:  2048 kB\n"),
            Some(2 * 1024 * 1024)
        );
        assert_eq!(parse_uptime("308.78 221.06\n"), Some(308));
        assert_eq!(
            parse_stat_btime("cpu 1 2\nbtime 1795709716\n"),
            Some(1_795_709_716)
        );
        assert_eq!(parse_uptime(""), None);
    }

    #[test]
    fn cpuinfo_arm_without_model_name() {
        let c =
            parse_cpuinfo("processor\t: 0\nBogoMIPS: 50\nprocessor\t: 1\nModel\t: Raspberry Pi 4 Model B\n");
        assert_eq!(c.count, 2);
        assert_eq!(c.model.as_deref(), Some("Raspberry Pi 4 Model B"));
    }
}
