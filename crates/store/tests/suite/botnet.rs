//! Botnet lists: a version becomes each unit's remediation queue.

use super::*;

/// A Botnet IP list as a Vietnamese CSV: matched against A's public range (every machine behind it, most critical
/// first) and B's own address; a bad line reported; the next version's changes counted; each unit sees its own.
pub async fn botnet_list_becomes_each_units_queue(store: &Store) {
    use canhgac_store::{ItemQuery, ItemState, ListUpload};
    let w = world(store).await;
    store
        .add_unit_range(&w.a_admin, w.a, "203.0.113.0/24", "NAT")
        .await
        .unwrap();
    store
        .create_asset(&w.a_admin, w.a, &asset("A-WS-1", "10.0.0.5", "low"))
        .await
        .unwrap();
    store
        .create_asset(&w.a_admin, w.a, &asset("A-HIS-DB", "10.0.0.9", "critical"))
        .await
        .unwrap();
    store
        .create_asset(&w.b_admin, w.b, &asset("B-SRV", "198.51.100.20", "high"))
        .await
        .unwrap();
    let csv = "STT;Địa chỉ IP;Tên mạng botnet;Ngày phát hiện\n\
               1;203.0.113.7;Mirai;05/01/2024\n\
               2;198.51.100.20;Emotet;06/01/2024\n\
               3;999.1.1.1;Mirai;06/01/2024\n\
               4;192.0.2.1;Qakbot;07/01/2024\n";
    let up = |version: &str, text: &str| ListUpload {
        name: "Danh sách IP Botnet".into(),
        source: "Sở Thông tin và Truyền thông".into(),
        kind: canhgac_ioc::ListKind::Monthly,
        version: version.into(),
        file_name: "botnet.csv".into(),
        bytes: text.as_bytes().to_vec(),
        mapping: None,
    };
    assert!(matches!(
        store.import_list(Some(&w.a_admin), &up("2024-01", csv)).await,
        Err(StoreError::Forbidden)
    ));
    let preview = store.preview_list(&w.admin, &up("2024-01", csv)).await.unwrap();
    assert_eq!(
        (preview.entries, preview.rejected.len(), preview.list_id),
        (3, 1, None)
    );
    assert!(
        store.lists().await.unwrap().is_empty(),
        "a preview stores nothing"
    );
    let report = store
        .import_list(Some(&w.admin), &up("2024-01", csv))
        .await
        .unwrap();
    assert_eq!((report.entries, report.rejected.len(), report.items), (3, 1, 2));
    assert_eq!(
        report
            .per_unit
            .iter()
            .map(|(code, _, n)| (code.as_str(), *n))
            .collect::<Vec<_>>(),
        [("BVA", 1), ("BVB", 1)]
    );
    let a_items = store
        .botnet_items(&w.a_admin, &ItemQuery::default())
        .await
        .unwrap();
    assert_eq!(a_items.len(), 1);
    let item = &a_items[0];
    assert_eq!(
        (item.indicator.as_str(), item.via.as_str(), item.family.as_str()),
        ("203.0.113.7", "range", "Mirai")
    );
    assert_eq!(
        item.assets
            .iter()
            .map(|a| a.hostname.as_str())
            .collect::<Vec<_>>(),
        ["A-HIS-DB", "A-WS-1"],
        "every machine behind the NAT range, most critical first"
    );
    let b_items = store
        .botnet_items(&w.b_admin, &ItemQuery::default())
        .await
        .unwrap();
    assert_eq!(b_items.len(), 1);
    assert_eq!(
        (b_items[0].via.as_str(), b_items[0].assets[0].hostname.as_str()),
        ("asset", "B-SRV")
    );
    assert!(matches!(
        store.botnet_item(&w.b_admin, item.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(store
        .botnet_items(
            &w.b_admin,
            &ItemQuery {
                unit_id: Some(w.a.0),
                ..Default::default()
            }
        )
        .await
        .is_err());
    // The officer works the item.
    let moved = store
        .set_item_state(&w.a_admin, item.id, ItemState::Investigating, "")
        .await
        .unwrap();
    assert_eq!(moved.state, ItemState::Investigating);
    assert!(matches!(
        store
            .set_item_state(&w.a_admin, item.id, ItemState::Cleaned, "")
            .await,
        Err(StoreError::Invalid(_))
    ));
    store
        .set_item_state(&w.a_admin, item.id, ItemState::Cleaned, "Quét sạch, đổi mật khẩu")
        .await
        .unwrap();
    assert!(
        store
            .botnet_items(&w.a_admin, &ItemQuery::default())
            .await
            .unwrap()
            .is_empty(),
        "cleaned leaves the open queue"
    );
    // February: one address gone, one new.
    let feb = "Địa chỉ IP,Tên mạng botnet\n203.0.113.7,Mirai\n192.0.2.55,Qakbot\n198.51.100.20,Emotet\n";
    let r2 = store.import_list(None, &up("2024-02", feb)).await.unwrap();
    assert_eq!(r2.previous_version.as_deref(), Some("2024-01"));
    assert_eq!((r2.added, r2.removed, r2.unchanged), (1, 1, 2));
    assert_eq!(store.lists().await.unwrap().len(), 2);
    let audit = store
        .audit(
            &w.admin,
            &AuditQuery {
                entity: "ioc_list".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        audit.items.len(),
        2,
        "both imports audited, the command line's too"
    );
    // Comments: A's people on A's item; B cannot see or write A's thread.
    let a_item = store
        .botnet_items(
            &w.a_admin,
            &ItemQuery {
                state: "all".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap()[0]
        .id;
    store
        .comment_item(&w.a_admin, a_item, "Đã cách ly máy A-HIS-DB")
        .await
        .unwrap();
    assert!(matches!(
        store.comment_item(&w.a_admin, a_item, "  ").await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.comment_item(&w.b_admin, a_item, "x").await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.item_comments(&w.b_admin, a_item).await,
        Err(StoreError::NotFound)
    ));
    let thread = store.item_comments(&w.a_admin, a_item).await.unwrap();
    assert_eq!(
        (thread.len(), thread[0].body.as_str()),
        (1, "Đã cách ly máy A-HIS-DB")
    );

    // A warning list (the unit's NAT range is known-good, e.g. a CDN's): a later import keeps the match out of
    // the queue, naming the list; only the Department manages warning lists.
    assert!(matches!(
        store
            .add_warning_list(
                &w.a_admin,
                "CDN",
                canhgac_store::WarningKind::Cidr,
                b"203.0.113.0/24\n"
            )
            .await,
        Err(StoreError::Forbidden)
    ));
    let bad = store
        .add_warning_list(
            &w.admin,
            "bad",
            canhgac_store::WarningKind::Regex,
            b"([unclosed\n",
        )
        .await;
    assert!(
        matches!(bad, Err(StoreError::Invalid(_))),
        "a regex that does not compile is refused"
    );
    let misp =
        br#"{"name": "Known CDN ranges", "type": "cidr", "description": "test", "list": ["203.0.113.0/24"]}"#;
    let wl = store
        .add_warning_list(&w.admin, "", canhgac_store::WarningKind::Cidr, misp)
        .await
        .unwrap();
    assert_eq!((wl.name.as_str(), wl.entries), ("Known CDN ranges", 1));
    let r3 = store.import_list(None, &up("2024-03", feb)).await.unwrap();
    assert_eq!(r3.suppressed, 1, "A's NAT range match is suppressed");
    let suppressed = store
        .botnet_items(
            &w.admin,
            &ItemQuery {
                state: "suppressed".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(
        (
            suppressed[0].suppressed_by.as_str(),
            suppressed[0].indicator.as_str(),
            suppressed[0].unit_id
        ),
        ("Known CDN ranges", "203.0.113.7", w.a)
    );
    let open = store.botnet_items(&w.admin, &ItemQuery::default()).await.unwrap();
    assert!(
        open.iter().all(|i| i.suppressed_by.is_empty()),
        "suppressed matches are not in the queue"
    );
    store.deactivate_warning_list(&w.admin, wl.id).await.unwrap();
    let r4 = store.import_list(None, &up("2024-04", feb)).await.unwrap();
    assert_eq!(r4.suppressed, 0, "a deactivated list no longer applies");
    assert_eq!(store.warning_lists(&w.b_admin).await.unwrap().len(), 1);
}
