//! Assets: their life cycle and all-or-nothing imports.

use super::*;

pub async fn asset_lifecycle(store: &Store) {
    let w = world(store).await;
    for (i, crit) in ["low", "critical", "medium", "high"].iter().enumerate() {
        store
            .create_asset(
                &w.a_admin,
                w.a,
                &asset(&format!("PC-{i:02}"), &format!("10.1.1.{i}"), crit),
            )
            .await
            .unwrap();
    }
    let q = AssetQuery {
        sort: AssetSort::Criticality,
        desc: true,
        ..Default::default()
    };
    let page = store.assets(&w.a_admin, &q).await.unwrap();
    assert_eq!(page.items[0].fields.hostname, "PC-01");
    let q = AssetQuery {
        q: "10.1.1.3".into(),
        ..Default::default()
    };
    assert_eq!(
        store.assets(&w.a_admin, &q).await.unwrap().items[0]
            .fields
            .hostname,
        "PC-03"
    );
    let q = AssetQuery {
        per_page: 3,
        page: 2,
        ..Default::default()
    };
    let page = store.assets(&w.a_admin, &q).await.unwrap();
    assert_eq!((page.items.len(), page.total, page.pages()), (1, 4, 2));
    // A search with LIKE wildcards is literal.
    assert_eq!(
        store
            .assets(
                &w.a_admin,
                &AssetQuery {
                    q: "%".into(),
                    ..Default::default()
                }
            )
            .await
            .unwrap()
            .total,
        0
    );
    let first = page.items[0].clone();
    let retired = store
        .set_asset_status(&w.a_admin, first.id, AssetStatus::Retired)
        .await
        .unwrap();
    assert_eq!(retired.status, AssetStatus::Retired);
    assert_eq!(
        store
            .assets(&w.a_admin, &AssetQuery::default())
            .await
            .unwrap()
            .total,
        3
    );
    let edited = store
        .update_asset(&w.a_admin, first.id, &asset("RENAMED", "2001:db8::1", "high"))
        .await
        .unwrap();
    assert_eq!(edited.fields.ips, ["2001:db8::1"]);
    let r = store
        .add_unit_range(&w.a_admin, w.a, "203.0.113.9/24", "NAT")
        .await
        .unwrap();
    assert_eq!(r.cidr, "203.0.113.0/24");
    assert!(store
        .add_unit_range(&w.a_admin, w.a, "203.0.113.0/24", "dup")
        .await
        .is_err());
    store.delete_unit_range(&w.a_admin, w.a, r.id).await.unwrap();
    assert!(store.unit_ranges(&w.a_admin, w.a).await.unwrap().is_empty());
}

pub async fn import_is_all_or_nothing(store: &Store) {
    let w = world(store).await;
    let rows: Vec<_> = (0..200)
        .map(|i| {
            asset(
                &format!("WS-{i:03}"),
                &format!("10.9.{}.{}", i / 250, i % 250),
                "",
            )
        })
        .collect();
    assert_eq!(
        store
            .import_assets(&w.a_admin, w.a, &rows, "test.csv")
            .await
            .unwrap(),
        200
    );
    assert_eq!(
        store
            .assets(&w.a_admin, &AssetQuery::default())
            .await
            .unwrap()
            .total,
        200
    );
    // Into a foreign unit: refused, nothing written.
    assert!(store
        .import_assets(&w.a_admin, w.b, &rows, "x.csv")
        .await
        .is_err());
    assert_eq!(
        store
            .assets(
                &w.admin,
                &AssetQuery {
                    unit_id: Some(w.b.0),
                    ..Default::default()
                }
            )
            .await
            .unwrap()
            .total,
        0
    );
}
