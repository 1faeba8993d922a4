//! The duty officer's alert console: the queue (most severe, oldest first), one alert with its actions, live
//! updates by server-sent events, the Department's per-unit summary, suppressions.

use std::convert::Infallible;

use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::Response;
use axum::Form;
use canhgac_model::{AlertStatus, Permission, Scope, Severity, UnitId, UserId, Verdict};
use canhgac_store::{AlertQuery, StoreError};
use futures_util::stream::{self, Stream, StreamExt};
use minijinja::{context, Value};
use serde::Deserialize;
use tokio_stream::wrappers::BroadcastStream;

use crate::auth::Page;
use crate::pages::{field_messages, see_other, urlencode};

/// `GET /alerts`: with `X-Fragment: 1` only the queue's table, for live refresh.
pub async fn list(page: Page, headers: HeaderMap, Query(q): Query<AlertQuery>) -> Response {
    let store = &page.state.store;
    let result = match store.alerts(&page.actor, &q).await {
        Ok(r) => r,
        Err(e) => return page.fail(e),
    };
    let units = match store.units(&page.actor).await {
        Ok(u) => u,
        Err(e) => return page.fail(e),
    };
    let unit_names = crate::pages::unit_names(&units);
    let fragment = headers.get("x-fragment").is_some();
    let summary = if page.actor.scope() == Scope::All && !fragment {
        match store.alert_summary(&page.actor).await {
            Ok(s) => s,
            Err(e) => return page.fail(e),
        }
    } else {
        Vec::new()
    };
    let suppressions = if fragment {
        Vec::new()
    } else {
        store.suppressions(&page.actor).await.unwrap_or_default()
    };
    let pages = result.pages();
    let statuses: Vec<&str> = ["open", "all"]
        .into_iter()
        .chain(AlertStatus::ALL.iter().map(|s| s.as_str()))
        .collect();
    let severities: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
    let base = format!(
        "/alerts?status={}&min_severity={}&q={}&unit_id={}",
        urlencode(&q.status),
        urlencode(&q.min_severity),
        urlencode(&q.q),
        q.unit_id.map(|u| u.to_string()).unwrap_or_default()
    );
    let ctx = context! {
        result, pages, units, unit_names, summary, suppressions, statuses, severities, base,
        q => Value::from_serialize(&q), now => canhgac_store::now_ms(),
    };
    page.render(
        if fragment {
            "alerts_table.html"
        } else {
            "alerts.html"
        },
        ctx,
    )
}

async fn render_one(page: &Page, id: i64, errors: Value, status: StatusCode) -> Response {
    let store = &page.state.store;
    let alert = match store.alert(&page.actor, id).await {
        Ok(a) => a,
        Err(e) => return page.fail(e),
    };
    let loaded = async {
        Ok::<_, StoreError>((
            store.alert_comments(&page.actor, id).await?,
            store.duty_people(&page.actor, alert.unit_id).await?,
            store.unit(&page.actor, alert.unit_id).await?,
            store.alert_notifications(&page.actor, id).await?,
        ))
    };
    let (comments, people, unit, notifications) = match loaded.await {
        Ok(v) => v,
        Err(e) => return page.fail(e),
    };
    let people: Vec<_> = people
        .into_iter()
        .map(|(id, name)| context! { id => id.0, name })
        .collect();
    let details = if alert.details.is_null() {
        "—".to_string()
    } else {
        serde_json::to_string_pretty(&alert.details).unwrap_or_default()
    };
    let ctx = page.ctx(context! {
        tta => alert.time_to_acknowledge(), ttc => alert.time_to_close(),
        alert, comments, people, unit, details, errors, notifications,
        can_work => page.actor.allows(Permission::Operate, alert.unit_id),
        can_suppress => page.actor.allows(Permission::AdministerUnit, alert.unit_id),
        verdicts => Verdict::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>(),
    });
    page.state.views.render_status(status, "alert.html", ctx)
}

/// `GET /alerts/{id}`.
pub async fn show(page: Page, Path(id): Path<i64>) -> Response {
    render_one(&page, id, Value::UNDEFINED, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct AlertAction {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    verdict: String,
    #[serde(default)]
    remediation: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    reason: String,
}

enum Action {
    Claim,
    Assign,
    Verify,
    Close,
    Reopen,
    Comment,
    Suppress,
}

async fn act(page: Page, id: i64, f: AlertAction, action: Action) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    let store = &page.state.store;
    let a = &page.actor;
    let invalid = |field: &str| {
        StoreError::Invalid(canhgac_model::Invalid(vec![canhgac_model::FieldError::new(
            field,
            "err.choice",
        )]))
    };
    let result = match action {
        Action::Claim => store.claim_alert(a, id).await.map(|_| ()),
        Action::Assign => match f.user_id.trim().parse() {
            Ok(u) => store.assign_alert(a, id, UserId(u)).await.map(|_| ()),
            Err(_) => Err(invalid("user_id")),
        },
        Action::Verify => store.verify_alert(a, id).await.map(|_| ()),
        Action::Close => match Verdict::parse(&f.verdict) {
            Some(v) => store.close_alert(a, id, v, &f.remediation).await.map(|_| ()),
            None => Err(invalid("verdict")),
        },
        Action::Reopen => store.reopen_alert(a, id).await.map(|_| ()),
        Action::Comment => store.comment_alert(a, id, &f.body).await.map(|_| ()),
        Action::Suppress => match store.alert(a, id).await {
            Ok(al) => store
                .add_suppression(a, Some(al.unit_id), &al.rule_id, &al.host, &f.reason, None)
                .await
                .map(|_| ()),
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(()) => see_other(&format!("/alerts/{id}")),
        Err(StoreError::Invalid(inv)) => {
            let errors = Value::from_serialize(field_messages(&page, &inv.0));
            render_one(&page, id, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => page.fail(e),
    }
}

macro_rules! action_handler {
    ($($name:ident => $action:ident),* $(,)?) => {$(
        #[doc = concat!("`POST /alerts/{id}/", stringify!($name), "`.")]
        pub async fn $name(page: Page, Path(id): Path<i64>, Form(f): Form<AlertAction>) -> Response {
            act(page, id, f, Action::$action).await
        }
    )*};
}

action_handler!(
    claim => Claim,
    assign => Assign,
    verify => Verify,
    close => Close,
    reopen => Reopen,
    comment => Comment,
    suppress => Suppress,
);

/// `GET /alerts/stream`: server-sent events, one `alert` event (data: the alert id) per change in a unit the
/// reader sees; a `ready` event first so the page knows it is connected.
pub async fn stream(page: Page) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let actor = page.actor;
    let rx = page.state.store.subscribe_alerts();
    let ready = stream::once(async { Ok(Event::default().event("ready").data("ok")) });
    let updates = BroadcastStream::new(rx).filter_map(move |m| async move {
        match m {
            Ok(n) if actor.allows(Permission::Read, n.unit_id) => {
                Some(Ok(Event::default().event("alert").data(n.alert_id.to_string())))
            }
            Ok(_) => None,
            // Missed notices: ask the page to refresh anyway.
            Err(_) => Some(Ok(Event::default().event("alert").data("lagged"))),
        }
    });
    Sse::new(ready.chain(updates)).keep_alive(KeepAlive::default())
}

#[derive(Deserialize)]
pub struct SuppressionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    unit_id: String,
    #[serde(default)]
    rule_id: String,
    #[serde(default)]
    host: String,
    #[serde(default)]
    reason: String,
}

/// `POST /suppressions`: a unit's (or, for the Department with no unit, everyone's) suppression.
pub async fn add_suppression(page: Page, Form(f): Form<SuppressionForm>) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    let unit = f.unit_id.trim().parse().ok().map(UnitId);
    match page
        .state
        .store
        .add_suppression(&page.actor, unit, &f.rule_id, &f.host, &f.reason, None)
        .await
    {
        Ok(_) => see_other("/alerts"),
        Err(e) => page.fail(e),
    }
}
