//! A world of two units for handler tests, driven through the router without a socket.

#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, Request, Response};
use canhgac_model::{Actor, AssetInput, UnitInput};
use canhgac_server::{app, AppState};
use canhgac_store::{NewUser, Store};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// A signed-in identity: browser session (cookie + CSRF) and API token.
#[derive(Clone, Debug)]
pub struct Who {
    pub name: String,
    pub actor: Option<Actor>,
    pub cookie: String,
    pub csrf: String,
    pub token: String,
}

pub struct World {
    pub store: Store,
    pub router: axum::Router,
    /// The server's knowledge base and background recompute.
    pub knowledge: std::sync::Arc<canhgac_server::knowledge::Knowledge>,
    pub dept: Who,
    /// Unit A's people, one per role.
    pub a: Vec<Who>,
    pub anonymous: Who,
    pub unit_a: i64,
    pub unit_b: i64,
    pub asset_a: i64,
    pub asset_b: i64,
    pub range_a: i64,
    pub range_b: i64,
    pub user_a: i64,
    pub user_b: i64,
    pub contact: i64,
    pub shift_a: i64,
    pub shift_b: i64,
    pub alert_a: i64,
    pub alert_b: i64,
    pub item_a: i64,
    pub item_b: i64,
    pub source_a: i64,
    pub source_b: i64,
    pub event_a: i64,
    pub event_b: i64,
    pub agent_a: i64,
    pub agent_b: i64,
    pub enroll_token_a: i64,
    pub enroll_token_b: i64,
    pub finding_a: i64,
    pub finding_b: i64,
    /// A national warning (addressed to every unit).
    pub warning: i64,
    pub custom_rule_a: i64,
    pub custom_rule_b: i64,
    /// The file B's agent found.
    pub detection_b: i64,
}

/// A Sigma rule titled `title`.
pub fn sigma_rule(title: &str) -> String {
    format!(
        "title: {title}\nlogsource: {{product: windows, category: process_creation}}\n\
         detection:\n  selection:\n    Image|endswith: '\\\\whoami.exe'\n  condition: selection\n"
    )
}

/// A month of advisories: CVE-2099-0001 affects Windows 10 22H2, fixed by KB5000002.
pub const CVRF: &str = r#"<cvrfdoc><DocumentTracking><Identification><ID>2099-Jan</ID></Identification>
<InitialReleaseDate>2099-01-10T08:00:00</InitialReleaseDate></DocumentTracking>
<ProductTree><Branch Type="Product Family" Name="Windows">
  <FullProductName ProductID="12097">Windows 10 Version 22H2 for x64-based Systems</FullProductName></Branch></ProductTree>
<Vulnerability><Title>Kernel</Title><CVE>CVE-2099-0001</CVE>
  <ProductStatuses><Status Type="Known Affected"><ProductID>12097</ProductID></Status></ProductStatuses>
  <Threats><Threat Type="Severity"><Description>Critical</Description><ProductID>12097</ProductID></Threat></Threats>
  <Remediations><Remediation Type="Vendor Fix"><Description>5000002</Description>
    <Supercedence>5000001</Supercedence><ProductID>12097</ProductID></Remediation></Remediations>
</Vulnerability></cvrfdoc>"#;

/// `systeminfo` of a Windows 10 22H2 machine with the given KBs.
pub fn systeminfo(host: &str, kbs: &[&str]) -> Vec<u8> {
    let mut s = format!(
        "Host Name:                 {host}\r\nOS Name:                   Microsoft Windows 10 Pro\r\n\
         OS Version:                10.0.19045 N/A Build 19045\r\nSystem Type:               x64-based PC\r\n\
         Hotfix(s):                 {} Hotfix(s) Installed.\r\n",
        kbs.len()
    );
    for (i, kb) in kbs.iter().enumerate() {
        s.push_str(&format!("                           [{:02}]: {kb}\r\n", i + 1));
    }
    s.into_bytes()
}

/// Marker of unit B's data: no response to anyone outside B or the Department may contain it.
pub const SECRET: &str = "SECRETB";

pub async fn who(store: &Store, username: &str, password: &str) -> Who {
    let login = store.login(username, password).await.unwrap();
    let actor = Actor {
        user_id: login.user.id,
        unit_id: login.user.unit_id,
        role: login.user.role,
    };
    let (_, token) = store.create_api_token(&actor, "test").await.unwrap();
    Who {
        name: format!("{} ({})", username, login.user.role.as_str()),
        actor: Some(actor),
        cookie: format!("cg_session={}", login.token),
        csrf: login.csrf,
        token,
    }
}

pub async fn world() -> World {
    let store = Store::open("sqlite::memory:").await.unwrap();
    let pw = store.bootstrap("Sở Y tế", "admin").await.unwrap().unwrap();
    let dept = who(&store, "admin", &pw).await;
    let admin = dept.actor.unwrap();
    let unit = |code: &str, name: &str| UnitInput {
        code: code.into(),
        name: name.into(),
        kind: "public_hospital".into(),
        ..Default::default()
    };
    let unit_a = store
        .create_unit(&admin, &unit("BVA", "Bệnh viện A"))
        .await
        .unwrap()
        .id;
    let unit_b = store
        .create_unit(&admin, &unit("BVB", "SECRETB Bệnh viện B"))
        .await
        .unwrap()
        .id;
    let password = "a long enough password";
    let mut a = Vec::new();
    for role in ["unit_admin", "duty_officer", "viewer", "staff"] {
        let u = NewUser {
            unit_id: unit_a.0,
            username: format!("a.{role}"),
            display_name: format!("A {role}"),
            role: role.into(),
            password: password.into(),
            ..Default::default()
        };
        store.create_user(&admin, &u).await.unwrap();
        a.push(who(&store, &format!("a.{role}"), password).await);
    }
    let ub = NewUser {
        unit_id: unit_b.0,
        username: "secretb.admin".into(),
        display_name: "SECRETB Admin".into(),
        role: "unit_admin".into(),
        password: password.into(),
        ..Default::default()
    };
    let (user_b, _) = store.create_user(&admin, &ub).await.unwrap();
    let asset = |host: &str| {
        AssetInput {
            hostname: host.into(),
            ips: "10.0.0.1".into(),
            ..Default::default()
        }
        .validate()
        .unwrap()
    };
    let asset_a = store
        .create_asset(&admin, unit_a, &asset("A-HOST"))
        .await
        .unwrap()
        .id
        .0;
    let asset_b = store
        .create_asset(&admin, unit_b, &asset("SECRETB-HOST"))
        .await
        .unwrap()
        .id
        .0;
    let range_a = store
        .add_unit_range(&admin, unit_a, "203.0.113.0/24", "A NAT")
        .await
        .unwrap()
        .id;
    let range_b = store
        .add_unit_range(&admin, unit_b, "198.51.100.0/24", "SECRETB NAT")
        .await
        .unwrap()
        .id;
    let contact = store.contacts().await.unwrap()[0].id.0;
    // One shift each, running now, so "on duty now" lists them.
    let now = canhgac_store::now_ms();
    let hour = 3_600_000;
    let a_officer = a[1].actor.unwrap().user_id;
    let shift_a = store
        .add_shift(&admin, unit_a, a_officer, Some(now - hour), Some(now + hour))
        .await
        .unwrap()
        .id;
    let shift_b = store
        .add_shift(&admin, unit_b, user_b.id, Some(now - hour), Some(now + hour))
        .await
        .unwrap()
        .id;
    store
        .hand_over(&admin, shift_b, "SECRETB handover")
        .await
        .unwrap();
    let user_a = a[0].actor.unwrap().user_id.0;
    let raise = |unit: canhgac_model::UnitId, title: &str| canhgac_model::NewAlert {
        unit_id: unit,
        source: "sigma".into(),
        rule_id: format!("rule-{title}"),
        title: title.into(),
        severity: canhgac_model::Severity::High,
        host: format!("{title}-HOST"),
        seen_at: now,
        details: serde_json::json!({ "CommandLine": title }),
        event_key: None,
    };
    let alert_id = |r: canhgac_store::Raised| match r {
        canhgac_store::Raised::Created(id) => id,
        other => panic!("expected a new alert, got {other:?}"),
    };
    let alert_a = alert_id(store.raise_alert(&raise(unit_a, "A-ALERT"), hour).await.unwrap());
    let alert_b = alert_id(
        store
            .raise_alert(&raise(unit_b, "SECRETB-ALERT"), hour)
            .await
            .unwrap(),
    );
    // A Botnet list naming the address both units' hosts have: one remediation item each.
    let list = canhgac_store::ListUpload {
        name: "Botnet".into(),
        source: "Sở TT&TT".into(),
        kind: canhgac_ioc::ListKind::Monthly,
        version: "2024-01".into(),
        file_name: "botnet.txt".into(),
        bytes: b"10.0.0.1\n".to_vec(),
        mapping: None,
    };
    store.import_list(Some(&admin), &list).await.unwrap();
    let item = |unit: canhgac_model::UnitId| {
        let store = store.clone();
        async move {
            store
                .botnet_items(
                    &admin,
                    &canhgac_store::ItemQuery {
                        unit_id: Some(unit.0),
                        ..Default::default()
                    },
                )
                .await
                .unwrap()[0]
                .id
        }
    };
    let (item_a, item_b) = (item(unit_a).await, item(unit_b).await);
    // One syslog source and one stored event each.
    let source = |unit: canhgac_model::UnitId, name: &'static str, cidr: &'static str| {
        let store = store.clone();
        async move {
            store
                .create_event_source(&admin, unit, name, canhgac_store::SourceKind::Syslog, cidr)
                .await
                .unwrap()
                .0
                .id
        }
    };
    let source_a = source(unit_a, "A firewall", "10.1.0.0/16").await;
    let source_b = source(unit_b, "SECRETB firewall", "10.2.0.0/16").await;
    let event = |unit: canhgac_model::UnitId, source_id: i64, host: &str| canhgac_store::NewEvent {
        unit_id: unit,
        source_id,
        ext_id: None,
        received_at: now,
        ts: now,
        host: host.into(),
        format: "kv".into(),
        channel: String::new(),
        event_id: None,
        message: format!("{host} denied"),
        fields: serde_json::json!([["src", "10.2.0.5"], ["host", host]]).to_string(),
        original: format!("host={host} src=10.2.0.5 action=deny"),
    };
    store
        .insert_events(&[
            event(unit_a, source_a, "A-EV-HOST"),
            event(unit_b, source_b, "SECRETB-EV-HOST"),
        ])
        .await
        .unwrap();
    let events = store
        .search_events(&admin, &canhgac_store::EventQuery::default())
        .await
        .unwrap()
        .items;
    let event_id = |unit: canhgac_model::UnitId| events.iter().find(|e| e.event.unit_id == unit).unwrap().id;
    let (event_a, event_b) = (event_id(unit_a), event_id(unit_b));
    // One enrolled agent and one unused enrollment token each.
    let agent = |unit: canhgac_model::UnitId, host: &'static str| {
        let store = store.clone();
        async move {
            let (_, secret) = store
                .create_enrollment_token(&admin, unit, host, 24)
                .await
                .unwrap();
            let e = store
                .enroll(
                    &secret,
                    &canhgac_store::EnrollFacts {
                        hostname: host.into(),
                    },
                )
                .await
                .unwrap();
            let (spare, _) = store
                .create_enrollment_token(&admin, unit, &format!("{host} spare"), 24)
                .await
                .unwrap();
            (e.agent.id, spare.id)
        }
    };
    let (agent_a, enroll_token_a) = agent(unit_a, "A-AGENT-HOST").await;
    let (agent_b, enroll_token_b) = agent(unit_b, "SECRETB-AGENT-HOST").await;
    // An advisory and one vulnerable Windows host per unit: one finding each.
    store
        .import_advisory(&admin, "2099-Jan.xml", CVRF.as_bytes())
        .await
        .unwrap();
    for (asset, host) in [(asset_a, "A-HOST"), (asset_b, "SECRETB-HOST")] {
        store
            .attach_inventory(
                &admin,
                canhgac_model::AssetId(asset),
                "si.txt",
                &systeminfo(host, &["KB5000003"]),
            )
            .await
            .unwrap();
    }
    let kb = store.knowledge_base().await.unwrap();
    store.recompute_findings(None, None, &kb).await.unwrap();
    let finding_id = |asset: i64| {
        let store = store.clone();
        async move {
            store
                .host_findings(&admin, canhgac_model::AssetId(asset))
                .await
                .unwrap()[0]
                .id
        }
    };
    let (finding_a, finding_b) = (finding_id(asset_a).await, finding_id(asset_b).await);
    let warning = store
        .create_warning(
            &admin,
            &canhgac_store::WarningInput {
                number: "1000/CATTT-NCSC".into(),
                cves: "CVE-2099-0001".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id;
    // A rule each unit wrote, and a rule B switched off.
    let custom_rule = |unit, title: &'static str| {
        let store = store.clone();
        async move {
            store
                .save_custom_rule(&admin, Some(unit), title, &sigma_rule(title))
                .await
                .unwrap()
                .id
        }
    };
    let custom_rule_a = custom_rule(unit_a, "A whoami").await;
    let custom_rule_b = custom_rule(unit_b, "SECRETB whoami").await;
    store
        .set_rule_enabled(&admin, Some(unit_b), "SECRETB-RULE", false, "SECRETB reason")
        .await
        .unwrap();
    // B's scan rule set, a scan task of B's agent and the file it found.
    store
        .publish_ruleset(
            &admin,
            Some(unit_b),
            &canhgac_store::RuleSetUpload {
                file_name: "SECRETB.yar".into(),
                note: String::new(),
                bundle: canhgac_model::scan::RuleBundle {
                    yara: vec![canhgac_model::scan::BundleFile {
                        name: "SECRETB.yar".into(),
                        text: "rule secretb { condition: true }".into(),
                    }],
                    ..Default::default()
                },
                yara_rules: 1,
                hash_entries: 0,
                left_out: Vec::new(),
            },
        )
        .await
        .unwrap();
    store
        .create_scan_tasks(
            &admin,
            &canhgac_store::NewScanTasks {
                unit: unit_b,
                target: canhgac_store::ScanTarget::Unit,
                profile: canhgac_model::scan::ScanProfile::Full,
                threads: 0,
            },
        )
        .await
        .unwrap();
    let b_agent = store.agent(&admin, agent_b).await.unwrap();
    let b_task = store.agent_tasks(&b_agent).await.unwrap()[0].id;
    let found = canhgac_model::scan::FoundFile {
        path: "/srv/SECRETB/evil.bin".into(),
        sha256: "00".repeat(32),
        size: 1,
        mtime: None,
        mode: None,
        rules: vec!["SECRETB.yar:secretb".into()],
        hash_lists: Vec::new(),
    };
    let result: canhgac_model::scan::TaskResult = serde_json::from_value(serde_json::json!({
        "task_id": b_task, "outcome": "done", "found": [found],
    }))
    .unwrap();
    store.record_task_result(&b_agent, &result).await.unwrap();
    let detection_b = store
        .scan_detections(&admin, Some(unit_b), false, 10)
        .await
        .unwrap()[0]
        .id;
    let state = AppState::new(store.clone(), false).unwrap();
    let knowledge = state.knowledge.clone();
    let router = app(state);
    let anonymous = Who {
        name: "anonymous".into(),
        actor: None,
        cookie: String::new(),
        csrf: String::new(),
        token: String::new(),
    };
    World {
        store,
        router,
        knowledge,
        dept,
        a,
        anonymous,
        unit_a: unit_a.0,
        unit_b: unit_b.0,
        asset_a,
        asset_b,
        range_a,
        range_b,
        user_a,
        user_b: user_b.id.0,
        contact,
        shift_a,
        shift_b,
        alert_a,
        alert_b,
        item_a,
        item_b,
        source_a,
        source_b,
        event_a,
        event_b,
        agent_a,
        agent_b,
        enroll_token_a,
        enroll_token_b,
        finding_a,
        finding_b,
        warning,
        custom_rule_a,
        custom_rule_b,
        detection_b,
    }
}

/// Sends a request; returns status, headers and body text.
pub async fn send(router: &axum::Router, req: Request<Body>) -> (u16, Response<()>, String) {
    let resp = router.clone().oneshot(req).await.unwrap();
    let (parts, mut body) = resp.into_parts();
    let streaming = parts
        .headers
        .get("content-type")
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    let bytes = if streaming {
        // A live stream never ends: take what it sends first.
        let frame = tokio::time::timeout(std::time::Duration::from_secs(2), body.frame())
            .await
            .expect("a stream sends its first event at once");
        frame
            .and_then(|f| f.ok())
            .and_then(|f| f.into_data().ok())
            .unwrap_or_default()
    } else {
        body.collect().await.unwrap().to_bytes()
    };
    (
        parts.status.as_u16(),
        Response::from_parts(parts, ()),
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// A request as `who` makes it: the session cookie for pages, the bearer token for the API.
pub fn request(
    who: &Who,
    method: &str,
    uri: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(uri);
    if !who.cookie.is_empty() {
        b = b.header(header::COOKIE, &who.cookie);
    }
    if !who.token.is_empty() && (uri.starts_with("/api/") || uri.starts_with("/metrics")) {
        b = b.header(header::AUTHORIZATION, format!("Bearer {}", who.token));
    }
    if let Some(ct) = content_type {
        b = b.header(header::CONTENT_TYPE, ct);
    }
    b.body(Body::from(body)).unwrap()
}

/// A multipart body with text fields and one file.
pub fn multipart(fields: &[(&str, &str)], file_name: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----canhgactestboundary";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    body.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
            .as_bytes(),
    );
    body.extend(file);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
