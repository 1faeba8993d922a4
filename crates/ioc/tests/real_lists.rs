//! The real lists in `../shared/data/ip-blocklists`, in their published formats: counts, facts, the DROP
//! month-to-month diff, and lookups checked against plain integer range arithmetic over the raw files.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};

use canhgac_ioc::import::{import, Format};
use canhgac_ioc::{
    diff, Category, Error, ImportOptions, Indicator, IndicatorSet, ListKind, Location, WarningList, Warnings,
};

fn read(rel: &str) -> Option<(String, Vec<u8>)> {
    let path = canhgac_testdata::require(&format!("ip-blocklists/{rel}"))?;
    let name = path.file_name()?.to_string_lossy().into_owned();
    Some((name, std::fs::read(&path).ok()?))
}

/// An independent reading of a raw IPv4 line: `a.b.c.d` or `a.b.c.d/n` → `(first, last)` as integers.
fn raw_range(token: &str) -> (u32, u32) {
    let (addr, prefix) = token.split_once('/').unwrap_or((token, "32"));
    let octets: Vec<u32> = addr.split('.').map(|o| o.parse().unwrap()).collect();
    assert_eq!(octets.len(), 4, "{token}");
    let a = octets.iter().fold(0u32, |acc, o| acc << 8 | o);
    let n: u32 = prefix.parse().unwrap();
    let size = 1u64 << (32 - n);
    let first = a & !((size - 1) as u32);
    (first, (u64::from(first) + size - 1) as u32)
}

/// The data lines of a text list (not blank, not a comment), first token only.
fn raw_tokens(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with(';'))
        .map(|l| l.split([' ', '\t', ';']).next().unwrap().to_string())
        .collect()
}

/// Probes: each range's ends and their neighbours, plus a spread of addresses over the whole space.
fn probes(ranges: &[(u32, u32)]) -> Vec<u32> {
    let mut p: Vec<u32> = ranges
        .iter()
        .flat_map(|&(a, b)| [a.saturating_sub(1), a, b, b.saturating_add(1)])
        .collect();
    p.extend((0..20_000u32).map(|i| i.wrapping_mul(2_654_435_761)));
    p
}

fn check_against_raw(set: &IndicatorSet, ranges: &[(u32, u32)]) {
    for a in probes(ranges) {
        let expected = ranges.iter().filter(|(f, l)| *f <= a && a <= *l).count();
        let got = set.match_ip(IpAddr::V4(Ipv4Addr::from(a))).count();
        assert_eq!(got, expected, "address {}", Ipv4Addr::from(a));
    }
}

#[test]
fn firehol_netsets_and_ipsets() {
    let Some(dir) = canhgac_testdata::require("ip-blocklists/firehol-2021-04") else {
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 19);
    let mut empty = 0;
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        let out = import(&name, &bytes, &ImportOptions::default()).unwrap();
        assert_eq!(out.format, Format::Text, "{name}");
        assert!(out.rejected.is_empty(), "{name}: {:?}", out.rejected.first());
        let raw = raw_tokens(&text);
        assert_eq!(out.entries.len(), raw.len(), "{name}");
        for (e, token) in out.entries.iter().zip(&raw) {
            let (first, last) = raw_range(token);
            let want = if first == last {
                token.trim_end_matches("/32").to_string()
            } else {
                format!("{}/{}", Ipv4Addr::from(first), token.split('/').nth(1).unwrap())
            };
            assert_eq!(e.indicator.to_string(), want, "{name}");
        }
        if raw.is_empty() {
            empty += 1;
        }
    }
    assert_eq!(
        empty, 4,
        "feodo, feodo_badips, sslbl and sslbl_aggressive were empty in April 2021"
    );
}

#[test]
fn firehol_level1_lookups_match_range_arithmetic() {
    let Some((name, bytes)) = read("firehol-2021-04/firehol_level1.netset") else {
        return;
    };
    let out = import(&name, &bytes, &ImportOptions::default()).unwrap();
    assert_eq!(out.entries.len(), 2744);
    let ranges: Vec<(u32, u32)> = raw_tokens(std::str::from_utf8(&bytes).unwrap())
        .iter()
        .map(|t| raw_range(t))
        .collect();
    let set = IndicatorSet::from_lists([out.into_list("firehol_level1", "FireHOL", "2021-04-14")]);
    check_against_raw(&set, &ranges);
    // 10.0.0.0/8 is in level1 (bogons): a hospital's private address matches it, a public DNS resolver does not.
    assert!(set.contains_ip("10.20.30.40".parse().unwrap()));
    assert!(!set.contains_ip("8.8.8.8".parse().unwrap()));
}

#[test]
fn spamhaus_drop_month_to_month() {
    let (Some((n1, dec)), Some((n2, jan))) = (
        read("spamhaus-drop/2023-12-21/drop.txt"),
        read("spamhaus-drop/2024-01-21/drop.txt"),
    ) else {
        return;
    };
    let old = import(&n1, &dec, &ImportOptions::default()).unwrap();
    let new = import(&n2, &jan, &ImportOptions::default()).unwrap();
    assert!(old.rejected.is_empty() && new.rejected.is_empty());
    let raw_old: BTreeSet<String> = raw_tokens(std::str::from_utf8(&dec).unwrap())
        .into_iter()
        .collect();
    let raw_new: BTreeSet<String> = raw_tokens(std::str::from_utf8(&jan).unwrap())
        .into_iter()
        .collect();
    assert_eq!(old.entries.len(), raw_old.len());
    assert_eq!(new.entries.len(), raw_new.len());
    let d = diff(&old.entries, &new.entries);
    let names = |v: &[Indicator]| v.iter().map(ToString::to_string).collect::<BTreeSet<_>>();
    assert_eq!(names(&d.added), raw_new.difference(&raw_old).cloned().collect());
    assert_eq!(names(&d.removed), raw_old.difference(&raw_new).cloned().collect());
    assert_eq!(d.unchanged.len(), raw_old.intersection(&raw_new).count());
    assert!(
        !d.added.is_empty() && !d.removed.is_empty(),
        "a real month changes the list"
    );
    // SBL references are kept (DROP lines read "cidr ; SBLnnn" in their original form).
    let with_sbl = new
        .entries
        .iter()
        .filter(|e| e.meta.attributes.iter().any(|(k, _)| k == "sbl"))
        .count();
    let raw_sbl = std::str::from_utf8(&jan)
        .unwrap()
        .lines()
        .filter(|l| l.contains("; SBL"))
        .count();
    assert_eq!(with_sbl, raw_sbl);
}

#[test]
fn spamhaus_ipv6_and_edrop() {
    let Some((name, bytes)) = read("spamhaus-drop/2024-01-21/drop_ipv6.txt") else {
        return;
    };
    let out = import(&name, &bytes, &ImportOptions::default()).unwrap();
    let raw = raw_tokens(std::str::from_utf8(&bytes).unwrap());
    assert_eq!(out.entries.len(), raw.len());
    let set = IndicatorSet::from_lists([out.into_list("DROPv6", "Spamhaus", "2024-01")]);
    // Independent u128 arithmetic over the raw lines: each block's ends and neighbours, and points in between.
    let blocks: Vec<(u128, u128)> = raw
        .iter()
        .map(|t| {
            let (a, n) = t.split_once('/').unwrap();
            let a = u128::from(a.parse::<std::net::Ipv6Addr>().unwrap());
            let host = 128 - n.parse::<u32>().unwrap();
            let first = a >> host << host;
            (first, first | ((1u128 << host) - 1))
        })
        .collect();
    for &(f, l) in &blocks {
        for a in [f.wrapping_sub(1), f, f + (l - f) / 3, l, l.wrapping_add(1)] {
            let expected = blocks.iter().filter(|(x, y)| *x <= a && a <= *y).count();
            let ip = IpAddr::V6(a.into());
            assert_eq!(set.match_ip(ip).count(), expected, "{ip}");
        }
    }
    // 2a0b:4ec0::/29 is listed: an address inside it matches, the one just past it does not.
    assert_eq!(set.match_ip("2a0b:4ec7:ffff::1".parse().unwrap()).count(), 1);
    assert_eq!(set.match_ip("2a0b:4ec8::".parse().unwrap()).count(), 0);
    let Some((name, bytes)) = read("spamhaus-drop/2024-01-21/edrop.txt") else {
        return;
    };
    let out = import(&name, &bytes, &ImportOptions::default()).unwrap();
    assert_eq!(
        out.entries.len(),
        raw_tokens(std::str::from_utf8(&bytes).unwrap()).len()
    );
}

#[test]
fn asn_drop_json_lines_are_refused_with_their_place() {
    let Some((name, bytes)) = read("spamhaus-drop/2024-02-27/asn_drop.json") else {
        return;
    };
    // One JSON object a line, about autonomous systems: not a STIX bundle or MISP event; the error says where.
    match import(&name, &bytes, &ImportOptions::default()) {
        Err(Error::Json {
            line: 2, column: 1, ..
        }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn feodo_csv_with_comment_block_ports_and_families() {
    let Some((name, bytes)) = read("feodo-tracker/ipblocklist_2024-04-04.csv") else {
        return;
    };
    let out = import(&name, &bytes, &ImportOptions::default()).unwrap();
    assert_eq!(out.format, Format::Csv);
    assert!(out.rejected.is_empty(), "{:?}", out.rejected);
    assert_eq!(out.entries.len(), 28, "the file ends with '# END 28 entries'");
    let map = out.mapping.as_ref().unwrap();
    assert_eq!(map.header_line, Some(9));
    let first = &out.entries[0];
    assert_eq!(first.indicator.to_string(), "192.9.135.73");
    assert_eq!(first.meta.port, Some(1194));
    assert_eq!(first.meta.family.as_deref(), Some("Pikabot"));
    assert_eq!(first.meta.first_seen.unwrap().to_string(), "2023-05-23 17:51:44");
    assert_eq!(first.meta.last_seen.unwrap().to_string(), "2024-04-01 00:00:00");
    assert!(first
        .meta
        .attributes
        .contains(&("c2_status".into(), "online".into())));
    assert_eq!(first.origin, Location::Line(10));
}

#[test]
fn feodo_aggressive_keeps_rows_without_family() {
    let Some((name, bytes)) = read("feodo-tracker/ipblocklist_aggressive_2021-03.csv") else {
        return;
    };
    let text = std::str::from_utf8(&bytes).unwrap();
    let out = import(&name, &bytes, &ImportOptions::default()).unwrap();
    assert!(out.rejected.is_empty(), "{:?}", out.rejected.first());
    assert_eq!(out.entries.len(), text.lines().count() - 1);
    let count = |f: &str| {
        out.entries
            .iter()
            .filter(|e| e.meta.family.as_deref() == Some(f))
            .count()
    };
    let raw = |f: &str| text.lines().filter(|l| l.ends_with(&format!(",\"{f}\""))).count();
    for f in ["Emotet", "Dridex", "TrickBot"] {
        assert_eq!(count(f), raw(f), "{f}");
    }
    let without = out.entries.iter().filter(|e| e.meta.family.is_none()).count();
    assert_eq!(without, text.lines().filter(|l| l.ends_with(',')).count());
}

#[test]
fn ssl_blacklist_with_bom_and_us_dates() {
    let Some((name, bytes)) = read("abusech-sslbl/sslblacklist_sha1_2023-12-22.csv") else {
        return;
    };
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let out = import(&name, &bytes, &ImportOptions::default()).unwrap();
    assert!(out.rejected.is_empty(), "{:?}", out.rejected.first());
    let text = std::str::from_utf8(&bytes).unwrap();
    assert_eq!(out.entries.len(), text.lines().count() - 1);
    let map = out.mapping.as_ref().unwrap();
    assert_eq!(map.headers[0], "SHA1", "the BOM is not part of the header");
    assert_eq!(map.date_order, canhgac_ioc::DateOrder::MonthFirst);
    let first = &out.entries[0];
    assert_eq!(
        first.indicator.to_string(),
        "19e664f09401bf648b6ea57719e34ad795f3b6cb"
    );
    assert_eq!(first.meta.first_seen.unwrap().to_string(), "2023-12-22 06:58:00");
    assert_eq!(first.meta.family.as_deref(), Some("AsyncRAT"));
    assert_eq!(first.meta.category, Category::BotnetC2);
    let set = IndicatorSet::from_lists([out.into_list("SSLBL", "abuse.ch", "2023-12-22")]);
    let hit = set
        .match_hash("B08A4939FB88F375A2757EADDC47B1FB8B554439")
        .next()
        .unwrap();
    assert_eq!(
        hit.entry.meta.first_seen.unwrap().to_string(),
        "2014-05-04 08:09:00",
        "May 4th, US order"
    );
}

#[test]
fn ssl_ip_blacklist_without_header() {
    let Some((name, bytes)) = read("abusech-sslbl/sslipblacklist_2015-10-15.csv") else {
        return;
    };
    let out = import(&name, &bytes, &ImportOptions::default()).unwrap();
    assert!(out.rejected.is_empty(), "{:?}", out.rejected.first());
    let text = std::str::from_utf8(&bytes).unwrap();
    assert_eq!(
        out.entries.len(),
        text.lines().filter(|l| !l.starts_with('#')).count()
    );
    let map = out.mapping.unwrap();
    assert_eq!(map.header_line, None, "the header is commented out");
    let e = &out.entries[0];
    assert_eq!(
        (e.indicator.to_string(), e.meta.port),
        ("104.130.17.100".into(), Some(443))
    );
    assert_eq!(e.meta.family.as_deref(), Some("URLzone"));
    assert_eq!(e.meta.category, Category::BotnetC2);
}

#[test]
fn ipsum_with_counts_and_levels() {
    let Some((name, bytes)) = read("ipsum/ipsum.txt") else {
        return;
    };
    let text = std::str::from_utf8(&bytes).unwrap();
    let out = import(&name, &bytes, &ImportOptions::default()).unwrap();
    assert!(out.rejected.is_empty(), "{:?}", out.rejected.first());
    let raw = raw_tokens(text);
    assert_eq!(out.entries.len(), raw.len());
    assert!((115_000..125_000).contains(&raw.len()), "≈120,000 addresses");
    assert_eq!(
        out.entries[0].meta.attributes,
        [("count".to_string(), "10".to_string())]
    );
    let mut addrs: Vec<u32> = raw.iter().map(|t| raw_range(t).0).collect();
    let set = IndicatorSet::from_lists([out.into_list("IPsum", "stamparm", "2026-08-22")]);
    addrs.sort_unstable();
    for a in probes(&addrs.iter().step_by(7).map(|a| (*a, *a)).collect::<Vec<_>>()) {
        let expected = addrs.binary_search(&a).is_ok();
        assert_eq!(
            set.contains_ip(IpAddr::V4(a.into())),
            expected,
            "{}",
            Ipv4Addr::from(a)
        );
    }
    // levels/N.txt: the addresses on at least N lists, one per line.
    for level in 1..=8 {
        let Some((name, bytes)) = read(&format!("ipsum/levels/{level}.txt")) else {
            return;
        };
        let out = import(&name, &bytes, &ImportOptions::default()).unwrap();
        let in_ipsum = text
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .filter(|(_, n)| n.parse::<u32>().is_ok_and(|n| n >= level))
            .count();
        assert_eq!(out.entries.len(), in_ipsum, "level {level}");
    }
}

#[test]
fn estate_matching_over_real_lists() {
    let (Some((n1, drop)), Some((n2, feodo))) = (
        read("spamhaus-drop/2024-01-21/drop.txt"),
        read("feodo-tracker/ipblocklist_2024-04-04.csv"),
    ) else {
        return;
    };
    let drop = import(&n1, &drop, &ImportOptions::default())
        .unwrap()
        .into_list("DROP", "Spamhaus", "2024-01")
        .with_kind(ListKind::Feed);
    let feodo = import(
        &n2,
        &feodo,
        &ImportOptions {
            default_category: Category::BotnetC2,
            ..Default::default()
        },
    )
    .unwrap()
    .into_list("Feodo", "abuse.ch", "2024-04-04");
    let set = IndicatorSet::from_lists([drop, feodo]);
    let assets = [
        ("PC-01", "1.10.16.9".parse().unwrap()),
        ("PC-02", "192.9.135.73".parse().unwrap()),
        ("PC-03", "192.0.2.1".parse().unwrap()),
    ];
    // A unit's public range that holds a Feodo C2 address and straddles a DROP block.
    let ranges = [
        ("BV-A", "192.9.135.0/24".parse().unwrap()),
        ("BV-B", "1.10.31.0-1.10.32.5".parse().unwrap()),
    ];
    let found = set.match_estate(assets, ranges, &Warnings::default());
    let summary: BTreeSet<(&str, String, String)> = found
        .iter()
        .map(|m| {
            (
                m.subject,
                m.hit.list.name.clone(),
                m.hit.entry.indicator.to_string(),
            )
        })
        .collect();
    assert!(summary.contains(&("PC-01", "DROP".into(), "1.10.16.0/20".into())));
    assert!(summary.contains(&("PC-02", "Feodo".into(), "192.9.135.73".into())));
    assert!(summary.contains(&("BV-A", "Feodo".into(), "192.9.135.73".into())));
    assert!(summary.contains(&("BV-B", "DROP".into(), "1.10.16.0/20".into())));
    assert!(!summary.iter().any(|s| s.0 == "PC-03"));
    let c2 = found.iter().find(|m| m.subject == "PC-02").unwrap();
    assert_eq!(c2.hit.entry.meta.category, Category::BotnetC2);
    assert_eq!(c2.hit.entry.meta.port, Some(1194));
    assert_eq!(c2.hit.list.kind, ListKind::AdHoc);
    let nat = found.iter().find(|m| m.subject == "PC-01").unwrap();
    assert_eq!(
        (nat.hit.list.source.as_str(), nat.hit.list.kind),
        ("Spamhaus", ListKind::Feed)
    );
}

#[test]
fn bogons_on_firehol_level1_are_suppressed_for_private_assets() {
    let Some((name, bytes)) = read("firehol-2021-04/firehol_level1.netset") else {
        return;
    };
    let list = import(&name, &bytes, &ImportOptions::default())
        .unwrap()
        .into_list("firehol_level1", "FireHOL", "2021-04");
    let set = IndicatorSet::from_lists([list]);
    let (warnings, rejected) = Warnings::build(vec![WarningList::private_ranges()]);
    assert!(rejected.is_empty());
    let assets = [
        ("HIS-01", "192.168.10.5".parse().unwrap()),
        ("NAT", "1.10.16.9".parse().unwrap()),
    ];
    let found = set.match_estate(assets, [], &warnings);
    let private: Vec<_> = found.iter().filter(|m| m.subject == "HIS-01").collect();
    assert!(!private.is_empty(), "level1 lists 192.168.0.0/16 (fullbogons)");
    for m in private {
        let s = m
            .suppressed
            .as_ref()
            .expect("a private address on a bogon list is suppressed");
        assert_eq!(
            (s.list.as_str(), s.value.as_str()),
            ("Private and reserved ranges", "192.168.0.0/16")
        );
    }
    let public: Vec<_> = found.iter().filter(|m| m.subject == "NAT").collect();
    assert!(!public.is_empty() && public.iter().all(|m| m.suppressed.is_none()));
}
