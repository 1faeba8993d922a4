//! Checking an uploaded rule set before it is published: one `.yar`/`.yara` file, one hash list (`HASH;comment`
//! lines), or a `.zip` of them. Every YARA file is compiled with `canhgac-scan` (yara-x), every hash list read;
//! each file that fails is reported with its line and reason. The caller publishes only when nothing failed, or
//! when the uploader chose to publish without the failing files (they are then recorded as left out).

use std::io::{Cursor, Read};
use std::path::Path;

use canhgac_model::scan::{BundleFile, RuleBundle};
use canhgac_scan::{is_rule_file, HashList, RuleSet};
use canhgac_store::{LeftOut, RuleSetUpload};
use serde::Serialize;

/// Members read from one archive at most.
const MAX_MEMBERS: usize = 5_000;
/// Largest member (uncompressed).
const MAX_MEMBER: u64 = 16 << 20;
/// All members together (uncompressed).
const MAX_TOTAL: u64 = 128 << 20;

/// What the check found.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub file_name: String,
    pub yara_files: usize,
    /// Rules the compiler built (a failing file's rules before its error may be counted).
    pub yara_rules: usize,
    pub hash_lists: usize,
    pub hash_entries: usize,
    /// Files that failed (compile error, refused hash lines, not text), each with line and reason.
    pub failures: Vec<LeftOut>,
    /// Archive members that are neither YARA files nor hash lists (not used).
    pub ignored: Vec<String>,
    #[serde(skip)]
    bundle: RuleBundle,
}

impl CheckReport {
    /// The version to publish: the files that passed, the failures recorded as left out.
    pub fn into_upload(self, note: &str) -> RuleSetUpload {
        RuleSetUpload {
            file_name: self.file_name,
            note: note.to_string(),
            bundle: self.bundle,
            yara_rules: self.yara_rules as i64,
            hash_entries: self.hash_entries as i64,
            left_out: self.failures,
        }
    }

    fn fail(&mut self, file: &str, line: usize, reason: impl Into<String>) {
        self.failures.push(LeftOut {
            file: file.to_string(),
            line,
            reason: reason.into(),
        });
    }
}

/// An upload that cannot be read at all (not a zip it claims to be, over the limits).
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("{0}: not a readable zip archive: {1}")]
    Zip(String, String),
    #[error("{0}: {1}")]
    Limit(String, String),
    #[error("the upload holds no YARA file and no hash list")]
    Empty,
    #[error("checking the rules: {0}")]
    Io(String),
}

fn is_zip(name: &str, bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
        || bytes.starts_with(b"PK\x05\x06")
        || name.to_ascii_lowercase().ends_with(".zip")
}

fn is_hash_list(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".txt", ".csv", ".ioc", ".hashes", ".lst"]
        .iter()
        .any(|e| lower.ends_with(e))
}

/// The members of a zip archive as (name, bytes), within the limits.
fn unzip(name: &str, bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, UploadError> {
    let mut zip =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| UploadError::Zip(name.into(), e.to_string()))?;
    if zip.len() > MAX_MEMBERS {
        return Err(UploadError::Limit(
            name.into(),
            format!("{} members, at most {MAX_MEMBERS}", zip.len()),
        ));
    }
    let mut out = Vec::new();
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut m = zip
            .by_index(i)
            .map_err(|e| UploadError::Zip(name.into(), e.to_string()))?;
        if m.is_dir() {
            continue;
        }
        let member = format!("{name}!{}", m.name());
        if m.size() > MAX_MEMBER {
            return Err(UploadError::Limit(
                member,
                format!("larger than {MAX_MEMBER} bytes"),
            ));
        }
        let mut data = Vec::new();
        #[allow(clippy::disallowed_methods, reason = "capped by take(MAX_MEMBER + 1)")]
        (&mut m)
            .take(MAX_MEMBER + 1)
            .read_to_end(&mut data)
            .map_err(|e| UploadError::Zip(member.clone(), e.to_string()))?;
        total += data.len() as u64;
        if data.len() as u64 > MAX_MEMBER || total > MAX_TOTAL {
            return Err(UploadError::Limit(
                member,
                "archive larger than allowed when unpacked".into(),
            ));
        }
        out.push((m.name().to_string(), data));
    }
    Ok(out)
}

/// The first `include` directive of a YARA source (1-based line), refused: uploaded rules must be whole.
fn include_line(text: &str) -> Option<usize> {
    text.lines()
        .position(|l| l.trim_start().starts_with("include"))
        .map(|i| i + 1)
}

/// Compiles the YARA files together, one namespace each, as the agent will (one compiler, one build): written to
/// a fresh temporary folder for `RuleSet::compile_files`, removed afterwards. Files that fail are reported.
fn compile_yara(files: Vec<BundleFile>, report: &mut CheckReport) -> Result<(), UploadError> {
    if files.is_empty() {
        return Ok(());
    }
    let work = std::env::temp_dir().join(format!("canhgac-ruleset-{}", canhgac_store::new_secret()));
    let io = |e: std::io::Error| UploadError::Io(format!("{}: {e}", work.display()));
    std::fs::create_dir_all(&work).map_err(io)?;
    let mut paths = Vec::with_capacity(files.len());
    for (i, f) in files.iter().enumerate() {
        let path = work.join(format!("{i}.yar"));
        if let Err(e) = std::fs::write(&path, &f.text) {
            let _ = std::fs::remove_dir_all(&work);
            return Err(io(e));
        }
        paths.push((path, f.name.clone()));
    }
    let compiled = RuleSet::compile_files(&paths);
    let _ = std::fs::remove_dir_all(&work);
    let set = compiled.map_err(|e| UploadError::Io(e.to_string()))?;
    let failed: std::collections::BTreeMap<&Path, &canhgac_scan::RuleFileError> = set
        .report()
        .failures
        .iter()
        .map(|f| (f.path.as_path(), f))
        .collect();
    for ((path, _), file) in paths.iter().zip(files) {
        match failed.get(path.as_path()) {
            Some(f) => {
                let reason = format!("error[{}]: {}", f.code, f.reason);
                report.fail(&file.name, f.line, reason);
            }
            None => {
                report.yara_files += 1;
                report.bundle.yara.push(file);
            }
        }
    }
    report.yara_rules = set.rule_count();
    Ok(())
}

/// Checks the uploaded file `file_name`.
pub fn check(file_name: &str, bytes: &[u8]) -> Result<CheckReport, UploadError> {
    let file_name = Path::new(file_name.trim())
        .file_name()
        .map_or_else(|| "upload".to_string(), |n| n.to_string_lossy().into_owned());
    let zipped = is_zip(&file_name, bytes);
    let members = if zipped {
        unzip(&file_name, bytes)?
    } else {
        vec![(file_name.clone(), bytes.to_vec())]
    };
    let mut report = CheckReport {
        file_name,
        yara_files: 0,
        yara_rules: 0,
        hash_lists: 0,
        hash_entries: 0,
        failures: Vec::new(),
        ignored: Vec::new(),
        bundle: RuleBundle::default(),
    };
    let mut yara_files = Vec::new();
    for (name, data) in members {
        let yara = is_rule_file(Path::new(&name));
        if !yara && !is_hash_list(&name) && zipped {
            report.ignored.push(name);
            continue;
        }
        let Ok(text) = String::from_utf8(data) else {
            report.fail(&name, 0, "not UTF-8 text");
            continue;
        };
        if yara {
            if let Some(line) = include_line(&text) {
                report.fail(&name, line, "include is not accepted in an uploaded rule set: upload the included file too, in a .zip");
                continue;
            }
            yara_files.push(BundleFile { name, text });
        } else {
            let mut list = HashList::new();
            list.add_text(&name, Path::new(&name), &text);
            if let Some(r) = list.refused().first() {
                let more = list.refused().len() - 1;
                let reason = if more > 0 {
                    format!("{} (and {more} more refused lines)", r.reason)
                } else {
                    r.reason.clone()
                };
                report.fail(&name, r.line, reason);
                continue;
            }
            if list.is_empty() {
                report.fail(&name, 0, "no MD5, SHA-1 or SHA-256 digest in the list");
                continue;
            }
            report.hash_lists += 1;
            report.hash_entries += list.len();
            report.bundle.hashes.push(BundleFile { name, text });
        }
    }
    compile_yara(yara_files, &mut report)?;
    if report.bundle.yara.is_empty() && report.bundle.hashes.is_empty() && report.failures.is_empty() {
        return Err(UploadError::Empty);
    }
    Ok(report)
}

/// Why an upload was not published.
#[derive(Debug)]
pub enum PublishError {
    /// Some files failed and the uploader did not choose to publish without them (the previous version stays).
    Failures(CheckReport),
    /// The upload could not be read at all.
    Upload(UploadError),
    Store(canhgac_store::StoreError),
}

/// A published version and the check that preceded it.
#[derive(Debug, Serialize)]
pub struct Published {
    pub version: canhgac_store::RuleSetVersion,
    pub check: CheckReport,
}

/// Checks the upload on a blocking thread and publishes it as the next version of `unit`'s rule set (`None`: the
/// Department's), unless files failed and `partial` (publish without the failing files) was not chosen.
pub async fn publish(
    state: &crate::AppState,
    actor: &canhgac_model::Actor,
    unit: Option<canhgac_model::UnitId>,
    file_name: String,
    bytes: Vec<u8>,
    partial: bool,
    note: &str,
) -> Result<Published, PublishError> {
    // Refuse early, before compiling, when the caller may not publish there.
    let may = match unit {
        None => actor.is_dept_admin(),
        Some(u) => actor.allows(canhgac_model::Permission::AdministerUnit, u),
    };
    if !may {
        let visible = unit.is_none_or(|u| actor.allows(canhgac_model::Permission::Read, u));
        return Err(PublishError::Store(if visible {
            canhgac_store::StoreError::Forbidden
        } else {
            canhgac_store::StoreError::NotFound
        }));
    }
    let report = tokio::task::spawn_blocking(move || check(&file_name, &bytes))
        .await
        .map_err(|e| PublishError::Store(canhgac_store::StoreError::Config(format!("rule check: {e}"))))?
        .map_err(PublishError::Upload)?;
    if !report.failures.is_empty() && !partial {
        return Err(PublishError::Failures(report));
    }
    let shown = report.clone();
    let version = state
        .store
        .publish_ruleset(actor, unit, &report.into_upload(note))
        .await
        .map_err(PublishError::Store)?;
    Ok(Published {
        version,
        check: shown,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut out);
            for (n, t) in files {
                z.start_file(*n, zip::write::SimpleFileOptions::default())
                    .unwrap();
                z.write_all(t.as_bytes()).unwrap();
            }
            z.finish().unwrap();
        }
        out.into_inner()
    }

    #[test]
    fn a_zip_with_a_broken_rule_names_file_and_line() {
        let good = "rule good { strings: $a = \"x1y2z3\" condition: $a }";
        let bad = "rule ok { condition: true }\n\nrule bad {\n condition: nosuch }\n";
        let hashes = "# list\n44d88612fea8a8f36de82e1278abb02f;EICAR\n";
        let z = zip_of(&[
            ("r/good.yar", good),
            ("r/bad.yar", bad),
            ("h.txt", hashes),
            ("README.md", "x"),
        ]);
        let r = check("set.zip", &z).unwrap();
        assert_eq!((r.yara_files, r.hash_entries), (1, 1));
        // yara-x keeps the rules of a failing file parsed before its error in the count.
        assert!(r.yara_rules >= 1);
        assert_eq!(r.failures.len(), 1);
        assert_eq!(
            (r.failures[0].file.as_str(), r.failures[0].line),
            ("r/bad.yar", 4)
        );
        assert!(
            r.failures[0].reason.contains("nosuch"),
            "{}",
            r.failures[0].reason
        );
        assert_eq!(r.ignored, ["README.md"]);
        let up = r.into_upload("n");
        assert_eq!(up.bundle.yara.len(), 1);
        assert_eq!(up.left_out.len(), 1);
    }

    #[test]
    fn bad_hash_lines_includes_and_corrupt_zips_are_refused() {
        let r = check("h.txt", b"abc;x\n44d88612fea8a8f36de82e1278abb02f\n").unwrap();
        assert_eq!((r.failures.len(), r.failures[0].line), (1, 1));
        let r = check("i.yar", b"include \"/etc/passwd\"\nrule a { condition: true }").unwrap();
        assert_eq!((r.failures.len(), r.failures[0].line), (1, 1));
        assert!(matches!(
            check("x.zip", b"PK\x03\x04garbage"),
            Err(UploadError::Zip(..))
        ));
        assert!(matches!(
            check("x.zip", &zip_of(&[("a.md", "x")])),
            Err(UploadError::Empty)
        ));
    }
}
