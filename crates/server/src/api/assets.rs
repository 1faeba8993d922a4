//! Assets, including spreadsheet import (`?unit_id=&dry_run=true` to preview).

use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use canhgac_model::{Asset, AssetId, AssetInput, AssetStatus, UnitId};
use canhgac_store::{AssetQuery, Page, StoreError};
use serde::Deserialize;

use crate::api::{ApiResult, Body};
use crate::auth::Api;
use crate::error::ApiError;
use crate::import;

pub async fn list(api: Api, Query(q): Query<AssetQuery>) -> ApiResult<Page<Asset>> {
    Ok(Json(api.state.store.assets(&api.actor, &q).await?))
}

#[derive(Deserialize)]
pub struct NewAsset {
    unit_id: Option<i64>,
    #[serde(flatten)]
    input: AssetInput,
}

pub async fn create(api: Api, Body(b): Body<NewAsset>) -> Result<(StatusCode, Json<Asset>), ApiError> {
    let fields = b.input.validate().map_err(StoreError::from)?;
    let unit = b.unit_id.map_or(api.actor.unit_id, UnitId);
    Ok((
        StatusCode::CREATED,
        Json(api.state.store.create_asset(&api.actor, unit, &fields).await?),
    ))
}

pub async fn get(api: Api, Path(id): Path<i64>) -> ApiResult<Asset> {
    Ok(Json(api.state.store.asset(&api.actor, AssetId(id)).await?))
}

pub async fn update(api: Api, Path(id): Path<i64>, Body(input): Body<AssetInput>) -> ApiResult<Asset> {
    let fields = input.validate().map_err(StoreError::from)?;
    Ok(Json(
        api.state
            .store
            .update_asset(&api.actor, AssetId(id), &fields)
            .await?,
    ))
}

#[derive(Deserialize)]
pub struct StatusBody {
    status: AssetStatus,
}

pub async fn set_status(api: Api, Path(id): Path<i64>, Body(b): Body<StatusBody>) -> ApiResult<Asset> {
    Ok(Json(
        api.state
            .store
            .set_asset_status(&api.actor, AssetId(id), b.status)
            .await?,
    ))
}

#[derive(Deserialize)]
pub struct ImportParams {
    unit_id: Option<i64>,
    #[serde(default)]
    dry_run: bool,
    #[serde(default)]
    file_name: String,
}

/// `POST /api/v1/assets/import`: the body is the CSV or XLSX file. Bad rows are reported with their line; when
/// any row is bad nothing is written unless `dry_run` is false and the good rows are wanted (`skip_bad` is not
/// offered: fix the file and send it again, so what is imported is always the whole file).
pub async fn import(
    api: Api,
    headers: HeaderMap,
    Query(p): Query<ImportParams>,
    body: Bytes,
) -> ApiResult<serde_json::Value> {
    let unit = p.unit_id.map_or(api.actor.unit_id, UnitId);
    if !api.actor.can_write_unit(unit) {
        return Err(StoreError::NotFound.into());
    }
    let is_xlsx = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("spreadsheetml"));
    let name = if is_xlsx && p.file_name.is_empty() {
        "upload.xlsx".to_string()
    } else {
        p.file_name.clone()
    };
    let preview = import::read(&name, &body).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_file",
            api.state.i18n.t("en", &e.to_string()),
        )
    })?;
    let errors: Vec<_> = preview
        .errors
        .iter()
        .map(|e| {
            serde_json::json!({"line": e.line, "field": e.field, "code": e.code, "value": e.value,
            "message": api.state.i18n.t("en", &e.code)})
        })
        .collect();
    let imported = if p.dry_run || !errors.is_empty() {
        0
    } else {
        let rows: Vec<_> = preview.rows.iter().map(|(_, f)| f.clone()).collect();
        api.state
            .store
            .import_assets(&api.actor, unit, &rows, &name)
            .await?
    };
    Ok(Json(serde_json::json!({
        "valid_rows": preview.rows.len(),
        "imported": imported,
        "errors": errors,
        "ignored_columns": preview.ignored_columns,
    })))
}
