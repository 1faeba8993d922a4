//! KB supersedence: "B supersedes A" edges from CVRF remediations and the Update Catalog, followed transitively,
//! so an installed later update proves the fixes of every update it replaces.

use crate::model::Kb;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

/// The supersedence graph: newer KB → older KBs it supersedes, each edge with where it was read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supersedence {
    edges: BTreeMap<Kb, BTreeMap<Kb, BTreeSet<String>>>,
}

/// How an installed KB proves a target KB: the chain from the installed update down to the target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proof {
    /// The chain `[installed, …, target]`; one element when the target itself is installed.
    pub chain: Vec<Kb>,
    /// Where the first edge of the chain was read (empty when the target itself is installed).
    pub source: String,
}

impl Proof {
    /// The installed KB that gives the proof.
    pub fn installed(&self) -> Kb {
        self.chain[0]
    }

    /// "KB5027231 supersedes KB5026361 supersedes KB5025221" or "KB5026361 installed".
    pub fn describe(&self) -> String {
        if self.chain.len() == 1 {
            return format!("{} installed", self.chain[0]);
        }
        let names: Vec<String> = self.chain.iter().map(Kb::to_string).collect();
        format!(
            "{} installed; {} ({})",
            self.chain[0],
            names.join(" supersedes "),
            self.source
        )
    }
}

impl Supersedence {
    /// Records that `newer` supersedes `older`, read from `source`. Self-edges are ignored.
    pub fn add(&mut self, newer: Kb, older: Kb, source: &str) {
        if newer != older {
            self.edges
                .entry(newer)
                .or_default()
                .entry(older)
                .or_default()
                .insert(source.to_owned());
        }
    }

    /// Number of edges.
    pub fn len(&self) -> usize {
        self.edges.values().map(BTreeMap::len).sum()
    }

    /// True when there are no edges.
    pub fn is_empty(&self) -> bool {
        self.edges.is_empty()
    }

    /// Every KB that appears in an edge.
    pub fn nodes(&self) -> impl Iterator<Item = Kb> + '_ {
        self.edges
            .iter()
            .flat_map(|(k, m)| std::iter::once(*k).chain(m.keys().copied()))
    }

    /// KBs directly superseded by `kb`.
    pub fn direct(&self, kb: Kb) -> impl Iterator<Item = Kb> + '_ {
        self.edges.get(&kb).into_iter().flat_map(|m| m.keys().copied())
    }

    /// The shortest chain proving `target` from `installed`, if `installed` is `target` or supersedes it
    /// transitively.
    pub fn proves(&self, installed: Kb, target: Kb) -> Option<Proof> {
        self.closure(&[installed]).remove(&target)
    }

    /// For every KB proven by the installed set (the installed KBs and everything they supersede transitively),
    /// its shortest proof. Breadth-first from all installed KBs at once, so the proof is the shortest chain.
    pub fn closure(&self, installed: &[Kb]) -> HashMap<Kb, Proof> {
        let mut parent: HashMap<Kb, Option<Kb>> = HashMap::new();
        let mut queue = VecDeque::new();
        for &kb in installed {
            if parent.insert(kb, None).is_none() {
                queue.push_back(kb);
            }
        }
        while let Some(kb) = queue.pop_front() {
            for older in self.direct(kb) {
                if let std::collections::hash_map::Entry::Vacant(e) = parent.entry(older) {
                    e.insert(Some(kb));
                    queue.push_back(older);
                }
            }
        }
        let mut out = HashMap::with_capacity(parent.len());
        for &kb in parent.keys() {
            let mut chain = vec![kb];
            let mut cur = kb;
            while let Some(Some(up)) = parent.get(&cur) {
                chain.push(*up);
                cur = *up;
            }
            chain.reverse();
            let source = match chain.as_slice() {
                [a, b, ..] => self
                    .edges
                    .get(a)
                    .and_then(|m| m.get(b))
                    .and_then(|s| s.iter().next())
                    .cloned()
                    .unwrap_or_default(),
                _ => String::new(),
            };
            out.insert(kb, Proof { chain, source });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_are_followed_transitively_and_shortest() {
        let mut s = Supersedence::default();
        s.add(Kb(3), Kb(2), "m3");
        s.add(Kb(2), Kb(1), "m2");
        s.add(Kb(3), Kb(1), "catalog");
        s.add(Kb(4), Kb(4), "self");
        let p = s.proves(Kb(3), Kb(1)).unwrap();
        assert_eq!(p.chain, vec![Kb(3), Kb(1)]);
        assert_eq!(p.source, "catalog");
        assert_eq!(
            s.proves(Kb(2), Kb(1)).unwrap().describe(),
            "KB2 installed; KB2 supersedes KB1 (m2)"
        );
        assert!(s.proves(Kb(1), Kb(2)).is_none(), "supersedence is directed");
        assert_eq!(s.len(), 3);
    }

    #[test]
    fn cycles_terminate() {
        let mut s = Supersedence::default();
        s.add(Kb(1), Kb(2), "a");
        s.add(Kb(2), Kb(1), "b");
        assert_eq!(s.closure(&[Kb(1)]).len(), 2);
    }
}
