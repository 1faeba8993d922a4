//! The duty roster page: who is on duty now, the shifts of a period with the gaps in its coverage, and the forms
//! to plan (single shifts, repeating patterns), swap and hand over.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use canhgac_model::roster::{self, MAX_PERIOD_DAYS};
use canhgac_model::{FieldError, Invalid, Permission, Scope, UnitId, UserId};
use canhgac_store::{now_ms, StoreError};
use minijinja::{context, Value};
use serde::Deserialize;

use crate::auth::Page;
use crate::pages::{field_messages, see_other};

const DAY_MS: i64 = 86_400_000;

#[derive(Deserialize, Default)]
pub struct RosterQuery {
    #[serde(default)]
    unit_id: Option<i64>,
    /// First local day shown, `YYYY-MM-DD` (today by default).
    #[serde(default)]
    from: String,
    #[serde(default)]
    days: Option<u32>,
}

/// Today's local date, `YYYY-MM-DD`.
fn today() -> String {
    let local = now_ms() + roster::VIETNAM_OFFSET_MS;
    chrono::DateTime::from_timestamp_millis(local)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

async fn render(page: &Page, q: RosterQuery, errors: Value, status: StatusCode) -> Response {
    let store = &page.state.store;
    let unit = UnitId(q.unit_id.unwrap_or(page.actor.unit_id.0));
    let from_day = if roster::local_midnight(&q.from).is_some() {
        q.from.clone()
    } else {
        today()
    };
    let days = q.days.unwrap_or(7).clamp(1, MAX_PERIOD_DAYS);
    let from = roster::local_midnight(&from_day).unwrap_or_else(now_ms);
    let to = from + i64::from(days) * DAY_MS;
    let units = match store.units(&page.actor).await {
        Ok(u) => u,
        Err(e) => return page.fail(e),
    };
    let Some(unit_info) = units.iter().find(|u| u.id == unit).cloned() else {
        return page.fail(StoreError::NotFound);
    };
    let loaded = async {
        Ok::<_, StoreError>((
            store.shifts(&page.actor, unit, from, to).await?,
            store.coverage_gaps(&page.actor, unit, from, to).await?,
            store.duty_people(&page.actor, unit).await?,
            store.on_duty(&page.actor, now_ms()).await?,
        ))
    };
    let (shifts, gaps, people, now) = match loaded.await {
        Ok(v) => v,
        Err(e) => return page.fail(e),
    };
    let now: Vec<_> = now.into_iter().filter(|s| s.unit_id == unit).collect();
    let people: Vec<_> = people
        .into_iter()
        .map(|(id, name)| context! { id => id.0, name })
        .collect();
    let ctx = page.ctx(context! {
        unit => unit_info,
        units => if page.actor.scope() == Scope::All { units } else { Vec::new() },
        shifts, gaps, people, now, from_day, days, errors,
        can_plan => page.actor.allows(Permission::AdministerUnit, unit),
        can_operate_unit => page.actor.allows(Permission::Operate, unit),
        me_id => page.actor.user_id.0,
    });
    page.state.views.render_status(status, "duty.html", ctx)
}

/// `GET /duty`.
pub async fn show(page: Page, Query(q): Query<RosterQuery>) -> Response {
    render(&page, q, Value::UNDEFINED, StatusCode::OK).await
}

fn back(unit: i64, from: &str) -> Response {
    // Only a well-formed date goes back into the address.
    let from = if roster::local_midnight(from).is_some() {
        from.trim()
    } else {
        ""
    };
    see_other(&format!("/duty?unit_id={unit}&from={from}"))
}

async fn after(page: Page, unit: i64, from: String, result: Result<(), StoreError>) -> Response {
    match result {
        Ok(()) => back(unit, &from),
        Err(StoreError::Invalid(inv)) => {
            let errors = Value::from_serialize(field_messages(&page, &inv.0));
            let q = RosterQuery {
                unit_id: Some(unit),
                from,
                days: None,
            };
            render(&page, q, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => page.fail(e),
    }
}

#[derive(Deserialize)]
pub struct ShiftForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    unit_id: i64,
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    ends_at: String,
    #[serde(default)]
    from: String,
}

fn person(field: &str, text: &str) -> Result<UserId, StoreError> {
    text.trim()
        .parse()
        .map(UserId)
        .map_err(|_| StoreError::Invalid(Invalid(vec![FieldError::new(field, "err.not_duty_person")])))
}

/// `POST /duty/shifts`.
pub async fn create(page: Page, Form(f): Form<ShiftForm>) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    let unit = UnitId(f.unit_id);
    let result = async {
        let user = person("user_id", &f.user_id)?;
        let (s, e) = (
            roster::parse_local_datetime(&f.starts_at),
            roster::parse_local_datetime(&f.ends_at),
        );
        page.state
            .store
            .add_shift(&page.actor, unit, user, s, e)
            .await
            .map(|_| ())
    }
    .await;
    after(page, f.unit_id, f.from, result).await
}

/// The pattern form, read as pairs because its people come as one ticked box each (`people=3&people=5`).
#[derive(Default)]
struct PatternForm {
    csrf: String,
    unit_id: i64,
    first_day: String,
    days: String,
    slots: String,
    people: Vec<String>,
}

impl PatternForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = PatternForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "csrf" => f.csrf = v,
                "unit_id" => f.unit_id = v.trim().parse().unwrap_or(0),
                "first_day" => f.first_day = v,
                "days" => f.days = v,
                "slots" => f.slots = v,
                "people" => f.people.extend(v.split(',').map(str::to_owned)),
                _ => {}
            }
        }
        f
    }
}

/// `POST /duty/pattern`.
pub async fn pattern(page: Page, Form(pairs): Form<Vec<(String, String)>>) -> Response {
    let f = PatternForm::from_pairs(pairs);
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    let unit = UnitId(f.unit_id);
    let result = async {
        let invalid =
            |field: &str, code: &str| StoreError::Invalid(Invalid(vec![FieldError::new(field, code)]));
        let first =
            roster::local_midnight(&f.first_day).ok_or_else(|| invalid("first_day", "err.date_invalid"))?;
        let days: u32 = f
            .days
            .trim()
            .parse()
            .map_err(|_| invalid("days", "err.period_invalid"))?;
        let slots = roster::parse_slots("slots", &f.slots)?;
        let people = f
            .people
            .iter()
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
            .map(|p| person("people", p))
            .collect::<Result<Vec<_>, _>>()?;
        page.state
            .store
            .add_pattern(&page.actor, unit, first, days, &slots, &people)
            .await
            .map(|_| ())
    }
    .await;
    after(page, f.unit_id, f.first_day, result).await
}

#[derive(Deserialize)]
pub struct ShiftAction {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    from: String,
}

enum Action {
    Swap,
    Handover,
    Delete,
}

/// One action on one shift: CSRF, then the store (which checks who may act on that shift's unit).
async fn act(page: Page, id: i64, f: ShiftAction, action: Action) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    let store = &page.state.store;
    let unit = match store.shift(&page.actor, id).await {
        Ok(s) => s.unit_id.0,
        Err(e) => return page.fail(e),
    };
    let result = match action {
        Action::Swap => match person("user_id", &f.user_id) {
            Ok(to) => store.swap_shift(&page.actor, id, to).await.map(|_| ()),
            Err(e) => Err(e),
        },
        Action::Handover => store.hand_over(&page.actor, id, &f.note).await.map(|_| ()),
        Action::Delete => store.delete_shift(&page.actor, id).await,
    };
    after(page, unit, f.from, result).await
}

/// `POST /duty/shifts/{id}/swap`.
pub async fn swap(page: Page, Path(id): Path<i64>, Form(f): Form<ShiftAction>) -> Response {
    act(page, id, f, Action::Swap).await
}

/// `POST /duty/shifts/{id}/handover`.
pub async fn handover(page: Page, Path(id): Path<i64>, Form(f): Form<ShiftAction>) -> Response {
    act(page, id, f, Action::Handover).await
}

/// `POST /duty/shifts/{id}/delete`.
pub async fn delete(page: Page, Path(id): Path<i64>, Form(f): Form<ShiftAction>) -> Response {
    act(page, id, f, Action::Delete).await
}
