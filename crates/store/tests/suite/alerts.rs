//! Alerts: grouping, replays, suppressions and the officer's flow.

use super::*;

/// Repeats group, replays count once, suppressions hide and count, the officer's flow records its times, and
/// another unit sees none of it.
pub async fn alerts_group_dedupe_suppress_and_flow(store: &Store) {
    use canhgac_model::{AlertStatus, NewAlert, Severity, Verdict};
    use canhgac_store::{AlertQuery, Raised};
    let w = world(store).await;
    let mut live = store.subscribe_alerts();
    let hit = |rule: &str, host: &str, at: i64, key: &str| NewAlert {
        unit_id: w.a,
        source: "sigma".into(),
        rule_id: rule.into(),
        title: format!("Rule {rule}"),
        severity: Severity::High,
        host: host.into(),
        seen_at: at,
        details: serde_json::json!({ "CommandLine": "mimikatz.exe" }),
        event_key: Some(key.into()),
    };
    let hour = 3_600_000;
    let t0 = 1_700_000_000_000;
    let Raised::Created(id) = store
        .raise_alert(&hit("r1", "PC-01", t0, "e1"), hour)
        .await
        .unwrap()
    else {
        panic!("first detection creates")
    };
    assert_eq!(live.try_recv().unwrap().alert_id, id, "live consoles hear of it");
    assert_eq!(
        store
            .raise_alert(&hit("r1", "PC-01", t0 + 10, "e2"), hour)
            .await
            .unwrap(),
        Raised::Grouped(id)
    );
    assert_eq!(
        store
            .raise_alert(&hit("r1", "PC-01", t0 + 10, "e2"), hour)
            .await
            .unwrap(),
        Raised::Duplicate(id)
    );
    assert!(matches!(
        store
            .raise_alert(&hit("r1", "PC-02", t0, "e3"), hour)
            .await
            .unwrap(),
        Raised::Created(_)
    ));
    assert!(
        matches!(store.raise_alert(&hit("r1", "PC-01", t0 + 3 * hour, "e4"), hour).await.unwrap(), Raised::Created(n) if n != id),
        "outside the window: a new alert"
    );
    let sup = store
        .add_suppression(
            &w.a_admin,
            Some(w.a),
            "r2",
            "BACKUP-SRV",
            "nightly backup tool",
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .raise_alert(&hit("r2", "BACKUP-SRV", t0, "e5"), hour)
            .await
            .unwrap(),
        Raised::Suppressed(sup.id)
    );
    assert!(matches!(
        store
            .raise_alert(&hit("r2", "PC-01", t0, "e6"), hour)
            .await
            .unwrap(),
        Raised::Created(_)
    ));
    assert_eq!(
        store.suppressions(&w.a_admin).await.unwrap()[0].hits,
        1,
        "what is hidden is counted"
    );
    let a = store.alert(&w.a_admin, id).await.unwrap();
    assert_eq!((a.count, a.status, a.last_seen), (2, AlertStatus::New, t0 + 10));
    // Unit B sees nothing of A's alerts, cannot act on them.
    assert!(matches!(
        store.alert(&w.b_admin, id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.claim_alert(&w.b_admin, id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .alerts(&w.b_admin, &AlertQuery::default())
            .await
            .unwrap()
            .total,
        0
    );
    assert!(store
        .alerts(
            &w.b_admin,
            &AlertQuery {
                unit_id: Some(w.a.0),
                ..Default::default()
            }
        )
        .await
        .is_err());
    assert_eq!(
        store
            .alerts(&w.admin, &AlertQuery::default())
            .await
            .unwrap()
            .total,
        4
    );
    // The flow: claim, comment, verify, close with the remediation; times recorded.
    let claimed = store.claim_alert(&w.a_admin, id).await.unwrap();
    assert_eq!(
        (claimed.status, claimed.assignee),
        (AlertStatus::Acknowledged, Some(w.a_admin.user_id))
    );
    assert!(claimed.time_to_acknowledge().is_some());
    store
        .comment_alert(&w.a_admin, id, "Đã cách ly máy PC-01")
        .await
        .unwrap();
    assert_eq!(
        store.alert_comments(&w.a_admin, id).await.unwrap()[0].body,
        "Đã cách ly máy PC-01"
    );
    assert_eq!(
        store.verify_alert(&w.a_admin, id).await.unwrap().verdict,
        Some(Verdict::TruePositive)
    );
    assert!(matches!(
        store
            .close_alert(&w.a_admin, id, Verdict::TruePositive, " ")
            .await,
        Err(StoreError::Invalid(_))
    ));
    let closed = store
        .close_alert(&w.a_admin, id, Verdict::TruePositive, "Gỡ mã độc, đổi mật khẩu")
        .await
        .unwrap();
    assert_eq!(closed.status, AlertStatus::Closed);
    assert!(closed.time_to_close().unwrap() >= closed.time_to_acknowledge().unwrap());
    // A closed alert no longer collects repeats (this one joins the later open alert of the same rule and host).
    assert!(
        matches!(store.raise_alert(&hit("r1", "PC-01", t0 + 20, "e7"), hour).await.unwrap(), Raised::Grouped(n) if n != id)
    );
    let open = store.alerts(&w.a_admin, &AlertQuery::default()).await.unwrap();
    assert!(open.items.iter().all(|a| a.status != AlertStatus::Closed));
    let summary = store.alert_summary(&w.admin).await.unwrap();
    let a_sum = summary.iter().find(|s| s.unit_id == w.a).unwrap();
    assert_eq!((a_sum.closed, a_sum.open), (1, 3));
    assert!(a_sum.mean_close_ms.is_some());
    assert!(store.alert_summary(&w.b_admin).await.unwrap().is_empty());
    let audit = store
        .audit(
            &w.admin,
            &AuditQuery {
                entity: "alert".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(audit.items.len(), 4, "assign, comment, verify, close are audited");
}
