//! Vulnerabilities over the API: advisory import (the raw file as the body), feed versions, views and one view's
//! hosts and trend, national warnings (list, create, CSV/XLSX import), findings and decisions on them, a unit's time
//! to fix and patch list, a host's verdicts with evidence, and host inventory upload (one host, or a unit's WSUS/SCCM/
//! `Get-HotFix` report covering many).

use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::Json;
use canhgac_model::{AssetId, UnitId};
use canhgac_store::{
    AdvisoryFeed, FeedImport, Finding, FindingChange, InventoryReportImport, NationalWarning, PatchItem, Sla,
    StoredInventory, VulnView, VulnViewDetail, WarningImport, WarningInput,
};
use serde::{Deserialize, Serialize};

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
    api.state
        .knowledge
        .recompute_unit(store, &api.actor, asset.unit_id)
        .await?;
    Ok((StatusCode::CREATED, Json(inv)))
}

/// `POST /api/v1/units/{id}/inventory-report?name=…`: a WSUS, SCCM or `Get-HotFix` report (CSV or XLSX, raw body)
/// covering many hosts; each host is attached to the unit's asset of that name, then the unit is recomputed once.
/// The summary lists hosts matched (with their asset), unmatched, ambiguous, and rows not used.
pub async fn inventory_report(
    api: Api,
    Path(id): Path<i64>,
    Query(p): Query<FileParams>,
    body: Bytes,
) -> ApiResult<InventoryReportImport> {
    let store = &api.state.store;
    let report = store
        .import_inventory_report(&api.actor, UnitId(id), &p.name, &body)
        .await?;
    if !report.matched.is_empty() {
        api.state
            .knowledge
            .recompute_unit(store, &api.actor, UnitId(id))
            .await?;
    }
    Ok(Json(report))
}

#[derive(Deserialize)]
pub struct ViewKey {
    /// `saved:<name>` or `warning:<id>`; the Microsoft May–December 2023 view when absent.
    #[serde(default)]
    key: String,
}

/// `GET /api/v1/vulnerabilities/view?key=…`: one view's exposed hosts (in the caller's scope) and its daily trend.
pub async fn view(api: Api, Query(p): Query<ViewKey>) -> ApiResult<VulnViewDetail> {
    let kb = api.state.knowledge.get(&api.state.store).await?;
    let key = match p.key.trim() {
        "" => crate::pages::vulnerabilities::DEFAULT_VIEW,
        k => k,
    };
    Ok(Json(api.state.store.vuln_view(&api.actor, &kb, key).await?))
}

/// `GET /api/v1/vulnerabilities/warnings`: the national warnings, newest first (every unit sees them: they are
/// addressed to all).
pub async fn warnings(api: Api) -> ApiResult<Vec<NationalWarning>> {
    let _ = &api.actor;
    Ok(Json(api.state.store.warnings_list().await?))
}

/// `GET /api/v1/vulnerabilities/warnings/{id}`.
pub async fn warning(api: Api, Path(id): Path<i64>) -> ApiResult<NationalWarning> {
    Ok(Json(api.state.store.warning(&api.actor, id).await?))
}

/// `POST /api/v1/vulnerabilities/warnings` (`{"number", "issued_on", "issuer", "title", "deadline", "cves",
/// "products"}`, the Department): creates a warning, or adds to the one with the same number; the views are
/// recomputed in the background.
pub async fn create_warning(
    api: Api,
    Body(input): Body<WarningInput>,
) -> Result<(StatusCode, Json<NationalWarning>), ApiError> {
    let w = api.state.store.create_warning(&api.actor, &input).await?;
    crate::knowledge::advisories_changed(&api.state).await?;
    Ok((StatusCode::CREATED, Json(w)))
}

/// `POST /api/v1/vulnerabilities/warnings/import?name=…` (the CSV or XLSX file as the body, the Department): the
/// warnings created and updated, and every refused line with its field and reason.
pub async fn import_warnings(api: Api, Query(p): Query<FileParams>, body: Bytes) -> ApiResult<WarningImport> {
    let name = if p.name.trim().is_empty() {
        "warnings.csv"
    } else {
        p.name.trim()
    };
    let report = api.state.store.import_warnings(&api.actor, name, &body).await?;
    if report.created + report.updated > 0 {
        crate::knowledge::advisories_changed(&api.state).await?;
    }
    Ok(Json(report))
}

/// `GET /api/v1/units/{id}/sla`: the unit's days to fix by severity (its own, else the Department's, else
/// 7/30/90/120).
pub async fn sla(api: Api, Path(id): Path<i64>) -> ApiResult<Sla> {
    Ok(Json(api.state.store.sla(&api.actor, UnitId(id)).await?))
}

/// `PUT /api/v1/units/{id}/sla` (`{"critical", "high", "medium", "low"}`, days, 1–3650; the unit's administrator or
/// the Department): due dates of the unit's findings follow.
pub async fn set_sla(api: Api, Path(id): Path<i64>, Body(sla): Body<Sla>) -> ApiResult<Sla> {
    let store = &api.state.store;
    store.set_sla(&api.actor, UnitId(id), sla).await?;
    Ok(Json(store.sla(&api.actor, UnitId(id)).await?))
}

/// `GET /api/v1/units/{id}/patches`: the updates to deploy in the unit, most urgent first (KEV and exploited, then
/// severity, internet-facing and critical hosts).
pub async fn patches(api: Api, Path(id): Path<i64>) -> ApiResult<Vec<PatchItem>> {
    Ok(Json(api.state.store.patch_list(&api.actor, UnitId(id)).await?))
}

/// A host's verdicts: its stored findings and the live verdicts of the CVEs never found vulnerable on it.
#[derive(Serialize)]
pub struct HostVerdicts {
    pub inventory: Option<StoredInventory>,
    pub findings: Vec<Finding>,
}

/// `GET /api/v1/assets/{id}/vulnerabilities`: every CVE's state on the host with its evidence (stored findings,
/// then live verdicts: remediated, unknown with what is missing), and the inventory they come from.
pub async fn host(api: Api, Path(id): Path<i64>) -> ApiResult<HostVerdicts> {
    let store = &api.state.store;
    let kb = api.state.knowledge.get(store).await?;
    let mut findings = store.host_findings(&api.actor, AssetId(id)).await?;
    findings.extend(store.host_live_verdicts(&api.actor, AssetId(id), &kb).await?);
    let inventory = store.latest_inventory(&api.actor, AssetId(id)).await?;
    Ok(Json(HostVerdicts { inventory, findings }))
}
