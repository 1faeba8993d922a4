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
