//! The vulnerability API beyond views and findings: national warnings (create, import, list), a unit's time to
//! fix, its patch list (JSON and the console's XLSX), a view's hosts and trend, and a host's verdicts — each in the
//! caller's scope only.

mod common;

use common::{request, send, systeminfo, who, world, Who, World, SECRET};
use serde_json::{json, Value};

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// Sends `method uri` as `who` with an optional JSON body; status and body text.
async fn call(w: &World, who: &Who, method: &str, uri: &str, body: Option<Value>) -> (u16, String) {
    let req = match body {
        Some(v) => request(
            who,
            method,
            uri,
            Some("application/json"),
            v.to_string().into_bytes(),
        ),
        None => request(who, method, uri, None, Vec::new()),
    };
    let (status, _, text) = send(&w.router, req).await;
    (status, text)
}

/// The body of `GET uri` as `who`, as bytes (a workbook).
async fn body_bytes(w: &World, who: &Who, uri: &str) -> axum::body::Bytes {
    let resp = tower::ServiceExt::oneshot(w.router.clone(), request(who, "GET", uri, None, Vec::new()))
        .await
        .unwrap();
    http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes()
}

#[tokio::test]
async fn warnings_sla_patches_and_host_verdicts_through_the_api() {
    let w = world().await;
    let (dept, a_admin, a_viewer) = (&w.dept, &w.a[0], &w.a[2]);

    // A national warning as JSON: a bad CVE is refused with its field, a unit cannot create one.
    let bad = json!({"number": "1664/CATTT-NCSC", "cves": "CVE-2099-0001 bogus"});
    let (status, text) = call(
        &w,
        dept,
        "POST",
        "/api/v1/vulnerabilities/warnings",
        Some(bad.clone()),
    )
    .await;
    assert_eq!(status, 422, "{text}");
    assert!(text.contains("\"cves\""), "{text}");
    let good = json!({"number": "1664/CATTT-NCSC", "title": "Windows kernel", "cves": "CVE-2099-0001",
        "deadline": "2099-02-01", "issuer": "Cục An toàn thông tin"});
    let (status, _) = call(
        &w,
        a_admin,
        "POST",
        "/api/v1/vulnerabilities/warnings",
        Some(good.clone()),
    )
    .await;
    assert_eq!(status, 403);
    let (status, text) = call(
        &w,
        dept,
        "POST",
        "/api/v1/vulnerabilities/warnings",
        Some(good.clone()),
    )
    .await;
    assert_eq!(status, 201, "{text}");
    let created = parse(&text);
    assert_eq!(created["cves"], json!(["CVE-2099-0001"]));
    assert_eq!(created["deadline"], "2099-02-01");
    let id = created["id"].as_i64().unwrap();

    // From CSV: one created, one bad line named by its line and field.
    let csv = "Số hiệu;Mã CVE;Hạn khắc phục\n1700/CATTT-NCSC;CVE-2099-0003;01/03/2099\n1701/CATTT-NCSC;x;\n";
    let (status, _, text) = send(
        &w.router,
        request(
            dept,
            "POST",
            "/api/v1/vulnerabilities/warnings/import?name=w.csv",
            Some("text/csv"),
            csv.as_bytes().to_vec(),
        ),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let report = parse(&text);
    assert_eq!(report["created"], 1);
    assert_eq!(report["rejected"][0]["line"], 3);
    assert_eq!(report["rejected"][0]["field"], "cves");

    // Everyone in a unit reads the warnings (they are addressed to all), newest first.
    let (status, text) = call(&w, a_viewer, "GET", "/api/v1/vulnerabilities/warnings", None).await;
    assert_eq!(status, 200);
    let numbers: Vec<String> = parse(&text)
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["number"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(numbers.len(), 3, "the world's warning and these two: {numbers:?}");
    assert!(numbers.contains(&"1664/CATTT-NCSC".to_string()));
    let (status, text) = call(
        &w,
        a_viewer,
        "GET",
        &format!("/api/v1/vulnerabilities/warnings/{id}"),
        None,
    )
    .await;
    assert_eq!(
        (status, parse(&text)["title"].clone()),
        (200, json!("Windows kernel"))
    );

    // The warning's view: the Department sees both units' hosts, A only its own.
    w.knowledge.settled().await;
    let uri = format!("/api/v1/vulnerabilities/view?key=warning:{id}");
    let (_, text) = call(&w, dept, "GET", &uri, None).await;
    let detail = parse(&text);
    assert_eq!(
        (detail["view"]["hosts"].clone(), detail["view"]["units"].clone()),
        (json!(2), json!(2)),
        "{text}"
    );
    let (_, text) = call(&w, a_admin, "GET", &uri, None).await;
    let detail = parse(&text);
    assert_eq!(detail["view"]["hosts"], 1, "{text}");
    assert_eq!(detail["hosts"][0]["hostname"], "A-HOST");
    assert!(!text.contains(SECRET), "{text}");
    assert!(
        detail["trend"].as_array().is_some_and(|t| !t.is_empty()),
        "today's point: {text}"
    );
    let (status, _) = call(
        &w,
        a_admin,
        "GET",
        "/api/v1/vulnerabilities/view?key=warning:999999",
        None,
    )
    .await;
    assert_eq!(status, 404);

    // Time to fix: A's administrator reads the default and sets A's own; out of range refused; B out of reach.
    let sla_a = format!("/api/v1/units/{}/sla", w.unit_a);
    let (_, text) = call(&w, a_admin, "GET", &sla_a, None).await;
    assert_eq!(
        parse(&text),
        json!({"critical": 7, "high": 30, "medium": 90, "low": 120})
    );
    let (status, text) = call(
        &w,
        a_admin,
        "PUT",
        &sla_a,
        Some(json!({"critical": 3, "high": 20, "medium": 60, "low": 90})),
    )
    .await;
    assert_eq!(
        (status, parse(&text)["critical"].clone()),
        (200, json!(3)),
        "{text}"
    );
    // The critical finding of A's host is now due three days after it was first seen.
    let (_, text) = call(
        &w,
        a_admin,
        "GET",
        &format!("/api/v1/vulnerabilities/findings/{}", w.finding_a),
        None,
    )
    .await;
    let f = parse(&text);
    assert_eq!(f["severity_rank"], 4, "{text}");
    assert_eq!(
        f["due_at"].as_i64().unwrap() - f["first_seen"].as_i64().unwrap(),
        3 * 86_400_000,
        "{text}"
    );
    let (status, _) = call(
        &w,
        a_admin,
        "PUT",
        &sla_a,
        Some(json!({"critical": 0, "high": 20, "medium": 60, "low": 90})),
    )
    .await;
    assert_eq!(status, 422);
    let (status, _) = call(
        &w,
        a_viewer,
        "PUT",
        &sla_a,
        Some(json!({"critical": 1, "high": 1, "medium": 1, "low": 1})),
    )
    .await;
    assert_eq!(status, 403);
    let sla_b = format!("/api/v1/units/{}/sla", w.unit_b);
    let (status, _) = call(
        &w,
        a_admin,
        "PUT",
        &sla_b,
        Some(json!({"critical": 1, "high": 1, "medium": 1, "low": 1})),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = call(&w, a_admin, "GET", &sla_b, None).await;
    assert_eq!(status, 404);

    // A's patch list: the fixing KB with A's host and the CVE; B's is out of reach.
    let (status, text) = call(
        &w,
        a_admin,
        "GET",
        &format!("/api/v1/units/{}/patches", w.unit_a),
        None,
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let list = parse(&text);
    let kb = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kb"] == "KB5000002")
        .unwrap_or_else(|| panic!("KB5000002 in {text}"));
    assert!(kb["cves"].as_array().unwrap().contains(&json!("CVE-2099-0001")));
    assert_eq!(kb["hosts"][0][1], "A-HOST");
    let (status, _) = call(
        &w,
        a_admin,
        "GET",
        &format!("/api/v1/units/{}/patches", w.unit_b),
        None,
    )
    .await;
    assert_eq!(status, 404);

    // The same list as a workbook from the console, read back: one row per update, one per host and update.
    let export = format!("/vulnerabilities/units/{}/export", w.unit_a);
    let (status, resp, _) = send(&w.router, request(a_admin, "GET", &export, None, Vec::new())).await;
    assert_eq!(status, 200);
    assert!(resp
        .headers()
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap()
        .contains(".xlsx"));
    let bytes = body_bytes(&w, a_admin, &export).await;
    let opts = canhgac_tabular::Options::default();
    let grid = canhgac_tabular::read("p.xlsx", &bytes, &opts).unwrap();
    let row = grid
        .rows
        .iter()
        .find(|r| r.cells.get(1).is_some_and(|c| c == "KB5000002"))
        .unwrap_or_else(|| panic!("KB row in {:?}", grid.rows));
    assert_eq!(row.cells[0], "1");
    assert!(row.cells[4].contains("CVE-2099-0001"), "{row:?}");
    assert_eq!(row.cells[6], "A-HOST");
    let by_host = canhgac_tabular::Options {
        sheet: canhgac_tabular::Sheet::Index(1),
        ..Default::default()
    };
    let grid = canhgac_tabular::read("p.xlsx", &bytes, &by_host).unwrap();
    assert!(
        grid.rows
            .iter()
            .any(|r| r.cells.first().is_some_and(|c| c == "A-HOST") && r.cells[2] == "KB5000002"),
        "{:?}",
        grid.rows
    );
    let export_b = format!("/vulnerabilities/units/{}/export", w.unit_b);
    let (status, text) = call(&w, a_admin, "GET", &export_b, None).await;
    assert_eq!(status, 404);
    assert!(!text.contains(SECRET));

    // A host's verdicts with evidence; after an inventory with the fixing KB, remediated by that KB.
    let host_a = format!("/api/v1/assets/{}/vulnerabilities", w.asset_a);
    let (_, text) = call(&w, a_admin, "GET", &host_a, None).await;
    let v = parse(&text);
    let f = &v["findings"][0];
    assert_eq!(
        (f["cve"].clone(), f["state"].clone()),
        (json!("CVE-2099-0001"), json!("vulnerable")),
        "{text}"
    );
    assert!(v["inventory"].is_object(), "{text}");
    let (status, _, text) = send(
        &w.router,
        request(
            a_admin,
            "POST",
            &format!("/api/v1/assets/{}/inventory?name=pc.txt", w.asset_a),
            Some("text/plain"),
            systeminfo("A-HOST", &["KB5000002"]),
        ),
    )
    .await;
    assert_eq!(status, 201, "{text}");
    let (_, text) = call(&w, a_admin, "GET", &host_a, None).await;
    let v = parse(&text);
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["cve"] == "CVE-2099-0001")
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(f["state"], "remediated", "{text}");
    assert!(text.contains("KB5000002"), "the fixing KB as evidence: {text}");
    let (status, text) = call(
        &w,
        a_admin,
        "GET",
        &format!("/api/v1/assets/{}/vulnerabilities", w.asset_b),
        None,
    )
    .await;
    assert_eq!(status, 404);
    assert!(!text.contains(SECRET));
}

/// The rows of a WSUS "Update status" export for unit A: two of A's servers (one by its FQDN), a host that is an
/// asset of unit B only, and a row with a state word WSUS does not write.
const WSUS_REPORT: [[&str; 6]; 6] = [
    [
        "Computer Name",
        "Operating System",
        "OS Version",
        "Update Title",
        "KB Article",
        "Update Installation State",
    ],
    [
        "a-srv1.benhvien.local",
        "Windows Server 2019 Datacenter",
        "10.0.17763.4252",
        "2023-06 Cumulative Update for Windows Server 2019 for x64-based Systems (KB5027222)",
        "5027222",
        "Installed",
    ],
    [
        "A-SRV2",
        "Windows Server 2019 Standard",
        "10.0.17763.4252",
        "2023-06 Cumulative Update for Windows Server 2019 for x64-based Systems (KB5027222)",
        "5027222",
        "InstalledPendingReboot",
    ],
    [
        "A-SRV2",
        "Windows Server 2019 Standard",
        "10.0.17763.4252",
        "2023-05 Cumulative Update for Windows Server 2019 for x64-based Systems (KB5026362)",
        "5026362",
        "Needed",
    ],
    [
        "b-only.benhvien.local",
        "Windows Server 2019 Standard",
        "10.0.17763.4252",
        "2023-06 Cumulative Update for Windows Server 2019 for x64-based Systems (KB5027222)",
        "5027222",
        "Installed",
    ],
    [
        "a-srv1.benhvien.local",
        "Windows Server 2019 Datacenter",
        "10.0.17763.4252",
        "2023-05 Cumulative Update for Windows Server 2019 for x64-based Systems (KB5026362)",
        "5026362",
        "Maybe",
    ],
];

fn wsus_csv() -> Vec<u8> {
    let mut out = String::new();
    for row in WSUS_REPORT {
        let cells: Vec<String> = row.iter().map(|c| format!("\"{c}\"")).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

fn wsus_xlsx() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in (0u32..).zip(WSUS_REPORT) {
        for (c, cell) in (0u16..).zip(row) {
            sheet.write_string(r, c, cell).unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

/// CVE-2023-28283's verdict on an asset, as its owner reads it.
async fn verdict_28283(w: &World, who: &Who, asset: i64) -> Value {
    let (status, text) = call(
        w,
        who,
        "GET",
        &format!("/api/v1/assets/{asset}/vulnerabilities"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let v = parse(&text);
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["cve"] == "CVE-2023-28283")
        .cloned()
        .unwrap_or_else(|| panic!("CVE-2023-28283 on asset {asset}: {text}"))
}

/// A WSUS report imported for unit A attaches each host to A's asset of that name (never to B's), recomputes A, and
/// says which hosts matched, which did not and which rows were not used; the same report as XLSX gives the same.
/// Real data: CVE-2023-28283 on Windows Server 2019 is fixed by May 2023's KB5026362 (fixed build
/// 10.0.17763.4377), which June's KB5027222 supersedes (cvrfDocument-2023-May.xml and -Jun.xml).
#[tokio::test]
async fn a_wsus_report_is_imported_per_asset_of_the_unit_only() {
    let Some(dir) = canhgac_testdata::require("msrc-cvrf-2023") else {
        return;
    };
    let w = world().await;
    let (dept, a_admin, a_viewer) = (&w.dept, &w.a[0], &w.a[2]);
    let b_admin = who(&w.store, "secretb.admin", "a long enough password").await;
    for month in ["May", "Jun"] {
        let name = format!("cvrfDocument-2023-{month}.xml");
        let (status, _, text) = send(
            &w.router,
            request(
                dept,
                "POST",
                &format!("/api/v1/vulnerabilities/advisories?name={name}"),
                Some("application/xml"),
                std::fs::read(dir.join(&name)).unwrap(),
            ),
        )
        .await;
        assert_eq!(status, 201, "{text}");
    }
    w.knowledge.settled().await;
    let admin = dept.actor.unwrap();
    let asset = |unit: i64, host: &str| {
        let input = canhgac_model::AssetInput {
            hostname: host.into(),
            ips: "10.9.0.1".into(),
            ..Default::default()
        }
        .validate()
        .unwrap();
        let store = &w.store;
        async move {
            store
                .create_asset(&admin, canhgac_model::UnitId(unit), &input)
                .await
                .unwrap()
                .id
                .0
        }
    };
    let srv1 = asset(w.unit_a, "A-SRV1").await;
    let srv2 = asset(w.unit_a, "a-srv2.benhvien.local").await;
    let b_only = asset(w.unit_b, "B-ONLY").await;

    // Outside unit A: B's administrator does not see it, A's viewer may not attach.
    let uri = format!("/api/v1/units/{}/inventory-report?name=wsus.csv", w.unit_a);
    for (caller, want) in [(&b_admin, 404), (a_viewer, 403)] {
        let (status, _, text) = send(
            &w.router,
            request(caller, "POST", &uri, Some("text/csv"), wsus_csv()),
        )
        .await;
        assert_eq!(status, want, "{}: {text}", caller.name);
    }
    let (status, _, text) = send(
        &w.router,
        request(a_admin, "POST", &uri, Some("text/csv"), b"a,b\n1,2\n".to_vec()),
    )
    .await;
    assert_eq!(status, 422, "{text}");
    assert!(text.contains("no header naming the computer"), "{text}");

    let (status, _, text) = send(
        &w.router,
        request(a_admin, "POST", &uri, Some("text/csv"), wsus_csv()),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let csv = parse(&text);
    let matched: Vec<(Value, Value)> = csv["matched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["host"].clone(), h["asset_ids"].clone()))
        .collect();
    assert_eq!(
        matched,
        [
            (json!("a-srv1.benhvien.local"), json!([srv1])),
            (json!("A-SRV2"), json!([srv2]))
        ],
        "{text}"
    );
    assert_eq!(csv["matched"][1]["pending_reboot"], json!(["KB5027222"]));
    assert_eq!(csv["matched"][1]["kbs"], json!([]));
    assert_eq!(
        csv["unmatched"],
        json!([{"host": "b-only.benhvien.local", "lines": [5], "asset_ids": [], "inventory_id": null,
            "os_build": "10.0.17763.4252", "kbs": ["KB5027222"], "pending_reboot": [], "states": {"installed": 1}}])
    );
    assert_eq!(csv["ambiguous"], json!([]));
    let p = &csv["problems"];
    assert_eq!(p.as_array().map(Vec::len), Some(1), "{text}");
    assert_eq!(
        (&p[0]["line"], &p[0]["column"], &p[0]["code"], &p[0]["value"]),
        (
            &json!(6),
            &json!("Update Installation State"),
            &json!("unknown_state"),
            &json!("Maybe")
        )
    );

    // One audit entry per attached asset, in unit A, by A's administrator; none for B's asset.
    let audit = w
        .store
        .audit(
            &admin,
            &canhgac_store::AuditQuery {
                entity: "host_inventory".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let report_entries: Vec<_> = audit
        .items
        .iter()
        .filter(|e| e.after.contains("\"file\":\"wsus.csv\""))
        .collect();
    assert_eq!(report_entries.len(), 2, "{report_entries:#?}");
    for e in &report_entries {
        assert_eq!(
            (e.unit_id, e.username.as_str(), e.action.as_str()),
            (Some(w.unit_a), "a.unit_admin", "attach")
        );
        assert!(!e.after.contains(&format!("\"asset\":{b_only}")), "{e:?}");
    }
    assert!(
        report_entries
            .iter()
            .any(|e| e.after.contains("\"pending_reboot\":[\"KB5027222\"]")),
        "{report_entries:#?}"
    );

    // A-SRV1 has June's update, which supersedes May's fix; A-SRV2's waits for a restart and does not count.
    let v1 = verdict_28283(&w, a_admin, srv1).await;
    assert_eq!(v1["state"], "remediated", "{v1}");
    assert!(v1.to_string().contains("KB5027222 supersedes KB5026362"), "{v1}");
    let v2 = verdict_28283(&w, a_admin, srv2).await;
    assert_eq!(v2["state"], "vulnerable", "{v2}");
    assert!(v2.to_string().contains("pending reboot"), "{v2}");
    // B's asset of the report's name is untouched.
    let (_, text) = call(
        &w,
        dept,
        "GET",
        &format!("/api/v1/assets/{b_only}/vulnerabilities"),
        None,
    )
    .await;
    assert_eq!(parse(&text)["inventory"], Value::Null, "{text}");

    // The same report as a workbook: the same hosts, assets, rows and verdicts.
    let (status, _, text) = send(
        &w.router,
        request(
            a_admin,
            "POST",
            &format!("/api/v1/units/{}/inventory-report?name=wsus.xlsx", w.unit_a),
            Some("application/octet-stream"),
            wsus_xlsx(),
        ),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let xlsx = parse(&text);
    let strip = |v: &Value| {
        let mut v = v.clone();
        v["file_name"] = Value::Null;
        for h in v["matched"].as_array_mut().unwrap() {
            h["inventory_id"] = Value::Null;
        }
        v
    };
    assert_eq!(strip(&xlsx), strip(&csv));
    assert_eq!(verdict_28283(&w, a_admin, srv1).await["state"], "remediated");
    assert_eq!(verdict_28283(&w, a_admin, srv2).await["state"], "vulnerable");

    // From the unit's page: the summary with the unmatched host and the unused row's reason, in Vietnamese.
    let form = format!("/vulnerabilities/units/{}/inventory-report", w.unit_a);
    let (ct, body) = common::multipart(&[("csrf", &a_admin.csrf)], "wsus.csv", &wsus_csv());
    let (status, _, html) = send(&w.router, request(a_admin, "POST", &form, Some(&ct), body)).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("data-test=\"report-summary\""), "{html}");
    assert!(html.contains("b-only.benhvien.local"), "{html}");
    assert!(
        html.contains("Trạng thái cài đặt không rõ; bản cập nhật không được tính"),
        "{html}"
    );
    assert!(
        html.contains(&format!("/assets/{srv2}/vulnerabilities")),
        "{html}"
    );
    let (ct, body) = common::multipart(&[("csrf", &b_admin.csrf)], "wsus.csv", &wsus_csv());
    let (status, _, _) = send(&w.router, request(&b_admin, "POST", &form, Some(&ct), body)).await;
    assert_eq!(status, 404);
}

/// A Linux host's findings are fixed by a package version, not a KB: the unit's page lists them under their own
/// heading and the workbook in its own column, the KB cells left empty.
#[tokio::test]
async fn package_fixes_are_listed_apart_from_updates() {
    let w = world().await;
    let (dept, a_admin) = (&w.dept, &w.a[0]);
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../vuln/tests/fixtures/linux");
    let read = |name: &str| std::fs::read(fixtures.join(name)).unwrap();
    let (status, _, text) = send(
        &w.router,
        request(
            dept,
            "POST",
            "/api/v1/vulnerabilities/advisories?name=debian-tracker.json",
            Some("application/json"),
            read("debian-tracker.json"),
        ),
    )
    .await;
    assert_eq!(status, 201, "{text}");
    w.knowledge.settled().await;
    let (status, _, text) = send(
        &w.router,
        request(
            a_admin,
            "POST",
            &format!("/api/v1/assets/{}/inventory?name=web01.json", w.asset_a),
            Some("application/json"),
            read("agent-debian12-old.json"),
        ),
    )
    .await;
    assert_eq!(status, 201, "{text}");

    let (status, html) = call(
        &w,
        a_admin,
        "GET",
        &format!("/vulnerabilities/units/{}", w.unit_a),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (updates, packages) = html
        .split_once("data-test=\"package-fixes\"")
        .unwrap_or_else(|| panic!("a package table: {html}"));
    assert!(packages.contains("Gói&#x2f;phiên bản sửa"), "{packages}");
    assert!(
        packages.contains("openssh-client → 1:9.2p1-2+deb12u1"),
        "{packages}"
    );
    assert!(!updates.contains("openssh-client"), "{updates}");

    let export = format!("/vulnerabilities/units/{}/export", w.unit_a);
    let bytes = body_bytes(&w, a_admin, &export).await;
    let grid = canhgac_tabular::read("p.xlsx", &bytes, &canhgac_tabular::Options::default()).unwrap();
    let row = grid
        .rows
        .iter()
        .find(|r| {
            r.cells
                .get(7)
                .is_some_and(|c| c == "openssh-client → 1:9.2p1-2+deb12u1")
        })
        .unwrap_or_else(|| panic!("{:?}", grid.rows));
    assert_eq!(row.cells[1], "", "{row:?}");
    assert_eq!(grid.rows[2].cells[7], "Gói/phiên bản sửa");
}
