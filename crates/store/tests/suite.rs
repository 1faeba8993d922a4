//! The store conformance story, run against SQLite always and against PostgreSQL when
//! `CANHGAC_TEST_POSTGRES_URL` is set (each run in a fresh database it creates and drops).

use canhgac_model::{Actor, AssetInput, AssetStatus, Role, UnitId, UnitInput};
use canhgac_store::{AssetQuery, AssetSort, AuditQuery, NewUser, Store, StoreError};
use sqlx::Connection;

async fn sqlite() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (Store::open_data_dir(dir.path()).await.unwrap(), dir)
}

/// A fresh PostgreSQL database for one test, or `None` (with the reason printed) when no server is configured.
async fn postgres() -> Option<(Store, String, String)> {
    let Ok(base) = std::env::var("CANHGAC_TEST_POSTGRES_URL") else {
        eprintln!(
            "skipped: CANHGAC_TEST_POSTGRES_URL is not set, PostgreSQL half of the store suite not run"
        );
        return None;
    };
    sqlx::any::install_default_drivers();
    let name = format!("canhgac_t_{}_{}", std::process::id(), rand_suffix());
    let mut admin = sqlx::AnyConnection::connect(&base)
        .await
        .expect("connect to CANHGAC_TEST_POSTGRES_URL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let url = match base.rfind('/') {
        Some(i) if base[..i].contains("://") && i > base.find("://").unwrap() + 2 => {
            format!("{}/{name}", &base[..i])
        }
        _ => format!("{base}/{name}"),
    };
    Some((Store::open(&url).await.unwrap(), base, name))
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64
}

async fn drop_pg(store: Store, base: &str, name: &str) {
    store.pool().close().await;
    if let Ok(mut admin) = sqlx::AnyConnection::connect(base).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
            .execute(&mut admin)
            .await;
    }
}

macro_rules! store_suite {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let (store, _dir) = super::sqlite().await;
                    super::$name(&store).await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some((store, base, db)) = super::postgres().await else { return };
                    super::$name(&store).await;
                    super::drop_pg(store, &base, &db).await;
                }
            )*
        }
    };
}

store_suite!(
    bootstrap_and_login,
    lockout_after_failures,
    units_are_isolated,
    asset_lifecycle,
    import_is_all_or_nothing,
    audit_chain_detects_tampering,
    duty_roster_week_with_a_hole,
    alerts_group_dedupe_suppress_and_flow,
    botnet_list_becomes_each_units_queue
);

struct World {
    admin: Actor,
    a_admin: Actor,
    b_admin: Actor,
    a: UnitId,
    b: UnitId,
}

async fn admin_of(store: &Store) -> Actor {
    let pw = store
        .bootstrap("Sở Y tế Đồng Tháp", "admin")
        .await
        .unwrap()
        .expect("first bootstrap gives a password");
    store.login("admin", &pw).await.unwrap();
    let s = store.login("admin", &pw).await.unwrap();
    Actor {
        user_id: s.user.id,
        unit_id: s.user.unit_id,
        role: s.user.role,
    }
}

fn unit_input(code: &str, name: &str) -> UnitInput {
    UnitInput {
        code: code.into(),
        name: name.into(),
        kind: "public_hospital".into(),
        ..Default::default()
    }
}

async fn world(store: &Store) -> World {
    let admin = admin_of(store).await;
    let a = store
        .create_unit(&admin, &unit_input("BVA", "Bệnh viện A"))
        .await
        .unwrap()
        .id;
    let b = store
        .create_unit(&admin, &unit_input("BVB", "Bệnh viện B"))
        .await
        .unwrap()
        .id;
    let mk = |unit: UnitId, name: &str| NewUser {
        unit_id: unit.0,
        username: name.into(),
        display_name: name.into(),
        role: "unit_admin".into(),
        password: "a long enough password".into(),
        ..Default::default()
    };
    let (ua, _) = store.create_user(&admin, &mk(a, "admin.a")).await.unwrap();
    let (ub, _) = store.create_user(&admin, &mk(b, "admin.b")).await.unwrap();
    let actor = |u: &canhgac_model::User| Actor {
        user_id: u.id,
        unit_id: u.unit_id,
        role: u.role,
    };
    World {
        a_admin: actor(&ua),
        b_admin: actor(&ub),
        admin,
        a,
        b,
    }
}

fn asset(host: &str, ip: &str, crit: &str) -> canhgac_model::AssetFields {
    AssetInput {
        hostname: host.into(),
        ips: ip.into(),
        criticality: crit.into(),
        kind: "server".into(),
        ..Default::default()
    }
    .validate()
    .unwrap()
}

async fn bootstrap_and_login(store: &Store) {
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

async fn lockout_after_failures(store: &Store) {
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

async fn units_are_isolated(store: &Store) {
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

async fn asset_lifecycle(store: &Store) {
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

async fn import_is_all_or_nothing(store: &Store) {
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

async fn audit_chain_detects_tampering(store: &Store) {
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

/// A week of three shifts a day, one shift cut short by two hours: the gap check reports exactly that hole;
/// swaps and handovers are scoped and audited; unit B sees none of A's roster.
async fn duty_roster_week_with_a_hole(store: &Store) {
    use canhgac_model::roster::{local_midnight, parse_local_datetime, parse_slots, Gap};
    let w = world(store).await;
    let mut officers = Vec::new();
    for name in ["an.a", "binh.a", "chi.a"] {
        let u = NewUser {
            unit_id: w.a.0,
            username: name.into(),
            display_name: name.into(),
            role: "duty_officer".into(),
            password: "a long enough password".into(),
            ..Default::default()
        };
        officers.push(store.create_user(&w.a_admin, &u).await.unwrap().0);
    }
    let ids: Vec<_> = officers.iter().map(|u| u.id).collect();
    // Tet week 2024: Friday 9 February to Friday 16 February, local time.
    let first = local_midnight("2024-02-09").unwrap();
    let slots = parse_slots("slots", "07:00-15:00, 15:00-23:00, 23:00-07:00").unwrap();
    let week = (first + 7 * 3_600_000, first + 7 * 86_400_000 + 7 * 3_600_000);
    let n = store
        .add_pattern(&w.a_admin, w.a, first, 7, &slots, &ids)
        .await
        .unwrap();
    assert_eq!(n, 21);
    assert!(store
        .coverage_gaps(&w.a_admin, w.a, week.0, week.1)
        .await
        .unwrap()
        .is_empty());
    // Cut the Tet-eve night shift: it now ends at 05:00 instead of 07:00 on 10 February.
    let night = parse_local_datetime("2024-02-09T23:00").unwrap();
    let shifts = store.shifts(&w.a_admin, w.a, night, night + 1).await.unwrap();
    let cut = shifts
        .iter()
        .find(|s| s.starts_at == night)
        .expect("the night shift")
        .clone();
    store.delete_shift(&w.a_admin, cut.id).await.unwrap();
    let short_end = parse_local_datetime("2024-02-10T05:00").unwrap();
    store
        .add_shift(&w.a_admin, w.a, cut.user_id, Some(night), Some(short_end))
        .await
        .unwrap();
    let gaps = store
        .coverage_gaps(&w.a_admin, w.a, week.0, week.1)
        .await
        .unwrap();
    assert_eq!(
        gaps,
        [Gap {
            start: short_end,
            end: parse_local_datetime("2024-02-10T07:00").unwrap()
        }],
        "exactly the two-hour hole"
    );
    // Who is on duty at 10:00 on the 12th: one officer of A; nobody for B.
    let t = parse_local_datetime("2024-02-12T10:00").unwrap();
    let now = store.on_duty(&w.a_admin, t).await.unwrap();
    assert_eq!(now.len(), 1);
    assert!(store.on_duty(&w.b_admin, t).await.unwrap().is_empty());
    assert_eq!(
        store.on_duty(&w.admin, t).await.unwrap().len(),
        1,
        "the Department sees every unit"
    );
    // The officer on duty hands the shift to a colleague and writes a handover note; a stranger cannot.
    let on = &now[0];
    let officer = Actor {
        user_id: on.user_id,
        unit_id: w.a,
        role: Role::DutyOfficer,
    };
    let other = ids.iter().copied().find(|u| *u != on.user_id).unwrap();
    let swapped = store.swap_shift(&officer, on.id, other).await.unwrap();
    assert_eq!(swapped.user_id, other);
    assert!(matches!(
        store.swap_shift(&officer, on.id, on.user_id).await,
        Err(StoreError::Forbidden)
    ));
    let noted = store
        .hand_over(&w.a_admin, on.id, "Cảnh báo #12 còn mở")
        .await
        .unwrap();
    assert_eq!(noted.handover, "Cảnh báo #12 còn mở");
    assert!(matches!(
        store.shift(&w.b_admin, on.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.hand_over(&w.b_admin, on.id, "x").await,
        Err(StoreError::NotFound)
    ));
    assert!(store.shifts(&w.b_admin, w.a, week.0, week.1).await.is_err());
    // Staff (training only) and people of another unit cannot stand duty in A.
    let b_person = store.users(&w.admin, Some(w.b)).await.unwrap()[0].id;
    assert!(matches!(
        store
            .add_shift(&w.a_admin, w.a, b_person, Some(night), Some(short_end))
            .await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store
            .add_shift(&w.a_admin, w.a, ids[0], Some(short_end), Some(night))
            .await,
        Err(StoreError::Invalid(_))
    ));
    let audit = store
        .audit(
            &w.admin,
            &AuditQuery {
                entity: "duty_shift".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(audit.items.iter().any(|e| e.action == "swap"));
    assert!(audit.items.iter().any(|e| e.action == "handover"));
}

/// Repeats group, replays count once, suppressions hide and count, the officer's flow records its times, and
/// another unit sees none of it.
async fn alerts_group_dedupe_suppress_and_flow(store: &Store) {
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

/// A Botnet IP list as a Vietnamese CSV: matched against A's public range (every machine behind it, most critical
/// first) and B's own address; a bad line reported; the next version's changes counted; each unit sees its own.
async fn botnet_list_becomes_each_units_queue(store: &Store) {
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
}
