//! Server-rendered pages, one module per resource. Each handler takes the [`crate::auth::Page`] extractor
//! (signed-in person, language, CSRF token); data access is scoped by the store.

pub mod account;
pub mod alerts;
pub mod assets;
pub mod audit;
pub mod contacts;
pub mod dashboard;
pub mod duty;
pub mod login;
pub mod misc;
pub mod units;
pub mod users;

use std::collections::BTreeMap;

use canhgac_model::FieldError;

use crate::auth::Page;

/// Field errors as a map field → translated message (with the offending value), for templates.
pub fn field_messages(page: &Page, errors: &[FieldError]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for e in errors {
        let mut msg = page.state.i18n.t(page.lang, &e.code).to_string();
        if let Some(v) = &e.value {
            msg = format!("{msg}: {v}");
        }
        out.entry(e.field.clone()).or_insert(msg);
    }
    out
}

/// Redirect after a successful POST (303, so the browser GETs the target).
pub fn see_other(to: &str) -> axum::response::Response {
    axum::response::IntoResponse::into_response(axum::response::Redirect::to(to))
}
