//! The vulnerability API beyond views and findings: national warnings (create, import, list), a unit's time to
//! fix, its patch list (JSON and the console's XLSX), a view's hosts and trend, and a host's verdicts — each in the
//! caller's scope only.

mod common;

use common::{request, send, systeminfo, world, Who, World, SECRET};
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
    let bytes = {
        let resp = tower::ServiceExt::oneshot(
            w.router.clone(),
            request(a_admin, "GET", &export, None, Vec::new()),
        )
        .await
        .unwrap();
        http_body_util::BodyExt::collect(resp.into_body())
            .await
            .unwrap()
            .to_bytes()
    };
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
