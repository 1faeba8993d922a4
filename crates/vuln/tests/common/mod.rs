//! Loading the shared 2023 Microsoft data once per test binary.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use canhgac_vuln::advisory::{parse_any, Feed, MsrcDocument};
use canhgac_vuln::KnowledgeBase;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `cvrfDocument-2023-*.xml` (January 2024 serialisation) paths, or `None` when the data is absent.
pub fn jan2024_files() -> Option<Vec<PathBuf>> {
    let dir = canhgac_testdata::require("msrc-cvrf-2023")?;
    Some(
        MONTHS
            .iter()
            .map(|m| dir.join(format!("cvrfDocument-2023-{m}.xml")))
            .collect(),
    )
}

/// `current-2026-07-06/2023-*.xml.zst` paths.
pub fn current_files() -> Option<Vec<PathBuf>> {
    let dir = canhgac_testdata::require("msrc-cvrf-2023/current-2026-07-06")?;
    Some(
        MONTHS
            .iter()
            .map(|m| dir.join(format!("2023-{m}.xml.zst")))
            .collect(),
    )
}

pub fn parse_file(path: &Path) -> Feed {
    let bytes = std::fs::read(path).unwrap();
    parse_any(&path.file_name().unwrap().to_string_lossy(), &bytes).unwrap()
}

pub fn msrc(path: &Path) -> MsrcDocument {
    match parse_file(path) {
        Feed::Msrc(doc) => doc,
        other => panic!("{} is not a Microsoft document: {other:?}", path.display()),
    }
}

/// Both serialisations of 2023, KEV as of 2024-01-18 and the Update Catalog records, merged once.
pub fn knowledge() -> Option<&'static KnowledgeBase> {
    static KB: OnceLock<Option<KnowledgeBase>> = OnceLock::new();
    KB.get_or_init(|| {
        let mut kb = KnowledgeBase::default();
        for path in jan2024_files()?.iter().chain(current_files()?.iter()) {
            kb.merge(parse_file(path));
        }
        let kev = canhgac_testdata::require("cisa-kev/known_exploited_vulnerabilities_2024.01.18.json")?;
        kb.merge(parse_file(&kev));
        let catalog = canhgac_testdata::require("msrc-cvrf-2023/related-vuls-fixtures/ms-update-catalog")?;
        for entry in std::fs::read_dir(catalog).unwrap() {
            kb.merge(parse_file(&entry.unwrap().path()));
        }
        Some(kb)
    })
    .as_ref()
}
