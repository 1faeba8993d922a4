//! Sign in and out.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Form;
use canhgac_store::StoreError;
use serde::Deserialize;

use crate::auth::{cookie, set_cookie, Page, Visitor, SESSION_COOKIE};
use crate::pages::see_other;

/// `GET /login`.
pub async fn form(v: Visitor) -> Response {
    v.state
        .views
        .render("login.html", v.ctx(minijinja::context! { anonymous => true }))
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// `POST /login`. (No CSRF token exists before sign-in; the session cookie is SameSite=Strict and the form posts
/// only credentials, so a forged request can only sign the attacker in.)
pub async fn submit(v: Visitor, Form(f): Form<LoginForm>) -> Response {
    match v.state.store.login(&f.username, &f.password).await {
        Ok(login) => {
            let c = set_cookie(SESSION_COOKIE, &login.token, 12 * 3600, v.state.secure_cookies);
            let to = if login.user.must_change_password {
                "/account"
            } else {
                "/"
            };
            ([(header::SET_COOKIE, c)], see_other(to)).into_response()
        }
        Err(StoreError::LoginRefused) => {
            let ctx = minijinja::context! { anonymous => true, username => f.username, error => v.t("login.refused") };
            v.state
                .views
                .render_status(axum::http::StatusCode::UNAUTHORIZED, "login.html", v.ctx(ctx))
        }
        Err(e) => {
            tracing::error!(error = %e, "login failed");
            (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    pub csrf: String,
}

/// `POST /logout`.
pub async fn logout(page: Page, headers: axum::http::HeaderMap, Form(f): Form<CsrfOnly>) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        if let Err(e) = page.state.store.logout(token).await {
            return page.fail(e);
        }
    }
    let c = set_cookie(SESSION_COOKIE, "", 0, page.state.secure_cookies);
    ([(header::SET_COOKIE, c)], see_other("/login")).into_response()
}
