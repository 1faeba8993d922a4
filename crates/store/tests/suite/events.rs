//! Collected events: sources per unit, durable batches with re-sends stored once, the pipeline's position and
//! its alerts in one transaction, scoped search, retention.

use super::*;
use canhgac_store::{EventQuery, NewEvent, Raised, SourceKind};

fn event(
    unit: UnitId,
    source: i64,
    ext: Option<&str>,
    host: &str,
    ts: i64,
    fields: &str,
    text: &str,
) -> NewEvent {
    NewEvent {
        unit_id: unit,
        source_id: source,
        ext_id: ext.map(str::to_owned),
        received_at: canhgac_store::now_ms(),
        ts,
        host: host.into(),
        format: "windows".into(),
        channel: "Security".into(),
        event_id: Some(4688),
        message: text.into(),
        fields: fields.into(),
        original: text.into(),
    }
}

pub async fn events_sources_batches_search_retention(store: &Store) {
    let w = world(store).await;
    // Only a unit's administrator declares its sources; a syslog source needs a valid range.
    let (http_a, token) = store
        .create_event_source(&w.a_admin, w.a, "Winlogbeat", SourceKind::Http, "")
        .await
        .unwrap();
    let token = token.unwrap();
    assert!(matches!(
        store
            .create_event_source(&w.a_admin, w.b, "x", SourceKind::Http, "")
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .create_event_source(&w.b_admin, w.b, "fw", SourceKind::Syslog, "not a range")
            .await,
        Err(StoreError::Invalid(_))
    ));
    let (syslog_b, none) = store
        .create_event_source(&w.b_admin, w.b, "Firewall B", SourceKind::Syslog, "10.2.0.0/16")
        .await
        .unwrap();
    assert!(none.is_none());
    assert_eq!(
        store.source_for_token(&token).await.unwrap().unwrap().id,
        http_a.id
    );
    assert_eq!(store.syslog_sources().await.unwrap().len(), 1);
    assert_eq!(
        store.event_sources(&w.a_admin).await.unwrap().len(),
        1,
        "A sees only its own"
    );

    // A batch larger than one INSERT; a re-sent numbered event is stored once.
    let day = 86_400_000;
    let now = canhgac_store::now_ms();
    let mut batch: Vec<NewEvent> = (0..150)
        .map(|i| {
            let fields = serde_json::json!([
                ["Image", format!("C:\\Tools\\t{i}.exe")],
                ["User", "ytế\\điều dưỡng"]
            ]);
            event(
                w.a,
                http_a.id,
                Some(&format!("e{i}")),
                "PC-A",
                now - i * 1000,
                &fields.to_string(),
                &format!("run 100% t{i}"),
            )
        })
        .collect();
    batch.push(event(w.b, syslog_b.id, None, "FW-B", now, "[]", "deny 10.2.0.9"));
    let got = store.insert_events(&batch).await.unwrap();
    assert_eq!((got.stored, got.duplicates), (151, 0));
    let again = store.insert_events(&batch[..10]).await.unwrap();
    assert_eq!((again.stored, again.duplicates), (0, 10));
    let last = store.last_event_id().await.unwrap();

    // The pipeline reads in id order from its position; alerts and position move together.
    assert_eq!(store.pipeline_position(canhgac_store::PIPELINE).await.unwrap(), 0);
    let first = store.events_after(0, 100).await.unwrap();
    assert_eq!(first.len(), 100);
    assert!(first.windows(2).all(|p| p[0].id < p[1].id));
    let alert = canhgac_model::NewAlert {
        unit_id: w.a,
        source: "sigma".into(),
        rule_id: "r1".into(),
        title: "Tool run".into(),
        severity: canhgac_model::Severity::High,
        host: "PC-A".into(),
        seen_at: now,
        details: serde_json::json!({}),
        event_key: Some(format!("{}:r1", first[0].id)),
    };
    store
        .record_detections(
            &[alert.clone(), alert.clone()],
            3_600_000,
            canhgac_store::PIPELINE,
            first[99].id,
        )
        .await
        .unwrap();
    assert_eq!(
        store.pipeline_position(canhgac_store::PIPELINE).await.unwrap(),
        first[99].id
    );
    let a_alerts = store
        .alerts(&w.a_admin, &canhgac_store::AlertQuery::default())
        .await
        .unwrap();
    assert_eq!(
        (a_alerts.total, a_alerts.items[0].count),
        (1, 1),
        "the same event's detection counts once"
    );

    // A batch of many detections: repeats within the window group (counted once each), one seen hours later
    // opens its own alert (and the next repeat groups into the newest), a suppressed rule counts its hits, and the same batch replayed changes nothing.
    store
        .add_suppression(&w.a_admin, Some(w.a), "noisy", "", "known tool", None)
        .await
        .unwrap();
    let det = |i: i64, rule: &str, seen_at: i64| canhgac_model::NewAlert {
        rule_id: rule.into(),
        seen_at,
        event_key: Some(format!("{}:{rule}", first[i as usize].id)),
        ..alert.clone()
    };
    let mut batch: Vec<_> = (1..=5).map(|i| det(i, "r2", now + i)).collect();
    batch.push(det(6, "r2", now + 10 * 3_600_000));
    batch.extend((7..=9).map(|i| det(i, "noisy", now)));
    batch.push(det(10, "r2", now + 10));
    let raised = store
        .record_detections(&batch, 3_600_000, canhgac_store::PIPELINE, first[99].id)
        .await
        .unwrap();
    assert!(matches!(raised[0], Raised::Created(_)));
    assert!(raised[1..5]
        .iter()
        .all(|r| *r == Raised::Grouped(raised[0].alert_id())));
    assert!(matches!(raised[5], Raised::Created(id) if id != raised[0].alert_id()));
    assert!(raised[6..9].iter().all(|r| matches!(r, Raised::Suppressed(_))));
    assert_eq!(raised[9], Raised::Grouped(raised[5].alert_id()));
    let counts = |alerts: &[canhgac_model::Alert]| {
        let mut c: Vec<(i64, i64, i64)> = alerts
            .iter()
            .filter(|a| a.rule_id == "r2")
            .map(|a| (a.count, a.first_seen, a.last_seen))
            .collect();
        c.sort_unstable();
        c
    };
    let q = canhgac_store::AlertQuery::default();
    let after = store.alerts(&w.a_admin, &q).await.unwrap().items;
    assert_eq!(
        counts(&after),
        vec![
            (2, now + 10 * 3_600_000, now + 10 * 3_600_000),
            (5, now + 1, now + 5)
        ]
    );
    assert_eq!(store.suppressions(&w.a_admin).await.unwrap()[0].hits, 3);
    let replay = store
        .record_detections(&batch, 3_600_000, canhgac_store::PIPELINE, first[99].id)
        .await
        .unwrap();
    assert!(replay.iter().all(|r| matches!(r, Raised::Duplicate(_))));
    assert_eq!(
        counts(&store.alerts(&w.a_admin, &q).await.unwrap().items),
        counts(&after)
    );
    assert_eq!(store.suppressions(&w.a_admin).await.unwrap()[0].hits, 3);
    assert_eq!(
        store
            .events_after(first[99].id, 1000)
            .await
            .unwrap()
            .last()
            .unwrap()
            .id,
        last
    );

    // Search: scoped by unit, by host (any case), field = value (exact), words (with LIKE's own characters).
    let q = |f: fn(&mut EventQuery)| {
        let mut q = EventQuery {
            limit: 500,
            ..Default::default()
        };
        f(&mut q);
        q
    };
    let page = store.search_events(&w.a_admin, &q(|_| {})).await.unwrap();
    assert_eq!(page.items.len(), 150);
    assert!(page.items.iter().all(|e| e.event.unit_id == w.a));
    assert!(matches!(
        store
            .search_events(&w.a_admin, &q(|q| q.unit_id = Some(9_999)))
            .await,
        Err(StoreError::NotFound)
    ));
    let b_only = store
        .search_events(&w.admin, &q(|q| q.host = "fw-b".into()))
        .await
        .unwrap();
    assert_eq!(b_only.items.len(), 1);
    let by_field = store
        .search_events(
            &w.a_admin,
            &q(|q| q.field = Some(("Image".into(), "c:\\tools\\t7.exe".into()))),
        )
        .await
        .unwrap();
    assert_eq!(by_field.items.len(), 1);
    assert_eq!(by_field.items[0].field_pairs()[0].1, "C:\\Tools\\t7.exe");
    let unicode = store
        .search_events(
            &w.a_admin,
            &q(|q| q.field = Some(("User".into(), "ytế\\điều dưỡng".into()))),
        )
        .await
        .unwrap();
    assert_eq!(unicode.items.len(), 150);
    let words = store
        .search_events(&w.a_admin, &q(|q| q.text = "100% t42".into()))
        .await
        .unwrap();
    assert_eq!(words.items.len(), 1);
    let percent_only = store
        .search_events(&w.a_admin, &q(|q| q.text = "%".into()))
        .await
        .unwrap();
    assert_eq!(percent_only.items.len(), 150, "% is a character, not a wildcard");
    let range = store
        .search_events(
            &w.a_admin,
            &q(|q| {
                q.from = Some(canhgac_store::now_ms() - 3_600_000);
                q.to = Some(i64::MAX);
            }),
        )
        .await
        .unwrap();
    assert!(range.items.len() >= 140);
    // Pages, newest first.
    let p1 = store
        .search_events(
            &w.a_admin,
            &EventQuery {
                limit: 60,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let p2 = store
        .search_events(
            &w.a_admin,
            &EventQuery {
                limit: 60,
                before: p1.next,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((p1.items.len(), p2.items.len()), (60, 60));
    assert!(p1.items.last().unwrap().id > p2.items[0].id);
    assert!(matches!(
        store.event(&w.b_admin, page.items[0].id).await,
        Err(StoreError::NotFound)
    ));

    // Retention: B keeps 1 day; its events older than that go once the pipeline has read them.
    store.set_event_retention(&w.b_admin, w.b, 1).await.unwrap();
    assert!(matches!(
        store.set_event_retention(&w.b_admin, w.b, 0).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.set_event_retention(&w.a_admin, w.b, 5).await,
        Err(StoreError::NotFound)
    ));
    let deleted = store
        .purge_events(canhgac_store::now_ms() + 2 * day, 90, 1000)
        .await
        .unwrap();
    assert_eq!(deleted, 0, "B's event is not yet through the pipeline");
    store
        .set_pipeline_position(canhgac_store::PIPELINE, last)
        .await
        .unwrap();
    let deleted = store
        .purge_events(canhgac_store::now_ms() + 2 * day, 90, 1000)
        .await
        .unwrap();
    assert_eq!(deleted, 1, "only B's event: A keeps the default 90 days");
    // Turning a source off stops its token.
    store
        .deactivate_event_source(&w.a_admin, http_a.id)
        .await
        .unwrap();
    assert!(store.source_for_token(&token).await.unwrap().is_none());
    assert!(matches!(
        store.deactivate_event_source(&w.b_admin, http_a.id).await,
        Err(StoreError::NotFound)
    ));
}

/// A Windows JSON event is stored without its fields beside the original: they are read from it, and a field = value
/// search still finds exactly the events with that pair (not those holding the value in another field), across
/// pages, also for values encoders write differently (`&`).
pub async fn events_windows_fields_read_from_original(store: &Store) {
    let w = world(store).await;
    let (src, _) = store
        .create_event_source(&w.a_admin, w.a, "Winlogbeat", SourceKind::Http, "")
        .await
        .unwrap();
    let now = canhgac_store::now_ms();
    let line = |new: &str, parent: &str| {
        serde_json::json!({
            "EventID": 4688, "Channel": "Security", "Hostname": "PC-J",
            "TimeCreated": "2026-11-26 10:00:00.000", "NewProcessName": new, "ParentProcessName": parent
        })
        .to_string()
    };
    let mut batch = Vec::new();
    // Decoys first (older ids): the value in the other field.
    for _ in 0..30 {
        batch.push(line(
            "C:\\Windows\\explorer.exe",
            "C:\\Windows\\System32\\whoami.exe",
        ));
    }
    batch.push(line(
        "C:\\Windows\\System32\\whoami.exe",
        "C:\\Windows\\explorer.exe",
    ));
    batch.push(line("C:\\Tools\\R&D.exe", "C:\\Windows\\explorer.exe"));
    for _ in 0..30 {
        batch.push(line(
            "C:\\Windows\\notepad.exe",
            "C:\\Windows\\System32\\whoami.exe",
        ));
    }
    let events: Vec<NewEvent> = batch
        .iter()
        .map(|text| NewEvent {
            fields: String::new(),
            original: text.clone(),
            ..event(w.a, src.id, None, "PC-J", now, "", "")
        })
        .collect();
    store.insert_events(&events).await.unwrap();
    let search = |name: &'static str, value: &'static str, limit: i64| EventQuery {
        field: Some((name.into(), value.into())),
        limit,
        ..Default::default()
    };
    let found = store
        .search_events(
            &w.a_admin,
            &search("NewProcessName", "c:\\windows\\system32\\whoami.exe", 5),
        )
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1, "only the event with that pair");
    assert!(found.next.is_none());
    let pairs = found.items[0].field_pairs();
    assert!(pairs
        .iter()
        .any(|(n, v)| n == "NewProcessName" && v == "C:\\Windows\\System32\\whoami.exe"));
    assert!(pairs.iter().any(|(n, _)| n == "ParentProcessName"));
    let amp = store
        .search_events(&w.a_admin, &search("NewProcessName", "C:\\Tools\\R&D.exe", 5))
        .await
        .unwrap();
    assert_eq!(amp.items.len(), 1);
    // Pages of a search whose rows are checked after reading: 60 decoys hold the value in `ParentProcessName`.
    let mut seen = 0;
    let mut q = search("ParentProcessName", "C:\\Windows\\System32\\whoami.exe", 7);
    loop {
        let page = store.search_events(&w.a_admin, &q).await.unwrap();
        assert!(page.items.len() <= 7);
        seen += page.items.len();
        match page.next {
            Some(n) => q.before = Some(n),
            None => break,
        }
    }
    assert_eq!(seen, 60);
    // Unit B sees none of it.
    let b = store
        .search_events(&w.b_admin, &search("NewProcessName", "C:\\Tools\\R&D.exe", 5))
        .await
        .unwrap();
    assert!(b.items.is_empty());
}
