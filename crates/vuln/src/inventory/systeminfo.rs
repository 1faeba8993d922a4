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
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.is_empty() {
            continue;
        }
        let continuation = line.starts_with([' ', '\t']);
        if !continuation && inv.hostname.is_none() {
            inv.hostname = value(line)
                .filter(|v| !v.is_empty() && *v != "...")
                .map(str::to_owned);
            continue;
        }
        if version_line.is_none() && !continuation {
            if let Some(c) = VERSION.captures(line) {
                inv.os_version = Version::parse(&c[1]);
                inv.service_pack = SERVICE_PACK.captures(&c[2]).and_then(|s| s[1].parse().ok());
                version_line = Some(i + 1);
                continue;
            }
            if inv.os_name.is_none() {
                if let Some(v) = value(line).filter(|v| v.contains("Windows")) {
                    inv.os_name = Some(v.to_owned());
                }
            }
        }
        if inv.arch.is_none() && !continuation {
            if let Some(c) = ARCH.captures(line) {
                inv.arch = Arch::parse(&c[1]);
            }
        }
        if continuation {
            if let Some(c) = HOTFIX.captures(line) {
                let entry = &c[1];
                if let Some(kb) = Kb::parse(entry) {
                    inv.kbs.insert(kb);
                } else if entry.starts_with("KB") || entry.starts_with("Q") || entry.starts_with("File ") {
                    inv.warnings.push(format!(
                        "{source}:{}: hotfix entry {entry:?} is not a KB number, ignored",
                        i + 1
                    ));
                }
            }
        }
    }
    if inv.os_version.is_none() {
        return Err(Error::Schema {
            at: Location::source(source).with_element("OS Version"),
            message: "no OS version line (like \"OS Version: 10.0.19045 N/A Build 19045\") found: not systeminfo output".into(),
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
