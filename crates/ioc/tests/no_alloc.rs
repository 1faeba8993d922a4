//! Lookups allocate nothing: counted with a global allocator that wraps the system one.
// A counting allocator needs `unsafe impl GlobalAlloc`; it only forwards to `System` and counts.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};

use canhgac_ioc::import::import;
use canhgac_ioc::{ImportOptions, IndicatorSet};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout` (see `alloc`).
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn address_domain_and_hash_lookups_allocate_nothing() {
    let text = "1.10.16.0/20\n1.10.20.7\n2001:db8::/32\nevil.example\nhttp://evil.example/gate\n44d88612fea8a8f36de82e1278abb02f\n";
    let list = import("l.txt", text.as_bytes(), &ImportOptions::default())
        .unwrap()
        .into_list("l", "s", "v");
    let set = IndicatorSet::from_lists([list]);
    let v4: IpAddr = "1.10.20.7".parse().unwrap();
    let v6: IpAddr = "2001:db8::1".parse().unwrap();
    let ints: Vec<u32> = (0..64).map(|i| 0x010A_1000 + i * 61).collect();
    let mut flags = vec![false; ints.len()];
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let mut found = 0;
    for _ in 0..1000 {
        found += set.match_ip(v4).count();
        found += set.match_ip(v6).count();
        found += usize::from(set.contains_ip(v4));
        found += set.match_domain("A.B.Evil.Example.").count();
        found += set.match_hash("44D88612FEA8A8F36DE82E1278ABB02F").count();
        found += set.match_url("http://evil.example/gate").count();
        set.contains_ipv4s(&ints, &mut flags);
    }
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    assert_eq!(
        found,
        1000 * 7,
        "the /20 and the address, the /32, the check, the domain, the hash, the URL"
    );
    assert!(
        flags.iter().all(|f| *f),
        "all 64 addresses are inside 1.10.16.0/20"
    );
    assert_eq!(after - before, 0, "lookups allocated");
}
