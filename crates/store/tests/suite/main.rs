//! The store conformance story, run against SQLite always and against PostgreSQL when
//! `CANHGAC_TEST_POSTGRES_URL` is set (each run in a fresh database it creates and drops).

use canhgac_model::{Actor, AssetInput, AssetStatus, Role, UnitId, UnitInput};
use canhgac_store::{AssetQuery, AssetSort, AuditQuery, NewUser, Store, StoreError};
use sqlx::Connection;

mod agents;
mod alerts;
mod assets;
mod botnet;
mod duty;
mod events;
mod org;
mod rules;
mod scans;
mod vuln;
mod vuln_linux;

use agents::*;
use alerts::*;
use assets::*;
use botnet::*;
use duty::*;
use events::*;
use org::*;
use rules::*;
use scans::*;
use vuln::*;
use vuln_linux::*;

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
    botnet_list_becomes_each_units_queue,
    events_sources_batches_search_retention,
    events_windows_fields_read_from_original,
    agents_enroll_inventory_silence_revoke,
    vulnerabilities_from_feeds_to_findings,
    national_warnings_import_from_csv,
    real_microsoft_2023_states,
    linux_agent_inventories_to_findings,
    rules_enabled_per_unit,
    custom_rules_validated_and_versioned,
    scans_rulesets_tasks_results_coverage
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
