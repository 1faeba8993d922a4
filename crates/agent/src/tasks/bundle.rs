//! The rule bundle the agent scans with, kept in `bundle/` of the state folder. A new bundle is taken only when
//! its bytes have the SHA-256 the task named and every file in it compiles (YARA) or reads (hash lists); otherwise
//! it is refused, the previous bundle stays in use, and the reason goes back with the task's result.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use canhgac_model::scan::RuleBundle;
use canhgac_scan::{Engine, HashList, RuleSet};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The bundle in use: its digest and the engine built from it.
pub struct BundleCache {
    dir: PathBuf,
    current: Option<(String, Arc<Engine>)>,
}

/// What a task scans with, and a refused bundle's reason.
pub struct Chosen {
    pub engine: Option<Arc<Engine>>,
    pub digest: Option<String>,
    pub error: Option<String>,
}

/// Compiles bundle bytes into an engine; every problem is an error naming the file and line. YARA sources are
/// written under `work` for the compiler (so its file names appear in errors) and removed afterwards.
pub fn build(bytes: &[u8], work: &Path) -> std::result::Result<Engine, String> {
    let bundle = RuleBundle::from_bytes(bytes)?;
    let rules = if bundle.yara.is_empty() {
        None
    } else {
        let _ = std::fs::remove_dir_all(work);
        std::fs::create_dir_all(work).map_err(|e| format!("creating {}: {e}", work.display()))?;
        let mut files = Vec::new();
        for (i, f) in bundle.yara.iter().enumerate() {
            let path = work.join(format!("{i}.yar"));
            std::fs::write(&path, &f.text).map_err(|e| format!("writing {}: {e}", path.display()))?;
            files.push((path, f.name.clone()));
        }
        let compiled = RuleSet::compile_files(&files);
        let _ = std::fs::remove_dir_all(work);
        let set = compiled.map_err(|e| e.to_string())?;
        if let Some(f) = set.report().failures.first() {
            let name = files
                .iter()
                .find(|(p, _)| *p == f.path)
                .map_or_else(|| f.path.display().to_string(), |(_, n)| n.clone());
            return Err(format!("{name}:{}: error[{}]: {}", f.line, f.code, f.reason));
        }
        Some(set)
    };
    let mut hashes = HashList::new();
    for f in &bundle.hashes {
        hashes.add_text(&f.name, Path::new(&f.name), &f.text);
        if let Some(r) = hashes.refused().first() {
            return Err(format!("{}:{}: {}", f.name, r.line, r.reason));
        }
    }
    Ok(Engine::new(rules, hashes))
}

impl BundleCache {
    /// Opens the cache in `dir`, taking up the bundle kept there if it still verifies and compiles.
    pub fn open(dir: PathBuf) -> Self {
        let mut cache = Self { dir, current: None };
        let bytes = std::fs::read(cache.dir.join("current.json"));
        let digest = std::fs::read_to_string(cache.dir.join("current.sha256"));
        if let (Ok(bytes), Ok(digest)) = (bytes, digest) {
            let digest = digest.trim().to_string();
            if sha256_hex(&bytes) == digest {
                match build(&bytes, &cache.dir.join("work")) {
                    Ok(engine) => cache.current = Some((digest, Arc::new(engine))),
                    Err(e) => {
                        tracing::warn!(error = %e, "the kept rule bundle does not compile; waiting for a new one")
                    }
                }
            } else {
                tracing::warn!("the kept rule bundle does not match its digest; waiting for a new one");
            }
        }
        cache
    }

    /// The digest in use.
    pub fn digest(&self) -> Option<&str> {
        self.current.as_ref().map(|(d, _)| d.as_str())
    }

    fn keep(&self, digest: &str, bytes: &[u8]) -> Result<()> {
        std::fs::create_dir_all(&self.dir).map_err(|e| Error::io("creating", &self.dir, e))?;
        let tmp = self.dir.join("current.json.tmp");
        std::fs::write(&tmp, bytes).map_err(|e| Error::io("writing", &tmp, e))?;
        let path = self.dir.join("current.json");
        std::fs::rename(&tmp, &path).map_err(|e| Error::io("renaming", &tmp, e))?;
        let d = self.dir.join("current.sha256");
        std::fs::write(&d, digest).map_err(|e| Error::io("writing", &d, e))
    }

    /// The engine for a task naming `wanted`: the one in use when it has that digest, else the bundle `fetch`
    /// downloads, once it verifies and compiles; if it does not, the previous engine (if any) and why.
    pub fn choose(&mut self, wanted: Option<&str>, fetch: impl FnOnce(&str) -> Result<Vec<u8>>) -> Chosen {
        let previous = |error: String, cache: &Self| Chosen {
            engine: cache.current.as_ref().map(|(_, e)| e.clone()),
            digest: cache.digest().map(str::to_owned),
            error: Some(error),
        };
        let Some(wanted) = wanted else {
            return previous("the server named no rule bundle".into(), self);
        };
        if self.digest() == Some(wanted) {
            return Chosen {
                engine: self.current.as_ref().map(|(_, e)| e.clone()),
                digest: Some(wanted.to_string()),
                error: None,
            };
        }
        let bytes = match fetch(wanted) {
            Ok(b) => b,
            Err(e) => return previous(format!("downloading bundle {wanted}: {e}"), self),
        };
        let got = sha256_hex(&bytes);
        if got != wanted {
            return previous(
                format!("bundle refused: its SHA-256 is {got}, the task named {wanted}"),
                self,
            );
        }
        match build(&bytes, &self.dir.join("work")) {
            Ok(engine) => {
                if let Err(e) = self.keep(wanted, &bytes) {
                    tracing::warn!(error = %e, "keeping the rule bundle on disk failed");
                }
                let engine = Arc::new(engine);
                self.current = Some((wanted.to_string(), engine.clone()));
                Chosen {
                    engine: Some(engine),
                    digest: Some(wanted.to_string()),
                    error: None,
                }
            }
            Err(e) => previous(format!("bundle {wanted} refused: {e}"), self),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use canhgac_model::scan::BundleFile;

    fn bundle(rule: &str) -> Vec<u8> {
        RuleBundle {
            yara: vec![BundleFile {
                name: "department/v1/r.yar".into(),
                text: rule.into(),
            }],
            hashes: vec![BundleFile {
                name: "department/v1/h.txt".into(),
                text: "44d88612fea8a8f36de82e1278abb02f;EICAR\n".into(),
            }],
            ..Default::default()
        }
        .to_bytes()
    }

    #[test]
    fn a_bundle_that_fails_its_digest_or_compile_is_refused_and_the_previous_kept() {
        let dir = tempfile::tempdir().unwrap();
        let good = bundle("rule planted { strings: $a = \"q7w8e9r0\" condition: $a }");
        let good_digest = sha256_hex(&good);
        let mut cache = BundleCache::open(dir.path().join("bundle"));
        let c = cache.choose(Some(&good_digest), |_| Ok(good.clone()));
        assert!(c.engine.is_some() && c.error.is_none());
        assert_eq!(cache.digest(), Some(good_digest.as_str()));

        // Right digest, content that does not compile here.
        let bad = bundle("rule broken { condition: nosuch }");
        let bad_digest = sha256_hex(&bad);
        let c = cache.choose(Some(&bad_digest), |_| Ok(bad.clone()));
        let err = c.error.unwrap();
        assert!(err.contains("department/v1/r.yar:1"), "{err}");
        assert_eq!(c.digest.as_deref(), Some(good_digest.as_str()), "previous kept");
        assert!(c.engine.is_some());

        // Bytes that are not what the digest names.
        let c = cache.choose(Some(&"0".repeat(64)), |_| Ok(good.clone()));
        assert!(c.error.unwrap().contains("SHA-256"));
        assert_eq!(cache.digest(), Some(good_digest.as_str()));

        // A restart takes the kept bundle up again.
        let again = BundleCache::open(dir.path().join("bundle"));
        assert_eq!(again.digest(), Some(good_digest.as_str()));
        // A damaged kept bundle is not used.
        std::fs::write(dir.path().join("bundle/current.json"), b"{}").unwrap();
        assert_eq!(BundleCache::open(dir.path().join("bundle")).digest(), None);
    }
}
