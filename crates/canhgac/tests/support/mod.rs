//! Starting the real `canhgac` binary on a free loopback port, for end-to-end tests.

#![allow(dead_code)]

pub mod agents;
pub mod relay;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `canhgac serve`.
pub struct Server {
    pub child: Child,
    pub url: String,
    /// The administrator's one-time password (first start only).
    pub password: Option<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free loopback address (`127.0.0.1:PORT`): to start on, and to start on again after a kill.
pub fn free_loopback() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("127.0.0.1:{port}")
}

/// Starts `canhgac serve --data-dir DIR --listen 127.0.0.1:0` and waits until it listens.
// The child is owned by `Server`, whose `Drop` kills and waits for it.
#[allow(clippy::zombie_processes)]
pub fn start(data_dir: &Path) -> Server {
    start_with(data_dir, &[])
}

/// The same with extra arguments for `serve`.
#[allow(clippy::zombie_processes)]
pub fn start_with(data_dir: &Path, extra: &[&str]) -> Server {
    start_on(data_dir, "127.0.0.1:0", extra)
}

/// The same on a given address (a restart on the port its clients know).
#[allow(clippy::zombie_processes)]
pub fn start_on(data_dir: &Path, listen: &str, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_canhgac"))
        .args(["serve", "--listen", listen, "--data-dir"])
        .arg(data_dir)
        .args(extra)
        .env("CANHGAC_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start canhgac serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut password = None;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "server did not start in time");
        let line = lines
            .next()
            .expect("server exited before listening")
            .expect("read stdout");
        if let Some(p) = line.trim().strip_prefix("one-time password: ") {
            password = Some(p.to_string());
        }
        if let Some(url) = line.strip_prefix("canhgac listening on ") {
            // Keep draining stdout so the server never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines.by_ref() {});
            return Server {
                child,
                url: url.trim().to_string(),
                password,
            };
        }
    }
}

/// Signs in as the administrator on a cookie-keeping client and creates an API token through the pages.
pub fn token_for_admin(client: &reqwest::blocking::Client, url: &str, password: &str) -> String {
    let r = client
        .post(format!("{url}/login"))
        .form(&[("username", "admin"), ("password", password)])
        .send()
        .unwrap();
    assert!(r.status().is_success(), "sign-in: {}", r.status());
    let page = client
        .get(format!("{url}/account"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let page = client
        .post(format!("{url}/account/tokens"))
        .form(&[("csrf", csrf.as_str()), ("name", "crash")])
        .send()
        .unwrap()
        .text()
        .unwrap();
    page.split("data-test=\"api-token\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_string()
}
