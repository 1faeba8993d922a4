//! Machines with an endpoint agent, for end-to-end tests: each describes its own machine (a copy of the Debian
//! fixture root with a host name and MAC of its own), enrolls with a one-time token and runs `canhgac agent run`
//! as a real process; plus the API calls these tests share.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The Debian root file system the machines are copied from.
pub const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../agent/tests/fixtures/debian-root");

/// A cookie-keeping client with a request timeout of `secs`.
pub fn client(secs: u64) -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .cookie_store(true)
        .timeout(Duration::from_secs(secs))
        .build()
        .unwrap()
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// Polls `f` until it holds, failing after `secs`.
pub fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// `GET url` with the bearer `token`, as JSON.
pub fn get(c: &reqwest::blocking::Client, url: &str, token: &str) -> Value {
    c.get(url).bearer_auth(token).send().unwrap().json().unwrap()
}

/// Creates a public hospital and returns its id.
pub fn new_unit(c: &reqwest::blocking::Client, url: &str, admin: &str, code: &str, name: &str) -> i64 {
    let unit: Value = c
        .post(format!("{url}/api/v1/units"))
        .bearer_auth(admin)
        .json(&json!({"code": code, "name": name, "kind": "public_hospital"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    unit["id"].as_i64().unwrap_or_else(|| panic!("unit: {unit}"))
}

/// A one-time enrollment token for `unit_id`, valid for an hour.
pub fn agent_token(c: &reqwest::blocking::Client, url: &str, admin: &str, unit_id: i64) -> String {
    let r: Value = c
        .post(format!("{url}/api/v1/agents/tokens"))
        .bearer_auth(admin)
        .json(&json!({"unit_id": unit_id, "label": "e2e", "hours": 1}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    r["token"]
        .as_str()
        .unwrap_or_else(|| panic!("token: {r}"))
        .to_string()
}

/// A machine: its root file system (host name and MAC of its own), state folder, a log file it may follow, and
/// its running agent.
pub struct Machine {
    pub host: String,
    pub root: PathBuf,
    pub state: PathBuf,
    pub log: PathBuf,
    pub agent: Option<Child>,
}

impl Machine {
    pub fn new(dir: &Path, host: &str, mac: &str) -> Machine {
        let root = dir.join(format!("{host}-root"));
        copy_dir(Path::new(FIXTURE), &root);
        std::fs::write(root.join("proc/sys/kernel/hostname"), format!("{host}\n")).unwrap();
        std::fs::write(root.join("sys/class/net/eth0/address"), format!("{mac}\n")).unwrap();
        let log = dir.join(format!("{host}.log"));
        std::fs::write(&log, "").unwrap();
        Machine {
            host: host.into(),
            root,
            state: dir.join(format!("{host}-state")),
            log,
            agent: None,
        }
    }

    /// Writes `bytes` at `rel` under the machine's root.
    pub fn plant(&self, rel: &str, bytes: &[u8]) -> PathBuf {
        let p = self.root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// `canhgac agent enroll` with `extra` arguments (`--ca FILE`, `--pin sha256:HEX`); the process's output.
    pub fn enroll_with(&self, url: &str, token: &str, extra: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_canhgac"))
            .args(["agent", "enroll", "--server", url, "--token", token])
            .args(extra)
            .arg("--state-dir")
            .arg(&self.state)
            .arg("--root")
            .arg(&self.root)
            .env("CANHGAC_LOG", "warn")
            .output()
            .unwrap()
    }

    /// Enrolls, failing the test when that does not succeed.
    pub fn enroll(&self, url: &str, token: &str) {
        let out = self.enroll_with(url, token, &[]);
        assert!(
            out.status.success(),
            "enroll {}: {}",
            self.host,
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Starts `canhgac agent run` (poll 200 ms, heartbeat 5 s) with `extra` arguments; `confined`: without the
    /// capabilities that let root read any file, so a file of mode 000 is unreadable to it as to any other user.
    pub fn start(&mut self, extra: &[&str], confined: bool) {
        let mut cmd = if confined {
            let mut c = Command::new("setpriv");
            c.args(["--bounding-set", "-dac_override,-dac_read_search", "--"])
                .arg(env!("CARGO_BIN_EXE_canhgac"));
            c
        } else {
            Command::new(env!("CARGO_BIN_EXE_canhgac"))
        };
        cmd.args(["agent", "run", "--poll-ms", "200", "--heartbeat-secs", "5"])
            .args(extra)
            .arg("--state-dir")
            .arg(&self.state)
            .arg("--root")
            .arg(&self.root)
            .env("CANHGAC_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        self.agent = Some(cmd.spawn().unwrap());
    }

    /// Starts the agent following the machine's log file.
    pub fn start_following(&mut self) {
        let log = self.log.to_str().unwrap().to_string();
        self.start(&["--follow", &log], false);
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.agent.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Appends lines `from..to` to the machine's log file.
    pub fn append(&self, from: usize, to: usize) {
        let mut f = std::fs::OpenOptions::new().append(true).open(&self.log).unwrap();
        for n in from..to {
            writeln!(f, "{}", self.line(n)).unwrap();
        }
        f.sync_all().unwrap();
    }

    /// The text of log line `n`.
    pub fn line(&self, n: usize) -> String {
        format!("{} sshd[42]: line {n} of {}", self.host, self.host)
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        self.stop();
    }
}
