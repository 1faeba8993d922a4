//! The task runner against a server stand-in: it fetches its tasks, downloads the bundle the task names and checks
//! its digest, scans, and keeps the result in its spool while the server is away (also across a restart of the
//! agent), delivering it once the server is back; a bundle that does not compile is refused and the previous one
//! used, with the reason in the result.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use canhgac_agent::tasks::{bundle::sha256_hex, ScanConfig, TaskTransport, Tasks};
use canhgac_agent::{Error, Result};
use canhgac_model::scan::{
    AgentTask, BundleFile, RuleBundle, ScanProfile, TaskKind, TaskOutcome, TaskResult,
};

#[derive(Default)]
struct Server {
    up: bool,
    tasks: Vec<AgentTask>,
    bundles: HashMap<String, Vec<u8>>,
    /// task id → results received
    results: HashMap<i64, Vec<TaskResult>>,
    started: Vec<i64>,
}

#[derive(Clone, Default)]
struct Fake(Arc<Mutex<Server>>);

impl TaskTransport for Fake {
    fn call(&self, path: &str, credential: &str, body: Vec<u8>) -> Result<Vec<u8>> {
        assert_eq!(credential, "cga_test");
        let mut s = self.0.lock().unwrap();
        if !s.up {
            return Err(Error::Unreachable {
                url: path.into(),
                message: "connection refused".into(),
            });
        }
        if path == "/api/v1/agent/scan/tasks" {
            let tasks = std::mem::take(&mut s.tasks);
            return Ok(serde_json::to_vec(&tasks).unwrap());
        }
        if path == "/api/v1/agent/scan/bundle" {
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            let digest = v["digest"].as_str().unwrap();
            return s.bundles.get(digest).cloned().ok_or(Error::Refused {
                url: path.into(),
                status: 404,
                message: "no such bundle".into(),
            });
        }
        let id: i64 = path.split('/').nth(6).unwrap().parse().unwrap();
        if path.ends_with("/start") {
            s.started.push(id);
        } else {
            let r: TaskResult = serde_json::from_slice(&body).unwrap();
            s.results.entry(id).or_default().push(r);
        }
        Ok(b"{}".to_vec())
    }
}

fn bundle(rule: &str, hashes: &str) -> Vec<u8> {
    RuleBundle {
        yara: vec![BundleFile {
            name: "department/v1/planted.yar".into(),
            text: rule.into(),
        }],
        hashes: vec![BundleFile {
            name: "department/v1/own.txt".into(),
            text: hashes.into(),
        }],
        ..Default::default()
    }
    .to_bytes()
}

fn task(id: i64, digest: &str) -> AgentTask {
    AgentTask {
        id,
        kind: TaskKind::Scan,
        profile: ScanProfile::Full,
        threads: 1,
        bundle_digest: Some(digest.into()),
        path: None,
        sha256: None,
    }
}

fn open(state: &Path, fake: &Fake, root: &Path) -> Tasks {
    open_with(state, fake, ScanConfig::for_root(Some(root), 1))
}

fn open_with(state: &Path, fake: &Fake, config: ScanConfig) -> Tasks {
    Tasks::open(
        state,
        "cga_test",
        Arc::new(fake.clone()),
        config,
        Duration::from_millis(10),
    )
    .unwrap()
}

/// Turns until `done` or 20 seconds pass.
fn drive(tasks: &mut Tasks, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out");
        tasks.turn(Instant::now()).unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn scans_report_once_across_an_outage_and_a_refused_bundle_keeps_the_previous() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("tmp")).unwrap();
    std::fs::write(root.join("tmp/a.txt"), b"hello q7w8e9r0 world").unwrap();
    let planted = b"these exact bytes".to_vec();
    std::fs::write(root.join("tmp/b.bin"), &planted).unwrap();
    std::fs::write(root.join("tmp/clean.txt"), b"nothing here").unwrap();
    let state = dir.path().join("state");

    let good = bundle(
        "rule planted { strings: $a = \"q7w8e9r0\" condition: $a }",
        &format!("{};planted\n", sha256_hex(&planted)),
    );
    let good_digest = sha256_hex(&good);
    let fake = Fake::default();
    {
        let mut s = fake.0.lock().unwrap();
        s.up = true;
        s.bundles.insert(good_digest.clone(), good);
        s.tasks.push(task(1, &good_digest));
    }
    let mut tasks = open(&state, &fake, &root);
    drive(&mut tasks, || fake.0.lock().unwrap().results.contains_key(&1));
    {
        let s = fake.0.lock().unwrap();
        assert_eq!(s.started, [1]);
        let r = &s.results[&1][0];
        assert_eq!(r.outcome, TaskOutcome::Done, "{r:?}");
        assert_eq!(r.bundle_digest.as_deref(), Some(good_digest.as_str()));
        assert_eq!(r.scanned, 3);
        let mut found: Vec<(String, Vec<String>, Vec<String>)> = r
            .found
            .iter()
            .map(|f| {
                (
                    f.path.rsplit('/').next().unwrap().to_string(),
                    f.rules.clone(),
                    f.hash_lists.clone(),
                )
            })
            .collect();
        found.sort();
        assert_eq!(
            found,
            [
                (
                    "a.txt".into(),
                    vec!["department/v1/planted.yar:planted".to_string()],
                    vec![]
                ),
                ("b.bin".into(), vec![], vec!["department/v1/own.txt".to_string()]),
            ]
        );
        assert!(r.found.iter().all(|f| f.mtime.is_some() && f.mode.is_some()));
    }

    // A bundle with the right digest that does not compile: refused, the previous one scans; the server is away
    // when the result is ready, and the agent restarts meanwhile.
    let bad = bundle("rule broken { condition: nosuch }", "");
    let bad_digest = sha256_hex(&bad);
    {
        let mut s = fake.0.lock().unwrap();
        s.bundles.insert(bad_digest.clone(), bad);
        s.tasks.push(task(2, &bad_digest));
    }
    drive(&mut tasks, || fake.0.lock().unwrap().started.contains(&2));
    fake.0.lock().unwrap().up = false;
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(2) && tasks.busy() {
        tasks.turn(Instant::now()).unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    // Let it try to deliver while the server is down.
    for _ in 0..20 {
        tasks.turn(Instant::now()).unwrap();
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!fake.0.lock().unwrap().results.contains_key(&2));
    drop(tasks);
    let mut tasks = open(&state, &fake, &root);
    fake.0.lock().unwrap().up = true;
    drive(&mut tasks, || fake.0.lock().unwrap().results.contains_key(&2));
    for _ in 0..20 {
        tasks.turn(Instant::now()).unwrap();
        std::thread::sleep(Duration::from_millis(10));
    }
    let s = fake.0.lock().unwrap();
    assert_eq!(s.results[&2].len(), 1, "delivered once");
    assert_eq!(s.results[&1].len(), 1, "the first result was not sent again");
    let r = &s.results[&2][0];
    assert_eq!(r.outcome, TaskOutcome::Done);
    assert_eq!(
        r.bundle_digest.as_deref(),
        Some(good_digest.as_str()),
        "the previous bundle scanned"
    );
    let err = r.bundle_error.as_deref().unwrap();
    assert!(err.contains("planted.yar:1") && err.contains("nosuch"), "{err}");
    assert_eq!(r.found.len(), 2);
}

/// Quick and full scan tasks take the scanner's profiles on the machine's root (a fake one here): a quick scan
/// covers the quick profile's places only, a full one the whole file system; both leave out what the agent's
/// exclusions name, and scan under the agent's CPU budget (one the system refuses is named, and the scan runs at
/// normal priority).
#[cfg(unix)]
#[test]
fn scan_tasks_take_the_scanners_profiles_exclusions_and_budget() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap().join("root");
    let marked = b"hello q7w8e9r0 world";
    for rel in [
        "tmp/a.txt",
        "home/alice/Downloads/b.txt",
        "etc/cron.d/job",
        "home/alice/Documents/c.txt",
        "opt/app/d.txt",
        "tmp/image.iso",
    ] {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, marked).unwrap();
    }
    std::fs::write(root.join("home/alice/Downloads/clean.txt"), b"nothing").unwrap();
    let state = dir.path().join("state");
    let good = bundle("rule planted { strings: $a = \"q7w8e9r0\" condition: $a }", "");
    let digest = sha256_hex(&good);
    let fake = Fake::default();
    {
        let mut s = fake.0.lock().unwrap();
        s.up = true;
        s.bundles.insert(digest.clone(), good);
    }
    let mut config = ScanConfig::for_root(Some(&root), 1);
    config.exclude = vec!["*.iso".into()];
    let mut tasks = open_with(&state, &fake, config.clone());
    let found = |r: &TaskResult| -> Vec<String> {
        let mut f: Vec<String> = r
            .found
            .iter()
            .map(|f| f.path.strip_prefix(root.to_str().unwrap()).unwrap().to_string())
            .collect();
        f.sort();
        f
    };

    let mut quick = task(1, &digest);
    quick.profile = ScanProfile::Quick;
    quick.threads = 0;
    let r = run_one(&mut tasks, &fake, quick);
    assert_eq!(r.outcome, TaskOutcome::Done, "{r:?}");
    assert_eq!(
        found(&r),
        ["/etc/cron.d/job", "/home/alice/Downloads/b.txt", "/tmp/a.txt"]
    );
    assert_eq!(r.scanned, 4, "the three and the clean download");

    let r = run_one(&mut tasks, &fake, task(2, &digest));
    assert_eq!(r.outcome, TaskOutcome::Done, "{r:?}");
    assert_eq!(
        found(&r),
        [
            "/etc/cron.d/job",
            "/home/alice/Documents/c.txt",
            "/home/alice/Downloads/b.txt",
            "/opt/app/d.txt",
            "/tmp/a.txt"
        ]
    );
    assert_eq!(r.scanned, 6);
    // The fake root has no mount table: the profile says it scans the root as one file system.
    assert!(r.message.contains("as one file system"), "{}", r.message);

    // Folders given for full scans replace the profile's.
    let mut given = config.clone();
    given.full_roots = vec![root.join("opt")];
    drop(tasks);
    let mut tasks = open_with(&state, &fake, given);
    let r = run_one(&mut tasks, &fake, task(3, &digest));
    assert_eq!(found(&r), ["/opt/app/d.txt"]);

    let mut impossible = config;
    impossible.budget = canhgac_scan::Budget {
        nice: Some(40),
        idle_io: false,
    };
    drop(tasks);
    let mut tasks = open_with(&state, &fake, impossible);
    let r = run_one(&mut tasks, &fake, task(4, &digest));
    // The machine is still scanned, at normal priority, and the task says why.
    assert_eq!(r.outcome, TaskOutcome::Done, "{}", r.message);
    assert!(
        r.message.contains("nice 40") && r.message.contains("scanned at normal priority"),
        "{}",
        r.message
    );
    assert!(!found(&r).is_empty());
}

#[cfg(unix)]
fn file_task(id: i64, kind: TaskKind, path: &Path, sha256: &str) -> AgentTask {
    AgentTask {
        id,
        kind,
        profile: ScanProfile::Quick,
        threads: 0,
        bundle_digest: None,
        path: Some(path.to_string_lossy().into_owned()),
        sha256: Some(sha256.into()),
    }
}

/// Runs `task` and returns its result.
#[cfg(unix)]
fn run_one(tasks: &mut Tasks, fake: &Fake, task: AgentTask) -> TaskResult {
    let id = task.id;
    fake.0.lock().unwrap().tasks.push(task);
    drive(tasks, || fake.0.lock().unwrap().results.contains_key(&id));
    fake.0.lock().unwrap().results[&id][0].clone()
}

#[cfg(unix)]
#[test]
fn quarantine_restore_and_delete_a_detected_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(&root).unwrap();
    let file = root.join("evil.bin");
    let content = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$ not really eicar".to_vec();
    std::fs::write(&file, &content).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    let mtime = std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let sha = sha256_hex(&content);
    let state = dir.path().join("state");
    let fake = Fake::default();
    fake.0.lock().unwrap().up = true;
    let mut tasks = open(&state, &fake, &root);

    // A SHA-256 that is not the file's: refused, the file stays.
    let r = run_one(
        &mut tasks,
        &fake,
        file_task(1, TaskKind::Quarantine, &file, &"0".repeat(64)),
    );
    assert_eq!(r.outcome, TaskOutcome::Failed);
    assert!(r.message.contains("not 0000"), "{}", r.message);
    assert!(file.exists());

    let r = run_one(&mut tasks, &fake, file_task(2, TaskKind::Quarantine, &file, &sha));
    assert_eq!(r.outcome, TaskOutcome::Done, "{}", r.message);
    assert!(!file.exists(), "moved into quarantine");
    let entry = r.action["entry"].as_str().unwrap().to_string();
    assert_eq!(entry.len(), 32);
    assert_eq!(r.action["sha256"], sha.as_str());
    assert!(state.join("quarantine").join(format!("{entry}.bin")).exists());

    let r = run_one(&mut tasks, &fake, file_task(3, TaskKind::Restore, &file, &sha));
    assert_eq!(r.outcome, TaskOutcome::Done, "{}", r.message);
    assert_eq!(r.action["entry"], entry.as_str());
    assert_eq!(std::fs::read(&file).unwrap(), content, "byte-identical");
    let meta = std::fs::metadata(&file).unwrap();
    assert_eq!(meta.permissions().mode() & 0o7777, 0o640);
    assert_eq!(meta.modified().unwrap(), mtime);
    assert!(!state.join("quarantine").join(format!("{entry}.bin")).exists());

    // Quarantined again, then another file takes its place: the restore does not overwrite it.
    let r = run_one(&mut tasks, &fake, file_task(4, TaskKind::Quarantine, &file, &sha));
    assert_eq!(r.outcome, TaskOutcome::Done, "{}", r.message);
    let second = r.action["entry"].as_str().unwrap().to_string();
    std::fs::write(&file, b"someone else's file").unwrap();
    let r = run_one(&mut tasks, &fake, file_task(5, TaskKind::Restore, &file, &sha));
    assert_eq!(r.outcome, TaskOutcome::Failed);
    assert!(r.message.contains("already exists"), "{}", r.message);
    assert_eq!(std::fs::read(&file).unwrap(), b"someone else's file");

    // Delete removes the quarantined copy for good; a second restore finds nothing.
    let r = run_one(&mut tasks, &fake, file_task(6, TaskKind::Delete, &file, &sha));
    assert_eq!(r.outcome, TaskOutcome::Done, "{}", r.message);
    assert_eq!(r.action["entry"], second.as_str());
    assert!(!state.join("quarantine").join(format!("{second}.json")).exists());
    std::fs::remove_file(&file).unwrap();
    let r = run_one(&mut tasks, &fake, file_task(7, TaskKind::Restore, &file, &sha));
    assert_eq!(r.outcome, TaskOutcome::Failed);
    assert!(r.message.contains("no quarantined copy"), "{}", r.message);
}
