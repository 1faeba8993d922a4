//! Units, people, sign-in, isolation between units, the audit chain and backups.

use super::*;

pub async fn bootstrap_and_login(store: &Store) {
    let pw = store.bootstrap("Sở Y tế", "admin").await.unwrap().unwrap();
    assert!(
        store.bootstrap("Sở Y tế", "admin").await.unwrap().is_none(),
        "second start must not re-create"
    );
    let login = store.login("ADMIN", &pw).await.unwrap();
    assert_eq!(login.user.role, Role::DeptAdmin);
    assert!(login.user.must_change_password);
    let s = store.session(&login.token).await.unwrap().unwrap();
    assert_eq!(s.csrf, login.csrf);
    assert!(store.session("forged").await.unwrap().is_none());
    assert!(matches!(
        store.login("admin", "wrong").await,
        Err(StoreError::LoginRefused)
    ));
    assert!(matches!(
        store.login("nobody", &pw).await,
        Err(StoreError::LoginRefused)
    ));
    store.logout(&login.token).await.unwrap();
    assert!(store.session(&login.token).await.unwrap().is_none());
    assert_eq!(
        store.contacts().await.unwrap().len(),
        3,
        "letter's contacts are seeded"
    );
}

pub async fn lockout_after_failures(store: &Store) {
    let pw = store.bootstrap("Sở Y tế", "admin").await.unwrap().unwrap();
    for _ in 0..5 {
        assert!(store.login("admin", "wrong").await.is_err());
    }
    assert!(
        matches!(store.login("admin", &pw).await, Err(StoreError::LoginRefused)),
        "locked after 5 failures"
    );
    let audit = store.verify_audit_chain().await.unwrap();
    assert_eq!(audit.broken_at, None);
}

pub async fn units_are_isolated(store: &Store) {
    let w = world(store).await;
    let in_b = store
        .create_asset(&w.b_admin, w.b, &asset("B-SRV", "10.2.0.1", "high"))
        .await
        .unwrap();
    store
        .create_asset(&w.a_admin, w.a, &asset("A-SRV", "10.1.0.1", "low"))
        .await
        .unwrap();
    // Unit A sees only its own.
    let page = store.assets(&w.a_admin, &AssetQuery::default()).await.unwrap();
    assert_eq!(
        page.items
            .iter()
            .map(|a| a.fields.hostname.as_str())
            .collect::<Vec<_>>(),
        ["A-SRV"]
    );
    // Even asking for B's unit explicitly.
    let page = store
        .assets(
            &w.a_admin,
            &AssetQuery {
                unit_id: Some(w.b.0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(page.items.iter().all(|a| a.unit_id == w.a));
    assert!(matches!(
        store.asset(&w.a_admin, in_b.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.update_asset(&w.a_admin, in_b.id, &asset("X", "", "")).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.create_asset(&w.a_admin, w.b, &asset("X", "", "")).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.unit(&w.a_admin, w.b).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.unit_ranges(&w.a_admin, w.b).await,
        Err(StoreError::NotFound)
    ));
    assert!(store.users(&w.a_admin, Some(w.b)).await.is_err());
    let mk = NewUser {
        unit_id: w.b.0,
        username: "intruder".into(),
        display_name: "x".into(),
        role: "viewer".into(),
        ..Default::default()
    };
    assert!(store.create_user(&w.a_admin, &mk).await.is_err());
    // A unit administrator cannot create a Department administrator.
    let mk = NewUser {
        unit_id: w.a.0,
        username: "esc".into(),
        display_name: "x".into(),
        role: "dept_admin".into(),
        ..Default::default()
    };
    assert!(matches!(
        store.create_user(&w.a_admin, &mk).await,
        Err(StoreError::Invalid(_))
    ));
    // The Department sees both.
    assert_eq!(
        store
            .assets(&w.admin, &AssetQuery::default())
            .await
            .unwrap()
            .total,
        2
    );
    assert_eq!(store.units(&w.a_admin).await.unwrap().len(), 1);
    // Audit: unit A's administrator sees only unit A's entries.
    let audit = store.audit(&w.a_admin, &AuditQuery::default()).await.unwrap();
    assert!(audit.items.iter().all(|e| e.unit_id == Some(w.a.0)));
    assert!(audit.total >= 1);
    let _ = w.b_admin;
}

pub async fn audit_chain_detects_tampering(store: &Store) {
    let w = world(store).await;
    store
        .create_asset(&w.a_admin, w.a, &asset("A1", "", ""))
        .await
        .unwrap();
    let ok = store.verify_audit_chain().await.unwrap();
    assert_eq!(ok.broken_at, None);
    assert!(ok.entries >= 5);
    // The database refuses edits of the log.
    assert!(sqlx::query("UPDATE audit_log SET username = 'x'")
        .execute(store.pool())
        .await
        .is_err());
    assert!(sqlx::query("DELETE FROM audit_log")
        .execute(store.pool())
        .await
        .is_err());
    // Someone with file access who removes the guard and edits a row is caught by the chain.
    let disable = match store.backend() {
        canhgac_store::Backend::Sqlite => "DROP TRIGGER audit_no_update",
        canhgac_store::Backend::Postgres => "ALTER TABLE audit_log DISABLE TRIGGER audit_no_change",
    };
    sqlx::query(disable).execute(store.pool()).await.unwrap();
    sqlx::query("UPDATE audit_log SET after_json = '{}' WHERE id = 3")
        .execute(store.pool())
        .await
        .unwrap();
    assert_eq!(store.verify_audit_chain().await.unwrap().broken_at, Some(3));
}

#[tokio::test]
async fn backup_is_a_consistent_copy() {
    let (store, dir) = sqlite().await;
    let w = world(&store).await;
    store
        .create_asset(&w.a_admin, w.a, &asset("KEEP-ME", "", ""))
        .await
        .unwrap();
    let dest = dir.path().join("backup.db");
    store.backup_to(&dest).await.unwrap();
    assert!(store.backup_to(&dest).await.is_err(), "never overwrites");
    let copy = Store::open(&format!("sqlite://{}", dest.display()))
        .await
        .unwrap();
    let page = copy.assets(&w.admin, &AssetQuery::default()).await.unwrap();
    assert_eq!(page.items[0].fields.hostname, "KEEP-ME");
    assert_eq!(copy.verify_audit_chain().await.unwrap().broken_at, None);
}
