//! Quarantine, restore and delete tasks on a detection's file, with the quarantine store of `canhgac-scan` in the
//! agent's state folder (`quarantine/`).
//!
//! - quarantine: the file's SHA-256 must equal the detection's before it is moved into the store; the result's
//!   `action` carries the entry (`entry`, `path`, `sha256`, `size`).
//! - restore: the newest entry for the detection's path and SHA-256 is given back at its path (byte-identical,
//!   with its mode and times; never over an existing file).
//! - delete: the quarantined copy is removed for good; when the file was never quarantined, the file itself is
//!   removed if its SHA-256 still equals the detection's.

use std::io::Read;
use std::path::{Path, PathBuf};

use canhgac_model::scan::{AgentTask, TaskKind, TaskOutcome, TaskResult};
use canhgac_scan::quarantine::{Entry, Quarantine};
use sha2::{Digest, Sha256};

/// SHA-256 (lowercase hex) of a file's content, read in pieces.
fn file_sha256(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// The path with its folder resolved (the file itself may be absent), as the store records it.
fn resolved(path: &Path) -> PathBuf {
    match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) => {
            std::fs::canonicalize(dir).map_or_else(|_| path.to_path_buf(), |d| d.join(name))
        }
        _ => path.to_path_buf(),
    }
}

fn entry_json(entry: &Entry) -> serde_json::Value {
    serde_json::json!({
        "entry": entry.id,
        "path": entry.original_path,
        "sha256": entry.sha256,
        "size": entry.size,
    })
}

/// The newest entry of `store` for `path` with content `sha256`.
fn find_entry(store: &Quarantine, path: &Path, sha256: &str) -> Result<Option<Entry>, String> {
    let listing = store.list().map_err(|e| e.to_string())?;
    let wanted = [path.to_path_buf(), resolved(path)];
    Ok(listing
        .entries
        .into_iter()
        .rev()
        .find(|e| e.sha256.eq_ignore_ascii_case(sha256) && wanted.contains(&e.original())))
}

fn quarantine(
    store: &Quarantine,
    path: &Path,
    sha256: &str,
    task_id: i64,
) -> Result<serde_json::Value, String> {
    let actual = file_sha256(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    if !actual.eq_ignore_ascii_case(sha256) {
        return Err(format!(
            "{}: its SHA-256 is now {actual}, not {sha256} as detected; left in place",
            path.display()
        ));
    }
    let entry = store
        .put(path, &format!("scan task {task_id}"))
        .map_err(|e| e.to_string())?;
    if !entry.sha256.eq_ignore_ascii_case(sha256) {
        // Changed between the check and the move: give it back as it was.
        let back = store.restore(&entry.id, None).map_err(|e| e.to_string());
        return Err(format!(
            "{}: changed while it was being quarantined (SHA-256 {}); {}",
            path.display(),
            entry.sha256,
            match back {
                Ok(_) => "put back".to_string(),
                Err(e) => format!("kept in quarantine as {} ({e})", entry.id),
            }
        ));
    }
    Ok(entry_json(&entry))
}

fn restore(store: &Quarantine, path: &Path, sha256: &str) -> Result<serde_json::Value, String> {
    let entry = find_entry(store, path, sha256)?
        .ok_or_else(|| format!("{}: no quarantined copy with SHA-256 {sha256}", path.display()))?;
    let restored = store.restore(&entry.id, None).map_err(|e| e.to_string())?;
    let mut action = entry_json(&restored.entry);
    action["restored_to"] = restored.path.to_string_lossy().into_owned().into();
    action["warnings"] = restored.warnings.into();
    Ok(action)
}

fn delete(store: &Quarantine, path: &Path, sha256: &str) -> Result<serde_json::Value, String> {
    if let Some(entry) = find_entry(store, path, sha256)? {
        let entry = store.delete(&entry.id).map_err(|e| e.to_string())?;
        let mut action = entry_json(&entry);
        action["deleted"] = "quarantined copy".into();
        return Ok(action);
    }
    let actual = file_sha256(path).map_err(|e| {
        format!(
            "{}: not quarantined, and the file cannot be read: {e}",
            path.display()
        )
    })?;
    if !actual.eq_ignore_ascii_case(sha256) {
        return Err(format!(
            "{}: its SHA-256 is now {actual}, not {sha256} as detected; not deleted",
            path.display()
        ));
    }
    std::fs::remove_file(path).map_err(|e| format!("removing {}: {e}", path.display()))?;
    Ok(serde_json::json!({ "path": path.to_string_lossy(), "sha256": actual, "deleted": "file" }))
}

fn act(task: &AgentTask, dir: &Path) -> Result<serde_json::Value, String> {
    let (Some(path), Some(sha256)) = (task.path.as_deref(), task.sha256.as_deref()) else {
        return Err("the task names no file and SHA-256".to_string());
    };
    let on_disk = Path::new(path);
    if path.contains('!') && std::fs::symlink_metadata(on_disk).is_err() {
        return Err(format!(
            "{path}: a member of an archive; act on the archive itself"
        ));
    }
    let store = Quarantine::open(dir).map_err(|e| e.to_string())?;
    match task.kind {
        TaskKind::Quarantine => quarantine(&store, on_disk, sha256, task.id),
        TaskKind::Restore => restore(&store, on_disk, sha256),
        TaskKind::Delete => delete(&store, on_disk, sha256),
        TaskKind::Scan => Err("not a file task".to_string()),
    }
}

/// Runs a quarantine, restore or delete task with the store in `dir`, filling `result`.
pub fn run(task: &AgentTask, dir: &Path, result: &mut TaskResult) {
    match act(task, dir) {
        Ok(action) => {
            result.outcome = TaskOutcome::Done;
            result.action = action;
        }
        Err(message) => {
            result.outcome = TaskOutcome::Failed;
            result.message = message;
        }
    }
}
