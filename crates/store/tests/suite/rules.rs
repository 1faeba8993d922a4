//! Sigma rules per unit: switched off network-wide or for one unit, and rules a unit writes itself.

use super::*;
use canhgac_store::RuleSetting;

const WHOAMI: &str = "title: Whoami run
id: 0b1e2a3c-0000-4000-8000-000000000001
level: medium
logsource: {product: windows, category: process_creation}
detection:
  selection:
    Image|endswith: '\\whoami.exe'
  condition: selection
";

/// The Department switches a rule off for the whole network and for unit B; A's administrator switches one off for
/// A only and cannot touch B or the network; each sees the network's rows and their own; the pipeline sees all the
/// disabled ones; every change is audited.
pub async fn rules_enabled_per_unit(store: &Store) {
    let w = world(store).await;
    let net = store
        .set_rule_enabled(&w.admin, None, "rule-net", false, "noisy everywhere")
        .await
        .unwrap();
    assert_eq!((net.unit_id, net.enabled), (None, false));
    store
        .set_rule_enabled(&w.admin, Some(w.b), "rule-b", false, "")
        .await
        .unwrap();
    store
        .set_rule_enabled(&w.a_admin, Some(w.a), "rule-a", false, "PACS backups")
        .await
        .unwrap();
    assert!(matches!(
        store
            .set_rule_enabled(&w.a_admin, None, "rule-x", false, "")
            .await,
        Err(StoreError::Forbidden)
    ));
    assert!(matches!(
        store
            .set_rule_enabled(&w.a_admin, Some(w.b), "rule-b", true, "")
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.set_rule_enabled(&w.admin, Some(w.a), "  ", false, "").await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store
            .set_rule_enabled(&w.admin, Some(UnitId(9999)), "rule-z", false, "")
            .await,
        Err(StoreError::NotFound)
    ));
    let mut disabled = store.disabled_rules().await.unwrap();
    disabled.sort();
    assert_eq!(
        disabled,
        vec![
            (None, "rule-net".to_string()),
            (Some(w.a), "rule-a".to_string()),
            (Some(w.b), "rule-b".to_string()),
        ]
    );
    let ids = |v: Vec<RuleSetting>| v.into_iter().map(|s| s.rule_id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.rule_settings(&w.a_admin).await.unwrap()),
        vec!["rule-a", "rule-net"]
    );
    assert_eq!(
        ids(store.rule_settings(&w.admin).await.unwrap()),
        vec!["rule-a", "rule-b", "rule-net"]
    );
    // Switched on again: the row stays (who and why), no longer disabled.
    let on = store
        .set_rule_enabled(&w.a_admin, Some(w.a), "rule-a", true, "fixed")
        .await
        .unwrap();
    assert!(on.enabled);
    assert!(!store
        .disabled_rules()
        .await
        .unwrap()
        .contains(&(Some(w.a), "rule-a".to_string())));
    let audit = store
        .audit(
            &w.admin,
            &AuditQuery {
                entity: "rule".into(),
                per_page: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut actions: Vec<_> = audit.items.iter().map(|e| e.action.as_str()).collect();
    actions.sort();
    assert_eq!(actions, vec!["disable", "disable", "disable", "enable"]);
}

/// A unit's own rule: refused with its place when it does not load or compile, stored when it does, the next save
/// is version 2 and replaces it; another unit neither sees nor removes it; the Department writes network-wide.
pub async fn custom_rules_validated_and_versioned(store: &Store) {
    let w = world(store).await;
    let bad = "title: Broken\nlogsource: {product: windows}\ndetection:\n  sel:\n    a: b\n  condition: sel and missing\n";
    match store.save_custom_rule(&w.a_admin, Some(w.a), "broken", bad).await {
        Err(StoreError::Invalid(inv)) => {
            assert_eq!(inv.0[0].field, "yaml");
            assert_eq!(inv.0[0].code, "err.rule_invalid");
            assert!(
                inv.0[0].value.as_deref().unwrap_or("").contains("missing"),
                "{inv:?}"
            );
        }
        other => panic!("a rule naming an unknown search must be refused, got {other:?}"),
    }
    match store
        .save_custom_rule(&w.a_admin, Some(w.a), "yaml", "title: [unclosed\n")
        .await
    {
        Err(StoreError::Invalid(inv)) => {
            let v = inv.0[0].value.clone().unwrap_or_default();
            assert!(v.contains("line") || v.contains("document"), "{v}");
        }
        other => panic!("broken YAML must be refused, got {other:?}"),
    }
    assert!(matches!(
        store.save_custom_rule(&w.a_admin, Some(w.a), "empty", "  ").await,
        Err(StoreError::Invalid(_))
    ));
    assert!(store.custom_rules().await.unwrap().is_empty());

    let v1 = store
        .save_custom_rule(&w.a_admin, Some(w.a), "whoami", WHOAMI)
        .await
        .unwrap();
    assert_eq!((v1.version, v1.rules, v1.active), (1, 1, true));
    let v2_text = WHOAMI.replace("medium", "high");
    let v2 = store
        .save_custom_rule(&w.a_admin, Some(w.a), "whoami", &v2_text)
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(
        store.custom_rules().await.unwrap(),
        vec![(Some(w.a), "whoami".to_string(), v2_text.clone())]
    );
    let all = store.custom_rules_for(&w.a_admin, true).await.unwrap();
    assert_eq!(
        all.iter().map(|r| (r.version, r.active)).collect::<Vec<_>>(),
        vec![(2, true), (1, false)]
    );
    // B neither sees nor removes A's rule, nor writes for A or the network.
    assert!(store.custom_rules_for(&w.b_admin, true).await.unwrap().is_empty());
    assert!(matches!(
        store.remove_custom_rule(&w.b_admin, v2.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.save_custom_rule(&w.b_admin, Some(w.a), "x", WHOAMI).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.save_custom_rule(&w.b_admin, None, "x", WHOAMI).await,
        Err(StoreError::Forbidden)
    ));
    let net = store
        .save_custom_rule(&w.admin, None, "network whoami", WHOAMI)
        .await
        .unwrap();
    assert_eq!(net.unit_id, None);
    assert_eq!(store.custom_rules_for(&w.b_admin, false).await.unwrap().len(), 1);
    let removed = store.remove_custom_rule(&w.a_admin, v2.id).await.unwrap();
    assert!(!removed.active);
    assert_eq!(
        store.custom_rules().await.unwrap(),
        vec![(None, "network whoami".to_string(), WHOAMI.to_string())]
    );
    let audit = store
        .audit(
            &w.admin,
            &AuditQuery {
                entity: "custom_rule".into(),
                per_page: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(audit.total, 4, "three saves and one removal");
}
