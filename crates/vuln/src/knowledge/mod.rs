//! The knowledge model: per CVE, what is affected, how severe, whether exploited or in KEV, which KB fixes it
//! for which product, and the KB supersedence graph. Merging is idempotent: every collection is a set or a map
//! and every scalar merge is a maximum or an "either says yes", so importing a document twice, or months in any
//! order, gives the same knowledge base.

mod record;
mod supersedence;

pub use record::{CveRecord, Fix};
pub use supersedence::{Proof, Supersedence};

use crate::advisory::catalog::CatalogRecord;
use crate::advisory::cpe_dictionary::CpeEntry;
use crate::advisory::distro::DistroDocument;
use crate::advisory::kev::{KevCatalog, KevEntry};
use crate::advisory::nvd::NvdRecord;
use crate::advisory::{Feed, MsrcDocument};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A product of Microsoft's product tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductInfo {
    /// Full name.
    pub name: String,
    /// Product family branch (`Windows`, `ESU`, `Microsoft Office`, …).
    pub family: String,
    /// Current-release date of the document the name was read from: the newest document names a product, so
    /// the result does not depend on import order.
    pub revision: String,
}

/// Everything known about advisories, merged from any number of feeds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KnowledgeBase {
    /// Products by Microsoft product id.
    pub products: BTreeMap<String, ProductInfo>,
    /// CVE records by id.
    pub cves: BTreeMap<String, CveRecord>,
    /// KB supersedence.
    pub supersedence: Supersedence,
    /// KEV entries by CVE id.
    pub kev: BTreeMap<String, KevEntry>,
    /// Imported sources: document id or catalog version → its current release date or version.
    pub sources: BTreeMap<String, String>,
    /// Problems reported by the parsers of merged feeds.
    pub warnings: BTreeSet<String>,
    /// CPE dictionary titles: a program's display name (normalised, without its version) → the CPE's vendor and
    /// product (see [`crate::cpe::dictionary_key`]).
    #[serde(default)]
    pub cpe_titles: BTreeMap<String, (String, String)>,
}

impl KnowledgeBase {
    /// Merges any parsed feed.
    pub fn merge(&mut self, feed: Feed) {
        match feed {
            Feed::Msrc(doc) => self.merge_msrc(&doc),
            Feed::Kev(cat) => self.merge_kev(&cat),
            Feed::Nvd(records) => records.into_iter().for_each(|r| self.merge_nvd(r)),
            Feed::Catalog(rec) => self.merge_catalog(&rec),
            Feed::Distro(doc) => self.merge_distro(doc),
            Feed::CpeDictionary(entries) => self.merge_cpe_dictionary(&entries),
        }
    }

    /// Merges distribution security data: each statement joins its CVE's record.
    pub fn merge_distro(&mut self, doc: DistroDocument) {
        for e in doc.entries {
            let cve = e.cve.clone();
            self.cves
                .entry(cve.clone())
                .or_insert_with(|| CveRecord::new(&cve))
                .packages
                .insert(e);
        }
        for (cve, desc) in doc.descriptions {
            if let Some(rec) = self.cves.get_mut(&cve) {
                if rec.description.is_empty() || desc < rec.description {
                    rec.description = desc;
                }
            }
        }
        self.warnings.extend(doc.warnings);
    }

    /// Merges CPE dictionary records (deprecated names are skipped; the first title wins over the same one again,
    /// in a fixed order).
    pub fn merge_cpe_dictionary(&mut self, entries: &[CpeEntry]) {
        for e in entries.iter().filter(|e| !e.deprecated && !e.title.is_empty()) {
            let key = crate::cpe::dictionary_key(&e.title, &e.cpe.version);
            let value = (e.cpe.vendor.clone(), e.cpe.product.clone());
            let slot = self.cpe_titles.entry(key).or_insert_with(|| value.clone());
            if value < *slot {
                *slot = value;
            }
        }
    }

    /// Merges a Microsoft CVRF or CSAF document.
    pub fn merge_msrc(&mut self, doc: &MsrcDocument) {
        let source = if doc.id.is_empty() {
            doc.title.clone()
        } else {
            doc.id.clone()
        };
        let revision = doc.current_release.clone().unwrap_or_default();
        let entry = self.sources.entry(source.clone()).or_default();
        if revision > *entry {
            entry.clone_from(&revision);
        }
        for p in &doc.products {
            let candidate = ProductInfo {
                name: p.name.clone(),
                family: p.family.clone(),
                revision: revision.clone(),
            };
            let info = self
                .products
                .entry(p.id.clone())
                .or_insert_with(|| candidate.clone());
            // Newest document first; then a name with its family; then a fixed order.
            let key = |i: &ProductInfo| {
                let (r, n, f) = (i.revision.clone(), i.name.clone(), i.family.clone());
                (r, !f.is_empty(), std::cmp::Reverse(n), std::cmp::Reverse(f))
            };
            if key(&candidate) > key(info) {
                *info = candidate;
            }
        }
        let label = format!("CVRF {source}");
        for v in &doc.vulnerabilities {
            for r in &v.remediations {
                if let Some(kb) = r.kb {
                    for &older in &r.supersedes {
                        self.supersedence.add(kb, older, &label);
                    }
                }
            }
            let release = v.published.clone().or_else(|| doc.initial_release.clone());
            self.cves
                .entry(v.cve.clone())
                .or_insert_with(|| CveRecord::new(&v.cve))
                .merge_msrc(&source, release, v);
        }
        self.warnings.extend(doc.warnings.iter().cloned());
    }

    /// Merges the KEV catalog: membership is per CVE; a CVE missing from a newer catalog stays known from the
    /// older one (KEV only ever grows).
    pub fn merge_kev(&mut self, cat: &KevCatalog) {
        self.sources
            .insert(format!("KEV {}", cat.version), cat.released.clone());
        for e in &cat.entries {
            self.kev.insert(e.cve.clone(), e.clone());
        }
        self.warnings.extend(cat.warnings.iter().cloned());
    }

    /// Merges an NVD / CVE JSON 5 record (description and CVSS; Microsoft's data stays authoritative).
    pub fn merge_nvd(&mut self, record: NvdRecord) {
        let cve = record.cve.clone();
        self.warnings.extend(record.warnings.iter().cloned());
        self.cves
            .entry(cve.clone())
            .or_insert_with(|| CveRecord::new(&cve))
            .nvd = Some(record);
    }

    /// Merges an Update Catalog record's supersedence.
    pub fn merge_catalog(&mut self, rec: &CatalogRecord) {
        let Some(kb) = rec.kb else {
            self.warnings.insert(format!(
                "Update Catalog {}: no KB number, supersedence not used",
                rec.update_id
            ));
            return;
        };
        let label = format!("Update Catalog {}", rec.update_id);
        for &older in &rec.supersedes {
            self.supersedence.add(kb, older, &label);
        }
        for &newer in &rec.superseded_by {
            self.supersedence.add(newer, kb, &label);
        }
        for title in &rec.unresolved {
            self.warnings
                .insert(format!("{label}: related update without a KB number: {title}"));
        }
    }

    /// True when the CVE is in the KEV catalog.
    pub fn in_kev(&self, cve: &str) -> bool {
        self.kev.contains_key(cve)
    }

    /// Product id(s) whose name equals `name` (case-insensitive).
    pub fn products_named(&self, name: &str) -> Vec<&str> {
        self.products
            .iter()
            .filter(|(_, p)| p.name.eq_ignore_ascii_case(name))
            .map(|(id, _)| id.as_str())
            .collect()
    }

    /// The product's name, or the id itself when unknown.
    pub fn product_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.products.get(id).map_or(id, |p| p.name.as_str())
    }
}
