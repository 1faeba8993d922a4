//! Sigma string patterns: literals with `*` / `?` wildcards and `windash` dash classes, matched case-insensitively
//! (ASCII) without allocating.
//!
//! A value such as `'*\cmd.exe'` becomes a [`Pattern`]: the pieces between `*` are [`Seg`]ments; a pattern that
//! does not start (end) with `*` is anchored at the start (end). Matching is the classic greedy glob walk: anchored
//! ends are checked first, then each middle segment is found leftmost in what remains, which is exact for `*`-only
//! globs.

use memchr::{memchr, memchr2};

/// One parsed piece of a Sigma string value, after escape processing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part {
    /// Literal bytes (UTF-8).
    Lit(Vec<u8>),
    /// `*`: any run of characters.
    Star,
    /// `?`: exactly one character.
    One,
    /// A dash that `windash` widened: `-`, `/`, en dash, em dash or horizontal bar.
    Dash,
}

/// Parses a Sigma string into parts: `*` and `?` are wildcards; `\*`, `\?` and `\\` are the literal characters; a
/// backslash before anything else is a literal backslash (the Sigma specification's escaping rule).
pub(crate) fn parse_parts(s: &str) -> Vec<Part> {
    let mut out = Vec::new();
    let mut lit = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if matches!(b.get(i + 1), Some(b'*' | b'?' | b'\\')) => {
                lit.push(b[i + 1]);
                i += 2;
                continue;
            }
            b'*' | b'?' => {
                if !lit.is_empty() {
                    out.push(Part::Lit(std::mem::take(&mut lit)));
                }
                out.push(if b[i] == b'*' { Part::Star } else { Part::One });
            }
            c => lit.push(c),
        }
        i += 1;
    }
    if !lit.is_empty() {
        out.push(Part::Lit(lit));
    }
    out
}

/// The parts as plain literal bytes, or `None` when they contain a wildcard or dash class.
pub(crate) fn parts_literal(parts: &[Part]) -> Option<Vec<u8>> {
    let mut v = Vec::new();
    for p in parts {
        match p {
            Part::Lit(l) => v.extend_from_slice(l),
            _ => return None,
        }
    }
    Some(v)
}

/// `windash`: a `-` or `/` that starts a word (preceded by the start or a non-word character, followed by a word
/// character) becomes a dash class matching `-`, `/`, `–`, `—` and `―`.
pub(crate) fn windash(parts: Vec<Part>) -> Vec<Part> {
    let is_word = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80;
    // Flatten to a sequence where each literal byte knows its neighbours.
    let mut out = Vec::new();
    let n = parts.len();
    for (pi, p) in parts.iter().enumerate() {
        let Part::Lit(l) = p else {
            out.push(p.clone());
            continue;
        };
        let mut cur = Vec::new();
        for (i, &c) in l.iter().enumerate() {
            let prev_nonword = if i == 0 {
                // The start of the value, or a wildcard before: treat a wildcard as a non-word boundary.
                pi == 0 || !matches!(parts[pi - 1], Part::Lit(_))
            } else {
                !is_word(l[i - 1])
            };
            let next_word = match l.get(i + 1) {
                Some(&d) => is_word(d),
                None => pi + 1 < n && matches!(parts[pi + 1], Part::One),
            };
            if (c == b'-' || c == b'/') && prev_nonword && next_word {
                if !cur.is_empty() {
                    out.push(Part::Lit(std::mem::take(&mut cur)));
                }
                out.push(Part::Dash);
            } else {
                cur.push(c);
            }
        }
        if !cur.is_empty() {
            out.push(Part::Lit(cur));
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Byte(u8),
    Any,
    Dash,
}

/// A run of tokens between two `*`.
#[derive(Debug, Clone)]
struct Seg {
    toks: Box<[Tok]>,
    /// Every token is a byte: fixed length, fast comparison.
    fixed: bool,
}

/// A compiled Sigma string pattern.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    segs: Box<[Seg]>,
    start: bool,
    end: bool,
    cased: bool,
}

const DASHES: [&[u8]; 5] = [
    b"-",
    b"/",
    "\u{2013}".as_bytes(),
    "\u{2014}".as_bytes(),
    "\u{2015}".as_bytes(),
];

impl Pattern {
    /// Compiles parts; `cased` keeps case, otherwise ASCII letters compare case-insensitively.
    pub(crate) fn new(parts: &[Part], cased: bool) -> Pattern {
        let start = !matches!(parts.first(), Some(Part::Star));
        let end = !matches!(parts.last(), Some(Part::Star));
        let mut segs = Vec::new();
        let mut cur: Vec<Tok> = Vec::new();
        for p in parts {
            match p {
                Part::Star => {
                    if !cur.is_empty() {
                        segs.push(std::mem::take(&mut cur));
                    }
                }
                Part::One => cur.push(Tok::Any),
                Part::Dash => cur.push(Tok::Dash),
                Part::Lit(l) => cur.extend(
                    l.iter()
                        .map(|&c| Tok::Byte(if cased { c } else { c.to_ascii_lowercase() })),
                ),
            }
        }
        if !cur.is_empty() {
            segs.push(cur);
        }
        let segs = segs
            .into_iter()
            .map(|toks| Seg {
                fixed: toks.iter().all(|t| matches!(t, Tok::Byte(_))),
                toks: toks.into(),
            })
            .collect();
        Pattern {
            segs,
            start,
            end,
            cased,
        }
    }

    /// The longest run of literal bytes that any match must contain (lower-cased unless cased), for prefilters.
    pub(crate) fn needle(&self) -> Option<Vec<u8>> {
        let mut best: Vec<u8> = Vec::new();
        for s in self.segs.iter() {
            let mut cur = Vec::new();
            for t in s.toks.iter() {
                if let Tok::Byte(b) = t {
                    cur.push(*b);
                } else {
                    if cur.len() > best.len() {
                        best = std::mem::take(&mut cur);
                    }
                    cur.clear();
                }
            }
            if cur.len() > best.len() {
                best = cur;
            }
        }
        (!best.is_empty()).then_some(best)
    }

    /// Whether the whole of `h` matches.
    pub(crate) fn is_match(&self, h: &str) -> bool {
        let h = h.as_bytes();
        let segs = &self.segs[..];
        if segs.is_empty() {
            return !(self.start && self.end) || h.is_empty();
        }
        let mut lo = 0;
        let mut hi = h.len();
        let mut first = 0;
        let mut last = segs.len();
        if self.start {
            let Some(e) = self.match_at(&segs[0], h, 0) else {
                return false;
            };
            if segs.len() == 1 && self.end {
                return e == h.len();
            }
            lo = e;
            first = 1;
        }
        if self.end && last > first {
            let s = &segs[last - 1];
            if s.fixed {
                let n = s.toks.len();
                if hi < lo + n || self.match_at(s, h, hi - n).is_none() {
                    return false;
                }
                hi -= n;
            } else {
                let Some(p) = (lo..=hi).rev().find(|&p| self.match_at(s, h, p) == Some(hi)) else {
                    return false;
                };
                hi = p;
            }
            last -= 1;
        }
        for s in &segs[first..last] {
            match self.find(s, &h[..hi], lo) {
                Some(e) => lo = e,
                None => return false,
            }
        }
        true
    }

    #[inline]
    fn byte_eq(&self, pat: u8, c: u8) -> bool {
        pat == c || (!self.cased && pat == c.to_ascii_lowercase())
    }

    /// Matches segment `s` at `pos`; returns the end position.
    fn match_at(&self, s: &Seg, h: &[u8], pos: usize) -> Option<usize> {
        if s.fixed {
            let n = s.toks.len();
            let w = h.get(pos..pos + n)?;
            let ok = s
                .toks
                .iter()
                .zip(w)
                .all(|(t, &c)| matches!(t, Tok::Byte(b) if self.byte_eq(*b, c)));
            return ok.then_some(pos + n);
        }
        let mut i = pos;
        for t in s.toks.iter() {
            match t {
                Tok::Byte(b) => {
                    if !self.byte_eq(*b, *h.get(i)?) {
                        return None;
                    }
                    i += 1;
                }
                Tok::Any => i += utf8_width(*h.get(i)?),
                Tok::Dash => i += DASHES.iter().find(|d| h[i..].starts_with(d))?.len(),
            }
        }
        (i <= h.len()).then_some(i)
    }

    /// Finds the leftmost match of `s` in `h` at or after `from`; returns its end.
    fn find(&self, s: &Seg, h: &[u8], from: usize) -> Option<usize> {
        let mut p = from;
        while p <= h.len() {
            let cand = match s.toks.first() {
                Some(Tok::Byte(b)) => {
                    let rest = &h[p..];
                    let off = if self.cased || !b.is_ascii_alphabetic() {
                        memchr(*b, rest)
                    } else {
                        memchr2(*b, b.to_ascii_uppercase(), rest)
                    }?;
                    p + off
                }
                _ => p,
            };
            if let Some(e) = self.match_at(s, h, cand) {
                return Some(e);
            }
            p = cand + 1;
        }
        None
    }
}

fn utf8_width(b: u8) -> usize {
    match b {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, h: &str) -> bool {
        Pattern::new(&parse_parts(p), false).is_match(h)
    }

    #[test]
    fn wildcards_and_anchors() {
        assert!(m("*\\cmd.exe", "C:\\Windows\\System32\\CMD.EXE"));
        assert!(!m("*\\cmd.exe", "C:\\cmd.exe.bak"));
        assert!(m("C:\\\\*", "c:\\x"));
        assert!(m("C:\\*", "c:*"));
        assert!(m("*powershell*", "xxPowerShellyy"));
        assert!(m("a*b*c", "aXbYc"));
        assert!(m("a*b*c", "abc"));
        assert!(!m("a*b*c", "acb"));
        assert!(m("a?c", "abc"));
        assert!(m("a?c", "aéc"));
        assert!(!m("a?c", "ac"));
        assert!(m("*", ""));
        assert!(m("", ""));
        assert!(!m("", "x"));
        assert!(m("*ab*ab*", "abab"));
        assert!(!m("*ab*ab*", "aba"));
        assert!(m("ab*ab", "abab"));
        assert!(!m("ab*ab", "aba"));
    }

    #[test]
    fn escapes() {
        assert_eq!(parse_parts("a\\*b"), vec![Part::Lit(b"a*b".to_vec())]);
        assert_eq!(parse_parts("\\\\\\\\x"), vec![Part::Lit(b"\\\\x".to_vec())]);
        assert_eq!(
            parse_parts("C:\\Windows"),
            vec![Part::Lit(b"C:\\Windows".to_vec())]
        );
        assert!(m("a\\?", "a?"));
        assert!(!m("a\\?", "ab"));
    }

    #[test]
    fn cased() {
        let p = Pattern::new(&parse_parts("*Secret*"), true);
        assert!(p.is_match("a Secret"));
        assert!(!p.is_match("a secret"));
    }

    #[test]
    fn windash_classes() {
        let p = Pattern::new(&windash(parse_parts("* -encodedcommand *")), false);
        for s in [" -enc", " /enc", " \u{2013}enc", " \u{2014}enc", " \u{2015}enc"] {
            let h = format!("powershell{s}odedcommand abc");
            assert!(p.is_match(&h), "{h}");
        }
        assert!(!p.is_match("powershell +encodedcommand abc"));
        // A dash inside a word is not widened.
        let p = Pattern::new(&windash(parse_parts("*x-y*")), false);
        assert!(!p.is_match("x/y"));
    }

    #[test]
    fn needles() {
        let p = Pattern::new(&parse_parts("*\\Rundll32.exe*a?bcdefghijklmnop"), false);
        assert_eq!(p.needle().as_deref(), Some(&b"bcdefghijklmnop"[..]));
    }
}
