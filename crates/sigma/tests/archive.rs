//! Rule packs as zip archives (a SigmaHQ release): the same rules as the folder they were made from, errors named
//! `archive.zip!member`, other members ignored, an oversized member refused by name.

use std::io::Write;
use std::path::Path;

use canhgac_sigma::{load_paths, LoadOptions, MAX_ARCHIVE_MEMBER};

fn ids(r: &canhgac_sigma::LoadReport) -> Vec<String> {
    let mut v: Vec<String> = r
        .rules
        .iter()
        .map(|x| x.meta.id.clone().unwrap_or_else(|| x.meta.title.clone()))
        .collect();
    v.sort();
    v
}

#[test]
fn a_zipped_rule_folder_loads_like_the_folder() {
    let Some(folder) = canhgac_testdata::require("sigma/rules/windows/process_creation") else {
        eprintln!("skipped: ../shared/data/sigma is absent");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("sigma_rules.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let deflate =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut files: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in &files {
        let name = format!(
            "rules/windows/process_creation/{}",
            f.file_name().unwrap().to_string_lossy()
        );
        zip.start_file(name, deflate).unwrap();
        zip.write_all(&std::fs::read(f).unwrap()).unwrap();
    }
    zip.start_file("README.md", deflate).unwrap();
    zip.write_all(b"# not a rule").unwrap();
    zip.start_file("rules/broken.yml", deflate).unwrap();
    zip.write_all(b"title: broken\ndetection: [unclosed\n").unwrap();
    zip.start_file("rules/huge.yml", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(&vec![b'#'; MAX_ARCHIVE_MEMBER as usize + 1])
        .unwrap();
    zip.finish().unwrap();

    let opts = LoadOptions::default();
    let from_folder = load_paths(&[folder.as_path()], &opts);
    let from_zip = load_paths(&[zip_path.as_path()], &opts);
    assert!(
        from_folder.rules.len() > 1_000,
        "{} rules",
        from_folder.rules.len()
    );
    assert_eq!(ids(&from_zip), ids(&from_folder));
    let errors: Vec<String> = from_zip.errors.iter().map(ToString::to_string).collect();
    let named = |member: &str| {
        errors
            .iter()
            .any(|e| e.starts_with(&format!("{}!{member}", zip_path.display())))
    };
    assert!(named("rules/broken.yml"), "{errors:#?}");
    assert!(named("rules/huge.yml"), "{errors:#?}");
    assert_eq!(
        errors.len(),
        from_folder.errors.len() + 2,
        "the folder's own errors, the broken member and the huge one: {errors:#?}"
    );
    // Not an archive at all: one clear error naming the file.
    let fake = dir.path().join("fake.zip");
    std::fs::write(&fake, b"PK not really").unwrap();
    let r = load_paths(&[Path::new(&fake)], &opts);
    assert_eq!(r.errors.len(), 1);
    assert!(r.errors[0].to_string().contains("fake.zip"));
}
