//! A linear pre-scan of YAML text for deeply nested flow collections (`[[[…` or `{a: {a: …`).
//!
//! The YAML scanner under `serde_yaml_ng` (unsafe-libyaml, a translation of libyaml) rechecks every open flow level
//! for each token, so its time grows with the square of the nesting: 64,000 `[` (128 KB) took 18 s to be refused.
//! `serde_yaml_ng` refuses values nested deeper than 128 levels anyway, so text whose flow collections open a 129th
//! level can never load; this scan finds such text in one pass before the YAML parser sees it.
//!
//! The scan follows just enough of YAML to know where a flow collection starts: quoted scalars, comments, block
//! scalars, continuation lines of plain scalars, and the positions where a node may begin (line start, after `- `,
//! `? `, `: `, an anchor or a tag, and anywhere inside a flow collection). It is meant to count no more levels than
//! the parser does, so that it refuses nothing the parser would accept; every SigmaHQ rule passes it.

use std::fmt;

/// Flow nesting the YAML loader accepts (`serde_yaml_ng`'s recursion limit).
pub(crate) const MAX_FLOW_DEPTH: usize = 128;

/// Where a flow collection opened level [`MAX_FLOW_DEPTH`] + 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TooDeep {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl fmt::Display for TooDeep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "flow collections nested deeper than {MAX_FLOW_DEPTH} levels at line {} column {}",
            self.line, self.column
        )
    }
}

/// The scanner's state carried from one line to the next.
struct Scan {
    depth: usize,
    /// Inside a `'…'` or `"…"` scalar (they may span lines).
    quote: Option<u8>,
    /// Inside a block scalar (`|`, `>`) whose content lines are indented more than this column.
    block_scalar: Option<isize>,
    /// The last line ended inside a plain scalar whose parent node is at this column; more indented lines continue it.
    plain: Option<isize>,
    /// The column of the key or `-` whose value the last line left to come (`key:` alone), -1 if none.
    pending: isize,
}

/// Refuses text whose flow collections nest deeper than [`MAX_FLOW_DEPTH`].
pub(crate) fn check(text: &str) -> Result<(), TooDeep> {
    let mut scan = Scan {
        depth: 0,
        quote: None,
        block_scalar: None,
        plain: None,
        pending: -1,
    };
    for (i, line) in text.split('\n').enumerate() {
        scan.line(line.as_bytes()).map_err(|at| TooDeep {
            line: i + 1,
            column: line
                .as_bytes()
                .iter()
                .take(at)
                .filter(|b| !is_continuation(**b))
                .count()
                + 1,
        })?;
    }
    Ok(())
}

fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r')
}

impl Scan {
    /// Scans one line; `Err` holds the byte offset of the bracket that went too deep.
    fn line(&mut self, line: &[u8]) -> Result<(), usize> {
        let indent = line.iter().take_while(|b| **b == b' ').count() as isize;
        let blank = line.iter().all(|b| is_blank(*b));
        if let Some(parent) = self.block_scalar {
            if blank || indent > parent {
                return Ok(());
            }
            self.block_scalar = None;
        }
        if blank {
            return Ok(());
        }
        let continues_plain =
            self.depth == 0 && self.quote.is_none() && self.plain.is_some_and(|p| indent > p);
        // Whether a node may begin here, whether the previous byte was blank (for `#` and indicators), whether the
        // last thing seen was a plain scalar, and the columns of the nodes begun on this line. The parent of a line's
        // first node is the key or `-` the last line left open; otherwise it is not known, and -1 takes every later
        // line as a continuation, so that the scan skips rather than counts what it cannot place.
        let mut node_start = !continues_plain;
        let mut after_blank = true;
        let mut in_plain = continues_plain;
        let mut at = Columns {
            owner: if continues_plain { -1 } else { self.pending },
            parent: self.plain.unwrap_or(-1),
        };
        self.pending = -1;
        let mut i = 0;
        while i < line.len() {
            let c = line[i];
            let next = line.get(i + 1).copied();
            match self.quote {
                Some(b'\'') => {
                    if c == b'\'' {
                        if next == Some(b'\'') {
                            i += 1;
                        } else {
                            self.quote = None;
                            node_start = false;
                        }
                    }
                }
                Some(_) => {
                    if c == b'\\' {
                        i += 1;
                    } else if c == b'"' {
                        self.quote = None;
                        node_start = false;
                    }
                }
                None => {
                    let plain = self.token(line, &mut i, &mut at, &mut node_start, after_blank)?;
                    match plain {
                        Token::Plain => in_plain = true,
                        Token::Blank => {}
                        Token::Other => in_plain = false,
                        Token::EndOfLine => {
                            in_plain = false;
                            break;
                        }
                    }
                }
            }
            after_blank = is_blank(c);
            i += 1;
        }
        let open = self.depth == 0 && self.quote.is_none() && self.block_scalar.is_none();
        self.plain = (open && in_plain).then_some(at.parent);
        if open && node_start && !continues_plain {
            self.pending = at.owner;
        }
        Ok(())
    }

    /// Reads the unquoted byte at `i` (moving `i` past anchors and tags).
    fn token(
        &mut self,
        line: &[u8],
        i: &mut usize,
        at: &mut Columns,
        node_start: &mut bool,
        after_blank: bool,
    ) -> Result<Token, usize> {
        let c = line[*i];
        let next_blank = line.get(*i + 1).copied().is_none_or(is_blank);
        if *node_start && self.depth == 0 && !is_blank(c) && !matches!(c, b'#' | b'&' | b'!') {
            // A node begins here: its parent is the node begun last (`key` in `- key: value`).
            at.parent = at.owner;
            at.owner = *i as isize;
        }
        match c {
            _ if is_blank(c) => return Ok(Token::Blank),
            b'#' if after_blank => return Ok(Token::EndOfLine),
            b'[' | b'{' if *node_start || self.depth > 0 => {
                self.depth += 1;
                if self.depth > MAX_FLOW_DEPTH {
                    return Err(*i);
                }
                *node_start = true;
            }
            b']' | b'}' if self.depth > 0 => {
                self.depth -= 1;
                *node_start = false;
            }
            b',' if self.depth > 0 => *node_start = true,
            b'\'' | b'"' if *node_start => self.quote = Some(c),
            b'-' | b'?' if *node_start && next_blank => {}
            b':' if next_blank => *node_start = true,
            b'|' | b'>' if *node_start && self.depth == 0 && block_header(&line[*i + 1..]) => {
                self.block_scalar = Some(at.parent);
                return Ok(Token::EndOfLine);
            }
            b'&' | b'!' if *node_start => {
                // An anchor or a tag: the node itself follows.
                while line.get(*i + 1).is_some_and(|b| !is_blank(*b)) {
                    *i += 1;
                }
            }
            _ => {
                *node_start = false;
                return Ok(Token::Plain);
            }
        }
        Ok(Token::Other)
    }
}

/// Columns of the nodes begun on the current line (-1: not known).
struct Columns {
    /// The node begun last.
    owner: isize,
    /// The parent of the node begun last.
    parent: isize,
}

/// What an unquoted byte was.
enum Token {
    Blank,
    /// Part of a plain scalar.
    Plain,
    /// An indicator, a bracket, the start of a quoted scalar, an anchor or a tag.
    Other,
    /// A comment or a block scalar header: the rest of the line says nothing.
    EndOfLine,
}

/// Whether what follows `|` or `>` is a block scalar header: indicators, then blanks and maybe a comment.
fn block_header(rest: &[u8]) -> bool {
    let body = rest
        .iter()
        .position(|b| !matches!(b, b'+' | b'-' | b'1'..=b'9'))
        .map_or(&[][..], |n| &rest[n..]);
    match body.iter().position(|b| !is_blank(*b)) {
        None => true,
        Some(n) => n > 0 && body[n] == b'#',
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(n: usize) -> String {
        format!("a: {}{}\n", "[".repeat(n), "]".repeat(n))
    }

    #[test]
    fn refuses_the_level_after_the_limit_with_its_place() {
        assert_eq!(check(&nested(MAX_FLOW_DEPTH)), Ok(()));
        assert_eq!(
            check(&format!("title: é\n{}", nested(MAX_FLOW_DEPTH + 1))),
            Err(TooDeep {
                line: 2,
                column: 4 + MAX_FLOW_DEPTH
            })
        );
        let maps = format!("x:\n  - {}1{}", "{a: ".repeat(200), "}".repeat(200));
        assert_eq!(
            check(&maps),
            Err(TooDeep {
                line: 2,
                column: 5 + 4 * MAX_FLOW_DEPTH
            })
        );
        // Across lines, as flow collections may be written.
        let lines = format!("a: {}\n{}", "[\n".repeat(200), "]\n".repeat(200));
        assert_eq!(check(&lines).map_err(|e| e.line), Err(MAX_FLOW_DEPTH + 1));
    }

    #[test]
    fn brackets_that_open_nothing_are_not_counted() {
        let deep = "[".repeat(300);
        for text in [
            format!("a: '{deep}'"),
            format!("a: \"{deep}\\\"{deep}\""),
            format!("a: 'it''s {deep}'"),
            format!("a: x{deep}"),
            format!("a: b {deep}"),
            format!("a: 1 # {deep}"),
            format!("# {deep}"),
            format!("a: |\n  {deep}\n\n  {deep}\nb: >-  # folded\n    {deep}\nc: 1"),
            format!("- |+2\n  {deep}"),
            format!("a: '\n  {deep}\n  '"),
            format!("a: don't\nb: '{deep}'"),
            format!("description: a plain scalar\n  {deep} continued\n\n  {deep}\nb: 1"),
            format!("description:\n    a plain scalar on its own line\n  {deep}"),
            format!("a: &anchor |\n  {deep}"),
            format!("- a plain scalar\n  {deep}"),
            format!("a: ['{deep}', \"{deep}\"]"),
        ] {
            assert_eq!(check(&text), Ok(()), "{text}");
        }
    }

    #[test]
    fn flow_after_indicators_anchors_and_tags_is_counted() {
        let deep = "[".repeat(MAX_FLOW_DEPTH + 1);
        for text in [
            format!("- {deep}"),
            format!("? {deep}"),
            format!("a: &anchor {deep}"),
            format!("a: !!seq {deep}"),
            format!("a: [x, {deep}"),
            format!("a: {{b: {deep}"),
            deep.clone(),
        ] {
            assert!(check(&text).is_err(), "{text}");
        }
        // A block or plain scalar under `key` in `- key:` ends at the key's column, not the line's indentation.
        assert!(check(&format!("- key: |\n    text\n  other: {deep}")).is_err());
        assert!(check(&format!("- key: text\n  {deep}")).is_err());
        assert_eq!(check(&format!("- key: text\n   {deep}")), Ok(()));
        // A scalar alone on its line belongs to the `-` or key above it.
        assert!(check(&format!("-\n  alone\n- {deep}")).is_err());
        assert!(check(&format!("key:\n  alone\nother: {deep}")).is_err());
        assert_eq!(check(&format!("key:\n    alone\n  {deep}")), Ok(()));
        assert_eq!(check(&format!("alone\n{deep}")), Ok(()));
        // After a block scalar or a plain scalar ends, lines are scanned again.
        assert!(check(&format!("a: |\n  text\nb: {deep}")).is_err());
        assert!(check(&format!("a: text\nb: {deep}")).is_err());
        assert!(check(&format!("a: text\n# comment\n  {deep}")).is_err());
    }
}
