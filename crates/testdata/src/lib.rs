//! Test support for the real public data sets kept beside the repository in `../shared/data`.
//!
//! Tests never copy those files into the repository; they read them in place. When the folder is absent (a machine
//! without it), a test calls [`require`] and returns early after printing why.
//!
//! ```no_run
//! let Some(dir) = canhgac_testdata::require("sigma/rules/windows") else { return };
//! assert!(dir.is_dir());
//! ```

use std::path::{Path, PathBuf};

/// The root of the shared data sets: `$CANHGAC_SHARED_DATA` if set, else `<workspace>/../shared/data`.
pub fn root() -> PathBuf {
    if let Some(dir) = std::env::var_os("CANHGAC_SHARED_DATA") {
        return PathBuf::from(dir);
    }
    workspace_root().join("..").join("shared").join("data")
}

/// The workspace root (the folder holding the top `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..")
}

/// The path `rel` under the data root, or `None` after printing a skip reason when it does not exist.
pub fn require(rel: &str) -> Option<PathBuf> {
    let path = root().join(rel);
    if path.exists() {
        Some(path)
    } else {
        eprintln!(
            "skipped: shared data {} is absent (set CANHGAC_SHARED_DATA to the data folder)",
            path.display()
        );
        None
    }
}

/// The JSON files inside every OTRF Security Datasets zip under `logs/otrf-security-datasets`, as
/// `(zip path:entry name, text)` in path order (macOS resource forks skipped); `None` after printing a skip reason
/// when the folder is absent. Panics on an unreadable zip: the data set is part of the test.
pub fn otrf_json_files() -> Option<Vec<(String, String)>> {
    use std::io::Read;
    let root = require("logs/otrf-security-datasets")?;
    let mut zips = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let p = entry.unwrap_or_else(|e| panic!("{}: {e}", dir.display())).path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "zip") {
                zips.push(p);
            }
        }
    }
    zips.sort();
    let mut out = Vec::new();
    for zip in zips {
        let file = std::fs::File::open(&zip).unwrap_or_else(|e| panic!("{}: {e}", zip.display()));
        let mut archive = zip::ZipArchive::new(file).unwrap_or_else(|e| panic!("{}: {e}", zip.display()));
        for i in 0..archive.len() {
            let mut entry = archive
                .by_index(i)
                .unwrap_or_else(|e| panic!("{}: {e}", zip.display()));
            if entry.name().starts_with("__MACOSX/") || !entry.name().ends_with(".json") {
                continue;
            }
            let mut text = String::new();
            entry
                .read_to_string(&mut text)
                .unwrap_or_else(|e| panic!("{}:{}: {e}", zip.display(), entry.name()));
            out.push((format!("{}:{}", zip.display(), entry.name()), text));
        }
    }
    Some(out)
}
