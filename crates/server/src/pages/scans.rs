//! Central scanning in the console. `/scan`: rule set versions and the upload (compile failures listed with file,
//! line and reason; "publish without the failing files" on request), scan tasks and their creation (one host, a
//! tag, the unit, the botnet queue), nightly schedules. `/scan/detections`: files found. `/scan/coverage`: the
//! proof — share of servers and workstations fully scanned in the last N days and the machines still missing.
//! On a detection, "quarantine", "restore" and "delete" create the task for the agent that found the file.

use axum::extract::{Multipart, Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use canhgac_model::scan::TaskKind;
use canhgac_model::{Invalid, Permission, UnitId};
use canhgac_store::{LeftOut, NewScanTasks, ScanTarget, StoreError, TasksCreated};
use minijinja::{context, Value};
use serde::Deserialize;

use crate::api::agents::statuses;
use crate::api::scans::profile_of;
use crate::auth::Page;
use crate::pages::{field_messages, read_multipart};
use crate::scanrules::{publish, PublishError};

/// What the last action left to show.
#[derive(Default)]
struct Outcome {
    failures: Vec<LeftOut>,
    upload_error: Option<String>,
    published: Option<i64>,
    created: Option<TasksCreated>,
    errors: Value,
}

impl Outcome {
    /// A refused form: its fields' errors in the reader's language.
    fn invalid(page: &Page, inv: &Invalid) -> Self {
        Self {
            errors: Value::from_serialize(field_messages(page, &inv.0)),
            ..Default::default()
        }
    }
}

/// The page again with a refused form's errors.
async fn refused(page: &Page, inv: &Invalid) -> Response {
    render(
        page,
        Outcome::invalid(page, inv),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

async fn render(page: &Page, out: Outcome, status: StatusCode) -> Response {
    let store = &page.state.store;
    let rulesets = match store.rulesets(&page.actor).await {
        Ok(r) => r,
        Err(e) => return page.fail(e),
    };
    let tasks = match store.scan_tasks(&page.actor, None, 100).await {
        Ok(t) => t,
        Err(e) => return page.fail(e),
    };
    let schedules = match store.scan_schedules(&page.actor).await {
        Ok(s) => s,
        Err(e) => return page.fail(e),
    };
    let agents = match statuses(&page.state, &page.actor).await {
        Ok(a) => a,
        Err(e) => return page.fail(e),
    };
    let units = match store.units(&page.actor).await {
        Ok(u) => u,
        Err(e) => return page.fail(e),
    };
    let unit_names = crate::pages::unit_names(&units);
    let admin_units = crate::pages::units_allowing(page, &units, Permission::AdministerUnit);
    let operate_units = crate::pages::units_allowing(page, &units, Permission::Operate);
    let ctx = page.ctx(context! {
        section => "scan", rulesets, tasks, schedules, agents, unit_names, admin_units, operate_units,
        dept => page.actor.is_dept_admin(),
        failures => out.failures, upload_error => out.upload_error, published => out.published,
        created => out.created, errors => out.errors,
    });
    page.state.views.render_status(status, "scan.html", ctx)
}

/// `GET /scan`.
pub async fn index(page: Page) -> Response {
    render(&page, Outcome::default(), StatusCode::OK).await
}

fn unit_field(text: Option<&String>) -> Option<UnitId> {
    text.and_then(|t| t.trim().parse().ok()).map(UnitId)
}

/// `POST /scan/rulesets` (multipart: `csrf`, `unit` — empty for the Department's rule set —, `publish_partial`,
/// `note`, `file`).
pub async fn upload(page: Page, mp: Multipart) -> Response {
    let (fields, file) = match read_multipart(&page, mp).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    if let Err(r) = page.check_csrf(fields.get("csrf").map_or("", String::as_str)) {
        return r;
    }
    let Some((name, bytes)) = file else {
        let out = Outcome {
            upload_error: Some(page.state.i18n.t(page.lang, "err.file_empty").to_string()),
            ..Default::default()
        };
        return render(&page, out, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let unit = match unit_field(fields.get("unit")) {
        Some(u) => Some(u),
        None if page.actor.is_dept_admin() => None,
        None => Some(page.actor.unit_id),
    };
    let partial = fields
        .get("publish_partial")
        .is_some_and(|v| v == "1" || v == "on");
    let note = fields.get("note").cloned().unwrap_or_default();
    let result = publish(
        &page.state,
        &page.actor,
        unit,
        name,
        bytes.to_vec(),
        partial,
        &note,
    )
    .await;
    let (out, status) = match result {
        Ok(p) => (
            Outcome {
                published: Some(p.version.version),
                failures: p.version.left_out,
                ..Default::default()
            },
            StatusCode::CREATED,
        ),
        Err(PublishError::Failures(r)) => (
            Outcome {
                failures: r.failures,
                ..Default::default()
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(PublishError::Upload(e)) => (
            Outcome {
                upload_error: Some(e.to_string()),
                ..Default::default()
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(PublishError::Store(StoreError::Invalid(inv))) => {
            (Outcome::invalid(&page, &inv), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(PublishError::Store(e)) => return page.fail(e),
    };
    render(&page, out, status).await
}

#[derive(Deserialize)]
pub struct TaskForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    unit_id: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    asset_id: String,
    #[serde(default)]
    tag: String,
    #[serde(default)]
    profile: String,
}

/// `POST /scan/tasks`.
pub async fn create_tasks(page: Page, Form(f): Form<TaskForm>) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    let target = match f.target.as_str() {
        "host" => ScanTarget::Host {
            asset_id: f.asset_id.trim().parse().unwrap_or(0),
        },
        "tag" => ScanTarget::Tag { tag: f.tag },
        "botnet" => ScanTarget::Botnet,
        _ => ScanTarget::Unit,
    };
    let req = match profile_of(Some(f.profile.as_str())) {
        Ok(profile) => NewScanTasks {
            unit: unit_field(Some(&f.unit_id)).unwrap_or(page.actor.unit_id),
            target,
            profile,
            threads: 0,
        },
        Err(e) => return page.fail(e),
    };
    match page.state.store.create_scan_tasks(&page.actor, &req).await {
        Ok(created) => {
            let out = Outcome {
                created: Some(created),
                ..Default::default()
            };
            render(&page, out, StatusCode::CREATED).await
        }
        Err(StoreError::Invalid(inv)) => refused(&page, &inv).await,
        Err(e) => page.fail(e),
    }
}

#[derive(Deserialize)]
pub struct ScheduleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    unit_id: String,
    /// Empty: no nightly scan.
    #[serde(default)]
    hour: String,
    #[serde(default)]
    profile: String,
}

/// `POST /scan/schedules`.
pub async fn set_schedule(page: Page, Form(f): Form<ScheduleForm>) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    let unit = unit_field(Some(&f.unit_id)).unwrap_or(page.actor.unit_id);
    let hour = match f.hour.trim() {
        "" => None,
        h => Some(h.parse().unwrap_or(-1)),
    };
    let result = match profile_of(Some(f.profile.as_str())) {
        Ok(p) => {
            page.state
                .store
                .set_scan_schedule(&page.actor, unit, hour, p)
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => crate::pages::see_other("/scan"),
        Err(StoreError::Invalid(inv)) => refused(&page, &inv).await,
        Err(e) => page.fail(e),
    }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    unit_id: Option<String>,
    #[serde(default)]
    open: Option<String>,
    #[serde(default)]
    days: Option<String>,
}

/// `GET /scan/detections?unit_id=…&open=1`.
pub async fn detections(page: Page, Query(q): Query<ListQuery>) -> Response {
    let unit = unit_field(q.unit_id.as_ref());
    let open_only = q.open.as_deref().is_some_and(|v| v == "1");
    render_detections(&page, unit, open_only, Notice::default(), StatusCode::OK).await
}

/// What the last action on a detection left to show.
#[derive(Default)]
struct Notice {
    created: bool,
    errors: Value,
}

async fn render_detections(
    page: &Page,
    unit: Option<UnitId>,
    open_only: bool,
    notice: Notice,
    status: StatusCode,
) -> Response {
    let items = match page
        .state
        .store
        .scan_detections(&page.actor, unit, open_only, 500)
        .await
    {
        Ok(d) => d,
        Err(e) => return page.fail(e),
    };
    let units = match page.state.store.units(&page.actor).await {
        Ok(u) => u,
        Err(e) => return page.fail(e),
    };
    let unit_names = crate::pages::unit_names(&units);
    let items: Vec<serde_json::Value> = items
        .iter()
        .map(|d| {
            let mut v = serde_json::to_value(d).unwrap_or_default();
            v["mode_text"] = d.mode.map(|m| format!("{m:o}")).unwrap_or_default().into();
            v["may_act"] = page.actor.allows(Permission::Operate, d.unit_id).into();
            v
        })
        .collect();
    let ctx = page.ctx(context! {
        section => "scan", items, unit_names, open_only,
        action_created => notice.created, errors => notice.errors,
    });
    page.state
        .views
        .render_status(status, "scan_detections.html", ctx)
}

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    csrf: String,
}

async fn detection_action(page: Page, id: i64, kind: TaskKind, f: ActionForm) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    match page
        .state
        .store
        .create_detection_task(&page.actor, id, kind)
        .await
    {
        Ok(_) => {
            let notice = Notice {
                created: true,
                ..Default::default()
            };
            render_detections(&page, None, false, notice, StatusCode::CREATED).await
        }
        Err(StoreError::Invalid(inv)) => {
            let notice = Notice {
                errors: Value::from_serialize(field_messages(&page, &inv.0)),
                ..Default::default()
            };
            render_detections(&page, None, false, notice, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => page.fail(e),
    }
}

/// `POST /scan/detections/{id}/quarantine`.
pub async fn quarantine(page: Page, Path(id): Path<i64>, Form(f): Form<ActionForm>) -> Response {
    detection_action(page, id, TaskKind::Quarantine, f).await
}

/// `POST /scan/detections/{id}/restore`.
pub async fn restore(page: Page, Path(id): Path<i64>, Form(f): Form<ActionForm>) -> Response {
    detection_action(page, id, TaskKind::Restore, f).await
}

/// `POST /scan/detections/{id}/delete`.
pub async fn delete(page: Page, Path(id): Path<i64>, Form(f): Form<ActionForm>) -> Response {
    detection_action(page, id, TaskKind::Delete, f).await
}

/// `GET /scan/coverage?days=7&unit_id=…`.
pub async fn coverage(page: Page, Query(q): Query<ListQuery>) -> Response {
    let days = q.days.as_deref().and_then(|d| d.trim().parse().ok()).unwrap_or(7);
    let unit = unit_field(q.unit_id.as_ref());
    match page
        .state
        .store
        .scan_coverage(&page.actor, unit, days, canhgac_store::now_ms())
        .await
    {
        Ok(cov) => {
            let ctx = page.ctx(context! { section => "scan", cov });
            page.state.views.render("scan_coverage.html", ctx)
        }
        Err(e) => page.fail(e),
    }
}
