//! Endpoint agents. The agent's own calls — `POST /api/v1/agent/enroll` (a one-time enrollment token in the body,
//! answered with the agent's credential), `/agent/inventory` and `/agent/heartbeat` (the credential as bearer) —
//! and the people's calls with an API token: list agents, create an enrollment token, revoke an agent. Log lines
//! go through the ordinary intake, `POST /api/v1/events`, with the same credential.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use canhgac_model::UnitId;
use canhgac_store::{
    Agent, EnrollFacts, EnrollmentToken, InventoryOutcome, StoreError, DEFAULT_SILENT_AFTER,
};
use serde::{Deserialize, Serialize};

use crate::api::{ApiResult, Body};
use crate::auth::Api;
use crate::error::ApiError;
use crate::AppState;

fn unauthorized(what: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        format!("a valid {what} is required"),
    )
}

/// The enrolled, unrevoked agent whose credential is the request's bearer token.
pub(crate) async fn agent_of(state: &AppState, headers: &HeaderMap) -> Result<Agent, ApiError> {
    let credential = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| unauthorized("agent credential"))?;
    state
        .store
        .agent_by_credential(credential.trim())
        .await?
        .ok_or_else(|| unauthorized("agent credential"))
}

#[derive(Deserialize)]
pub struct EnrollRequest {
    #[serde(default)]
    token: String,
    #[serde(default)]
    hostname: String,
}

/// What an agent keeps after enrolling.
#[derive(Serialize)]
pub struct EnrollAnswer {
    agent_id: i64,
    unit_id: UnitId,
    /// Bearer token for `/api/v1/agent/*` and for `POST /api/v1/events`.
    credential: String,
}

/// `POST /api/v1/agent/enroll`: exchanges a one-time enrollment token for the agent's credential.
pub async fn enroll(
    State(state): State<AppState>,
    Body(b): Body<EnrollRequest>,
) -> Result<(StatusCode, Json<EnrollAnswer>), ApiError> {
    let facts = EnrollFacts { hostname: b.hostname };
    match state.store.enroll(&b.token, &facts).await {
        Ok(e) => Ok((
            StatusCode::CREATED,
            Json(EnrollAnswer {
                agent_id: e.agent.id,
                unit_id: e.agent.unit_id,
                credential: e.credential,
            }),
        )),
        Err(StoreError::NotFound) => Err(unauthorized("enrollment token (unused, unexpired, not revoked)")),
        Err(e) => Err(e.into()),
    }
}

/// `POST /api/v1/agent/inventory`: the agent's inventory document creates or updates its asset. The credential is
/// checked before the body is read.
pub async fn inventory(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<InventoryOutcome> {
    let agent = agent_of(&state, &headers).await?;
    let doc: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_json",
            format!(
                "the inventory is not JSON (line {}, column {}): {e}",
                e.line(),
                e.column()
            ),
        )
    })?;
    Ok(Json(state.store.record_inventory(&agent, &doc).await?))
}

#[derive(Serialize)]
pub struct Heartbeat {
    agent_id: i64,
    last_seen: i64,
}

/// `POST /api/v1/agent/heartbeat`: the agent is alive.
pub async fn heartbeat(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Heartbeat> {
    let agent = agent_of(&state, &headers).await?;
    let last_seen = state.store.touch_agent(&agent).await?;
    Ok(Json(Heartbeat {
        agent_id: agent.id,
        last_seen,
    }))
}

/// An agent as listed, with its status.
#[derive(Serialize)]
pub struct AgentStatus {
    #[serde(flatten)]
    agent: Agent,
    online: bool,
}

impl AgentStatus {
    /// The agent with its status now.
    pub fn of(agent: Agent) -> AgentStatus {
        AgentStatus {
            online: agent.online(canhgac_store::now_ms(), DEFAULT_SILENT_AFTER),
            agent,
        }
    }
}

/// The agents the caller may see, each with `online` (heard from within the allowed silence).
pub async fn statuses(
    state: &AppState,
    actor: &canhgac_model::Actor,
) -> Result<Vec<AgentStatus>, StoreError> {
    Ok(state
        .store
        .agents(actor, false)
        .await?
        .into_iter()
        .map(AgentStatus::of)
        .collect())
}

/// `GET /api/v1/agents`.
pub async fn list(api: Api) -> ApiResult<Vec<AgentStatus>> {
    Ok(Json(statuses(&api.state, &api.actor).await?))
}

#[derive(Deserialize)]
pub struct NewToken {
    unit_id: Option<i64>,
    #[serde(default)]
    label: String,
    /// Validity in hours (24 when absent).
    hours: Option<i64>,
}

/// `POST /api/v1/agents/tokens`: the token is in the answer, once.
pub async fn create_token(
    api: Api,
    Body(b): Body<NewToken>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let unit = b.unit_id.map_or(api.actor.unit_id, UnitId);
    let (info, token): (EnrollmentToken, String) = api
        .state
        .store
        .create_enrollment_token(&api.actor, unit, &b.label, b.hours.unwrap_or(24))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "enrollment_token": info, "token": token })),
    ))
}

/// `POST /api/v1/agents/{id}/revoke`.
pub async fn revoke(api: Api, Path(id): Path<i64>) -> ApiResult<Agent> {
    Ok(Json(api.state.store.revoke_agent(&api.actor, id).await?))
}
