//! The literal prefilter: one case-insensitive Aho-Corasick automaton over every rule's needles.
//!
//! A rule's needle set is a set of literals of which at least one must occur in some value of any event the rule
//! matches (derived from its condition: `and` keeps its most selective operand's set, `or` unites its operands'
//! sets, `not` and non-literal matchers give none). An event's values are scanned once; a rule with a needle set
//! none of whose needles occurred is not evaluated.

use crate::condition::Cond;
use crate::rule::Detection;
use crate::value::Item;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use std::collections::HashMap;

type Needles = Vec<Vec<u8>>;

/// Needles are cut to their last this-many bytes: a part of a literal occurs wherever the literal does, shorter
/// needles make a smaller automaton, and the ends of literals (file names after a common folder) are the most
/// selective part.
const MAX_NEEDLE: usize = 12;

/// The more selective of two needle sets: the one whose shortest needle is longer, then the smaller one.
fn better(a: Needles, b: Needles) -> Needles {
    let key = |n: &Needles| (n.iter().map(Vec::len).min().unwrap_or(0), usize::MAX - n.len());
    if key(&b) > key(&a) {
        b
    } else {
        a
    }
}

fn all_of(sets: impl Iterator<Item = Option<Needles>>) -> Option<Needles> {
    sets.flatten().reduce(better)
}

fn any_of(sets: impl Iterator<Item = Option<Needles>>) -> Option<Needles> {
    let mut out = Vec::new();
    for s in sets {
        out.extend(s?);
    }
    (!out.is_empty()).then_some(out)
}

fn item(i: &Item) -> Option<Needles> {
    let each = i.matchers.iter().map(|m| {
        m.needle().map(|n| {
            let cut = n.len().saturating_sub(MAX_NEEDLE);
            vec![n[cut..].to_vec()]
        })
    });
    if i.all {
        all_of(each)
    } else {
        any_of(each)
    }
}

fn cond(c: &Cond, d: &Detection) -> Option<Needles> {
    match c {
        Cond::Search(s) => any_of(
            d.searches[*s]
                .alternatives
                .iter()
                .map(|alt| all_of(alt.iter().map(item))),
        ),
        Cond::And(v) => all_of(v.iter().map(|c| cond(c, d))),
        Cond::Or(v) => any_of(v.iter().map(|c| cond(c, d))),
        Cond::Not(_) => None,
    }
}

/// The needle set of a detection, if it has one.
pub(crate) fn rule_needles(d: &Detection) -> Option<Needles> {
    cond(&d.cond, d)
}

/// Collects needles across rules, each distinct literal once.
#[derive(Default)]
pub(crate) struct PrefilterBuilder {
    ids: HashMap<Vec<u8>, u32>,
    patterns: Vec<Vec<u8>>,
}

impl PrefilterBuilder {
    /// Interns a rule's needles; returns their ids.
    pub(crate) fn intern(&mut self, needles: &Needles) -> Box<[u32]> {
        let mut ids: Vec<u32> = needles
            .iter()
            .map(|n| {
                *self.ids.entry(n.clone()).or_insert_with(|| {
                    self.patterns.push(n.clone());
                    (self.patterns.len() - 1) as u32
                })
            })
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.into()
    }

    pub(crate) fn build(self) -> Prefilter {
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&self.patterns)
            .ok();
        Prefilter {
            ac,
            len: self.patterns.len(),
        }
    }
}

/// The compiled automaton.
#[derive(Debug, Clone)]
pub(crate) struct Prefilter {
    /// `None` when there are no needles (or, defensively, when the automaton could not be built: then every rule is
    /// a candidate, see [`Prefilter::active`]).
    ac: Option<AhoCorasick>,
    len: usize,
}

impl Prefilter {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether needle checks apply (false means every rule is evaluated).
    pub(crate) fn active(&self) -> bool {
        self.ac.is_some()
    }

    /// Sets the bit of every needle found in `hay`.
    pub(crate) fn scan(&self, hay: &str, bits: &mut [u64]) {
        let Some(ac) = &self.ac else { return };
        for m in ac.find_overlapping_iter(hay) {
            let id = m.pattern().as_usize();
            if let Some(w) = bits.get_mut(id / 64) {
                *w |= 1 << (id % 64);
            }
        }
    }
}
