//! Escalation contacts.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::Json;
use canhgac_model::{Contact, ContactId, ContactInput};

use crate::api::{ApiResult, Body};
use crate::auth::Api;

pub async fn list(api: Api) -> ApiResult<Vec<Contact>> {
    Ok(Json(api.state.store.contacts().await?))
}

pub async fn create(
    api: Api,
    Body(input): Body<ContactInput>,
) -> Result<(StatusCode, Json<Contact>), crate::error::ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(api.state.store.save_contact(&api.actor, None, &input).await?),
    ))
}

pub async fn update(api: Api, Path(id): Path<i64>, Body(input): Body<ContactInput>) -> ApiResult<Contact> {
    Ok(Json(
        api.state
            .store
            .save_contact(&api.actor, Some(ContactId(id)), &input)
            .await?,
    ))
}

pub async fn delete(api: Api, Path(id): Path<i64>) -> Result<StatusCode, crate::error::ApiError> {
    api.state.store.delete_contact(&api.actor, ContactId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
