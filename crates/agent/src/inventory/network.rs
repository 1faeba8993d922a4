//! Network interfaces: hardware addresses from `/sys/class/net/*/address`, IP addresses from `getifaddrs`.

use super::Interface;
use crate::fsutil::read_text;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

/// Every interface under `sys_class_net` (normally `/sys/class/net`) with its hardware address; an all-zero
/// address (loopback) or an unreadable one is `None`. Missing folder: empty.
pub fn read_macs(sys_class_net: &Path) -> BTreeMap<String, Option<String>> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(sys_class_net) else {
        return out;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let mac = read_text(&entry.path().join("address"), 4096)
            .ok()
            .flatten()
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty() && s.bytes().any(|b| b != b'0' && b != b':'));
        out.insert(name, mac);
    }
    out
}

/// Joins hardware addresses and IP addresses by interface name; interfaces known from either side are listed,
/// sorted by name, addresses sorted and deduplicated.
pub fn interfaces_from(
    macs: &BTreeMap<String, Option<String>>,
    addrs: &[(String, IpAddr)],
) -> Vec<Interface> {
    let mut by_name: BTreeMap<&str, Interface> = macs
        .iter()
        .map(|(n, m)| {
            (
                n.as_str(),
                Interface {
                    name: n.clone(),
                    mac: m.clone(),
                    addresses: Vec::new(),
                },
            )
        })
        .collect();
    for (name, ip) in addrs {
        by_name
            .entry(name.as_str())
            .or_insert_with(|| Interface {
                name: name.clone(),
                mac: None,
                addresses: Vec::new(),
            })
            .addresses
            .push(*ip);
    }
    by_name
        .into_values()
        .map(|mut i| {
            i.addresses.sort();
            i.addresses.dedup();
            i
        })
        .collect()
}

/// The running system's interface addresses.
pub(super) fn live_addresses() -> std::io::Result<Vec<(String, IpAddr)>> {
    Ok(if_addrs::get_if_addrs()?
        .into_iter()
        .map(|i| {
            let ip = i.ip();
            (i.name, ip)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_by_name_and_keeps_address_only_interfaces() {
        let mut macs = BTreeMap::new();
        macs.insert("eth0".to_owned(), Some("02:fc:00:00:00:01".to_owned()));
        macs.insert("lo".to_owned(), None);
        let addrs = vec![
            ("eth0".to_owned(), "10.0.0.5".parse().unwrap()),
            ("eth0".to_owned(), "fe80::1".parse().unwrap()),
            ("eth0".to_owned(), "10.0.0.5".parse().unwrap()),
            ("tun0".to_owned(), "10.8.0.2".parse().unwrap()),
        ];
        let i = interfaces_from(&macs, &addrs);
        let names: Vec<_> = i.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["eth0", "lo", "tun0"]);
        assert_eq!(i[0].addresses.len(), 2);
        assert_eq!(i[2].mac, None);
    }
}
