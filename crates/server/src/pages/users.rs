//! Users: the Department administers everyone, a unit administrator the unit's own people.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use canhgac_model::{Role, UnitId, UserId};
use canhgac_store::{NewUser, StoreError};
use minijinja::{context, Value};
use serde::Deserialize;

use crate::auth::Page;
use crate::pages::{field_messages, see_other};

#[derive(Deserialize, Default)]
pub struct Filter {
    unit_id: Option<i64>,
}

async fn render(page: &Page, unit: Option<i64>, extra: Value, status: StatusCode) -> Response {
    let store = &page.state.store;
    let users = match store.users(&page.actor, unit.map(UnitId)).await {
        Ok(u) => u,
        Err(e) => return page.fail(e),
    };
    let units = match store.units(&page.actor).await {
        Ok(u) => u,
        Err(e) => return page.fail(e),
    };
    let roles: Vec<&str> = Role::ALL
        .iter()
        .filter(|r| **r != Role::DeptAdmin || page.actor.is_dept_admin())
        .map(|r| r.as_str())
        .collect();
    let ctx = page.ctx(context! { users, units, roles, unit_filter => unit, ..extra });
    page.state.views.render_status(status, "users.html", ctx)
}

/// `GET /users`.
pub async fn list(page: Page, Query(f): Query<Filter>) -> Response {
    render(&page, f.unit_id, Value::UNDEFINED, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct UserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    unit_id: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

/// `POST /users`: creates the user and shows the one-time password once.
pub async fn create(page: Page, Form(f): Form<UserForm>) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    let unit_id = f.unit_id.trim().parse().unwrap_or(page.actor.unit_id.0);
    let input = NewUser {
        unit_id,
        username: f.username.clone(),
        display_name: f.display_name.clone(),
        email: f.email.clone(),
        role: f.role.clone(),
        password: String::new(),
    };
    match page.state.store.create_user(&page.actor, &input).await {
        Ok((user, password)) => {
            render(
                &page,
                None,
                context! { created => Value::from_serialize(&user), password },
                StatusCode::OK,
            )
            .await
        }
        Err(StoreError::Invalid(inv)) => {
            let errors = Value::from_serialize(field_messages(&page, &inv.0));
            let form = Value::from_serialize(serde_json::json!({
                "unit_id": unit_id, "username": f.username, "display_name": f.display_name, "email": f.email,
                "role": f.role,
            }));
            render(
                &page,
                None,
                context! { errors, form },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => page.fail(e),
    }
}

#[derive(Deserialize)]
pub struct ActiveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    active: String,
}

/// `POST /users/{id}/active`.
pub async fn set_active(page: Page, Path(id): Path<i64>, Form(f): Form<ActiveForm>) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    match page
        .state
        .store
        .set_user_active(&page.actor, UserId(id), f.active == "1")
        .await
    {
        Ok(_) => see_other("/users"),
        Err(e) => page.fail(e),
    }
}
