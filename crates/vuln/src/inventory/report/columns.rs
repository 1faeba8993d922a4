//! Header names of multi-host update reports (WSUS, SCCM/MECM, `Get-HotFix | Export-Csv`), English and
//! Vietnamese, and the installation-state words they use.

use serde::{Deserialize, Serialize};

/// What a report column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Role {
    /// The computer: `Computer Name`, `FullDomainName`, `Name0`, `PSComputerName`, `CSName`, `Tên máy`.
    Host,
    /// OS name: `Operating System`, `OSDescription`, `Caption0`, `Hệ điều hành`.
    OsName,
    /// OS version: `OS Version`, `ClientVersion`, `Build`, `BuildNumber0`, `Version0`, `Phiên bản HĐH`.
    OsVersion,
    /// Architecture: `OSArchitecture`, `Kiến trúc`.
    Arch,
    /// KB number(s): `KB Article`, `KnowledgebaseArticles`, `Article ID`, `HotFixID`, `Mã KB`.
    Kb,
    /// Update title, from which a `KBnnnnnnn` is taken when no KB column is filled: `Update Title`, `Tiêu đề`.
    Title,
    /// Installation state: `Update Installation State`, `Status`, `Installed`, `Trạng thái`.
    State,
    /// WSUS approval (`Install`, `NotApproved`, `Declined`): kept as information, never an installation state.
    Approval,
    /// `InstalledOn`: kept as information.
    InstalledOn,
}

/// Lower-cases a header and drops spaces, underscores, dashes and dots, so that `Computer Name`, `ComputerName`
/// and `computer_name` compare equal.
pub(super) fn squash(text: &str) -> String {
    text.trim_matches(['\u{feff}', ' ', '"'])
        .to_lowercase()
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '.' | '\u{a0}'))
        .collect()
}

/// Header names per role (squashed), most specific first. A column matches the first role that names it.
const NAMES: &[(Role, &[&str])] = &[
    (
        Role::Host,
        &[
            "computername",
            "fulldomainname",
            "name0",
            "netbiosname0",
            "pscomputername",
            "csname",
            "computer",
            "hostname",
            "machinename",
            "devicename",
            "máytính",
            "tênmáy",
            "tênmáytính",
            "tênmáychủ",
        ],
    ),
    (
        Role::OsName,
        &[
            "operatingsystem",
            "osdescription",
            "caption0",
            "osname",
            "os",
            "hệđiềuhành",
            "hđh",
        ],
    ),
    (
        Role::OsVersion,
        &[
            "osversion",
            "clientversion",
            "build",
            "buildnumber0",
            "buildnumber",
            "version0",
            "osbuild",
            "phiênbảnhđh",
            "phiênbảnhệđiềuhành",
            "bảndựng",
            "sốbảndựng",
        ],
    ),
    (
        Role::Arch,
        &["osarchitecture", "architecture", "systemtype", "kiếntrúc"],
    ),
    (
        Role::Kb,
        &[
            "kbarticle",
            "kbarticles",
            "knowledgebasearticles",
            "knowledgebasearticle",
            "articleid",
            "hotfixid",
            "kb",
            "mãkb",
            "sốkb",
        ],
    ),
    (
        Role::Title,
        &[
            "updatetitle",
            "title",
            "update",
            "updatename",
            "tiêuđề",
            "bảncậpnhật",
            "tênbảncậpnhật",
        ],
    ),
    (
        Role::State,
        &[
            "updateinstallationstate",
            "installationstate",
            "status",
            "state",
            "installed",
            "trạngthái",
            "trạngtháicàiđặt",
            "tìnhtrạng",
        ],
    ),
    (Role::Approval, &["approval", "approvalaction", "phêduyệt"]),
    (Role::InstalledOn, &["installedon", "ngàycài", "ngàycàiđặt"]),
];

/// The role of a header cell, if it names one.
pub(super) fn role_of(header: &str) -> Option<Role> {
    let s = squash(header);
    NAMES
        .iter()
        .find(|(_, names)| names.contains(&s.as_str()))
        .map(|(role, _)| *role)
}

/// The state of one update on one host, as the report says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum UpdateState {
    /// Installed (`Installed`, SCCM `1`).
    Installed,
    /// Installed but waiting for a restart: not counted as installed until the host restarts.
    InstalledPendingReboot,
    /// Needed (`Needed`, SCCM `Required`).
    Needed,
    /// Not installed (`NotInstalled`, SCCM `0`).
    NotInstalled,
    /// Downloaded, not installed.
    Downloaded,
    /// Installation failed.
    Failed,
    /// Not applicable (`NotApplicable`, SCCM `Not Required`).
    NotApplicable,
    /// The report does not know.
    Unknown,
}

impl UpdateState {
    /// Reads a state word, case-insensitively, English or Vietnamese; `None` for a word it does not know.
    pub fn parse(text: &str) -> Option<Self> {
        let s = squash(text);
        Some(match s.as_str() {
            "installed" | "1" | "true" | "yes" | "compliant" | "đãcài" | "đãcàiđặt" | "có" => {
                Self::Installed
            }
            "installedpendingreboot" | "pendingreboot" | "installedpendingrestart" | "chờkhởiđộnglại" => {
                Self::InstalledPendingReboot
            }
            "needed" | "required" | "missing" | "noncompliant" | "cần" | "cầncài" | "thiếu" => {
                Self::Needed
            }
            "notinstalled" | "0" | "false" | "no" | "chưacài" | "chưacàiđặt" | "không" => {
                Self::NotInstalled
            }
            "downloaded" | "đãtải" | "đãtảivề" => Self::Downloaded,
            "failed" | "error" | "lỗi" | "thấtbại" | "càilỗi" => Self::Failed,
            "notapplicable" | "notrequired" | "khôngápdụng" | "khôngcần" => Self::NotApplicable,
            "unknown" | "khôngrõ" | "khôngxácđịnh" => Self::Unknown,
            _ => return None,
        })
    }

    /// The snake-case name (`installed_pending_reboot`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Installed => "installed",
            Self::InstalledPendingReboot => "installed_pending_reboot",
            Self::Needed => "needed",
            Self::NotInstalled => "not_installed",
            Self::Downloaded => "downloaded",
            Self::Failed => "failed",
            Self::NotApplicable => "not_applicable",
            Self::Unknown => "unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_in_any_spelling_and_language() {
        assert_eq!(role_of("Computer Name"), Some(Role::Host));
        assert_eq!(role_of("FullDomainName"), Some(Role::Host));
        assert_eq!(role_of("Tên máy"), Some(Role::Host));
        assert_eq!(role_of("Update Installation State"), Some(Role::State));
        assert_eq!(role_of("Trạng thái"), Some(Role::State));
        assert_eq!(role_of("BuildNumber0"), Some(Role::OsVersion));
        assert_eq!(role_of("HotFixID"), Some(Role::Kb));
        assert_eq!(role_of("Description"), None);
    }

    #[test]
    fn state_words_in_both_languages() {
        assert_eq!(
            UpdateState::parse("InstalledPendingReboot"),
            Some(UpdateState::InstalledPendingReboot)
        );
        assert_eq!(
            UpdateState::parse("Not Required"),
            Some(UpdateState::NotApplicable)
        );
        assert_eq!(UpdateState::parse("Đã cài"), Some(UpdateState::Installed));
        assert_eq!(UpdateState::parse("0"), Some(UpdateState::NotInstalled));
        assert_eq!(UpdateState::parse("Maybe"), None);
    }
}
