//! Central scanning over the API. People (API token): rule set versions (`/scan/rulesets`, upload as the body,
//! compiled before anything is kept), scan tasks, nightly schedules, detections and coverage. Agents (their
//! credential as bearer): their own waiting tasks, the rule bundle by digest, start and result of a task.

use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use canhgac_model::scan::{AgentTask, ScanProfile, TaskKind, TaskResult};
use canhgac_model::{FieldError, UnitId};
use canhgac_store::{
    Coverage, NewScanTasks, RuleSetVersion, ScanDetection, ScanSchedule, ScanTarget, ScanTask, StoreError,
    TaskRecorded, TasksCreated,
};
use serde::Deserialize;

use crate::api::agents::agent_of;
use crate::api::{ApiResult, Body};
use crate::auth::Api;
use crate::error::ApiError;
use crate::scanrules::{publish, PublishError, Published};
use crate::AppState;

/// `GET /api/v1/scan/rulesets`: the Department's versions and the caller's units', newest first.
pub async fn rulesets(api: Api) -> ApiResult<Vec<RuleSetVersion>> {
    Ok(Json(api.state.store.rulesets(&api.actor).await?))
}

#[derive(Deserialize)]
pub struct UploadParams {
    /// The file's name: `.yar`/`.yara`, a hash list (`.txt`), or `.zip`.
    #[serde(default)]
    file: String,
    /// The Department's rule set, for every unit.
    #[serde(default)]
    network: bool,
    #[serde(default)]
    unit_id: Option<i64>,
    /// Publish without the files that failed (they are recorded as left out).
    #[serde(default)]
    publish_partial: bool,
    #[serde(default)]
    note: String,
}

/// The API error for a refused upload: every failing file as a field error `file:line: reason`.
pub fn publish_error(e: PublishError) -> ApiError {
    match e {
        PublishError::Failures(report) => ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "ruleset_failures",
            message: format!(
                "{} file(s) failed; nothing was published (the previous version is kept). Fix them, or publish \
                 without them with publish_partial=true",
                report.failures.len()
            ),
            fields: report
                .failures
                .iter()
                .map(|f| {
                    FieldError::new("file", "err.scan_rule_failed")
                        .with_value(&format!("{}:{}: {}", f.file, f.line, f.reason))
                })
                .collect(),
        },
        PublishError::Upload(u) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_upload", u.to_string()),
        PublishError::Store(s) => s.into(),
    }
}

/// `POST /api/v1/scan/rulesets?file=…&network=…&unit_id=…&publish_partial=…`: the body is the file.
pub async fn upload(
    api: Api,
    Query(p): Query<UploadParams>,
    body: Bytes,
) -> Result<(StatusCode, Json<Published>), ApiError> {
    let unit = crate::api::rules::target(&api.actor, p.network, p.unit_id);
    let name = if p.file.trim().is_empty() {
        "rules.yar".to_string()
    } else {
        p.file
    };
    let published = publish(
        &api.state,
        &api.actor,
        unit,
        name,
        body.to_vec(),
        p.publish_partial,
        &p.note,
    )
    .await
    .map_err(publish_error)?;
    Ok((StatusCode::CREATED, Json(published)))
}

#[derive(Deserialize)]
pub struct ListParams {
    #[serde(default)]
    unit_id: Option<i64>,
    #[serde(default)]
    limit: Option<i64>,
    /// Detections: only open ones.
    #[serde(default)]
    open: bool,
    /// Coverage: the period in days (7 when absent).
    #[serde(default)]
    days: Option<i64>,
}

/// `GET /api/v1/scan/tasks?unit_id=…&limit=…`.
pub async fn tasks(api: Api, Query(p): Query<ListParams>) -> ApiResult<Vec<ScanTask>> {
    Ok(Json(
        api.state
            .store
            .scan_tasks(&api.actor, p.unit_id.map(UnitId), p.limit.unwrap_or(200))
            .await?,
    ))
}

#[derive(Deserialize)]
pub struct NewTasks {
    #[serde(default)]
    unit_id: Option<i64>,
    #[serde(flatten)]
    target: ScanTarget,
    #[serde(default)]
    profile: Option<String>,
    #[serde(default)]
    threads: i64,
}

/// Parses a profile name (`full` when absent).
pub fn profile_of(text: Option<&str>) -> Result<ScanProfile, StoreError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(ScanProfile::Full),
        Some(t) => ScanProfile::parse(t).ok_or_else(|| {
            StoreError::Invalid(canhgac_model::Invalid(vec![FieldError::new(
                "profile",
                "err.choice",
            )
            .with_value(t)]))
        }),
    }
}

/// `POST /api/v1/scan/tasks`: `{"target": "host", "asset_id": …}`, `{"target": "tag", "tag": …}`,
/// `{"target": "unit"}` or `{"target": "botnet"}`, with `unit_id`, `profile` (`quick`/`full`) and `threads`.
pub async fn create_tasks(
    api: Api,
    Body(b): Body<NewTasks>,
) -> Result<(StatusCode, Json<TasksCreated>), ApiError> {
    let req = NewScanTasks {
        unit: b.unit_id.map_or(api.actor.unit_id, UnitId),
        target: b.target,
        profile: profile_of(b.profile.as_deref())?,
        threads: b.threads,
    };
    let created = api.state.store.create_scan_tasks(&api.actor, &req).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// `GET /api/v1/scan/detections?unit_id=…&open=true`.
pub async fn detections(api: Api, Query(p): Query<ListParams>) -> ApiResult<Vec<ScanDetection>> {
    Ok(Json(
        api.state
            .store
            .scan_detections(&api.actor, p.unit_id.map(UnitId), p.open, p.limit.unwrap_or(500))
            .await?,
    ))
}

/// `GET /api/v1/scan/coverage?days=7&unit_id=…`.
pub async fn coverage(api: Api, Query(p): Query<ListParams>) -> ApiResult<Coverage> {
    Ok(Json(
        api.state
            .store
            .scan_coverage(
                &api.actor,
                p.unit_id.map(UnitId),
                p.days.unwrap_or(7),
                canhgac_store::now_ms(),
            )
            .await?,
    ))
}

/// `GET /api/v1/scan/schedules`.
pub async fn schedules(api: Api) -> ApiResult<Vec<ScanSchedule>> {
    Ok(Json(api.state.store.scan_schedules(&api.actor).await?))
}

#[derive(Deserialize)]
pub struct ScheduleBody {
    #[serde(default)]
    unit_id: Option<i64>,
    /// Hour of the night (Vietnam time); absent or null: no nightly scan.
    #[serde(default)]
    hour: Option<i64>,
    #[serde(default)]
    profile: Option<String>,
}

/// `POST /api/v1/scan/schedules`: a unit's nightly scan hour.
pub async fn set_schedule(api: Api, Body(b): Body<ScheduleBody>) -> ApiResult<ScanSchedule> {
    let unit = b.unit_id.map_or(api.actor.unit_id, UnitId);
    let profile = profile_of(b.profile.as_deref())?;
    Ok(Json(
        api.state
            .store
            .set_scan_schedule(&api.actor, unit, b.hour, profile)
            .await?,
    ))
}

/// `POST /api/v1/agent/scan/tasks`: the calling agent's waiting tasks (they become `sent`).
pub async fn agent_tasks(
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: HeaderMap,
) -> ApiResult<Vec<AgentTask>> {
    let agent = agent_of(&state, &headers).await?;
    state.store.touch_agent(&agent).await?;
    Ok(Json(state.store.agent_tasks(&agent).await?))
}

#[derive(Deserialize)]
pub struct BundleRequest {
    #[serde(default)]
    digest: String,
}

/// `POST /api/v1/agent/scan/bundle` `{"digest": …}`: the agent's current rule bundle, if that is its digest.
pub async fn agent_bundle(
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let agent = agent_of(&state, &headers).await?;
    let req: BundleRequest =
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("body: {e}")))?;
    match state.store.effective_bundle(agent.unit_id).await? {
        Some((digest, bytes)) if digest == req.digest.trim() => Ok((
            [
                (header::CONTENT_TYPE, "application/json".to_string()),
                (header::HeaderName::from_static("x-bundle-sha256"), digest),
            ],
            bytes,
        )
            .into_response()),
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such bundle for this agent (superseded: fetch the tasks again)",
        )),
    }
}

/// `POST /api/v1/agent/scan/tasks/{id}/start`.
pub async fn agent_start(
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let agent = agent_of(&state, &headers).await?;
    state.store.agent_task_started(&agent, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/agent/scan/tasks/{id}/result`: recorded once; a repeat answers what was recorded.
pub async fn agent_result(
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<TaskRecorded> {
    let agent = agent_of(&state, &headers).await?;
    let result: TaskResult = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_json",
            format!(
                "the result is not valid (line {}, column {}): {e}",
                e.line(),
                e.column()
            ),
        )
    })?;
    if result.task_id != id {
        return Err(ApiError::bad_request(format!(
            "task_id {} in the body is not the task {id} of the address",
            result.task_id
        )));
    }
    state.store.touch_agent(&agent).await?;
    Ok(Json(state.store.record_task_result(&agent, &result).await?))
}

async fn detection_task(api: Api, id: i64, kind: TaskKind) -> Result<(StatusCode, Json<ScanTask>), ApiError> {
    let task = api
        .state
        .store
        .create_detection_task(&api.actor, id, kind)
        .await?;
    Ok((StatusCode::CREATED, Json(task)))
}

/// `POST /api/v1/scan/detections/{id}/quarantine`: a task for the detection's agent to quarantine the file.
pub async fn quarantine(api: Api, Path(id): Path<i64>) -> Result<(StatusCode, Json<ScanTask>), ApiError> {
    detection_task(api, id, TaskKind::Quarantine).await
}

/// `POST /api/v1/scan/detections/{id}/restore`: a task to give the quarantined file back.
pub async fn restore(api: Api, Path(id): Path<i64>) -> Result<(StatusCode, Json<ScanTask>), ApiError> {
    detection_task(api, id, TaskKind::Restore).await
}

/// `POST /api/v1/scan/detections/{id}/delete`: a task to delete the file (or its quarantined copy) for good.
pub async fn delete(api: Api, Path(id): Path<i64>) -> Result<(StatusCode, Json<ScanTask>), ApiError> {
    detection_task(api, id, TaskKind::Delete).await
}
