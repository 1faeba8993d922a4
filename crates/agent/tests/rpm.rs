//! The rpm database is read by running `rpm -qa` (a stand-in program here, on its own `PATH` — this file is its
//! own test process, so changing `PATH` does not race with other tests).
#![cfg(unix)]

use canhgac_agent::{collect_from, Sources};
use std::os::unix::fs::PermissionsExt;

#[test]
fn rpm_packages_come_from_the_rpm_program_run_against_the_root() {
    let bin = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("var/lib/rpm")).unwrap();
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    std::fs::write(
        root.path().join("etc/os-release"),
        "NAME=\"Rocky Linux\"\nVERSION_ID=\"9.3\"\nID=\"rocky\"\nPRETTY_NAME=\"Rocky Linux 9.3 (Blue Onyx)\"\n",
    )
    .unwrap();
    let args_file = bin.path().join("args");
    let script = format!(
        "#!/bin/sh\necho \"$@\" > '{}'\nprintf 'bash\\t5.1.8-6.el9\\tx86_64\\nopenssl\\t1:3.0.7-24.el9\\tx86_64\\n\
         gpg-pubkey\\tfd431d51-4ae0493b\\t(none)\\n'\n",
        args_file.display()
    );
    let rpm = bin.path().join("rpm");
    std::fs::write(&rpm, script).unwrap();
    std::fs::set_permissions(&rpm, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    std::env::set_var("PATH", path);

    let mut sources = Sources::fixture(root.path());
    sources.run_rpm = true;
    let inv = collect_from(&sources).unwrap();
    assert_eq!(inv.os.version, "9.3");
    assert_eq!(inv.os.name, "Rocky Linux 9.3 (Blue Onyx)");
    let software = inv.software.unwrap();
    let got: Vec<_> = software
        .iter()
        .map(|s| (s.name.as_str(), s.version.as_deref(), s.source.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("bash", Some("5.1.8-6.el9"), "rpm"),
            ("openssl", Some("1:3.0.7-24.el9"), "rpm")
        ]
    );
    let args = std::fs::read_to_string(&args_file).unwrap();
    assert!(
        args.starts_with(&format!("--root {} -qa --queryformat", root.path().display())),
        "{args}"
    );

    // Without an rpm database folder the program is not run and software stays unknown.
    std::fs::remove_dir_all(root.path().join("var/lib/rpm")).unwrap();
    std::fs::remove_file(&args_file).unwrap();
    let inv = collect_from(&sources).unwrap();
    assert_eq!(inv.software, None);
    assert!(!args_file.exists());
}
