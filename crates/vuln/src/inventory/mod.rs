//! Host inventories: what Windows a host runs (name, version, build, architecture) and which KBs it has.
//! Read from `systeminfo` output in any display language, `wmic qfe` / `Get-HotFix` lists, WES-NG's
//! update lists (`KBnnnn: title`), or the agent's JSON inventory (see [`agent`]); many hosts at once from a
//! WSUS, SCCM or `Get-HotFix` report (see [`report`]).

pub mod agent;
mod decode;
mod hotfixes;
pub mod report;
mod systeminfo;

pub use decode::decode_text;

use crate::error::{Error, Location, Result};
use crate::model::{Kb, Version};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeSet;

/// Processor architecture of the installed Windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Arch {
    /// 64-bit x86.
    X64,
    /// 32-bit x86.
    X86,
    /// 64-bit ARM.
    Arm64,
}

impl Arch {
    /// Parses `x64`, `AMD64`, `x64-based PC`, `X86-based PC`, `x86`, `ARM64`, … case-insensitively.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim().to_ascii_lowercase();
        let t = t.split(['-', ' ']).next().unwrap_or("");
        match t {
            "x64" | "amd64" | "x86_64" | "64" => Some(Self::X64),
            "x86" | "i386" | "i686" | "32" => Some(Self::X86),
            "arm64" | "aarch64" => Some(Self::Arm64),
            _ => None,
        }
    }
}

/// Where an inventory came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum InventoryKind {
    /// `systeminfo` output.
    Systeminfo,
    /// `wmic qfe` / `Get-HotFix` list or WES-NG update list (KBs only).
    Hotfixes,
    /// Agent JSON.
    Agent,
    /// One host of a multi-host update report (WSUS, SCCM, `Get-HotFix` export).
    UpdateReport,
}

/// An installed program or package, from the agent's software list.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Software {
    /// Display name, e.g. `Microsoft Office LTSC Professional Plus 2021`, or the binary package (`openssh-client`).
    pub name: String,
    /// Version, when known (`1:9.2p1-2+deb12u1` for a Debian package).
    #[serde(default)]
    pub version: Option<String>,
    /// Where the agent read it: `dpkg`, `rpm`, `registry` (the agent's `source` member).
    #[serde(default, alias = "source", skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    /// The source package a Debian binary package was built from (dpkg's `Source:`), when it differs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_package: Option<String>,
    /// The source package's version, when dpkg's `Source:` gives one (it differs from the binary's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    /// The program's CPE name, when the inventory knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpe: Option<String>,
}

impl Software {
    /// A program known by name and version only.
    pub fn named(name: &str, version: Option<&str>) -> Self {
        Self {
            name: name.to_owned(),
            version: version.map(str::to_owned),
            manager: None,
            source_package: None,
            source_version: None,
            cpe: None,
        }
    }

    /// True for a package of a distribution's package manager (dpkg, rpm): its version carries backported fixes
    /// that upstream version ranges do not see.
    pub fn is_distro_package(&self) -> bool {
        matches!(self.manager.as_deref(), Some("dpkg" | "rpm"))
    }

    /// The source package (dpkg's `Source:`, else the binary name) and the version to compare with security data
    /// (the source version when dpkg gives one, else the binary's).
    pub fn source(&self) -> (&str, Option<&str>) {
        (
            self.source_package.as_deref().unwrap_or(&self.name),
            self.source_version.as_deref().or(self.version.as_deref()),
        )
    }

    /// The source package and version as distribution security data names them: [`Software::source`], except for
    /// signed kernels. Debian builds its kernel images from `linux-signed-amd64` / `linux-signed-arm64` (source
    /// version `6.1.55+1`) and Ubuntu from `linux-signed` / `linux-signed-hwe-6.5`, but the Debian tracker and
    /// Ubuntu's OSV records name the unsigned source (`linux`, `linux-hwe-6.5`), whose version is the image
    /// package's own (`6.1.55-1`): that pair is returned. Meta packages (`linux-meta`, version `5.15.0.91.88`) carry
    /// no kernel and a version in another scheme, so they keep their own name and are never compared with `linux`.
    pub fn security_source(&self) -> (Cow<'_, str>, Option<&str>) {
        let (name, version) = self.source();
        match signed_kernel_source(name) {
            Some(kernel) => (kernel, self.version.as_deref()),
            None => (Cow::Borrowed(name), version),
        }
    }
}

/// Debian's architecture names, as they end the signed kernel's source package (`linux-signed-amd64`).
const DEBIAN_ARCHES: &[&str] = &[
    "amd64", "arm64", "i386", "armhf", "armel", "ppc64el", "s390x", "mips64el", "mipsel", "riscv64",
    "loong64",
];

/// The unsigned kernel source a signed kernel's source package stands for: `linux-signed` and
/// `linux-signed-<debian arch>` → `linux`; Ubuntu's `linux-signed-<flavour>` → `linux-<flavour>`.
fn signed_kernel_source(name: &str) -> Option<Cow<'static, str>> {
    if name == "linux-signed" {
        return Some(Cow::Borrowed("linux"));
    }
    let rest = name.strip_prefix("linux-signed-").filter(|r| !r.is_empty())?;
    if DEBIAN_ARCHES.contains(&rest) {
        Some(Cow::Borrowed("linux"))
    } else {
        Some(Cow::Owned(format!("linux-{rest}")))
    }
}

/// One host's inventory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostInventory {
    /// Where it came from (file name as given).
    pub source: String,
    /// How it was read.
    pub kind: InventoryKind,
    /// Host name.
    pub hostname: Option<String>,
    /// OS name as displayed, e.g. `Microsoft Windows 10 Enterprise`.
    pub os_name: Option<String>,
    /// OS version: `10.0.19045`, or with the update revision `10.0.19045.3930` when the source gives it.
    pub os_version: Option<Version>,
    /// Service pack level.
    pub service_pack: Option<u32>,
    /// Release name such as `22H2`, when the source gives it.
    pub display_version: Option<String>,
    /// Architecture.
    pub arch: Option<Arch>,
    /// Server Core installation, when the source says.
    pub server_core: Option<bool>,
    /// Installed KBs.
    pub kbs: BTreeSet<Kb>,
    /// KBs installed but waiting for a restart (an update report's `InstalledPendingReboot`): not in `kbs`, named in
    /// the evidence of a verdict they would change.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub pending_reboot: BTreeSet<Kb>,
    /// Installed software; `None` when the source does not list software (then component CVEs stay unknown).
    pub software: Option<Vec<Software>>,
    /// Linux: the distribution's os-release `ID` (`debian`, `ubuntu`, `rhel`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distro: Option<String>,
    /// Linux: the release's codename (`bookworm`, `jammy`), from `VERSION_CODENAME` or the version number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// Lines or values that could not be read, with their place.
    pub warnings: Vec<String>,
}

impl HostInventory {
    /// An empty inventory.
    pub fn new(source: &str, kind: InventoryKind) -> Self {
        Self {
            source: source.to_owned(),
            kind,
            hostname: None,
            os_name: None,
            os_version: None,
            service_pack: None,
            display_version: None,
            arch: None,
            server_core: None,
            kbs: BTreeSet::new(),
            pending_reboot: BTreeSet::new(),
            software: None,
            distro: None,
            release: None,
            warnings: Vec::new(),
        }
    }

    /// True for a Linux (or other non-Windows) host: the inventory names a distribution other than Windows.
    pub fn is_linux(&self) -> bool {
        self.distro
            .as_deref()
            .is_some_and(|d| !d.eq_ignore_ascii_case("windows"))
    }

    /// The build number (third part of the version).
    pub fn build(&self) -> Option<u32> {
        self.os_version.as_ref().and_then(|v| v.0.get(2).copied())
    }

    /// True when the OS name says Server.
    pub fn is_server(&self) -> bool {
        self.os_name.as_deref().is_some_and(|n| n.contains("Server"))
    }

    /// What matching depends on: two hosts with equal keys get equal verdicts (the host name does not matter).
    pub fn match_key(&self) -> impl std::hash::Hash + Eq + '_ {
        (
            &self.os_version,
            self.is_server(),
            self.arch,
            self.server_core,
            &self.kbs,
            &self.pending_reboot,
            &self.software,
            (&self.distro, &self.release),
        )
    }

    /// Adds another inventory of the same host (e.g. a `wmic qfe` list to a `systeminfo`): KBs are united,
    /// missing fields filled.
    pub fn absorb(&mut self, other: HostInventory) {
        self.kbs.extend(other.kbs);
        self.pending_reboot.extend(other.pending_reboot);
        self.pending_reboot.retain(|k| !self.kbs.contains(k));
        self.hostname = self.hostname.take().or(other.hostname);
        self.os_name = self.os_name.take().or(other.os_name);
        if self
            .os_version
            .as_ref()
            .is_none_or(|v| other.os_version.as_ref().is_some_and(|o| o.0.len() > v.0.len()))
        {
            self.os_version = other.os_version.or(self.os_version.take());
        }
        self.service_pack = self.service_pack.or(other.service_pack);
        self.display_version = self.display_version.take().or(other.display_version);
        self.arch = self.arch.or(other.arch);
        self.server_core = self.server_core.or(other.server_core);
        self.software = self.software.take().or(other.software);
        self.distro = self.distro.take().or(other.distro);
        self.release = self.release.take().or(other.release);
        self.warnings.extend(other.warnings);
    }
}

/// Largest inventory accepted.
pub const MAX_INVENTORY_BYTES: usize = 16 * 1024 * 1024;

/// Reads any supported inventory from bytes: agent JSON, a hotfix list, or `systeminfo` output.
pub fn parse_inventory(source: &str, bytes: &[u8]) -> Result<HostInventory> {
    if bytes.len() > MAX_INVENTORY_BYTES {
        return Err(Error::TooLarge {
            at: Location::source(source),
            size: bytes.len(),
            limit: MAX_INVENTORY_BYTES,
        });
    }
    let text = decode_text(bytes);
    if text
        .trim_matches(['\u{feff}', ' ', '\r', '\n', '\t', '\0'])
        .is_empty()
    {
        return Err(Error::Schema {
            at: Location::source(source),
            message: "the inventory is empty".into(),
        });
    }
    let trimmed = text.trim_start_matches(['\u{feff}', ' ', '\r', '\n', '\t']);
    if trimmed.starts_with('{') {
        return agent::parse(source, trimmed);
    }
    if hotfixes::looks_like_hotfix_list(&text) {
        return hotfixes::parse(source, &text);
    }
    systeminfo::parse(source, &text)
}
