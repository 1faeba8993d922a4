//! The agent's JSON inventory. Shape (`schema` is required; unknown members are ignored):
//!
//! ```json
//! {
//!   "schema": "canhgac.inventory/1",
//!   "hostname": "KHOA-NOI-PC07",
//!   "os": {
//!     "name": "Microsoft Windows 10 Pro",
//!     "version": "10.0.19045.3930",
//!     "display_version": "22H2",
//!     "architecture": "x64",
//!     "server_core": false,
//!     "service_pack": 0
//!   },
//!   "hotfixes": ["KB5034122", "KB5033909"],
//!   "software": [{ "name": "Microsoft Office LTSC Professional Plus 2021", "version": "16.0.14332.20615" }]
//! }
//! ```
//!
//! A Linux host's document names its distribution and packages (`os.id` and `os.version` from os-release,
//! `os.display_version` its `VERSION_CODENAME`; each package with `source` = `dpkg` or `rpm` and, for a Debian
//! binary package built from a differently named source, `source_package` and `source_version`):
//!
//! ```json
//! { "schema": "canhgac.inventory/1", "hostname": "web01",
//!   "os": { "name": "Debian GNU/Linux 12 (bookworm)", "version": "12", "display_version": "bookworm",
//!           "architecture": "x64", "id": "debian" },
//!   "software": [{ "name": "openssh-client", "version": "1:9.2p1-2+deb12u1", "source": "dpkg",
//!                  "source_package": "openssh" }] }
//! ```
//!
//! `os.version` should carry the update build revision (UBR, from `HKLM\SOFTWARE\Microsoft\Windows NT\
//! CurrentVersion`), which lets matching compare against Microsoft's fixed builds. `software` is optional; when it
//! is present (even empty) it is taken as complete, so a product that is not listed is not installed.

use super::{Arch, HostInventory, InventoryKind, Software};
use crate::error::{Error, Location, Result};
use crate::linux::{codename_of, Distro};
use crate::model::{Kb, Version};
use serde::Deserialize;

/// The schema name this version reads.
pub const SCHEMA: &str = "canhgac.inventory/1";

#[derive(Deserialize)]
struct Doc {
    schema: String,
    #[serde(default)]
    hostname: Option<String>,
    os: Os,
    #[serde(default)]
    hotfixes: Vec<String>,
    #[serde(default)]
    software: Option<Vec<Software>>,
}

#[derive(Deserialize)]
struct Os {
    #[serde(default)]
    name: Option<String>,
    version: String,
    #[serde(default)]
    display_version: Option<String>,
    #[serde(default)]
    architecture: Option<String>,
    #[serde(default)]
    server_core: Option<bool>,
    #[serde(default)]
    service_pack: Option<u32>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    version_id: Option<String>,
}

/// Parses an agent inventory.
pub fn parse(source: &str, text: &str) -> Result<HostInventory> {
    let doc: Doc = serde_json::from_str(text).map_err(|e| Error::Json {
        at: Location::line(source, e.line()),
        message: e.to_string(),
    })?;
    if doc.schema != SCHEMA {
        return Err(Error::Schema {
            at: Location::source(source).with_element("schema"),
            message: format!("schema {:?} is not {SCHEMA:?}", doc.schema),
        });
    }
    let mut inv = HostInventory::new(source, InventoryKind::Agent);
    inv.hostname = doc.hostname;
    inv.os_name = doc.os.name;
    inv.os_version = Some(Version::parse(&doc.os.version).ok_or_else(|| Error::Schema {
        at: Location::source(source).with_element("os.version"),
        message: format!(
            "{:?} is not a dotted version like 10.0.19045.3930",
            doc.os.version
        ),
    })?);
    inv.display_version = doc.os.display_version;
    inv.server_core = doc.os.server_core;
    inv.service_pack = doc.os.service_pack;
    if let Some(a) = doc.os.architecture {
        inv.arch = Arch::parse(&a);
        if inv.arch.is_none() {
            inv.warnings.push(format!(
                "{source}: os.architecture {a:?} is not x64, x86 or arm64"
            ));
        }
    }
    for (i, h) in doc.hotfixes.iter().enumerate() {
        match Kb::parse(h) {
            Some(kb) => {
                inv.kbs.insert(kb);
            }
            None => inv.warnings.push(format!(
                "{source}: hotfixes[{i}] {h:?} is not a KB number, ignored"
            )),
        }
    }
    inv.software = doc.software;
    let distro = doc
        .os
        .id
        .as_deref()
        .map(|d| d.trim().to_ascii_lowercase())
        .filter(|d| !d.is_empty() && d != "windows");
    if let Some(d) = &distro {
        let number = doc.os.version_id.as_deref().unwrap_or(&doc.os.version);
        inv.release = match Distro::parse(d) {
            Some(known) => inv
                .display_version
                .as_deref()
                .and_then(|c| codename_of(known, c))
                .or_else(|| codename_of(known, number)),
            None => inv.display_version.clone().or_else(|| Some(number.to_owned())),
        };
        if inv.release.is_none() {
            inv.warnings.push(format!(
                "{source}: os.version {number:?} of {d} is not a release this version knows; give os.display_version (the codename)"
            ));
        }
    }
    inv.distro = distro;
    Ok(inv)
}
