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
