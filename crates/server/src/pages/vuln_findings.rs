//! A unit's patch list and its WSUS/SCCM/`Get-HotFix` report import, a host's findings with their evidence and its
//! inventory upload, and the decisions people take on a finding (in progress, fixed, risk accepted with reason and
//! expiry, false positive with reason).

use axum::extract::{Multipart, Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use canhgac_model::{AssetId, Permission, UnitId};
use canhgac_store::{FindingChange, FindingStatus, StoreError};
use minijinja::{context, Value};
use serde::Deserialize;

use crate::auth::Page;
use crate::pages::{field_messages, read_upload, see_other};

/// `GET /vulnerabilities/units/{id}`: the unit's patch list, by risk, and the update report import.
pub async fn unit(page: Page, Path(id): Path<i64>) -> Response {
    render_unit(&page, id, Value::UNDEFINED, StatusCode::OK).await
}

async fn render_unit(page: &Page, id: i64, extra: Value, status: StatusCode) -> Response {
    let store = &page.state.store;
    let loaded = async {
        Ok::<_, StoreError>((
            store.unit(&page.actor, UnitId(id)).await?,
            store.patch_list(&page.actor, UnitId(id)).await?,
            store.sla(&page.actor, UnitId(id)).await?,
        ))
    };
    match loaded.await {
        Ok((unit, list, sla)) => {
            let can_set_sla = page.actor.allows(Permission::AdministerUnit, unit.id);
            let can_work = page.actor.allows(Permission::Operate, unit.id);
            // Microsoft updates by KB; Linux findings by the package version that fixes them, in their own table.
            let (package_fixes, patches): (Vec<_>, Vec<_>) = list.into_iter().partition(|p| p.package);
            let ctx =
                page.ctx(context! { unit, patches, package_fixes, sla, can_set_sla, can_work, ..extra });
            page.state.views.render_status(status, "vuln_unit.html", ctx)
        }
        Err(e) => page.fail(e),
    }
}

/// `POST /vulnerabilities/units/{id}/inventory-report` (multipart: `csrf`, `file`): a WSUS, SCCM or `Get-HotFix`
/// report of many hosts, each attached to the unit's asset of that name; the unit is recomputed once and the page
/// shows the hosts matched, unmatched and ambiguous and the rows not used.
pub async fn import_report(page: Page, Path(id): Path<i64>, mp: Multipart) -> Response {
    let (name, bytes) = match read_upload(&page, mp).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let store = &page.state.store;
    match store
        .import_inventory_report(&page.actor, UnitId(id), &name, &bytes)
        .await
    {
        Ok(report) => {
            if !report.matched.is_empty() {
                let knowledge = &page.state.knowledge;
                if let Err(e) = knowledge.recompute_unit(store, &page.actor, UnitId(id)).await {
                    return page.fail(e);
                }
            }
            let problems: Vec<Value> = report
                .problems
                .iter()
                .map(|p| {
                    context! {
                        line => p.line, column => p.column, value => p.value, host => p.host,
                        message => page.t(&format!("vreport.{}", p.code)),
                    }
                })
                .collect();
            render_unit(&page, id, context! { report, problems }, StatusCode::OK).await
        }
        Err(StoreError::Invalid(inv)) => {
            let report_errors = Value::from_serialize(field_messages(&page, &inv.0));
            render_unit(
                &page,
                id,
                context! { report_errors },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => page.fail(e),
    }
}

#[derive(Deserialize)]
pub struct SlaForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    critical: String,
    #[serde(default)]
    high: String,
    #[serde(default)]
    medium: String,
    #[serde(default)]
    low: String,
}

/// `POST /vulnerabilities/units/{id}/sla`: the unit's days to fix by severity (its administrator or the
/// Department; on the Department's own unit, the default for every unit).
pub async fn set_sla(page: Page, Path(id): Path<i64>, Form(f): Form<SlaForm>) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    let days = |s: &str| s.trim().parse::<i64>().unwrap_or(0);
    let sla = canhgac_store::Sla {
        critical: days(&f.critical),
        high: days(&f.high),
        medium: days(&f.medium),
        low: days(&f.low),
    };
    match page.state.store.set_sla(&page.actor, UnitId(id), sla).await {
        Ok(()) => see_other(&format!("/vulnerabilities/units/{id}")),
        Err(StoreError::Invalid(_)) => page.error(StatusCode::UNPROCESSABLE_ENTITY, "err.days_range"),
        Err(e) => page.fail(e),
    }
}

#[derive(Deserialize, Default)]
pub struct HostQuery {
    /// Only the CVEs of this view (`saved:<name>` or `warning:<id>`).
    #[serde(default)]
    view: String,
}

/// `GET /assets/{id}/vulnerabilities[?view=…]`: the host's findings (all, or one view's) with their evidence, and
/// the inventory upload.
pub async fn host(page: Page, Path(id): Path<i64>, Query(q): Query<HostQuery>) -> Response {
    render_host(&page, id, &q.view, Value::UNDEFINED, StatusCode::OK).await
}

async fn render_host(page: &Page, id: i64, view: &str, extra: Value, status: StatusCode) -> Response {
    let store = &page.state.store;
    let loaded = async {
        let kb = page.state.knowledge.get(store).await?;
        let mut findings = store.host_findings(&page.actor, AssetId(id)).await?;
        // Verdicts of CVEs never found vulnerable are matched live (not stored): vulnerable, unknown, remediated.
        findings.extend(store.host_live_verdicts(&page.actor, AssetId(id), &kb).await?);
        let rank = |state: &str| {
            ["vulnerable", "unknown", "remediated"]
                .iter()
                .position(|s| *s == state)
        };
        findings.sort_by_key(|f| rank(&f.state).unwrap_or(3));
        if !view.is_empty() {
            let cves: std::collections::HashSet<String> =
                store.view_cves(&kb, view).await?.into_iter().collect();
            findings.retain(|f| cves.contains(&f.cve));
        }
        Ok::<_, StoreError>((
            store.asset(&page.actor, AssetId(id)).await?,
            findings,
            store.latest_inventory(&page.actor, AssetId(id)).await?,
        ))
    };
    let (asset, findings, inventory) = match loaded.await {
        Ok(v) => v,
        Err(e) => return page.fail(e),
    };
    let ctx = page.ctx(context! {
        can_work => page.actor.allows(Permission::Operate, asset.unit_id),
        asset, findings, inventory, view, ..extra
    });
    page.state.views.render_status(status, "vuln_host.html", ctx)
}

/// `POST /assets/{id}/inventory` (multipart: `csrf`, `file`): attaches a `systeminfo`, `wmic qfe` or agent JSON
/// inventory to the host and recomputes its unit's findings.
pub async fn upload_inventory(page: Page, Path(id): Path<i64>, mp: Multipart) -> Response {
    let (name, bytes) = match read_upload(&page, mp).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let state = &page.state;
    match state
        .store
        .attach_inventory(&page.actor, AssetId(id), &name, &bytes)
        .await
    {
        Ok(inv) => {
            let done = async {
                let asset = state.store.asset(&page.actor, AssetId(id)).await?;
                state
                    .knowledge
                    .recompute_unit(&state.store, &page.actor, asset.unit_id)
                    .await
            };
            match done.await {
                Ok(_) => see_other(&format!("/assets/{id}/vulnerabilities?inventory={}", inv.id)),
                Err(e) => page.fail(e),
            }
        }
        Err(StoreError::Invalid(inv)) => {
            let errors = Value::from_serialize(field_messages(&page, &inv.0));
            render_host(
                &page,
                id,
                "",
                context! { errors },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => page.fail(e),
    }
}

/// `GET /vulnerabilities/findings/{id}`: a finding with its evidence and the decision form.
pub async fn finding(page: Page, Path(id): Path<i64>) -> Response {
    render_finding(&page, id, Value::UNDEFINED, StatusCode::OK).await
}

async fn render_finding(page: &Page, id: i64, errors: Value, status: StatusCode) -> Response {
    let f = match page.state.store.finding(&page.actor, id).await {
        Ok(f) => f,
        Err(e) => return page.fail(e),
    };
    let ctx = page.ctx(context! {
        can_work => page.actor.allows(Permission::Operate, f.unit_id),
        exposed => f.exposed(),
        finding => f, errors,
        statuses => FindingStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
    });
    page.state.views.render_status(status, "vuln_finding.html", ctx)
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    reason: String,
    /// The last day of an accepted risk (`yyyy-mm-dd`, Vietnam time).
    #[serde(default)]
    expires_on: String,
    #[serde(default)]
    owner: String,
}

/// `POST /vulnerabilities/findings/{id}/status`.
pub async fn set_status(page: Page, Path(id): Path<i64>, Form(f): Form<StatusForm>) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    let expires_at = if f.expires_on.trim().is_empty() {
        None
    } else {
        match canhgac_model::roster::local_midnight(f.expires_on.trim()) {
            // The acceptance covers the whole last day.
            Some(ms) => Some(ms + 86_400_000),
            None => {
                let errors = context! { expires_on => page.t("err.date_invalid") };
                return render_finding(&page, id, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
        }
    };
    let change = FindingChange {
        status: f.status,
        reason: f.reason,
        expires_at,
        owner: Some(f.owner),
    };
    match page
        .state
        .store
        .set_finding_status(&page.actor, id, &change)
        .await
    {
        Ok(_) => see_other(&format!("/vulnerabilities/findings/{id}")),
        Err(StoreError::Invalid(inv)) => {
            let mut errors = field_messages(&page, &inv.0);
            if let Some(m) = errors.remove("expires_at") {
                errors.insert("expires_on".into(), m);
            }
            render_finding(
                &page,
                id,
                Value::from_serialize(errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => page.fail(e),
    }
}
