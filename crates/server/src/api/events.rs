//! Events: the bulk intake for shippers and agents (`POST /api/v1/events`, NDJSON, optionally gzip, authenticated by
//! the source's own token), search over stored events, event sources, the detector reload and `/metrics`.

use std::io::Read as _;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use canhgac_ingest::{Accepted, CollectError, DetectorReport};
use canhgac_model::UnitId;
use canhgac_store::{EventPage, EventQuery, EventSource, SourceKind, StoreError, StoredEvent};
use serde::Deserialize;

use crate::api::{ApiResult, Body};
use crate::auth::Api;
use crate::error::ApiError;
use crate::AppState;

/// Largest decompressed body of one intake request.
pub const EVENTS_DECOMPRESSED_LIMIT: usize = 64 * 1024 * 1024;

fn not_running() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "not_collecting",
        "event collection is not running on this server",
    )
}

/// Reads the body as UTF-8 text, gunzipping it when the sender says so.
fn body_text(headers: &HeaderMap, body: &Bytes) -> Result<String, ApiError> {
    let gzip = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    let bytes = if gzip {
        let mut out = Vec::new();
        let limit = EVENTS_DECOMPRESSED_LIMIT as u64 + 1;
        // Capped: `take` stops a gzip bomb one byte past the limit, which is then refused.
        #[allow(clippy::disallowed_methods)]
        flate2::read::GzDecoder::new(&body[..])
            .take(limit)
            .read_to_end(&mut out)
            .map_err(|e| ApiError::bad_request(format!("the gzip body cannot be read: {e}")))?;
        if out.len() > EVENTS_DECOMPRESSED_LIMIT {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("the body is larger than {EVENTS_DECOMPRESSED_LIMIT} bytes once decompressed"),
            ));
        }
        out
    } else {
        body.to_vec()
    };
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        ApiError::bad_request(format!("the body is not UTF-8 (invalid byte at offset {at})"))
    })
}

/// `POST /api/v1/events`: NDJSON events from one source. Answers only once the stored events are durable; 429 with
/// `Retry-After` while detection is behind.
pub async fn intake(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    match intake_inner(&state, &headers, &body).await {
        Ok(accepted) => (StatusCode::OK, Json(accepted)).into_response(),
        Err(e) => e,
    }
}

async fn intake_inner(state: &AppState, headers: &HeaderMap, body: &Bytes) -> Result<Accepted, Response> {
    let unauthorized = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid event source token is required",
        )
        .into_response()
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(unauthorized)?;
    let source = state
        .store
        .source_for_token(token.trim())
        .await
        .map_err(|e| ApiError::from(e).into_response())?
        .ok_or_else(unauthorized)?;
    let ingest = state
        .ingest
        .as_ref()
        .ok_or_else(|| not_running().into_response())?;
    let text = body_text(headers, body).map_err(IntoResponse::into_response)?;
    match ingest.collector.submit_http(&source, &text).await {
        Ok(a) => Ok(a),
        Err(CollectError::Busy { lag, limit }) => {
            ingest.collector.metrics.add(&format!("http:{}", source.id), |c| {
                c.dropped += text.lines().count() as u64
            });
            let mut r = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "busy",
                format!("detection is {lag} events behind (limit {limit}); retry later"),
            )
            .into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("2"));
            Err(r)
        }
        Err(CollectError::Store(e)) => Err(ApiError::from(e).into_response()),
        Err(e) => {
            Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()).into_response())
        }
    }
}

/// Search parameters (`field` is `name=value`).
#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    pub unit_id: Option<i64>,
    #[serde(default)]
    pub host: String,
    /// Milliseconds since the epoch.
    #[serde(default)]
    pub from: Option<i64>,
    #[serde(default)]
    pub to: Option<i64>,
    #[serde(default)]
    pub field: String,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub before: Option<i64>,
    #[serde(default)]
    pub limit: Option<i64>,
}

impl SearchParams {
    /// The store query; a `field` without `=` is an error naming the parameter.
    pub fn query(&self) -> Result<EventQuery, StoreError> {
        let field = match self.field.trim() {
            "" => None,
            f => {
                let (k, v) = f.split_once('=').ok_or_else(|| {
                    StoreError::Invalid(canhgac_model::Invalid(vec![canhgac_model::FieldError::new(
                        "field",
                        "err.field_value",
                    )]))
                })?;
                Some((k.trim().to_string(), v.trim().to_string()))
            }
        };
        Ok(EventQuery {
            unit_id: self.unit_id,
            host: self.host.clone(),
            from: self.from,
            to: self.to,
            field,
            text: self.q.clone(),
            before: self.before,
            limit: self.limit.unwrap_or(50),
        })
    }
}

/// `GET /api/v1/events`: stored events, newest first.
pub async fn search(api: Api, Query(p): Query<SearchParams>) -> ApiResult<EventPage> {
    let q = p.query()?;
    Ok(Json(api.state.store.search_events(&api.actor, &q).await?))
}

/// `GET /api/v1/events/{id}`.
pub async fn get(api: Api, Path(id): Path<i64>) -> ApiResult<StoredEvent> {
    Ok(Json(api.state.store.event(&api.actor, id).await?))
}

/// `GET /api/v1/sources`.
pub async fn sources(api: Api) -> ApiResult<Vec<EventSource>> {
    Ok(Json(api.state.store.event_sources(&api.actor).await?))
}

#[derive(Deserialize)]
pub struct NewSource {
    unit_id: Option<i64>,
    name: String,
    kind: String,
    #[serde(default)]
    cidr: String,
}

/// `POST /api/v1/sources`: the token of an HTTP source is in the answer, once.
pub async fn create_source(
    api: Api,
    Body(b): Body<NewSource>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let unit = b.unit_id.map_or(api.actor.unit_id, UnitId);
    let kind =
        SourceKind::parse(&b.kind).ok_or_else(|| ApiError::bad_request("kind must be http or syslog"))?;
    let (source, token) = api
        .state
        .store
        .create_event_source(&api.actor, unit, &b.name, kind, &b.cidr)
        .await?;
    reload_sources(&api.state).await;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "source": source, "token": token })),
    ))
}

/// `POST /api/v1/sources/{id}/deactivate`.
pub async fn deactivate_source(api: Api, Path(id): Path<i64>) -> ApiResult<EventSource> {
    let s = api.state.store.deactivate_event_source(&api.actor, id).await?;
    reload_sources(&api.state).await;
    Ok(Json(s))
}

/// Makes the syslog listeners see a source change at once.
pub async fn reload_sources(state: &AppState) {
    if let Some(ingest) = &state.ingest {
        if let Err(e) = ingest.collector.reload_sources().await {
            tracing::error!(error = %e, "reloading syslog sources failed");
        }
    }
}

/// A list was imported or rules changed: the pipeline rebuilds its detector in the background.
pub fn lists_changed(state: &AppState) {
    if let Some(ingest) = state.ingest.clone() {
        tokio::spawn(async move {
            if let Err(e) = ingest.reload().await {
                tracing::error!(error = %e, "rebuilding the detector failed");
            }
        });
    }
}

/// `POST /api/v1/detector/reload`: re-reads the Sigma rules and the current lists (Department only).
pub async fn reload(api: Api) -> ApiResult<DetectorReport> {
    if !api.actor.is_dept_admin() {
        return Err(StoreError::Forbidden.into());
    }
    let ingest = api.state.ingest.as_ref().ok_or_else(not_running)?;
    Ok(Json(ingest.reload().await?))
}

/// `GET /metrics`: Prometheus counters (a Department administrator's API token).
pub async fn metrics(api: Api) -> Result<Response, ApiError> {
    if !api.actor.is_dept_admin() {
        return Err(StoreError::Forbidden.into());
    }
    let text = api
        .state
        .ingest
        .as_ref()
        .map(|i| i.collector.metrics.render())
        .unwrap_or_default();
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        text,
    )
        .into_response())
}
