//! Compiling YARA rule files with yara-x, one file per namespace.
//!
//! Each rule file is added on its own, in a namespace named after its path relative to the folder it was found
//! in, so a file that does not compile is reported (file, line, column, error code and reason) and left out while
//! every other file is kept. Includes are resolved relative to the including file's folder.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Serialize;
use walkdir::WalkDir;

use crate::error::{Error, Result};

/// A rule file that failed to compile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleFileError {
    /// The rule file.
    pub path: PathBuf,
    /// 1-based line of the first error (0 when yara-x gave no location).
    pub line: usize,
    /// 1-based column of the first error (0 when unknown).
    pub column: usize,
    /// yara-x error code, such as `E009`.
    pub code: String,
    /// The error title and label text, one line.
    pub reason: String,
}

impl std::fmt::Display for RuleFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: error[{}]: {}",
            self.path.display(),
            self.line,
            self.column,
            self.code,
            self.reason
        )
    }
}

/// The outcome of compiling a set of rule files.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CompileReport {
    /// Rule files that compiled.
    pub files_compiled: usize,
    /// Rule files refused, with the first error of each.
    pub failures: Vec<RuleFileError>,
    /// Rules in the compiled set (all namespaces).
    pub rules: usize,
}

/// A compiled rule set and the report of how it was built.
pub struct RuleSet {
    pub(crate) rules: yara_x::Rules,
    report: CompileReport,
}

impl std::fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleSet")
            .field("report", &self.report)
            .finish_non_exhaustive()
    }
}

/// True for the file names treated as YARA sources when walking a folder.
pub fn is_rule_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yar") || e.eq_ignore_ascii_case("yara"))
}

impl RuleSet {
    /// Compiles every `.yar`/`.yara` file under `paths` (files are taken as given, folders are walked in name
    /// order). Files that fail are listed in [`RuleSet::report`]; only I/O failures on the given paths and an
    /// empty set of rule files are errors.
    pub fn compile_paths<P: AsRef<Path>>(paths: &[P]) -> Result<Self> {
        let mut files: Vec<(PathBuf, String)> = Vec::new();
        for root in paths {
            let root = root.as_ref();
            let meta = std::fs::metadata(root).map_err(|source| Error::Io {
                path: root.to_path_buf(),
                source,
            })?;
            if meta.is_file() {
                let ns = root
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
                files.push((root.to_path_buf(), ns));
                continue;
            }
            for entry in WalkDir::new(root).follow_links(true).sort_by_file_name() {
                let entry = entry.map_err(|e| {
                    let path = e.path().unwrap_or(root).to_path_buf();
                    Error::Io {
                        path,
                        source: e.into(),
                    }
                })?;
                if entry.file_type().is_file() && is_rule_file(entry.path()) {
                    let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
                    files.push((
                        entry.path().to_path_buf(),
                        rel.to_string_lossy().replace('\\', "/"),
                    ));
                }
            }
        }
        if files.is_empty() {
            let shown: Vec<String> = paths.iter().map(|p| p.as_ref().display().to_string()).collect();
            return Err(Error::NoRuleFiles(shown.join(", ")));
        }
        Self::compile_files(&files)
    }

    /// Compiles `(file, namespace)` pairs, one namespace per file.
    pub fn compile_files(files: &[(PathBuf, String)]) -> Result<Self> {
        let mut compiler = yara_x::Compiler::new();
        compiler.enable_includes(true);
        let mut include_dirs = BTreeSet::new();
        for (path, _) in files {
            if let Some(dir) = path.parent() {
                if include_dirs.insert(dir.to_path_buf()) {
                    compiler.add_include_dir(dir);
                }
            }
        }
        let mut report = CompileReport::default();
        for (path, namespace) in files {
            let bytes = std::fs::read(path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            compiler.new_namespace(namespace);
            let source = yara_x::SourceCode::from(bytes.as_slice()).with_origin(path.display().to_string());
            match compiler.add_source(source) {
                Ok(_) => report.files_compiled += 1,
                Err(err) => report.failures.push(describe(path, &bytes, &err)),
            }
        }
        let rules = compiler.build();
        report.rules = rules.iter().len();
        Ok(Self { rules, report })
    }

    /// Compiles YARA source text held in memory, as one namespace (`origin` names it in errors).
    pub fn compile_source(origin: &str, text: &str) -> Self {
        let mut compiler = yara_x::Compiler::new();
        compiler.new_namespace(origin);
        let mut report = CompileReport::default();
        let source = yara_x::SourceCode::from(text).with_origin(origin);
        match compiler.add_source(source) {
            Ok(_) => report.files_compiled = 1,
            Err(err) => report
                .failures
                .push(describe(Path::new(origin), text.as_bytes(), &err)),
        }
        let rules = compiler.build();
        report.rules = rules.iter().len();
        Self { rules, report }
    }

    /// How the set was built: files compiled, files refused and why, rule count.
    pub fn report(&self) -> &CompileReport {
        &self.report
    }

    /// Number of rules in the set.
    pub fn rule_count(&self) -> usize {
        self.report.rules
    }
}

/// Turns a yara-x error into a one-line report with the line and column of its first label.
fn describe(path: &Path, source: &[u8], err: &yara_x::errors::CompileError) -> RuleFileError {
    let mut reason = err.title().to_string();
    let mut line = 0;
    let mut column = 0;
    let mut err_path = path.to_path_buf();
    if let Some(label) = err.labels().next() {
        let text = label.text();
        if !text.is_empty() && text != reason {
            reason = format!("{reason}: {text}");
        }
        match label.origin() {
            // Error inside an included file: its span counts in that file.
            Some(origin) if Path::new(origin) != path => {
                err_path = PathBuf::from(origin);
                if let Ok(inc) = std::fs::read(origin) {
                    (line, column) = line_col(&inc, label.span().start());
                }
            }
            _ => (line, column) = line_col(source, label.span().start()),
        }
    }
    if err_path != path {
        reason = format!(
            "{reason} (in {} included from {})",
            err_path.display(),
            path.display()
        );
    }
    RuleFileError {
        path: path.to_path_buf(),
        line,
        column,
        code: err.code().to_string(),
        reason,
    }
}

/// 1-based line and column of byte `offset` in `text`.
fn line_col(text: &[u8], offset: usize) -> (usize, usize) {
    let head = text.get(..offset).unwrap_or(text);
    let line = head.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = head.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        assert_eq!(line_col(b"ab\ncd", 0), (1, 1));
        assert_eq!(line_col(b"ab\ncd", 4), (2, 2));
    }

    #[test]
    fn bad_source_reports_line_and_code() {
        let set = RuleSet::compile_source(
            "t.yar",
            "rule ok { condition: true }\nrule bad {\n condition: nosuch }\n",
        );
        let failures = &set.report().failures;
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].line, 3);
        assert!(failures[0].reason.contains("nosuch"), "{}", failures[0].reason);
    }
}
