//! Units (the Department creates them; each unit's administrator edits its own) and their public IP ranges.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use canhgac_model::{Permission, UnitId, UnitInput, UnitKind};
use canhgac_store::StoreError;
use minijinja::{context, Value};
use serde::Deserialize;

use crate::auth::Page;
use crate::pages::{field_messages, see_other};

#[derive(Deserialize)]
pub struct UnitForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    input: UnitInput,
}

fn kinds() -> Vec<&'static str> {
    UnitKind::CHOOSABLE.iter().map(|k| k.as_str()).collect()
}

async fn list_page(page: &Page, form: Value, errors: Value, status: StatusCode) -> Response {
    match page.state.store.units(&page.actor).await {
        Ok(units) => {
            let ctx = page.ctx(context! { units, kinds => kinds(), form, errors });
            page.state.views.render_status(status, "units.html", ctx)
        }
        Err(e) => page.fail(e),
    }
}

/// `GET /units`.
pub async fn list(page: Page) -> Response {
    list_page(&page, Value::UNDEFINED, Value::UNDEFINED, StatusCode::OK).await
}

/// `POST /units`.
pub async fn create(page: Page, Form(f): Form<UnitForm>) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    match page.state.store.create_unit(&page.actor, &f.input).await {
        Ok(u) => see_other(&format!("/units/{}", u.id)),
        Err(StoreError::Invalid(inv)) => {
            let errors = Value::from_serialize(field_messages(&page, &inv.0));
            let form = Value::from_serialize(serde_json::json!({
                "code": f.input.code, "name": f.input.name, "kind": f.input.kind, "address": f.input.address,
                "contact_name": f.input.contact_name, "contact_phone": f.input.contact_phone,
                "contact_email": f.input.contact_email,
            }));
            list_page(&page, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => page.fail(e),
    }
}

async fn unit_page(page: &Page, id: i64, errors: Value, status: StatusCode) -> Response {
    let store = &page.state.store;
    let unit = match store.unit(&page.actor, UnitId(id)).await {
        Ok(u) => u,
        Err(e) => return page.fail(e),
    };
    let readable = page.actor.allows(Permission::Read, unit.id);
    let ranges = if readable {
        match store.unit_ranges(&page.actor, unit.id).await {
            Ok(r) => r,
            Err(e) => return page.fail(e),
        }
    } else {
        Vec::new()
    };
    let can_admin = page.actor.allows(Permission::AdministerUnit, unit.id);
    let users = if can_admin {
        store.users(&page.actor, Some(unit.id)).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let (notify, retention) = if readable {
        (
            store.notify_settings(&page.actor, unit.id).await.ok(),
            store.event_retention(unit.id).await.ok().flatten(),
        )
    } else {
        (None, None)
    };
    let severities: Vec<&str> = canhgac_model::Severity::ALL.iter().map(|s| s.as_str()).collect();
    let ctx = page.ctx(context! { unit, ranges, users, can_edit => can_admin, kinds => kinds(), errors, notify, retention, severities });
    page.state.views.render_status(status, "unit.html", ctx)
}

/// `GET /units/{id}`.
pub async fn show(page: Page, Path(id): Path<i64>) -> Response {
    unit_page(&page, id, Value::UNDEFINED, StatusCode::OK).await
}

/// `POST /units/{id}`.
pub async fn update(page: Page, Path(id): Path<i64>, Form(f): Form<UnitForm>) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    match page
        .state
        .store
        .update_unit(&page.actor, UnitId(id), &f.input)
        .await
    {
        Ok(u) => see_other(&format!("/units/{}", u.id)),
        Err(StoreError::Invalid(inv)) => {
            let errors = Value::from_serialize(field_messages(&page, &inv.0));
            unit_page(&page, id, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => page.fail(e),
    }
}

#[derive(Deserialize)]
pub struct MonitoringForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    min_severity: String,
    #[serde(default)]
    webhook_url: String,
    #[serde(default)]
    telegram_chat_id: String,
    #[serde(default)]
    escalate_after_min: String,
    #[serde(default)]
    retention_days: String,
}

/// `POST /units/{id}/monitoring`: who is told about new alerts, escalation, and how long events are kept.
pub async fn set_monitoring(page: Page, Path(id): Path<i64>, Form(f): Form<MonitoringForm>) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    let invalid = |field: &str| {
        StoreError::Invalid(canhgac_model::Invalid(vec![canhgac_model::FieldError::new(
            field,
            "err.out_of_range",
        )]))
    };
    let result = async {
        let escalate = f
            .escalate_after_min
            .trim()
            .parse()
            .map_err(|_| invalid("escalate_after_min"))?;
        let settings = canhgac_store::NotifySettings {
            min_severity: canhgac_model::Severity::parse(&f.min_severity)
                .unwrap_or(canhgac_model::Severity::High),
            webhook_url: f.webhook_url.clone(),
            telegram_chat_id: f.telegram_chat_id.clone(),
            escalate_after_min: escalate,
        };
        page.state
            .store
            .set_notify_settings(&page.actor, UnitId(id), &settings)
            .await?;
        if !f.retention_days.trim().is_empty() {
            let days = f
                .retention_days
                .trim()
                .parse()
                .map_err(|_| invalid("retention_days"))?;
            page.state
                .store
                .set_event_retention(&page.actor, UnitId(id), days)
                .await?;
        }
        Ok::<_, StoreError>(())
    };
    match result.await {
        Ok(()) => see_other(&format!("/units/{id}#monitoring")),
        Err(StoreError::Invalid(inv)) => {
            let errors = Value::from_serialize(field_messages(&page, &inv.0));
            unit_page(&page, id, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => page.fail(e),
    }
}

#[derive(Deserialize)]
pub struct RangeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    cidr: String,
    #[serde(default)]
    note: String,
}

/// `POST /units/{id}/ranges`.
pub async fn add_range(page: Page, Path(id): Path<i64>, Form(f): Form<RangeForm>) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    match page
        .state
        .store
        .add_unit_range(&page.actor, UnitId(id), &f.cidr, &f.note)
        .await
    {
        Ok(_) => see_other(&format!("/units/{id}#ranges")),
        Err(StoreError::Invalid(inv)) => {
            let errors = Value::from_serialize(field_messages(&page, &inv.0));
            unit_page(&page, id, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => page.fail(e),
    }
}

/// `POST /units/{id}/ranges/{rid}/delete`.
pub async fn delete_range(
    page: Page,
    Path((id, rid)): Path<(i64, i64)>,
    Form(f): Form<super::login::CsrfOnly>,
) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    match page
        .state
        .store
        .delete_unit_range(&page.actor, UnitId(id), rid)
        .await
    {
        Ok(()) => see_other(&format!("/units/{id}#ranges")),
        Err(e) => page.fail(e),
    }
}
