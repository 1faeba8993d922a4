//! Walks every route of the route table, for every role of unit A and for an anonymous visitor, aimed at unit B's
//! records, and fails if any response carries B's data or any of B's data changes. New routes are covered because
//! the list comes from the router's own table.

mod common;

use canhgac_model::{AssetId, UnitId};
use canhgac_server::{route_table, Access};
use canhgac_store::AssetQuery;
use common::{multipart, request, send, world, Who, World, SECRET};

/// The path with its parameters pointing at unit B's records (or at A's, with `own`).
fn concrete(w: &World, path: &str, own: bool) -> String {
    let (unit, asset, range, user, shift, alert, item) = if own {
        (
            w.unit_a, w.asset_a, w.range_a, w.user_a, w.shift_a, w.alert_a, w.item_a,
        )
    } else {
        (
            w.unit_b, w.asset_b, w.range_b, w.user_b, w.shift_b, w.alert_b, w.item_b,
        )
    };
    let (source, event) = if own {
        (w.source_a, w.event_a)
    } else {
        (w.source_b, w.event_b)
    };
    let (agent, enroll_token) = if own {
        (w.agent_a, w.enroll_token_a)
    } else {
        (w.agent_b, w.enroll_token_b)
    };
    let finding = if own { w.finding_a } else { w.finding_b };
    let custom_rule = if own { w.custom_rule_a } else { w.custom_rule_b };
    let id = if path.contains("/detections/") {
        w.detection_b
    } else if path.contains("/agents/tokens/") {
        enroll_token
    } else if path.contains("/agents/") {
        agent
    } else if path.contains("/rules/") {
        custom_rule
    } else if path.contains("/findings/") {
        finding
    } else if path.contains("/warnings/") {
        w.warning
    } else if path.contains("/sources/") {
        source
    } else if path.contains("/events/") {
        event
    } else if path.contains("/botnet/") {
        item
    } else if path.contains("/alerts/") {
        alert
    } else if path.contains("/duty/") {
        shift
    } else if path.contains("/units/") {
        unit
    } else if path.contains("/assets/") {
        asset
    } else if path.contains("/users/") {
        user
    } else {
        w.contact
    };
    path.replace("{id}", &id.to_string())
        .replace("{rid}", &range.to_string())
        .replace("{file}", "app.css")
        .replace("{code}", "en")
}

/// A hostile body aimed at unit B: every field any form or endpoint reads.
fn body(w: &World, who: &Who, path: &str, access: Access) -> (Option<String>, Vec<u8>) {
    let b = w.unit_b.to_string();
    if path.ends_with("/assets/import") {
        let csv = b"hostname,ip\nINTRUDER-1,10.9.9.9\n";
        if access == Access::Token {
            return (Some("text/csv".into()), csv.to_vec());
        }
        let (ct, body) = multipart(&[("csrf", &who.csrf), ("unit_id", &b)], "x.csv", csv);
        return (Some(ct), body);
    }
    if path.ends_with("/rules/custom") && access == Access::Session {
        let rule = common::sigma_rule("INTRUDER");
        let fields = [("csrf", who.csrf.as_str()), ("unit", &b), ("name", "INTRUDER")];
        let (ct, body) = multipart(&fields, "r.yml", rule.as_bytes());
        return (Some(ct), body);
    }
    if path.ends_with("/inventory") {
        let inv = b"Host Name: INTRUDER\r\nOS Name: Microsoft Windows 10 Pro\r\nOS Version: 10.0.19045 N/A Build 19045\r\n";
        if access == Access::Token {
            return (Some("text/plain".into()), inv.to_vec());
        }
        let (ct, body) = multipart(&[("csrf", &who.csrf)], "si.txt", inv);
        return (Some(ct), body);
    }
    if access == Access::Token {
        let json = serde_json::json!({
            "unit_id": w.unit_b, "hostname": "INTRUDER", "name": "INTRUDER", "code": "INTRUDE",
            "kind": "public_hospital", "cidr": "192.0.2.0/24", "username": "intruder", "display_name": "x",
            "role": "viewer", "active": false, "status": "retired",
            "user_id": w.user_b, "starts_at": 0, "ends_at": 3_600_000, "note": "INTRUDER",
            "first_day": "2024-02-09", "days": 1, "slots": "00:00-12:00", "people": [w.user_b],
            "title": "INTRUDER", "verdict": "benign", "remediation": "INTRUDER", "body": "INTRUDER",
            "reason": "INTRUDER", "rule_id": "rule-SECRETB-ALERT", "host": "SECRETB-ALERT-HOST",
            "state": "cleaned", "enabled": true, "yaml": common::sigma_rule("INTRUDER"),
        });
        return (Some("application/json".into()), json.to_string().into_bytes());
    }
    let payload = r#"[{"hostname":"INTRUDER"}]"#;
    let form = serde_urlencoded::to_string([
        ("csrf", who.csrf.as_str()),
        ("unit_id", &b),
        ("hostname", "INTRUDER"),
        ("name", "INTRUDER"),
        ("code", "INTRUDE"),
        ("kind", "public_hospital"),
        ("cidr", "192.0.2.0/24"),
        ("username", "intruder"),
        ("display_name", "x"),
        ("role", "viewer"),
        ("active", "0"),
        ("status", "retired"),
        ("payload", payload),
        ("current", "x"),
        ("new", "y"),
        ("confirm", "y"),
        ("user_id", &w.user_b.to_string()),
        ("starts_at", "2024-02-09T07:00"),
        ("ends_at", "2024-02-09T09:00"),
        ("note", "INTRUDER"),
        ("first_day", "2024-02-09"),
        ("days", "1"),
        ("slots", "00:00-12:00"),
        ("people", &w.user_b.to_string()),
        ("verdict", "benign"),
        ("remediation", "INTRUDER"),
        ("body", "INTRUDER"),
        ("reason", "INTRUDER"),
        ("rule_id", "rule-SECRETB-ALERT"),
        ("state", "cleaned"),
        ("token", "x"),
        ("unit", &b),
    ])
    .unwrap();
    (
        Some("application/x-www-form-urlencoded".into()),
        form.into_bytes(),
    )
}

#[tokio::test]
async fn no_route_leaks_or_changes_another_units_data() {
    let w = world().await;
    let mut routes = route_table();
    // Signing out ends the session the walk uses: do it last.
    routes.sort_by_key(|r| r.path == "/logout");
    assert!(
        routes.len() > 40,
        "the table lists every route ({})",
        routes.len()
    );
    let mut outsiders: Vec<Who> = w.a.clone();
    outsiders.push(w.anonymous.clone());
    let mut checked = 0;
    for who in &outsiders {
        for r in &routes {
            let path = concrete(&w, r.path, false);
            let uri = if r.method == "GET" {
                format!("{path}?unit_id={}", w.unit_b)
            } else {
                path.clone()
            };
            let (ct, body) = if r.method == "GET" || r.method == "DELETE" {
                (None, Vec::new())
            } else {
                body(&w, who, r.path, r.access)
            };
            let (status, resp, text) =
                send(&w.router, request(who, r.method, &uri, ct.as_deref(), body)).await;
            let ctx = format!("{} {} {uri} -> {status}", who.name, r.method);
            assert!(status < 500, "{ctx}: server error {text}");
            assert!(
                !text.contains(SECRET),
                "{ctx}: response carries unit B's data:\n{text}"
            );
            if who.actor.is_none() && r.access != Access::Public {
                let to_login = resp.headers().get("location").is_some_and(|l| l == "/login");
                assert!(
                    status == 401 || (status == 303 && to_login),
                    "{ctx}: anonymous not turned away"
                );
            }
            checked += 1;
        }
    }
    // Nothing of B changed.
    let admin = w.dept.actor.unwrap();
    let b_assets = w
        .store
        .assets(
            &admin,
            &AssetQuery {
                unit_id: Some(w.unit_b),
                status: "all".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(b_assets.items.len(), 1, "no asset was added to or removed from B");
    let asset = w.store.asset(&admin, AssetId(w.asset_b)).await.unwrap();
    assert_eq!(
        (asset.fields.hostname.as_str(), asset.status.as_str()),
        ("SECRETB-HOST", "active")
    );
    let ranges = w.store.unit_ranges(&admin, UnitId(w.unit_b)).await.unwrap();
    assert_eq!(
        ranges.iter().map(|r| r.cidr.as_str()).collect::<Vec<_>>(),
        ["198.51.100.0/24"]
    );
    assert_eq!(
        w.store.unit(&admin, UnitId(w.unit_b)).await.unwrap().name,
        "SECRETB Bệnh viện B"
    );
    let users = w.store.users(&admin, Some(UnitId(w.unit_b))).await.unwrap();
    assert_eq!(
        users
            .iter()
            .map(|u| (u.username.as_str(), u.active))
            .collect::<Vec<_>>(),
        [("secretb.admin", true)]
    );
    let b_shifts = w
        .store
        .shifts(&admin, UnitId(w.unit_b), 0, i64::MAX / 2)
        .await
        .unwrap();
    assert_eq!(
        b_shifts
            .iter()
            .map(|s| (s.id, s.user_id.0, s.handover.as_str()))
            .collect::<Vec<_>>(),
        [(w.shift_b, w.user_b, "SECRETB handover")],
        "B's roster is untouched"
    );
    let b_item = w.store.botnet_item(&admin, w.item_b).await.unwrap();
    assert_eq!(
        b_item.state,
        canhgac_store::ItemState::New,
        "B's remediation item is untouched"
    );
    assert_eq!(
        w.store.lists().await.unwrap().len(),
        1,
        "no list was imported by anyone but the Department"
    );
    assert!(
        w.store.item_comments(&admin, w.item_b).await.unwrap().is_empty(),
        "nobody commented on B's item"
    );
    assert!(
        w.store.warning_lists(&admin).await.unwrap().is_empty(),
        "warning lists are the Department's alone"
    );
    let b_sources = w.store.event_sources(&admin).await.unwrap();
    let b_source = b_sources.iter().find(|s| s.id == w.source_b).unwrap();
    assert!(
        b_source.active && b_source.name == "SECRETB firewall",
        "B's event source is untouched"
    );
    assert_eq!(
        b_sources.len(),
        4,
        "no source was added to anyone's unit (a syslog source and an agent's source each)"
    );
    let b_agent = w.store.agent(&admin, w.agent_b).await.unwrap();
    assert!(
        b_agent.revoked_at.is_none() && b_agent.hostname == "SECRETB-AGENT-HOST",
        "B's agent is untouched"
    );
    let b_tokens = w.store.enrollment_tokens(&admin).await.unwrap();
    let b_token = b_tokens.iter().find(|t| t.id == w.enroll_token_b).unwrap();
    assert!(
        b_token.revoked_at.is_none() && b_token.used_at.is_none(),
        "B's enrollment token is untouched"
    );
    assert_eq!(
        b_tokens.len(),
        4,
        "no enrollment token was created by an outsider"
    );
    let b_event = w.store.event(&admin, w.event_b).await.unwrap();
    assert_eq!(b_event.event.host, "SECRETB-EV-HOST", "B's event is untouched");
    let b_alert = w.store.alert(&admin, w.alert_b).await.unwrap();
    assert_eq!(
        (b_alert.status.as_str(), b_alert.assignee, b_alert.count),
        ("new", None, 1),
        "B's alert is untouched"
    );
    assert!(w
        .store
        .alert_comments(&admin, w.alert_b)
        .await
        .unwrap()
        .is_empty());
    assert!(
        w.store.suppressions(&admin).await.unwrap().is_empty(),
        "no suppression was slipped in for B or for everyone"
    );
    let b_alerts = w
        .store
        .alerts(
            &admin,
            &canhgac_store::AlertQuery {
                unit_id: Some(w.unit_b),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        b_alerts.total, 2,
        "no alert was reported into B (its own and its scan detection's)"
    );
    assert_eq!(
        w.store.contacts().await.unwrap().len(),
        3,
        "contacts are the Department's alone"
    );
    let b_finding = w.store.finding(&admin, w.finding_b).await.unwrap();
    assert_eq!(
        (b_finding.status, b_finding.reason.as_str()),
        (canhgac_store::FindingStatus::Open, ""),
        "B's finding is untouched"
    );
    assert!(
        w.store
            .latest_inventory(&admin, AssetId(w.asset_b))
            .await
            .unwrap()
            .is_some_and(|i| i.file_name == "si.txt"),
        "no inventory was attached to B's host"
    );
    assert_eq!(
        w.store.advisory_feeds().await.unwrap().len(),
        1,
        "advisories are the Department's alone"
    );
    assert_eq!(
        w.store.sla(&admin, UnitId(w.unit_b)).await.unwrap(),
        canhgac_store::Sla::default(),
        "B's time to fix is untouched"
    );
    assert_eq!(
        w.store
            .warnings_list()
            .await
            .unwrap()
            .iter()
            .map(|x| (x.id, x.cves.clone()))
            .collect::<Vec<_>>(),
        [(w.warning, vec!["CVE-2099-0001".to_string()])],
        "national warnings are the Department's alone"
    );
    let b_rules: Vec<_> = w
        .store
        .custom_rules_for(&admin, true)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.unit_id != Some(UnitId(w.unit_a)))
        .map(|r| (r.id, r.name, r.active))
        .collect();
    assert_eq!(
        b_rules,
        [(w.custom_rule_b, "SECRETB whoami".to_string(), true)],
        "B's written rules are untouched and nobody wrote one for B or the network"
    );
    let settings: Vec<_> = w
        .store
        .rule_settings(&admin)
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.unit_id != Some(UnitId(w.unit_a)))
        .map(|s| (s.unit_id, s.rule_id, s.enabled))
        .collect();
    assert_eq!(
        settings,
        [(Some(UnitId(w.unit_b)), "SECRETB-RULE".to_string(), false)],
        "no rule was switched for B or the network"
    );
    assert_eq!(
        w.store.scan_tasks(&admin, None, 100).await.unwrap().len(),
        1,
        "no scan task was created by an outsider"
    );
    assert!(
        w.store.scan_schedules(&admin).await.unwrap().is_empty(),
        "no nightly scan was set by an outsider"
    );
    assert_eq!(
        w.store.rulesets(&admin).await.unwrap().len(),
        1,
        "no scan rule set was published by an outsider"
    );
    eprintln!("checked {checked} requests");
}

/// The same walk is able to see B's data where it is allowed: the Department sees it on the lists, so the
/// absence above is the scoping, not an empty page.
#[tokio::test]
async fn the_department_sees_every_unit_and_each_page_renders() {
    let w = world().await;
    for r in route_table().iter().filter(|r| r.method == "GET") {
        let path = concrete(&w, r.path, false);
        let (status, _, text) = send(&w.router, request(&w.dept, "GET", &path, None, Vec::new())).await;
        assert!(status < 400, "GET {path} as the Department -> {status}");
        if [
            "/assets",
            "/api/v1/assets",
            "/units",
            "/api/v1/units",
            "/users",
            "/api/v1/users",
            "/api/v1/duty/now",
            "/",
            "/alerts",
            "/api/v1/alerts",
            "/botnet",
            "/api/v1/botnet/items",
            "/events",
            "/api/v1/events",
            "/sources",
            "/api/v1/sources",
            "/agents",
            "/api/v1/agents",
            "/api/v1/vulnerabilities/findings",
            "/rules",
            "/api/v1/rules/settings",
            "/api/v1/rules/custom",
            "/scan",
            "/scan/detections",
            "/api/v1/scan/detections",
            "/api/v1/scan/tasks",
            "/api/v1/scan/rulesets",
        ]
        .contains(&path.as_str())
        {
            assert!(
                text.contains(SECRET),
                "GET {path}: the Department should see unit B"
            );
        }
    }
    // And unit A's administrator reaches every page of its own unit.
    let a_admin = &w.a[0];
    for r in route_table().iter().filter(|r| r.method == "GET") {
        let path = concrete(&w, r.path, true);
        // Department-only: the audit chain verification, editing contacts, collection operations and counters.
        if path.contains("/contacts/")
            || [
                "/api/v1/audit/verify",
                "/operations",
                "/metrics",
                "/vulnerabilities/warnings/new",
            ]
            .contains(&path.as_str())
        {
            continue;
        }
        let (status, _, text) = send(&w.router, request(a_admin, "GET", &path, None, Vec::new())).await;
        assert!(
            status < 400,
            "GET {path} as A's administrator -> {status}: {text}"
        );
    }
}
