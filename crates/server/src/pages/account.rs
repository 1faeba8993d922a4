//! The signed-in person's account: password change and API tokens.

use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use canhgac_store::StoreError;
use minijinja::{context, Value};
use serde::Deserialize;

use crate::auth::Page;
use crate::pages::{field_messages, see_other};

/// `GET /account`.
pub async fn show(page: Page) -> Response {
    page.render("account.html", Value::UNDEFINED)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /account/password`.
pub async fn change_password(page: Page, Form(f): Form<PasswordForm>) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    if f.new != f.confirm {
        let errors = Value::from_serialize(field_messages(
            &page,
            &[canhgac_model::FieldError::new("confirm", "err.password_mismatch")],
        ));
        let ctx = page.ctx(context! { errors });
        return page
            .state
            .views
            .render_status(StatusCode::UNPROCESSABLE_ENTITY, "account.html", ctx);
    }
    match page
        .state
        .store
        .change_password(&page.actor, &f.current, &f.new)
        .await
    {
        Ok(()) => see_other("/?password_changed=1"),
        Err(StoreError::Invalid(inv)) => {
            let errors = Value::from_serialize(field_messages(&page, &inv.0));
            let ctx = page.ctx(context! { errors });
            page.state
                .views
                .render_status(StatusCode::UNPROCESSABLE_ENTITY, "account.html", ctx)
        }
        Err(e) => page.fail(e),
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

/// `POST /account/tokens`: shows the new token once.
pub async fn create_token(page: Page, Form(f): Form<TokenForm>) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    match page.state.store.create_api_token(&page.actor, &f.name).await {
        Ok((_, token)) => page.render("account.html", context! { token }),
        Err(e) => page.fail(e),
    }
}
