//! Log-source mapping: Sigma `product`/`category`/`service` → Windows channels, event ids and field renames.
//!
//! The mapping is data (`data/windows-mapping.yml`, embedded as [`Mapping::default`]); users extend it with their
//! own file through [`Mapping::from_yaml`] and [`Mapping::merge`]. See the data file's header for what happens when
//! a log source maps to several sources.

use crate::error::Error;
use crate::rule::LogSource;
use serde::Deserialize;
use std::collections::BTreeMap;

const EMBEDDED: &str = include_str!("../data/windows-mapping.yml");

/// One place events of a log source come from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The event channel (`Security`, `Microsoft-Windows-Sysmon/Operational`, …), compared case-insensitively.
    pub channel: String,
    /// The event ids; empty means any.
    #[serde(default)]
    pub event_ids: Vec<u32>,
    /// Field renames: Sigma's name → the name in these events.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Product {
    #[serde(default)]
    categories: BTreeMap<String, Vec<Source>>,
    #[serde(default)]
    services: BTreeMap<String, Vec<Source>>,
}

/// The whole mapping, per product.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    products: BTreeMap<String, Product>,
}

/// Where a rule's events come from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Resolution<'a> {
    /// These sources (the rule is compiled once per source).
    Sources(&'a [Source]),
    /// No category or service: the rule runs on events of every channel.
    Anywhere,
    /// The mapping does not know this log source; the reason names what is missing.
    Unmapped(String),
}

impl Default for Mapping {
    /// The embedded Windows mapping.
    fn default() -> Mapping {
        // The embedded file is checked by a unit test; an empty mapping is the safe fallback.
        Mapping::from_yaml(EMBEDDED, "embedded").unwrap_or(Mapping {
            products: BTreeMap::new(),
        })
    }
}

impl Mapping {
    /// Reads a mapping file's text; `origin` names it in errors.
    pub fn from_yaml(text: &str, origin: &str) -> Result<Mapping, Error> {
        serde_yaml_ng::from_str(text).map_err(|e| Error::Mapping {
            origin: origin.to_string(),
            reason: e.to_string(),
        })
    }

    /// Adds `other`'s entries, replacing entries for the same product and category or service.
    pub fn merge(&mut self, other: Mapping) {
        for (name, p) in other.products {
            let mine = self.products.entry(name).or_default();
            mine.categories.extend(p.categories);
            mine.services.extend(p.services);
        }
    }

    /// Where events for `ls` come from.
    pub fn resolve(&self, ls: &LogSource) -> Resolution<'_> {
        let Some(product) = ls.product.as_deref() else {
            return if ls.category.is_none() && ls.service.is_none() {
                Resolution::Anywhere
            } else {
                Resolution::Unmapped(format!("log source `{ls}` has no product"))
            };
        };
        let Some(p) = self.products.get(product) else {
            return Resolution::Unmapped(format!("no log-source mapping for product `{product}`"));
        };
        if let Some(c) = ls.category.as_deref() {
            return match p.categories.get(c) {
                Some(s) => Resolution::Sources(s),
                None => Resolution::Unmapped(format!("no log-source mapping for `{product}` category `{c}`")),
            };
        }
        if let Some(s) = ls.service.as_deref() {
            return match p.services.get(s) {
                Some(s) => Resolution::Sources(s),
                None => Resolution::Unmapped(format!("no log-source mapping for `{product}` service `{s}`")),
            };
        }
        Resolution::Anywhere
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_mapping_parses() {
        let m = Mapping::from_yaml(EMBEDDED, "embedded");
        assert!(m.is_ok(), "{m:?}");
        let m = Mapping::default();
        let ls = LogSource {
            product: Some("windows".into()),
            category: Some("process_creation".into()),
            service: None,
        };
        let Resolution::Sources(s) = m.resolve(&ls) else {
            panic!("process_creation unmapped")
        };
        assert_eq!(s.len(), 2);
        assert_eq!(
            s[1].fields.get("Image").map(String::as_str),
            Some("NewProcessName")
        );
    }

    #[test]
    fn user_file_overrides() {
        let mut m = Mapping::default();
        let extra =
            "products:\n  windows:\n    services:\n      custom: [{channel: My/Channel, event_ids: [7]}]\n";
        m.merge(Mapping::from_yaml(extra, "extra.yml").unwrap_or_else(|e| panic!("{e}")));
        let ls = LogSource {
            product: Some("windows".into()),
            category: None,
            service: Some("custom".into()),
        };
        assert!(matches!(m.resolve(&ls), Resolution::Sources(s) if s[0].channel == "My/Channel"));
        let bad = Mapping::from_yaml("products: {windows: {nope: 1}}", "bad.yml");
        assert!(bad.is_err_and(|e| e.to_string().contains("bad.yml")));
    }
}
