//! Vulnerabilities over the API: advisory import (the raw file as the body), feed versions, views, findings and
//! decisions on them, and host inventory upload.

use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::Json;
use canhgac_model::{AssetId, UnitId};
use canhgac_store::{AdvisoryFeed, FeedImport, Finding, FindingChange, StoredInventory, VulnView};
use serde::Deserialize;

use crate::api::{ApiResult, Body};
use crate::auth::Api;
use crate::error::ApiError;

#[derive(Deserialize)]
pub struct FileParams {
    /// The file's name (`2023-May.xml`, `kev.json`, `pc1-systeminfo.txt`), used in error messages.
    #[serde(default)]
    name: String,
}

/// `POST /api/v1/vulnerabilities/advisories?name=…`: imports one advisory file (the Department); 201 when new (every
/// unit's findings are then recomputed in the background), 200 when the same bytes were imported before.
pub async fn import(
    api: Api,
    Query(p): Query<FileParams>,
    body: Bytes,
) -> Result<(StatusCode, Json<FeedImport>), ApiError> {
    let name = if p.name.trim().is_empty() {
        "advisory"
    } else {
        p.name.trim()
    };
    let r = api.state.store.import_advisory(&api.actor, name, &body).await?;
    if r.created {
        crate::knowledge::advisories_changed(&api.state).await?;
        Ok((StatusCode::CREATED, Json(r)))
    } else {
        Ok((StatusCode::OK, Json(r)))
    }
}

/// `GET /api/v1/vulnerabilities/advisories`: the stored feed versions.
pub async fn feeds(api: Api) -> ApiResult<Vec<AdvisoryFeed>> {
    let _ = &api.actor;
    Ok(Json(api.state.store.advisory_feeds().await?))
}

/// `GET /api/v1/vulnerabilities/views`: every view with the hosts and units still exposed in the caller's scope.
pub async fn views(api: Api) -> ApiResult<Vec<VulnView>> {
    let kb = api.state.knowledge.get(&api.state.store).await?;
    Ok(Json(api.state.store.vuln_views(&api.actor, &kb).await?))
}

#[derive(Deserialize)]
pub struct FindingParams {
    #[serde(default)]
    unit_id: Option<i64>,
}

/// `GET /api/v1/vulnerabilities/findings?unit_id=…`: findings still exposed, most urgent first.
pub async fn findings(api: Api, Query(p): Query<FindingParams>) -> ApiResult<Vec<Finding>> {
    Ok(Json(
        api.state
            .store
            .open_findings(&api.actor, p.unit_id.map(UnitId))
            .await?,
    ))
}

/// `GET /api/v1/vulnerabilities/findings/{id}`.
pub async fn finding(api: Api, Path(id): Path<i64>) -> ApiResult<Finding> {
    Ok(Json(api.state.store.finding(&api.actor, id).await?))
}

/// `POST /api/v1/vulnerabilities/findings/{id}/status` (`{"status", "reason", "expires_at", "owner"}`).
pub async fn set_status(api: Api, Path(id): Path<i64>, Body(b): Body<FindingChange>) -> ApiResult<Finding> {
    Ok(Json(
        api.state.store.set_finding_status(&api.actor, id, &b).await?,
    ))
}

/// `POST /api/v1/assets/{id}/inventory?name=…`: attaches an inventory (raw body) and recomputes the unit.
pub async fn inventory(
    api: Api,
    Path(id): Path<i64>,
    Query(p): Query<FileParams>,
    body: Bytes,
) -> Result<(StatusCode, Json<StoredInventory>), ApiError> {
    let store = &api.state.store;
    let inv = store
        .attach_inventory(&api.actor, AssetId(id), &p.name, &body)
        .await?;
    let asset = store.asset(&api.actor, AssetId(id)).await?;
    let kb = api.state.knowledge.get(store).await?;
    store
        .recompute_findings(Some(&api.actor), Some(asset.unit_id), &kb)
        .await?;
    Ok((StatusCode::CREATED, Json(inv)))
}
