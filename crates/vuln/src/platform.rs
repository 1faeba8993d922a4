//! From a host's OS name, build and architecture to the names Microsoft's advisories give that OS
//! ("Windows 10 Version 22H2 for x64-based Systems", "Windows Server 2019"), and the reverse question: is an
//! advisory product an operating system, a component on one, or other software.

use crate::inventory::{Arch, HostInventory};
use regex::Regex;
use std::sync::LazyLock;

/// A Windows release, keyed by build number.
struct Release {
    build: u32,
    client: Option<&'static str>,
    server: Option<&'static str>,
}

/// Windows releases Microsoft's advisories name, by build. A table of data, kept in one place.
const RELEASES: &[Release] = &[
    Release {
        build: 6002,
        client: Some("Windows Vista"),
        server: Some("Windows Server 2008"),
    },
    Release {
        build: 6003,
        client: Some("Windows Vista"),
        server: Some("Windows Server 2008"),
    },
    Release {
        build: 7600,
        client: Some("Windows 7"),
        server: Some("Windows Server 2008 R2"),
    },
    Release {
        build: 7601,
        client: Some("Windows 7"),
        server: Some("Windows Server 2008 R2"),
    },
    Release {
        build: 9200,
        client: Some("Windows 8"),
        server: Some("Windows Server 2012"),
    },
    Release {
        build: 9600,
        client: Some("Windows 8.1"),
        server: Some("Windows Server 2012 R2"),
    },
    Release {
        build: 10240,
        client: Some("Windows 10"),
        server: None,
    },
    Release {
        build: 10586,
        client: Some("Windows 10 Version 1511"),
        server: None,
    },
    Release {
        build: 14393,
        client: Some("Windows 10 Version 1607"),
        server: Some("Windows Server 2016"),
    },
    Release {
        build: 15063,
        client: Some("Windows 10 Version 1703"),
        server: None,
    },
    Release {
        build: 16299,
        client: Some("Windows 10 Version 1709"),
        server: Some("Windows Server, version 1709"),
    },
    Release {
        build: 17134,
        client: Some("Windows 10 Version 1803"),
        server: Some("Windows Server, version 1803"),
    },
    Release {
        build: 17763,
        client: Some("Windows 10 Version 1809"),
        server: Some("Windows Server 2019"),
    },
    Release {
        build: 18362,
        client: Some("Windows 10 Version 1903"),
        server: Some("Windows Server, version 1903"),
    },
    Release {
        build: 18363,
        client: Some("Windows 10 Version 1909"),
        server: Some("Windows Server, version 1909"),
    },
    Release {
        build: 19041,
        client: Some("Windows 10 Version 2004"),
        server: Some("Windows Server, version 2004"),
    },
    Release {
        build: 19042,
        client: Some("Windows 10 Version 20H2"),
        server: Some("Windows Server, version 20H2"),
    },
    Release {
        build: 19043,
        client: Some("Windows 10 Version 21H1"),
        server: None,
    },
    Release {
        build: 19044,
        client: Some("Windows 10 Version 21H2"),
        server: None,
    },
    Release {
        build: 19045,
        client: Some("Windows 10 Version 22H2"),
        server: None,
    },
    Release {
        build: 20348,
        client: None,
        server: Some("Windows Server 2022"),
    },
    Release {
        build: 22000,
        client: Some("Windows 11 version 21H2"),
        server: None,
    },
    Release {
        build: 22621,
        client: Some("Windows 11 Version 22H2"),
        server: None,
    },
    Release {
        build: 22631,
        client: Some("Windows 11 Version 23H2"),
        server: None,
    },
    Release {
        build: 25398,
        client: None,
        server: Some("Windows Server 2022, 23H2 Edition"),
    },
    Release {
        build: 26100,
        client: Some("Windows 11 Version 24H2"),
        server: Some("Windows Server 2025"),
    },
];

/// The host's OS as advisories name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPlatform {
    /// Candidate product names, most specific first (e.g. the Server Core name when the host is Server Core).
    pub names: Vec<String>,
}

/// Maps a host to the product names Microsoft gives its OS, or explains what is missing.
pub fn host_platform(host: &HostInventory) -> Result<HostPlatform, String> {
    let Some(build) = host.build() else {
        return Err("the inventory has no OS build number".into());
    };
    let server = host.is_server();
    let release = RELEASES
        .iter()
        .find(|r| r.build == build)
        .ok_or_else(|| format!("OS build {build} is not a Windows release the advisories name"))?;
    let base = if server { release.server } else { release.client };
    let Some(base) = base else {
        let kind = if server { "server" } else { "client" };
        return Err(format!(
            "OS build {build} has no {kind} release (OS name {:?})",
            host.os_name.as_deref().unwrap_or("?")
        ));
    };
    let arch = host
        .arch
        .ok_or_else(|| "the inventory has no architecture".to_owned());
    let names = if server {
        server_names(base, build, arch.ok(), host.server_core)
    } else {
        let arch = arch?;
        client_names(base, build, arch)
    };
    Ok(HostPlatform { names })
}

fn arch_suffix(arch: Arch) -> &'static str {
    match arch {
        Arch::X64 => "for x64-based Systems",
        Arch::X86 => "for 32-bit Systems",
        Arch::Arm64 => "for ARM64-based Systems",
    }
}

fn client_names(base: &str, build: u32, arch: Arch) -> Vec<String> {
    let mut name = format!("{base} {}", arch_suffix(arch));
    match build {
        7601 => name.push_str(" Service Pack 1"),
        6002 | 6003 => name.push_str(" Service Pack 2"),
        _ => {}
    }
    vec![name]
}

fn server_names(base: &str, build: u32, arch: Option<Arch>, core: Option<bool>) -> Vec<String> {
    let mut full = base.to_owned();
    if matches!(build, 6002 | 6003 | 7600 | 7601) {
        let arch = arch.unwrap_or(Arch::X64);
        full = format!("{base} {}", arch_suffix(arch));
        if build == 7601 {
            full.push_str(" Service Pack 1");
        } else if build != 7600 {
            full.push_str(" Service Pack 2");
        }
    }
    let core_name = format!("{full} (Server Core installation)");
    match (build, core) {
        (25398, _) | (_, Some(true)) => vec![core_name],
        _ => vec![full],
    }
}

static OS_PRODUCT: LazyLock<Regex> = LazyLock::new(|| {
    #[allow(clippy::unwrap_used)] // a constant pattern, exercised by the tests
    Regex::new(r"^Windows (10|11|7|8\.1|8|RT 8\.1|Vista|Server)\b").unwrap()
});
static OTHER_PLATFORM: LazyLock<Regex> = LazyLock::new(|| {
    #[allow(clippy::unwrap_used)] // a constant pattern, exercised by the tests
    Regex::new(
        r"(?i)mariner|azure linux|\bfor (mac|android|ios|ubuntu|linux)\b|\bon (mac|android|ios|linux)\b",
    )
    .unwrap()
});

/// What kind of product an advisory names, relative to Windows hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProductKind {
    /// A Windows operating system ("Windows Server 2019").
    WindowsOs,
    /// A component installed on a Windows release; the id is `component-platform` ("11676-12097").
    Component,
    /// Software for a platform that is not Windows (Mariner, Mac, Android, iOS, Linux).
    OtherPlatform,
    /// Software that may or may not be installed on a Windows host (Office, Exchange, SQL Server, Edge…).
    Software,
}

/// Classifies an advisory product by its id and name.
pub fn product_kind(id: &str, name: &str) -> ProductKind {
    if id.contains('-') && name.contains(" on ") {
        ProductKind::Component
    } else if OS_PRODUCT.is_match(name) && !name.contains(" on ") {
        ProductKind::WindowsOs
    } else if OTHER_PLATFORM.is_match(name) {
        ProductKind::OtherPlatform
    } else {
        ProductKind::Software
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::InventoryKind;
    use crate::model::Version;

    fn host(name: &str, version: &str, arch: Option<Arch>) -> HostInventory {
        let mut h = HostInventory::new("t", InventoryKind::Systeminfo);
        h.os_name = Some(name.into());
        h.os_version = Version::parse(version);
        h.arch = arch;
        h
    }

    #[test]
    fn releases_map_to_advisory_names() {
        let cases = [
            (
                "Microsoft Windows 10 Enterprise",
                "10.0.19045",
                Some(Arch::X64),
                "Windows 10 Version 22H2 for x64-based Systems",
            ),
            (
                "Microsoft Windows 11 Pro",
                "10.0.22631",
                Some(Arch::Arm64),
                "Windows 11 Version 23H2 for ARM64-based Systems",
            ),
            (
                "Microsoft Windows Server 2019 Datacenter",
                "10.0.17763",
                Some(Arch::X64),
                "Windows Server 2019",
            ),
            (
                "Microsoft Windows Server 2016 Datacenter",
                "10.0.14393",
                None,
                "Windows Server 2016",
            ),
            (
                "Microsoft Windows 7 Enterprise",
                "6.1.7601",
                Some(Arch::X86),
                "Windows 7 for 32-bit Systems Service Pack 1",
            ),
            (
                "Windows Server 2008 R2 Standard",
                "6.1.7601",
                Some(Arch::X64),
                "Windows Server 2008 R2 for x64-based Systems Service Pack 1",
            ),
        ];
        for (name, version, arch, want) in cases {
            assert_eq!(
                host_platform(&host(name, version, arch)).unwrap().names,
                vec![want.to_owned()],
                "{name}"
            );
        }
        assert!(
            host_platform(&host("Microsoft Windows 10 Pro", "10.0.99999", Some(Arch::X64)))
                .unwrap_err()
                .contains("99999")
        );
        assert!(host_platform(&host("Microsoft Windows 10 Pro", "10.0.19045", None)).is_err());
    }

    #[test]
    fn products_are_classified() {
        assert_eq!(
            product_kind("12097", "Windows 10 Version 22H2 for x64-based Systems"),
            ProductKind::WindowsOs
        );
        assert_eq!(
            product_kind(
                "11676-12097",
                "Microsoft .NET Framework 3.5 AND 4.8 on Windows 10 Version 22H2 for x64-based Systems"
            ),
            ProductKind::Component
        );
        assert_eq!(
            product_kind("12138", "CBL Mariner 2.0 ARM"),
            ProductKind::OtherPlatform
        );
        assert_eq!(
            product_kind("11575", "Microsoft Office 2019 for Mac"),
            ProductKind::OtherPlatform
        );
        assert_eq!(
            product_kind("11574", "Microsoft Office 2019 for 64-bit editions"),
            ProductKind::Software
        );
    }
}
