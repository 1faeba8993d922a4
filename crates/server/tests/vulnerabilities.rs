//! Vulnerabilities through the console and the API: advisory import (several files, a broken one named), a
//! national warning by form and by CSV, the view's exposed hosts per scope, decisions on a finding with CSRF,
//! an inventory that proves the fix, XLSX export.

mod common;

use common::{multipart, request, send, systeminfo, world, CVRF, SECRET};

/// Several files in one multipart body under `files`.
fn files_body(csrf: &str, files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "vulnboundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n").as_bytes(),
    );
    for (name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn form(pairs: &[(&str, &str)]) -> (Option<&'static str>, Vec<u8>) {
    (
        Some("application/x-www-form-urlencoded"),
        serde_urlencoded::to_string(pairs).unwrap().into_bytes(),
    )
}

/// The number in `data-test="{name}">N<`.
fn count(text: &str, name: &str) -> i64 {
    let marker = format!("data-test=\"{name}\">");
    let at = text
        .find(&marker)
        .unwrap_or_else(|| panic!("{name} missing in {text}"))
        + marker.len();
    text[at..].split('<').next().unwrap().trim().parse().unwrap()
}

#[tokio::test]
async fn warning_view_decisions_inventory_and_export() {
    let w = world().await;
    let dept = &w.dept;
    let a_admin = &w.a[0];
    // A second month and a truncated file in one upload: the good one kept, the bad one named.
    let feb = CVRF
        .replace("2099-Jan", "2099-Feb")
        .replace("CVE-2099-0001", "CVE-2099-0003");
    let (ct, body) = files_body(
        &dept.csrf,
        &[
            ("2099-Feb.xml", feb.as_bytes()),
            ("cut.xml", &CVRF.as_bytes()[..200]),
        ],
    );
    let (status, _, text) = send(
        &w.router,
        request(dept, "POST", "/vulnerabilities/advisories", Some(&ct), body),
    )
    .await;
    assert_eq!(status, 422, "{text}");
    assert!(text.contains("2099-Feb.xml</b>: đã nhập"), "{text}");
    assert!(
        text.contains("cut.xml</b>: Không đọc được tệp bản tin lỗ hổng: cut.xml"),
        "{text}"
    );
    assert_eq!(w.store.advisory_feeds().await.unwrap().len(), 2);
    // Every unit's findings are recomputed in the background: February's CVE reaches A's host once it is done.
    w.knowledge.settled().await;
    assert_eq!(w.knowledge.recomputing_since(), None);
    let a_findings = w
        .store
        .host_findings(a_admin.actor.as_ref().unwrap(), canhgac_model::AssetId(w.asset_a))
        .await
        .unwrap();
    assert!(
        a_findings
            .iter()
            .any(|f| f.cve == "CVE-2099-0003" && f.state == "vulnerable"),
        "{a_findings:?}"
    );
    let (_, _, text) = send(
        &w.router,
        request(dept, "GET", "/vulnerabilities", None, Vec::new()),
    )
    .await;
    assert!(!text.contains("data-test=\"recomputing\""), "{text}");
    // The same bytes again through the API: stored once.
    let (status, _, text) = send(
        &w.router,
        request(
            dept,
            "POST",
            "/api/v1/vulnerabilities/advisories?name=again.xml",
            Some("application/xml"),
            CVRF.as_bytes().to_vec(),
        ),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("\"created\":false"), "{text}");
    let (status, _, _) = send(
        &w.router,
        request(
            a_admin,
            "POST",
            "/api/v1/vulnerabilities/advisories?name=x.xml",
            Some("application/xml"),
            feb.into_bytes(),
        ),
    )
    .await;
    assert_eq!(status, 403);

    // A national warning by form: bad CVE refused with its message, then created.
    let (ct, body) = form(&[
        ("csrf", &dept.csrf),
        ("number", "1664/CATTT-NCSC"),
        ("cves", "CVE-2099-0001 bogus"),
    ]);
    let (status, _, text) = send(
        &w.router,
        request(dept, "POST", "/vulnerabilities/warnings", ct, body),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        text.contains("Không phải mã CVE (CVE-YYYY-NNNN): bogus"),
        "{text}"
    );
    let (ct, body) = form(&[
        ("csrf", &dept.csrf),
        ("number", "1664/CATTT-NCSC"),
        ("title", "Windows kernel"),
        ("cves", "CVE-2099-0001"),
        ("deadline", "2099-02-01"),
    ]);
    let (status, resp, _) = send(
        &w.router,
        request(dept, "POST", "/vulnerabilities/warnings", ct, body),
    )
    .await;
    assert_eq!(status, 303);
    let view = resp
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(view.starts_with("/vulnerabilities/view?key=warning:"), "{view}");
    let (_, _, text) = send(&w.router, request(dept, "GET", &view, None, Vec::new())).await;
    assert_eq!(
        (count(&text, "exposed-hosts"), count(&text, "exposed-units")),
        (2, 2),
        "{text}"
    );
    assert!(text.contains("SECRETB-HOST"));
    let (_, _, text) = send(&w.router, request(a_admin, "GET", &view, None, Vec::new())).await;
    assert_eq!(
        (count(&text, "exposed-hosts"), count(&text, "exposed-units")),
        (1, 1)
    );
    assert!(!text.contains(SECRET));
    // Warnings from CSV: one created, a bad line named.
    let csv = "Số hiệu;Mã CVE;Hạn khắc phục\n1700/CATTT-NCSC;CVE-2099-0003;01/03/2099\n1701/CATTT-NCSC;x;\n";
    let (ct, body) = multipart(&[("csrf", &dept.csrf)], "w.csv", csv.as_bytes());
    let (status, _, text) = send(
        &w.router,
        request(dept, "POST", "/vulnerabilities/warnings/import", Some(&ct), body),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("Tạo mới: <b>1</b>"), "{text}");
    assert!(text.contains("<td>3</td><td>CVE</td>"), "{text}");

    // Decisions on A's finding: CSRF checked, reason and expiry required for an accepted risk.
    let finding = format!("/vulnerabilities/findings/{}", w.finding_a);
    let (_, _, text) = send(&w.router, request(a_admin, "GET", &finding, None, Vec::new())).await;
    assert!(
        text.contains("Windows 10 Version 22H2 for x64-based Systems"),
        "evidence shown: {text}"
    );
    let status_uri = format!("{finding}/status");
    let (ct, body) = form(&[("csrf", "wrong"), ("status", "in_progress")]);
    assert_eq!(
        send(&w.router, request(a_admin, "POST", &status_uri, ct, body))
            .await
            .0,
        403
    );
    let (ct, body) = form(&[
        ("csrf", &a_admin.csrf),
        ("status", "risk_accepted"),
        ("reason", "isolated"),
    ]);
    let (status, _, text) = send(&w.router, request(a_admin, "POST", &status_uri, ct, body)).await;
    assert_eq!(status, 422);
    assert!(text.contains("data-test=\"error-expires_on\""), "{text}");
    let (ct, body) = form(&[
        ("csrf", &a_admin.csrf),
        ("status", "risk_accepted"),
        ("reason", "isolated"),
        ("expires_on", "2099-12-31"),
    ]);
    assert_eq!(
        send(&w.router, request(a_admin, "POST", &status_uri, ct, body))
            .await
            .0,
        303
    );
    let (_, _, text) = send(&w.router, request(dept, "GET", &view, None, Vec::new())).await;
    assert_eq!(
        (count(&text, "exposed-hosts"), count(&text, "exposed-units")),
        (1, 1)
    );

    // B's host gets an inventory with the fixing KB: verified fixed, nothing exposed.
    let (ct, body) = multipart(
        &[("csrf", &dept.csrf)],
        "b.txt",
        &systeminfo("SECRETB-HOST", &["KB5000002"]),
    );
    let uri = format!("/assets/{}/inventory", w.asset_b);
    let (status, _, text) = send(&w.router, request(dept, "POST", &uri, Some(&ct), body)).await;
    assert_eq!(status, 303, "{text}");
    let (_, _, text) = send(
        &w.router,
        request(
            dept,
            "GET",
            &format!("/assets/{}/vulnerabilities", w.asset_b),
            None,
            Vec::new(),
        ),
    )
    .await;
    assert!(
        text.contains("vs-remediated") && text.contains("Đã khắc phục"),
        "{text}"
    );
    let (_, _, text) = send(&w.router, request(dept, "GET", &view, None, Vec::new())).await;
    assert_eq!(
        (count(&text, "exposed-hosts"), count(&text, "exposed-units")),
        (0, 0)
    );
    // A bad inventory is refused with its message.
    let (ct, body) = multipart(&[("csrf", &dept.csrf)], "empty.txt", b" \r\n");
    let (status, _, text) = send(&w.router, request(dept, "POST", &uri, Some(&ct), body)).await;
    assert_eq!(status, 422);
    assert!(text.contains("Không đọc được tệp kiểm kê máy"), "{text}");

    // The view as a workbook.
    let key = view.trim_start_matches("/vulnerabilities/view?key=");
    let (status, resp, _) = send(
        &w.router,
        request(
            dept,
            "GET",
            &format!("/vulnerabilities/export?key={key}"),
            None,
            Vec::new(),
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        resp.headers().get("content-type").unwrap(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    // A's administrator shortens A's time to fix; B's is out of reach; a bad value is refused.
    let (ct, body) = form(&[
        ("csrf", &a_admin.csrf),
        ("critical", "3"),
        ("high", "20"),
        ("medium", "60"),
        ("low", "90"),
    ]);
    let uri = format!("/vulnerabilities/units/{}/sla", w.unit_a);
    assert_eq!(
        send(&w.router, request(a_admin, "POST", &uri, ct, body)).await.0,
        303
    );
    let a_unit = canhgac_model::UnitId(w.unit_a);
    assert_eq!(
        w.store
            .sla(&w.dept.actor.unwrap(), a_unit)
            .await
            .unwrap()
            .critical,
        3
    );
    let (ct, body) = form(&[
        ("csrf", &a_admin.csrf),
        ("critical", "0"),
        ("high", "20"),
        ("medium", "60"),
        ("low", "90"),
    ]);
    assert_eq!(
        send(&w.router, request(a_admin, "POST", &uri, ct, body)).await.0,
        422
    );
    let (ct, body) = form(&[
        ("csrf", &a_admin.csrf),
        ("critical", "1"),
        ("high", "1"),
        ("medium", "1"),
        ("low", "1"),
    ]);
    let b_uri = format!("/vulnerabilities/units/{}/sla", w.unit_b);
    assert_eq!(
        send(&w.router, request(a_admin, "POST", &b_uri, ct, body))
            .await
            .0,
        404
    );
    // The API: views and findings in scope.
    let (_, _, text) = send(
        &w.router,
        request(a_admin, "GET", "/api/v1/vulnerabilities/views", None, Vec::new()),
    )
    .await;
    let views: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(views
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["name"] == "1664/CATTT-NCSC"));
    let (_, _, text) = send(
        &w.router,
        request(
            a_admin,
            "GET",
            "/api/v1/vulnerabilities/findings",
            None,
            Vec::new(),
        ),
    )
    .await;
    let open: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(open
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["hostname"] != "SECRETB-HOST"));
}
