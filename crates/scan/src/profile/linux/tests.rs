use std::fs;

use super::*;

fn mkdirs(root: &Path, dirs: &[&str]) {
    for d in dirs {
        fs::create_dir_all(root.join(d)).unwrap();
    }
}

#[test]
fn quick_roots_are_the_existing_malware_places_of_a_fake_system() {
    let dir = tempfile::tempdir().unwrap();
    let root = fs::canonicalize(dir.path()).unwrap();
    mkdirs(
        &root,
        &[
            "tmp/sub",
            "var/tmp",
            "etc/cron.d",
            "etc/systemd/system",
            "usr/lib/systemd/system",
            "home/alice/Downloads",
            "home/alice/.config/autostart",
            "home/alice/Documents",
            "home/bob/.local/bin",
            "root/Downloads",
            "var/www/html",
        ],
    );
    fs::write(root.join("etc/rc.local"), "#!/bin/sh\n").unwrap();
    fs::write(root.join("home/not-a-folder"), "x").unwrap();
    // lib → usr/lib, as on merged-/usr systems: one root, not two.
    std::os::unix::fs::symlink("usr/lib", root.join("lib")).unwrap();
    // A Downloads folder that is a link into /tmp is inside a root already.
    std::os::unix::fs::symlink(root.join("tmp/sub"), root.join("home/bob/Downloads")).unwrap();

    let roots = quick_roots(&Sources::under(&root));
    let expected: Vec<PathBuf> = [
        "etc/cron.d",
        "etc/rc.local",
        "etc/systemd/system",
        "home/alice/.config/autostart",
        "home/alice/Downloads",
        "home/bob/.local/bin",
        "root/Downloads",
        "tmp",
        "usr/lib/systemd/system",
        "var/tmp",
        "var/www",
    ]
    .iter()
    .map(|p| root.join(p))
    .collect();
    assert_eq!(roots.paths, expected);
    assert!(!roots.one_file_system);
}

const MOUNTS: &str = "\
sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0
proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
udev /dev devtmpfs rw,nosuid,relatime,size=8110000k 0 0
/dev/nvme0n1p2 / ext4 rw,relatime,errors=remount-ro 0 0
tmpfs /run tmpfs rw,nosuid,nodev,noexec,relatime,size=1630000k,mode=755 0 0
cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime 0 0
/dev/nvme0n1p1 /boot/efi vfat rw,relatime,fmask=0077,dmask=0077 0 0
/dev/mapper/vg-home /home xfs rw,relatime 0 0
/dev/sdb1 /media/usb\\040disk ext4 rw,nosuid,nodev 0 0
/dev/sdc1 /mnt/windows fuseblk rw,relatime,user_id=0,group_id=0 0 0
fileserver:/export /mnt/share nfs4 rw,relatime,vers=4.2 0 0
//nas/scans /mnt/scans cifs rw,relatime,vers=3.0 0 0
user@host:/ /mnt/ssh fuse.sshfs rw,nosuid,nodev 0 0
overlay /var/lib/docker/overlay2/abc/merged overlay rw,relatime 0 0
/dev/loop3 /snap/core/1 squashfs ro,nodev,relatime 0 0
/dev/nvme0n1p2 / ext4 rw,relatime 0 0
/dev/sdd1 /mnt/gone ext4 rw 0 0
garbage
";

#[test]
fn full_roots_are_the_local_disk_file_systems_of_the_mount_table() {
    let dir = tempfile::tempdir().unwrap();
    let root = fs::canonicalize(dir.path()).unwrap();
    mkdirs(
        &root,
        &[
            "proc/self",
            "sys/fs/cgroup",
            "boot/efi",
            "home",
            "media/usb disk",
            "mnt/windows",
            "mnt/share",
            "mnt/scans",
            "mnt/ssh",
            "var/lib/docker/overlay2/abc/merged",
            "snap/core/1",
        ],
    );
    fs::write(root.join("proc/self/mounts"), MOUNTS).unwrap();
    let roots = full_roots(&Sources::under(&root));
    let expected: Vec<PathBuf> = vec![
        root.clone(),
        root.join("boot/efi"),
        root.join("home"),
        root.join("media/usb disk"),
        root.join("mnt/windows"),
    ];
    assert_eq!(roots.paths, expected);
    assert!(roots.one_file_system);
    assert_eq!(roots.notes.len(), 1, "{:?}", roots.notes);
    assert!(
        roots.notes[0].ends_with("mounts:18: not a mount line"),
        "{:?}",
        roots.notes
    );
}

#[test]
fn without_a_mount_table_the_root_is_scanned_as_one_file_system() {
    let dir = tempfile::tempdir().unwrap();
    let roots = full_roots(&Sources::under(dir.path()));
    assert_eq!(roots.paths, vec![dir.path().to_path_buf()]);
    assert!(roots.one_file_system);
    assert!(roots.notes[0].contains("proc/self/mounts"), "{:?}", roots.notes);
}

#[test]
fn mount_fields_are_unescaped_and_types_classified() {
    assert_eq!(unescape("/media/usb\\040disk\\134x"), "/media/usb disk\\x");
    assert_eq!(unescape("/a\\04"), "/a\\04");
    assert!(is_local_disk("ext4") && is_local_disk("fuseblk") && is_local_disk("btrfs"));
    assert!(!is_local_disk("fuse.sshfs") && !is_local_disk("nfs4") && !is_local_disk("tmpfs"));
}
