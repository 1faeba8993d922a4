//! Multi-host update reports in the column layouts of WSUS, SCCM/MECM and `Get-HotFix | Export-Csv` (hand-written
//! fixtures, see `fixtures/update-reports/README.md`), read per host and matched against Microsoft's May and June
//! 2023 advisories.

mod common;

use canhgac_vuln::inventory::report::{
    read_update_report, ProblemKind, ReportHost, UpdateReport, UpdateState,
};
use canhgac_vuln::matching::{Matcher, State};
use canhgac_vuln::{Kb, KnowledgeBase, Version};

fn fixture(name: &str) -> UpdateReport {
    let path = format!(
        "{}/tests/fixtures/update-reports/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    read_update_report(name, &bytes).unwrap_or_else(|e| panic!("{e}"))
}

fn host<'r>(r: &'r UpdateReport, key: &str) -> &'r ReportHost {
    r.hosts.iter().find(|h| h.key == key).unwrap_or_else(|| {
        panic!(
            "{key} in {:?}",
            r.hosts.iter().map(|h| &h.key).collect::<Vec<_>>()
        )
    })
}

fn kbs(h: &ReportHost) -> Vec<u32> {
    h.inventory.kbs.iter().map(|k| k.0).collect()
}

/// `(line, column, kind, value)` of every problem.
fn problems(r: &UpdateReport) -> Vec<(usize, &str, ProblemKind, &str)> {
    r.problems
        .iter()
        .map(|p| (p.line, p.column.as_str(), p.kind, p.value.as_str()))
        .collect()
}

#[test]
fn wsus_update_status_report() {
    let r = fixture("wsus-update-status.csv");
    assert_eq!(r.rows, 9);
    let keys: Vec<&str> = r.hosts.iter().map(|h| h.key.as_str()).collect();
    assert_eq!(keys, ["a-srv1", "a-srv2", "a-pc7"]);
    let srv1 = host(&r, "a-srv1");
    assert_eq!(srv1.name, "a-srv1.benhvien.local");
    assert_eq!(kbs(srv1), [5027222]);
    assert_eq!(
        srv1.inventory.os_name.as_deref(),
        Some("Windows Server 2019 Datacenter")
    );
    assert_eq!(srv1.inventory.os_version, Version::parse("10.0.17763.4252"));
    assert_eq!(srv1.count(UpdateState::NotApplicable), 1);
    assert_eq!(srv1.updates[0].approval, "Install");
    // Pending reboot: recorded, not installed.
    let srv2 = host(&r, "a-srv2");
    assert!(srv2.inventory.kbs.is_empty());
    assert_eq!(
        srv2.inventory.pending_reboot.iter().copied().collect::<Vec<_>>(),
        [Kb(5027222)]
    );
    assert_eq!(srv2.count(UpdateState::Needed), 1);
    let pc7 = host(&r, "a-pc7");
    assert!(pc7.inventory.kbs.is_empty());
    assert_eq!(
        (pc7.count(UpdateState::Downloaded), pc7.count(UpdateState::Failed)),
        (1, 1)
    );
    assert_eq!(
        problems(&r),
        [
            (6, "KB Article", ProblemKind::NoKb, "Intel - System - 10.1.1.44"),
            (7, "Computer Name", ProblemKind::NoHost, ""),
            (9, "Update Installation State", ProblemKind::UnknownState, "Maybe"),
        ]
    );
    assert_eq!(
        r.problems[2].to_string(),
        "line 9 (Update Installation State): unknown installation state; update not counted: \"Maybe\""
    );
    // The row without a KB still names its host: every line of A-SRV2 is accounted for.
    assert_eq!(srv2.lines, [4, 5, 6]);
}

#[test]
fn wsus_powershell_export_with_version_conflicts() {
    let r = fixture("wsus-computers-updates.csv");
    let xn = host(&r, "khoa-xn-01");
    assert_eq!(xn.lines, [2, 3], "FQDN in any case is one host");
    assert_eq!(kbs(xn), [5026362, 5027222]);
    assert_eq!(xn.inventory.os_version, Version::parse("10.0.17763"));
    assert_eq!(xn.inventory.arch, canhgac_vuln::inventory::Arch::parse("AMD64"));
    let cdha = host(&r, "khoa-cdha-02");
    assert_eq!(cdha.inventory.os_version, None);
    assert_eq!(cdha.updates[0].kb, Kb(5027215), "from the title");
    assert_eq!(cdha.updates[1].state, UpdateState::Unknown);
    assert_eq!(
        problems(&r),
        [
            (
                3,
                "ClientVersion",
                ProblemKind::RevisionConflict,
                "10.0.17763.4377 / 10.0.17763.4499"
            ),
            (
                5,
                "ClientVersion",
                ProblemKind::BuildConflict,
                "10.0.19045.2965 / 10.0.22621.1702"
            ),
        ]
    );
}

#[test]
fn vietnamese_headers_semicolons_and_title_rows() {
    let r = fixture("wsus-vi.csv");
    assert_eq!(r.rows, 4);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    let pc1 = host(&r, "kt-pc01");
    assert_eq!(kbs(pc1), [5027215]);
    assert_eq!(pc1.lines, [4, 5]);
    let pc2 = host(&r, "kt-pc02");
    assert!(pc2.inventory.kbs.is_empty());
    assert_eq!(pc2.count(UpdateState::InstalledPendingReboot), 1);
    assert_eq!(pc2.count(UpdateState::NotInstalled), 1);
}

#[test]
fn sccm_compliance_and_installed_flags() {
    let r = fixture("sccm-compliance.csv");
    let db = host(&r, "his-db01");
    assert_eq!(kbs(db), [5026362]);
    assert_eq!(db.inventory.os_version, Version::parse("10.0.17763"));
    assert_eq!(
        (
            db.count(UpdateState::Needed),
            db.count(UpdateState::NotApplicable)
        ),
        (1, 1)
    );
    assert_eq!(host(&r, "his-app01").count(UpdateState::Unknown), 1);
    assert_eq!(
        problems(&r),
        [(
            6,
            "Article ID",
            ProblemKind::NoKb,
            "Microsoft Defender Antivirus platform update"
        )]
    );

    let r = fixture("sccm-installed-flags.csv");
    assert_eq!(kbs(host(&r, "pacs-01")), [5026362, 5027222]);
    let pacs2 = host(&r, "pacs-02");
    assert!(pacs2.inventory.kbs.is_empty());
    assert_eq!(pacs2.count(UpdateState::NotInstalled), 1);
    assert_eq!(problems(&r), [(5, "Installed", ProblemKind::UnknownState, "2")]);
}

#[test]
fn get_hotfix_export_lists_installed_updates() {
    let r = fixture("get-hotfix.csv");
    assert_eq!(r.rows, 4);
    assert_eq!(kbs(host(&r, "lis-01")), [5026362, 5027222]);
    let lis2 = host(&r, "lis-02");
    assert_eq!(kbs(lis2), [5022286]);
    assert_eq!(lis2.inventory.os_version, None, "Get-HotFix gives no OS");
    assert_eq!(problems(&r), [(6, "HotFixID", ProblemKind::NoKb, "File 1")]);
}

#[test]
fn the_same_report_as_a_workbook() {
    let csv = fixture("wsus-update-status.csv");
    let path = format!(
        "{}/tests/fixtures/update-reports/wsus-update-status.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).unwrap();
    let grid = canhgac_tabular::read_csv(&text, &canhgac_tabular::Options::default()).unwrap();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in grid.rows.iter().enumerate() {
        for (c, cell) in row.cells.iter().enumerate() {
            sheet
                .write_string(u32::try_from(r).unwrap(), u16::try_from(c).unwrap(), cell)
                .unwrap();
        }
    }
    let bytes = book.save_to_buffer().unwrap();
    let xlsx = read_update_report("wsus-update-status.xlsx", &bytes).unwrap();
    assert_eq!(xlsx.hosts, {
        let mut hosts = csv.hosts.clone();
        for h in &mut hosts {
            h.inventory.source = "wsus-update-status.xlsx".into();
            for w in &mut h.inventory.warnings {
                *w = w.replace("wsus-update-status.csv", "wsus-update-status.xlsx");
            }
        }
        hosts
    });
    assert_eq!(xlsx.problems, csv.problems);
}

/// May and June 2023: CVE-2023-28283 on Windows Server 2019 is fixed by KB5026362 (fixed build 10.0.17763.4377),
/// which June's KB5027222 supersedes.
fn may_june() -> Option<KnowledgeBase> {
    let dir = canhgac_testdata::require("msrc-cvrf-2023")?;
    let mut kb = KnowledgeBase::default();
    for month in ["May", "Jun"] {
        kb.merge(common::parse_file(
            &dir.join(format!("cvrfDocument-2023-{month}.xml")),
        ));
    }
    Some(kb)
}

#[test]
fn report_hosts_match_and_pending_reboot_is_in_the_evidence() {
    let Some(kb) = may_june() else { return };
    let r = fixture("wsus-update-status.csv");
    let m = Matcher::new(&kb);
    let verdict = |key: &str| {
        m.check_host(&host(&r, key).inventory)
            .into_iter()
            .find(|v| v.cve == "CVE-2023-28283")
            .unwrap_or_else(|| panic!("CVE-2023-28283 for {key}"))
    };
    let srv1 = verdict("a-srv1");
    assert_eq!(srv1.state, State::Remediated, "{srv1:#?}");
    assert!(
        srv1.evidence
            .iter()
            .any(|e| e.contains("KB5027222 supersedes KB5026362")),
        "{srv1:#?}"
    );
    let srv2 = verdict("a-srv2");
    assert_eq!(srv2.state, State::Vulnerable, "{srv2:#?}");
    assert!(
        srv2.evidence.iter().any(|e| {
            e.contains(
            "KB5027222 is installed but waits for a restart (pending reboot) (KB5027222 supersedes KB5026362)"
        )
        }),
        "{srv2:#?}"
    );
}
