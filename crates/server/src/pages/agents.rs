//! `/agents`: a unit's enrolled agents (online or silent, last contact, their asset) and its one-time enrollment
//! tokens; the administrator creates a token (shown once), revokes tokens and agents.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use canhgac_model::{Permission, UnitId};
use canhgac_store::StoreError;
use minijinja::{context, Value};
use serde::Deserialize;

use crate::api::agents::statuses;
use crate::auth::Page;
use crate::pages::events::CsrfOnly;
use crate::pages::{field_messages, see_other};

async fn render(page: &Page, token: Option<String>, errors: Value, status: StatusCode) -> Response {
    let store = &page.state.store;
    let agents = match statuses(&page.state, &page.actor).await {
        Ok(a) => a,
        Err(e) => return page.fail(e),
    };
    let tokens = match store.enrollment_tokens(&page.actor).await {
        Ok(t) => t,
        Err(e) => return page.fail(e),
    };
    let units = match store.units(&page.actor).await {
        Ok(u) => u,
        Err(e) => return page.fail(e),
    };
    let unit_names = crate::pages::unit_names(&units);
    let manageable = crate::pages::units_allowing(page, &units, Permission::AdministerUnit);
    let admin_units: Vec<i64> = manageable.iter().map(|u| u.id.0).collect();
    let now = canhgac_store::now_ms();
    let ctx = page.ctx(context! {
        section => "agents", agents, tokens, unit_names, manageable, admin_units, token, errors, now,
    });
    page.state.views.render_status(status, "agents.html", ctx)
}

/// `GET /agents`.
pub async fn list(page: Page) -> Response {
    render(&page, None, Value::UNDEFINED, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    unit_id: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    hours: String,
}

/// `POST /agents/tokens`: shows the new enrollment token once.
pub async fn create_token(page: Page, Form(f): Form<TokenForm>) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    let unit = f.unit_id.trim().parse().map_or(page.actor.unit_id, UnitId);
    let hours = match f.hours.trim() {
        "" => 24,
        h => h.parse().unwrap_or(0),
    };
    match page
        .state
        .store
        .create_enrollment_token(&page.actor, unit, &f.label, hours)
        .await
    {
        Ok((_, token)) => render(&page, Some(token), Value::UNDEFINED, StatusCode::CREATED).await,
        Err(StoreError::Invalid(inv)) => {
            let errors = Value::from_serialize(field_messages(&page, &inv.0));
            render(&page, None, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => page.fail(e),
    }
}

/// `POST /agents/tokens/{id}/revoke`.
pub async fn revoke_token(page: Page, Path(id): Path<i64>, Form(f): Form<CsrfOnly>) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    match page.state.store.revoke_enrollment_token(&page.actor, id).await {
        Ok(_) => see_other("/agents"),
        Err(e) => page.fail(e),
    }
}

/// `POST /agents/{id}/revoke`.
pub async fn revoke_agent(page: Page, Path(id): Path<i64>, Form(f): Form<CsrfOnly>) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    match page.state.store.revoke_agent(&page.actor, id).await {
        Ok(_) => see_other("/agents"),
        Err(e) => page.fail(e),
    }
}
