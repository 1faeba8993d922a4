//! The 24/7 duty roster: shifts per unit, patterns that generate them, swaps, handover notes, coverage gaps and
//! who is on duty now. Unit administrators plan; a duty officer may hand their own shift to a colleague and write
//! its handover note; everyone who reads the unit reads its roster.

use canhgac_model::roster::{self, DutyShift, Gap, Slot, MAX_PERIOD_DAYS};
use canhgac_model::{Actor, FieldError, Invalid, Millis, Permission, Role, Scope, UnitId, UserId};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::audit::{append, Change};
use crate::{get_i64, get_str, now_ms, Result, Store, StoreError, WriteTx};

const SELECT: &str =
    "SELECT s.*, u.display_name, u.username FROM duty_shifts s JOIN users u ON u.id = s.user_id";

fn row_to_shift(r: &AnyRow) -> Result<DutyShift> {
    let display = get_str(r, "display_name")?;
    Ok(DutyShift {
        id: get_i64(r, "id")?,
        unit_id: UnitId(get_i64(r, "unit_id")?),
        user_id: UserId(get_i64(r, "user_id")?),
        user_name: if display.is_empty() {
            get_str(r, "username")?
        } else {
            display
        },
        starts_at: get_i64(r, "starts_at")?,
        ends_at: get_i64(r, "ends_at")?,
        handover: get_str(r, "handover")?,
        handover_at: r.try_get::<Option<i64>, _>("handover_at")?,
    })
}

fn period_error(field: &str) -> StoreError {
    StoreError::Invalid(Invalid(vec![FieldError::new(field, "err.period_invalid")]))
}

/// Checks that `[from, to)` is a real period of at most [`MAX_PERIOD_DAYS`] days.
fn check_period(from: Millis, to: Millis) -> Result<()> {
    if to <= from || to - from > i64::from(MAX_PERIOD_DAYS) * 86_400_000 {
        return Err(period_error("to"));
    }
    Ok(())
}

/// A duty officer acts on their own shift; unit administrators on any shift of their unit.
fn own_or_planner(actor: &Actor, shift: &DutyShift) -> Result<()> {
    let own = shift.user_id == actor.user_id && actor.allows(Permission::Operate, shift.unit_id);
    if own || actor.allows(Permission::AdministerUnit, shift.unit_id) {
        Ok(())
    } else {
        Err(StoreError::Forbidden)
    }
}

impl Store {
    fn require_planner(actor: &Actor, unit: UnitId) -> Result<()> {
        if !actor.allows(Permission::Read, unit) {
            return Err(StoreError::NotFound);
        }
        if !actor.allows(Permission::AdministerUnit, unit) {
            return Err(StoreError::Forbidden);
        }
        Ok(())
    }

    /// A person who can stand duty in `unit`: an active member of it who is not only a training participant.
    async fn duty_person(&self, unit: UnitId, user: UserId, field: &str) -> Result<()> {
        let row = sqlx::query("SELECT unit_id, role, active FROM users WHERE id = $1")
            .bind(user.0)
            .fetch_optional(&self.pool)
            .await?;
        let ok = match row {
            Some(r) => {
                get_i64(&r, "unit_id")? == unit.0
                    && get_i64(&r, "active")? != 0
                    && Role::parse(&get_str(&r, "role")?).is_some_and(|role| role != Role::Staff)
            }
            None => false,
        };
        if ok {
            Ok(())
        } else {
            Err(StoreError::Invalid(Invalid(vec![FieldError::new(
                field,
                "err.not_duty_person",
            )])))
        }
    }

    /// The people who can stand duty in a unit (id, name), for roster forms; readable by everyone who reads the unit.
    pub async fn duty_people(&self, actor: &Actor, unit: UnitId) -> Result<Vec<(UserId, String)>> {
        if !actor.allows(Permission::Read, unit) {
            return Err(StoreError::NotFound);
        }
        let rows = sqlx::query(
            "SELECT id, username, display_name FROM users WHERE unit_id = $1 AND active <> 0 AND role <> 'staff' \
             ORDER BY display_name, username",
        )
        .bind(unit.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let display = get_str(r, "display_name")?;
                let name = if display.is_empty() {
                    get_str(r, "username")?
                } else {
                    display
                };
                Ok((UserId(get_i64(r, "id")?), name))
            })
            .collect()
    }

    /// The shifts of a unit overlapping `[from, to)`, in time order.
    pub async fn shifts(
        &self,
        actor: &Actor,
        unit: UnitId,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<DutyShift>> {
        if !actor.allows(Permission::Read, unit) {
            return Err(StoreError::NotFound);
        }
        let sql = format!("{SELECT} WHERE s.unit_id = $1 AND s.ends_at > $2 AND s.starts_at < $3 ORDER BY s.starts_at, s.id");
        let rows = sqlx::query(&sql)
            .bind(unit.0)
            .bind(from)
            .bind(to)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(row_to_shift).collect()
    }

    /// One shift, if the actor may read its unit.
    pub async fn shift(&self, actor: &Actor, id: i64) -> Result<DutyShift> {
        let sql = format!("{SELECT} WHERE s.id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?;
        let shift = row
            .as_ref()
            .map(row_to_shift)
            .transpose()?
            .ok_or(StoreError::NotFound)?;
        if actor.allows(Permission::Read, shift.unit_id) {
            Ok(shift)
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// The periods of `[from, to)` that no shift of the unit covers.
    pub async fn coverage_gaps(
        &self,
        actor: &Actor,
        unit: UnitId,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<Gap>> {
        check_period(from, to)?;
        let shifts = self.shifts(actor, unit, from, to).await?;
        Ok(roster::gaps(
            shifts.iter().map(|s| (s.starts_at, s.ends_at)),
            from,
            to,
        ))
    }

    /// Who is on duty at `at`: in the actor's unit, or in every unit for the Department.
    pub async fn on_duty(&self, actor: &Actor, at: Millis) -> Result<Vec<DutyShift>> {
        let rows = match actor.scope() {
            Scope::All => {
                let sql = format!(
                    "{SELECT} WHERE s.starts_at <= $1 AND s.ends_at > $1 ORDER BY s.unit_id, s.starts_at"
                );
                sqlx::query(&sql).bind(at).fetch_all(&self.pool).await?
            }
            Scope::Unit(u) => {
                let sql = format!(
                    "{SELECT} WHERE s.unit_id = $1 AND s.starts_at <= $2 AND s.ends_at > $2 ORDER BY s.starts_at"
                );
                sqlx::query(&sql).bind(u.0).bind(at).fetch_all(&self.pool).await?
            }
            Scope::Nothing => return Ok(Vec::new()),
        };
        rows.iter().map(row_to_shift).collect()
    }

    async fn insert_shift(
        w: &mut WriteTx<'_>,
        unit: UnitId,
        user: UserId,
        (starts_at, ends_at): (Millis, Millis),
    ) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO duty_shifts (unit_id, user_id, starts_at, ends_at, created_at) VALUES ($1, $2, $3, $4, $5) \
             RETURNING id",
        )
        .bind(unit.0)
        .bind(user.0)
        .bind(starts_at)
        .bind(ends_at)
        .bind(now_ms())
        .fetch_one(&mut *w.tx)
        .await?;
        get_i64(&row, "id")
    }

    /// Adds one shift (unit administrators).
    pub async fn add_shift(
        &self,
        actor: &Actor,
        unit: UnitId,
        user: UserId,
        starts_at: Option<Millis>,
        ends_at: Option<Millis>,
    ) -> Result<DutyShift> {
        Self::require_planner(actor, unit)?;
        let times = roster::validate_shift(starts_at, ends_at)?;
        self.duty_person(unit, user, "user_id").await?;
        let mut w = self.begin_write().await?;
        let id = Self::insert_shift(&mut w, unit, user, times).await?;
        let change = Change::new("create", "duty_shift", id.to_string())
            .unit(unit)
            .after(&serde_json::json!({ "user_id": user, "starts_at": times.0, "ends_at": times.1 }));
        append(&mut w, Some(actor), change).await?;
        w.commit().await?;
        self.shift(actor, id).await
    }

    /// Generates `days` days of shifts from local day `first_day` (midnight, UTC milliseconds), one per slot per
    /// day, the people taken in turn. All or nothing; returns how many shifts were added.
    pub async fn add_pattern(
        &self,
        actor: &Actor,
        unit: UnitId,
        first_day: Millis,
        days: u32,
        slots: &[Slot],
        people: &[UserId],
    ) -> Result<usize> {
        Self::require_planner(actor, unit)?;
        if days == 0 || days > MAX_PERIOD_DAYS {
            return Err(period_error("days"));
        }
        if people.is_empty() {
            return Err(StoreError::Invalid(Invalid(vec![FieldError::new(
                "people",
                "err.required",
            )])));
        }
        for p in people {
            self.duty_person(unit, *p, "people").await?;
        }
        let shifts = roster::expand(first_day, days, slots, people);
        let mut w = self.begin_write().await?;
        for (user, s, e) in &shifts {
            Self::insert_shift(&mut w, unit, *user, (*s, *e)).await?;
        }
        let change = Change::new("create", "duty_pattern", unit.to_string())
            .unit(unit)
            .after(
                &serde_json::json!({ "first_day": first_day, "days": days, "slots": slots, "people": people,
                "shifts": shifts.len() }),
            );
        append(&mut w, Some(actor), change).await?;
        w.commit().await?;
        Ok(shifts.len())
    }

    /// Hands a shift to another person of the unit: unit administrators for any shift, a duty officer for their own.
    pub async fn swap_shift(&self, actor: &Actor, id: i64, to: UserId) -> Result<DutyShift> {
        let before = self.shift(actor, id).await?;
        own_or_planner(actor, &before)?;
        self.duty_person(before.unit_id, to, "user_id").await?;
        let mut w = self.begin_write().await?;
        sqlx::query("UPDATE duty_shifts SET user_id = $1 WHERE id = $2")
            .bind(to.0)
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        let change = Change::new("swap", "duty_shift", id.to_string())
            .unit(before.unit_id)
            .before(&serde_json::json!({ "user_id": before.user_id }))
            .after(&serde_json::json!({ "user_id": to }));
        append(&mut w, Some(actor), change).await?;
        w.commit().await?;
        self.shift(actor, id).await
    }

    /// Writes the handover note of a shift: its own officer, or a unit administrator.
    pub async fn hand_over(&self, actor: &Actor, id: i64, note: &str) -> Result<DutyShift> {
        let before = self.shift(actor, id).await?;
        own_or_planner(actor, &before)?;
        let note: String = note.trim().chars().take(4000).collect();
        let mut w = self.begin_write().await?;
        sqlx::query("UPDATE duty_shifts SET handover = $1, handover_at = $2 WHERE id = $3")
            .bind(note.clone())
            .bind(now_ms())
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        let change = Change::new("handover", "duty_shift", id.to_string())
            .unit(before.unit_id)
            .before(&serde_json::json!({ "handover": before.handover }))
            .after(&serde_json::json!({ "handover": note }));
        append(&mut w, Some(actor), change).await?;
        w.commit().await?;
        self.shift(actor, id).await
    }

    /// Removes a shift (unit administrators).
    pub async fn delete_shift(&self, actor: &Actor, id: i64) -> Result<()> {
        let before = self.shift(actor, id).await?;
        Self::require_planner(actor, before.unit_id)?;
        let mut w = self.begin_write().await?;
        sqlx::query("DELETE FROM duty_shifts WHERE id = $1")
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        let change = Change::new("delete", "duty_shift", id.to_string())
            .unit(before.unit_id)
            .before(&before);
        append(&mut w, Some(actor), change).await?;
        w.commit().await
    }
}
