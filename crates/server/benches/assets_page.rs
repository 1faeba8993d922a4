//! Benchmark: the asset list over 10,000 assets (embedded SQLite), as the server answers it — routing, session,
//! scoped query, count and template — through the router without a socket. Prints median and p95 per query and
//! the ratio to the 50 ms goal. Run with `bench/console/run` (or `cargo bench -p canhgac-server --bench assets_page`).

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request};
use canhgac_model::{Actor, AssetInput, UnitInput};
use canhgac_server::{app, AppState};
use canhgac_store::{NewUser, Store};
use http_body_util::BodyExt;
use tower::ServiceExt;

const ASSETS: usize = 10_000;
const RUNS: usize = 60;
const GOAL_MS: f64 = 50.0;

fn main() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open_data_dir(dir.path()).await.expect("store");
    let pw = store
        .bootstrap("Sở Y tế", "admin")
        .await
        .expect("bootstrap")
        .expect("password");
    let admin = store.login("admin", &pw).await.expect("login");
    let dept = Actor {
        user_id: admin.user.id,
        unit_id: admin.user.unit_id,
        role: admin.user.role,
    };
    let unit = UnitInput {
        code: "BV1".into(),
        name: "Bệnh viện 1".into(),
        kind: "public_hospital".into(),
        ..Default::default()
    };
    let unit = store.create_unit(&dept, &unit).await.expect("unit").id;
    let rows: Vec<_> = (0..ASSETS)
        .map(|i| {
            let crit = ["low", "medium", "high", "critical"][i % 4];
            let kind = if i % 10 == 0 { "server" } else { "workstation" };
            AssetInput {
                hostname: format!("PC-{i:05}"),
                ips: format!("10.{}.{}.{}", i / 65536, i / 256 % 256, i % 256),
                os: "Windows 10 Pro".into(),
                os_version: "22H2 19045".into(),
                kind: kind.into(),
                criticality: crit.into(),
                location: format!("Khoa {}", i % 37),
                ..Default::default()
            }
            .validate()
            .expect("valid")
        })
        .collect();
    store
        .import_assets(&dept, unit, &rows, "bench")
        .await
        .expect("import");
    let u = NewUser {
        unit_id: unit.0,
        username: "unit.admin".into(),
        display_name: "Unit".into(),
        role: "unit_admin".into(),
        password: "bench password 1".into(),
        ..Default::default()
    };
    store.create_user(&dept, &u).await.expect("user");
    let login = store
        .login("unit.admin", "bench password 1")
        .await
        .expect("login");
    let cookie = format!("cg_session={}", login.token);
    let unit_actor = Actor {
        user_id: login.user.id,
        unit_id: login.user.unit_id,
        role: login.user.role,
    };
    let (_, token) = store.create_api_token(&unit_actor, "bench").await.expect("token");
    let router = app(AppState::new(store, false).expect("state"));

    println!(
        "asset list, {ASSETS} assets, {RUNS} runs each (server-side: routing, session, query, template)"
    );
    println!(
        "{:<44} {:>10} {:>10} {:>14}",
        "query", "median ms", "p95 ms", "goal 50 ms ×"
    );
    for uri in [
        "/assets",
        "/assets?page=100",
        "/assets?sort=criticality&desc=true&page=50",
        "/assets?q=khoa+3",
        "/assets?kind=server&criticality=high",
        "/api/v1/assets?per_page=50&page=150",
    ] {
        let mut times = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let req = if uri.starts_with("/api/") {
                Request::get(uri).header(header::AUTHORIZATION, format!("Bearer {token}"))
            } else {
                Request::get(uri).header(header::COOKIE, &cookie)
            };
            let req = req.body(Body::empty()).expect("request");
            let t = Instant::now();
            let resp = router.clone().oneshot(req).await.expect("response");
            let _ = resp.into_body().collect().await.expect("body");
            times.push(t.elapsed());
        }
        times.sort();
        let median = ms(times[RUNS / 2]);
        let p95 = ms(times[RUNS * 95 / 100]);
        println!("{uri:<44} {median:>10.2} {p95:>10.2} {:>14.2}", median / GOAL_MS);
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
