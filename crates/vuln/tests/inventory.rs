//! Host inventories from the real `systeminfo`, `wmic qfe` and update-list outputs collected by WES-NG.

use canhgac_vuln::inventory::{parse_inventory, Arch, HostInventory, InventoryKind};
use canhgac_vuln::Kb;
use std::path::Path;

fn read(dir: &Path, name: &str) -> HostInventory {
    let bytes = std::fs::read(dir.join(name)).unwrap();
    parse_inventory(name, &bytes).unwrap_or_else(|e| panic!("{e}"))
}

/// The build each file's name promises (WES-NG names its samples by release).
fn expected_build(name: &str) -> u32 {
    let table: &[(&str, u32)] = &[
        ("10_1803", 17134),
        ("10_1809", 17763),
        ("10_21H1", 19043),
        ("10_21H2", 19044),
        ("10_22H2", 19045),
        ("10_rtm", 10240),
        ("11_21H2", 22000),
        ("11_22H2", 22621),
        ("11_23H2", 22631),
        ("11_24H2", 26100),
        ("7_sp1", 7601),
        ("8.1_", 9600),
        ("srv_2003", 3790),
        ("srv_2008_rtm", 6001),
        ("srv_2008r2", 7601),
        ("srv_2012r2", 9600),
        ("srv_2016", 14393),
        ("srv_2019", 17763),
        ("srv_2022", 20348),
        ("vista_x64_sp0", 6000),
        ("vista_x64_sp1", 6001),
        ("vista_x64_sp2", 6002),
        ("xp_sp2_x64", 3790),
        ("xp_", 2600),
    ];
    table
        .iter()
        .find(|(p, _)| name.starts_with(p))
        .map(|(_, b)| *b)
        .unwrap_or_else(|| panic!("no expectation for {name}"))
}

#[test]
fn every_systeminfo_parses_with_its_build_and_architecture() {
    let Some(dir) = canhgac_testdata::require("windows-inventory/wesng/validation") else {
        return;
    };
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut checked = 0;
    for name in names.iter().filter(|n| n.contains("systeminfo")) {
        let inv = read(&dir, name);
        assert_eq!(inv.kind, InventoryKind::Systeminfo, "{name}");
        assert_eq!(inv.build(), Some(expected_build(name)), "{name}");
        let arch = if name.contains("x86") {
            Arch::X86
        } else {
            Arch::X64
        };
        if name.contains("x64") || name.contains("x86") {
            assert_eq!(inv.arch, Some(arch), "{name}");
        }
        assert!(
            inv.os_name.as_deref().is_some_and(|n| n.contains("Windows")),
            "{name}: {:?}",
            inv.os_name
        );
        checked += 1;
    }
    assert_eq!(checked, 49, "systeminfo samples");
}

#[test]
fn localised_outputs_keep_their_values() {
    let Some(dir) = canhgac_testdata::require("windows-inventory/wesng/validation") else {
        return;
    };
    // Chinese (GBK, decoded by the System Locale line), Russian (UTF-8), French from PowerShell (UTF-16),
    // German, Italian, Dutch, Spanish (two), English: nine display languages.
    let zh = read(&dir, "10_1809_x64_enterprise_zh-cn_systeminfo.txt");
    assert_eq!(zh.os_name.as_deref(), Some("Microsoft Windows 10 企业版 LTSC"));
    assert_eq!(zh.hostname.as_deref(), Some("DESKTOP-0CQH3P2"));
    let ru = read(&dir, "srv_2012r2_x64_standard_ru_systeminfo.txt");
    assert!(ru.is_server());
    assert_eq!(
        ru.os_name.as_deref(),
        Some("Майкрософт Ознакомительная версия Windows Server 2012 R2 Standard")
    );
    assert_eq!(ru.kbs.len(), 7);
    let fr = read(&dir, "7_sp1_x64_enterprise_fr_systeminfo_powershell.txt");
    assert_eq!(
        (fr.service_pack, fr.hostname.as_deref()),
        (Some(1), Some("WIN-IDKKFN87EL8"))
    );
    let de = read(&dir, "7_sp1_x64_ultimaten_de_systeminfo.txt");
    assert_eq!(de.kbs.len(), 242);
    let es = read(&dir, "10_1809_x64_education_es_systeminfo.txt");
    assert_eq!(
        (es.hostname.as_deref(), es.kbs.len()),
        (None, 9),
        "host name anonymised to \"...\""
    );
    let it = read(&dir, "10_1803_x64_pro_it_systeminfo.txt");
    assert_eq!(it.kbs.len(), 10);
}

#[test]
fn hotfix_lists_match_their_systeminfo() {
    let Some(dir) = canhgac_testdata::require("windows-inventory/wesng/validation") else {
        return;
    };
    let si = read(&dir, "srv_2012r2_u1_systeminfo.txt");
    let qfe = read(&dir, "srv_2012r2_u1_qfe.txt");
    assert_eq!(qfe.kind, InventoryKind::Hotfixes);
    assert_eq!(
        qfe.kbs, si.kbs,
        "wmic qfe (UTF-16) and systeminfo list the same 154 KBs"
    );
    assert_eq!(si.kbs.len(), 154);
    // Windows XP: HotFixID says "File 1" and the KB is in another column, with a "v2" suffix.
    let xp = read(&dir, "xp_sp3_x86_professional_en-us_qfe.txt");
    assert!(
        xp.kbs.contains(&Kb(2115168)),
        "KB from another column of a \"File 1\" row"
    );
    let xp0 = read(&dir, "xp_rtm_x86_professional_en-us_qfe.txt");
    assert!(xp0.kbs.contains(&Kb(893803)), "KB893803v2");
    assert_eq!(xp.warnings.len(), 1, "{:?}", xp.warnings);
    let updates = read(&dir, "10_1809_x64_education_en-us_20190306_updates.txt");
    assert_eq!(updates.kbs.iter().copied().collect::<Vec<_>>(), vec![Kb(4486553)]);
    let mut merged = read(&dir, "10_1809_x64_education_en-us_20190306_systeminfo.txt");
    merged.absorb(updates);
    assert_eq!(merged.build(), Some(17763));
    assert!(merged.kbs.contains(&Kb(4486553)));
}

#[test]
fn systeminfo_hotfixes_are_read_exactly() {
    let Some(dir) = canhgac_testdata::require("windows-inventory/wesng/validation") else {
        return;
    };
    let w10 = read(&dir, "10_22H2_x64_enterprise_en-us_systeminfo.txt");
    assert_eq!(w10.kbs.iter().copied().collect::<Vec<_>>(), vec![Kb(5022502)]);
    let srv = read(&dir, "srv_2019_rtm_datacenter_en-us_systeminfo.txt");
    assert_eq!(srv.kbs.len(), 5);
    let w7 = read(&dir, "7_sp1_x64_enterprise_en-us_20190305_systeminfo.txt");
    assert_eq!(
        w7.kbs.len(),
        245,
        "every listed entry (the header claims 273 but lists 245)"
    );
}

#[test]
fn agent_inventory_and_bad_inputs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let agent = read(&dir, "agent-win10-22h2.json");
    assert_eq!(agent.kind, InventoryKind::Agent);
    assert_eq!(
        agent.os_version.as_ref().map(ToString::to_string).as_deref(),
        Some("10.0.19045.2965")
    );
    assert_eq!(agent.software.as_ref().map(Vec::len), Some(2));
    let err = |bytes: &[u8]| parse_inventory("bad.txt", bytes).unwrap_err().to_string();
    assert_eq!(err(b"\xFF\xFE\r\0\n\0"), "bad.txt: the inventory is empty");
    assert!(err(b"hello world\n").starts_with("bad.txt (OS Version): no OS version line"));
    assert_eq!(
        err(br#"{"schema": "other/2", "os": {"version": "10.0.1"}}"#),
        "bad.txt (schema): schema \"other/2\" is not \"canhgac.inventory/1\""
    );
    assert!(err(br#"{"schema": "canhgac.inventory/1"}"#)
        .starts_with("bad.txt:1: malformed JSON: missing field `os`"));
}
