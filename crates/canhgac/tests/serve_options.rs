//! `serve` options: HTTPS with a given certificate (Secure cookies), and configuration file errors that name the file.

mod support;

use std::process::Command;

fn have_curl() -> bool {
    Command::new("curl")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn serves_https_with_the_given_certificate_and_secure_cookies() {
    if !have_curl() {
        eprintln!("skipped: curl is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let key =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, key.cert.pem()).unwrap();
    std::fs::write(&key_path, key.key_pair.serialize_pem()).unwrap();
    let server = support::start_with(
        &dir.path().join("data"),
        &[
            "--tls-cert",
            cert_path.to_str().unwrap(),
            "--tls-key",
            key_path.to_str().unwrap(),
        ],
    );
    assert!(server.url.starts_with("https://127.0.0.1:"), "{}", server.url);
    // The certificate verifies against itself: a real TLS handshake, not --insecure.
    let health = Command::new("curl")
        .args([
            "-sS",
            "--cacert",
            cert_path.to_str().unwrap(),
            &format!("{}/healthz", server.url),
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&health.stdout),
        r#"{"status":"ok"}"#,
        "{}",
        String::from_utf8_lossy(&health.stderr)
    );
    let password = server.password.clone().unwrap();
    let login = Command::new("curl")
        .args(["-sS", "-i", "--cacert", cert_path.to_str().unwrap(), "-d"])
        .arg(format!("username=admin&password={password}"))
        .arg(format!("{}/login", server.url))
        .output()
        .unwrap();
    let head = String::from_utf8_lossy(&login.stdout).to_lowercase();
    let cookie = head
        .lines()
        .find(|l| l.starts_with("set-cookie: cg_session="))
        .expect("session cookie");
    for attr in ["httponly", "samesite=strict", "secure"] {
        assert!(cookie.contains(attr), "{attr} missing in {cookie}");
    }
}

#[test]
fn a_bad_configuration_file_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("canhgac.toml");
    std::fs::write(&config, "listen = \"127.0.0.1:0\"\nlisten_port = 8080\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_canhgac"))
        .args(["serve", "--config"])
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("canhgac.toml") && err.contains("listen_port"),
        "{err}"
    );
}
