//! Users: creation within the actor's authority, listing, activation, passwords.

use canhgac_model::{Actor, FieldError, Invalid, Permission, Role, Scope, UnitId, UnitKind, User, UserId};
use serde::Deserialize;
use sqlx::any::AnyRow;

use crate::audit::{append, Change};
use crate::{get_i64, get_str, now_ms, parse_enum, password, Result, Store, StoreError};

/// What an administrator submits to create a user.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewUser {
    pub unit_id: i64,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub role: String,
    /// Left empty, a one-time password is generated and returned once.
    pub password: String,
}

pub(crate) fn row_to_user(r: &AnyRow) -> Result<User> {
    Ok(User {
        id: UserId(get_i64(r, "id")?),
        unit_id: UnitId(get_i64(r, "unit_id")?),
        username: get_str(r, "username")?,
        display_name: get_str(r, "display_name")?,
        email: get_str(r, "email")?,
        role: parse_enum("role", &get_str(r, "role")?, Role::parse)?,
        active: get_i64(r, "active")? != 0,
        must_change_password: get_i64(r, "must_change_password")? != 0,
        created_at: get_i64(r, "created_at")?,
    })
}

impl Store {
    /// Users the actor may administer or see: all for the Department, the unit's own for a unit administrator.
    pub async fn users(&self, actor: &Actor, unit: Option<UnitId>) -> Result<Vec<User>> {
        let rows = match (actor.scope(), unit) {
            (Scope::All, None) => {
                sqlx::query("SELECT * FROM users ORDER BY username")
                    .fetch_all(&self.pool)
                    .await?
            }
            (Scope::All, Some(u)) => {
                sqlx::query("SELECT * FROM users WHERE unit_id = $1 ORDER BY username")
                    .bind(u.0)
                    .fetch_all(&self.pool)
                    .await?
            }
            (Scope::Unit(u), filter)
                if actor.allows(Permission::AdministerUnit, u) && filter.is_none_or(|f| f == u) =>
            {
                sqlx::query("SELECT * FROM users WHERE unit_id = $1 ORDER BY username")
                    .bind(u.0)
                    .fetch_all(&self.pool)
                    .await?
            }
            _ => return Err(StoreError::Forbidden),
        };
        rows.iter().map(row_to_user).collect()
    }

    /// One user, if the actor administers that user's unit (or is that user).
    pub async fn user(&self, actor: &Actor, id: UserId) -> Result<User> {
        let row = sqlx::query("SELECT * FROM users WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        let user = row
            .as_ref()
            .map(row_to_user)
            .transpose()?
            .ok_or(StoreError::NotFound)?;
        if user.id == actor.user_id || actor.allows(Permission::AdministerUnit, user.unit_id) {
            Ok(user)
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// Creates a user. Returns the one-time password when none was given.
    pub async fn create_user(&self, actor: &Actor, input: &NewUser) -> Result<(User, Option<String>)> {
        let unit_id = UnitId(input.unit_id);
        let unit = self.unit(actor, unit_id).await?;
        if !actor.allows(Permission::AdministerUnit, unit_id) {
            return Err(StoreError::Forbidden);
        }
        let mut errs = Vec::new();
        let username = input.username.trim().to_lowercase();
        let valid_name = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@');
        if username.is_empty() {
            errs.push(FieldError::new("username", "err.required"));
        } else if username.len() > 64 || !username.chars().all(valid_name) {
            errs.push(FieldError::new("username", "err.username_chars").with_value(&username));
        }
        let display_name = input.display_name.trim().to_string();
        if display_name.is_empty() {
            errs.push(FieldError::new("display_name", "err.required"));
        }
        let role = Role::parse(input.role.trim());
        match role {
            None => errs.push(FieldError::new("role", "err.choice").with_value(&input.role)),
            Some(Role::DeptAdmin) if unit.kind != UnitKind::Department || !actor.is_dept_admin() => {
                errs.push(FieldError::new("role", "err.role_not_here"))
            }
            _ => {}
        }
        let generated = input.password.is_empty();
        let pw = if generated {
            password::generate()
        } else {
            input.password.clone()
        };
        if !password::acceptable(&pw) {
            errs.push(FieldError::new("password", "err.password_short"));
        }
        if !errs.is_empty() {
            return Err(Invalid(errs).into());
        }
        let role = role.unwrap_or(Role::Viewer);
        let hash = password::hash(&pw)?;
        let mut w = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO users (unit_id, username, display_name, email, role, password_hash, must_change_password, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
        )
        .bind(unit_id.0)
        .bind(username)
        .bind(display_name)
        .bind(input.email.trim().to_string())
        .bind(role.as_str())
        .bind(hash)
        .bind(i64::from(generated))
        .bind(now_ms())
        .fetch_one(&mut *w.tx)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => Invalid(vec![FieldError::new("username", "err.taken")]).into(),
            other => other,
        })?;
        let user = row_to_user(&row)?;
        append(
            &mut w,
            Some(actor),
            Change::new("create", "user", user.id.to_string())
                .unit(unit_id)
                .after(&user),
        )
        .await?;
        w.commit().await?;
        Ok((user, generated.then_some(pw)))
    }

    /// Activates or deactivates a user (deactivation ends their sessions and tokens).
    pub async fn set_user_active(&self, actor: &Actor, id: UserId, active: bool) -> Result<User> {
        let before = self.user(actor, id).await?;
        if !actor.allows(Permission::AdministerUnit, before.unit_id) || id == actor.user_id {
            return Err(StoreError::Forbidden);
        }
        let mut w = self.begin_write().await?;
        let row = sqlx::query(
            "UPDATE users SET active = $1, failed_logins = 0, locked_until = 0 WHERE id = $2 RETURNING *",
        )
        .bind(i64::from(active))
        .bind(id.0)
        .fetch_one(&mut *w.tx)
        .await?;
        if !active {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id.0)
                .execute(&mut *w.tx)
                .await?;
            sqlx::query("UPDATE api_tokens SET revoked = 1 WHERE user_id = $1")
                .bind(id.0)
                .execute(&mut *w.tx)
                .await?;
        }
        let user = row_to_user(&row)?;
        let action = if active { "activate" } else { "deactivate" };
        let change = Change::new(action, "user", id.to_string())
            .unit(user.unit_id)
            .before(&before)
            .after(&user);
        append(&mut w, Some(actor), change).await?;
        w.commit().await?;
        Ok(user)
    }

    /// Changes the actor's own password after checking the current one.
    pub async fn change_password(&self, actor: &Actor, current: &str, new: &str) -> Result<()> {
        let row = sqlx::query("SELECT password_hash FROM users WHERE id = $1")
            .bind(actor.user_id.0)
            .fetch_one(&self.pool)
            .await?;
        if !password::verify(current, &get_str(&row, "password_hash")?) {
            return Err(Invalid(vec![FieldError::new("current", "err.password_wrong")]).into());
        }
        if !password::acceptable(new) {
            return Err(Invalid(vec![FieldError::new("new", "err.password_short")]).into());
        }
        let hash = password::hash(new)?;
        let mut w = self.begin_write().await?;
        sqlx::query("UPDATE users SET password_hash = $1, must_change_password = 0 WHERE id = $2")
            .bind(hash)
            .bind(actor.user_id.0)
            .execute(&mut *w.tx)
            .await?;
        let change = Change::new("change_password", "user", actor.user_id.to_string()).unit(actor.unit_id);
        append(&mut w, Some(actor), change).await?;
        w.commit().await
    }
}
