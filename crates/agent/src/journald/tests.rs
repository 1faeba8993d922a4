use std::os::unix::fs::PermissionsExt;

use super::*;

const FIXTURE: &str = include_str!("../../tests/fixtures/journal/journalctl-o-json.jsonl");

/// A stand-in `journalctl` that prints the fixture's entries after `--after-cursor` (all of them without), or
/// only the last with `-n 1`, and records its arguments.
fn fake_journalctl(dir: &Path) -> PathBuf {
    let script = dir.join("journalctl");
    let data = dir.join("entries.jsonl");
    std::fs::write(&data, FIXTURE).unwrap();
    std::fs::write(
        &script,
        format!(
            r#"#!/bin/sh
echo "$@" >> "{args}"
after=""; last=""
while [ $# -gt 0 ]; do
  case "$1" in
    --after-cursor) after="$2"; shift ;;
    -n) last="$2"; shift ;;
  esac
  shift
done
if [ -n "$last" ]; then tail -n "$last" "{data}"; exit 0; fi
if [ -z "$after" ]; then cat "{data}"; exit 0; fi
awk -v c="\"__CURSOR\":\"$after\"" 'found {{ print }} index($0, c) {{ found = 1 }}' "{data}"
"#,
            args = dir.join("args.log").display(),
            data = data.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

fn config(script: &Path) -> JournalConfig {
    JournalConfig {
        units: vec!["ssh.service".into()],
        max_batch: 2,
        journalctl: script.to_path_buf(),
        ..JournalConfig::new("agent-7")
    }
}

fn cursors() -> Vec<String> {
    FIXTURE
        .lines()
        .map(|l| parse::parse_line(l.as_bytes()).unwrap().cursor)
        .collect()
}

#[test]
fn a_fresh_state_starts_at_the_end_and_a_committed_cursor_resumes_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let script = fake_journalctl(dir.path());
    let state = dir.path().join("journal.json");
    let all = cursors();

    // Fresh: positioned after the newest entry, nothing old forwarded.
    let mut j = JournalFollower::open(&state, config(&script)).unwrap();
    assert_eq!(j.cursor(), all.last().map(String::as_str));
    assert!(j.poll().unwrap().entries.is_empty());

    // From a state that stands after the first entry: batches of two, `more` until the end.
    j.commit(&all[0]).unwrap();
    let b = j.poll().unwrap();
    assert_eq!(
        b.entries.iter().map(|e| &e.cursor).collect::<Vec<_>>(),
        [&all[1], &all[2]]
    );
    assert!(b.more);
    assert_eq!(b.entries[0].id, entry_id("agent-7", &all[1]));
    // Not committed: a restart reads the same entries again, with the same ids.
    drop(j);
    let mut j = JournalFollower::open(&state, config(&script)).unwrap();
    let again = j.poll().unwrap();
    assert_eq!(again.entries, b.entries);
    j.commit(again.cursor.as_deref().unwrap()).unwrap();
    drop(j);
    let mut j = JournalFollower::open(&state, config(&script)).unwrap();
    let next = j.poll().unwrap();
    assert_eq!(next.entries[0].cursor, all[3]);
    j.commit(next.cursor.as_deref().unwrap()).unwrap();
    let last = j.poll().unwrap();
    assert_eq!(last.entries.len(), 1);
    assert!(!last.more);
    j.commit(last.cursor.as_deref().unwrap()).unwrap();
    assert!(j.poll().unwrap().entries.is_empty());

    let args = std::fs::read_to_string(dir.path().join("args.log")).unwrap();
    let first = args.lines().next().unwrap();
    assert_eq!(first, "-o json --all --no-pager -q -u ssh.service -n 1");
    assert!(args
        .lines()
        .nth(2)
        .unwrap()
        .ends_with(&format!("--after-cursor {}", all[0])));
}

#[test]
fn ids_depend_on_source_and_cursor_only() {
    let a = entry_id("agent-7", "s=1;i=2");
    assert_eq!(a, entry_id("agent-7", "s=1;i=2"));
    assert_ne!(a, entry_id("agent-8", "s=1;i=2"));
    assert_ne!(a, entry_id("agent-7", "s=1;i=3"));
    assert_eq!(a.len(), 32);
}

#[test]
fn a_failing_journalctl_is_an_error_naming_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("journalctl");
    std::fs::write(
        &script,
        "#!/bin/sh\necho 'Failed to open journal: permission denied' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let err = JournalFollower::open(dir.path().join("j.json"), config(&script)).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("journalctl -o json") && text.contains("permission denied"),
        "{text}"
    );
}

const JOURNAL_REMOTE: &str = "/lib/systemd/systemd-journal-remote";

/// Appends entries `range` (MESSAGE=`line N`, unit test.service, one other unit's entry each) to a journal file
/// in `dir` with systemd-journal-remote.
fn write_journal(dir: &Path, range: std::ops::Range<u64>) {
    let mut export = String::new();
    for i in range {
        for unit in ["test.service", "other.service"] {
            export.push_str(&format!(
                "__REALTIME_TIMESTAMP={}\n__MONOTONIC_TIMESTAMP={}\n_BOOT_ID=6c7c6013a26343b29e964691ff25d04c\n\
                 _HOSTNAME=ws-07\n_SYSTEMD_UNIT={unit}\nSYSLOG_IDENTIFIER=t\nMESSAGE=line {i}\n\n",
                1_764_150_000_000_000 + i * 1000,
                1_000_000 + i * 1000
            ));
        }
    }
    let mut child = Command::new(JOURNAL_REMOTE)
        .arg("-o")
        .arg(dir.join("remote.journal"))
        .arg("-")
        .stdin(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), export.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
}

/// The real `journalctl` over a journal written here (by systemd-journal-remote), when both exist.
#[test]
fn the_real_journalctl_follows_a_journal_from_its_end() {
    let journalctl = Command::new("journalctl").arg("--version").output();
    if !journalctl.as_ref().is_ok_and(|o| o.status.success()) || !Path::new(JOURNAL_REMOTE).exists() {
        println!(
            "skipped: needs journalctl ({}) and {JOURNAL_REMOTE} ({}) to write a journal to read",
            if journalctl.is_ok() { "present" } else { "absent" },
            if Path::new(JOURNAL_REMOTE).exists() {
                "present"
            } else {
                "absent"
            },
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal");
    std::fs::create_dir(&journal).unwrap();
    write_journal(&journal, 0..3);
    let config = JournalConfig {
        units: vec!["test.service".into()],
        directory: Some(journal.clone()),
        max_batch: 10,
        ..JournalConfig::new("agent-1")
    };
    let state = dir.path().join("journal.json");
    let mut j = JournalFollower::open(&state, config.clone()).unwrap();
    assert!(
        j.poll().unwrap().entries.is_empty(),
        "the three old entries are not forwarded"
    );

    write_journal(&journal, 3..5);
    let b = j.poll().unwrap();
    let messages: Vec<&str> = b.entries.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(messages, ["line 3", "line 4"], "only the unit asked for");
    assert!(b
        .entries
        .iter()
        .all(|e| e.unit.as_deref() == Some("test.service")));
    j.commit(b.cursor.as_deref().unwrap()).unwrap();
    drop(j);

    write_journal(&journal, 5..6);
    let mut j = JournalFollower::open(&state, config).unwrap();
    let b = j.poll().unwrap();
    assert_eq!(b.entries.len(), 1);
    assert_eq!(b.entries[0].message, "line 5");
    assert_eq!(b.entries[0].id, entry_id("agent-1", &b.entries[0].cursor));
}

#[test]
fn entries_become_rfc5424_lines_with_time_severity_and_unit() {
    let first = parse::parse_line(FIXTURE.lines().next().unwrap().as_bytes()).unwrap();
    assert_eq!(
        as_syslog("ws 7", &first),
        "<14>1 2025-11-26T09:40:01.234567Z ws7 sshd 1234 - [journal@32473 unit=\"ssh.service\"] \
         Failed password for invalid user admin from 203.0.113.7 port 52144 ssh2"
    );
    let kernel = parse::parse_line(FIXTURE.lines().nth(5).unwrap().as_bytes()).unwrap();
    assert!(
        as_syslog("ws7", &kernel).starts_with("<12>1 2025-11-26T09:40:06.23"),
        "{}",
        as_syslog("ws7", &kernel)
    );
    assert!(as_syslog("ws7", &kernel).contains(" kernel - - - usb 1-1"));
}
