//! What changed between two versions of a list: indicators added, removed and unchanged.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::indicator::{Entry, Indicator};

/// The difference between an old and a new version of a list, by indicator value (sorted, each once).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Diff {
    /// In the new version only.
    pub added: Vec<Indicator>,
    /// In the old version only.
    pub removed: Vec<Indicator>,
    /// In both.
    pub unchanged: Vec<Indicator>,
}

/// Compares two versions of a list by their indicators (facts such as dates may differ for an unchanged one).
///
/// ```
/// use canhgac_ioc::{diff, import::{import, ImportOptions}};
///
/// let old = import("drop.txt", b"1.10.16.0/20\n2.56.192.0/22\n", &ImportOptions::default()).unwrap();
/// let new = import("drop.txt", b"2.56.192.0/22\n5.42.199.0/24\n", &ImportOptions::default()).unwrap();
/// let d = diff(&old.entries, &new.entries);
/// assert_eq!(d.added[0].to_string(), "5.42.199.0/24");
/// assert_eq!(d.removed[0].to_string(), "1.10.16.0/20");
/// assert_eq!(d.unchanged.len(), 1);
/// ```
pub fn diff(old: &[Entry], new: &[Entry]) -> Diff {
    let old: BTreeSet<&Indicator> = old.iter().map(|e| &e.indicator).collect();
    let new: BTreeSet<&Indicator> = new.iter().map(|e| &e.indicator).collect();
    Diff {
        added: new.difference(&old).map(|i| (*i).clone()).collect(),
        removed: old.difference(&new).map(|i| (*i).clone()).collect(),
        unchanged: old.intersection(&new).map(|i| (*i).clone()).collect(),
    }
}
