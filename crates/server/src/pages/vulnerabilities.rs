//! Vulnerabilities: the Department imports advisories (several files at once) and national warnings; everyone sees
//! the views (the saved query "Microsoft May–Dec 2023 high/critical" and every warning) with the hosts still
//! exposed in their scope and the daily trend, exported to XLSX.

use axum::extract::{Multipart, Query};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use canhgac_store::{StoreError, VulnViewDetail, WarningInput};
use minijinja::{context, Value};
use serde::Deserialize;

use crate::auth::Page;
use crate::pages::{field_messages, read_upload, see_other};

/// The view shown when none is asked for.
pub(crate) const DEFAULT_VIEW: &str = "saved:ms-2023-may-dec";

/// `GET /vulnerabilities`: the views with their exposure, the feed versions, the import form.
pub async fn show(page: Page) -> Response {
    render(&page, Value::UNDEFINED, StatusCode::OK).await
}

async fn render(page: &Page, extra: Value, status: StatusCode) -> Response {
    let state = &page.state;
    let loaded = async {
        let kb = state.knowledge.get(&state.store).await?;
        Ok::<_, StoreError>((
            state.store.vuln_views(&page.actor, &kb).await?,
            state.store.advisory_feeds().await?,
            kb.cves.len(),
        ))
    };
    let (views, feeds, cve_count) = match loaded.await {
        Ok(v) => v,
        Err(e) => return page.fail(e),
    };
    let recomputing = state.knowledge.recomputing_since();
    let ctx = page.ctx(context! { views, feeds, cve_count, recomputing, ..extra });
    state.views.render_status(status, "vulnerabilities.html", ctx)
}

/// A multipart form with any number of files under `files`: its text fields and the files.
async fn read_files(
    page: &Page,
    mut mp: Multipart,
) -> Result<(std::collections::BTreeMap<String, String>, Vec<(String, Vec<u8>)>), Response> {
    let mut fields = std::collections::BTreeMap::new();
    let mut files = Vec::new();
    loop {
        match mp.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_string();
                let file_name = field.file_name().map(str::to_owned);
                let Ok(bytes) = field.bytes().await else {
                    return Err(page.error(StatusCode::PAYLOAD_TOO_LARGE, "err.file_too_large"));
                };
                match file_name {
                    Some(f) if name == "files" || name == "file" => {
                        if !bytes.is_empty() {
                            files.push((f, bytes.to_vec()));
                        }
                    }
                    _ => {
                        fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
                    }
                }
            }
            Ok(None) => return Ok((fields, files)),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(page.error(StatusCode::PAYLOAD_TOO_LARGE, "err.file_too_large"))
            }
            Err(_) => return Err(page.error(StatusCode::BAD_REQUEST, "err.bad_form")),
        }
    }
}

/// `POST /vulnerabilities/advisories` (multipart: `csrf`, `files`…): imports each file (the Department); a file
/// that does not parse is reported by name and the others are kept; then the knowledge base is rebuilt and every
/// unit's findings recomputed.
pub async fn import_advisories(page: Page, mp: Multipart) -> Response {
    let (fields, files) = match read_files(&page, mp).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Err(r) = page.check_csrf(fields.get("csrf").map_or("", String::as_str)) {
        return r;
    }
    if !page.actor.is_dept_admin() {
        return page.fail(StoreError::Forbidden);
    }
    if files.is_empty() {
        let errors = context! { files => page.t("err.file_empty") };
        return render(&page, context! { errors }, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let mut results = Vec::new();
    let mut created = 0;
    for (name, bytes) in &files {
        match page.state.store.import_advisory(&page.actor, name, bytes).await {
            Ok(r) => {
                created += usize::from(r.created);
                let word = if r.created {
                    "vuln.imported"
                } else {
                    "vuln.already_imported"
                };
                results
                    .push(context! { name, ok => true, message => page.t(word), summary => r.feed.summary });
            }
            Err(StoreError::Invalid(inv)) => {
                let message = field_messages(&page, &inv.0)
                    .into_values()
                    .next()
                    .unwrap_or_default();
                results.push(context! { name, ok => false, message });
            }
            Err(e) => return page.fail(e),
        }
    }
    if created > 0 {
        if let Err(e) = crate::knowledge::advisories_changed(&page.state).await {
            return page.fail(e);
        }
    }
    let status = if results
        .iter()
        .all(|r| r.get_attr("ok").is_ok_and(|v| v.is_true()))
    {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(&page, context! { results }, status).await
}

#[derive(Deserialize, Default)]
pub struct ViewQuery {
    #[serde(default)]
    pub(crate) key: String,
}

pub(crate) async fn load_view(page: &Page, key: &str) -> Result<VulnViewDetail, StoreError> {
    let kb = page.state.knowledge.get(&page.state.store).await?;
    let key = if key.is_empty() { DEFAULT_VIEW } else { key };
    page.state.store.vuln_view(&page.actor, &kb, key).await
}

/// `GET /vulnerabilities/view?key=…`: one view's exposed hosts and its trend.
pub async fn view(page: Page, Query(q): Query<ViewQuery>) -> Response {
    match load_view(&page, &q.key).await {
        Ok(detail) => {
            let max = detail.trend.iter().map(|p| p.hosts).max().unwrap_or(0).max(1);
            let recomputing = page.state.knowledge.recomputing_since();
            page.render("vuln_view.html", context! { detail, max, recomputing })
        }
        Err(e) => page.fail(e),
    }
}

/// `GET /vulnerabilities/warnings/new`: the national warning form and the CSV/XLSX import.
pub async fn new_warning(page: Page) -> Response {
    if !page.actor.is_dept_admin() {
        return page.fail(StoreError::Forbidden);
    }
    page.render("vuln_warning_form.html", context! {})
}

#[derive(Deserialize)]
pub struct WarningForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    input: WarningInput,
}

/// `POST /vulnerabilities/warnings`: creates a warning (or adds to the one with the same number).
pub async fn create_warning(page: Page, Form(f): Form<WarningForm>) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    match page.state.store.create_warning(&page.actor, &f.input).await {
        Ok(w) => {
            if let Err(e) = crate::knowledge::advisories_changed(&page.state).await {
                return page.fail(e);
            }
            see_other(&format!("/vulnerabilities/view?key=warning:{}", w.id))
        }
        Err(StoreError::Invalid(inv)) => {
            let errors = Value::from_serialize(field_messages(&page, &inv.0));
            let ctx = page.ctx(context! { errors, form => Value::from_serialize(&f.input) });
            page.state
                .views
                .render_status(StatusCode::UNPROCESSABLE_ENTITY, "vuln_warning_form.html", ctx)
        }
        Err(e) => page.fail(e),
    }
}

/// `POST /vulnerabilities/warnings/import` (multipart: `csrf`, `file`): warnings from CSV/XLSX, bad lines listed.
pub async fn import_warnings(page: Page, mp: Multipart) -> Response {
    let (name, bytes) = match read_upload(&page, mp).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    match page.state.store.import_warnings(&page.actor, &name, &bytes).await {
        Ok(report) => {
            if report.created + report.updated > 0 {
                if let Err(e) = crate::knowledge::advisories_changed(&page.state).await {
                    return page.fail(e);
                }
            }
            let rejected: Vec<Value> = report
                .rejected
                .iter()
                .map(|r| context! { line => r.line, field => page.t(&format!("vuln.{}", r.field)), message => page.t(&r.code), value => r.value })
                .collect();
            page.render("vuln_warning_form.html", context! { report, rejected })
        }
        Err(StoreError::Invalid(inv)) => {
            let file_errors = Value::from_serialize(field_messages(&page, &inv.0));
            let ctx = page.ctx(context! { file_errors });
            page.state
                .views
                .render_status(StatusCode::UNPROCESSABLE_ENTITY, "vuln_warning_form.html", ctx)
        }
        Err(e) => page.fail(e),
    }
}
