//! The agent API and the `/agents` page: enrollment over HTTP (a token works once), inventory and heartbeat with
//! the agent's credential, the page showing a new token once and the agents of the unit, revocation turning the
//! credential away.

mod common;

use common::{request, send, world, Who};
use serde_json::{json, Value};

fn agent_caller(credential: &str) -> Who {
    Who {
        name: "agent".into(),
        actor: None,
        cookie: String::new(),
        csrf: String::new(),
        token: credential.into(),
    }
}

#[tokio::test]
async fn enroll_report_page_and_revoke() {
    let w = world().await;
    let a_admin = w.a[0].clone();
    let json_ct = Some("application/json");

    // A token made on the page is shown once.
    let form = serde_urlencoded::to_string([
        ("csrf", a_admin.csrf.as_str()),
        ("label", "ward 5"),
        ("hours", "2"),
    ])
    .unwrap();
    let (status, _, page) = send(
        &w.router,
        request(
            &a_admin,
            "POST",
            "/agents/tokens",
            Some("application/x-www-form-urlencoded"),
            form.into_bytes(),
        ),
    )
    .await;
    assert_eq!(status, 201, "{page}");
    let token = page
        .split("cge_")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .map(|s| format!("cge_{s}"))
        .unwrap();
    // Without the CSRF token nothing is created.
    let (status, _, _) = send(
        &w.router,
        request(
            &a_admin,
            "POST",
            "/agents/tokens",
            Some("application/x-www-form-urlencoded"),
            b"label=x".to_vec(),
        ),
    )
    .await;
    assert_eq!(status, 403);

    // Enrollment: the token works once; a bad host name is named.
    let nobody = agent_caller("");
    let body = |t: &str, h: &str| json!({"token": t, "hostname": h}).to_string().into_bytes();
    let (status, _, text) = send(
        &w.router,
        request(&nobody, "POST", "/api/v1/agent/enroll", json_ct, body(&token, "")),
    )
    .await;
    assert_eq!(status, 422, "{text}");
    assert!(text.contains("\"hostname\""), "{text}");
    let (status, _, text) = send(
        &w.router,
        request(
            &nobody,
            "POST",
            "/api/v1/agent/enroll",
            json_ct,
            body(&token, "ws-ward5"),
        ),
    )
    .await;
    assert_eq!(status, 201, "{text}");
    let enrolled: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(enrolled["unit_id"], w.unit_a);
    let credential = enrolled["credential"].as_str().unwrap().to_string();
    let (status, _, _) = send(
        &w.router,
        request(
            &nobody,
            "POST",
            "/api/v1/agent/enroll",
            json_ct,
            body(&token, "ws-other"),
        ),
    )
    .await;
    assert_eq!(status, 401, "a used token is refused");

    // The agent reports with its credential; anything else is refused.
    let agent = agent_caller(&credential);
    let inventory = json!({
        "schema": "canhgac.inventory/1", "hostname": "ws-ward5",
        "os": {"name": "Windows 11 Pro", "version": "10.0.22631"},
        "interfaces": [{"name": "Ethernet", "mac": "02-00-00-00-05-05", "addresses": ["10.1.5.5"]}]
    });
    let (status, _, text) = send(
        &w.router,
        request(
            &agent,
            "POST",
            "/api/v1/agent/inventory",
            json_ct,
            inventory.to_string().into_bytes(),
        ),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let outcome: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(outcome["created"], true);
    let (status, _, _) = send(
        &w.router,
        request(&agent, "POST", "/api/v1/agent/heartbeat", None, Vec::new()),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _, _) = send(
        &w.router,
        request(
            &agent_caller("cga_forged"),
            "POST",
            "/api/v1/agent/heartbeat",
            None,
            Vec::new(),
        ),
    )
    .await;
    assert_eq!(status, 401);
    // A person's API token is not an agent credential.
    let (status, _, _) = send(
        &w.router,
        request(&a_admin, "POST", "/api/v1/agent/heartbeat", None, Vec::new()),
    )
    .await;
    assert_eq!(status, 401);

    // The page lists the agent, online, with its asset.
    let (status, _, page) = send(&w.router, request(&a_admin, "GET", "/agents", None, Vec::new())).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("ws-ward5") && page.contains("data-test=\"agent-online\""),
        "{page}"
    );
    assert!(
        page.contains(&format!("/assets/{}", outcome["asset_id"])),
        "asset link"
    );
    assert!(!page.contains(&token), "a token is shown only when created");
    // The asset's page says its agent is online.
    let (status, _, page) = send(
        &w.router,
        request(
            &a_admin,
            "GET",
            &format!("/assets/{}", outcome["asset_id"]),
            None,
            Vec::new(),
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert!(page.contains("data-test=\"asset-agent\""), "{page}");

    // Revoked on the page: the credential is turned away.
    let id = enrolled["agent_id"].as_i64().unwrap();
    let form = serde_urlencoded::to_string([("csrf", a_admin.csrf.as_str())]).unwrap();
    let (status, _, _) = send(
        &w.router,
        request(
            &a_admin,
            "POST",
            &format!("/agents/{id}/revoke"),
            Some("application/x-www-form-urlencoded"),
            form.into_bytes(),
        ),
    )
    .await;
    assert_eq!(status, 303);
    let (status, _, _) = send(
        &w.router,
        request(&agent, "POST", "/api/v1/agent/heartbeat", None, Vec::new()),
    )
    .await;
    assert_eq!(status, 401, "a revoked agent is refused");
}
