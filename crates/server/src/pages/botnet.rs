//! Botnet IP lists and each unit's remediation queue. The Department uploads a list, sees what would be kept,
//! refused and changed since the previous version, corrects the column mapping if needed, and confirms; units work
//! their items (new → investigating → cleaned / false positive).

use axum::extract::{Multipart, Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use canhgac_ioc::import::{Column, ColumnMap};
use canhgac_ioc::ListKind;
use canhgac_model::{Permission, Scope};
use canhgac_store::{ItemQuery, ItemState, ListUpload, StoreError};
use minijinja::{context, Value};
use serde::Deserialize;

use crate::auth::Page;
use crate::pages::{field_messages, read_multipart, see_other};

/// How many previews wait for confirmation at once; the oldest goes first.
const PENDING_MAX: usize = 8;
/// The column kinds a user may choose in the mapping.
const COLUMN_KINDS: &[&str] = &[
    "ip",
    "domain",
    "url",
    "hash",
    "indicator",
    "port",
    "first_seen",
    "last_seen",
    "family",
    "category",
    "attribute",
    "ignore",
];

fn column_kind(c: &Column) -> &'static str {
    match c {
        Column::Ip => "ip",
        Column::Domain => "domain",
        Column::Url => "url",
        Column::Hash => "hash",
        Column::Indicator => "indicator",
        Column::Port => "port",
        Column::FirstSeen => "first_seen",
        Column::LastSeen => "last_seen",
        Column::Family => "family",
        Column::Category => "category",
        Column::Attribute(_) => "attribute",
        _ => "ignore",
    }
}

fn column_of(kind: &str, header: &str) -> Column {
    match kind {
        "ip" => Column::Ip,
        "domain" => Column::Domain,
        "url" => Column::Url,
        "hash" => Column::Hash,
        "indicator" => Column::Indicator,
        "port" => Column::Port,
        "first_seen" => Column::FirstSeen,
        "last_seen" => Column::LastSeen,
        "family" => Column::Family,
        "category" => Column::Category,
        "attribute" => Column::Attribute(header.to_string()),
        _ => Column::Ignore,
    }
}

/// Refused lines for display: place, field, value and a stable problem code the translations name.
fn rejections(report: &canhgac_store::ListReport) -> Vec<Value> {
    report
        .rejected
        .iter()
        .take(200)
        .map(|r| context! { at => match &r.at { canhgac_ioc::Location::Line(n) => n.to_string(), other => other.to_string() }, field => r.field.clone(), value => r.value.clone(), code => r.problem.code() })
        .collect()
}

/// `GET /botnet`: the queue (the unit's, or every unit's for the Department) and the list versions.
pub async fn show(page: Page, Query(q): Query<ItemQuery>) -> Response {
    render(&page, q, Value::UNDEFINED, StatusCode::OK).await
}

async fn render(page: &Page, q: ItemQuery, extra: Value, status: StatusCode) -> Response {
    let store = &page.state.store;
    let loaded = async {
        Ok::<_, StoreError>((
            store.botnet_items(&page.actor, &q).await?,
            store.lists().await?,
            store.units(&page.actor).await?,
            store.warning_lists(&page.actor).await?,
        ))
    };
    let (items, lists, units, warning_lists) = match loaded.await {
        Ok(v) => v,
        Err(e) => return page.fail(e),
    };
    let unit_names = crate::pages::unit_names(&units);
    let ctx = page.ctx(context! {
        items, lists, unit_names, units => if page.actor.scope() == Scope::All { units } else { Vec::new() },
        warning_lists, warning_kinds => WARNING_KINDS,
        q => Value::from_serialize(&q),
        states => ItemState::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        ..extra
    });
    page.state.views.render_status(status, "botnet.html", ctx)
}

fn list_kind(s: &str) -> ListKind {
    if s == "monthly" {
        ListKind::Monthly
    } else {
        ListKind::AdHoc
    }
}

/// `POST /botnet/preview` (multipart: `csrf`, `name`, `source`, `kind`, `version`, `file`): what the list holds,
/// what is refused, what changed since the previous version; nothing is stored yet.
pub async fn preview(page: Page, mp: Multipart) -> Response {
    let (fields, file) = match read_multipart(&page, mp).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let field = |k: &str| fields.get(k).cloned().unwrap_or_default();
    if let Err(r) = page.check_csrf(&field("csrf")) {
        return r;
    }
    if !page.actor.is_dept_admin() {
        return page.fail(StoreError::Forbidden);
    }
    let Some((file_name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let errors = context! { file => page.t("err.file_empty") };
        return render(
            &page,
            ItemQuery::default(),
            context! { errors },
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let up = ListUpload {
        name: field("name"),
        source: field("source"),
        kind: list_kind(&field("kind")),
        version: field("version"),
        file_name,
        bytes: bytes.to_vec(),
        mapping: None,
    };
    show_preview(page, up).await
}

async fn show_preview(page: Page, up: ListUpload) -> Response {
    let report = match page.state.store.preview_list(&page.actor, &up).await {
        Ok(r) => r,
        Err(StoreError::Invalid(inv)) => {
            let errors = Value::from_serialize(field_messages(&page, &inv.0));
            return render(
                &page,
                ItemQuery::default(),
                context! { errors },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        Err(e) => return page.fail(e),
    };
    let token = canhgac_store::new_secret();
    let columns: Vec<_> = report
        .mapping
        .as_ref()
        .map(|m| {
            m.columns
                .iter()
                .enumerate()
                .map(|(i, c)| context! { index => i, header => m.headers.get(i).cloned().unwrap_or_default(), kind => column_kind(c) })
                .collect()
        })
        .unwrap_or_default();
    let meta = context! { name => up.name.clone(), source => up.source.clone(), version => up.version.clone(), file_name => up.file_name.clone() };
    if let Ok(mut pending) = page.state.pending_lists.lock() {
        if pending.len() >= PENDING_MAX {
            pending.remove(0);
        }
        // Kept with the mapping it was read with, so the confirmation corrects that mapping without reading again.
        let up = ListUpload {
            mapping: report.mapping.clone(),
            ..up
        };
        pending.push((token.clone(), page.actor.user_id, up));
    }
    page.render(
        "botnet_preview.html",
        context! { rejections => rejections(&report), report, token, columns, meta, kinds => COLUMN_KINDS },
    )
}

/// `POST /botnet/import` (form: `csrf`, `token`, `col_N` for a corrected mapping, `action` = `recheck` or
/// `import`): re-reads with the corrected mapping, or imports and matches.
pub async fn import(page: Page, Form(pairs): Form<Vec<(String, String)>>) -> Response {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    if let Err(r) = page.check_csrf(&get("csrf")) {
        return r;
    }
    if !page.actor.is_dept_admin() {
        return page.fail(StoreError::Forbidden);
    }
    let token = get("token");
    let taken = page.state.pending_lists.lock().ok().and_then(|mut p| {
        let i = p
            .iter()
            .position(|(t, u, _)| *t == token && *u == page.actor.user_id)?;
        Some(p.remove(i).2)
    });
    let Some(mut up) = taken else {
        return page.error(StatusCode::GONE, "err.preview_expired");
    };
    // The mapping the preview read with, corrected column by column.
    if let Some(m) = up.mapping.take() {
        let columns = (0..m.columns.len())
            .map(|i| {
                let header = m.headers.get(i).cloned().unwrap_or_default();
                match pairs.iter().find(|(n, _)| *n == format!("col_{i}")) {
                    Some((_, kind)) => column_of(kind, &header),
                    None => m.columns.get(i).cloned().unwrap_or(Column::Ignore),
                }
            })
            .collect();
        up.mapping = Some(ColumnMap { columns, ..m });
    }
    if get("action") == "recheck" {
        return show_preview(page, up).await;
    }
    match page.state.store.import_list(Some(&page.actor), &up).await {
        Ok(report) => {
            crate::api::events::lists_changed(&page.state);
            page.render("botnet_preview.html", context! { rejections => rejections(&report), report, done => true, meta => context! { name => up.name, version => up.version, file_name => up.file_name } })
        }
        Err(StoreError::Invalid(inv)) => {
            let errors = Value::from_serialize(field_messages(&page, &inv.0));
            render(
                &page,
                ItemQuery::default(),
                context! { errors },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => page.fail(e),
    }
}

/// `GET /botnet/items/{id}`.
pub async fn item(page: Page, Path(id): Path<i64>) -> Response {
    render_item(&page, id, Value::UNDEFINED, StatusCode::OK).await
}

async fn render_item(page: &Page, id: i64, errors: Value, status: StatusCode) -> Response {
    let item = match page.state.store.botnet_item(&page.actor, id).await {
        Ok(i) => i,
        Err(e) => return page.fail(e),
    };
    let comments = match page.state.store.item_comments(&page.actor, id).await {
        Ok(c) => c,
        Err(e) => return page.fail(e),
    };
    let ctx = page.ctx(context! {
        can_work => page.actor.allows(Permission::Operate, item.unit_id),
        item, errors, comments,
        states => ItemState::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
    });
    page.state.views.render_status(status, "botnet_item.html", ctx)
}

#[derive(Deserialize)]
pub struct StateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    note: String,
}

/// `POST /botnet/items/{id}/state`.
pub async fn set_state(page: Page, Path(id): Path<i64>, Form(f): Form<StateForm>) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    let Some(state) = ItemState::parse(&f.state) else {
        return page.error(StatusCode::UNPROCESSABLE_ENTITY, "err.choice");
    };
    match page
        .state
        .store
        .set_item_state(&page.actor, id, state, &f.note)
        .await
    {
        Ok(_) => see_other(&format!("/botnet/items/{id}")),
        Err(StoreError::Invalid(inv)) => {
            let errors = Value::from_serialize(field_messages(&page, &inv.0));
            render_item(&page, id, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => page.fail(e),
    }
}

/// The kinds a warning list of plain values may have (MISP JSON files carry their own).
const WARNING_KINDS: [&str; 5] = ["cidr", "hostname", "string", "substring", "regex"];

/// `POST /botnet/warnings` (multipart: `csrf`, `name`, `kind`, `file`): the Department adds a warning list.
pub async fn add_warning_list(page: Page, mp: Multipart) -> Response {
    let (fields, file) = match read_multipart(&page, mp).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let field = |k: &str| fields.get(k).cloned().unwrap_or_default();
    if let Err(r) = page.check_csrf(&field("csrf")) {
        return r;
    }
    let Ok(kind) =
        serde_json::from_value::<canhgac_store::WarningKind>(serde_json::Value::String(field("kind")))
    else {
        return page.error(StatusCode::UNPROCESSABLE_ENTITY, "err.choice");
    };
    let bytes = file.map(|(_, b)| b).unwrap_or_default();
    match page
        .state
        .store
        .add_warning_list(&page.actor, &field("name"), kind, &bytes)
        .await
    {
        Ok(_) => {
            crate::api::events::lists_changed(&page.state);
            see_other("/botnet#warnings")
        }
        Err(StoreError::Invalid(inv)) => {
            let errors = Value::from_serialize(field_messages(&page, &inv.0));
            render(
                &page,
                ItemQuery::default(),
                context! { warning_errors => errors },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => page.fail(e),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /botnet/warnings/{id}/deactivate`.
pub async fn deactivate_warning_list(page: Page, Path(id): Path<i64>, Form(f): Form<CsrfForm>) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    match page.state.store.deactivate_warning_list(&page.actor, id).await {
        Ok(()) => {
            crate::api::events::lists_changed(&page.state);
            see_other("/botnet#warnings")
        }
        Err(e) => page.fail(e),
    }
}

#[derive(Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    body: String,
}

/// `POST /botnet/items/{id}/comments`.
pub async fn comment(page: Page, Path(id): Path<i64>, Form(f): Form<CommentForm>) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    match page.state.store.comment_item(&page.actor, id, &f.body).await {
        Ok(_) => see_other(&format!("/botnet/items/{id}#comments")),
        Err(StoreError::Invalid(inv)) => {
            let errors = Value::from_serialize(field_messages(&page, &inv.0));
            render_item(&page, id, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => page.fail(e),
    }
}
