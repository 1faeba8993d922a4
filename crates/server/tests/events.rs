//! The event intake over HTTP: per-source tokens, NDJSON with bad lines named, gzip, re-sent events stored once,
//! pushback (429 with Retry-After) while detection lags, counters on `/metrics`, and search scoped by unit.

mod common;

use std::io::Write;

use axum::body::Body;
use axum::http::{header, Request};
use canhgac_ingest::{CollectorConfig, IngestConfig};
use canhgac_model::UnitId;
use canhgac_server::{app, AppState};
use canhgac_store::SourceKind;
use common::{request, send, world};

fn post(token: &str, body: Vec<u8>, gzip: bool) -> Request<Body> {
    let mut b = Request::builder()
        .method("POST")
        .uri("/api/v1/events")
        .header(header::CONTENT_TYPE, "application/x-ndjson");
    if !token.is_empty() {
        b = b.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    if gzip {
        b = b.header(header::CONTENT_ENCODING, "gzip");
    }
    b.body(Body::from(body)).unwrap()
}

fn gzip(text: &str) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(text.as_bytes()).unwrap();
    e.finish().unwrap()
}

const EVENT: &str = r#"{"EventID":4688,"Channel":"Security","Hostname":"WS-INTAKE","TimeCreated":"2024-02-09 07:00:00.000","NewProcessName":"C:\\Windows\\System32\\whoami.exe","CommandLine":"whoami /all"}"#;

#[tokio::test]
async fn intake_accepts_durably_names_bad_lines_and_pushes_back() {
    let w = world().await;
    let admin = w.dept.actor.unwrap();
    let (source, token) = w
        .store
        .create_event_source(&admin, UnitId(w.unit_a), "shipper A", SourceKind::Http, "")
        .await
        .unwrap();
    let token = token.unwrap();
    let config = IngestConfig {
        collector: CollectorConfig {
            max_lag: 5,
            ..Default::default()
        },
        detection_off: true,
        ..Default::default()
    };
    let ingest = canhgac_ingest::start(w.store.clone(), config).await.unwrap();
    let router = app(AppState::new(w.store.clone(), false).unwrap().with_ingest(ingest));

    // No token, a user's API token, a wrong token: all refused.
    for t in ["", w.dept.token.as_str(), "cgs_not-a-token"] {
        let (status, _, _) = send(&router, post(t, EVENT.into(), false)).await;
        assert_eq!(status, 401, "token {t:?}");
    }

    // Two good lines around a bad one: the good are stored, the bad named by line.
    let body = format!("{EVENT}\nthis is not an event\n{EVENT}\n");
    let (status, _, text) = send(&router, post(&token, body.into_bytes(), false)).await;
    assert_eq!(status, 200, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["stored"], 2);
    assert_eq!(v["rejected"][0]["line"], 2);
    assert!(v["rejected"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("not a known format"));

    // Gzip, and a numbered event sent twice is stored once.
    let numbered = format!(r#"{{"ext_id":"agent-1:0:42","event":{EVENT}}}"#);
    let (status, _, text) = send(&router, post(&token, gzip(&numbered), true)).await;
    assert_eq!((status, text.contains(r#""stored":1"#)), (200, true), "{text}");
    let (status, _, text) = send(&router, post(&token, gzip(&numbered), true)).await;
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (v["stored"].as_u64(), v["duplicates"].as_u64()),
        (Some(0), Some(1))
    );
    // A body that is not gzip although it says so.
    let (status, _, text) = send(&router, post(&token, b"plain".to_vec(), true)).await;
    assert_eq!(status, 400, "{text}");

    // Detection is off: the backlog passes the bound of 5 and the sender is pushed back.
    let many = std::iter::repeat_n(EVENT, 5).collect::<Vec<_>>().join("\n");
    let (status, _, _) = send(&router, post(&token, many.clone().into_bytes(), false)).await;
    assert_eq!(status, 200);
    let (status, resp, text) = send(&router, post(&token, many.into_bytes(), false)).await;
    assert_eq!(status, 429, "{text}");
    assert_eq!(resp.headers().get(header::RETRY_AFTER).unwrap(), "2");

    // Counters by source, for a Department administrator only.
    let req = Request::builder()
        .uri("/metrics")
        .header(header::AUTHORIZATION, format!("Bearer {}", w.dept.token))
        .body(Body::empty())
        .unwrap();
    let (status, _, metrics) = send(&router, req).await;
    assert_eq!(status, 200);
    let label = format!("source=\"http:{}\"", source.id);
    assert!(
        metrics.contains(&format!("canhgac_events_stored_total{{{label}}} 8")),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!("canhgac_parse_errors_total{{{label}}} 1")),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!("canhgac_events_duplicate_total{{{label}}} 1")),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!("canhgac_events_dropped_total{{{label}}} 5")),
        "{metrics}"
    );
    let officer = &w.a[1];
    let req = Request::builder()
        .uri("/metrics")
        .header(header::AUTHORIZATION, format!("Bearer {}", officer.token))
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&router, req).await.0, 403);

    // Search: A's officer finds the events by field; B's events stay out of A's results.
    let uri = "/api/v1/events?field=CommandLine%3Dwhoami%20%2Fall&limit=100";
    let (status, _, text) = send(&router, request(officer, "GET", uri, None, Vec::new())).await;
    assert_eq!(status, 200, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["items"].as_array().unwrap().len(), 8);
    let (_, _, text) = send(
        &router,
        request(officer, "GET", "/api/v1/events?limit=500", None, Vec::new()),
    )
    .await;
    assert!(!text.contains("SECRETB"), "{text}");
    assert!(text.contains("A-EV-HOST"));
}
