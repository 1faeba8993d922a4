//! Collected events in the console: search (time range, host, `field=value`, words), one event, the unit's event
//! sources, and the Department's operations page (intake counters, detection backlog and latency).

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use canhgac_model::{Permission, Scope, UnitId};
use canhgac_store::{SourceKind, StoreError};
use chrono::{NaiveDateTime, TimeZone};
use minijinja::{context, Value};
use serde::Deserialize;

use crate::api::events::{reload_sources, SearchParams};
use crate::auth::Page;
use crate::pages::{field_messages, see_other};

/// The search form as typed: local date-times (Vietnam, UTC+7) instead of milliseconds.
#[derive(Debug, Default, Deserialize)]
pub struct SearchForm {
    #[serde(default)]
    unit_id: Option<String>,
    #[serde(default)]
    host: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    field: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    before: Option<i64>,
}

/// `2024-02-09T07:00` in Vietnam's time (UTC+7) as milliseconds.
fn local_ms(s: &str) -> Option<i64> {
    let naive = NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%dT%H:%M").ok()?;
    let zone = chrono::FixedOffset::east_opt(7 * 3600)?;
    zone.from_local_datetime(&naive)
        .single()
        .map(|t| t.timestamp_millis())
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET /events`.
pub async fn search(page: Page, Query(f): Query<SearchForm>) -> Response {
    let params = SearchParams {
        unit_id: f.unit_id.as_deref().and_then(|u| u.trim().parse().ok()),
        host: f.host.clone(),
        from: local_ms(&f.from),
        to: local_ms(&f.to),
        field: f.field.clone(),
        q: f.q.clone(),
        before: f.before,
        limit: Some(50),
    };
    let store = &page.state.store;
    let (result, errors) = match params.query() {
        Ok(q) => match store.search_events(&page.actor, &q).await {
            Ok(r) => (Some(r), Value::UNDEFINED),
            Err(StoreError::Invalid(inv)) => (None, Value::from_serialize(field_messages(&page, &inv.0))),
            Err(e) => return page.fail(e),
        },
        Err(StoreError::Invalid(inv)) => (None, Value::from_serialize(field_messages(&page, &inv.0))),
        Err(e) => return page.fail(e),
    };
    let units = match store.units(&page.actor).await {
        Ok(u) => u,
        Err(e) => return page.fail(e),
    };
    let next = result.as_ref().and_then(|r| r.next).map(|before| {
        format!(
            "/events?unit_id={}&host={}&from={}&to={}&field={}&q={}&before={before}",
            enc(f.unit_id.as_deref().unwrap_or("")),
            enc(&f.host),
            enc(&f.from),
            enc(&f.to),
            enc(&f.field),
            enc(&f.q)
        )
    });
    let items = result.map(|r| r.items).unwrap_or_default();
    let status = if errors.is_undefined() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let ctx = page.ctx(context! { section => "events", items, units, next, errors,
        form => context! { unit_id => f.unit_id, host => f.host, from => f.from, to => f.to, field => f.field, q => f.q } });
    page.state.views.render_status(status, "events.html", ctx)
}

/// `GET /events/{id}`.
pub async fn one(page: Page, Path(id): Path<i64>) -> Response {
    match page.state.store.event(&page.actor, id).await {
        Ok(event) => {
            let fields = event.field_pairs();
            page.render("event.html", context! { section => "events", event, fields })
        }
        Err(e) => page.fail(e),
    }
}

async fn render_sources(page: &Page, token: Option<String>, errors: Value, status: StatusCode) -> Response {
    let store = &page.state.store;
    let sources = match store.event_sources(&page.actor).await {
        Ok(s) => s,
        Err(e) => return page.fail(e),
    };
    let units = match store.units(&page.actor).await {
        Ok(u) => u,
        Err(e) => return page.fail(e),
    };
    let unit_names = crate::pages::unit_names(&units);
    let manageable = crate::pages::units_allowing(page, &units, Permission::AdministerUnit);
    let counters = page
        .state
        .ingest
        .as_ref()
        .map(|i| i.collector.metrics.snapshot())
        .unwrap_or_default();
    let ctx =
        page.ctx(context! { section => "sources", sources, unit_names, manageable, token, errors, counters });
    page.state.views.render_status(status, "sources.html", ctx)
}

/// `GET /sources`.
pub async fn sources(page: Page) -> Response {
    render_sources(&page, None, Value::UNDEFINED, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct SourceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    unit_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    cidr: String,
}

/// `POST /sources`: shows an HTTP source's token once.
pub async fn create_source(page: Page, Form(f): Form<SourceForm>) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    let unit = f.unit_id.trim().parse().map_or(page.actor.unit_id, UnitId);
    let Some(kind) = SourceKind::parse(&f.kind) else {
        return page.error(StatusCode::UNPROCESSABLE_ENTITY, "err.choice");
    };
    match page
        .state
        .store
        .create_event_source(&page.actor, unit, &f.name, kind, &f.cidr)
        .await
    {
        Ok((_, token)) => {
            reload_sources(&page.state).await;
            render_sources(&page, token, Value::UNDEFINED, StatusCode::CREATED).await
        }
        Err(StoreError::Invalid(inv)) => {
            let errors = Value::from_serialize(field_messages(&page, &inv.0));
            render_sources(&page, None, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => page.fail(e),
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    pub csrf: String,
}

/// `POST /sources/{id}/deactivate`.
pub async fn deactivate_source(page: Page, Path(id): Path<i64>, Form(f): Form<CsrfOnly>) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    match page.state.store.deactivate_event_source(&page.actor, id).await {
        Ok(_) => {
            reload_sources(&page.state).await;
            see_other("/sources")
        }
        Err(e) => page.fail(e),
    }
}

/// `GET /operations`: the Department's view of collection and detection.
pub async fn operations(page: Page) -> Response {
    if page.actor.scope() != Scope::All {
        return page.fail(StoreError::Forbidden);
    }
    let Some(ingest) = &page.state.ingest else {
        return page.render(
            "operations.html",
            context! { section => "operations", running => false },
        );
    };
    let m = &ingest.collector.metrics;
    let counters = m.snapshot();
    let totals = m.totals();
    let det = ingest
        .detector
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    let ctx = context! {
        section => "operations",
        running => true,
        counters,
        totals,
        queue_depth => ingest.collector.lag(),
        max_lag => ingest.collector.config.max_lag,
        processed => m.processed.load(std::sync::atomic::Ordering::Relaxed),
        alerts => m.alerts.load(std::sync::atomic::Ordering::Relaxed),
        p50 => ingest.latencies.quantile(0.5),
        p99 => ingest.latencies.quantile(0.99),
        rules => det.rule_count(),
        indicators => det.indicators.len(),
        listeners => context! { udp => ingest.syslog_udp.iter().map(ToString::to_string).collect::<Vec<_>>(),
            tcp => ingest.syslog_tcp.iter().map(ToString::to_string).collect::<Vec<_>>(),
            tls => ingest.syslog_tls.iter().map(ToString::to_string).collect::<Vec<_>>() },
    };
    page.render("operations.html", ctx)
}
