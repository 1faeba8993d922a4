//! Units and public ranges.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::Json;
use canhgac_model::{Unit, UnitId, UnitInput, UnitRange};
use serde::Deserialize;

use crate::api::{ApiResult, Body};
use crate::auth::Api;

pub async fn list(api: Api) -> ApiResult<Vec<Unit>> {
    Ok(Json(api.state.store.units(&api.actor).await?))
}

pub async fn create(
    api: Api,
    Body(input): Body<UnitInput>,
) -> Result<(StatusCode, Json<Unit>), crate::error::ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(api.state.store.create_unit(&api.actor, &input).await?),
    ))
}

pub async fn get(api: Api, Path(id): Path<i64>) -> ApiResult<Unit> {
    Ok(Json(api.state.store.unit(&api.actor, UnitId(id)).await?))
}

pub async fn update(api: Api, Path(id): Path<i64>, Body(input): Body<UnitInput>) -> ApiResult<Unit> {
    Ok(Json(
        api.state
            .store
            .update_unit(&api.actor, UnitId(id), &input)
            .await?,
    ))
}

pub async fn ranges(api: Api, Path(id): Path<i64>) -> ApiResult<Vec<UnitRange>> {
    Ok(Json(api.state.store.unit_ranges(&api.actor, UnitId(id)).await?))
}

#[derive(Deserialize)]
pub struct RangeBody {
    cidr: String,
    #[serde(default)]
    note: String,
}

pub async fn add_range(
    api: Api,
    Path(id): Path<i64>,
    Body(b): Body<RangeBody>,
) -> Result<(StatusCode, Json<UnitRange>), crate::error::ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(
            api.state
                .store
                .add_unit_range(&api.actor, UnitId(id), &b.cidr, &b.note)
                .await?,
        ),
    ))
}

pub async fn delete_range(
    api: Api,
    Path((id, rid)): Path<(i64, i64)>,
) -> Result<StatusCode, crate::error::ApiError> {
    api.state
        .store
        .delete_unit_range(&api.actor, UnitId(id), rid)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/units/{id}/notify`: who hears about the unit's new alerts.
pub async fn notify(api: Api, Path(id): Path<i64>) -> ApiResult<canhgac_store::NotifySettings> {
    Ok(Json(
        api.state.store.notify_settings(&api.actor, UnitId(id)).await?,
    ))
}

/// `PUT /api/v1/units/{id}/notify`.
pub async fn set_notify(
    api: Api,
    Path(id): Path<i64>,
    Body(s): Body<canhgac_store::NotifySettings>,
) -> ApiResult<canhgac_store::NotifySettings> {
    Ok(Json(
        api.state
            .store
            .set_notify_settings(&api.actor, UnitId(id), &s)
            .await?,
    ))
}
