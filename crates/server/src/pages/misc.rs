//! Health, static assets, language switch, not-found.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::{set_cookie, Visitor, LANG_COOKIE};
use crate::{i18n, AppState};

/// `GET /healthz`: 200 when the database answers.
pub async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.contacts().await {
        Ok(_) => (StatusCode::OK, axum::Json(serde_json::json!({"status": "ok"}))).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({"status": "database unavailable"})),
            )
                .into_response()
        }
    }
}

const STATIC: &[(&str, &str, &str)] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../../static/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/app.js"),
    ),
];

/// `GET /static/{file}`: assets embedded in the binary.
pub async fn static_file(Path(file): Path<String>) -> Response {
    match STATIC.iter().find(|(name, _, _)| *name == file) {
        Some((_, mime, body)) => (
            [
                (header::CONTENT_TYPE, *mime),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            *body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// `GET /lang/{code}`: remembers the language in a cookie and returns to the page (same-site paths only).
pub async fn switch_lang(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<Next>,
) -> Response {
    let lang = i18n::pick(Some(&code));
    let next = q
        .next
        .filter(|n| n.starts_with('/') && !n.starts_with("//"))
        .unwrap_or_else(|| "/".into());
    let cookie = set_cookie(LANG_COOKIE, lang, 365 * 24 * 3600, state.secure_cookies);
    ([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response()
}

/// Anything else: a 404 page in the visitor's language.
pub async fn not_found(v: Visitor) -> Response {
    let ctx = v.ctx(minijinja::context! { status => 404, message_key => "err.not_found", anonymous => true });
    v.state
        .views
        .render_status(StatusCode::NOT_FOUND, "error.html", ctx)
}
