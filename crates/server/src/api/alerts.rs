//! Alerts: the queue, one alert, the officer's actions, comments, per-unit summary, suppressions.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::Json;
use canhgac_model::{Alert, AlertComment, NewAlert, Severity, UnitId, UserId, Verdict};
use canhgac_store::{now_ms, AlertQuery, Page, Raised, StoreError, Suppression, UnitAlertSummary};
use serde::Deserialize;

use crate::api::{ApiResult, Body};
use crate::auth::Api;
use crate::error::ApiError;

/// Alerts raised by hand are grouped like the pipeline's, within an hour.
const MANUAL_WINDOW_MS: i64 = 3_600_000;

pub async fn list(api: Api, Query(q): Query<AlertQuery>) -> ApiResult<Page<Alert>> {
    Ok(Json(api.state.store.alerts(&api.actor, &q).await?))
}

pub async fn get(api: Api, Path(id): Path<i64>) -> ApiResult<Alert> {
    Ok(Json(api.state.store.alert(&api.actor, id).await?))
}

#[derive(Deserialize)]
pub struct Manual {
    unit_id: Option<i64>,
    title: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    host: String,
    #[serde(default)]
    details: serde_json::Value,
}

/// `POST /api/v1/alerts`: a person reports an alert (e.g. from the anti-malware console) into the unit's queue.
pub async fn create(api: Api, Body(b): Body<Manual>) -> Result<(StatusCode, Json<Alert>), ApiError> {
    let unit = b.unit_id.map_or(api.actor.unit_id, UnitId);
    if !api.actor.allows(canhgac_model::Permission::Read, unit) {
        return Err(StoreError::NotFound.into());
    }
    if !api.actor.can_write_unit(unit) {
        return Err(StoreError::Forbidden.into());
    }
    let title = b.title.trim();
    if title.is_empty() {
        return Err(ApiError::bad_request("title is required"));
    }
    let severity = Severity::parse(&b.severity).unwrap_or(Severity::Medium);
    let alert = NewAlert {
        unit_id: unit,
        source: "manual".into(),
        rule_id: format!("manual:{}", title.to_lowercase()),
        title: title.into(),
        severity,
        host: b.host.trim().into(),
        seen_at: now_ms(),
        details: b.details,
        event_key: None,
    };
    let id = match api.state.store.raise_alert(&alert, MANUAL_WINDOW_MS).await? {
        Raised::Created(id) | Raised::Grouped(id) | Raised::Duplicate(id) => id,
        Raised::Suppressed(_) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "suppressed",
                "a suppression hides this alert",
            ))
        }
    };
    Ok((
        StatusCode::CREATED,
        Json(api.state.store.alert(&api.actor, id).await?),
    ))
}

pub async fn claim(api: Api, Path(id): Path<i64>) -> ApiResult<Alert> {
    Ok(Json(api.state.store.claim_alert(&api.actor, id).await?))
}

#[derive(Deserialize)]
pub struct Assign {
    user_id: i64,
}

pub async fn assign(api: Api, Path(id): Path<i64>, Body(b): Body<Assign>) -> ApiResult<Alert> {
    Ok(Json(
        api.state
            .store
            .assign_alert(&api.actor, id, UserId(b.user_id))
            .await?,
    ))
}

pub async fn verify(api: Api, Path(id): Path<i64>) -> ApiResult<Alert> {
    Ok(Json(api.state.store.verify_alert(&api.actor, id).await?))
}

#[derive(Deserialize)]
pub struct Close {
    verdict: String,
    #[serde(default)]
    remediation: String,
}

pub async fn close(api: Api, Path(id): Path<i64>, Body(b): Body<Close>) -> ApiResult<Alert> {
    let verdict = Verdict::parse(&b.verdict)
        .ok_or_else(|| ApiError::bad_request("verdict must be true_positive, false_positive or benign"))?;
    Ok(Json(
        api.state
            .store
            .close_alert(&api.actor, id, verdict, &b.remediation)
            .await?,
    ))
}

pub async fn reopen(api: Api, Path(id): Path<i64>) -> ApiResult<Alert> {
    Ok(Json(api.state.store.reopen_alert(&api.actor, id).await?))
}

pub async fn comments(api: Api, Path(id): Path<i64>) -> ApiResult<Vec<AlertComment>> {
    Ok(Json(api.state.store.alert_comments(&api.actor, id).await?))
}

#[derive(Deserialize)]
pub struct Comment {
    body: String,
}

pub async fn comment(
    api: Api,
    Path(id): Path<i64>,
    Body(b): Body<Comment>,
) -> Result<(StatusCode, Json<AlertComment>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(api.state.store.comment_alert(&api.actor, id, &b.body).await?),
    ))
}

pub async fn summary(api: Api) -> ApiResult<Vec<UnitAlertSummary>> {
    Ok(Json(api.state.store.alert_summary(&api.actor).await?))
}

pub async fn suppressions(api: Api) -> ApiResult<Vec<Suppression>> {
    Ok(Json(api.state.store.suppressions(&api.actor).await?))
}

#[derive(Deserialize)]
pub struct NewSuppression {
    /// Absent: every unit (the Department only).
    unit_id: Option<i64>,
    rule_id: String,
    #[serde(default)]
    host: String,
    reason: String,
    expires_at: Option<i64>,
}

pub async fn add_suppression(
    api: Api,
    Body(b): Body<NewSuppression>,
) -> Result<(StatusCode, Json<Suppression>), ApiError> {
    let s = api
        .state
        .store
        .add_suppression(
            &api.actor,
            b.unit_id.map(UnitId),
            &b.rule_id,
            &b.host,
            &b.reason,
            b.expires_at,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(s)))
}
