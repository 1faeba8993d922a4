//! The caller, the audit log, tokens.

use axum::extract::Query;
use axum::Json;
use canhgac_store::{AuditQuery, Page};
use serde::Deserialize;

use crate::api::{ApiResult, Body};
use crate::auth::Api;

/// `GET /api/v1/me`.
pub async fn me(api: Api) -> ApiResult<serde_json::Value> {
    Ok(Json(
        serde_json::json!({ "user": api.user, "unit_id": api.actor.unit_id, "role": api.actor.role }),
    ))
}

/// `GET /api/v1/audit`.
pub async fn audit(api: Api, Query(q): Query<AuditQuery>) -> ApiResult<Page<canhgac_store::AuditEntry>> {
    Ok(Json(api.state.store.audit(&api.actor, &q).await?))
}

/// `GET /api/v1/audit/verify` (Department administrators).
pub async fn verify_audit(api: Api) -> ApiResult<canhgac_store::ChainCheck> {
    if !api.actor.is_dept_admin() {
        return Err(canhgac_store::StoreError::Forbidden.into());
    }
    Ok(Json(api.state.store.verify_audit_chain().await?))
}

#[derive(Deserialize)]
pub struct TokenBody {
    #[serde(default)]
    name: String,
}

/// `POST /api/v1/tokens`: a new token for the caller.
pub async fn create_token(api: Api, Body(b): Body<TokenBody>) -> ApiResult<serde_json::Value> {
    let (id, token) = api.state.store.create_api_token(&api.actor, &b.name).await?;
    Ok(Json(serde_json::json!({ "id": id, "token": token })))
}
