//! Plain-text lists, one indicator a line: FireHOL netsets and ipsets, Spamhaus DROP (`cidr ; SBLnnn`), IPsum
//! (`ip<TAB>count`), `ip:port`, ranges `a.b.c.d-e.f.g.h` (also iblocklist's `name:a-b`), domains, URLs and
//! hashes. `#`, `;` and `//` start comments.

use crate::import::{Format, Imported};
use crate::indicator::{Entry, Meta};
use crate::text::parse_any;
use crate::{Error, Location, Problem, Rejected, Result};

/// Lines sampled before deciding a file is not a list at all.
const SAMPLE: usize = 200;

/// Reads every line of `text`.
pub(crate) fn read_lines(text: &str) -> Result<Imported> {
    if text.trim().is_empty() {
        return Err(Error::Empty);
    }
    let mut out = Imported::new(Format::Text);
    let mut sampled = 0;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let Some((value, extra)) = split_line(raw) else {
            continue;
        };
        sampled += 1;
        match read_value(value, extra) {
            Ok((indicator, meta)) => out.entries.push(Entry {
                indicator,
                meta,
                origin: Location::Line(line),
            }),
            Err(p) => out
                .rejected
                .push(Rejected::new(Location::Line(line), None, raw.trim(), p)),
        }
        if sampled == SAMPLE && out.rejected.len() * 2 > sampled {
            return Err(Error::NotAList {
                sampled,
                rejected: out.rejected.len(),
            });
        }
    }
    if (4..SAMPLE).contains(&sampled) && out.rejected.len() * 2 > sampled {
        return Err(Error::NotAList {
            sampled,
            rejected: out.rejected.len(),
        });
    }
    Ok(out)
}

/// The value and what follows it (`; SBL123`, `\t7`, `# comment`), or `None` for a blank or comment line.
fn split_line(raw: &str) -> Option<(&str, &str)> {
    let line = raw.trim().trim_start_matches('\u{feff}');
    if line.is_empty() || line.starts_with(['#', ';']) || line.starts_with("//") {
        return None;
    }
    let cut = line.find([';', '#', '\t']).unwrap_or(line.len());
    let (head, tail) = line.split_at(cut);
    let head = head.trim();
    // "1.2.3.4 - 1.2.3.9" and "Some name:a-b" are one value; "1.2.3.4 7" is a value and a count.
    if head.contains('-') || !head.contains(char::is_whitespace) {
        return Some((head, tail));
    }
    let (value, _) = head.split_once(char::is_whitespace)?;
    Some((value, line.get(value.len()..).unwrap_or_default()))
}

fn read_value(value: &str, extra: &str) -> Result<(crate::Indicator, Meta), Problem> {
    let mut meta = Meta::default();
    let indicator = match parse_any(value) {
        Ok((indicator, port)) => {
            meta.port = port;
            indicator
        }
        // iblocklist's P2P format: "Some name:1.2.3.0-1.2.3.255".
        Err(e) => match value.rsplit_once(':') {
            Some((name, range)) if range.contains('-') => {
                let (r, _) = crate::text::parse_ip(range).map_err(|_| e)?;
                meta.attributes.push(("name".into(), name.trim().to_string()));
                crate::Indicator::Ip(r)
            }
            _ => return Err(e),
        },
    };
    let extra = extra.trim_start_matches([';', '#']).trim();
    if !extra.is_empty() {
        let name = if extra.starts_with("SBL") {
            "sbl"
        } else if extra.parse::<u64>().is_ok() {
            "count"
        } else {
            "comment"
        };
        meta.attributes.push((name.into(), extra.to_string()));
    }
    Ok((indicator, meta))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_of_lines() {
        let text = "# header\n; also a comment\n\n1.10.16.0/20 ; SBL256894\n2.57.122.53\t9\n10.0.0.1 - 10.0.0.9\nBad guys:10.1.0.0-10.1.0.255\n192.0.2.7:8080 # seen at noon\nevil.example\nnot an ip at all\n10.0.0.300\n";
        let out = read_lines(text).unwrap();
        let got: Vec<_> = out
            .entries
            .iter()
            .map(|e| {
                (
                    e.origin.to_string(),
                    e.indicator.to_string(),
                    e.meta.port,
                    e.meta.attributes.clone(),
                )
            })
            .collect();
        let attr = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
        assert_eq!(
            got,
            [
                (
                    "line 4".into(),
                    "1.10.16.0/20".into(),
                    None,
                    attr("sbl", "SBL256894")
                ),
                ("line 5".into(), "2.57.122.53".into(), None, attr("count", "9")),
                ("line 6".into(), "10.0.0.1-10.0.0.9".into(), None, vec![]),
                (
                    "line 7".into(),
                    "10.1.0.0/24".into(),
                    None,
                    attr("name", "Bad guys")
                ),
                (
                    "line 8".into(),
                    "192.0.2.7".into(),
                    Some(8080),
                    attr("comment", "seen at noon")
                ),
                ("line 9".into(), "evil.example".into(), None, vec![]),
            ]
        );
        let rejected: Vec<_> = out.rejected.iter().map(ToString::to_string).collect();
        assert_eq!(
            rejected,
            [
                "line 10: not an IP address, CIDR range, domain, URL or file hash: \"not an ip at all\"",
                "line 11: not an IP address: \"10.0.0.300\"",
            ]
        );
    }

    #[test]
    fn junk_is_refused_whole() {
        let junk = "lorem ipsum dolor\n".repeat(1000);
        assert_eq!(
            read_lines(&junk).unwrap_err(),
            Error::NotAList {
                sampled: 200,
                rejected: 200
            }
        );
        assert_eq!(read_lines("  \n\n").unwrap_err(), Error::Empty);
        // A header-only list (FireHOL publishes empty sets) is a list with no entries, not an error.
        assert!(read_lines("# feodo\n#\n").unwrap().entries.is_empty());
    }
}
