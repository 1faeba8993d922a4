//! Shared test helpers: the EICAR test string assembled from the facts file (never stored in the repository).

#![allow(dead_code)]

use std::path::Path;

/// The facts file's table cell for `label`, without backticks.
fn fact(text: &str, label: &str) -> Option<String> {
    let line = text.lines().find(|l| l.starts_with(&format!("| {label}")))?;
    let cell = line.split(" | ").nth(1)?;
    Some(
        cell.trim()
            .trim_end_matches('|')
            .trim()
            .trim_matches('`')
            .to_string(),
    )
}

/// The 68-byte EICAR string and its SHA-256 and MD5 as given in `eicar/EICAR_FACTS.md`.
pub struct Eicar {
    pub bytes: Vec<u8>,
    pub sha256: String,
    pub md5: String,
}

pub fn eicar() -> Option<Eicar> {
    let facts = canhgac_testdata::require("eicar/EICAR_FACTS.md")?;
    let text = std::fs::read_to_string(facts).ok()?;
    let joined = format!("{}{}", fact(&text, "half 1")?, fact(&text, "half 2")?);
    assert_eq!(
        joined.len(),
        68,
        "EICAR halves should join to 68 bytes: {joined:?}"
    );
    Some(Eicar {
        bytes: joined.into_bytes(),
        sha256: fact(&text, "SHA-256")?,
        md5: fact(&text, "MD5")?,
    })
}

/// A small rule of our own that matches the EICAR string.
pub const EICAR_RULE: &str = r#"
rule eicar_test_file {
  strings:
    $a = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!"
  condition:
    $a at 28 and filesize <= 128
}
"#;

/// Writes a zip archive at `path` holding `members` (name, content), deflated.
pub fn write_zip(path: &Path, members: &[(&str, &[u8])]) {
    use std::io::Write;
    let file = std::fs::File::create(path).unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
    let mut zip = zip::ZipWriter::new(file);
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in members {
        zip.start_file(*name, opts)
            .unwrap_or_else(|e| panic!("zip member {name}: {e}"));
        zip.write_all(content)
            .unwrap_or_else(|e| panic!("zip write {name}: {e}"));
    }
    zip.finish().unwrap_or_else(|e| panic!("zip finish: {e}"));
}

/// Rule declarations in the `.yar`/`.yara` files under `dir`, counted line by line (a line starting with
/// `rule`, `private rule` or `global rule`): an independent count to compare the compiler's with.
pub fn count_rule_declarations(dir: &Path) -> usize {
    let mut count = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)
            .unwrap_or_else(|e| panic!("{}: {e}", d.display()))
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if canhgac_scan::is_rule_file(&path) {
                let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_default()).into_owned();
                count += text
                    .lines()
                    .filter(|l| {
                        let mut words = l
                            .split_whitespace()
                            .skip_while(|w| *w == "private" || *w == "global");
                        words.next() == Some("rule")
                    })
                    .count();
            }
        }
    }
    count
}
