//! Endpoint agents: one-time enrollment tokens per unit, enrollment into the token's unit with an event source,
//! inventories creating or matching assets without duplicates, last contact, silence alerts, revocation.

use super::*;
use canhgac_store::EnrollFacts;
use serde_json::json;

fn inventory(host: &str, mac: &str, ip: &str, os: &str) -> serde_json::Value {
    json!({
        "schema": "canhgac.inventory/1",
        "hostname": host,
        "os": {"name": os, "version": "12", "architecture": "x86_64"},
        "interfaces": [
            {"name": "lo", "mac": "00:00:00:00:00:00", "addresses": ["127.0.0.1", "::1"]},
            {"name": "eth0", "mac": mac, "addresses": [ip, "fe80::1"]}
        ],
        "cpu": {"count": 2},
        "disks": [],
        "collected_at": "2026-11-26T10:00:00Z",
        "warnings": []
    })
}

fn facts(host: &str) -> EnrollFacts {
    EnrollFacts {
        hostname: host.into(),
    }
}

pub async fn agents_enroll_inventory_silence_revoke(store: &Store) {
    let w = world(store).await;
    // Tokens: the unit's administrator for its own unit only; validity bounded.
    let (tok, secret) = store
        .create_enrollment_token(&w.a_admin, w.a, "ward 3", 24)
        .await
        .unwrap();
    assert!(secret.starts_with("cge_") && secret.len() > 40);
    assert!(matches!(
        store.create_enrollment_token(&w.a_admin, w.b, "x", 24).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.create_enrollment_token(&w.a_admin, w.a, "x", 0).await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(store.enrollment_tokens(&w.b_admin).await.unwrap().len(), 0);
    assert_eq!(store.enrollment_tokens(&w.a_admin).await.unwrap()[0].id, tok.id);

    // Enrollment: once per token; a wrong token is NotFound; the agent lands in the token's unit.
    assert!(matches!(
        store.enroll("cge_wrong", &facts("pc-01")).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.enroll(&secret, &facts("  ")).await,
        Err(StoreError::Invalid(_))
    ));
    let e1 = store.enroll(&secret, &facts("pc-01")).await.unwrap();
    assert_eq!(e1.agent.unit_id, w.a);
    assert_eq!(e1.agent.enrolled_by, w.a_admin.user_id);
    assert!(matches!(
        store.enroll(&secret, &facts("pc-02")).await,
        Err(StoreError::NotFound)
    ));
    let used = &store.enrollment_tokens(&w.a_admin).await.unwrap()[0];
    assert_eq!(used.agent_id, Some(e1.agent.id));
    assert!(!used.usable(canhgac_store::now_ms()));
    // The credential authenticates the agent and is the token of its event source in unit A.
    assert_eq!(
        store
            .agent_by_credential(&e1.credential)
            .await
            .unwrap()
            .unwrap()
            .id,
        e1.agent.id
    );
    let source = store.source_for_token(&e1.credential).await.unwrap().unwrap();
    assert_eq!((source.id, source.unit_id), (e1.agent.source_id, w.a));
    assert!(store.agent_by_credential("cga_nope").await.unwrap().is_none());

    // A revoked token enrolls nothing.
    let (tok2, secret2) = store
        .create_enrollment_token(&w.a_admin, w.a, "", 1)
        .await
        .unwrap();
    assert!(matches!(
        store.revoke_enrollment_token(&w.b_admin, tok2.id).await,
        Err(StoreError::NotFound)
    ));
    store.revoke_enrollment_token(&w.a_admin, tok2.id).await.unwrap();
    assert!(matches!(
        store.enroll(&secret2, &facts("pc-02")).await,
        Err(StoreError::NotFound)
    ));

    // An existing asset (same host name, other case) is matched, not duplicated; its own fields stay.
    let existing = store
        .create_asset(&w.a_admin, w.a, &asset("PC-01", "10.1.0.9", "high"))
        .await
        .unwrap();
    let agent = store.agent_by_credential(&e1.credential).await.unwrap().unwrap();
    let out = store
        .record_inventory(
            &agent,
            &inventory("pc-01", "AA-BB-CC-00-11-22", "10.1.0.10", "Debian GNU/Linux 12"),
        )
        .await
        .unwrap();
    assert_eq!(out.asset_id, existing.id.0);
    assert!(!out.created && out.updated);
    let a = store.asset(&w.a_admin, existing.id).await.unwrap();
    assert_eq!(a.fields.ips, vec!["10.1.0.10".to_string()]);
    assert_eq!(a.fields.mac, "aa:bb:cc:00:11:22");
    assert_eq!(a.fields.os, "Debian GNU/Linux 12");
    assert_eq!(a.fields.criticality, canhgac_model::Criticality::High);
    // The same inventory again changes nothing.
    let again = store
        .record_inventory(
            &agent,
            &inventory("pc-01", "aa:bb:cc:00:11:22", "10.1.0.10", "Debian GNU/Linux 12"),
        )
        .await
        .unwrap();
    assert!(!again.created && !again.updated);
    let (doc, at) = store
        .agent_inventory(&w.a_admin, agent.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(doc["hostname"], "pc-01");
    assert!(at > 0);
    assert!(matches!(
        store.agent_inventory(&w.b_admin, agent.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .asset_agent(&w.a_admin, existing.id.0)
            .await
            .unwrap()
            .map(|a| a.id),
        Some(agent.id)
    );
    assert!(store
        .asset_agent(&w.b_admin, existing.id.0)
        .await
        .unwrap()
        .is_none());

    // A second machine, renamed later: matched by its MAC. A new machine is a new asset, a workstation for Windows.
    let (_, s3) = store.create_enrollment_token(&w.admin, w.a, "", 2).await.unwrap();
    let e3 = store.enroll(&s3, &facts("ws-7")).await.unwrap();
    let first = store
        .record_inventory(
            &e3.agent,
            &inventory("ws-7", "02:00:00:00:00:07", "10.1.0.7", "Windows 11 Pro"),
        )
        .await
        .unwrap();
    assert!(first.created);
    let created = store
        .asset(&w.a_admin, canhgac_model::AssetId(first.asset_id))
        .await
        .unwrap();
    assert_eq!(created.fields.kind, canhgac_model::AssetKind::Workstation);
    let e3 = store.agent_by_credential(&e3.credential).await.unwrap().unwrap();
    let renamed = store
        .record_inventory(
            &e3,
            &inventory("ws-7b", "02:00:00:00:00:07", "10.1.0.7", "Windows 11 Pro"),
        )
        .await
        .unwrap();
    assert_eq!(renamed.asset_id, first.asset_id);
    let total = store
        .assets(&w.a_admin, &AssetQuery::default())
        .await
        .unwrap()
        .total;
    assert_eq!(total, 2);
    // Garbage is refused with the field named.
    match store
        .record_inventory(
            &e3,
            &json!({"hostname": "x", "interfaces": [{"addresses": ["nope"]}]}),
        )
        .await
    {
        Err(StoreError::Invalid(inv)) => assert_eq!(inv.0[0].field, "inventory.interfaces[0].addresses[0]"),
        other => panic!("expected Invalid, got {other:?}"),
    }

    // Listing is scoped; online by last contact.
    let now = canhgac_store::now_ms();
    let list = store.agents(&w.a_admin, false).await.unwrap();
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|a| a.online(now, 60_000)));
    assert!(list.iter().all(|a| !a.online(now + 120_000, 60_000)));
    assert!(store.agents(&w.b_admin, false).await.unwrap().is_empty());

    // Silence: one alert per silence; contact ends it, a new silence alerts again.
    let later = now + 30 * 60_000;
    let raised = store.raise_silent_agents(later, 10 * 60_000).await.unwrap();
    assert_eq!(raised.len(), 2);
    assert!(store
        .raise_silent_agents(later + 1, 10 * 60_000)
        .await
        .unwrap()
        .is_empty());
    store.touch_agent(&agent).await.unwrap();
    let again = store
        .raise_silent_agents(later + 60 * 60_000, 10 * 60_000)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].0.id, agent.id);
    let alerts = store.alerts(&w.a_admin, &Default::default()).await.unwrap();
    assert!(alerts
        .items
        .iter()
        .any(|a| a.rule_id == "agent-silent" && a.host == "pc-01"));

    // Re-enrolling the same host replaces the previous agent; its asset is kept.
    let (_, s4) = store
        .create_enrollment_token(&w.a_admin, w.a, "", 2)
        .await
        .unwrap();
    let e4 = store.enroll(&s4, &facts("PC-01")).await.unwrap();
    assert!(store.agent_by_credential(&e1.credential).await.unwrap().is_none());
    assert!(store.source_for_token(&e1.credential).await.unwrap().is_none());
    let out4 = store
        .record_inventory(
            &e4.agent,
            &inventory("PC-01", "aa:bb:cc:00:11:22", "10.1.0.10", "Debian GNU/Linux 12"),
        )
        .await
        .unwrap();
    assert_eq!(out4.asset_id, existing.id.0);

    // Revocation: only the unit's administrator; the credential and the event source stop working.
    assert!(matches!(
        store.revoke_agent(&w.b_admin, e4.agent.id).await,
        Err(StoreError::NotFound)
    ));
    store.revoke_agent(&w.a_admin, e4.agent.id).await.unwrap();
    assert!(store.agent_by_credential(&e4.credential).await.unwrap().is_none());
    assert!(store.source_for_token(&e4.credential).await.unwrap().is_none());
    assert!(matches!(
        store.touch_agent(&e4.agent).await,
        Err(StoreError::NotFound)
    ));

    // Everything was audited, enrollment as the system.
    let audit = store
        .audit(
            &w.admin,
            &AuditQuery {
                entity: "agent".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(audit
        .items
        .iter()
        .any(|e| e.action == "enroll" && e.username == "system"));
    assert!(audit.items.iter().any(|e| e.action == "revoke"));
    assert!(store.verify_audit_chain().await.unwrap().broken_at.is_none());
}
