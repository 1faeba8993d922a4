//! The duty roster: shifts, patterns, gaps, who is on duty now, swaps and handovers. Times are milliseconds since
//! the epoch (UTC); pattern days are Vietnam-local dates.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::Json;
use canhgac_model::roster::{self, DutyShift, Gap};
use canhgac_model::{FieldError, Invalid, Millis, UnitId, UserId};
use canhgac_store::{now_ms, StoreError};
use serde::{Deserialize, Serialize};

use crate::api::{ApiResult, Body};
use crate::auth::Api;
use crate::error::ApiError;

/// A unit and a period.
#[derive(Deserialize)]
pub struct Period {
    unit_id: Option<i64>,
    from: Option<Millis>,
    to: Option<Millis>,
}

impl Period {
    /// The unit (the caller's own by default) and the period (the coming 7 days by default).
    fn resolve(&self, api: &Api) -> (UnitId, Millis, Millis) {
        let from = self.from.unwrap_or_else(now_ms);
        let to = self.to.unwrap_or(from + 7 * 86_400_000);
        (self.unit_id.map_or(api.actor.unit_id, UnitId), from, to)
    }
}

#[derive(Serialize)]
pub struct Roster {
    shifts: Vec<DutyShift>,
    gaps: Vec<Gap>,
}

/// `GET /api/v1/duty/shifts`: the shifts of a period and the gaps in its coverage.
pub async fn shifts(api: Api, Query(p): Query<Period>) -> ApiResult<Roster> {
    let (unit, from, to) = p.resolve(&api);
    let store = &api.state.store;
    let gaps = store.coverage_gaps(&api.actor, unit, from, to).await?;
    let shifts = store.shifts(&api.actor, unit, from, to).await?;
    Ok(Json(Roster { shifts, gaps }))
}

/// `GET /api/v1/duty/gaps`.
pub async fn gaps(api: Api, Query(p): Query<Period>) -> ApiResult<Vec<Gap>> {
    let (unit, from, to) = p.resolve(&api);
    Ok(Json(
        api.state.store.coverage_gaps(&api.actor, unit, from, to).await?,
    ))
}

/// `GET /api/v1/duty/now`: who is on duty now (every unit for the Department).
pub async fn now(api: Api) -> ApiResult<Vec<DutyShift>> {
    Ok(Json(api.state.store.on_duty(&api.actor, now_ms()).await?))
}

#[derive(Deserialize)]
pub struct NewShift {
    unit_id: Option<i64>,
    user_id: i64,
    starts_at: Millis,
    ends_at: Millis,
}

/// `POST /api/v1/duty/shifts`.
pub async fn create(api: Api, Body(b): Body<NewShift>) -> Result<(StatusCode, Json<DutyShift>), ApiError> {
    let unit = b.unit_id.map_or(api.actor.unit_id, UnitId);
    let shift = api
        .state
        .store
        .add_shift(
            &api.actor,
            unit,
            UserId(b.user_id),
            Some(b.starts_at),
            Some(b.ends_at),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(shift)))
}

#[derive(Deserialize)]
pub struct Pattern {
    unit_id: Option<i64>,
    /// First local day, `YYYY-MM-DD`.
    first_day: String,
    days: u32,
    /// Daily slots, e.g. `07:00-15:00, 15:00-23:00, 23:00-07:00`.
    slots: String,
    /// The people, taken in turn.
    people: Vec<i64>,
}

#[derive(Serialize)]
pub struct Created {
    created: usize,
}

/// `POST /api/v1/duty/pattern`: shifts for a period from a repeating daily pattern.
pub async fn pattern(api: Api, Body(b): Body<Pattern>) -> Result<(StatusCode, Json<Created>), ApiError> {
    let unit = b.unit_id.map_or(api.actor.unit_id, UnitId);
    let first = roster::local_midnight(&b.first_day).ok_or_else(|| {
        StoreError::Invalid(Invalid(vec![
            FieldError::new("first_day", "err.date_invalid").with_value(&b.first_day)
        ]))
    })?;
    let slots = roster::parse_slots("slots", &b.slots).map_err(StoreError::Invalid)?;
    let people: Vec<UserId> = b.people.into_iter().map(UserId).collect();
    let created = api
        .state
        .store
        .add_pattern(&api.actor, unit, first, b.days, &slots, &people)
        .await?;
    Ok((StatusCode::CREATED, Json(Created { created })))
}

#[derive(Deserialize)]
pub struct Swap {
    user_id: i64,
}

/// `POST /api/v1/duty/shifts/{id}/swap`: hands the shift to another person.
pub async fn swap(api: Api, Path(id): Path<i64>, Body(b): Body<Swap>) -> ApiResult<DutyShift> {
    Ok(Json(
        api.state
            .store
            .swap_shift(&api.actor, id, UserId(b.user_id))
            .await?,
    ))
}

#[derive(Deserialize)]
pub struct Handover {
    note: String,
}

/// `POST /api/v1/duty/shifts/{id}/handover`.
pub async fn handover(api: Api, Path(id): Path<i64>, Body(b): Body<Handover>) -> ApiResult<DutyShift> {
    Ok(Json(api.state.store.hand_over(&api.actor, id, &b.note).await?))
}

/// `DELETE /api/v1/duty/shifts/{id}`.
pub async fn delete(api: Api, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    api.state.store.delete_shift(&api.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
