//! Botnet lists and remediation items. A list file is the raw request body; its name, source, kind and version
//! come as query parameters.

use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::Json;
use canhgac_ioc::ListKind;
use canhgac_store::{BotnetItem, ItemQuery, ItemState, ListReport, ListUpload, ListVersion};
use serde::Deserialize;

use crate::api::{ApiResult, Body};
use crate::auth::Api;
use crate::error::ApiError;

#[derive(Deserialize)]
pub struct ListParams {
    name: String,
    #[serde(default)]
    source: String,
    /// `monthly` or `ad_hoc` (default).
    #[serde(default)]
    kind: String,
    #[serde(default)]
    version: String,
    /// The file's name, which tells its format when the content does not (`list.xlsx`).
    #[serde(default)]
    file_name: String,
    /// Only read and report; store nothing.
    #[serde(default)]
    dry_run: bool,
}

/// `POST /api/v1/botnet/lists?name=…`: imports a list version (the Department) and matches every unit.
pub async fn import(
    api: Api,
    Query(p): Query<ListParams>,
    body: Bytes,
) -> Result<(StatusCode, Json<ListReport>), ApiError> {
    let up = ListUpload {
        name: p.name,
        source: p.source,
        kind: if p.kind == "monthly" {
            ListKind::Monthly
        } else {
            ListKind::AdHoc
        },
        version: p.version,
        file_name: if p.file_name.is_empty() {
            "list.txt".into()
        } else {
            p.file_name
        },
        bytes: body.to_vec(),
        mapping: None,
    };
    let store = &api.state.store;
    if p.dry_run {
        return Ok((StatusCode::OK, Json(store.preview_list(&api.actor, &up).await?)));
    }
    let report = store.import_list(Some(&api.actor), &up).await?;
    crate::api::events::lists_changed(&api.state);
    Ok((StatusCode::CREATED, Json(report)))
}

pub async fn lists(api: Api) -> ApiResult<Vec<ListVersion>> {
    let _ = &api.actor;
    Ok(Json(api.state.store.lists().await?))
}

pub async fn items(api: Api, Query(q): Query<ItemQuery>) -> ApiResult<Vec<BotnetItem>> {
    Ok(Json(api.state.store.botnet_items(&api.actor, &q).await?))
}

pub async fn item(api: Api, Path(id): Path<i64>) -> ApiResult<BotnetItem> {
    Ok(Json(api.state.store.botnet_item(&api.actor, id).await?))
}

#[derive(Deserialize)]
pub struct State {
    state: String,
    #[serde(default)]
    note: String,
}

pub async fn set_state(api: Api, Path(id): Path<i64>, Body(b): Body<State>) -> ApiResult<BotnetItem> {
    let state = ItemState::parse(&b.state).ok_or_else(|| {
        ApiError::bad_request("state must be new, investigating, cleaned or false_positive")
    })?;
    Ok(Json(
        api.state
            .store
            .set_item_state(&api.actor, id, state, &b.note)
            .await?,
    ))
}
