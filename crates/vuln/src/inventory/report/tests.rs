use super::*;

fn grid(text: &str) -> Grid {
    canhgac_tabular::read_csv(text, &canhgac_tabular::Options::default()).unwrap()
}

#[test]
fn host_keys_fold_case_domains_and_prefixes() {
    assert_eq!(host_key(" A-SRV1.corp.local "), "a-srv1");
    assert_eq!(host_key("CORP\\A-Srv1"), "a-srv1");
    assert_eq!(host_key("10.1.2.3"), "10.1.2.3");
    assert_eq!(host_key("."), "");
}

#[test]
fn versions_from_builds_and_dotted_numbers() {
    let v = |s: &str| os_version_of(s).map(|v| v.to_string());
    assert_eq!(v("10.0.17763.5206").as_deref(), Some("10.0.17763.5206"));
    assert_eq!(v("17763").as_deref(), Some("10.0.17763"));
    assert_eq!(v("17763.4252").as_deref(), Some("10.0.17763.4252"));
    assert_eq!(v("7601").as_deref(), Some("6.1.7601"));
    assert_eq!(v("10.0.19045 N/A Build 19045").as_deref(), Some("10.0.19045"));
    assert_eq!(v("10.0"), None);
    assert_eq!(v("1234"), None);
    assert_eq!(v("n/a"), None);
}

#[test]
fn kb_numbers_from_cells_and_titles() {
    assert_eq!(kbs_in_cell("KB5027222, 5026362"), vec![Kb(5027222), Kb(5026362)]);
    assert_eq!(kbs_in_cell("File 1"), Vec::<Kb>::new());
    assert_eq!(
        kbs_in_title("2023-06 Cumulative Update (KB5027222)"),
        vec![Kb(5027222)]
    );
    assert_eq!(kbs_in_title("Intel - System - 10.1.1.44"), Vec::<Kb>::new());
    assert_eq!(kbs_in_title("NOTKB5027222"), Vec::<Kb>::new());
}

#[test]
fn no_header_is_refused_with_the_columns_it_wants() {
    let err = parse_update_report("x.csv", &grid("a,b\n1,2\n")).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("x.csv: no header naming the computer"),
        "{err}"
    );
}

#[test]
fn rows_group_per_host_and_pending_reboot_is_not_installed() {
    let text = "Computer Name,OS Version,KB Article,Status\n\
                PC1.lab.local,10.0.19045.3086,5027215,Installed\n\
                pc1,10.0.19045.3086,5026361,InstalledPendingReboot\n\
                PC2,10.0.19045.2965,5026361,Installed\n";
    let r = parse_update_report("r.csv", &grid(text)).unwrap();
    assert_eq!(r.rows, 3);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    let names: Vec<&str> = r.hosts.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["PC1.lab.local", "PC2"]);
    let pc1 = &r.hosts[0].inventory;
    assert_eq!(pc1.kind, InventoryKind::UpdateReport);
    assert_eq!(pc1.kbs.iter().copied().collect::<Vec<_>>(), [Kb(5027215)]);
    assert_eq!(
        pc1.pending_reboot.iter().copied().collect::<Vec<_>>(),
        [Kb(5026361)]
    );
    assert_eq!(
        pc1.warnings,
        ["r.csv:3: KB5026361 is installed but waits for a restart (pending reboot): not counted as installed"]
    );
    assert_eq!(r.hosts[0].lines, [2, 3]);
    assert_eq!(r.hosts[0].count(UpdateState::InstalledPendingReboot), 1);
}

#[test]
fn version_conflicts_keep_the_build_or_nothing() {
    let v = |s: &str| os_version_of(s).unwrap_or_else(|| panic!("{s}"));
    let (kept, conflict) = settle_version(&[(2, v("10.0.17763.4377")), (3, v("10.0.17763.4499"))]);
    assert_eq!(kept, Some(v("10.0.17763")));
    assert_eq!(
        conflict,
        Some((
            3,
            ProblemKind::RevisionConflict,
            "10.0.17763.4377 / 10.0.17763.4499".into()
        ))
    );
    let (kept, conflict) = settle_version(&[(2, v("10.0.19045.1")), (5, v("10.0.22621.1"))]);
    assert_eq!(kept, None);
    assert_eq!(
        conflict.map(|c| (c.0, c.1)),
        Some((5, ProblemKind::BuildConflict))
    );
    assert_eq!(
        settle_version(&[(2, v("17763")), (3, v("10.0.17763"))]),
        (Some(v("10.0.17763")), None)
    );
}
