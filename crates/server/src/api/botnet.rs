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

#[derive(Deserialize)]
pub struct WarningParams {
    #[serde(default)]
    name: String,
    /// `cidr`, `hostname`, `string`, `substring` or `regex`; a MISP JSON body carries its own.
    #[serde(default)]
    kind: String,
}

/// `POST /api/v1/warning-lists?name=…&kind=cidr`: the body is a MISP warninglist JSON or one value a line.
pub async fn add_warning_list(
    api: Api,
    Query(p): Query<WarningParams>,
    body: Bytes,
) -> Result<(StatusCode, Json<canhgac_store::WarningListInfo>), ApiError> {
    let kind = if p.kind.is_empty() {
        "cidr".to_string()
    } else {
        p.kind
    };
    let kind: canhgac_store::WarningKind = serde_json::from_value(serde_json::Value::String(kind))
        .map_err(|_| ApiError::bad_request("kind must be cidr, hostname, string, substring or regex"))?;
    let info = api
        .state
        .store
        .add_warning_list(&api.actor, &p.name, kind, &body)
        .await?;
    crate::api::events::lists_changed(&api.state);
    Ok((StatusCode::CREATED, Json(info)))
}

/// `GET /api/v1/warning-lists`.
pub async fn warning_lists(api: Api) -> ApiResult<Vec<canhgac_store::WarningListInfo>> {
    Ok(Json(api.state.store.warning_lists(&api.actor).await?))
}

/// `POST /api/v1/warning-lists/{id}/deactivate`.
pub async fn deactivate_warning_list(api: Api, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    api.state.store.deactivate_warning_list(&api.actor, id).await?;
    crate::api::events::lists_changed(&api.state);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct NewComment {
    body: String,
}

/// `GET /api/v1/botnet/items/{id}/comments`.
pub async fn comments(api: Api, Path(id): Path<i64>) -> ApiResult<Vec<canhgac_store::ItemComment>> {
    Ok(Json(api.state.store.item_comments(&api.actor, id).await?))
}

/// `POST /api/v1/botnet/items/{id}/comments`.
pub async fn comment(
    api: Api,
    Path(id): Path<i64>,
    Body(b): Body<NewComment>,
) -> Result<(StatusCode, Json<canhgac_store::ItemComment>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(api.state.store.comment_item(&api.actor, id, &b.body).await?),
    ))
}
