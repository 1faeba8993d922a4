//! Central scanning: rule set versions of the Department and of units and the effective bundle per unit, scan
//! tasks for a unit, a host and the botnet queue, agents that see only their own tasks, results recorded once as
//! detections and alerts, nightly schedules, and coverage.

use super::*;
use canhgac_model::scan::{
    BundleFile, FoundFile, RuleBundle, ScanProfile, TaskKind, TaskOutcome, TaskResult,
};
use canhgac_store::{EnrollFacts, ListUpload, NewScanTasks, RuleSetUpload, ScanTarget};
use serde_json::json;

fn upload(name: &str, rule: &str) -> RuleSetUpload {
    RuleSetUpload {
        file_name: name.into(),
        note: "test".into(),
        bundle: RuleBundle {
            yara: vec![BundleFile {
                name: name.into(),
                text: rule.into(),
            }],
            ..Default::default()
        },
        yara_rules: 1,
        hash_entries: 0,
        left_out: vec![canhgac_store::LeftOut {
            file: "broken.yar".into(),
            line: 3,
            reason: "syntax error".into(),
        }],
    }
}

fn inventory(host: &str, ip: &str) -> serde_json::Value {
    json!({
        "schema": "canhgac.inventory/1",
        "hostname": host,
        "os": {"name": "Debian GNU/Linux 12", "version": "12", "architecture": "x86_64"},
        "interfaces": [{"name": "eth0", "mac": "02:00:00:00:00:0".to_string() + &host[host.len() - 1..], "addresses": [ip]}],
        "cpu": {"count": 2},
        "disks": [],
        "collected_at": "2026-11-26T10:00:00Z",
        "warnings": []
    })
}

async fn agent_in(store: &Store, w: &World, unit: UnitId, host: &str, ip: &str) -> canhgac_store::Agent {
    let admin = if unit == w.a { &w.a_admin } else { &w.b_admin };
    let (_, token) = store.create_enrollment_token(admin, unit, "t", 1).await.unwrap();
    let e = store
        .enroll(
            &token,
            &EnrollFacts {
                hostname: host.into(),
            },
        )
        .await
        .unwrap();
    store
        .record_inventory(&e.agent, &inventory(host, ip))
        .await
        .unwrap();
    store.agent_by_credential(&e.credential).await.unwrap().unwrap()
}

fn result(task_id: i64, found: Vec<FoundFile>) -> TaskResult {
    TaskResult {
        task_id,
        outcome: TaskOutcome::Done,
        message: String::new(),
        bundle_digest: Some("d".into()),
        bundle_error: None,
        scanned: 120,
        bytes: 4096,
        skipped: 1,
        duration_ms: 900,
        found,
        problems: vec![canhgac_model::scan::ScanProblem {
            path: "/root/secret".into(),
            reason: "unreadable: permission denied".into(),
        }],
        action: serde_json::Value::Null,
    }
}

pub async fn scans_rulesets_tasks_results_coverage(store: &Store) {
    let w = world(store).await;
    // Rule sets: the Department for everyone, a unit for itself only.
    let rule = "rule planted { strings: $a = \"x\" condition: $a }";
    assert!(matches!(
        store
            .publish_ruleset(&w.a_admin, None, &upload("d.yar", rule))
            .await,
        Err(StoreError::Forbidden)
    ));
    assert!(matches!(
        store
            .publish_ruleset(&w.a_admin, Some(w.b), &upload("b.yar", rule))
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(store.effective_bundle(w.a).await.unwrap().is_none());
    let d1 = store
        .publish_ruleset(&w.admin, None, &upload("d.yar", rule))
        .await
        .unwrap();
    let d2 = store
        .publish_ruleset(&w.admin, None, &upload("d.yar", rule))
        .await
        .unwrap();
    let a1 = store
        .publish_ruleset(&w.a_admin, Some(w.a), &upload("a.yar", rule))
        .await
        .unwrap();
    assert_eq!((d1.version, d2.version, a1.version), (1, 2, 1));
    assert_eq!(a1.left_out[0].line, 3, "files left out are recorded");
    let empty = RuleSetUpload {
        bundle: RuleBundle::default(),
        ..upload("e.yar", rule)
    };
    assert!(matches!(
        store.publish_ruleset(&w.a_admin, Some(w.a), &empty).await,
        Err(StoreError::Invalid(_))
    ));
    let seen_by_b: Vec<_> = store
        .rulesets(&w.b_admin)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(
        seen_by_b,
        [d2.id, d1.id],
        "B sees the Department's versions, not A's"
    );
    let (digest_a, bytes_a) = store.effective_bundle(w.a).await.unwrap().unwrap();
    assert_eq!(digest_a, canhgac_store::sha256_hex(&bytes_a));
    let bundle_a = RuleBundle::from_bytes(&bytes_a).unwrap();
    let names: Vec<_> = bundle_a.yara.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        ["department/v2/d.yar", &format!("unit-{}/v1/a.yar", w.a.0)]
    );
    let (digest_b, _) = store.effective_bundle(w.b).await.unwrap().unwrap();
    assert_ne!(digest_a, digest_b);

    // Agents: two in A (one in the botnet queue), one in B.
    let a1_agent = agent_in(store, &w, w.a, "srv-a1", "198.51.100.31").await;
    let a2_agent = agent_in(store, &w, w.a, "srv-a2", "198.51.100.32").await;
    let b_agent = agent_in(store, &w, w.b, "srv-b1", "198.51.100.41").await;
    let csv = "STT;Địa chỉ IP;Tên mạng botnet;Ngày phát hiện\n1;198.51.100.32;Mirai;05/01/2024\n";
    let list = ListUpload {
        name: "Botnet".into(),
        source: "test".into(),
        kind: canhgac_ioc::ListKind::Monthly,
        version: "2024-01".into(),
        file_name: "botnet.csv".into(),
        bytes: csv.as_bytes().to_vec(),
        mapping: None,
    };
    store.import_list(Some(&w.admin), &list).await.unwrap();

    // Tasks: the botnet queue of A is srv-a2 alone; the whole unit then reaches srv-a1 only (a2 is pending).
    let req = |target: ScanTarget, profile: ScanProfile| NewScanTasks {
        unit: w.a,
        target,
        profile,
        threads: 0,
    };
    let botnet = store
        .create_scan_tasks(&w.a_admin, &req(ScanTarget::Botnet, ScanProfile::Full))
        .await
        .unwrap();
    assert_eq!(botnet.created.len(), 1);
    assert_eq!(botnet.created[0].agent_id, a2_agent.id);
    let unit = store
        .create_scan_tasks(&w.a_admin, &req(ScanTarget::Unit, ScanProfile::Full))
        .await
        .unwrap();
    assert_eq!(unit.created.len(), 1);
    assert_eq!(unit.already_pending, ["srv-a2"]);
    let b_asset = b_agent.asset_id.unwrap();
    assert!(matches!(
        store
            .create_scan_tasks(
                &w.a_admin,
                &req(ScanTarget::Host { asset_id: b_asset }, ScanProfile::Quick)
            )
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .create_scan_tasks(
                &w.a_admin,
                &NewScanTasks {
                    unit: w.b,
                    ..req(ScanTarget::Unit, ScanProfile::Quick)
                }
            )
            .await,
        Err(StoreError::NotFound)
    ));

    // Each agent fetches only its own tasks, with its unit's bundle digest; fetched tasks are `sent`.
    let mine = store.agent_tasks(&a1_agent).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].id, unit.created[0].id);
    assert_eq!(mine[0].bundle_digest.as_deref(), Some(digest_a.as_str()));
    assert!(store.agent_tasks(&b_agent).await.unwrap().is_empty());
    assert_eq!(
        store.scan_task(&w.a_admin, mine[0].id).await.unwrap().state,
        "sent"
    );
    // Another agent cannot start or report it.
    assert!(matches!(
        store.agent_task_started(&a2_agent, mine[0].id).await,
        Err(StoreError::NotFound)
    ));
    let found = FoundFile {
        path: "/srv/www/shell.php".into(),
        sha256: "ab".repeat(32),
        size: 42,
        mtime: Some(1_700_000_000_000),
        mode: Some(0o644),
        rules: vec![format!("unit-{}/v1/a.yar:planted", w.a.0)],
        hash_lists: vec!["department/v2/hashes.txt".into()],
    };
    assert!(matches!(
        store
            .record_task_result(&b_agent, &result(mine[0].id, vec![found.clone()]))
            .await,
        Err(StoreError::NotFound)
    ));
    store.agent_task_started(&a1_agent, mine[0].id).await.unwrap();
    assert_eq!(
        store.scan_task(&w.a_admin, mine[0].id).await.unwrap().state,
        "running"
    );
    let rec = store
        .record_task_result(&a1_agent, &result(mine[0].id, vec![found.clone()]))
        .await
        .unwrap();
    assert!(!rec.repeated);
    assert_eq!(
        (rec.task.state.as_str(), rec.task.scanned, rec.detections),
        ("done", 120, 2)
    );
    // Sent again (a lost answer): recorded once.
    let again = store
        .record_task_result(&a1_agent, &result(mine[0].id, vec![found.clone()]))
        .await
        .unwrap();
    assert!(again.repeated);
    assert_eq!(again.detections, 2);
    let dets = store.scan_detections(&w.a_admin, None, true, 100).await.unwrap();
    let mut rules: Vec<_> = dets.iter().map(|d| d.rule.as_str()).collect();
    rules.sort();
    assert_eq!(rules, ["scan/hash:hashes.txt", "scan/planted"]);
    assert!(dets
        .iter()
        .all(|d| d.alert_id.is_some() && d.mode == Some(0o644) && d.hostname == "srv-a1"));
    assert!(store
        .scan_detections(&w.b_admin, Some(w.a), false, 100)
        .await
        .unwrap()
        .is_empty());
    let alert = store.alert(&w.a_admin, dets[0].alert_id.unwrap()).await.unwrap();
    assert_eq!(alert.host, "srv-a1");
    assert!(alert.rule_id.starts_with("scan/"));

    // Coverage: two servers in A, one fully scanned; srv-a2 never scanned and in the botnet queue, pending.
    let now = canhgac_store::now_ms();
    let cov = store.scan_coverage(&w.a_admin, None, 7, now).await.unwrap();
    assert_eq!(cov.units.len(), 1);
    let a = &cov.units[0];
    assert_eq!((a.servers, a.servers_covered, a.servers_pct), (2, 1, Some(50.0)));
    assert_eq!(
        a.never_scanned
            .iter()
            .map(|h| h.hostname.as_str())
            .collect::<Vec<_>>(),
        ["srv-a2"]
    );
    assert_eq!(
        a.open_detections
            .iter()
            .map(|h| h.hostname.as_str())
            .collect::<Vec<_>>(),
        ["srv-a1"]
    );
    assert_eq!(a.botnet.len(), 1);
    assert_eq!(
        (a.botnet[0].hostname.as_str(), a.botnet[0].pending.as_deref()),
        ("srv-a2", Some("queued"))
    );
    let dept = store.scan_coverage(&w.admin, None, 7, now).await.unwrap();
    assert_eq!((dept.total.servers, dept.total.servers_covered), (3, 1));
    assert!(matches!(
        store.scan_coverage(&w.a_admin, Some(w.b), 7, now).await,
        Err(StoreError::NotFound)
    ));
    // Outside the period the full scan no longer counts.
    let later = store
        .scan_coverage(&w.a_admin, None, 1, now + 2 * 86_400_000)
        .await
        .unwrap();
    assert_eq!(later.units[0].servers_covered, 0);

    // Nightly schedule: once per day at its hour (Vietnam time), for every agent without a pending scan.
    assert!(matches!(
        store
            .set_scan_schedule(&w.a_admin, w.b, Some(2), ScanProfile::Full)
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .set_scan_schedule(&w.a_admin, w.a, Some(24), ScanProfile::Full)
            .await,
        Err(StoreError::Invalid(_))
    ));
    store
        .set_scan_schedule(&w.a_admin, w.a, Some(2), ScanProfile::Full)
        .await
        .unwrap();
    // 2026-11-26 19:30 UTC is 02:30 on the 27th in Vietnam.
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-26T19:30:00Z")
        .unwrap()
        .timestamp_millis();
    let created = store.run_scan_schedules(at).await.unwrap();
    assert_eq!(
        created.len(),
        1,
        "srv-a1 only: srv-a2 still has its botnet scan queued"
    );
    assert_eq!(created[0].origin, "schedule");
    assert!(
        store.run_scan_schedules(at + 60_000).await.unwrap().is_empty(),
        "once a day"
    );
    assert!(
        store.run_scan_schedules(at - 3_600_000).await.unwrap().is_empty(),
        "not at another hour"
    );

    // Actions on a detection: a task for the agent that found it, allowed by the detection's state, one at a time.
    let det = dets[0].clone();
    assert!(matches!(
        store
            .create_detection_task(&w.b_admin, det.id, TaskKind::Quarantine)
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .create_detection_task(&w.a_admin, det.id, TaskKind::Restore)
            .await,
        Err(StoreError::Invalid(_))
    ));
    let q = store
        .create_detection_task(&w.a_admin, det.id, TaskKind::Quarantine)
        .await
        .unwrap();
    assert_eq!(
        (q.kind.as_str(), q.detection_id, q.origin.as_str()),
        ("quarantine", Some(det.id), "detection")
    );
    assert!(matches!(
        store
            .create_detection_task(&w.admin, det.id, TaskKind::Delete)
            .await,
        Err(StoreError::Invalid(_))
    ));
    let fetched = store.agent_tasks(&a1_agent).await.unwrap();
    let t = fetched.iter().find(|t| t.id == q.id).unwrap();
    assert_eq!(t.kind, TaskKind::Quarantine);
    assert_eq!(t.path.as_deref(), Some("/srv/www/shell.php"));
    assert_eq!(t.sha256.as_deref(), Some("ab".repeat(32).as_str()));
    let mut done = result(q.id, Vec::new());
    done.action = json!({"entry": "0123456789abcdef0123456789abcdef"});
    let rec = store.record_task_result(&a1_agent, &done).await.unwrap();
    assert_eq!(rec.task.action["entry"], "0123456789abcdef0123456789abcdef");
    assert_eq!(
        store.scan_detection(&w.a_admin, det.id).await.unwrap().state,
        "quarantined"
    );
    // The Department may act too; now a restore is allowed.
    let r = store
        .create_detection_task(&w.admin, det.id, TaskKind::Restore)
        .await
        .unwrap();
    assert_eq!(r.kind.as_str(), "restore");
    let audit = store
        .audit(
            &w.admin,
            &AuditQuery {
                entity: "scan_detection".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut actions: Vec<_> = audit.items.iter().map(|e| e.action.as_str()).collect();
    actions.sort_unstable();
    assert_eq!(actions, ["quarantine", "restore"]);
}
