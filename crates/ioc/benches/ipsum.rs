//! Benchmark: the indicator engine on real and synthetic lists, one core.
//!
//! 1. IPsum (≈120,000 addresses): import, build, lookups per second (half listed addresses, half random).
//! 2. A synthetic 500,000-line and 1,000,000-line list (addresses, `ip:port`, one CIDR block in ten, counts):
//!    import time, build time, lookups per second with a million entries loaded, and import + build + matching
//!    10,000 assets and 100 unit ranges end to end.
//!
//! Lookup rates are per core: measured in the thread's CPU time (so other work on the machine does not lower
//! them); import and build times are wall-clock.
//!
//! Run with `bench/ioc/run` (which also runs the Python reference and prints ratios) or
//! `cargo bench -p canhgac-ioc --bench ipsum`. With `IOC_BENCH_DIR` set, the synthetic list and the probe
//! addresses are written there for the reference.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use canhgac_ioc::import::import;
use canhgac_ioc::{ImportOptions, IndicatorSet, IpRange, WarningList, Warnings};

const PROBES: usize = 10_000_000;

/// A small deterministic generator (64-bit LCG), so runs and the reference see the same addresses.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 32) as u32
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// CPU time this thread has used (user + system, from `/proc/thread-self/stat`, 10 ms ticks), so that rates
/// are per core even when other work shares the machine; `None` where that file does not exist.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split(' ').collect();
    // Fields 14 and 15 of the line are utime and stime; `after` starts at field 3.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// Runs `f` `runs` times; the median wall-clock time (or CPU time, with `cpu`) and the last result.
fn time_with<T>(runs: usize, cpu: bool, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let (t, c) = (Instant::now(), cpu_time());
        let out = f();
        let wall = t.elapsed();
        times.push(match (cpu, c, cpu_time()) {
            (true, Some(a), Some(b)) if b > a => b - a,
            _ => wall,
        });
        last = Some(out);
    }
    (median(times), last.expect("at least one run"))
}

fn time<T>(runs: usize, f: impl FnMut() -> T) -> (Duration, T) {
    time_with(runs, false, f)
}

/// The median time to index a list (the copies are made before timing).
fn time_build(imported: &canhgac_ioc::import::Imported, runs: usize) -> (Duration, IndicatorSet) {
    let copies: Vec<_> = (0..runs)
        .map(|_| imported.clone().into_list("list", "bench", "1"))
        .collect();
    let mut copies = copies.into_iter();
    time(runs, || IndicatorSet::from_lists(copies.next()))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Probe addresses: every other one taken from `listed`, the rest random.
fn probes(listed: &[u32], seed: u64) -> Vec<Ipv4Addr> {
    probes_with(listed, seed, 2)
}

/// Probe addresses: one in `every` taken from `listed`, the rest random.
fn probes_with(listed: &[u32], seed: u64, every: usize) -> Vec<Ipv4Addr> {
    let mut rng = Lcg(seed);
    (0..PROBES)
        .map(|i| {
            let r = rng.next();
            if i % every == 0 && !listed.is_empty() {
                Ipv4Addr::from(listed[r as usize % listed.len()])
            } else {
                Ipv4Addr::from(r)
            }
        })
        .collect()
}

fn lookups_per_sec(set: &IndicatorSet, probes: &[Ipv4Addr]) -> (f64, usize) {
    let (t, hits) = time_with(5, true, || {
        probes.iter().filter(|a| set.contains_ip(IpAddr::V4(**a))).count()
    });
    (probes.len() as f64 / t.as_secs_f64(), hits)
}

/// The batch form: `contains_ipv4s` over blocks of 1,024 addresses.
fn batch_lookups_per_sec(set: &IndicatorSet, probes: &[Ipv4Addr]) -> (f64, usize) {
    let ints: Vec<u32> = probes.iter().map(|a| u32::from(*a)).collect();
    let mut flags = vec![false; 1024];
    let (t, hits) = time_with(5, true, || {
        ints.chunks(1024)
            .map(|block| {
                set.contains_ipv4s(block, &mut flags[..block.len()]);
                flags[..block.len()].iter().filter(|f| **f).count()
            })
            .sum::<usize>()
    });
    (probes.len() as f64 / t.as_secs_f64(), hits)
}

fn synthetic(lines: usize, seed: u64) -> (String, Vec<u32>) {
    let mut rng = Lcg(seed);
    let mut text = String::with_capacity(lines * 18);
    let mut listed = Vec::with_capacity(lines);
    text.push_str("# synthetic botnet list\n");
    for i in 0..lines {
        let a = Ipv4Addr::from(rng.next());
        listed.push(u32::from(a));
        match i % 10 {
            0 => text.push_str(&format!("{}/24\n", Ipv4Addr::from(u32::from(a) & 0xFFFF_FF00))),
            1 => text.push_str(&format!("{a}:{}\n", 1024 + rng.next() % 60000)),
            2 => text.push_str(&format!("{a}\t{}\n", rng.next() % 10)),
            _ => text.push_str(&format!("{a}\n")),
        }
    }
    (text, listed)
}

fn write_for_reference(name: &str, contents: &str) {
    if let Some(dir) = std::env::var_os("IOC_BENCH_DIR") {
        let path = std::path::Path::new(&dir).join(name);
        std::fs::write(&path, contents).expect("write reference input");
    }
}

fn ipsum() {
    let Some(path) = canhgac_testdata::require("ip-blocklists/ipsum/ipsum.txt") else {
        return;
    };
    let bytes = std::fs::read(&path).expect("read ipsum");
    let options = ImportOptions::default();
    let (t_import, imported) = time(5, || import("ipsum.txt", &bytes, &options).expect("import"));
    let entries = imported.entries.len();
    let (t_build, set) = time_build(&imported, 5);
    let listed: Vec<u32> = set
        .lists()
        .iter()
        .flat_map(|_| (0..set.len() as u32).filter_map(|id| set.get(id)))
        .filter_map(|h| match h.entry.indicator {
            canhgac_ioc::Indicator::Ip(IpRange::V4(a, _)) => Some(a),
            _ => None,
        })
        .collect();
    let probes = probes(&listed, 7);
    write_for_reference(
        "ipsum-probes.txt",
        &probes[..1_000_000]
            .iter()
            .map(|a| format!("{a}\n"))
            .collect::<String>(),
    );
    let (rate, hits) = lookups_per_sec(&set, &probes);
    let (batch_rate, batch_hits) = batch_lookups_per_sec(&set, &probes);
    assert_eq!(hits, batch_hits);
    println!("ipsum.entries {entries}");
    println!("ipsum.import_ms {:.1}", ms(t_import));
    println!("ipsum.build_ms {:.1}", ms(t_build));
    println!("ipsum.intervals {}", set.address_intervals());
    println!("ipsum.table_kib {}", set.address_table_bytes() / 1024);
    println!(
        "ipsum.lookups_per_sec {rate:.0} ({hits} hits of {})",
        probes.len()
    );
    println!("ipsum.batch_lookups_per_sec {batch_rate:.0}");
}

fn large(lines: usize) {
    let (text, listed) = synthetic(lines, lines as u64);
    write_for_reference(&format!("synthetic-{lines}.txt"), &text);
    let options = ImportOptions::default();
    let (t_import, imported) = time(3, || {
        import("list.txt", text.as_bytes(), &options).expect("import")
    });
    assert!(imported.rejected.is_empty());
    let (t_build, set) = time_build(&imported, 3);
    let probes = probes(&listed, 11);
    let (rate, hits) = lookups_per_sec(&set, &probes);
    let (batch_rate, batch_hits) = batch_lookups_per_sec(&set, &probes);
    // Closer to live traffic: one address in a hundred on the list.
    let (clean_rate, _) = lookups_per_sec(&set, &probes_with(&listed, 13, 100));
    assert_eq!(hits, batch_hits);
    // The estate: 10,000 assets (one in a hundred on the list) and 100 units' public /24 ranges.
    let mut rng = Lcg(99);
    let assets: Vec<(usize, IpAddr)> = (0..10_000)
        .map(|i| {
            let r = rng.next();
            let a = if i % 100 == 0 {
                listed[r as usize % listed.len()]
            } else {
                r
            };
            (i, IpAddr::V4(a.into()))
        })
        .collect();
    let ranges: Vec<(usize, IpRange)> = (0..100)
        .map(|i| {
            (
                i,
                IpRange::V4(rng.next() & 0xFFFF_FF00, (rng.next() & 0xFFFF_FF00) | 0xFF),
            )
        })
        .map(|(i, r)| match r {
            IpRange::V4(a, _) => (i, IpRange::V4(a, a | 0xFF)),
            other => (i, other),
        })
        .collect();
    let (warnings, _) = Warnings::build(vec![WarningList::private_ranges()]);
    let (t_total, matched) = time(3, || {
        let imported = import("list.txt", text.as_bytes(), &options).expect("import");
        let set = IndicatorSet::from_lists([imported.into_list("synthetic", "bench", "1")]);
        black_box(
            set.match_estate(assets.iter().copied(), ranges.iter().copied(), &warnings)
                .len(),
        )
    });
    println!("list{lines}.entries {}", imported.entries.len());
    println!("list{lines}.import_ms {:.1}", ms(t_import));
    println!("list{lines}.build_ms {:.1}", ms(t_build));
    println!(
        "list{lines}.lookups_per_sec {rate:.0} ({hits} hits of {})",
        probes.len()
    );
    println!("list{lines}.batch_lookups_per_sec {batch_rate:.0}");
    println!("list{lines}.lookups_per_sec_1pct_listed {clean_rate:.0}");
    println!(
        "list{lines}.import_build_match_10000_assets_ms {:.1} ({matched} matches)",
        ms(t_total)
    );
}

/// Domains and hashes, as an event pipeline asks: 100,000 listed domains and the 5,500 SSL-certificate SHA-1s of
/// abuse.ch; one million questions each (subdomains of listed names, unlisted names, listed and unlisted hashes).
fn names_and_hashes() {
    let mut rng = Lcg(5);
    let domains: Vec<String> = (0..100_000)
        .map(|i| format!("c{i:x}-{:x}.example", rng.next()))
        .collect();
    let mut text: String = domains.iter().map(|d| format!("{d}\n")).collect();
    let hashes: Vec<String> =
        match canhgac_testdata::require("ip-blocklists/abusech-sslbl/sslblacklist_sha1_2023-12-22.csv") {
            Some(p) => std::fs::read_to_string(p)
                .expect("read sslbl")
                .lines()
                .skip(1)
                .filter_map(|l| l.split(',').next())
                .map(str::to_string)
                .collect(),
            None => Vec::new(),
        };
    text.extend(hashes.iter().map(|h| format!("{h}\n")));
    let imported = import("names.txt", text.as_bytes(), &ImportOptions::default()).expect("import");
    let set = IndicatorSet::from_lists([imported.into_list("names", "bench", "1")]);
    let questions: Vec<String> = (0..1_000_000)
        .map(|i| {
            let d = &domains[rng.next() as usize % domains.len()];
            if i % 2 == 0 {
                format!("www.cdn.{d}")
            } else {
                format!("host{i}.unlisted.example")
            }
        })
        .collect();
    let (t, hits) = time_with(5, true, || {
        questions
            .iter()
            .map(|q| set.match_domain(q).count())
            .sum::<usize>()
    });
    println!(
        "names.domain_lookups_per_sec {:.0} ({hits} hits of {})",
        questions.len() as f64 / t.as_secs_f64(),
        questions.len()
    );
    if hashes.is_empty() {
        return;
    }
    let hash_questions: Vec<String> = (0..1_000_000u32)
        .map(|i| {
            let h = &hashes[rng.next() as usize % hashes.len()];
            if i % 2 == 0 {
                h.to_uppercase()
            } else {
                format!("{:08x}{}", rng.next(), &h[8..])
            }
        })
        .collect();
    let (t, hits) = time_with(5, true, || {
        hash_questions
            .iter()
            .map(|q| set.match_hash(q).count())
            .sum::<usize>()
    });
    println!(
        "names.hash_lookups_per_sec {:.0} ({hits} hits of {})",
        hash_questions.len() as f64 / t.as_secs_f64(),
        hash_questions.len()
    );
}

fn main() {
    names_and_hashes();
    ipsum();
    large(500_000);
    large(1_000_000);
}
