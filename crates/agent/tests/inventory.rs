//! Inventory collection on fixture roots and on this machine, read back through `canhgac-vuln`.

use canhgac_agent::inventory::{parse_dpkg_status, Software};
use canhgac_agent::{collect_from, Inventory, Sources};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn debian() -> Inventory {
    collect_from(&Sources::fixture(fixture("debian-root"))).unwrap()
}

#[test]
fn debian_fixture_fields() {
    let inv = debian();
    assert_eq!(inv.schema, "canhgac.inventory/1");
    assert_eq!(inv.hostname, "ytecs-01");
    assert_eq!(inv.domain.as_deref(), Some("benhvien.example.vn"));
    assert_eq!(inv.os.name, "Debian GNU/Linux 12 (bookworm)");
    assert_eq!(inv.os.version, "12");
    assert_eq!(inv.os.display_version.as_deref(), Some("bookworm"));
    assert_eq!(inv.os.architecture, "x64");
    assert_eq!(inv.os.id.as_deref(), Some("debian"));
    assert_eq!(inv.os.kernel.as_deref(), Some("6.1.0-18-amd64"));
    assert_eq!(inv.cpu.count, 2);
    assert_eq!(
        inv.cpu.model.as_deref(),
        Some("Intel(R) Xeon(R) Silver 4210R CPU @ 2.40GHz")
    );
    assert_eq!(inv.memory_total_bytes, Some(8_029_696 * 1024));
    assert_eq!(inv.uptime_seconds, Some(86_400));
    assert_eq!(inv.last_boot.as_deref(), Some("2023-11-14T22:13:20Z"));
    let mounts: Vec<_> = inv
        .disks
        .iter()
        .map(|d| (d.mount.as_str(), d.fs_type.as_str()))
        .collect();
    assert_eq!(mounts, [("/", "ext4"), ("/boot/efi", "vfat")]);
    let ifs: Vec<_> = inv
        .interfaces
        .iter()
        .map(|i| (i.name.as_str(), i.mac.as_deref()))
        .collect();
    assert_eq!(ifs, [("eth0", Some("52:54:00:12:34:56")), ("lo", None)]);
}

#[test]
fn debian_fixture_packages_only_installed_with_problems_by_line() {
    let inv = debian();
    let software = inv.software.as_ref().unwrap();
    let names: Vec<_> = software.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["bash", "openssl", "tzdata"]);
    assert_eq!(
        software[0],
        Software {
            name: "bash".into(),
            version: Some("5.2.15-2+b2".into()),
            architecture: Some("amd64".into()),
            source: "dpkg".into(),
            source_package: None,
            source_version: None,
        }
    );
    // Line 36 has no colon; the installed entry starting at line 39 has no Version.
    assert_eq!(inv.warnings.len(), 2, "{:?}", inv.warnings);
    assert!(inv.warnings[0].ends_with("line 36: not a `Field: value` line: \"this line has no colon\""));
    assert!(inv.warnings[1].contains("line 39: installed entry \"broken-no-version\" lacks"));
}

#[test]
fn dpkg_status_edge_cases_reported_with_lines() {
    let s = parse_dpkg_status(
        " orphan continuation\nPackage: a\nStatus: install ok\nVersion: 1\n\n\nPackage: b\nVersion: 2\n",
    );
    assert!(s.packages.is_empty());
    let lines: Vec<_> = s.problems.iter().map(|p| p.line).collect();
    // The orphan continuation (1), a Status of two words (3), an entry without Status (starts at line 7).
    assert_eq!(lines, [1, 3, 7]);
}

#[test]
fn rolling_release_without_package_database() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    std::fs::write(
        root.path().join("etc/os-release"),
        "NAME=\"Arch Linux\"\nID=arch\nBUILD_ID=rolling\n",
    )
    .unwrap();
    std::fs::write(root.path().join("etc/hostname"), "laptop\n").unwrap();
    let inv = collect_from(&Sources::fixture(root.path())).unwrap();
    assert_eq!(inv.hostname, "laptop");
    assert_eq!(inv.os.name, "Arch Linux");
    assert_eq!(inv.os.version, "0");
    assert_eq!(inv.software, None, "no database: the list is unknown, not empty");
    let json = serde_json::to_value(&inv).unwrap();
    assert!(json.get("software").is_none());
    // canhgac-vuln still reads it.
    let host = canhgac_vuln::inventory::parse_inventory("laptop.json", inv.to_json().as_bytes()).unwrap();
    assert_eq!(host.software, None);
}

#[test]
fn unreadable_file_is_a_warning_not_a_failure() {
    let root = tempfile::tempdir().unwrap();
    // A folder where a file is expected: opening works, reading fails (EISDIR).
    std::fs::create_dir_all(root.path().join("etc/os-release")).unwrap();
    std::fs::create_dir_all(root.path().join("proc")).unwrap();
    std::fs::write(root.path().join("proc/meminfo"), "MemTotal: 1024 kB\n").unwrap();
    let inv = collect_from(&Sources::fixture(root.path())).unwrap();
    assert_eq!(inv.memory_total_bytes, Some(1024 * 1024));
    assert_eq!(inv.os.name, "Linux");
    assert_eq!(inv.warnings.len(), 1, "{:?}", inv.warnings);
    assert!(inv.warnings[0].contains("etc/os-release"), "{:?}", inv.warnings);
}

#[test]
fn json_round_trips_through_the_vuln_reader() {
    let inv = debian();
    let json = inv.to_json();
    let back: Inventory = serde_json::from_str(&json).unwrap();
    assert_eq!(back, inv);
    let host = canhgac_vuln::inventory::parse_inventory("ytecs-01.json", json.as_bytes()).unwrap();
    assert_eq!(host.kind, canhgac_vuln::inventory::InventoryKind::Agent);
    assert_eq!(host.hostname.as_deref(), Some("ytecs-01"));
    assert_eq!(host.os_name.as_deref(), Some("Debian GNU/Linux 12 (bookworm)"));
    assert_eq!(host.os_version, canhgac_vuln::Version::parse("12"));
    assert_eq!(host.arch, Some(canhgac_vuln::inventory::Arch::X64));
    let software = host.software.unwrap();
    assert_eq!(software.len(), 3);
    assert_eq!(software[1].name, "openssl");
    assert_eq!(software[1].version.as_deref(), Some("3.0.11-1~deb12u2"));
    assert!(host.warnings.is_empty(), "{:?}", host.warnings);
}

#[test]
fn fingerprint_ignores_volatile_fields_only() {
    let a = debian();
    let mut b = a.clone();
    b.collected_at = "2030-01-01T00:00:00Z".into();
    b.uptime_seconds = Some(1);
    b.last_boot = None;
    for d in &mut b.disks {
        d.free_bytes += 12345;
    }
    assert_eq!(a.fingerprint(), b.fingerprint());
    assert_eq!(
        a.fingerprint(),
        debian().fingerprint(),
        "two collections of the same host agree"
    );

    let mut c = a.clone();
    if let Some(s) = c.software.as_mut() {
        s[0].version = Some("5.2.15-2+b3".into());
    }
    assert_ne!(a.fingerprint(), c.fingerprint());
    let mut d = a.clone();
    d.interfaces[0].addresses.push("10.1.2.3".parse().unwrap());
    assert_ne!(a.fingerprint(), d.fingerprint());
    assert_eq!(a.fingerprint().len(), 64);
}

#[test]
fn this_machine_dpkg_status_lists_bash() {
    let path = Path::new("/var/lib/dpkg/status");
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!("skipped: {} is absent (not a Debian-family host)", path.display());
        return;
    };
    let status = parse_dpkg_status(&text);
    assert!(status.problems.is_empty(), "{:?}", status.problems);
    let bash = status
        .packages
        .iter()
        .find(|p| p.name == "bash")
        .expect("bash is installed");
    let version = bash.version.as_deref().unwrap();
    assert!(
        version.chars().next().is_some_and(|c| c.is_ascii_digit()),
        "{version}"
    );
    assert!(status.packages.iter().any(|p| p.name == "coreutils"));
    assert!(status.packages.len() > 50);
}

#[test]
fn this_machine_full_inventory() {
    if !Path::new("/proc/self").exists() {
        eprintln!("skipped: no /proc (not Linux)");
        return;
    }
    let inv = canhgac_agent::collect_inventory().unwrap();
    assert!(!inv.hostname.is_empty());
    assert!(inv.cpu.count >= 1);
    assert!(inv.memory_total_bytes.unwrap_or(0) > 0);
    assert!(inv.uptime_seconds.is_some());
    assert!(inv
        .interfaces
        .iter()
        .any(|i| i.addresses.iter().any(|a| a.is_loopback())));
    for d in &inv.disks {
        assert!(d.total_bytes >= d.free_bytes, "{d:?}");
    }
    if Path::new("/var/lib/dpkg/status").exists() {
        assert!(inv
            .software
            .as_ref()
            .is_some_and(|s| s.iter().any(|p| p.name == "bash")));
    }
    canhgac_vuln::inventory::parse_inventory("self.json", inv.to_json().as_bytes()).unwrap();
}

/// The Debian 12 status file and agent inventory that `canhgac-vuln`'s Linux tests match: the inventory's packages
/// are exactly what this parser reads from that status file (binary and source names, versions).
#[test]
fn vuln_linux_fixture_is_what_the_agent_reads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vuln/tests/fixtures/linux");
    let status = parse_dpkg_status(&std::fs::read_to_string(dir.join("debian12-dpkg-status")).unwrap());
    assert!(status.problems.is_empty(), "{:?}", status.problems);
    assert_eq!(
        status.other_states, 1,
        "telnet is removed, its configuration left"
    );
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("agent-debian12-old.json")).unwrap()).unwrap();
    let listed: Vec<Software> = serde_json::from_value(doc["software"].clone()).unwrap();
    assert_eq!(status.packages, listed);
    let client = listed.iter().find(|s| s.name == "openssh-client").unwrap();
    assert_eq!(client.source_package.as_deref(), Some("openssh"));
}
