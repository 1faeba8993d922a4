//! The address structure: possibly overlapping ranges cut into sorted, disjoint elementary intervals, each
//! pointing at the entries that cover it, most specific (smallest range) first. Built once per set; a lookup is
//! one index read on the top bits (20 for IPv4, 16 for IPv6) and a binary search in a short slice, and allocates nothing.

/// An address type: `u32` for IPv4, `u128` for IPv6.
pub trait Addr: Copy + Ord + std::fmt::Debug {
    /// The lowest address.
    const ZERO: Self;
    /// The next address, `None` after the last.
    fn succ(self) -> Option<Self>;
    /// How many top bits the first-level index uses.
    const BUCKET_BITS: u32;
    /// The top [`Addr::BUCKET_BITS`] bits, for the first-level index.
    fn bucket(self) -> usize;
    /// The first address of a bucket.
    fn bucket_start(bucket: usize) -> Self;
    /// The distance `last - first` (the range's size minus one), for ordering by specificity.
    fn span(first: Self, last: Self) -> u128;
}

impl Addr for u32 {
    const ZERO: Self = 0;
    // 2^20 buckets (4 MiB of index): about one interval per bucket even with a million entries.
    const BUCKET_BITS: u32 = 20;
    fn succ(self) -> Option<Self> {
        self.checked_add(1)
    }
    fn bucket(self) -> usize {
        (self >> (32 - Self::BUCKET_BITS)) as usize
    }
    fn bucket_start(bucket: usize) -> Self {
        u32::try_from(bucket).unwrap_or(0) << (32 - Self::BUCKET_BITS)
    }
    fn span(first: Self, last: Self) -> u128 {
        u128::from(last - first)
    }
}

impl Addr for u128 {
    const ZERO: Self = 0;
    // IPv6 lists are short (DROPv6 has tens of blocks): 2^16 buckets.
    const BUCKET_BITS: u32 = 16;
    fn succ(self) -> Option<Self> {
        self.checked_add(1)
    }
    fn bucket(self) -> usize {
        (self >> (128 - Self::BUCKET_BITS)) as usize
    }
    fn bucket_start(bucket: usize) -> Self {
        (bucket as u128) << (128 - Self::BUCKET_BITS)
    }
    fn span(first: Self, last: Self) -> u128 {
        last - first
    }
}

/// How many addresses [`RangeTable::contains_many`] looks up together.
pub const BATCH: usize = 16;

/// The first address of an interval and where its covering ids start; kept side by side so one cache line
/// serves both the search and the answer.
#[derive(Debug, Clone, Copy)]
struct Slot<A> {
    start: A,
    offset: u32,
}

/// Disjoint intervals covering the whole address space, each with the ids of the ranges covering it.
#[derive(Debug, Clone)]
pub struct RangeTable<A: Addr> {
    /// `slots[i].start` is the first address of interval `i` (`slots[0].start == 0`); interval `i` is covered by
    /// `ids[slots[i].offset..slots[i + 1].offset]`. The last slot is a sentinel closing the last interval.
    slots: Vec<Slot<A>>,
    ids: Vec<u32>,
    /// `index[b]` is the interval holding the first address of bucket `b`; `index[buckets]` the last interval.
    index: Vec<u32>,
}

impl<A: Addr> RangeTable<A> {
    /// Builds the table from `(first, last, id)` ranges (`first <= last`).
    pub fn build(mut ranges: Vec<(A, A, u32)>) -> Self {
        ranges.sort_unstable();
        let mut ends: Vec<(A, u32)> = ranges
            .iter()
            .filter_map(|&(_, last, id)| last.succ().map(|end| (end, id)))
            .collect();
        ends.sort_unstable();
        let mut spans = vec![0u128; ranges.iter().map(|r| r.2 as usize + 1).max().unwrap_or(0)];
        for &(first, last, id) in &ranges {
            if let Some(s) = spans.get_mut(id as usize) {
                *s = A::span(first, last);
            }
        }
        let mut table = Self {
            slots: vec![
                Slot {
                    start: A::ZERO,
                    offset: 0,
                },
                Slot {
                    start: A::ZERO,
                    offset: 0,
                },
            ],
            ids: Vec::new(),
            index: Vec::new(),
        };
        // The ranges holding the current boundary, ordered by (span, id): nesting is shallow in real lists, so a
        // sorted vector beats a tree here.
        let mut active: Vec<(u128, u32)> = Vec::new();
        let (mut opened, mut closed) = (0, 0);
        loop {
            // The next boundary: the smallest pending start or end.
            let next = match (ranges.get(opened), ends.get(closed)) {
                (Some(o), Some(c)) => o.0.min(c.0),
                (Some(o), None) => o.0,
                (None, Some(c)) => c.0,
                (None, None) => break,
            };
            while let Some(&(_, id)) = ends.get(closed).filter(|e| e.0 == next) {
                let key = (spans[id as usize], id);
                if let Ok(i) = active.binary_search(&key) {
                    active.remove(i);
                }
                closed += 1;
            }
            while let Some(&(_, _, id)) = ranges.get(opened).filter(|r| r.0 == next) {
                let key = (spans[id as usize], id);
                let i = active.binary_search(&key).unwrap_or_else(|i| i);
                active.insert(i, key);
                opened += 1;
            }
            table.push(next, active.iter().map(|&(_, id)| id));
        }
        table.build_index();
        table
    }

    /// Starts an interval at `start` covered by `cover`, unless the cover is that of the interval before.
    /// `slots` always ends with the sentinel closing the last interval.
    fn push(&mut self, start: A, cover: impl Iterator<Item = u32>) {
        let before = self.ids.len();
        self.ids.extend(cover);
        let n = self.slots.len() - 1; // intervals so far
        let prev = self.slots[n - 1].offset as usize..self.slots[n].offset as usize;
        if self.ids[before..] == self.ids[prev.clone()] {
            self.ids.truncate(before);
            return;
        }
        let end = |ids: &Vec<u32>| u32::try_from(ids.len()).unwrap_or(u32::MAX);
        if start == self.slots[n - 1].start {
            // The first interval (at 0) is being given its cover.
            self.ids.drain(prev);
            self.slots[n].offset = end(&self.ids);
            return;
        }
        self.slots[n].start = start;
        let offset = end(&self.ids);
        self.slots.push(Slot { start, offset });
    }

    fn build_index(&mut self) {
        let intervals = self.slots.len() - 1;
        let buckets = 1usize << A::BUCKET_BITS;
        let mut index = Vec::with_capacity(buckets + 1);
        let mut i = 0usize;
        for b in 0..buckets {
            let start = A::bucket_start(b);
            while i + 1 < intervals && self.slots[i + 1].start <= start {
                i += 1;
            }
            index.push(u32::try_from(i).unwrap_or(u32::MAX));
        }
        index.push(u32::try_from(intervals - 1).unwrap_or(u32::MAX));
        self.index = index;
    }

    /// The interval holding `addr`: the bucket's bounds from the index, then a branch-free binary search.
    #[inline]
    fn interval(&self, addr: A) -> usize {
        let b = addr.bucket();
        self.search(addr, self.index[b] as usize, self.index[b + 1] as usize)
    }

    /// The last interval in `lo..=hi` starting at or before `addr`.
    #[inline]
    fn search(&self, addr: A, lo: usize, hi: usize) -> usize {
        let mut base = lo;
        let mut size = hi - lo + 1;
        while size > 1 {
            let half = size / 2;
            let mid = base + half;
            base = if self.slots[mid].start <= addr { mid } else { base };
            size -= half;
        }
        base
    }

    fn cover(&self, interval: usize) -> &[u32] {
        &self.ids[self.slots[interval].offset as usize..self.slots[interval + 1].offset as usize]
    }

    /// The ids of the ranges holding `addr`, smallest range first. Allocates nothing.
    #[inline]
    pub fn lookup(&self, addr: A) -> &[u32] {
        self.cover(self.interval(addr))
    }

    /// Whether each of `addrs` is held by some range, written to `out` (same length). Looks addresses up in
    /// groups of [`BATCH`]: the index reads of a group are issued together, then its first slots are touched,
    /// then the searches run, so the memory latency of one address overlaps that of the others.
    pub fn contains_many(&self, addrs: &[A], out: &mut [bool]) {
        for (addrs, out) in addrs.chunks(BATCH).zip(out.chunks_mut(BATCH)) {
            let mut bounds = [(0usize, 0usize); BATCH];
            for (b, a) in bounds.iter_mut().zip(addrs) {
                let k = a.bucket();
                *b = (self.index[k] as usize, self.index[k + 1] as usize);
            }
            let mut touch = 0u32;
            for (lo, _) in &bounds[..addrs.len()] {
                touch ^= self.slots[*lo].offset;
            }
            std::hint::black_box(touch);
            for ((a, (lo, hi)), o) in addrs.iter().zip(bounds).zip(out.iter_mut()) {
                let i = self.search(*a, lo, hi);
                *o = self.slots[i].offset != self.slots[i + 1].offset;
            }
        }
    }

    /// The ids of every range sharing an address with `first..=last`, each once, in no particular order.
    pub fn overlapping(&self, first: A, last: A) -> Vec<u32> {
        let (a, b) = (self.interval(first), self.interval(last));
        let mut out: Vec<u32> = (a..=b).flat_map(|i| self.cover(i).iter().copied()).collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// How many elementary intervals the table holds.
    pub fn intervals(&self) -> usize {
        self.slots.len() - 1
    }

    /// Bytes of memory the table occupies (capacity of its vectors).
    pub fn heap_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Slot<A>>()
            + (self.ids.capacity() + self.index.capacity()) * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(ranges: &[(u32, u32, u32)], a: u32) -> Vec<u32> {
        let mut hits: Vec<_> = ranges.iter().filter(|r| r.0 <= a && a <= r.1).collect();
        hits.sort_by_key(|r| (r.1 - r.0, r.2));
        hits.iter().map(|r| r.2).collect()
    }

    #[test]
    fn nested_overlapping_and_edge_ranges() {
        let ranges = vec![
            (0x0A00_0000, 0x0AFF_FFFF, 0), // 10/8
            (0x0A01_0000, 0x0A01_FFFF, 1), // 10.1/16
            (0x0A01_0203, 0x0A01_0203, 2), // 10.1.2.3
            (0x0A01_0203, 0x0A01_0203, 3), // the same address from another list
            (0x0A01_0100, 0x0A02_00FF, 4), // a range straddling 10.1/16's end
            (0, 0, 5),
            (u32::MAX, u32::MAX, 6),
        ];
        let t = RangeTable::build(ranges.clone());
        let probes = [
            0,
            1,
            0x09FF_FFFF,
            0x0A00_0000,
            0x0A01_0000,
            0x0A01_00FF,
            0x0A01_0100,
            0x0A01_0202,
            0x0A01_0203,
            0x0A01_0204,
            0x0A01_FFFF,
            0x0A02_0000,
            0x0A02_00FF,
            0x0A02_0100,
            0x0AFF_FFFF,
            0x0B00_0000,
            u32::MAX - 1,
            u32::MAX,
        ];
        for a in probes {
            assert_eq!(t.lookup(a), naive(&ranges, a), "address {a:#x}");
        }
        let mut flags = vec![false; probes.len()];
        t.contains_many(&probes, &mut flags);
        for (a, f) in probes.iter().zip(flags) {
            assert_eq!(f, !naive(&ranges, *a).is_empty(), "address {a:#x}");
        }
        assert_eq!(t.overlapping(0x0A01_0000, 0x0A01_0000), [0, 1]);
        assert_eq!(t.overlapping(0x0A02_0000, 0x0B00_0000), [0, 4]);
        assert_eq!(t.overlapping(0x0B00_0000, 0x0C00_0000), Vec::<u32>::new());
    }

    #[test]
    fn empty_table_answers_nothing() {
        let t = RangeTable::<u128>::build(Vec::new());
        assert!(t.lookup(0).is_empty());
        assert!(t.lookup(u128::MAX).is_empty());
        assert_eq!(t.intervals(), 1);
    }

    #[test]
    fn pseudo_random_ranges_match_naive_scan() {
        // A small linear congruential generator: deterministic, no dependency.
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (x >> 32) as u32
        };
        let mut ranges = Vec::new();
        for id in 0..300 {
            let a = next() >> 8; // keep them clustered so they overlap
            let len = next() % 5000;
            ranges.push((a, a.saturating_add(len), id));
        }
        let t = RangeTable::build(ranges.clone());
        for r in ranges.iter().take(100) {
            for a in [
                r.0.saturating_sub(1),
                r.0,
                r.1,
                r.1.saturating_add(1),
                next() >> 8,
            ] {
                assert_eq!(t.lookup(a), naive(&ranges, a), "address {a:#x}");
            }
        }
    }
}
