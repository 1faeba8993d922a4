//! Value modifiers: one detection item (`Field|mod1|mod2: values`) compiled into matchers.

use crate::error::Problem;
use crate::event::FieldValue;
use crate::pattern::{parse_parts, parts_literal, windash, Part, Pattern};
use base64::Engine as _;
use serde_yaml_ng::Value as Yaml;
use std::collections::HashMap;

/// Placeholder values for the `expand` modifier: `%name%` → the values it stands for.
pub type Placeholders = HashMap<String, Vec<String>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Lt,
    Lte,
    Gt,
    Gte,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefMode {
    Equal,
    Contains,
    StartsWith,
    EndsWith,
}

/// One compiled value of a detection item.
#[derive(Debug, Clone)]
pub(crate) enum Matcher {
    /// A string with wildcards (also numbers and booleans, compared as text).
    Pattern(Pattern),
    /// `re`.
    Regex(regex::Regex),
    /// `cidr`.
    Cidr(ipnet::IpNet),
    /// `lt` / `lte` / `gt` / `gte`.
    Compare(Cmp, f64),
    /// `null`: the field is absent, null or empty.
    Null,
    /// `exists`.
    Exists(bool),
    /// `fieldref`: compared with another field of the same event (by slot).
    FieldRef(usize, RefMode, bool),
}

impl Matcher {
    /// Whether `v` (the field's value, `None` when absent) matches; `other` reads another field for `fieldref`.
    pub(crate) fn matches<'o>(
        &self,
        v: Option<FieldValue<'_>>,
        other: &dyn Fn(usize) -> Option<FieldValue<'o>>,
    ) -> bool {
        match self {
            Matcher::Null => match v {
                None | Some(FieldValue::Null) => true,
                Some(FieldValue::Str(s)) => s.is_empty(),
                Some(_) => false,
            },
            Matcher::Exists(want) => v.is_some() == *want,
            _ => {
                let Some(v) = v else { return false };
                match self {
                    Matcher::Pattern(p) => v.with_str(|s| p.is_match(s)).unwrap_or(false),
                    Matcher::Regex(r) => v.with_str(|s| r.is_match(s)).unwrap_or(false),
                    Matcher::Cidr(net) => v
                        .with_str(|s| {
                            s.trim()
                                .parse::<std::net::IpAddr>()
                                .is_ok_and(|ip| net.contains(&ip))
                        })
                        .unwrap_or(false),
                    Matcher::Compare(op, n) => v.as_f64().is_some_and(|x| match op {
                        Cmp::Lt => x < *n,
                        Cmp::Lte => x <= *n,
                        Cmp::Gt => x > *n,
                        Cmp::Gte => x >= *n,
                    }),
                    Matcher::FieldRef(slot, mode, cased) => {
                        let Some(o) = other(*slot) else { return false };
                        v.with_str(|a| o.with_str(|b| ref_cmp(a, b, *mode, *cased)))
                            .flatten()
                            .unwrap_or(false)
                    }
                    Matcher::Null | Matcher::Exists(_) => false,
                }
            }
        }
    }

    /// A literal that every matching value contains (for the prefilter), if there is one.
    pub(crate) fn needle(&self) -> Option<Vec<u8>> {
        match self {
            Matcher::Pattern(p) => p.needle(),
            _ => None,
        }
    }
}

fn ref_cmp(a: &str, b: &str, mode: RefMode, cased: bool) -> bool {
    let eq = |x: &[u8], y: &[u8]| if cased { x == y } else { x.eq_ignore_ascii_case(y) };
    let (a, b) = (a.as_bytes(), b.as_bytes());
    match mode {
        RefMode::Equal => eq(a, b),
        RefMode::StartsWith => a.len() >= b.len() && eq(&a[..b.len()], b),
        RefMode::EndsWith => a.len() >= b.len() && eq(&a[a.len() - b.len()..], b),
        RefMode::Contains => b.is_empty() || a.windows(b.len()).any(|w| eq(w, b)),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mod {
    Contains,
    StartsWith,
    EndsWith,
    All,
    Base64,
    Base64Offset,
    Utf16le,
    Utf16be,
    Utf16,
    Windash,
    Re,
    ReI,
    ReM,
    ReS,
    Cidr,
    Cmp(Cmp),
    Exists,
    FieldRef,
    Expand,
    Cased,
}

fn parse_mod(s: &str) -> Option<Mod> {
    Some(match s {
        "contains" => Mod::Contains,
        "startswith" => Mod::StartsWith,
        "endswith" => Mod::EndsWith,
        "all" => Mod::All,
        "base64" => Mod::Base64,
        "base64offset" => Mod::Base64Offset,
        "utf16le" | "wide" => Mod::Utf16le,
        "utf16be" => Mod::Utf16be,
        "utf16" => Mod::Utf16,
        "windash" => Mod::Windash,
        "re" => Mod::Re,
        "i" => Mod::ReI,
        "m" => Mod::ReM,
        "s" => Mod::ReS,
        "cidr" => Mod::Cidr,
        "lt" => Mod::Cmp(Cmp::Lt),
        "lte" => Mod::Cmp(Cmp::Lte),
        "gt" => Mod::Cmp(Cmp::Gt),
        "gte" => Mod::Cmp(Cmp::Gte),
        "exists" => Mod::Exists,
        "fieldref" => Mod::FieldRef,
        "expand" => Mod::Expand,
        "cased" => Mod::Cased,
        _ => return None,
    })
}

/// A compiled detection item: a field (or none, for keywords), its matchers, and whether all must match.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    /// Slot of the field name in the rule's field table; `None` searches every value (keywords).
    pub field: Option<usize>,
    pub matchers: Vec<Matcher>,
    pub all: bool,
}

impl Item {
    /// Shifts field slots by `by` (when a filter's fields are appended to a rule's field table).
    pub(crate) fn shift(&mut self, by: usize) {
        if let Some(f) = &mut self.field {
            *f += by;
        }
        for m in &mut self.matchers {
            if let Matcher::FieldRef(slot, _, _) = m {
                *slot += by;
            }
        }
    }
}

/// Context for compiling the items of one rule: the field table and the placeholder values.
pub(crate) struct ItemCompiler<'a> {
    pub fields: &'a mut Vec<String>,
    pub placeholders: &'a Placeholders,
}

impl ItemCompiler<'_> {
    pub(crate) fn slot(&mut self, name: &str) -> usize {
        if let Some(i) = self.fields.iter().position(|f| f == name) {
            return i;
        }
        self.fields.push(name.to_string());
        self.fields.len() - 1
    }

    /// Compiles `key: value` where `key` is `Field|mods` (or `|mods` / absent for keywords).
    pub(crate) fn item(&mut self, place: &str, key: Option<&str>, value: &Yaml) -> Result<Item, Problem> {
        let (field, mods) = match key {
            Some(k) => {
                let mut it = k.split('|');
                let f = it.next().unwrap_or("");
                let mut mods = Vec::new();
                for m in it {
                    mods.push(
                        parse_mod(m).ok_or_else(|| Problem::unsupported(place, format!("modifier `{m}`")))?,
                    );
                }
                ((!f.is_empty()).then_some(f), mods)
            }
            None => (None, Vec::new()),
        };
        let values: Vec<&Yaml> = match value {
            Yaml::Sequence(s) => s.iter().collect(),
            v => vec![v],
        };
        if values.is_empty() {
            return Err(Problem::invalid(place, "empty list of values"));
        }
        let has = |m: Mod| mods.contains(&m);
        let keyword = field.is_none();
        let mut matchers = Vec::new();
        for v in values {
            self.value(place, &mods, keyword, v, &mut matchers)?;
        }
        let slot = field.map(|f| self.slot(f));
        Ok(Item {
            field: slot,
            matchers,
            all: has(Mod::All),
        })
    }

    fn value(
        &mut self,
        place: &str,
        mods: &[Mod],
        keyword: bool,
        v: &Yaml,
        out: &mut Vec<Matcher>,
    ) -> Result<(), Problem> {
        let has = |m: Mod| mods.contains(&m);
        let text = match v {
            Yaml::Null => {
                out.push(Matcher::Null);
                return Ok(());
            }
            Yaml::String(s) => s.clone(),
            Yaml::Number(n) => n.to_string(),
            Yaml::Bool(b) => b.to_string(),
            Yaml::Sequence(_) | Yaml::Mapping(_) | Yaml::Tagged(_) => {
                return Err(Problem::invalid(
                    place,
                    "a value must be a string, number, boolean or null",
                ))
            }
        };
        if has(Mod::Exists) {
            let b = match v {
                Yaml::Bool(b) => *b,
                _ => return Err(Problem::invalid(place, "`exists` takes true or false")),
            };
            out.push(Matcher::Exists(b));
            return Ok(());
        }
        if let Some(op) = mods
            .iter()
            .find_map(|m| if let Mod::Cmp(c) = m { Some(*c) } else { None })
        {
            let n: f64 = text
                .trim()
                .parse()
                .map_err(|_| Problem::invalid(place, format!("`{text}` is not a number")))?;
            out.push(Matcher::Compare(op, n));
            return Ok(());
        }
        if has(Mod::Cidr) {
            let net = text
                .parse::<ipnet::IpNet>()
                .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|e| Problem::invalid(place, format!("bad CIDR `{text}`: {e}")))?;
            out.push(Matcher::Cidr(net));
            return Ok(());
        }
        if has(Mod::Re) {
            let re = regex::RegexBuilder::new(&text)
                .case_insensitive(has(Mod::ReI))
                .multi_line(has(Mod::ReM))
                .dot_matches_new_line(has(Mod::ReS))
                .build()
                .map_err(|e| Problem::unsupported(place, format!("regular expression `{text}`: {e}")))?;
            out.push(Matcher::Regex(re));
            return Ok(());
        }
        if has(Mod::ReI) || has(Mod::ReM) || has(Mod::ReS) {
            return Err(Problem::invalid(
                place,
                "the flags i, m, s need the `re` modifier",
            ));
        }
        if has(Mod::FieldRef) {
            let mode = if has(Mod::Contains) {
                RefMode::Contains
            } else if has(Mod::StartsWith) {
                RefMode::StartsWith
            } else if has(Mod::EndsWith) {
                RefMode::EndsWith
            } else {
                RefMode::Equal
            };
            let slot = self.slot(&text);
            out.push(Matcher::FieldRef(slot, mode, has(Mod::Cased)));
            return Ok(());
        }
        let texts = if has(Mod::Expand) {
            expand(place, &text, self.placeholders)?
        } else {
            vec![text]
        };
        for t in texts {
            for parts in encode(place, mods, parse_parts(&t))? {
                let mut parts = if has(Mod::Windash) { windash(parts) } else { parts };
                if has(Mod::Contains) || keyword {
                    parts.insert(0, Part::Star);
                    parts.push(Part::Star);
                } else if has(Mod::StartsWith) {
                    parts.push(Part::Star);
                } else if has(Mod::EndsWith) {
                    parts.insert(0, Part::Star);
                }
                // Encoded values are compared exactly: base64 is case-sensitive.
                let cased = has(Mod::Cased) || has(Mod::Base64) || has(Mod::Base64Offset);
                out.push(Matcher::Pattern(Pattern::new(&parts, cased)));
            }
        }
        Ok(())
    }
}

/// `expand`: replaces each `%name%` with each of its values (every combination).
fn expand(place: &str, text: &str, ph: &Placeholders) -> Result<Vec<String>, Problem> {
    let mut out = vec![String::new()];
    let mut rest = text;
    while let Some(start) = rest.find('%') {
        let Some(len) = rest[start + 1..].find('%') else {
            break;
        };
        let name = &rest[start + 1..start + 1 + len];
        let values = ph.get(name).ok_or_else(|| {
            Problem::unsupported(
                place,
                format!("placeholder `%{name}%` has no values (give them to the loader)"),
            )
        })?;
        let prefix = &rest[..start];
        out = out
            .iter()
            .flat_map(|o| values.iter().map(move |v| format!("{o}{prefix}{v}")))
            .collect();
        rest = &rest[start + len + 2..];
    }
    Ok(out.into_iter().map(|o| o + rest).collect())
}

/// The encoding modifiers (`utf16*`, `wide`, `base64`, `base64offset`) applied in order.
fn encode(place: &str, mods: &[Mod], parts: Vec<Part>) -> Result<Vec<Vec<Part>>, Problem> {
    let enc = |m: &&Mod| {
        matches!(
            m,
            Mod::Utf16le | Mod::Utf16be | Mod::Utf16 | Mod::Base64 | Mod::Base64Offset
        )
    };
    if !mods.iter().any(|m| enc(&m)) {
        return Ok(vec![parts]);
    }
    let Some(mut bytes) = parts_literal(&parts) else {
        return Err(Problem::unsupported(
            place,
            "wildcards inside a value that base64/utf16 encode",
        ));
    };
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let mut out: Option<Vec<Vec<u8>>> = None;
    for m in mods {
        let utf16 = |be: bool, bom: bool, b: &[u8]| -> Vec<u8> {
            let mut v = Vec::new();
            if bom {
                v.extend_from_slice(&[0xFF, 0xFE]);
            }
            for u in text(b).encode_utf16() {
                v.extend_from_slice(&if be { u.to_be_bytes() } else { u.to_le_bytes() });
            }
            v
        };
        match m {
            Mod::Utf16le => bytes = utf16(false, false, &bytes),
            Mod::Utf16be => bytes = utf16(true, false, &bytes),
            Mod::Utf16 => bytes = utf16(false, true, &bytes),
            Mod::Base64 => {
                out = Some(vec![base64::engine::general_purpose::STANDARD
                    .encode(&bytes)
                    .into_bytes()])
            }
            Mod::Base64Offset => out = Some(base64_offsets(&bytes)),
            _ => {}
        }
    }
    Ok(out
        .unwrap_or_else(|| vec![bytes])
        .into_iter()
        .map(|b| vec![Part::Lit(b)])
        .collect())
}

/// The three base64 forms of `val` when it starts at offset 0, 1 or 2 of a 3-byte group, stripped of the
/// characters that depend on the unknown neighbours (as pySigma computes them).
fn base64_offsets(val: &[u8]) -> Vec<Vec<u8>> {
    const START: [usize; 3] = [0, 2, 3];
    const END: [usize; 3] = [0, 3, 2];
    (0..3)
        .filter_map(|i| {
            let mut padded = vec![b' '; i];
            padded.extend_from_slice(val);
            let b64 = base64::engine::general_purpose::STANDARD
                .encode(&padded)
                .into_bytes();
            let cut = END[(val.len() + i) % 3];
            let end = b64.len().checked_sub(cut)?;
            b64.get(START[i]..end).map(<[u8]>::to_vec)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64offset_matches_pysigma() {
        let v = base64_offsets(b"/bin/sh");
        let s: Vec<String> = v
            .iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect();
        assert_eq!(s, vec!["L2Jpbi9za", "9iaW4vc2", "vYmluL3No"]);
    }

    #[test]
    fn expand_combines() {
        let mut ph = Placeholders::new();
        ph.insert("dir".into(), vec!["C:\\a".into(), "D:\\b".into()]);
        assert_eq!(
            expand("p", "%dir%\\x", &ph).unwrap_or_default(),
            vec!["C:\\a\\x", "D:\\b\\x"]
        );
        assert!(expand("p", "%nope%", &ph).is_err());
    }
}
