//! Quick and full scan roots on Windows (compiled only there).

use std::path::PathBuf;

use winreg::enums::{HKEY_LOCAL_MACHINE, HKEY_USERS, KEY_READ};
use winreg::RegKey;

use super::windows_paths::{command_files, QUICK_PROFILE, RUN_KEYS};
use super::{linux::existing_outermost, Roots, ScanProfile};

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

pub(super) fn roots(profile: ScanProfile) -> Roots {
    match profile {
        ScanProfile::Quick => quick(),
        ScanProfile::Full => full(),
    }
}

fn quick() -> Roots {
    let mut notes = Vec::new();
    let mut candidates: Vec<PathBuf> = Vec::new();
    for var in ["TEMP", "TMP", "ProgramData"] {
        if let Some(v) = env(var) {
            candidates.push(PathBuf::from(v));
        }
    }
    let system_root = env("SystemRoot").unwrap_or_else(|| r"C:\Windows".into());
    candidates.push(PathBuf::from(&system_root).join("Temp"));
    let drive = env("SystemDrive").unwrap_or_else(|| "C:".into());
    // IIS's web root: where web shells are dropped on a server.
    candidates.push(PathBuf::from(format!(r"{drive}\inetpub\wwwroot")));
    let users = PathBuf::from(format!(r"{drive}\Users"));
    match std::fs::read_dir(&users) {
        Ok(dir) => {
            for profile in dir
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            {
                candidates.extend(QUICK_PROFILE.iter().map(|p| profile.path().join(p)));
            }
        }
        Err(e) => notes.push(format!("{}: {e}", users.display())),
    }
    candidates.extend(autorun_files(&mut notes));
    Roots {
        paths: existing_outermost(candidates),
        one_file_system: false,
        notes,
    }
}

/// The files the `Run`/`RunOnce` values of the machine and of every loaded user hive start.
fn autorun_files(notes: &mut Vec<String>) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut keys: Vec<(String, RegKey)> = Vec::new();
    let hklm = RegKey::predef(HKEY_LOCAL_MACHINE);
    for path in RUN_KEYS {
        if let Ok(k) = hklm.open_subkey_with_flags(path, KEY_READ) {
            keys.push((format!(r"HKLM\{path}"), k));
        }
    }
    let users = RegKey::predef(HKEY_USERS);
    for sid in users.enum_keys().filter_map(Result::ok) {
        for path in RUN_KEYS {
            if let Ok(k) = users.open_subkey_with_flags(format!(r"{sid}\{path}"), KEY_READ) {
                keys.push((format!(r"HKU\{sid}\{path}"), k));
            }
        }
    }
    for (name, key) in keys {
        for value in key.enum_values().filter_map(Result::ok).map(|(n, _)| n) {
            match key.get_value::<String, _>(&value) {
                Ok(command) => files.extend(command_files(&command, &env)),
                Err(e) => notes.push(format!(r"{name}\{value}: {e}")),
            }
        }
    }
    files
}

#[allow(unsafe_code, reason = "GetDriveTypeW")]
fn full() -> Roots {
    use windows_sys::Win32::Storage::FileSystem::GetDriveTypeW;
    /// `DRIVE_FIXED` (winbase.h).
    const DRIVE_FIXED: u32 = 3;
    let mut paths = Vec::new();
    for letter in b'A'..=b'Z' {
        let root = format!("{}:\\", char::from(letter));
        let wide: Vec<u16> = root.encode_utf16().chain(Some(0)).collect();
        // SAFETY: `wide` is a NUL-terminated UTF-16 string that outlives the call.
        if unsafe { GetDriveTypeW(wide.as_ptr()) } == DRIVE_FIXED {
            paths.push(PathBuf::from(root));
        }
    }
    Roots {
        paths,
        one_file_system: false,
        notes: Vec::new(),
    }
}
