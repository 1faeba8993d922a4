//! `systeminfo` output in any display language. Labels are translated ("OS Version", "Versión del sistema
//! operativo", "Версия ОС", "OS 版本"), so fields are found by their values, which Windows does not translate:
//! the first value that is a dotted version is the OS version, the first value naming Windows is the OS name,
//! `x64-based PC` gives the architecture, and `[01]: KB5022502` entries are installed hotfixes.

use super::{Arch, HostInventory, InventoryKind};
use crate::error::{Error, Location, Result};
use crate::model::{Kb, Version};
use regex::Regex;
use std::sync::LazyLock;

static VERSION: LazyLock<Regex> = LazyLock::new(|| compile(r":\s+(\d+\.\d+\.\d+)\b(.*)$"));
static SERVICE_PACK: LazyLock<Regex> = LazyLock::new(|| compile(r"(?i)service pack (\d+)"));
static ARCH: LazyLock<Regex> = LazyLock::new(|| compile(r"(?i)\b(x64|x86|arm64|ia64)-based\b"));
static HOTFIX: LazyLock<Regex> = LazyLock::new(|| compile(r"^\s+\[\d+\]\s*:\s*(\S.*?)\s*$"));

/// Compiles a pattern written in this file. They are constants, tested by every parse test.
#[allow(clippy::unwrap_used)]
fn compile(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap()
}

/// Parses `systeminfo` text.
pub(super) fn parse(source: &str, text: &str) -> Result<HostInventory> {
    let mut inv = HostInventory::new(source, InventoryKind::Systeminfo);
    let mut version_line = None;
    let mut seen_first = false;
    let mut odd_entries: Vec<(usize, String)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.is_empty() {
            continue;
        }
        let continuation = line.starts_with([' ', '\t']);
        if !continuation && !seen_first {
            // The first field is the host name (sometimes anonymised to "...", sometimes cut off).
            seen_first = true;
            let v = value(line).unwrap_or("");
            if !v.contains("Windows") && !VERSION.is_match(line) {
                inv.hostname = Some(v.to_owned()).filter(|v| !v.is_empty() && v != "...");
                continue;
            }
        }
        if continuation {
            if let Some(c) = HOTFIX.captures(line) {
                let entry = &c[1];
                if let Some(kb) = Kb::parse_prefixed(entry) {
                    inv.kbs.insert(kb);
                } else if entry.starts_with("KB") || entry.starts_with('Q') || entry.starts_with("File ") {
                    odd_entries.push((i + 1, entry.to_owned()));
                }
            }
            continue;
        }
        if version_line.is_none() {
            if let Some(c) = VERSION.captures(line) {
                inv.os_version = Version::parse(&c[1]);
                inv.service_pack = SERVICE_PACK.captures(&c[2]).and_then(|s| s[1].parse().ok());
                version_line = Some(i + 1);
                continue;
            }
            if inv.os_name.is_none() {
                inv.os_name = value(line).filter(|v| v.contains("Windows")).map(str::to_owned);
            }
        }
        if inv.arch.is_none() {
            inv.arch = ARCH.captures(line).and_then(|c| Arch::parse(&c[1]));
        }
    }
    if let Some((line, entry)) = odd_entries.first() {
        // Windows XP and Server 2003 list most hotfixes as "File 1": counted in one warning, not one per line.
        inv.warnings.push(format!(
            "{source}:{line}: {} hotfix entries are not KB numbers (first: {entry:?}); they cannot prove a fix",
            odd_entries.len()
        ));
    }
    if inv.os_version.is_none() {
        return Err(Error::Schema {
            at: Location::source(source).with_element("OS Version"),
            message: "no OS version line (like \"OS Version: 10.0.19045 N/A Build 19045\") found: not systeminfo output"
                .into(),
        });
    }
    if inv.os_name.is_none() {
        inv.warnings.push(format!(
            "{source}: no OS name naming Windows before line {}",
            version_line.unwrap_or(0)
        ));
    }
    if inv.arch.is_none() {
        inv.warnings
            .push(format!("{source}: no system type like \"x64-based PC\" found"));
    }
    Ok(inv)
}

/// The value after the label: text after the first `:` and its padding.
fn value(line: &str) -> Option<&str> {
    line.split_once(':').map(|(_, v)| v.trim())
}
