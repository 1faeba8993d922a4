//! Benchmark: importing Microsoft's 2023 advisories (both serialisations) and matching 10,000 hosts against all of
//! them. Hosts are the real `systeminfo` samples of releases Microsoft supported in 2023, each given one of that
//! release's 2023 monthly updates (or none), so the fleet mixes patch levels. Prints wall-clock times and the
//! state counts. Run with `bench/vuln/run` (or `cargo bench -p canhgac-vuln --bench match_fleet`).

use std::collections::BTreeMap;
use std::time::Instant;

use canhgac_vuln::advisory::parse_any;
use canhgac_vuln::inventory::{parse_inventory, HostInventory};
use canhgac_vuln::matching::Matcher;
use canhgac_vuln::{Kb, KnowledgeBase};

const HOSTS: usize = 10_000;
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const SAMPLES: [&str; 12] = [
    "10_1809_x64_education_en-us_systeminfo.txt",
    "10_21H2_x64_pro_systeminfo.txt",
    "10_22H2_x64_enterprise_en-us_systeminfo.txt",
    "11_21H2_x64_enterprise_systeminfo.txt",
    "11_22H2_x64_home-single-language_systeminfo.txt",
    "11_23H2_x64_enterprise_systeminfo.txt",
    "srv_2016_1607_datacenter_en-us_systeminfo.txt",
    "srv_2019_rtm_datacenter_en-us_systeminfo.txt",
    "srv_2022_systeminfo.txt",
    "srv_2012r2_u1_systeminfo.txt",
    "7_sp1_x64_enterprise_en-us_A_systeminfo.txt",
    "10_1809_x64_enterprise_zh-cn_systeminfo.txt",
];

fn main() {
    let Some(data) = canhgac_testdata::require("msrc-cvrf-2023") else {
        return;
    };
    let Some(samples) = canhgac_testdata::require("windows-inventory/wesng/validation") else {
        return;
    };
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for m in MONTHS {
        for name in [
            format!("cvrfDocument-2023-{m}.xml"),
            format!("current-2026-07-06/2023-{m}.xml.zst"),
        ] {
            files.push((
                name.clone(),
                std::fs::read(data.join(&name)).expect("advisory file"),
            ));
        }
    }
    let start = Instant::now();
    let mut kb = KnowledgeBase::default();
    for (name, bytes) in files.iter().filter(|(n, _)| n.starts_with("cvrf")) {
        kb.merge(parse_any(name, bytes).expect("parse"));
    }
    let import_one = start.elapsed();
    let start = Instant::now();
    let mut kb2 = KnowledgeBase::default();
    for (name, bytes) in &files {
        kb2.merge(parse_any(name, bytes).expect("parse"));
    }
    let import_both = start.elapsed();
    drop(kb);
    let kb = kb2;
    println!(
        "import: 12 months (January 2024 form, {:.1} MiB) {:.2} s; both forms (24 files) {:.2} s; {} CVEs, {} supersedence links",
        files.iter().filter(|(n, _)| n.starts_with("cvrf")).map(|(_, b)| b.len()).sum::<usize>() as f64 / 1048576.0,
        import_one.as_secs_f64(),
        import_both.as_secs_f64(),
        kb.cves.len(),
        kb.supersedence.len()
    );

    let fleet = fleet(&kb, &samples);
    let matcher = Matcher::new(&kb);
    // One host at a time, no sharing: the cost of a host whose patch state no other host has.
    let start = Instant::now();
    let single = 100;
    for host in fleet.iter().take(single) {
        std::hint::black_box(matcher.check_host(host));
    }
    let per_host = start.elapsed().as_secs_f64() / single as f64;
    println!(
        "match one host: {:.1} ms per host ({} CVEs, evidence included)",
        per_host * 1000.0,
        kb.cves.len()
    );

    let start = Instant::now();
    let matcher = Matcher::new(&kb);
    let results = matcher.check_fleet(&fleet);
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut verdicts = 0usize;
    for list in &results {
        for v in list.iter() {
            verdicts += 1;
            *counts.entry(v.state.as_str()).or_default() += 1;
        }
    }
    let elapsed = start.elapsed();
    let distinct = {
        let mut ptrs: Vec<*const Vec<_>> = results.iter().map(std::sync::Arc::as_ptr).collect();
        ptrs.sort_unstable();
        ptrs.dedup();
        ptrs.len()
    };
    println!(
        "match fleet: {} hosts ({distinct} distinct patch states) x {} CVEs = {verdicts} verdicts in {:.2} s; {counts:?}",
        fleet.len(),
        kb.cves.len(),
        elapsed.as_secs_f64(),
    );
}

/// 10,000 hosts: sample `i % 12`, with the `(i / 12) % 13`-th monthly update of its release (13: none).
fn fleet(kb: &KnowledgeBase, dir: &std::path::Path) -> Vec<HostInventory> {
    let hosts: Vec<HostInventory> = SAMPLES
        .iter()
        .map(|n| parse_inventory(n, &std::fs::read(dir.join(n)).expect("sample")).expect("systeminfo"))
        .collect();
    let matcher = Matcher::new(kb);
    // The monthly updates of each sample's release: the fix KBs of its OS product, in KB order (= month order).
    let monthly: Vec<Vec<Kb>> = hosts
        .iter()
        .map(|h| {
            let ctx = matcher.context(h);
            let names = ctx.platform().map(<[String]>::to_vec).unwrap_or_default();
            let ids: Vec<&String> = kb
                .products
                .iter()
                .filter(|(_, p)| names.iter().any(|n| n.eq_ignore_ascii_case(&p.name)))
                .map(|(id, _)| id)
                .collect();
            let mut kbs: Vec<Kb> = kb
                .cves
                .values()
                .flat_map(|c| c.fixes.iter())
                .filter(|f| ids.contains(&&f.product) && f.sub_type.as_deref() != Some("Security Only"))
                .filter_map(|f| f.kb)
                .collect();
            kbs.sort_unstable();
            kbs.dedup();
            kbs
        })
        .collect();
    (0..HOSTS)
        .map(|i| {
            let s = i % SAMPLES.len();
            let mut h = hosts[s].clone();
            let level = (i / SAMPLES.len()) % 13;
            if let Some(kb) = monthly[s].get(monthly[s].len().saturating_sub(13) + level) {
                h.kbs.insert(*kb);
            }
            h.hostname = Some(format!("PC-{i:05}"));
            h
        })
        .collect()
}
