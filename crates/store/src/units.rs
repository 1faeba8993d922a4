//! Units and their public IP ranges.

use canhgac_model::{Actor, Invalid, Permission, Scope, Unit, UnitId, UnitInput, UnitKind, UnitRange};
use sqlx::any::AnyRow;

use crate::audit::{append, Change};
use crate::{get_i64, get_str, now_ms, parse_enum, Result, Store, StoreError};

fn row_to_unit(r: &AnyRow) -> Result<Unit> {
    Ok(Unit {
        id: UnitId(get_i64(r, "id")?),
        code: get_str(r, "code")?,
        name: get_str(r, "name")?,
        kind: parse_enum("kind", &get_str(r, "kind")?, UnitKind::parse)?,
        address: get_str(r, "address")?,
        contact_name: get_str(r, "contact_name")?,
        contact_phone: get_str(r, "contact_phone")?,
        contact_email: get_str(r, "contact_email")?,
        created_at: get_i64(r, "created_at")?,
    })
}

fn conflict_to_field(e: StoreError, field: &str) -> StoreError {
    match e {
        StoreError::Conflict(_) => {
            StoreError::Invalid(Invalid(vec![canhgac_model::FieldError::new(field, "err.taken")]))
        }
        other => other,
    }
}

impl Store {
    /// The units the actor may see, by name.
    pub async fn units(&self, actor: &Actor) -> Result<Vec<Unit>> {
        let rows = match actor.scope() {
            Scope::All => {
                sqlx::query("SELECT * FROM units ORDER BY kind = 'department' DESC, name")
                    .fetch_all(&self.pool)
                    .await?
            }
            Scope::Unit(u) => {
                sqlx::query("SELECT * FROM units WHERE id = $1")
                    .bind(u.0)
                    .fetch_all(&self.pool)
                    .await?
            }
            Scope::Nothing => {
                sqlx::query("SELECT * FROM units WHERE id = $1")
                    .bind(actor.unit_id.0)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(row_to_unit).collect()
    }

    /// One unit, if the actor may see it (its own unit is always visible to its members, for the page header).
    pub async fn unit(&self, actor: &Actor, id: UnitId) -> Result<Unit> {
        if !actor.scope().covers(id) && actor.unit_id != id {
            return Err(StoreError::NotFound);
        }
        let row = sqlx::query("SELECT * FROM units WHERE id = $1")
            .bind(id.0)
            .fetch_one(&self.pool)
            .await?;
        row_to_unit(&row)
    }

    /// Creates a unit (Department administrators only).
    pub async fn create_unit(&self, actor: &Actor, input: &UnitInput) -> Result<Unit> {
        if !actor.allows(Permission::AdministerDepartment, actor.unit_id) {
            return Err(StoreError::Forbidden);
        }
        let (v, kind) = input.validate()?;
        let mut w = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO units (code, name, kind, address, contact_name, contact_phone, contact_email, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
        )
        .bind(v.code.clone())
        .bind(v.name.clone())
        .bind(kind.as_str())
        .bind(v.address.clone())
        .bind(v.contact_name.clone())
        .bind(v.contact_phone.clone())
        .bind(v.contact_email.clone())
        .bind(now_ms())
        .fetch_one(&mut *w.tx)
        .await
        .map_err(|e| conflict_to_field(e.into(), "code"))?;
        let unit = row_to_unit(&row)?;
        append(
            &mut w,
            Some(actor),
            Change::new("create", "unit", unit.id.to_string())
                .unit(unit.id)
                .after(&unit),
        )
        .await?;
        w.commit().await?;
        Ok(unit)
    }

    /// Edits a unit (Department administrators, or the unit's own administrator).
    pub async fn update_unit(&self, actor: &Actor, id: UnitId, input: &UnitInput) -> Result<Unit> {
        let before = self.unit(actor, id).await?;
        if !actor.allows(Permission::AdministerUnit, id) {
            return Err(StoreError::Forbidden);
        }
        let (v, kind) = input.validate()?;
        let kind = if before.kind == UnitKind::Department {
            UnitKind::Department
        } else {
            kind
        };
        let mut w = self.begin_write().await?;
        let row = sqlx::query(
            "UPDATE units SET code = $1, name = $2, kind = $3, address = $4, contact_name = $5, contact_phone = $6, \
             contact_email = $7 WHERE id = $8 RETURNING *",
        )
        .bind(v.code.clone())
        .bind(v.name.clone())
        .bind(kind.as_str())
        .bind(v.address.clone())
        .bind(v.contact_name.clone())
        .bind(v.contact_phone.clone())
        .bind(v.contact_email.clone())
        .bind(id.0)
        .fetch_one(&mut *w.tx)
        .await
        .map_err(|e| conflict_to_field(e.into(), "code"))?;
        let unit = row_to_unit(&row)?;
        let change = Change::new("update", "unit", id.to_string())
            .unit(id)
            .before(&before)
            .after(&unit);
        append(&mut w, Some(actor), change).await?;
        w.commit().await?;
        Ok(unit)
    }

    /// The public IP ranges of a unit.
    pub async fn unit_ranges(&self, actor: &Actor, unit: UnitId) -> Result<Vec<UnitRange>> {
        if !actor.allows(Permission::Read, unit) {
            return Err(StoreError::NotFound);
        }
        let rows = sqlx::query("SELECT * FROM unit_ranges WHERE unit_id = $1 ORDER BY cidr")
            .bind(unit.0)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(UnitRange {
                    id: get_i64(r, "id")?,
                    unit_id: UnitId(get_i64(r, "unit_id")?),
                    cidr: get_str(r, "cidr")?,
                    note: get_str(r, "note")?,
                })
            })
            .collect()
    }

    /// Adds a public range to a unit (its administrators).
    pub async fn add_unit_range(
        &self,
        actor: &Actor,
        unit: UnitId,
        cidr: &str,
        note: &str,
    ) -> Result<UnitRange> {
        if !actor.allows(Permission::Read, unit) {
            return Err(StoreError::NotFound);
        }
        if !actor.allows(Permission::AdministerUnit, unit) {
            return Err(StoreError::Forbidden);
        }
        let cidr = UnitRange::validate(cidr)?;
        let note: String = note.trim().chars().take(500).collect();
        let mut w = self.begin_write().await?;
        let id = get_i64(
            &sqlx::query("INSERT INTO unit_ranges (unit_id, cidr, note, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
                .bind(unit.0)
                .bind(cidr.clone())
                .bind(note.clone())
                .bind(now_ms())
                .fetch_one(&mut *w.tx)
                .await
                .map_err(|e| conflict_to_field(e.into(), "cidr"))?,
            "id",
        )?;
        let range = UnitRange {
            id,
            unit_id: unit,
            cidr,
            note,
        };
        append(
            &mut w,
            Some(actor),
            Change::new("create", "unit_range", id.to_string())
                .unit(unit)
                .after(&range),
        )
        .await?;
        w.commit().await?;
        Ok(range)
    }

    /// Removes a public range.
    pub async fn delete_unit_range(&self, actor: &Actor, unit: UnitId, id: i64) -> Result<()> {
        let ranges = self.unit_ranges(actor, unit).await?;
        let range = ranges
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(StoreError::NotFound)?;
        if !actor.allows(Permission::AdministerUnit, unit) {
            return Err(StoreError::Forbidden);
        }
        let mut w = self.begin_write().await?;
        sqlx::query("DELETE FROM unit_ranges WHERE id = $1 AND unit_id = $2")
            .bind(id)
            .bind(unit.0)
            .execute(&mut *w.tx)
            .await?;
        append(
            &mut w,
            Some(actor),
            Change::new("delete", "unit_range", id.to_string())
                .unit(unit)
                .before(&range),
        )
        .await?;
        w.commit().await
    }
}
