//! Hostile and malformed input: oversize bodies, injection-shaped values, malformed files and JSON, forged forms.

mod common;

use canhgac_store::AssetQuery;
use common::{multipart, request, send, world};

#[tokio::test]
async fn oversized_bodies_get_413() {
    let w = world().await;
    let admin = &w.a[0];
    let big = vec![b'x'; 2 * 1024 * 1024];
    let (status, _, text) = send(
        &w.router,
        request(admin, "POST", "/api/v1/assets", Some("application/json"), big),
    )
    .await;
    assert_eq!(status, 413, "{text}");
    let huge = vec![b'a'; 17 * 1024 * 1024];
    let (status, _, _) = send(
        &w.router,
        request(
            admin,
            "POST",
            "/api/v1/assets/import",
            Some("text/csv"),
            huge.clone(),
        ),
    )
    .await;
    assert_eq!(status, 413);
    let (ct, body) = multipart(&[("csrf", &admin.csrf)], "big.csv", &huge);
    let (status, _, _) = send(
        &w.router,
        request(admin, "POST", "/assets/import", Some(&ct), body),
    )
    .await;
    assert_eq!(status, 413);
    let form = format!("csrf={}&hostname={}", admin.csrf, "x".repeat(2 * 1024 * 1024));
    let (status, _, _) = send(
        &w.router,
        request(
            admin,
            "POST",
            "/assets",
            Some("application/x-www-form-urlencoded"),
            form.into_bytes(),
        ),
    )
    .await;
    assert_eq!(status, 413);
}

#[tokio::test]
async fn html_is_escaped_and_sql_shaped_values_are_plain_text() {
    let w = world().await;
    let admin = &w.a[0];
    let body = serde_json::json!({
        "hostname": "<script>alert(1)</script>",
        "location": "'; DROP TABLE assets; --",
        "owner": "\" onmouseover=\"alert(2)",
    });
    let (status, _, text) = send(
        &w.router,
        request(
            admin,
            "POST",
            "/api/v1/assets",
            Some("application/json"),
            body.to_string().into_bytes(),
        ),
    )
    .await;
    assert_eq!(status, 201, "{text}");
    let (_, _, page) = send(
        &w.router,
        request(admin, "GET", "/assets?q=drop+table", None, Vec::new()),
    )
    .await;
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
        "escaped in the list"
    );
    assert!(!page.contains("<script>alert(1)"), "never raw");
    assert!(
        page.contains("DROP TABLE assets"),
        "the SQL-shaped value is stored and found as text"
    );
    let id = serde_json::from_str::<serde_json::Value>(&text).unwrap()["id"]
        .as_i64()
        .unwrap();
    let (_, _, form) = send(
        &w.router,
        request(admin, "GET", &format!("/assets/{id}"), None, Vec::new()),
    )
    .await;
    assert!(
        !form.contains("\" onmouseover=\"alert(2)"),
        "attribute values are escaped"
    );
    let admin_actor = w.a[0].actor.unwrap();
    assert_eq!(
        w.store
            .assets(&admin_actor, &AssetQuery::default())
            .await
            .unwrap()
            .total,
        2,
        "the table is intact"
    );
}

#[tokio::test]
async fn malformed_json_and_wrong_types_get_clear_errors() {
    let w = world().await;
    let admin = &w.a[0];
    for (body, code) in [
        ("{not json", "bad_json"),
        (r#"{"hostname": 5}"#, "bad_json"),
        (r#"{"hostname": ""}"#, "invalid"),
    ] {
        let (status, _, text) = send(
            &w.router,
            request(
                admin,
                "POST",
                "/api/v1/assets",
                Some("application/json"),
                body.into(),
            ),
        )
        .await;
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(status == 400 || status == 422, "{body}: {status}");
        assert_eq!(v["error"]["code"], code, "{body}: {text}");
    }
    let (_, _, text) = send(
        &w.router,
        request(
            admin,
            "POST",
            "/api/v1/assets",
            Some("application/json"),
            br#"{"hostname":"h","ips":"1.2.3.999"}"#.to_vec(),
        ),
    )
    .await;
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["error"]["fields"][0]["field"], "ips");
    assert_eq!(v["error"]["fields"][0]["value"], "1.2.3.999");
}

#[tokio::test]
async fn malformed_spreadsheets_are_refused_with_reasons() {
    let w = world().await;
    let admin = &w.a[0];
    for (name, bytes, expect) in [
        ("a.xlsx", b"PK\x03\x04 not really a zip".to_vec(), "XLSX"),
        ("a.csv", b"".to_vec(), "empty"),
        ("a.csv", b"col1,col2\n1,2\n".to_vec(), "Hostname"),
    ] {
        let uri = format!("/api/v1/assets/import?file_name={name}");
        let (status, _, text) = send(
            &w.router,
            request(admin, "POST", &uri, Some("application/octet-stream"), bytes),
        )
        .await;
        assert_eq!(status, 422, "{name}: {text}");
        assert!(text.contains(expect), "{name}: {text}");
    }
    // One bad row: reported with its line; nothing is written, so the file can be fixed and sent again whole.
    let csv = "Tên máy,Địa chỉ IP\nGOOD-1,10.0.0.1\nBAD-2,10.0.0.300\n";
    let (status, _, text) = send(
        &w.router,
        request(
            admin,
            "POST",
            "/api/v1/assets/import?file_name=a.csv",
            Some("text/csv"),
            csv.into(),
        ),
    )
    .await;
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (v["valid_rows"].as_i64(), v["imported"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(v["errors"][0]["line"], 3);
    assert_eq!(v["errors"][0]["field"], "ips");
}

#[tokio::test]
async fn forms_without_the_csrf_token_change_nothing() {
    let w = world().await;
    let admin = &w.a[0];
    let form = "hostname=FORGED&csrf=wrong";
    let (status, _, _) = send(
        &w.router,
        request(
            admin,
            "POST",
            "/assets",
            Some("application/x-www-form-urlencoded"),
            form.into(),
        ),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _, _) = send(
        &w.router,
        request(
            admin,
            "POST",
            "/assets",
            Some("application/x-www-form-urlencoded"),
            b"hostname=FORGED".to_vec(),
        ),
    )
    .await;
    assert_eq!(status, 403);
    let total = w
        .store
        .assets(&admin.actor.unwrap(), &AssetQuery::default())
        .await
        .unwrap()
        .total;
    assert_eq!(total, 1, "only the world's own asset");
}

#[tokio::test]
async fn field_errors_are_shown_next_to_the_field_in_the_users_language() {
    let w = world().await;
    let admin = &w.a[0];
    let form = format!("csrf={}&hostname=PC-1&ips=10.0.0.999", admin.csrf);
    let (status, _, page) = send(
        &w.router,
        request(
            admin,
            "POST",
            "/assets",
            Some("application/x-www-form-urlencoded"),
            form.clone().into_bytes(),
        ),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        page.contains(r#"data-test="error-ips">Địa chỉ IP không hợp lệ: 10.0.0.999"#),
        "{page}"
    );
    let mut en = admin.clone();
    en.cookie = format!("{}; cg_lang=en", en.cookie);
    let (_, _, page) = send(
        &w.router,
        request(
            &en,
            "POST",
            "/assets",
            Some("application/x-www-form-urlencoded"),
            form.into_bytes(),
        ),
    )
    .await;
    assert!(page.contains(r#"data-test="error-ips">Invalid IP address: 10.0.0.999"#));
}

#[test]
fn every_text_is_translated_in_both_languages() {
    let i18n = canhgac_server::i18n::I18n::embedded().unwrap();
    assert_eq!(
        i18n.keys("vi"),
        i18n.keys("en"),
        "vi.toml and en.toml have the same keys"
    );
    // Every literal key used by a template exists.
    let re = regex::Regex::new(r#"t\("([a-z_]+\.[a-z_0-9]+)"\)"#).unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let keys = i18n.keys("vi");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for cap in re.captures_iter(&text) {
            assert!(
                keys.contains(&&cap[1]),
                "{}: missing translation {}",
                path.display(),
                &cap[1]
            );
        }
    }
}
