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
/// [`super::windows::collect`].
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

/// Collects a Linux inventory from the files under `src.root`. Unreadable or malformed pieces become warnings
/// naming the file (and line); only a failure to read a file that exists but cannot be opened is an error.
pub fn collect_from(src: &Sources) -> Result<Inventory> {
    let root = src.root.as_path();
    let mut warnings = Vec::new();
    let text = |rel: &str| read_text(&root.join(rel), SMALL);

    let (hostname, mut domain) = hostname(root)?;
    if domain.is_none() {
        domain = text("etc/resolv.conf")?.as_deref().and_then(resolv_domain);
    }
    let release = match text("etc/os-release")? {
        Some(t) => OsRelease::parse(&t),
        None => text("usr/lib/os-release")?
            .map(|t| OsRelease::parse(&t))
            .unwrap_or_default(),
    };
    let kernel = text("proc/sys/kernel/osrelease")?.map(|s| s.trim().to_owned());
    let machine = text("proc/sys/kernel/arch")?
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

    let mut cpu = text("proc/cpuinfo")?
        .map(|t| parse_cpuinfo(&t))
        .unwrap_or_default();
    if cpu.count == 0 && root == Path::new("/") {
        cpu.count = std::thread::available_parallelism().map_or(0, usize::from);
    }
    let memory_total_bytes = text("proc/meminfo")?.as_deref().and_then(parse_meminfo_total);
    let uptime_seconds = text("proc/uptime")?.as_deref().and_then(parse_uptime);
    let last_boot = text("proc/stat")?
        .as_deref()
        .and_then(parse_stat_btime)
        .and_then(|t| DateTime::<Utc>::from_timestamp(t, 0))
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true));

    let disks = disks(src, text("proc/mounts")?.as_deref().unwrap_or(""), &mut warnings);
    let software = software(src, &mut warnings)?;

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

/// Host name and, when it is fully qualified, its domain: `proc/sys/kernel/hostname`, else `etc/hostname`.
fn hostname(root: &Path) -> Result<(String, Option<String>)> {
    let name = match read_text(&root.join("proc/sys/kernel/hostname"), SMALL)? {
        Some(n) => Some(n),
        None => read_text(&root.join("etc/hostname"), SMALL)?,
    };
    let name = name.map(|n| n.trim().to_owned()).unwrap_or_default();
    Ok(match name.split_once('.') {
        Some((host, domain)) if !domain.is_empty() => (host.to_owned(), Some(domain.to_owned())),
        _ => (name, None),
    })
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

fn disks(src: &Sources, mounts: &str, warnings: &mut Vec<String>) -> Vec<Disk> {
    let mut out = Vec::new();
    for m in parse_mounts(mounts) {
        let (mut total_bytes, mut free_bytes) = (0, 0);
        if src.measure_disks {
            let at = src.root.join(m.mount.trim_start_matches('/'));
            #[cfg(unix)]
            match super::hardware::disk_space(&at) {
                Ok((t, f)) => (total_bytes, free_bytes) = (t, f),
                Err(e) => warnings.push(format!("statvfs {}: {e}", at.display())),
            }
            #[cfg(not(unix))]
            let _ = (&at, &mut *warnings);
        }
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

/// dpkg and rpm packages; `None` when neither database exists.
fn software(src: &Sources, warnings: &mut Vec<String>) -> Result<Option<Vec<Software>>> {
    let mut found = false;
    let mut list = Vec::new();
    let status_path = src.root.join("var/lib/dpkg/status");
    if let Some(text) = read_text(&status_path, MAX_TEXT_BYTES)? {
        found = true;
        let status = parse_dpkg_status(&text);
        for p in &status.problems {
            warnings.push(format!("{}: {p}", status_path.display()));
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
                        warnings.push(format!("rpm -qa output: {p}"));
                    }
                    list.extend(packages);
                }
                Err(e) => warnings.push(e.to_string()),
            }
        }
    }
    list.sort();
    Ok(found.then_some(list))
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
