//! Assets: list with search, filters, sort and pages; forms; spreadsheet import with a preview.

use axum::extract::{Multipart, Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use canhgac_model::{
    AssetFields, AssetId, AssetInput, AssetKind, AssetStatus, Criticality, Permission, UnitId,
};
use canhgac_store::{AssetQuery, StoreError};
use minijinja::{context, Value};
use serde::Deserialize;

use crate::auth::Page;
use crate::import;
use crate::pages::{field_messages, see_other};

fn choices() -> Value {
    context! {
        kinds => AssetKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        criticalities => Criticality::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
    }
}

/// `GET /assets`.
pub async fn list(page: Page, Query(q): Query<AssetQuery>) -> Response {
    let store = &page.state.store;
    let result = match store.assets(&page.actor, &q).await {
        Ok(p) => p,
        Err(e) => return page.fail(e),
    };
    let units = store.units(&page.actor).await.unwrap_or_default();
    let pages = result.pages();
    let query = Value::from_serialize(serde_json::json!({
        "q": q.q, "unit_id": q.unit_id, "kind": q.kind, "criticality": q.criticality, "status": q.status,
        "sort": format!("{:?}", q.sort).to_lowercase(), "desc": q.desc,
    }));
    page.render(
        "assets.html",
        context! { result, pages, units, query, choices => choices() },
    )
}

async fn form_page(
    page: &Page,
    asset: Option<Value>,
    form: AssetInput,
    errors: Value,
    status: StatusCode,
) -> Response {
    let units: Vec<_> = page
        .state
        .store
        .units(&page.actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|u| page.actor.can_write_unit(u.id))
        .collect();
    let form = Value::from_serialize(serde_json::json!({
        "hostname": form.hostname, "ips": form.ips, "mac": form.mac, "os": form.os, "os_version": form.os_version,
        "kind": form.kind, "role": form.role, "criticality": form.criticality, "location": form.location,
        "owner": form.owner, "notes": form.notes, "tags": form.tags,
    }));
    // The machine's agent, when one reports for it: online or silent, last contact.
    let asset_id = asset
        .as_ref()
        .and_then(|a| a.get_attr("id").ok())
        .and_then(|v| i64::try_from(v).ok());
    let agent = match asset_id {
        Some(id) => page
            .state
            .store
            .asset_agent(&page.actor, id)
            .await
            .unwrap_or_default()
            .map(crate::api::agents::AgentStatus::of),
        None => None,
    };
    let ctx = page.ctx(context! { asset, form, errors, units, agent, choices => choices() });
    page.state.views.render_status(status, "asset_form.html", ctx)
}

/// `GET /assets/new`.
pub async fn new_form(page: Page) -> Response {
    if !page.actor.allows(Permission::Operate, page.actor.unit_id) {
        return page.error(StatusCode::FORBIDDEN, "err.forbidden");
    }
    form_page(
        &page,
        None,
        AssetInput::default(),
        Value::UNDEFINED,
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub struct AssetForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    unit_id: String,
    #[serde(flatten)]
    input: AssetInput,
}

fn target_unit(page: &Page, text: &str) -> UnitId {
    text.trim().parse().map(UnitId).unwrap_or(page.actor.unit_id)
}

/// `POST /assets`.
pub async fn create(page: Page, Form(f): Form<AssetForm>) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    let fields = match f.input.validate() {
        Ok(v) => v,
        Err(inv) => {
            let errors = Value::from_serialize(field_messages(&page, &inv.0));
            return form_page(&page, None, f.input, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    match page
        .state
        .store
        .create_asset(&page.actor, target_unit(&page, &f.unit_id), &fields)
        .await
    {
        Ok(_) => see_other("/assets"),
        Err(e) => page.fail(e),
    }
}

/// `GET /assets/{id}`.
pub async fn edit_form(page: Page, Path(id): Path<i64>) -> Response {
    match page.state.store.asset(&page.actor, AssetId(id)).await {
        Ok(a) => {
            let input = AssetInput::from_fields(&a.fields);
            form_page(
                &page,
                Some(Value::from_serialize(&a)),
                input,
                Value::UNDEFINED,
                StatusCode::OK,
            )
            .await
        }
        Err(e) => page.fail(e),
    }
}

/// `POST /assets/{id}`.
pub async fn update(page: Page, Path(id): Path<i64>, Form(f): Form<AssetForm>) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    let current = match page.state.store.asset(&page.actor, AssetId(id)).await {
        Ok(a) => a,
        Err(e) => return page.fail(e),
    };
    let fields = match f.input.validate() {
        Ok(v) => v,
        Err(inv) => {
            let errors = Value::from_serialize(field_messages(&page, &inv.0));
            let asset = Some(Value::from_serialize(&current));
            return form_page(&page, asset, f.input, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    match page
        .state
        .store
        .update_asset(&page.actor, AssetId(id), &fields)
        .await
    {
        Ok(_) => see_other("/assets"),
        Err(e) => page.fail(e),
    }
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    status: String,
}

/// `POST /assets/{id}/status`.
pub async fn set_status(page: Page, Path(id): Path<i64>, Form(f): Form<StatusForm>) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    let status = if f.status == "retired" {
        AssetStatus::Retired
    } else {
        AssetStatus::Active
    };
    match page
        .state
        .store
        .set_asset_status(&page.actor, AssetId(id), status)
        .await
    {
        Ok(_) => see_other("/assets"),
        Err(e) => page.fail(e),
    }
}

async fn import_page(page: &Page, extra: Value, status: StatusCode) -> Response {
    let units: Vec<_> = page
        .state
        .store
        .units(&page.actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|u| page.actor.can_write_unit(u.id))
        .collect();
    let ctx = page.ctx(context! { units, ..extra });
    page.state.views.render_status(status, "asset_import.html", ctx)
}

/// `GET /assets/import`.
pub async fn import_form(page: Page) -> Response {
    import_page(&page, Value::UNDEFINED, StatusCode::OK).await
}

/// `POST /assets/import` (multipart: `csrf`, `unit_id`, `file`): reads the file and shows what would be imported
/// and every bad row; nothing is written yet.
pub async fn import_preview(page: Page, mp: Multipart) -> Response {
    let (fields, file) = match crate::pages::read_multipart(&page, mp).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let csrf = fields.get("csrf").cloned().unwrap_or_default();
    let unit = fields.get("unit_id").cloned().unwrap_or_default();
    if let Err(r) = page.check_csrf(&csrf) {
        return r;
    }
    let unit_id = target_unit(&page, &unit);
    if !page.actor.can_write_unit(unit_id) {
        return page.fail(StoreError::NotFound);
    }
    let Some((file_name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let err = page.state.i18n.t(page.lang, "err.file_empty").to_string();
        return import_page(
            &page,
            context! { file_error => err },
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    match import::read(&file_name, &bytes) {
        Ok(preview) => {
            let rows: Vec<&AssetFields> = preview.rows.iter().map(|(_, f)| f).collect();
            let payload = serde_json::to_string(
                &rows
                    .iter()
                    .map(|f| AssetInput::from_fields(f))
                    .map(|i| {
                        serde_json::json!({"hostname": i.hostname, "ips": i.ips, "mac": i.mac, "os": i.os,
                    "os_version": i.os_version, "kind": i.kind, "role": i.role, "criticality": i.criticality,
                    "location": i.location, "owner": i.owner, "notes": i.notes, "tags": i.tags})
                    })
                    .collect::<Vec<_>>(),
            )
            .unwrap_or_default();
            let errors: Vec<_> = preview
                .errors
                .iter()
                .map(|e| {
                    let msg = page.state.i18n.t(page.lang, &e.code);
                    context! { line => e.line, field => e.field.clone(), message => msg, value => e.value.clone() }
                })
                .collect();
            let ctx = context! {
                preview => Value::from_serialize(&preview), errors, payload, file_name, unit_id => unit_id.0,
            };
            import_page(&page, ctx, StatusCode::OK).await
        }
        Err(e) => {
            let err = page.state.i18n.t(page.lang, &e.to_string()).to_string();
            import_page(
                &page,
                context! { file_error => err },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    unit_id: String,
    #[serde(default)]
    payload: String,
    #[serde(default)]
    file_name: String,
}

/// `POST /assets/import/confirm`: validates the previewed rows again and writes them in one transaction.
pub async fn import_confirm(page: Page, Form(f): Form<ConfirmForm>) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    let Ok(inputs) = serde_json::from_str::<Vec<AssetInput>>(&f.payload) else {
        return page.error(StatusCode::BAD_REQUEST, "err.bad_form");
    };
    let mut rows = Vec::with_capacity(inputs.len());
    for input in &inputs {
        match input.validate() {
            Ok(v) => rows.push(v),
            Err(_) => return page.error(StatusCode::BAD_REQUEST, "err.bad_form"),
        }
    }
    match page
        .state
        .store
        .import_assets(&page.actor, target_unit(&page, &f.unit_id), &rows, &f.file_name)
        .await
    {
        Ok(n) => see_other(&format!("/assets?imported={n}")),
        Err(e) => page.fail(e),
    }
}
