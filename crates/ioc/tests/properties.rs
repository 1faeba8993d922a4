//! Properties: the address index agrees with a plain scan for any set of ranges, ranges print and parse back to
//! themselves, and no input makes an importer panic.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use canhgac_ioc::import::{import, Format};
use canhgac_ioc::{Entry, ImportOptions, Indicator, IndicatorSet, IpRange, List, Location, Meta};
use proptest::prelude::*;

fn list_of(ranges: &[IpRange]) -> List {
    List {
        name: "p".into(),
        entries: ranges
            .iter()
            .map(|r| Entry {
                indicator: Indicator::Ip(*r),
                meta: Meta::default(),
                origin: Location::Line(1),
            })
            .collect(),
        ..List::default()
    }
}

fn v4_range() -> impl Strategy<Value = IpRange> {
    // Clustered in one /12 so that ranges nest and overlap often.
    (0u32..(1 << 20), 0u32..4096, any::<bool>(), 16u8..=32).prop_map(|(a, len, cidr, prefix)| {
        let first = 0x0A00_0000 | a;
        if cidr {
            IpRange::cidr(IpAddr::V4(first.into()), prefix).unwrap()
        } else {
            IpRange::V4(first, first.saturating_add(len))
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn lookups_agree_with_a_scan(ranges in prop::collection::vec(v4_range(), 1..200), probes in prop::collection::vec(0u32..(1 << 20), 50)) {
        let set = IndicatorSet::from_lists([list_of(&ranges)]);
        let ends: Vec<u32> = ranges.iter().flat_map(|r| match r { IpRange::V4(a, b) => [*a, *b, b.saturating_add(1)], IpRange::V6(..) => [0, 0, 0] }).collect();
        let probes: Vec<u32> = probes.iter().map(|p| 0x0A00_0000 | p).chain(ends).collect();
        let mut flags = vec![false; probes.len()];
        set.contains_ipv4s(&probes, &mut flags);
        for (a, flag) in probes.iter().zip(flags) {
            let ip = IpAddr::V4(Ipv4Addr::from(*a));
            let mut want: Vec<(u128, usize)> = ranges.iter().enumerate().filter(|(_, r)| r.contains(ip)).map(|(i, r)| (r.len(), i)).collect();
            want.sort();
            let got: Vec<(u128, usize)> = set.match_ip(ip).map(|h| (h.entry.indicator_range_len(), h.id as usize)).collect();
            prop_assert_eq!(got, want);
            prop_assert_eq!(flag, set.contains_ip(ip));
        }
    }

    #[test]
    fn ranges_print_and_parse_back(a: u32, b: u32, x: u128, prefix in 0u8..=128) {
        let r = IpRange::V4(a.min(b), a.max(b));
        prop_assert_eq!(r.to_string().parse::<IpRange>(), Ok(r));
        let v6 = IpRange::cidr(IpAddr::V6(Ipv6Addr::from(x)), prefix).unwrap();
        prop_assert_eq!(v6.to_string().parse::<IpRange>(), Ok(v6));
    }

    #[test]
    fn text_import_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        for format in [Format::Text, Format::Csv, Format::Stix, Format::Misp] {
            let options = ImportOptions { format: Some(format), ..Default::default() };
            let _ = import("x", &bytes, &options);
        }
    }

    #[test]
    fn list_like_lines_never_panic(lines in prop::collection::vec("[0-9a-f.:/;# \\t-]{0,40}", 0..30)) {
        let text = lines.join("\n");
        if let Ok(out) = import("x.txt", text.as_bytes(), &ImportOptions::default()) {
            // Every non-blank, non-comment line is either an entry or a rejected line: nothing is dropped.
            let data_lines = lines
                .iter()
                .map(|l| l.trim())
                .filter(|l| !l.is_empty() && !l.starts_with(['#', ';']) && !l.starts_with("//"))
                .count();
            prop_assert_eq!(out.entries.len() + out.rejected.len(), data_lines);
        }
    }
}

trait RangeLen {
    fn indicator_range_len(&self) -> u128;
}

impl RangeLen for Entry {
    fn indicator_range_len(&self) -> u128 {
        match &self.indicator {
            Indicator::Ip(r) => r.len(),
            _ => 0,
        }
    }
}
