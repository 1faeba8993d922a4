//! Loading rules from text, files and folders into a [`LoadReport`]: what loaded, and every failure with its place.

use crate::error::Error;
use crate::parse::{self, Document};
use crate::rule::{CorrelationRule, FilterRule, Level, Rule, Status};
use crate::value::Placeholders;
use serde::Deserialize as _;
use std::path::Path;

/// Options for loading rules.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Values for the `expand` modifier's `%placeholders%`. A rule using a placeholder without values is reported.
    pub placeholders: Placeholders,
}

/// The outcome of loading: the rules that loaded and an error for each document or file that did not.
#[derive(Debug, Default)]
pub struct LoadReport {
    /// Detection rules.
    pub rules: Vec<Rule>,
    /// Sigma filter rules.
    pub filters: Vec<FilterRule>,
    /// Correlation rules.
    pub correlations: Vec<CorrelationRule>,
    /// Everything that could not be loaded, with its file and reason.
    pub errors: Vec<Error>,
    /// Rules left out by [`LoadReport::restrict`] (counted, never silently dropped).
    pub restricted: usize,
}

/// Which rules to keep: a minimum level, the allowed statuses, and tags of which a rule needs at least one.
#[derive(Debug, Clone, Default)]
pub struct Restriction {
    /// Keep rules at this level or above (rules without a level count as `informational`).
    pub min_level: Option<Level>,
    /// Keep only these statuses (rules without a status count as `experimental`); empty keeps all.
    pub statuses: Vec<Status>,
    /// Keep only rules with at least one of these tags (case-insensitive; `attack.t1059` also matches
    /// `attack.t1059.001`); empty keeps all.
    pub tags: Vec<String>,
}

impl Restriction {
    /// Whether a rule with this metadata is kept.
    pub fn allows(&self, meta: &crate::RuleMeta) -> bool {
        let level = meta.level.unwrap_or(Level::Informational);
        let status = meta.status.unwrap_or(Status::Experimental);
        self.min_level.is_none_or(|m| level >= m)
            && (self.statuses.is_empty() || self.statuses.contains(&status))
            && (self.tags.is_empty()
                || meta.tags.iter().any(|t| {
                    self.tags.iter().any(|w| {
                        t.eq_ignore_ascii_case(w)
                            || (t.len() > w.len()
                                && t[..w.len()].eq_ignore_ascii_case(w)
                                && t.as_bytes()[w.len()] == b'.')
                    })
                }))
    }
}

impl LoadReport {
    /// Parses every YAML document in `text`; `origin` names it in errors (usually the file path).
    ///
    /// Text whose flow collections nest deeper than the YAML loader accepts (128 levels) is refused as a whole
    /// before parsing, because the YAML scanner's time grows with the square of the nesting.
    pub fn add_str(&mut self, text: &str, origin: &str, opts: &LoadOptions) {
        if let Err(deep) = crate::nesting::check(text) {
            self.errors.push(Error::Yaml {
                origin: origin.to_string(),
                message: deep.to_string(),
            });
            return;
        }
        for (i, de) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
            let document = i + 1;
            let doc = match serde_yaml_ng::Value::deserialize(de) {
                Ok(d) => d,
                Err(e) => {
                    self.errors.push(Error::Yaml {
                        origin: origin.to_string(),
                        message: e.to_string(),
                    });
                    // The YAML stream cannot be resynchronised after a syntax error.
                    break;
                }
            };
            if doc.is_null() {
                continue;
            }
            match parse::document(&doc, origin, document, &opts.placeholders) {
                Ok(Document::Rule(r)) => self.rules.push(r),
                Ok(Document::Filter(f)) => self.filters.push(f),
                Ok(Document::Correlation(c)) => self.correlations.push(c),
                Err(p) => self
                    .errors
                    .push(p.into_error(origin, document, parse::label(&doc))),
            }
        }
    }

    /// Loads a file, or every `.yml`/`.yaml` file under a folder (recursively, in path order). Files are parsed
    /// on all available cores; the result is in path order whatever the thread count.
    pub fn add_path(&mut self, path: &Path, opts: &LoadOptions) {
        if path.is_file() && path.extension().is_some_and(|x| x.eq_ignore_ascii_case("zip")) {
            self.add_zip(path, opts);
            return;
        }
        if path.is_file() {
            self.add_file(path, opts);
            return;
        }
        let mut files = Vec::new();
        for entry in walkdir::WalkDir::new(path).sort_by_file_name() {
            match entry {
                Ok(e) => {
                    let is_yaml = e.path().extension().is_some_and(|x| x == "yml" || x == "yaml");
                    if e.file_type().is_file() && is_yaml {
                        files.push(e.into_path());
                    }
                }
                Err(e) => {
                    let p = e.path().unwrap_or(path).to_path_buf();
                    let source = e
                        .into_io_error()
                        .unwrap_or_else(|| std::io::Error::other("file-system loop"));
                    self.errors.push(Error::Io { path: p, source });
                }
            }
        }
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(files.len().max(1));
        let chunk = files.len().div_ceil(threads).max(1);
        let parts: Vec<LoadReport> = std::thread::scope(|s| {
            let handles: Vec<_> = files
                .chunks(chunk)
                .map(|part| {
                    s.spawn(move || {
                        let mut r = LoadReport::default();
                        part.iter().for_each(|f| r.add_file(f, opts));
                        r
                    })
                })
                .collect();
            handles
                .into_iter()
                .zip(files.chunks(chunk))
                .map(|(h, part)| {
                    h.join().unwrap_or_else(|_| {
                        // A panic is a bug in the loader; say which files it swallowed rather than lose them.
                        let mut r = LoadReport::default();
                        r.errors.extend(part.iter().map(|f| Error::Invalid {
                            origin: f.display().to_string(),
                            document: 0,
                            rule: None,
                            place: "file".into(),
                            reason: "the loader failed while reading this group of files".into(),
                        }));
                        r
                    })
                })
                .collect()
        });
        for p in parts {
            self.append(p);
        }
    }

    /// Moves everything of `other` into this report.
    pub fn append(&mut self, other: LoadReport) {
        self.rules.extend(other.rules);
        self.filters.extend(other.filters);
        self.correlations.extend(other.correlations);
        self.errors.extend(other.errors);
        self.restricted += other.restricted;
    }

    /// Every `.yml`/`.yaml` member of a zip archive (a SigmaHQ release, a rule pack), each named
    /// `archive.zip!member` in errors. A member larger than [`MAX_ARCHIVE_MEMBER`] or an archive whose rules
    /// exceed [`MAX_ARCHIVE_TOTAL`] uncompressed is refused by name, not read.
    fn add_zip(&mut self, path: &Path, opts: &LoadOptions) {
        let archive = std::fs::File::open(path)
            .map_err(|source| Error::Io {
                path: path.to_path_buf(),
                source,
            })
            .and_then(|f| {
                zip::ZipArchive::new(f).map_err(|e| Error::Io {
                    path: path.to_path_buf(),
                    source: std::io::Error::other(format!("not a readable zip archive: {e}")),
                })
            });
        let mut archive = match archive {
            Ok(a) => a,
            Err(e) => {
                self.errors.push(e);
                return;
            }
        };
        let mut total = 0u64;
        for i in 0..archive.len() {
            let mut member = match archive.by_index(i) {
                Ok(m) => m,
                Err(e) => {
                    self.errors.push(Error::Io {
                        path: path.to_path_buf(),
                        source: std::io::Error::other(format!("member {i}: {e}")),
                    });
                    continue;
                }
            };
            let name = member.name().to_string();
            let lower = name.to_ascii_lowercase();
            if member.is_dir() || !(lower.ends_with(".yml") || lower.ends_with(".yaml")) {
                continue;
            }
            let origin = format!("{}!{name}", path.display());
            let too_big = |reason: String| Error::Invalid {
                origin: origin.clone(),
                document: 0,
                rule: None,
                place: "archive".into(),
                reason,
            };
            if member.size() > MAX_ARCHIVE_MEMBER {
                self.errors.push(too_big(format!(
                    "{} bytes uncompressed, more than the {MAX_ARCHIVE_MEMBER} a rule file may hold",
                    member.size()
                )));
                continue;
            }
            total += member.size();
            if total > MAX_ARCHIVE_TOTAL {
                self.errors.push(too_big(format!(
                    "the archive's rules exceed {MAX_ARCHIVE_TOTAL} bytes uncompressed; this and later members not read"
                )));
                return;
            }
            let mut text = String::new();
            // The declared size is the sender's word: read at most one byte more than allowed.
            let read = std::io::Read::read_to_string(
                &mut std::io::Read::take(&mut member, MAX_ARCHIVE_MEMBER + 1),
                &mut text,
            );
            match read {
                Ok(n) if n as u64 > MAX_ARCHIVE_MEMBER => {
                    self.errors.push(too_big("larger than its declared size".into()));
                }
                Ok(_) => self.add_str(&text, &origin, opts),
                Err(e) => self.errors.push(too_big(format!("cannot be read: {e}"))),
            }
        }
    }

    fn add_file(&mut self, path: &Path, opts: &LoadOptions) {
        match std::fs::read_to_string(path) {
            Ok(text) => self.add_str(&text, &path.display().to_string(), opts),
            Err(source) => self.errors.push(Error::Io {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// Keeps the rules and correlations `r` allows; returns how many were left out (also added to
    /// [`LoadReport::restricted`]). Filters whose rules were all left out go with them.
    pub fn restrict(&mut self, r: &Restriction) -> usize {
        let before = self.rules.len() + self.correlations.len();
        self.rules.retain(|x| r.allows(&x.meta));
        self.correlations.retain(|x| r.allows(&x.meta));
        let removed = before - self.rules.len() - self.correlations.len();
        // A filter whose rules were all left out has nothing to apply to.
        let rules = &self.rules;
        self.filters
            .retain(|f| f.rules.iter().any(|t| rules.iter().any(|x| x.meta.is_named(t))));
        self.restricted += removed;
        removed
    }

    /// Number of documents that loaded (rules, filters and correlations).
    pub fn loaded(&self) -> usize {
        self.rules.len() + self.filters.len() + self.correlations.len()
    }
}

/// Loads rules from YAML text (one or more documents).
pub fn load_str(text: &str, origin: &str, opts: &LoadOptions) -> LoadReport {
    let mut r = LoadReport::default();
    r.add_str(text, origin, opts);
    r
}

/// The largest rule file read from an archive (uncompressed).
pub const MAX_ARCHIVE_MEMBER: u64 = 4 * 1024 * 1024;
/// The most rule text read from one archive (uncompressed); SigmaHQ's full release is about 20 MB.
pub const MAX_ARCHIVE_TOTAL: u64 = 256 * 1024 * 1024;

/// Loads rules from files, folders (recursively) and zip archives (their YAML members).
pub fn load_paths<P: AsRef<Path>>(paths: &[P], opts: &LoadOptions) -> LoadReport {
    let mut r = LoadReport::default();
    for p in paths {
        r.add_path(p.as_ref(), opts);
    }
    r
}
