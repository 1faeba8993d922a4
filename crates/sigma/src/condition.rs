//! Sigma conditions: `and`, `or`, `not`, parentheses, `1 of` / `any of` / `all of` with name patterns and `them`.
//!
//! Precedence is `not` > `and` > `or`, all left-associative. Names are resolved against the rule's search
//! identifiers after parsing ([`Expr::resolve`]); the pipe aggregations of Sigma 1 (`| count() by …`) are reported
//! as unsupported (correlation rules replace them). Nesting (parentheses and `not`) is bounded by [`MAX_DEPTH`], so
//! a hostile rule file cannot exhaust the stack of the parser or of the evaluators that walk the result.

use std::fmt;

/// The deepest nesting of parentheses and `not` a condition may have (SigmaHQ's rules use at most two).
pub const MAX_DEPTH: usize = 64;

/// A parsed condition over search identifiers (names not yet resolved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// A search identifier.
    Name(String),
    /// Every operand holds.
    And(Vec<Expr>),
    /// At least one operand holds.
    Or(Vec<Expr>),
    /// The operand does not hold.
    Not(Box<Expr>),
    /// `1 of pattern` / `any of pattern` (`them` is the pattern `*` minus names starting with `_`).
    OneOf(String),
    /// `all of pattern`.
    AllOf(String),
}

/// A condition syntax error, with the byte offset where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionError {
    /// Byte offset in the condition string.
    pub offset: usize,
    /// What was expected or found.
    pub message: String,
}

impl fmt::Display for ConditionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at offset {}: {}", self.offset, self.message)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(String),
    Open,
    Close,
    Pipe,
}

fn lex(s: &str) -> Vec<(usize, Tok)> {
    let mut out = Vec::new();
    let mut it = s.char_indices().peekable();
    while let Some(&(i, c)) = it.peek() {
        match c {
            '(' | ')' | '|' => {
                out.push((
                    i,
                    if c == '(' {
                        Tok::Open
                    } else if c == ')' {
                        Tok::Close
                    } else {
                        Tok::Pipe
                    },
                ));
                it.next();
            }
            c if c.is_whitespace() => {
                it.next();
            }
            _ => {
                let mut w = String::new();
                while let Some(&(_, c)) = it.peek() {
                    if c.is_whitespace() || matches!(c, '(' | ')' | '|') {
                        break;
                    }
                    w.push(c);
                    it.next();
                }
                out.push((i, Tok::Word(w)));
            }
        }
    }
    out
}

/// Parses a condition string.
pub fn parse(s: &str) -> Result<Expr, ConditionError> {
    let toks = lex(s);
    let mut p = Parser {
        toks,
        pos: 0,
        end: s.len(),
        depth: 0,
    };
    let e = p.or()?;
    match p.toks.get(p.pos) {
        None => Ok(e),
        Some((o, Tok::Pipe)) => Err(ConditionError {
            offset: *o,
            message: "aggregation `| …` (use a correlation rule)".into(),
        }),
        Some((o, t)) => Err(ConditionError {
            offset: *o,
            message: format!("unexpected {t:?}"),
        }),
    }
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    end: usize,
    /// Open parentheses and `not`s around the current token.
    depth: usize,
}

impl Parser {
    fn word_is(&self, w: &str) -> bool {
        matches!(self.toks.get(self.pos), Some((_, Tok::Word(x))) if x.eq_ignore_ascii_case(w))
    }

    fn offset(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end, |t| t.0)
    }

    /// Enters one more level of nesting at the current token, or refuses beyond [`MAX_DEPTH`].
    fn nest(&mut self) -> Result<(), ConditionError> {
        if self.depth == MAX_DEPTH {
            return Err(ConditionError {
                offset: self.offset(),
                message: format!("nested deeper than {MAX_DEPTH} levels of parentheses and `not`"),
            });
        }
        self.depth += 1;
        Ok(())
    }

    fn or(&mut self) -> Result<Expr, ConditionError> {
        let mut v = vec![self.and()?];
        while self.word_is("or") {
            self.pos += 1;
            v.push(self.and()?);
        }
        Ok(if v.len() == 1 { v.remove(0) } else { Expr::Or(v) })
    }

    fn and(&mut self) -> Result<Expr, ConditionError> {
        let mut v = vec![self.not()?];
        while self.word_is("and") {
            self.pos += 1;
            v.push(self.not()?);
        }
        Ok(if v.len() == 1 { v.remove(0) } else { Expr::And(v) })
    }

    fn not(&mut self) -> Result<Expr, ConditionError> {
        if self.word_is("not") {
            self.nest()?;
            self.pos += 1;
            let e = self.not()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(e)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Expr, ConditionError> {
        let off = self.offset();
        let Some((_, t)) = self.toks.get(self.pos).cloned() else {
            return Err(ConditionError {
                offset: off,
                message: "expected a search identifier".into(),
            });
        };
        if t == Tok::Open {
            self.nest()?;
        }
        self.pos += 1;
        match t {
            Tok::Open => {
                let e = self.or()?;
                match self.toks.get(self.pos) {
                    Some((_, Tok::Close)) => {
                        self.pos += 1;
                        self.depth -= 1;
                        Ok(e)
                    }
                    _ => Err(ConditionError {
                        offset: self.offset(),
                        message: "expected `)`".into(),
                    }),
                }
            }
            Tok::Word(w) => {
                let lower = w.to_ascii_lowercase();
                if matches!(lower.as_str(), "and" | "or" | "not" | "of" | "them") {
                    return Err(ConditionError {
                        offset: off,
                        message: format!("unexpected `{w}`"),
                    });
                }
                let quant = match lower.as_str() {
                    "1" | "any" => Some(false),
                    "all" => Some(true),
                    _ => None,
                };
                if quant.is_some() && self.word_is("of") {
                    self.pos += 1;
                    let off = self.offset();
                    let Some((_, Tok::Word(pat))) = self.toks.get(self.pos).cloned() else {
                        return Err(ConditionError {
                            offset: off,
                            message: "expected a name pattern or `them`".into(),
                        });
                    };
                    self.pos += 1;
                    let pat = if pat.eq_ignore_ascii_case("them") {
                        "them".to_string()
                    } else {
                        pat
                    };
                    return Ok(if quant == Some(true) {
                        Expr::AllOf(pat)
                    } else {
                        Expr::OneOf(pat)
                    });
                }
                if lower.chars().all(|c| c.is_ascii_digit()) && self.word_is("of") {
                    return Err(ConditionError {
                        offset: off,
                        message: format!("`{w} of` (only 1, any, all)"),
                    });
                }
                Ok(Expr::Name(w))
            }
            Tok::Close => Err(ConditionError {
                offset: off,
                message: "unexpected `)`".into(),
            }),
            Tok::Pipe => Err(ConditionError {
                offset: off,
                message: "aggregation `| …` (use a correlation rule)".into(),
            }),
        }
    }
}

/// A condition with names resolved to indexes of search identifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cond {
    Search(usize),
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
}

/// Whether a search identifier matches a name pattern of `1 of` / `all of` (`*` wildcards, case-sensitive).
fn glob_name(pat: &str, name: &str) -> bool {
    crate::pattern::Pattern::new(&crate::pattern::parse_parts(pat), true).is_match(name)
}

impl Expr {
    /// Resolves names against `names` (the rule's search identifiers, in order).
    pub(crate) fn resolve(&self, names: &[String]) -> Result<Cond, String> {
        let matching = |pat: &str| -> Result<Vec<Cond>, String> {
            let v: Vec<Cond> = names
                .iter()
                .enumerate()
                .filter(|(_, n)| {
                    if pat == "them" {
                        !n.starts_with('_')
                    } else {
                        glob_name(pat, n)
                    }
                })
                .map(|(i, _)| Cond::Search(i))
                .collect();
            if v.is_empty() {
                Err(format!("no search identifier matches `{pat}`"))
            } else {
                Ok(v)
            }
        };
        Ok(match self {
            Expr::Name(n) => Cond::Search(
                names
                    .iter()
                    .position(|x| x == n)
                    .ok_or_else(|| format!("unknown search identifier `{n}`"))?,
            ),
            Expr::And(v) => Cond::And(v.iter().map(|e| e.resolve(names)).collect::<Result<_, _>>()?),
            Expr::Or(v) => Cond::Or(v.iter().map(|e| e.resolve(names)).collect::<Result<_, _>>()?),
            Expr::Not(e) => Cond::Not(Box::new(e.resolve(names)?)),
            Expr::OneOf(p) => Cond::Or(matching(p)?),
            Expr::AllOf(p) => Cond::And(matching(p)?),
        })
    }

    /// Evaluates with `value(name)` giving each identifier's truth (patterns expand over `names`).
    pub fn eval(&self, names: &[&str], value: &dyn Fn(&str) -> bool) -> bool {
        let of = |p: &str, n: &str| {
            if p == "them" {
                !n.starts_with('_')
            } else {
                glob_name(p, n)
            }
        };
        match self {
            Expr::Name(n) => value(n),
            Expr::And(v) => v.iter().all(|e| e.eval(names, value)),
            Expr::Or(v) => v.iter().any(|e| e.eval(names, value)),
            Expr::Not(e) => !e.eval(names, value),
            Expr::OneOf(p) => names.iter().filter(|n| of(p, n)).any(|n| value(n)),
            Expr::AllOf(p) => names.iter().filter(|n| of(p, n)).all(|n| value(n)),
        }
    }
}

impl Cond {
    pub(crate) fn eval(&self, search: &mut dyn FnMut(usize) -> bool) -> bool {
        match self {
            Cond::Search(i) => search(*i),
            Cond::And(v) => v.iter().all(|c| c.eval(search)),
            Cond::Or(v) => v.iter().any(|c| c.eval(search)),
            Cond::Not(c) => !c.eval(search),
        }
    }

    /// Shifts search indexes by `by` (when appending a filter's searches to a rule's).
    pub(crate) fn offset(&self, by: usize) -> Cond {
        match self {
            Cond::Search(i) => Cond::Search(i + by),
            Cond::And(v) => Cond::And(v.iter().map(|c| c.offset(by)).collect()),
            Cond::Or(v) => Cond::Or(v.iter().map(|c| c.offset(by)).collect()),
            Cond::Not(c) => Cond::Not(Box::new(c.offset(by))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Expr {
        Expr::Name(s.into())
    }

    #[test]
    fn precedence() {
        assert_eq!(
            parse("a or b and not c").ok(),
            Some(Expr::Or(vec![
                n("a"),
                Expr::And(vec![n("b"), Expr::Not(Box::new(n("c")))])
            ]))
        );
        assert_eq!(
            parse("(a or b) and c").ok(),
            Some(Expr::And(vec![Expr::Or(vec![n("a"), n("b")]), n("c")]))
        );
        assert_eq!(
            parse("selection and not 1 of filter_*").ok(),
            Some(Expr::And(vec![
                n("selection"),
                Expr::Not(Box::new(Expr::OneOf("filter_*".into())))
            ]))
        );
        assert_eq!(parse("all of them").ok(), Some(Expr::AllOf("them".into())));
        assert_eq!(parse("any of sel*").ok(), Some(Expr::OneOf("sel*".into())));
    }

    #[test]
    fn errors() {
        assert!(parse("a and").is_err());
        assert!(parse("(a").is_err());
        assert!(parse("a b").is_err());
        assert!(parse("selection | count() > 5").is_err_and(|e| e.message.contains("aggregation")));
        assert!(parse("2 of sel*").is_err());
    }

    #[test]
    fn resolve_patterns() {
        let names: Vec<String> = ["selection", "filter_a", "filter_b", "_hidden"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let c = parse("all of them").ok().map(|e| e.resolve(&names));
        assert_eq!(
            c,
            Some(Ok(Cond::And(vec![
                Cond::Search(0),
                Cond::Search(1),
                Cond::Search(2)
            ])))
        );
        let c = parse("1 of filter_*").ok().map(|e| e.resolve(&names));
        assert_eq!(c, Some(Ok(Cond::Or(vec![Cond::Search(1), Cond::Search(2)]))));
        assert!(parse("1 of nope*")
            .ok()
            .map(|e| e.resolve(&names))
            .is_some_and(|r| r.is_err()));
        assert!(glob_name("*a*b", "xaYb"));
        assert!(!glob_name("*a*b", "xbYa"));
    }
}
