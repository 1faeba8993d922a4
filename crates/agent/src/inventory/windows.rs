//! Windows inventory from `reg query` output.
//!
//! The parsing is plain text and compiled everywhere, so it is tested on Linux with captured output; the part that
//! runs `reg query` and `Get-HotFix` is compiled only with `cfg(windows)`. Read:
//! - `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion`: `ProductName`, `CurrentMajorVersionNumber`,
//!   `CurrentMinorVersionNumber`, `CurrentBuild`, `UBR` (→ `os.version` `10.0.19045.3930`), `DisplayVersion`
//!   (or `ReleaseId`), `InstallationType`. Windows 11 still writes `Windows 10` in `ProductName`; builds from
//!   22000 on are renamed.
//! - `…\CurrentVersion\Uninstall` (native and `WOW6432Node`) with `/s`: `DisplayName` and `DisplayVersion` of
//!   every entry that is not a system component (`SystemComponent` = 1) or an update of another entry
//!   (`ParentKeyName`).
//! - `Get-HotFix` for the installed KBs.
//!
//! Not collected on Windows yet: memory, disks, uptime and hardware addresses (interface IP addresses are).

use super::Software;
use std::collections::BTreeMap;

/// A registry value as `reg query` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegValue {
    /// `REG_SZ`, `REG_EXPAND_SZ`, `REG_MULTI_SZ` and anything else, as printed.
    Text(String),
    /// `REG_DWORD` / `REG_QWORD`, printed in hex (`0xf5a`).
    Number(u64),
}

impl RegValue {
    fn text(&self) -> String {
        match self {
            Self::Text(s) => s.clone(),
            Self::Number(n) => n.to_string(),
        }
    }
}

/// One key and its values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegKey {
    /// Full key path (`HKEY_LOCAL_MACHINE\SOFTWARE\…`).
    pub path: String,
    /// Values by name (`(Default)` for the unnamed one).
    pub values: BTreeMap<String, RegValue>,
}

/// Parses `reg query` output (with or without `/s`): a key path line starting with `HKEY_`, then indented
/// `name    TYPE    data` lines.
pub fn parse_reg_query(text: &str) -> Vec<RegKey> {
    let mut keys: Vec<RegKey> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_end_matches('\r');
        if trimmed.starts_with("HKEY_") {
            keys.push(RegKey {
                path: trimmed.trim().to_owned(),
                values: BTreeMap::new(),
            });
            continue;
        }
        let Some(key) = keys.last_mut() else { continue };
        let body = trimmed.trim_start();
        let Some(at) = body.find("    REG_") else { continue };
        let name = body[..at].trim().to_owned();
        let rest = body[at + 4..].trim_start();
        let (kind, data) = rest.split_once("    ").unwrap_or((rest, ""));
        let data = data.trim();
        let value = match kind.trim() {
            "REG_DWORD" | "REG_QWORD" => data
                .strip_prefix("0x")
                .and_then(|h| u64::from_str_radix(h, 16).ok())
                .map_or_else(|| RegValue::Text(data.to_owned()), RegValue::Number),
            _ => RegValue::Text(data.to_owned()),
        };
        key.values.insert(name, value);
    }
    keys
}

/// What `CurrentVersion` says about the installed Windows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowsVersion {
    /// `Microsoft Windows 11 Pro`.
    pub name: String,
    /// `10.0.22631.3007`.
    pub version: String,
    /// `23H2`.
    pub display_version: Option<String>,
    /// `InstallationType` is `Server Core`.
    pub server_core: bool,
}

/// Reads the `CurrentVersion` key; `None` when the build is missing.
pub fn windows_version(key: &RegKey) -> Option<WindowsVersion> {
    let get = |n: &str| key.values.get(n).map(RegValue::text);
    let build: u32 = get("CurrentBuild")?.trim().parse().ok()?;
    let major = get("CurrentMajorVersionNumber").unwrap_or_else(|| "10".into());
    let minor = get("CurrentMinorVersionNumber").unwrap_or_else(|| "0".into());
    let mut version = format!("{major}.{minor}.{build}");
    if let Some(ubr) = get("UBR") {
        version = format!("{version}.{ubr}");
    }
    let mut product = get("ProductName").unwrap_or_else(|| "Windows".into());
    if build >= 22000 && product.starts_with("Windows 10") {
        product = product.replacen("Windows 10", "Windows 11", 1);
    }
    if !product.starts_with("Microsoft") {
        product = format!("Microsoft {product}");
    }
    Some(WindowsVersion {
        name: product,
        version,
        display_version: get("DisplayVersion").or_else(|| get("ReleaseId")),
        server_core: get("InstallationType").as_deref() == Some("Server Core"),
    })
}

/// Installed programs from `reg query …\Uninstall /s` output, sorted and deduplicated.
pub fn uninstall_entries(keys: &[RegKey]) -> Vec<Software> {
    let mut out: Vec<Software> = keys
        .iter()
        .filter(|k| {
            k.values.get("SystemComponent") != Some(&RegValue::Number(1))
                && !k.values.contains_key("ParentKeyName")
        })
        .filter_map(|k| {
            let name = k.values.get("DisplayName")?.text();
            (!name.trim().is_empty()).then(|| Software {
                name: name.trim().to_owned(),
                version: k.values.get("DisplayVersion").map(RegValue::text),
                architecture: None,
                source: "windows".into(),
                source_package: None,
                source_version: None,
            })
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// KB numbers, one a line, as `Get-HotFix | ForEach-Object HotFixID` prints them.
pub fn hotfix_ids(text: &str) -> Vec<String> {
    let is_kb = |l: &str| {
        l.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("KB"))
            && l.get(2..)
                .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
    };
    let mut out: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| is_kb(l))
        .map(str::to_ascii_uppercase)
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(windows)]
pub(super) use live::collect;

#[cfg(windows)]
mod live {
    use super::super::{interfaces_from, Cpu, Inventory, OsInfo, SCHEMA};
    use super::{hotfix_ids, parse_reg_query, uninstall_entries, windows_version, RegValue};
    use crate::error::{Error, Result};
    use chrono::{SecondsFormat, Utc};
    use std::process::Command;

    fn run(program: &str, args: &[&str]) -> Result<String> {
        let out = Command::new(program)
            .args(args)
            .output()
            .map_err(|e| Error::Command {
                command: format!("{program} {}", args.join(" ")),
                message: e.to_string(),
            })?;
        if !out.status.success() {
            return Err(Error::Command {
                command: format!("{program} {}", args.join(" ")),
                message: out.status.to_string(),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Collects the running Windows host's inventory.
    pub fn collect() -> Result<Inventory> {
        let mut warnings = Vec::new();
        let cv = run(
            "reg",
            &["query", r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion"],
        )?;
        let keys = parse_reg_query(&cv);
        let v = keys
            .first()
            .and_then(windows_version)
            .ok_or_else(|| Error::Command {
                command: "reg query CurrentVersion".into(),
                message: "no CurrentBuild value".into(),
            })?;
        let mut software = Vec::new();
        for root in [
            r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall",
            r"HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall",
        ] {
            match run("reg", &["query", root, "/s"]) {
                Ok(t) => software.extend(uninstall_entries(&parse_reg_query(&t))),
                Err(e) => warnings.push(e.to_string()),
            }
        }
        software.sort();
        software.dedup();
        let hotfixes = run(
            "powershell",
            &["-NoProfile", "-Command", "Get-HotFix | ForEach-Object HotFixID"],
        )
        .map(|t| hotfix_ids(&t))
        .unwrap_or_else(|e| {
            warnings.push(e.to_string());
            Vec::new()
        });
        let domain = run(
            "reg",
            &[
                "query",
                r"HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters",
                "/v",
                "Domain",
            ],
        )
        .ok()
        .and_then(|t| {
            parse_reg_query(&t)
                .first()
                .and_then(|k| k.values.get("Domain").cloned())
        })
        .and_then(|v| match v {
            RegValue::Text(s) if !s.is_empty() => Some(s),
            _ => None,
        });
        let cpu_model = run(
            "reg",
            &[
                "query",
                r"HKLM\HARDWARE\DESCRIPTION\System\CentralProcessor\0",
                "/v",
                "ProcessorNameString",
            ],
        )
        .ok()
        .and_then(|t| {
            parse_reg_query(&t)
                .first()
                .and_then(|k| k.values.get("ProcessorNameString").cloned())
        })
        .map(|v| match v {
            RegValue::Text(s) => s,
            RegValue::Number(n) => n.to_string(),
        });
        let addrs = super::super::network::live_addresses().unwrap_or_default();
        let arch = std::env::var("PROCESSOR_ARCHITECTURE").unwrap_or_default();
        Ok(Inventory {
            schema: SCHEMA.to_owned(),
            hostname: std::env::var("COMPUTERNAME").unwrap_or_default(),
            domain,
            os: OsInfo {
                name: v.name,
                version: v.version,
                display_version: v.display_version,
                architecture: match arch.as_str() {
                    "AMD64" => "x64".into(),
                    "ARM64" => "arm64".into(),
                    "x86" => "x86".into(),
                    other => other.to_owned(),
                },
                id: Some("windows".into()),
                version_id: None,
                kernel: None,
            },
            hotfixes,
            software: Some(software),
            interfaces: interfaces_from(&Default::default(), &addrs),
            cpu: Cpu {
                model: cpu_model,
                count: std::thread::available_parallelism().map_or(0, usize::from),
            },
            memory_total_bytes: None,
            disks: Vec::new(),
            uptime_seconds: None,
            last_boot: None,
            collected_at: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
            warnings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CURRENT_VERSION: &str =
        "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\r\n\
        \x20   SystemRoot    REG_SZ    C:\\WINDOWS\r\n\
        \x20   CurrentBuild    REG_SZ    22631\r\n\
        \x20   CurrentMajorVersionNumber    REG_DWORD    0xa\r\n\
        \x20   CurrentMinorVersionNumber    REG_DWORD    0x0\r\n\
        \x20   DisplayVersion    REG_SZ    23H2\r\n\
        \x20   ProductName    REG_SZ    Windows 10 Pro\r\n\
        \x20   UBR    REG_DWORD    0xbbf\r\n\
        \x20   InstallationType    REG_SZ    Client\r\n";

    #[test]
    fn current_version_gives_the_full_build_and_windows_11_name() {
        let keys = parse_reg_query(CURRENT_VERSION);
        assert_eq!(keys.len(), 1);
        let v = windows_version(&keys[0]).unwrap();
        assert_eq!(v.version, "10.0.22631.3007");
        assert_eq!(v.name, "Microsoft Windows 11 Pro");
        assert_eq!(v.display_version.as_deref(), Some("23H2"));
        assert!(!v.server_core);
    }

    #[test]
    fn uninstall_keys_skip_components_and_updates() {
        let text = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\7-Zip\n\
            \x20   DisplayName    REG_SZ    7-Zip 23.01 (x64)\n\
            \x20   DisplayVersion    REG_SZ    23.01\n\n\
            HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{X}\n\
            \x20   DisplayName    REG_SZ    Hidden runtime\n\
            \x20   SystemComponent    REG_DWORD    0x1\n\n\
            HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\KB1\n\
            \x20   DisplayName    REG_SZ    Update for Office\n\
            \x20   ParentKeyName    REG_SZ    Office16\n";
        let s = uninstall_entries(&parse_reg_query(text));
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].name, "7-Zip 23.01 (x64)");
        assert_eq!(s[0].version.as_deref(), Some("23.01"));
    }

    // Regression: a line whose second character is not ASCII was sliced inside a character and panicked.
    #[test]
    fn hotfix_line_with_a_non_ascii_second_character() {
        assert!(hotfix_ids("aé\nKé1\n").is_empty());
    }

    #[test]
    fn hotfix_lines() {
        assert_eq!(
            hotfix_ids("KB5034122\r\nkb5033909\r\n\r\nFile 1\r\nKB5034122\r\n"),
            ["KB5033909", "KB5034122"]
        );
    }
}
