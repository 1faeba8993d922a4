//! Multi-host update reports: one CSV or XLSX table covering many computers, as WSUS, SCCM/MECM and
//! `Get-HotFix -ComputerName a,b | Export-Csv` export them. Read from a [`canhgac_tabular::Grid`], so any delimiter,
//! encoding or workbook the tabular crate reads is accepted.
//!
//! Headers are recognised by name (case, spaces and underscores ignored; English and Vietnamese): the computer
//! (`Computer Name`, `FullDomainName`, `Name0`, `PSComputerName`, `CSName`), the OS (`Operating System`,
//! `OSDescription`, `Caption0`), its version or build (`OS Version`, `ClientVersion`, `Build`, `BuildNumber0`,
//! `Version0`), the update (`KB Article`, `KnowledgebaseArticles`, `Article ID`, `HotFixID`, or a `KBnnnnnnn` in
//! `Update Title`) and its state (`Update Installation State`, `Status`, `Installed`).
//!
//! Rows are grouped per host by [`host_key`] (case-insensitive, a domain name reduced to its first label). Each host
//! becomes a [`HostInventory`] the matcher takes: only `Installed` updates count as installed; an update installed
//! but waiting for a restart is kept apart ([`HostInventory::pending_reboot`]) and said so in the evidence; every
//! other state is kept as information in [`ReportHost::updates`]. A `Get-HotFix` list (a `HotFixID` column) or a
//! list without a state column lists installed updates only.
//!
//! Every row is either used or reported in [`UpdateReport::problems`] with its line and column: no computer name,
//! an update row without a KB number, an unknown state word, an unreadable version. A row whose update part is bad
//! still gives its host's OS name and version. When a host's rows disagree on the OS version, it is reported and
//! the matcher is not given a version it cannot trust: rows that differ only in the revision
//! (`10.0.17763.4252` / `10.0.17763.4499`) keep the common build without revision (the installed KBs then decide);
//! rows that differ in the build keep no version (the host's verdicts are then unknown).

mod columns;

pub use columns::UpdateState;

use super::{Arch, HostInventory, InventoryKind};
use crate::error::{Error, Location, Result};
use crate::model::{Kb, Version};
use canhgac_tabular::Grid;
use columns::{role_of, squash, Role};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Why a row, or a part of it, was not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProblemKind {
    /// The computer name is empty: the row is not used.
    NoHost,
    /// An update row with no KB number in its KB or title column: the update is not counted.
    NoKb,
    /// The state word is empty or unknown: the update is not counted.
    UnknownState,
    /// The OS version is not a dotted number or a build: not used.
    BadVersion,
    /// The host's rows give different builds: the host keeps no version.
    BuildConflict,
    /// The host's rows differ in the revision only: the common build is kept without revision.
    RevisionConflict,
}

impl ProblemKind {
    /// The snake-case code (`no_kb`), for translations.
    pub fn code(self) -> &'static str {
        match self {
            Self::NoHost => "no_host",
            Self::NoKb => "no_kb",
            Self::UnknownState => "unknown_state",
            Self::BadVersion => "bad_version",
            Self::BuildConflict => "build_conflict",
            Self::RevisionConflict => "revision_conflict",
        }
    }

    fn reason(self) -> &'static str {
        match self {
            Self::NoHost => "no computer name; row not used",
            Self::NoKb => "no KB number; update not counted",
            Self::UnknownState => "unknown installation state; update not counted",
            Self::BadVersion => "not an OS version or build; ignored",
            Self::BuildConflict => "the host's rows give different builds; no build kept (verdicts unknown)",
            Self::RevisionConflict => {
                "the host's rows give different revisions; build kept without revision (installed KBs decide)"
            }
        }
    }
}

/// A row, or part of one, that was not used: where (line, column as written in the header) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowProblem {
    /// The 1-based line (CSV) or row (XLSX) number.
    pub line: usize,
    /// The column's header as written.
    pub column: String,
    /// Why.
    pub kind: ProblemKind,
    /// The cell's text (for a conflict, the versions seen).
    pub value: String,
    /// The host the row is about, when known.
    pub host: Option<String>,
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {} ({}): {}: {:?}",
            self.line,
            self.column,
            self.kind.reason(),
            self.value
        )
    }
}

/// One update row of a host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportedUpdate {
    /// The row's line.
    pub line: usize,
    /// The KB number.
    pub kb: Kb,
    /// The update's title, when the report has one.
    pub title: String,
    /// Its state on the host.
    pub state: UpdateState,
    /// WSUS approval (`Install`, `NotApproved`), when the report has it.
    pub approval: String,
}

/// One computer of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportHost {
    /// The name as first written (`A-SRV1.corp.local`).
    pub name: String,
    /// The key rows were grouped by ([`host_key`]).
    pub key: String,
    /// Every line that named this host.
    pub lines: Vec<usize>,
    /// Its inventory for the matcher.
    pub inventory: HostInventory,
    /// Every update row with its state, in file order.
    pub updates: Vec<ReportedUpdate>,
}

impl ReportHost {
    /// How many update rows have this state.
    pub fn count(&self, state: UpdateState) -> usize {
        self.updates.iter().filter(|u| u.state == state).count()
    }
}

/// A parsed multi-host report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpdateReport {
    /// The file name as given.
    pub source: String,
    /// Data rows read (not counting blank rows, title rows and the header).
    pub rows: usize,
    /// The hosts, in order of first appearance.
    pub hosts: Vec<ReportHost>,
    /// Rows or parts of rows not used, by line.
    pub problems: Vec<RowProblem>,
}

/// The key a host name is matched by: lower case, a `DOMAIN\` prefix dropped, a domain name reduced to its first
/// label (`A-SRV1.corp.local` → `a-srv1`); an IP address is kept whole.
pub fn host_key(name: &str) -> String {
    let name = name.trim();
    let name = name.rsplit('\\').next().unwrap_or(name).trim();
    if name.parse::<std::net::IpAddr>().is_ok() {
        return name.to_lowercase();
    }
    name.split('.').next().unwrap_or(name).trim().to_lowercase()
}

/// An OS version from a report cell: `10.0.17763.5206`, `10.0.17763`, a bare build (`17763`) or build and revision
/// (`17763.5206`); the first word only (`10.0.17763 N/A Build 17763`).
pub fn os_version_of(text: &str) -> Option<Version> {
    let word = text.split_whitespace().next()?;
    let v = Version::parse(word)?;
    let (build, rest) = match v.0.as_slice() {
        [_, _, _, ..] => return Some(v),
        [build] => (*build, None),
        [build, rev] if *build >= 2600 => (*build, Some(*rev)),
        _ => return None,
    };
    let (major, minor) = match build {
        10240.. => (10, 0),
        9600 => (6, 3),
        9200 => (6, 2),
        7600 | 7601 => (6, 1),
        6000..=6003 => (6, 0),
        3790 => (5, 2),
        2600 => (5, 1),
        _ => return None,
    };
    let mut parts = vec![major, minor, build];
    parts.extend(rest);
    Some(Version(parts))
}

/// The KB numbers of a KB cell: `5027222`, `KB5027222`, `KB5027222, KB5026362`. A bare number needs five digits at
/// least, so that `File 1` (a `HotFixID` of Windows XP) is not taken for KB1.
fn kbs_in_cell(cell: &str) -> Vec<Kb> {
    cell.split([',', ';', ' ', '\n', '\t'])
        .filter_map(|t| {
            let t = t.trim();
            if t.len() >= 5 && t.bytes().all(|b| b.is_ascii_digit()) {
                Kb::parse(t)
            } else {
                Kb::parse_prefixed(t)
            }
        })
        .collect()
}

/// Every `KBnnnnnnn` in a title.
fn kbs_in_title(title: &str) -> Vec<Kb> {
    let upper = title.to_ascii_uppercase();
    let mut out = Vec::new();
    let mut rest = upper.as_str();
    while let Some(at) = rest.find("KB") {
        let preceded = at > 0 && rest.as_bytes()[at - 1].is_ascii_alphanumeric();
        let digits: String = rest[at + 2..].chars().take_while(char::is_ascii_digit).collect();
        if !preceded && digits.len() >= 4 {
            out.extend(Kb::parse(&digits));
        }
        rest = &rest[at + 2..];
    }
    out
}

/// The header: column index → role, and the header text per column.
struct Header {
    roles: Vec<(usize, Role)>,
    names: Vec<String>,
    /// A `HotFixID` column: a `Get-HotFix` list, every row installed.
    hotfix_list: bool,
}

impl Header {
    fn of(cells: &[String]) -> Self {
        let roles = cells
            .iter()
            .enumerate()
            .filter_map(|(i, c)| role_of(c).map(|r| (i, r)))
            .collect();
        Self {
            roles,
            names: cells.iter().map(|c| c.trim().to_owned()).collect(),
            hotfix_list: cells.iter().any(|c| squash(c) == "hotfixid"),
        }
    }

    fn has(&self, role: Role) -> bool {
        self.roles.iter().any(|(_, r)| *r == role)
    }

    /// The first column of `role`, by header order.
    fn column(&self, role: Role) -> Option<usize> {
        self.roles.iter().find(|(_, r)| *r == role).map(|(i, _)| *i)
    }

    /// The first non-empty cell among the columns of `role`, with its column index.
    fn cell<'r>(&self, cells: &'r [String], role: Role) -> Option<(usize, &'r str)> {
        self.roles
            .iter()
            .filter(|(_, r)| *r == role)
            .filter_map(|(i, _)| cells.get(*i).map(|c| (*i, c.trim())))
            .find(|(_, c)| !c.is_empty())
    }

    fn name(&self, col: Option<usize>) -> String {
        col.and_then(|i| self.names.get(i)).cloned().unwrap_or_default()
    }
}

/// Whether a header row names a host column and something about the host's OS or updates.
fn is_header(cells: &[String]) -> bool {
    let roles: BTreeSet<Role> = cells.iter().filter_map(|c| role_of(c)).collect();
    roles.contains(&Role::Host)
        && [Role::Kb, Role::Title, Role::OsVersion, Role::OsName, Role::State]
            .iter()
            .any(|r| roles.contains(r))
}

#[derive(Default)]
struct Acc {
    name: String,
    lines: Vec<usize>,
    os_name: Option<String>,
    arch: Option<Arch>,
    versions: Vec<(usize, Version)>,
    updates: Vec<ReportedUpdate>,
}

/// Parses a multi-host update report from a table. Refused only when no header row (within the first 20 rows) names
/// a computer column and an OS or update column; every other problem is per row, in [`UpdateReport::problems`].
pub fn parse_update_report(source: &str, grid: &Grid) -> Result<UpdateReport> {
    let Some(at) = grid.find_header(20, is_header) else {
        return Err(Error::Schema {
            at: Location::source(source),
            message: "no header naming the computer (Computer Name, FullDomainName, Name0, PSComputerName, CSName, \
                      Tên máy) and its OS or updates (Operating System, OS Version, KB Article, HotFixID, Update \
                      Title, Status)"
                .into(),
        });
    };
    let header = Header::of(&grid.rows[at].cells);
    let update_rows = header.has(Role::Kb) || header.has(Role::Title);
    let mut report = UpdateReport {
        source: source.to_owned(),
        rows: 0,
        hosts: Vec::new(),
        problems: Vec::new(),
    };
    let mut accs: Vec<Acc> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for row in grid.rows.iter().skip(at + 1).filter(|r| !r.is_blank()) {
        report.rows += 1;
        let cells = &row.cells;
        let problem = |col: Option<usize>, kind, value: &str, host: Option<&str>| RowProblem {
            line: row.line,
            column: header.name(col),
            kind,
            value: value.to_owned(),
            host: host.map(str::to_owned),
        };
        let host = header.cell(cells, Role::Host).map(|(_, h)| h);
        let Some(name) = host.filter(|h| !host_key(h).is_empty()) else {
            report.problems.push(problem(
                header.column(Role::Host),
                ProblemKind::NoHost,
                host.unwrap_or(""),
                None,
            ));
            continue;
        };
        let key = host_key(name);
        let slot = *index.entry(key).or_insert_with(|| {
            accs.push(Acc {
                name: name.to_owned(),
                ..Acc::default()
            });
            accs.len() - 1
        });
        let acc = &mut accs[slot];
        acc.lines.push(row.line);
        if acc.os_name.is_none() {
            acc.os_name = header.cell(cells, Role::OsName).map(|(_, c)| c.to_owned());
        }
        if acc.arch.is_none() {
            acc.arch = header.cell(cells, Role::Arch).and_then(|(_, c)| Arch::parse(c));
        }
        if let Some((col, text)) = header.cell(cells, Role::OsVersion) {
            match os_version_of(text) {
                Some(v) => acc.versions.push((row.line, v)),
                None => report
                    .problems
                    .push(problem(Some(col), ProblemKind::BadVersion, text, Some(name))),
            }
        }
        if !update_rows {
            continue;
        }
        let kb_cell = header.cell(cells, Role::Kb);
        let title = header.cell(cells, Role::Title).map_or("", |(_, t)| t);
        let mut kbs: Vec<Kb> = kb_cell.map(|(_, c)| kbs_in_cell(c)).unwrap_or_default();
        if kbs.is_empty() {
            kbs = kbs_in_title(title);
        }
        if kbs.is_empty() {
            let (col, value) = match kb_cell {
                Some((col, c)) => (Some(col), c),
                None => (header.column(Role::Kb).or(header.column(Role::Title)), title),
            };
            report
                .problems
                .push(problem(col, ProblemKind::NoKb, value, Some(name)));
            continue;
        }
        let state = if header.hotfix_list || !header.has(Role::State) {
            UpdateState::Installed
        } else {
            let cell = header.cell(cells, Role::State);
            match cell.and_then(|(_, c)| UpdateState::parse(c)) {
                Some(s) => s,
                None => {
                    let col = cell.map(|(c, _)| c).or(header.column(Role::State));
                    let value = cell.map_or("", |(_, c)| c);
                    report
                        .problems
                        .push(problem(col, ProblemKind::UnknownState, value, Some(name)));
                    continue;
                }
            }
        };
        let approval = header.cell(cells, Role::Approval).map_or("", |(_, c)| c);
        acc.updates.extend(kbs.into_iter().map(|kb| ReportedUpdate {
            line: row.line,
            kb,
            title: title.to_owned(),
            state,
            approval: approval.to_owned(),
        }));
    }
    for (key, slot) in index {
        let acc = std::mem::take(&mut accs[slot]);
        let (os_version, conflict) = settle_version(&acc.versions);
        if let Some((line, kind, value)) = conflict {
            report.problems.push(RowProblem {
                line,
                column: header.name(header.column(Role::OsVersion)),
                kind,
                value,
                host: Some(acc.name.clone()),
            });
        }
        report.hosts.push(host_of(source, key, acc, os_version));
    }
    report.hosts.sort_by_key(|h| h.lines.first().copied());
    report.problems.sort_by_key(|p| p.line);
    Ok(report)
}

/// The version to give the matcher from the versions a host's rows give, and the conflict to report: `(first line
/// that disagrees, kind, the versions seen)`.
fn settle_version(seen: &[(usize, Version)]) -> (Option<Version>, Option<(usize, ProblemKind, String)>) {
    let Some((_, first)) = seen.first() else {
        return (None, None);
    };
    let Some((line, _)) = seen.iter().find(|(_, v)| v != first) else {
        return (Some(first.clone()), None);
    };
    let distinct: BTreeSet<&Version> = seen.iter().map(|(_, v)| v).collect();
    let value = distinct
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" / ");
    if distinct.iter().all(|v| v.same_prefix(first, 3)) {
        let build = Version(first.0.iter().take(3).copied().collect());
        (Some(build), Some((*line, ProblemKind::RevisionConflict, value)))
    } else {
        (None, Some((*line, ProblemKind::BuildConflict, value)))
    }
}

fn host_of(source: &str, key: String, acc: Acc, os_version: Option<Version>) -> ReportHost {
    let mut inv = HostInventory::new(source, InventoryKind::UpdateReport);
    inv.hostname = Some(acc.name.clone());
    inv.os_name = acc.os_name;
    inv.os_version = os_version;
    inv.arch = acc.arch;
    for u in &acc.updates {
        match u.state {
            UpdateState::Installed => {
                inv.kbs.insert(u.kb);
            }
            UpdateState::InstalledPendingReboot => {
                inv.pending_reboot.insert(u.kb);
            }
            _ => {}
        }
    }
    let pending: Vec<Kb> = inv.pending_reboot.difference(&inv.kbs).copied().collect();
    inv.pending_reboot = pending.iter().copied().collect();
    for kb in &pending {
        let line = acc
            .updates
            .iter()
            .find(|u| u.kb == *kb && u.state == UpdateState::InstalledPendingReboot)
            .map_or(0, |u| u.line);
        inv.warnings.push(format!(
            "{source}:{line}: {kb} is installed but waits for a restart (pending reboot): not counted as installed"
        ));
    }
    ReportHost {
        name: acc.name,
        key,
        lines: acc.lines,
        inventory: inv,
        updates: acc.updates,
    }
}

/// Largest number of rows a report may have.
pub const MAX_REPORT_ROWS: usize = 500_000;

/// Reads a report from a file's bytes (CSV in any delimiter or encoding the tabular crate reads, or XLSX) and
/// parses it with [`parse_update_report`].
pub fn read_update_report(source: &str, bytes: &[u8]) -> Result<UpdateReport> {
    // `Export-Csv` without `-NoTypeInformation` writes a `#TYPE …` line first: sniff the delimiter after it.
    let delimiter = (!canhgac_tabular::is_xlsx(source, bytes)).then(|| {
        let text = canhgac_tabular::decode(&bytes[..bytes.len().min(64 * 1024)]);
        let first = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with("#TYPE"))
            .unwrap_or("");
        canhgac_tabular::sniff_delimiter(first)
    });
    let options = canhgac_tabular::Options {
        max_rows: Some(MAX_REPORT_ROWS),
        delimiter,
        ..Default::default()
    };
    let grid = canhgac_tabular::read(source, bytes, &options).map_err(|e| Error::Schema {
        at: Location::source(source),
        message: format!("not a readable table: {e}"),
    })?;
    parse_update_report(source, &grid)
}

#[cfg(test)]
mod tests;
