//! Who is asking: the session cookie (pages) or the bearer token (API), resolved into an actor by the store.
//! Pages also carry the language and the session's CSRF token, checked on every state-changing form.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use canhgac_model::{Actor, User};
use canhgac_store::StoreError;
use minijinja::Value;

use crate::error::ApiError;
use crate::{i18n, AppState};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "cg_session";
/// The language cookie's name.
pub const LANG_COOKIE: &str = "cg_lang";

/// The value of cookie `name`.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, Secure when served over TLS.
pub fn set_cookie(name: &str, value: &str, max_age_s: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{secure}")
}

/// A visitor who may not be signed in: the language and the state.
pub struct Visitor {
    pub state: AppState,
    pub lang: &'static str,
}

impl<S> FromRequestParts<S> for Visitor
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(Visitor {
            state: AppState::from_ref(state),
            lang: i18n::pick(cookie(&parts.headers, LANG_COOKIE)),
        })
    }
}

impl Visitor {
    /// A template context with the language set.
    pub fn ctx(&self, extra: Value) -> Value {
        minijinja::context! { lang => self.lang, ..extra }
    }

    /// A translated text.
    pub fn t(&self, key: &str) -> String {
        self.state.i18n.t(self.lang, key).to_string()
    }
}

/// A signed-in person on a page.
pub struct Page {
    pub state: AppState,
    pub lang: &'static str,
    pub actor: Actor,
    pub user: User,
    pub csrf: String,
    pub path: String,
}

impl<S> FromRequestParts<S> for Page
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let lang = i18n::pick(cookie(&parts.headers, LANG_COOKIE));
        let to_login = || Redirect::to("/login").into_response();
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(to_login());
        };
        match state.store.session(token).await {
            Ok(Some(s)) => Ok(Page {
                state,
                lang,
                actor: s.actor,
                user: s.user,
                csrf: s.csrf,
                path: parts.uri.path().to_string(),
            }),
            Ok(None) => Err(to_login()),
            Err(e) => {
                tracing::error!(error = %e, "session lookup failed");
                Err((StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response())
            }
        }
    }
}

impl Page {
    /// The template context every page gets: language, user, role, CSRF token, current path.
    pub fn ctx(&self, extra: Value) -> Value {
        minijinja::context! {
            lang => self.lang,
            me => Value::from_serialize(&self.user),
            role => self.actor.role.as_str(),
            is_dept => self.actor.is_dept_admin(),
            can_admin_unit => self.actor.allows(canhgac_model::Permission::AdministerUnit, self.actor.unit_id),
            can_operate => self.actor.allows(canhgac_model::Permission::Operate, self.actor.unit_id),
            is_staff => self.actor.role == canhgac_model::Role::Staff,
            csrf => self.csrf.clone(),
            path => self.path.clone(),
            section => self.path.split('/').nth(1).unwrap_or_default(),
            ..extra
        }
    }

    /// A translated text in the reader's language.
    pub fn t(&self, key: &str) -> String {
        self.state.i18n.t(self.lang, key).to_string()
    }

    /// Renders a page.
    pub fn render(&self, template: &str, extra: Value) -> Response {
        self.state.views.render(template, self.ctx(extra))
    }

    /// Checks a form's CSRF token against the session's.
    pub fn check_csrf(&self, token: &str) -> Result<(), Response> {
        if !token.is_empty() && constant_eq(token.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(self.error(StatusCode::FORBIDDEN, "err.csrf"))
        }
    }

    /// An error page in the user's language.
    pub fn error(&self, status: StatusCode, key: &str) -> Response {
        let ctx = self.ctx(minijinja::context! { status => status.as_u16(), message_key => key });
        self.state.views.render_status(status, "error.html", ctx)
    }

    /// The error page for a store error.
    pub fn fail(&self, e: StoreError) -> Response {
        match e {
            StoreError::NotFound => self.error(StatusCode::NOT_FOUND, "err.not_found"),
            StoreError::Forbidden => self.error(StatusCode::FORBIDDEN, "err.forbidden"),
            StoreError::Invalid(_) => self.error(StatusCode::UNPROCESSABLE_ENTITY, "err.bad_form"),
            other => {
                tracing::error!(error = %other, "store error");
                self.error(StatusCode::INTERNAL_SERVER_ERROR, "err.internal")
            }
        }
    }
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A caller of the JSON API, by `Authorization: Bearer <token>`.
pub struct Api {
    pub state: AppState,
    pub actor: Actor,
    pub user: User,
}

impl<S> FromRequestParts<S> for Api
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let unauthorized = || {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a valid API token is required",
            )
        };
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(unauthorized)?;
        match state.store.api_token(token.trim()).await? {
            Some(s) => Ok(Api {
                state,
                actor: s.actor,
                user: s.user,
            }),
            None => Err(unauthorized()),
        }
    }
}
