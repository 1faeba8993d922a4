use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::time::{Duration, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use super::*;

fn store_files(q: &Quarantine) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(q.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn sha256_of(path: &Path) -> String {
    hex::encode(Sha256::digest(fs::read(path).unwrap()))
}

/// A file of `len` bytes with mode 0640 and fixed, distinct access and modification times.
fn planted(path: &Path, len: usize) -> (String, std::time::SystemTime, std::time::SystemTime) {
    let content: Vec<u8> = (0..len).map(|i| (i * 31 % 256) as u8).collect();
    fs::write(path, &content).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o640)).unwrap();
    let mtime = UNIX_EPOCH + Duration::new(1_600_000_000, 123_456_789);
    let atime = UNIX_EPOCH + Duration::new(1_650_000_000, 987_654_321);
    let f = File::options().write(true).open(path).unwrap();
    f.set_times(fs::FileTimes::new().set_modified(mtime).set_accessed(atime))
        .unwrap();
    (hex::encode(Sha256::digest(&content)), mtime, atime)
}

#[test]
fn round_trip_gives_back_the_identical_file_with_mode_and_times() {
    let dir = tempfile::tempdir().unwrap();
    let q = Quarantine::open(dir.path().join("q")).unwrap();
    let victim = dir.path().join("invoice.exe");
    let (sha, mtime, atime) = planted(&victim, 600_000);
    let before = fs::metadata(&victim).unwrap();

    let entry = q.put(&victim, "rule eicar (test.yar)").unwrap();
    assert!(!victim.exists(), "the original is removed");
    assert_eq!(entry.sha256, sha);
    assert_eq!(entry.size, 600_000);
    assert_eq!(entry.reason, "rule eicar (test.yar)");
    let unix = entry.unix.unwrap();
    assert_eq!(
        (unix.mode, unix.uid, unix.gid),
        (0o640, before.uid(), before.gid())
    );
    assert_eq!(entry.modified.and_then(FileTime::to_system), Some(mtime));
    assert_eq!(
        entry.original(),
        fs::canonicalize(dir.path()).unwrap().join("invoice.exe")
    );
    assert_eq!(
        store_files(&q),
        vec![format!("{}.bin", entry.id), format!("{}.json", entry.id)]
    );
    // Stored neither as it was nor executable.
    let bin = q.dir().join(format!("{}.bin", entry.id));
    assert_ne!(sha256_of(&bin), sha);
    assert_eq!(fs::metadata(&bin).unwrap().mode() & 0o777, 0o600);
    assert_eq!(q.list().unwrap().entries, vec![entry.clone()]);
    assert_eq!(q.get(&entry.id).unwrap(), entry);

    let restored = q.restore(&entry.id, None).unwrap();
    assert!(restored.warnings.is_empty(), "{:?}", restored.warnings);
    assert_eq!(restored.path, entry.original());
    // Metadata first: reading the content moves the access time.
    let after = fs::metadata(&victim).unwrap();
    assert_eq!(after.mode() & 0o7777, 0o640);
    assert_eq!((after.uid(), after.gid()), (before.uid(), before.gid()));
    assert_eq!(after.modified().unwrap(), mtime);
    assert_eq!(after.accessed().unwrap(), atime);
    assert_eq!(sha256_of(&victim), sha);
    assert!(store_files(&q).is_empty(), "the entry is gone once restored");
    assert!(
        fs::read_dir(dir.path())
            .unwrap()
            .all(|e| !e.unwrap().file_name().to_string_lossy().starts_with('.')),
        "no temporary file left beside the restored one"
    );
}

#[test]
fn an_empty_file_and_a_restore_into_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let q = Quarantine::open(dir.path().join("q")).unwrap();
    let victim = dir.path().join("empty");
    fs::write(&victim, b"").unwrap();
    let entry = q.put(&victim, "hash list").unwrap();
    let out = dir.path().join("out");
    fs::create_dir(&out).unwrap();
    let restored = q.restore(&entry.id, Some(&out)).unwrap();
    assert_eq!(restored.path, out.join("empty"));
    assert_eq!(fs::read(out.join("empty")).unwrap(), b"");
    assert!(!victim.exists());
}

#[test]
fn an_unreadable_file_is_refused_and_left_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let q = Quarantine::open(dir.path().join("q")).unwrap();
    let locked = dir.path().join("locked.bin");
    fs::write(&locked, b"secret").unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    let mut cases = vec![locked.clone()];
    if File::open(&locked).is_ok() {
        // Running as root: permissions do not stop reading. /proc/self/mem is a regular file whose read at
        // offset 0 fails.
        println!("running with the privilege to read mode 000 files: also checking /proc/self/mem");
        cases = vec![PathBuf::from("/proc/self/mem")];
    }
    for path in cases {
        let err = q.put(&path, "test").unwrap_err();
        assert!(err.to_string().contains(&path.display().to_string()), "{err}");
        assert!(matches!(err, Error::Io { .. }), "{err:?}");
        assert!(fs::symlink_metadata(&path).is_ok(), "left in place");
        assert!(store_files(&q).is_empty(), "{:?}", store_files(&q));
    }
    assert!(locked.exists());
}

#[test]
fn not_regular_files_and_the_store_itself_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let q = Quarantine::open(dir.path().join("q")).unwrap();
    let err = q.put(dir.path(), "x").unwrap_err();
    assert!(matches!(err, Error::NotRegular(_)), "{err:?}");
    let victim = dir.path().join("v");
    fs::write(&victim, b"abc").unwrap();
    let entry = q.put(&victim, "x").unwrap();
    let bin = q.dir().join(format!("{}.bin", entry.id));
    assert!(matches!(q.put(&bin, "x").unwrap_err(), Error::InsideStore(_)));
    let err = q.put(&dir.path().join("absent"), "x").unwrap_err();
    assert!(err.to_string().contains("absent"), "{err}");
}

#[test]
fn restore_never_overwrites_an_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let q = Quarantine::open(dir.path().join("q")).unwrap();
    let victim = dir.path().join("tool.sh");
    let (sha, _, _) = planted(&victim, 1000);
    let entry = q.put(&victim, "x").unwrap();
    fs::write(&victim, b"new file since").unwrap();

    let err = q.restore(&entry.id, None).unwrap_err();
    assert!(
        matches!(&err, Error::Exists(p) if p == &entry.original()),
        "{err:?}"
    );
    assert!(err.to_string().contains("tool.sh"), "{err}");
    assert_eq!(fs::read(&victim).unwrap(), b"new file since");
    assert_eq!(q.list().unwrap().entries.len(), 1, "the entry is kept");

    let elsewhere = dir.path().join("tool.sh.restored");
    q.restore(&entry.id, Some(&elsewhere)).unwrap();
    assert_eq!(sha256_of(&elsewhere), sha);
}

#[test]
fn a_tampered_entry_is_detected_and_nothing_restored() {
    let dir = tempfile::tempdir().unwrap();
    let q = Quarantine::open(dir.path().join("q")).unwrap();
    let victim = dir.path().join("payload");
    planted(&victim, 5000);
    let entry = q.put(&victim, "x").unwrap();

    // One byte of the stored content changed.
    let bin = q.dir().join(format!("{}.bin", entry.id));
    let mut stored = fs::read(&bin).unwrap();
    stored[100] ^= 0x01;
    fs::write(&bin, &stored).unwrap();
    let err = q.restore(&entry.id, None).unwrap_err();
    assert!(matches!(err, Error::Tampered { .. }), "{err:?}");
    assert!(err.to_string().contains(&entry.id), "{err}");
    assert!(!victim.exists(), "nothing restored");
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no partial file left"
    );

    // Put right again, but the recorded size is changed in the metadata.
    stored[100] ^= 0x01;
    fs::write(&bin, &stored).unwrap();
    let meta = q.dir().join(format!("{}.json", entry.id));
    let text = fs::read_to_string(&meta).unwrap();
    fs::write(&meta, text.replace("\"size\": 5000", "\"size\": 4999")).unwrap();
    assert!(matches!(
        q.restore(&entry.id, None).unwrap_err(),
        Error::Tampered { .. }
    ));

    // A metadata file that is not JSON is named with its line.
    fs::write(&meta, "{ not json").unwrap();
    let err = q.restore(&entry.id, None).unwrap_err();
    assert!(matches!(err, Error::Metadata { .. }), "{err:?}");
    assert!(err.to_string().contains(&format!("{}.json", entry.id)), "{err}");
    assert_eq!(q.list().unwrap().problems.len(), 1);
}

#[test]
fn delete_removes_the_entry_and_ids_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let q = Quarantine::open(dir.path().join("q")).unwrap();
    let victim = dir.path().join("v");
    fs::write(&victim, b"abc").unwrap();
    let entry = q.put(&victim, "x").unwrap();
    assert!(matches!(
        q.restore("../../etc/passwd", None).unwrap_err(),
        Error::BadId(_)
    ));
    let missing = "0".repeat(32);
    assert!(matches!(q.delete(&missing).unwrap_err(), Error::NotFound { .. }));
    assert_eq!(q.delete(&entry.id).unwrap().id, entry.id);
    assert!(store_files(&q).is_empty());
    assert!(!victim.exists());
}
