//! The agent's loop against a server stand-in: the inventory is sent at start and not again while unchanged, lines
//! are delivered with stable ids, kept in the spool while the server is away (also across a restart of the agent)
//! and delivered once it is back; a batch the server stored but whose answer was lost is sent again with the same
//! ids, so the server can store it once.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

use canhgac_agent::{
    collect_from, Agent, AgentState, Enrollment, Error, Inventory, Result, Schedule, Sources, SpoolConfig,
    Transport,
};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/debian-root");

#[derive(Default)]
struct Server {
    up: bool,
    /// Store the batch but fail the answer (a lost acknowledgement).
    lose_answer: bool,
    inventories: Vec<String>,
    heartbeats: usize,
    /// ext_id → (times received, message)
    events: HashMap<String, (usize, String)>,
}

#[derive(Clone)]
struct Fake(Rc<RefCell<Server>>);

fn down() -> Error {
    Error::Unreachable {
        url: "http://127.0.0.1:9".into(),
        message: "connection refused".into(),
    }
}

impl Transport for Fake {
    fn enroll(&self, _token: &str, _hostname: &str) -> Result<Enrollment> {
        Err(down())
    }
    fn inventory(&self, credential: &str, inventory: &Inventory) -> Result<()> {
        assert_eq!(credential, "cga_test");
        let mut s = self.0.borrow_mut();
        if !s.up {
            return Err(down());
        }
        s.inventories.push(inventory.hostname.clone());
        Ok(())
    }
    fn heartbeat(&self, _credential: &str) -> Result<()> {
        let mut s = self.0.borrow_mut();
        if !s.up {
            return Err(down());
        }
        s.heartbeats += 1;
        Ok(())
    }
    fn events(&self, credential: &str, ndjson: &[u8]) -> Result<()> {
        assert_eq!(credential, "cga_test");
        let mut s = self.0.borrow_mut();
        if !s.up {
            return Err(down());
        }
        for line in std::str::from_utf8(ndjson).unwrap().lines() {
            assert!(line.starts_with("{\"ext_id\""), "the intake's envelope: {line}");
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let id = v["ext_id"].as_str().unwrap().to_string();
            let event = v["event"].as_str().unwrap().to_string();
            let entry = s.events.entry(id).or_insert((0, event));
            entry.0 += 1;
        }
        if s.lose_answer {
            return Err(down());
        }
        Ok(())
    }
}

fn state() -> AgentState {
    AgentState {
        server: "http://127.0.0.1:9".into(),
        ca_file: None,
        pin: None,
        agent_id: 7,
        unit_id: 3,
        hostname: "ws-7".into(),
        credential: "cga_test".into(),
    }
}

fn open(dir: &std::path::Path, log: &PathBuf, server: &Fake) -> Agent<Fake> {
    let schedule = Schedule {
        poll: Duration::from_millis(10),
        heartbeat: Duration::from_secs(3600),
        inventory_check: Duration::from_secs(3600),
        inventory_resend: Duration::from_secs(24 * 3600),
        max_backoff: Duration::from_secs(60),
    };
    Agent::open(
        state(),
        server.clone(),
        dir,
        std::slice::from_ref(log),
        SpoolConfig::default(),
        schedule,
    )
    .unwrap()
    .with_inventory(|| collect_from(&Sources::fixture(FIXTURE)))
}

fn append(log: &PathBuf, from: usize, to: usize) {
    let mut f = std::fs::OpenOptions::new().append(true).open(log).unwrap();
    for n in from..to {
        writeln!(f, "line {n}").unwrap();
    }
}

fn messages(server: &Fake) -> Vec<String> {
    let s = server.0.borrow();
    let mut out: Vec<String> = s
        .events
        .values()
        .map(|(_, e)| e.rsplit_once("] ").map(|(_, m)| m.to_string()).unwrap())
        .collect();
    out.sort_by_key(|m| m[5..].parse::<usize>().unwrap());
    out
}

#[test]
fn delivers_once_across_outage_restart_and_a_lost_answer() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    std::fs::write(&log, "").unwrap();
    let server = Fake(Rc::new(RefCell::new(Server {
        up: true,
        ..Default::default()
    })));
    let mut agent = open(dir.path(), &log, &server);
    append(&log, 0, 3);
    agent.turn().unwrap();
    assert_eq!(server.0.borrow().inventories, ["ytecs-01"]);
    assert_eq!(server.0.borrow().heartbeats, 1);
    assert_eq!(messages(&server), ["line 0", "line 1", "line 2"]);
    // Each line is an RFC 5424 message from the agent's host naming the file.
    let any = server.0.borrow().events.values().next().unwrap().1.clone();
    assert!(
        any.starts_with("<13>1 ") && any.contains(" ws-7 app.log - - [file@32473 path=\""),
        "{any}"
    );
    agent.turn().unwrap();
    assert_eq!(
        server.0.borrow().inventories.len(),
        1,
        "unchanged inventory not sent again"
    );

    // The server goes away: lines are read into the spool, nothing is lost.
    server.0.borrow_mut().up = false;
    append(&log, 3, 6);
    agent.turn().unwrap();
    assert_eq!(agent.stats.send_failures, 1);
    assert!(agent.spool().total_bytes() > 0);
    // The agent restarts while the server is still down, more lines come.
    drop(agent);
    append(&log, 6, 8);
    let mut agent = open(dir.path(), &log, &server);
    agent.turn().unwrap();
    assert_eq!(messages(&server).len(), 3);

    // The server is back: everything arrives, once.
    server.0.borrow_mut().up = true;
    drop(agent);
    let mut agent = open(dir.path(), &log, &server);
    agent.turn().unwrap();
    assert_eq!(
        messages(&server),
        (0..8).map(|n| format!("line {n}")).collect::<Vec<_>>()
    );
    assert!(server.0.borrow().events.values().all(|(n, _)| *n == 1));

    // A lost answer: the batch is sent again with the same ids (the server drops the repeat by id).
    server.0.borrow_mut().lose_answer = true;
    append(&log, 8, 10);
    agent.turn().unwrap();
    server.0.borrow_mut().lose_answer = false;
    drop(agent);
    let mut agent = open(dir.path(), &log, &server);
    agent.turn().unwrap();
    let s = server.0.borrow();
    assert_eq!(s.events.len(), 10, "ten distinct ids");
    let resent: Vec<usize> = s.events.values().map(|(n, _)| *n).filter(|n| *n > 1).collect();
    assert_eq!(
        resent,
        [2, 2],
        "the unacknowledged batch came twice, under the same ids"
    );
}

/// Journal entries go through the same spool as file lines: kept while the server is away, then delivered once
/// each, under the id derived from their cursor; the cursor committed is the last entry's.
#[cfg(unix)]
#[test]
fn journal_entries_are_delivered_once_under_their_cursor_ids() {
    use canhgac_agent::journald::{entry_id, JournalConfig, JournalFollower};
    use std::os::unix::fs::PermissionsExt;
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/journal/journalctl-o-json.jsonl"
    );
    let cursors: Vec<String> = std::fs::read_to_string(fixture)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["__CURSOR"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    // A stand-in journalctl printing the recorded entries after --after-cursor.
    let script = dir.path().join("journalctl");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nafter=\"\"\nwhile [ $# -gt 0 ]; do [ \"$1\" = --after-cursor ] && after=\"$2\"; shift; done\n\
             awk -v c=\"\\\"__CURSOR\\\":\\\"$after\\\"\" 'found {{ print }} index($0, c) {{ found = 1 }}' {fixture}\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let state = dir.path().join("journal.json");
    std::fs::write(
        &state,
        serde_json::json!({"version": 1, "cursor": cursors[0]}).to_string(),
    )
    .unwrap();
    let log = dir.path().join("app.log");
    std::fs::write(&log, "").unwrap();
    let server = Fake(Rc::new(RefCell::new(Server::default())));
    let config = JournalConfig {
        journalctl: script,
        ..JournalConfig::new("agent-7")
    };
    let mut agent =
        open(dir.path(), &log, &server).with_journal(JournalFollower::open(&state, config.clone()).unwrap());
    for _ in 0..3 {
        agent.turn().unwrap();
    }
    assert!(server.0.borrow().events.is_empty(), "the server is away");
    server.0.borrow_mut().up = true;
    for _ in 0..5 {
        agent.turn().unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    // Delivered after the pause the outage set; turns until the spool is empty.
    for _ in 0..300 {
        if server.0.borrow().events.len() == 5 {
            break;
        }
        agent.turn().unwrap();
        std::thread::sleep(Duration::from_millis(10));
    }
    let s = server.0.borrow();
    let mut ids: Vec<&String> = s.events.keys().collect();
    ids.sort();
    let mut expected: Vec<String> = cursors[1..].iter().map(|c| entry_id("agent-7", c)).collect();
    expected.sort();
    assert_eq!(ids, expected.iter().collect::<Vec<_>>());
    assert!(s.events.values().all(|(n, _)| *n == 1));
    assert!(s
        .events
        .values()
        .any(|(_, e)| e.contains("[journal@32473 unit=\"legacy-app.service\"] binary")));
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(saved["cursor"], cursors[5].as_str());
}
