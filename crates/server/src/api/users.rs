//! Users.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::Json;
use canhgac_model::{UnitId, User, UserId};
use canhgac_store::NewUser;
use serde::Deserialize;

use crate::api::{ApiResult, Body};
use crate::auth::Api;

#[derive(Deserialize)]
pub struct Filter {
    unit_id: Option<i64>,
}

pub async fn list(api: Api, Query(f): Query<Filter>) -> ApiResult<Vec<User>> {
    Ok(Json(
        api.state.store.users(&api.actor, f.unit_id.map(UnitId)).await?,
    ))
}

pub async fn create(
    api: Api,
    Body(input): Body<NewUser>,
) -> Result<(StatusCode, Json<serde_json::Value>), crate::error::ApiError> {
    let (user, password) = api.state.store.create_user(&api.actor, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "user": user, "one_time_password": password })),
    ))
}

#[derive(Deserialize)]
pub struct ActiveBody {
    active: bool,
}

pub async fn set_active(api: Api, Path(id): Path<i64>, Body(b): Body<ActiveBody>) -> ApiResult<User> {
    Ok(Json(
        api.state
            .store
            .set_user_active(&api.actor, UserId(id), b.active)
            .await?,
    ))
}
