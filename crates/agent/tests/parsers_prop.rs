//! The text parsers take any input without panicking, and what they report stays within the input.

use canhgac_agent::inventory::windows::{hotfix_ids, parse_reg_query, uninstall_entries, windows_version};
use canhgac_agent::inventory::{parse_dpkg_status, parse_mounts, parse_rpm_query, OsRelease};
use proptest::prelude::*;

/// Text built from the pieces these formats are made of, so the parsers' branches are reached.
fn dpkg_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("Package: p\n".to_owned()),
        Just("Version: 1.0\n".to_owned()),
        Just("Status: install ok installed\n".to_owned()),
        Just("Status: deinstall ok config-files\n".to_owned()),
        Just("Architecture: amd64\n".to_owned()),
        Just(" continuation\n".to_owned()),
        Just("\n".to_owned()),
        "[^\n]{0,20}\n",
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn dpkg_status_reports_lines_that_exist(text in dpkg_like()) {
        let s = parse_dpkg_status(&text);
        let lines = text.lines().count();
        for p in &s.problems {
            prop_assert!(p.line >= 1 && p.line <= lines, "line {} of {}", p.line, lines);
        }
        for p in &s.packages {
            prop_assert!(p.version.is_some());
        }
        let installed = text.matches("Status: install ok installed").count();
        prop_assert!(s.packages.len() <= installed);
    }

    #[test]
    fn other_parsers_take_any_text(text in "(\\PC|\n|    REG_SZ    |HKEY_|KB|\\\\0){0,120}") {
        let _ = parse_dpkg_status(&text);
        let _ = OsRelease::parse(&text);
        let _ = parse_mounts(&text);
        let (_, problems) = parse_rpm_query(&text);
        prop_assert!(problems.iter().all(|p| p.line >= 1));
        let keys = parse_reg_query(&text);
        let _ = uninstall_entries(&keys);
        let _ = keys.first().map(windows_version);
        prop_assert!(hotfix_ids(&text).iter().all(|k| k.starts_with("KB")));
    }
}
