//! Builds an [`Inventory`] from a [`Sources`] root.

use super::hardware::{parse_cpuinfo, parse_meminfo_total, parse_mounts, parse_stat_btime, parse_uptime};
use super::network::{interfaces_from, read_macs};
use super::os_release::{dotted_version, OsRelease};
use super::packages::{find_rpm, parse_dpkg_status, parse_rpm_query, run_rpm};
use super::{Disk, Inventory, OsInfo, Software, Sources, SCHEMA};
use crate::error::Result;
use crate::fsutil::{read_text, MAX_TEXT_BYTES};
use chrono::{DateTime, SecondsFormat, Utc};
use std::path::Path;

/// Small `/proc` and `/etc` files are read with this cap.
const SMALL: u64 = 1024 * 1024;

/// Collects the running host's inventory: Linux (and other Unix) from `/`, Windows through
/// `reg query` and `Get-HotFix` (see [`super::windows`]).
pub fn collect_inventory() -> Result<Inventory> {
    #[cfg(windows)]
    {
        super::windows::collect()
    }
    #[cfg(not(windows))]
    {
        collect_from(&Sources::system())
    }
}

/// Collects a Linux inventory from the files under `src.root`. Missing files leave their members empty; files
/// that cannot be read and malformed lines become warnings naming the file (and line). Never fails on a Linux
/// root; the `Result` is for the Windows collector's commands.
pub fn collect_from(src: &Sources) -> Result<Inventory> {
    let root = src.root.as_path();
    let mut files = Files {
        root,
        warnings: Vec::new(),
    };

    let (hostname, mut domain) = hostname(&mut files);
    if domain.is_none() {
        domain = files.small("etc/resolv.conf").as_deref().and_then(resolv_domain);
    }
    let release = match files.small("etc/os-release") {
        Some(t) => OsRelease::parse(&t),
        None => files
            .small("usr/lib/os-release")
            .map(|t| OsRelease::parse(&t))
            .unwrap_or_default(),
    };
    let kernel = files
        .small("proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned());
    let machine = files
        .small("proc/sys/kernel/arch")
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| std::env::consts::ARCH.to_owned());
    let version = release.version_id.as_deref().and_then(dotted_version);
    let os = OsInfo {
        name: release.display_name(),
        version: version.clone().unwrap_or_else(|| "0".to_owned()),
        display_version: release.version_codename.clone(),
        architecture: architecture(&machine),
        id: release.id.clone(),
        version_id: release.version_id.clone().filter(|v| Some(v) != version.as_ref()),
        kernel,
    };

    let mut cpu = files
        .small("proc/cpuinfo")
        .map(|t| parse_cpuinfo(&t))
        .unwrap_or_default();
    if cpu.count == 0 && root == Path::new("/") {
        cpu.count = std::thread::available_parallelism().map_or(0, usize::from);
    }
    let memory_total_bytes = files
        .small("proc/meminfo")
        .as_deref()
        .and_then(parse_meminfo_total);
    let uptime_seconds = files.small("proc/uptime").as_deref().and_then(parse_uptime);
    let last_boot = files
        .small("proc/stat")
        .as_deref()
        .and_then(parse_stat_btime)
        .and_then(|t| DateTime::<Utc>::from_timestamp(t, 0))
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true));

    let mounts = files.small("proc/mounts").unwrap_or_default();
    let software = software(src, &mut files);
    let mut warnings = files.warnings;
    let disks = disks(src, &mounts, &mut warnings);

    let macs = read_macs(&root.join("sys/class/net"));
    let addrs = if src.live_addresses {
        super::network::live_addresses().unwrap_or_else(|e| {
            warnings.push(format!("interface addresses (getifaddrs): {e}"));
            Vec::new()
        })
    } else {
        Vec::new()
    };

    Ok(Inventory {
        schema: SCHEMA.to_owned(),
        hostname,
        domain,
        os,
        hotfixes: Vec::new(),
        software,
        interfaces: interfaces_from(&macs, &addrs),
        cpu,
        memory_total_bytes,
        disks,
        uptime_seconds,
        last_boot,
        collected_at: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
        warnings,
    })
}

/// Reads files under the root, turning read failures into warnings.
struct Files<'a> {
    root: &'a Path,
    warnings: Vec<String>,
}

impl Files<'_> {
    fn read(&mut self, rel: &str, cap: u64) -> Option<String> {
        let path = self.root.join(rel);
        read_text(&path, cap).unwrap_or_else(|e| {
            self.warnings.push(e.to_string());
            None
        })
    }

    fn small(&mut self, rel: &str) -> Option<String> {
        self.read(rel, SMALL)
    }
}

/// Host name and, when it is fully qualified, its domain: `proc/sys/kernel/hostname`, else `etc/hostname`.
fn hostname(files: &mut Files<'_>) -> (String, Option<String>) {
    let name = files
        .small("proc/sys/kernel/hostname")
        .or_else(|| files.small("etc/hostname"))
        .map(|n| n.trim().to_owned())
        .unwrap_or_default();
    match name.split_once('.') {
        Some((host, domain)) if !domain.is_empty() => (host.to_owned(), Some(domain.to_owned())),
        _ => (name, None),
    }
}

/// The `domain` line of resolv.conf, else the first `search` domain.
fn resolv_domain(text: &str) -> Option<String> {
    let mut search = None;
    for line in text.lines() {
        let mut words = line.split_whitespace();
        match words.next() {
            Some("domain") => return words.next().map(str::to_owned),
            Some("search") if search.is_none() => search = words.next().map(str::to_owned),
            _ => {}
        }
    }
    search
}

/// The kernel's machine name in the names `canhgac-vuln` understands where there is one.
fn architecture(machine: &str) -> String {
    match machine {
        "x86_64" | "amd64" => "x64",
        "aarch64" | "arm64" => "arm64",
        "x86" | "i386" | "i486" | "i586" | "i686" => "x86",
        other => other,
    }
    .to_owned()
}

/// Total and free bytes of the file system holding `at` (Unix); 0 and 0 with a warning when unknown.
#[cfg(unix)]
fn disk_space_or_warn(at: &std::path::Path, warnings: &mut Vec<String>) -> (u64, u64) {
    super::hardware::disk_space(at).unwrap_or_else(|e| {
        warnings.push(format!("statvfs {}: {e}", at.display()));
        (0, 0)
    })
}

/// Not measured from a mounted Unix root on other systems.
#[cfg(not(unix))]
fn disk_space_or_warn(_at: &std::path::Path, _warnings: &mut Vec<String>) -> (u64, u64) {
    (0, 0)
}

fn disks(src: &Sources, mounts: &str, warnings: &mut Vec<String>) -> Vec<Disk> {
    let mut out = Vec::new();
    for m in parse_mounts(mounts) {
        let (total_bytes, free_bytes) = if src.measure_disks {
            let at = src.root.join(m.mount.trim_start_matches('/'));
            disk_space_or_warn(&at, warnings)
        } else {
            (0, 0)
        };
        out.push(Disk {
            mount: m.mount,
            device: m.device,
            fs_type: m.fs_type,
            total_bytes,
            free_bytes,
        });
    }
    out
}

/// dpkg and rpm packages; `None` when neither database could be read.
fn software(src: &Sources, files: &mut Files<'_>) -> Option<Vec<Software>> {
    let mut found = false;
    let mut list = Vec::new();
    if let Some(text) = files.read("var/lib/dpkg/status", MAX_TEXT_BYTES) {
        found = true;
        let status = parse_dpkg_status(&text);
        let path = src.root.join("var/lib/dpkg/status");
        for p in &status.problems {
            files.warnings.push(format!("{}: {p}", path.display()));
        }
        list.extend(status.packages);
    }
    let has_rpmdb = ["var/lib/rpm", "usr/lib/sysimage/rpm"]
        .iter()
        .any(|d| src.root.join(d).is_dir());
    if src.run_rpm && has_rpmdb {
        if let Some(rpm) = find_rpm() {
            match run_rpm(&rpm, &src.root) {
                Ok(out) => {
                    found = true;
                    let (packages, problems) = parse_rpm_query(&out);
                    for p in problems {
                        files.warnings.push(format!("rpm -qa output: {p}"));
                    }
                    list.extend(packages);
                }
                Err(e) => files.warnings.push(e.to_string()),
            }
        }
    }
    list.sort();
    found.then_some(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolv_domain_prefers_domain_over_search() {
        assert_eq!(
            resolv_domain("search a.vn b.vn\ndomain c.vn\n").as_deref(),
            Some("c.vn")
        );
        assert_eq!(
            resolv_domain("nameserver 1.1.1.1\nsearch a.vn b.vn\n").as_deref(),
            Some("a.vn")
        );
        assert_eq!(resolv_domain("nameserver 1.1.1.1\n"), None);
    }

    #[test]
    fn machine_names_map_to_vuln_architectures() {
        assert_eq!(architecture("x86_64"), "x64");
        assert_eq!(architecture("aarch64"), "arm64");
        assert_eq!(architecture("i686"), "x86");
        assert_eq!(architecture("riscv64"), "riscv64");
    }
}
