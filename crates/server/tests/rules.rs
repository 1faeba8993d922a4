//! The rules page and API over a running detector: the loaded rules searched and paged, switched off network-wide
//! by the Department and for its own unit by a unit's administrator, written rules refused with their problems and
//! stored when they compile.

mod common;

use canhgac_ingest::IngestConfig;
use canhgac_model::UnitId;
use canhgac_server::{app, AppState};
use common::{multipart, request, send, sigma_rule, world};

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    serde_urlencoded::to_string(pairs).unwrap().into_bytes()
}

const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

#[tokio::test]
async fn rules_page_lists_switches_and_takes_written_rules() {
    let w = world().await;
    let dir = tempfile::tempdir().unwrap();
    let tagged = "title: Encoded PowerShell\nid: 9f0e6c1a-0000-4000-8000-00000000beef\nlevel: high\n\
                  tags: [attack.execution, attack.t1059.001]\n\
                  logsource: {product: windows, category: process_creation}\n\
                  detection:\n  sel:\n    CommandLine|contains: ' -enc '\n  condition: sel\n";
    std::fs::write(dir.path().join("a.yml"), tagged).unwrap();
    std::fs::write(dir.path().join("b.yml"), sigma_rule("Whoami run")).unwrap();
    let config = IngestConfig {
        rules: vec![dir.path().to_path_buf()],
        detection_off: true,
        ..Default::default()
    };
    let ingest = canhgac_ingest::start(w.store.clone(), config).await.unwrap();
    let router = app(AppState::new(w.store.clone(), false).unwrap().with_ingest(ingest));
    let a_admin = &w.a[0];
    let viewer = &w.a[2];

    // Loaded rules, searched by tag, id and title.
    let (status, _, text) = send(&router, request(viewer, "GET", "/api/v1/rules", None, vec![])).await;
    assert_eq!(status, 200, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    // The two files' rules and the rule A wrote; not the one B wrote for itself.
    assert_eq!(
        (v["running"].as_bool(), v["total"].as_u64()),
        (Some(true), Some(3))
    );
    assert!(text.contains("A whoami") && !text.contains("SECRETB"), "{text}");
    for q in ["t1059", "00000000beef", "encoded"] {
        let uri = format!("/api/v1/rules?q={q}");
        let (_, _, text) = send(&router, request(viewer, "GET", &uri, None, vec![])).await;
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["total"], 1, "{q}: {text}");
        assert_eq!(v["items"][0]["level"], "high");
    }
    let (_, _, page) = send(&router, request(viewer, "GET", "/rules?q=whoami", None, vec![])).await;
    assert!(page.contains("Whoami run") && !page.contains("Encoded PowerShell"));
    assert!(
        !page.contains("data-test=\"rule-disable\""),
        "a viewer changes nothing"
    );

    // The Department switches the tagged rule off network-wide from the page (CSRF checked).
    let key = "9f0e6c1a-0000-4000-8000-00000000beef";
    let body = form(&[
        ("rule_id", key),
        ("enabled", "0"),
        ("unit", ""),
        ("csrf", "wrong"),
    ]);
    let (status, _, _) = send(&router, request(&w.dept, "POST", "/rules/settings", FORM, body)).await;
    assert_eq!(status, 403);
    let body = form(&[
        ("csrf", &w.dept.csrf),
        ("rule_id", key),
        ("enabled", "0"),
        ("unit", ""),
        ("reason", "too noisy"),
    ]);
    let (status, _, _) = send(&router, request(&w.dept, "POST", "/rules/settings", FORM, body)).await;
    assert_eq!(status, 303);
    // A's administrator switches the other one off for A only.
    let body = form(&[
        ("csrf", &a_admin.csrf),
        ("rule_id", "Whoami run"),
        ("enabled", "0"),
    ]);
    let (status, _, _) = send(&router, request(a_admin, "POST", "/rules/settings", FORM, body)).await;
    assert_eq!(status, 303);
    let mut disabled = w.store.disabled_rules().await.unwrap();
    // B's own fixture setting aside.
    disabled.retain(|(u, _)| *u != Some(UnitId(w.unit_b)));
    disabled.sort();
    assert_eq!(
        disabled,
        vec![
            (None, key.to_string()),
            (Some(UnitId(w.unit_a)), "Whoami run".to_string())
        ]
    );
    let (_, _, page) = send(&router, request(a_admin, "GET", "/rules", None, vec![])).await;
    assert!(page.contains("too noisy"), "the network-wide reason is shown");
    // Not network-wide for a unit's administrator (API).
    let json = serde_json::json!({"rule_id": "Whoami run", "enabled": false, "network": true}).to_string();
    let (status, _, _) = send(
        &router,
        request(
            a_admin,
            "POST",
            "/api/v1/rules/settings",
            Some("application/json"),
            json.into_bytes(),
        ),
    )
    .await;
    assert_eq!(status, 403);

    // A written rule that does not compile: refused, every problem listed with its place, the text kept.
    let bad = "title: Broken\nlogsource: {product: windows}\ndetection:\n  sel:\n    a: b\n  condition: sel and nothere\n";
    let fields = [("csrf", a_admin.csrf.as_str()), ("name", "broken")];
    let (ct, body) = multipart(&fields, "broken.yml", bad.as_bytes());
    let (status, _, page) = send(
        &router,
        request(a_admin, "POST", "/rules/custom", Some(&ct), body),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("data-test=\"rule-errors\"") && page.contains("document 1"),
        "{page}"
    );
    assert!(page.contains("nothere"));
    // Through the API: a good one is stored for A, then its next version.
    for (i, title) in ["Mine", "Mine v2"].iter().enumerate() {
        let json = serde_json::json!({"name": "mine", "yaml": sigma_rule(title)}).to_string();
        let (status, _, text) = send(
            &router,
            request(
                a_admin,
                "POST",
                "/api/v1/rules/custom",
                Some("application/json"),
                json.into_bytes(),
            ),
        )
        .await;
        assert_eq!(status, 201, "{text}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["version"], i as i64 + 1);
        assert_eq!(v["unit_id"], w.unit_a);
    }
    let (_, _, page) = send(&router, request(a_admin, "GET", "/rules", None, vec![])).await;
    assert!(page.contains("Mine v2"));
    assert!(!page.contains("SECRETB"), "B's rules are not A's business");
}
