//! Installed packages: the dpkg status file and the rpm database (through the `rpm` program).

use super::Software;
use crate::error::{Error, Result};
use std::fmt;
use std::path::Path;
use std::process::Command;

/// A line that could not be read, 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    /// Line number in the file.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for LineProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// What the dpkg status file says is installed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DpkgStatus {
    /// Packages whose `Status` is `install ok installed`, sorted by name and architecture.
    pub packages: Vec<Software>,
    /// Entries in any other state (removed with configuration left, half installed…), not listed.
    pub other_states: usize,
    /// Lines or entries that could not be read; the entries around them are kept.
    pub problems: Vec<LineProblem>,
}

#[derive(Default)]
struct Stanza {
    start: usize,
    package: Option<String>,
    version: Option<String>,
    arch: Option<String>,
    source: Option<String>,
    status: Option<(usize, String)>,
    last_field: bool,
}

/// Parses `/var/lib/dpkg/status`: paragraphs of `Field: value` lines separated by blank lines, continuation lines
/// starting with a space or tab. Only `Status: install ok installed` entries are kept (name, version,
/// architecture, and the source package of `Source: name [(version)]` when it is given); a malformed line or an
/// installed entry without `Package` or `Version` is reported with its line.
pub fn parse_dpkg_status(text: &str) -> DpkgStatus {
    let mut out = DpkgStatus::default();
    let mut cur: Option<Stanza> = None;
    for (i, line) in text.lines().enumerate() {
        let no = i + 1;
        if line.trim().is_empty() {
            if let Some(s) = cur.take() {
                finish(s, &mut out);
            }
            continue;
        }
        let stanza = cur.get_or_insert_with(|| Stanza {
            start: no,
            ..Stanza::default()
        });
        if line.starts_with([' ', '\t']) {
            if !stanza.last_field {
                out.problems.push(LineProblem {
                    line: no,
                    message: "continuation line without a field before it".into(),
                });
            }
            continue;
        }
        let Some((field, value)) = line.split_once(':') else {
            stanza.last_field = false;
            out.problems.push(LineProblem {
                line: no,
                message: format!("not a `Field: value` line: {:?}", truncate(line)),
            });
            continue;
        };
        stanza.last_field = true;
        let value = value.trim().to_owned();
        match field.trim() {
            "Package" => stanza.package = Some(value),
            "Version" => stanza.version = Some(value),
            "Architecture" => stanza.arch = Some(value),
            "Source" => stanza.source = Some(value),
            "Status" => stanza.status = Some((no, value)),
            _ => {}
        }
    }
    if let Some(s) = cur.take() {
        finish(s, &mut out);
    }
    out.packages.sort();
    out
}

fn finish(s: Stanza, out: &mut DpkgStatus) {
    let Some((status_line, status)) = s.status else {
        out.problems.push(LineProblem {
            line: s.start,
            message: format!(
                "entry {:?} has no Status field",
                s.package.as_deref().unwrap_or("?")
            ),
        });
        return;
    };
    let words: Vec<&str> = status.split_whitespace().collect();
    if words.len() != 3 {
        out.problems.push(LineProblem {
            line: status_line,
            message: format!("Status {status:?} is not three words (want, flag, state)"),
        });
        return;
    }
    if words != ["install", "ok", "installed"] {
        out.other_states += 1;
        return;
    }
    let (source_package, source_version) = match s.source.as_deref().map(str::trim) {
        Some(src) if !src.is_empty() => match src.split_once('(') {
            Some((name, version)) => (
                Some(name.trim().to_owned()),
                Some(version.trim_end_matches(')').trim().to_owned()).filter(|v| !v.is_empty()),
            ),
            None => (Some(src.to_owned()), None),
        },
        _ => (None, None),
    };
    match (s.package, s.version) {
        (Some(name), Some(version)) => out.packages.push(Software {
            source_package: source_package.filter(|p| *p != name),
            source_version: source_version.filter(|v| *v != version),
            name,
            version: Some(version),
            architecture: s.arch,
            source: "dpkg".into(),
        }),
        (name, _) => out.problems.push(LineProblem {
            line: s.start,
            message: format!(
                "installed entry {:?} lacks a Package or Version field",
                name.as_deref().unwrap_or("?")
            ),
        }),
    }
}

fn truncate(line: &str) -> &str {
    match line.char_indices().nth(80) {
        Some((i, _)) => &line[..i],
        None => line,
    }
}

/// The `--queryformat` given to `rpm -qa`: name, `[epoch:]version-release` and architecture, tab-separated.
pub const RPM_QUERY_FORMAT: &str = "%{NAME}\\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\t%{ARCH}\\n";

/// Parses the output of `rpm -qa --queryformat` [`RPM_QUERY_FORMAT`]. `gpg-pubkey` entries (signing keys, not
/// software) are left out; an architecture of `(none)` is absent. Lines without three fields are reported.
pub fn parse_rpm_query(text: &str) -> (Vec<Software>, Vec<LineProblem>) {
    let mut packages = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [name, version, arch] = fields[..] else {
            problems.push(LineProblem {
                line: i + 1,
                message: format!("expected name, version and architecture separated by tabs: {line:?}"),
            });
            continue;
        };
        if name == "gpg-pubkey" {
            continue;
        }
        packages.push(Software {
            name: name.to_owned(),
            version: Some(version.to_owned()),
            architecture: (arch != "(none)" && !arch.is_empty()).then(|| arch.to_owned()),
            source: "rpm".into(),
            source_package: None,
            source_version: None,
        });
    }
    packages.sort();
    (packages, problems)
}

/// The `rpm` program on `PATH`, if any.
pub(super) fn find_rpm() -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("rpm"))
        .find(|p| p.is_file())
}

/// Runs `rpm -qa` against the database under `root`.
pub(super) fn run_rpm(rpm: &Path, root: &Path) -> Result<String> {
    let mut cmd = Command::new(rpm);
    if root != Path::new("/") {
        cmd.arg("--root").arg(root);
    }
    cmd.args(["-qa", "--queryformat", RPM_QUERY_FORMAT]);
    let command = format!("{} -qa", rpm.display());
    let out = cmd.output().map_err(|e| Error::Command {
        command: command.clone(),
        message: e.to_string(),
    })?;
    if !out.status.success() {
        return Err(Error::Command {
            command,
            message: format!("{}: {}", out.status, String::from_utf8_lossy(&out.stderr).trim()),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpkg_source_field_with_and_without_version() {
        let s = parse_dpkg_status(
            "Package: openssh-client\nStatus: install ok installed\nSource: openssh\nVersion: 1:9.2p1-2\n\n\
             Package: libssl3\nStatus: install ok installed\nSource: openssl (3.0.11-1~deb12u2)\n\
             Version: 3.0.11-1~deb12u2+b1\n\n\
             Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2+b2\n",
        );
        assert!(s.problems.is_empty(), "{:?}", s.problems);
        let got: Vec<_> = s
            .packages
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.source_package.as_deref(),
                    p.source_version.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("bash", None, None),
                ("libssl3", Some("openssl"), Some("3.0.11-1~deb12u2")),
                ("openssh-client", Some("openssh"), None),
            ]
        );
    }

    #[test]
    fn rpm_lines_with_epoch_and_none_arch() {
        let (p, problems) = parse_rpm_query(
            "bash\t5.1.8-6.el9\tx86_64\ngpg-pubkey\tfd431d51-4ae0493b\t(none)\n\
             openssl\t1:3.0.7-24.el9\tx86_64\ntzdata\t2023c-1.el9\tnoarch\nbroken line\n",
        );
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 5);
        let names: Vec<_> = p.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["bash", "openssl", "tzdata"]);
        assert_eq!(p[1].version.as_deref(), Some("1:3.0.7-24.el9"));
        assert_eq!(p[2].architecture.as_deref(), Some("noarch"));
    }
}
