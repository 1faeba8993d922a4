//! [`IndicatorSet`]: every entry of one or more lists, indexed for matching. Built once per list version.

use std::collections::HashMap;
use std::net::IpAddr;

/// Hash maps keyed by list values: foldhash is several times faster than the default SipHash on short keys and,
/// seeded per process, still resists crafted collisions well enough for lists an administrator imports.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

use serde::Serialize;

use crate::indicator::{Entry, FileHash, Indicator, IpRange, List};
use crate::ranges::{RangeTable, BATCH};
use crate::warning::{Suppression, Warnings};

/// The name, source and version of a list in a set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListInfo {
    /// The list's name.
    pub name: String,
    /// Who sent it.
    pub source: String,
    /// Its version.
    pub version: String,
    /// Monthly, ad hoc or feed.
    pub kind: crate::ListKind,
}

/// One matching entry and the list it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Hit<'a> {
    /// The entry's position in the set (stable for one set; use it to refer back).
    pub id: u32,
    /// The list.
    pub list: &'a ListInfo,
    /// The entry.
    pub entry: &'a Entry,
}

/// Indicators of one or more lists, ready for matching. Lookups allocate nothing (apart from
/// [`IndicatorSet::overlapping`], which returns a vector).
///
/// ```
/// use canhgac_ioc::{import, IndicatorSet, ImportOptions};
///
/// let list = import::import("drop.txt", b"1.10.16.0/20 ; SBL256894\n", &ImportOptions::default()).unwrap();
/// let set = IndicatorSet::from_lists([list.into_list("DROP", "Spamhaus", "2024-01")]);
/// let hit = set.match_ip("1.10.20.7".parse().unwrap()).next().unwrap();
/// assert_eq!(hit.list.name, "DROP");
/// assert_eq!(hit.entry.indicator.to_string(), "1.10.16.0/20");
/// ```
#[derive(Debug, Clone)]
pub struct IndicatorSet {
    lists: Vec<ListInfo>,
    /// The entries of every list, list after list (the first list's vector is taken over without copying).
    entries: Vec<Entry>,
    /// `list_ends[i]` is one past the last entry id of list `i`.
    list_ends: Vec<u32>,
    v4: RangeTable<u32>,
    v4_blocks: BlockFilter,
    v6: RangeTable<u128>,
    domains: FastMap<Box<str>, Vec<u32>>,
    urls: FastMap<Box<str>, Vec<u32>>,
    hashes: FastMap<FileHash, Vec<u32>>,
}

impl IndicatorSet {
    /// Indexes every entry of `lists`.
    pub fn from_lists(lists: impl IntoIterator<Item = List>) -> Self {
        let mut infos = Vec::new();
        let mut entries: Vec<Entry> = Vec::new();
        let mut list_ends = Vec::new();
        for list in lists {
            infos.push(ListInfo {
                name: list.name,
                source: list.source,
                version: list.version,
                kind: list.kind,
            });
            if entries.is_empty() {
                entries = list.entries;
            } else {
                entries.extend(list.entries);
            }
            list_ends.push(u32::try_from(entries.len()).unwrap_or(u32::MAX));
        }
        let (mut v4, mut v6) = (Vec::new(), Vec::new());
        let mut domains: FastMap<Box<str>, Vec<u32>> = FastMap::default();
        let mut urls: FastMap<Box<str>, Vec<u32>> = FastMap::default();
        let mut hashes: FastMap<FileHash, Vec<u32>> = FastMap::default();
        for (id, e) in entries.iter().enumerate() {
            let id = u32::try_from(id).unwrap_or(u32::MAX);
            match &e.indicator {
                Indicator::Ip(IpRange::V4(a, b)) => v4.push((*a, *b, id)),
                Indicator::Ip(IpRange::V6(a, b)) => v6.push((*a, *b, id)),
                Indicator::Domain(d) => domains.entry(d.as_str().into()).or_default().push(id),
                Indicator::Url(u) => urls.entry(u.as_str().into()).or_default().push(id),
                Indicator::Hash(h) => hashes.entry(*h).or_default().push(id),
            }
        }
        Self {
            lists: infos,
            entries,
            list_ends,
            v4_blocks: BlockFilter::build(&v4),
            v4: RangeTable::build(v4),
            v6: RangeTable::build(v6),
            domains,
            urls,
            hashes,
        }
    }

    /// How many entries the set holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the set holds no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The lists, in the order given.
    pub fn lists(&self) -> &[ListInfo] {
        &self.lists
    }

    /// The entry with this id.
    pub fn get(&self, id: u32) -> Option<Hit<'_>> {
        let entry = self.entries.get(id as usize)?;
        let list = self.list_ends.partition_point(|end| *end <= id);
        Some(Hit {
            id,
            list: self.lists.get(list)?,
            entry,
        })
    }

    fn hits<'a>(&'a self, ids: &'a [u32]) -> impl Iterator<Item = Hit<'a>> + 'a {
        ids.iter().filter_map(|id| self.get(*id))
    }

    /// The entries whose address, block or range holds `ip`, most specific first (a /32 before its /24).
    /// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are looked up as IPv4.
    pub fn match_ip(&self, ip: IpAddr) -> impl Iterator<Item = Hit<'_>> + '_ {
        self.hits(self.ip_ids(ip))
    }

    /// Whether any entry holds `ip` (the fastest question: one index read and a short binary search).
    #[inline]
    pub fn contains_ip(&self, ip: IpAddr) -> bool {
        !self.ip_ids(ip).is_empty()
    }

    /// Whether each IPv4 address of `ips` is on a list, written to `out` (which must be as long): the batch
    /// form of [`IndicatorSet::contains_ip`] for a pipeline that screens many events at once, then asks
    /// [`IndicatorSet::match_ip`] only for the flagged ones. Allocates nothing.
    pub fn contains_ipv4s(&self, ips: &[u32], out: &mut [bool]) {
        for (ips, out) in ips.chunks(BATCH).zip(out.chunks_mut(BATCH)) {
            // Only the addresses whose /24 some entry touches go to the range table.
            let (mut at, mut addrs, mut n) = ([0usize; BATCH], [0u32; BATCH], 0);
            for (i, (a, o)) in ips.iter().zip(out.iter_mut()).enumerate() {
                *o = false;
                if self.v4_blocks.touched(*a) {
                    at[n] = i;
                    addrs[n] = *a;
                    n += 1;
                }
            }
            let mut flags = [false; BATCH];
            self.v4.contains_many(&addrs[..n], &mut flags[..n]);
            for (i, f) in at[..n].iter().zip(flags) {
                if let Some(o) = out.get_mut(*i) {
                    *o = f;
                }
            }
        }
    }

    /// IPv4 lookup behind the /24 filter: an address whose /24 no entry touches is answered from the filter.
    #[inline]
    fn v4_lookup(&self, a: u32) -> &[u32] {
        if self.v4_blocks.touched(a) {
            self.v4.lookup(a)
        } else {
            &[]
        }
    }

    #[inline]
    fn ip_ids(&self, ip: IpAddr) -> &[u32] {
        match ip {
            IpAddr::V4(a) => self.v4_lookup(a.into()),
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(v4) => self.v4_lookup(v4.into()),
                None => self.v6.lookup(a.into()),
            },
        }
    }

    /// The entries whose domain is `name` or a parent of it (`a.b.evil.example` matches `evil.example`), the
    /// longest match first. Case and a trailing dot are ignored. Allocates nothing for names up to 253 bytes.
    pub fn match_domain<'a>(&'a self, name: &str) -> impl Iterator<Item = Hit<'a>> + 'a {
        let mut buf = [0u8; 253];
        let mut found: [&'a [u32]; 8] = [&[]; 8];
        let name = name.trim().trim_end_matches('.');
        if let Some(lower) = lowercase_into(name, &mut buf) {
            let mut rest = lower;
            let mut n = 0;
            loop {
                if let Some(ids) = self.domains.get(rest) {
                    if n < found.len() {
                        found[n] = ids;
                        n += 1;
                    }
                }
                match rest.split_once('.') {
                    Some((_, parent)) if parent.contains('.') => rest = parent,
                    _ => break,
                }
            }
        }
        found.into_iter().flat_map(move |ids| self.hits(ids))
    }

    /// The entries for exactly this URL (scheme and host compared without case, fragment ignored).
    pub fn match_url(&self, url: &str) -> impl Iterator<Item = Hit<'_>> + '_ {
        let ids: &[u32] = match self.urls.get(url.trim()) {
            Some(ids) => ids,
            None => crate::text::normalize_url(url)
                .and_then(|u| self.urls.get(u.as_str()))
                .map_or(&[], Vec::as_slice),
        };
        self.hits(ids)
    }

    /// The entries for this MD5, SHA-1 or SHA-256 (hexadecimal, any case). Allocates nothing.
    pub fn match_hash(&self, hex: &str) -> impl Iterator<Item = Hit<'_>> + '_ {
        let ids = FileHash::parse(hex)
            .and_then(|h| self.hashes.get(&h))
            .map_or(&[][..], Vec::as_slice);
        self.hits(ids)
    }

    /// The entries matching an event field whose kind is not known in advance: an address (also `ip:port`), a
    /// hash, a URL (its host is also looked up as a domain, or as an address) or a domain.
    pub fn match_value<'a>(&'a self, value: &str) -> Vec<Hit<'a>> {
        let v = value.trim();
        if let Ok(ip) = v.parse::<IpAddr>() {
            return self.match_ip(ip).collect();
        }
        if let Ok(socket) = v.parse::<std::net::SocketAddr>() {
            return self.match_ip(socket.ip()).collect();
        }
        if FileHash::parse(v).is_some() {
            return self.match_hash(v).collect();
        }
        if let Some((_, rest)) = v.split_once("://") {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
            let host = host.split(':').next().unwrap_or(host);
            let mut hits: Vec<_> = self.match_url(v).collect();
            match host.parse::<IpAddr>() {
                Ok(ip) => hits.extend(self.match_ip(ip)),
                Err(_) => hits.extend(self.match_domain(host)),
            }
            return hits;
        }
        self.match_domain(v).collect()
    }

    /// Every entry sharing at least one address with `range` (inside it, holding it or straddling it): how an
    /// estate's public ranges are matched against a list. Each entry once, in id order.
    pub fn overlapping(&self, range: IpRange) -> Vec<Hit<'_>> {
        let ids = match range {
            IpRange::V4(a, b) => self.v4.overlapping(a, b),
            IpRange::V6(a, b) => self.v6.overlapping(a, b),
        };
        ids.into_iter().filter_map(|id| self.get(id)).collect()
    }

    /// Matches an estate: every `(subject, address)` of `assets` and every `(subject, range)` of `ranges`
    /// against the set. `S` is whatever identifies an asset or a unit to the caller. A match whose entry a
    /// warning list covers (e.g. a list's bogon `10.0.0.0/8` against a private asset address) is kept with
    /// [`EstateMatch::suppressed`] naming the warning list; pass `&Warnings::default()` for none.
    pub fn match_estate<'a, S: Clone>(
        &'a self,
        assets: impl IntoIterator<Item = (S, IpAddr)>,
        ranges: impl IntoIterator<Item = (S, IpRange)>,
        warnings: &Warnings,
    ) -> Vec<EstateMatch<'a, S>> {
        let mut out = Vec::new();
        let mut push = |subject: &S, target: IpRange, hit: Hit<'a>| {
            out.push(EstateMatch {
                subject: subject.clone(),
                target,
                hit,
                suppressed: warnings.check(&hit.entry.indicator),
            });
        };
        for (subject, ip) in assets {
            for hit in self.match_ip(ip) {
                push(&subject, IpRange::single(ip), hit);
            }
        }
        for (subject, range) in ranges {
            for hit in self.overlapping(range) {
                push(&subject, range, hit);
            }
        }
        out
    }

    /// How many disjoint address intervals the IPv4 and IPv6 tables hold (for the benchmark).
    pub fn address_intervals(&self) -> usize {
        self.v4.intervals() + self.v6.intervals()
    }

    /// Memory held by the address tables, in bytes (for the benchmark).
    pub fn address_table_bytes(&self) -> usize {
        self.v4.heap_bytes() + self.v6.heap_bytes() + self.v4_blocks.0.capacity() * 8
    }
}

/// One bit per IPv4 /24, set when some entry's range touches it (2 MiB). Most addresses events carry are on no
/// list and their /24 is usually clear, so they are answered from a bitmap that stays in cache instead of two
/// reads into the (much larger) range table.
#[derive(Debug, Clone)]
struct BlockFilter(Vec<u64>);

impl BlockFilter {
    fn build(ranges: &[(u32, u32, u32)]) -> Self {
        let mut words = vec![0u64; (1 << 24) / 64];
        for &(first, last, _) in ranges {
            let (lo, hi) = ((first >> 8) as usize, (last >> 8) as usize);
            let (lw, hw) = (lo / 64, hi / 64);
            for w in lw..=hw {
                let from = if w == lw { lo % 64 } else { 0 };
                let to = if w == hw { hi % 64 } else { 63 };
                let mask = (u64::MAX >> (63 - to)) & (u64::MAX << from);
                if let Some(word) = words.get_mut(w) {
                    *word |= mask;
                }
            }
        }
        Self(words)
    }

    #[inline]
    fn touched(&self, a: u32) -> bool {
        let block = (a >> 8) as usize;
        self.0.get(block / 64).is_some_and(|w| w >> (block % 64) & 1 == 1)
    }
}

/// One entry matching a subject of the estate.
#[derive(Debug, Clone, Serialize)]
pub struct EstateMatch<'a, S> {
    /// The asset or unit, as given.
    pub subject: S,
    /// The asset's address or the unit's range that matched.
    pub target: IpRange,
    /// The matching entry.
    pub hit: Hit<'a>,
    /// The warning list that marks this match as a likely false positive, if any.
    pub suppressed: Option<Suppression>,
}

/// `name` in lowercase ASCII inside `buf`, or `None` when it is longer than the buffer.
fn lowercase_into<'b>(name: &str, buf: &'b mut [u8; 253]) -> Option<&'b str> {
    let bytes = name.as_bytes();
    let out = buf.get_mut(..bytes.len())?;
    for (o, b) in out.iter_mut().zip(bytes) {
        *o = b.to_ascii_lowercase();
    }
    std::str::from_utf8(out).ok()
}
