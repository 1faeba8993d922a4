//! Server-rendered pages, one module per resource. Each handler takes the [`crate::auth::Page`] extractor
//! (signed-in person, language, CSRF token); data access is scoped by the store.

pub mod account;
pub mod agents;
pub mod alerts;
pub mod assets;
pub mod audit;
pub mod botnet;
pub mod contacts;
pub mod dashboard;
pub mod duty;
pub mod events;
pub mod login;
pub mod misc;
pub mod rules;
pub mod scans;
pub mod units;
pub mod users;
pub mod vuln_export;
pub mod vuln_findings;
pub mod vulnerabilities;

use std::collections::BTreeMap;

use canhgac_model::{FieldError, Permission, Unit};

use crate::auth::Page;

/// Unit id (as text, the way templates look it up) → unit name, for the units a page lists.
pub fn unit_names(units: &[Unit]) -> BTreeMap<String, String> {
    units.iter().map(|u| (u.id.to_string(), u.name.clone())).collect()
}

/// The units of `units` where the person asking holds `permission` (the choices of a form's unit field).
pub fn units_allowing<'a>(page: &Page, units: &'a [Unit], permission: Permission) -> Vec<&'a Unit> {
    units
        .iter()
        .filter(|u| page.actor.allows(permission, u.id))
        .collect()
}

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

/// A query-string value, percent-encoded.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Redirect after a successful POST (303, so the browser GETs the target).
pub fn see_other(to: &str) -> axum::response::Response {
    axum::response::IntoResponse::into_response(axum::response::Redirect::to(to))
}

/// A multipart upload form (`csrf`, `file`) with its CSRF token checked: the file's name and bytes (empty when no
/// file was sent), or the error page.
pub async fn read_upload(
    page: &Page,
    mp: axum::extract::Multipart,
) -> Result<(String, axum::body::Bytes), axum::response::Response> {
    let (fields, file) = read_multipart(page, mp).await?;
    page.check_csrf(fields.get("csrf").map_or("", String::as_str))?;
    Ok(file.unwrap_or_default())
}

/// A multipart form: its text fields and its one file (name, bytes). Oversize and malformed bodies become the
/// error page in the user's language.
pub async fn read_multipart(
    page: &Page,
    mut mp: axum::extract::Multipart,
) -> Result<(BTreeMap<String, String>, Option<(String, axum::body::Bytes)>), axum::response::Response> {
    use axum::http::StatusCode;
    let mut fields = BTreeMap::new();
    let mut file = None;
    loop {
        match mp.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_string();
                let file_name = field.file_name().map(str::to_owned);
                let Ok(bytes) = field.bytes().await else {
                    return Err(page.error(StatusCode::PAYLOAD_TOO_LARGE, "err.file_too_large"));
                };
                match file_name {
                    Some(f) if name == "file" => file = Some((f, bytes)),
                    _ => {
                        fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
                    }
                }
            }
            Ok(None) => return Ok((fields, file)),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(page.error(StatusCode::PAYLOAD_TOO_LARGE, "err.file_too_large"))
            }
            Err(_) => return Err(page.error(StatusCode::BAD_REQUEST, "err.bad_form")),
        }
    }
}
