//! Comparing upstream versions as NVD writes them (`2.4.55`, `9.3p1`, `12.5(1)su8`, `1.1.1w`, `14su3`): split
//! into numbers and words, compared part by part. Where the order is not evident — two different words
//! (`m3` against `t2`), a word against a number (`14su3` against `14.0`), an unknown suffix — there is no answer,
//! and the caller says "unknown" rather than guess.

use std::cmp::Ordering;

#[derive(Debug, PartialEq)]
enum Token<'a> {
    Num(u128),
    Word(&'a str),
}

fn tokens(text: &str) -> Option<Vec<Token<'_>>> {
    let t = text.trim();
    let mut out = Vec::new();
    let bytes = t.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        if bytes[i].is_ascii_digit() {
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            out.push(Token::Num(t[start..i].parse().ok()?));
        } else if bytes[i].is_ascii_alphabetic() {
            while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                i += 1;
            }
            out.push(Token::Word(&t[start..i]));
        } else {
            i += 1;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Words that mark a pre-release: a version with one sorts before the version without it.
const PRE: &[&str] = &["dev", "alpha", "a", "beta", "b", "pre", "preview", "rc"];
/// Words that mark a later build or patch of the same version.
const POST: &[&str] = &[
    "p", "patch", "pl", "post", "sp", "u", "update", "r", "rev", "build",
];

fn rank(word: &str) -> Option<usize> {
    let w = word.to_ascii_lowercase();
    ["dev", "alpha", "a", "beta", "b", "pre", "preview", "rc"]
        .iter()
        .position(|p| *p == w)
        .map(|i| match i {
            0 => 0,
            1 | 2 => 1,
            3 | 4 => 2,
            _ => 3,
        })
}

/// How the longer version compares when the shorter one ended at `rest`.
fn tail(rest: &[Token<'_>]) -> Option<Ordering> {
    match rest {
        [] => Some(Ordering::Equal),
        _ if rest.iter().all(|t| *t == Token::Num(0)) => Some(Ordering::Equal),
        [Token::Num(_), ..] => Some(Ordering::Greater),
        [Token::Word(w), more @ ..] => {
            let w = w.to_ascii_lowercase();
            if POST.contains(&w.as_str()) || (w.len() == 1 && more.is_empty()) {
                // 9.3p1 after 9.3; OpenSSL's 1.1.1w after 1.1.1.
                Some(Ordering::Greater)
            } else if PRE.contains(&w.as_str()) {
                Some(Ordering::Less)
            } else {
                None
            }
        }
    }
}

/// Compares two versions; `None` when their order cannot be told (see the module).
pub fn compare_versions(a: &str, b: &str) -> Option<Ordering> {
    let (ta, tb) = (tokens(a)?, tokens(b)?);
    for (i, (x, y)) in ta.iter().zip(&tb).enumerate() {
        let o = match (x, y) {
            (Token::Num(x), Token::Num(y)) => x.cmp(y),
            (Token::Word(x), Token::Word(y)) if x.eq_ignore_ascii_case(y) => Ordering::Equal,
            (Token::Word(x), Token::Word(y)) => match (rank(x), rank(y)) {
                (Some(p), Some(q)) if p != q => p.cmp(&q),
                // Single final letters: OpenSSL's 1.1.1v before 1.1.1w.
                _ if x.len() == 1 && y.len() == 1 && i + 1 == ta.len() && i + 1 == tb.len() => {
                    x.to_ascii_lowercase().cmp(&y.to_ascii_lowercase())
                }
                _ => return None,
            },
            // A word against a number: 1.0rc1 against 1.0.1 is before it, 9.3p1 against 9.3.1 is unclear.
            (Token::Word(w), Token::Num(_)) => return pre_only(w, Ordering::Less),
            (Token::Num(_), Token::Word(w)) => return pre_only(w, Ordering::Greater),
        };
        if o != Ordering::Equal {
            return Some(o);
        }
    }
    match ta.len().cmp(&tb.len()) {
        Ordering::Equal => Some(Ordering::Equal),
        Ordering::Greater => tail(&ta[tb.len()..]),
        Ordering::Less => tail(&tb[ta.len()..]).map(Ordering::reverse),
    }
}

/// A pre-release word placed where the other version has a number: the version with the word is before.
fn pre_only(word: &str, when_pre: Ordering) -> Option<Ordering> {
    PRE.contains(&word.to_ascii_lowercase().as_str())
        .then_some(when_pre)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal, Greater, Less};

    #[test]
    fn versions_order_or_say_they_cannot() {
        let cases = [
            ("2.4.55", "2.4.56", Some(Less)),
            ("2.4.0", "2.4", Some(Equal)),
            ("12.9.6.55898", "12.9", Some(Greater)),
            (" 5.10.35", "5.10.35", Some(Equal)),
            ("9.3p1", "9.3", Some(Greater)),
            ("9.2p1", "9.3", Some(Less)),
            ("9.3p2", "9.3p1", Some(Greater)),
            ("1.1.1w", "1.1.1", Some(Greater)),
            ("1.1.1v", "1.1.1w", Some(Less)),
            ("1.0rc1", "1.0", Some(Less)),
            ("1.0rc1", "1.0beta2", Some(Greater)),
            ("1.0rc1", "1.0.1", Some(Less)),
            ("12.5(1)su7", "12.5(1)su8", Some(Less)),
            ("15.1(4)m2", "15.1(4)m3", Some(Less)),
            ("15.2(1)", "15.1(4)m3", Some(Greater)),
            ("3.0(1i)", "3.1(1k)", Some(Less)),
            ("3.1(1j)", "3.1(1k)", Some(Less)),
            // Not decidable.
            ("15.1(4)m3", "15.1(4)t2", None),
            ("14su3", "14.0", None),
            ("15.1(4)", "15.1(4)m3", None),
            ("9.3p1", "9.3.1", None),
            ("", "1.0", None),
        ];
        for (a, b, want) in cases {
            assert_eq!(compare_versions(a, b), want, "{a} vs {b}");
            assert_eq!(compare_versions(b, a), want.map(Ordering::reverse), "{b} vs {a}");
        }
    }
}
