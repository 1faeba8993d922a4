//! Endpoint agents. A unit's administrator (or the Department) creates a one-time **enrollment token** (shown once,
//! stored as a SHA-256 digest, with an expiry, revocable). An agent exchanges it once for its own long random
//! **credential**; the credential's digest identifies the agent and is also the token of the HTTP event source
//! created for it in its unit, so the agent's log lines go through the ordinary intake (`POST /api/v1/events`) with
//! the same credential. Revoking the agent turns that source off too. Inventories and last contact are in
//! `inventory.rs`.

mod inventory;

use canhgac_model::{Actor, FieldError, Invalid, Millis, Permission, Scope, UnitId, UserId};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::audit::{append, Change};
use crate::{get_i64, get_str, now_ms, password, Result, Store, StoreError, WriteTx};

pub use inventory::InventoryOutcome;

/// How long an agent may stay silent before it counts as offline, unless the caller says otherwise.
pub const DEFAULT_SILENT_AFTER: Millis = 10 * 60 * 1000;
/// Longest validity of an enrollment token: 30 days.
pub const MAX_TOKEN_HOURS: i64 = 24 * 30;

/// An enrollment token as listed (never the token itself).
#[derive(Debug, Clone, Serialize)]
pub struct EnrollmentToken {
    pub id: i64,
    pub unit_id: UnitId,
    pub label: String,
    pub created_by: UserId,
    pub created_at: Millis,
    pub expires_at: Millis,
    pub used_at: Option<Millis>,
    /// The agent that used it.
    pub agent_id: Option<i64>,
    pub revoked_at: Option<Millis>,
}

impl EnrollmentToken {
    /// Whether it can still enroll an agent at `now`.
    pub fn usable(&self, now: Millis) -> bool {
        self.used_at.is_none() && self.revoked_at.is_none() && now < self.expires_at
    }
}

/// What an agent says about itself when it enrolls.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EnrollFacts {
    pub hostname: String,
}

/// An enrolled agent.
#[derive(Debug, Clone, Serialize)]
pub struct Agent {
    pub id: i64,
    pub unit_id: UnitId,
    /// Its HTTP event source (log lines).
    pub source_id: i64,
    /// The asset its inventory created or matched.
    pub asset_id: Option<i64>,
    pub hostname: String,
    pub enrolled_at: Millis,
    /// Who created the enrollment token it used.
    pub enrolled_by: UserId,
    pub last_seen: Millis,
    pub inventory_at: Option<Millis>,
    pub revoked_at: Option<Millis>,
}

impl Agent {
    /// Whether it was heard from within `silent_after` of `now` (and is not revoked).
    pub fn online(&self, now: Millis, silent_after: Millis) -> bool {
        self.revoked_at.is_none() && now.saturating_sub(self.last_seen) <= silent_after
    }
}

/// What a successful enrollment gives the agent, once.
#[derive(Debug, Clone, Serialize)]
pub struct Enrolled {
    pub agent: Agent,
    /// The agent's credential: bearer token for the agent API and token of its event source.
    pub credential: String,
}

fn opt_i64(r: &AnyRow, col: &str) -> Result<Option<i64>> {
    Ok(r.try_get::<Option<i64>, _>(col)?)
}

fn row_to_token(r: &AnyRow) -> Result<EnrollmentToken> {
    Ok(EnrollmentToken {
        id: get_i64(r, "id")?,
        unit_id: UnitId(get_i64(r, "unit_id")?),
        label: get_str(r, "label")?,
        created_by: UserId(get_i64(r, "created_by")?),
        created_at: get_i64(r, "created_at")?,
        expires_at: get_i64(r, "expires_at")?,
        used_at: opt_i64(r, "used_at")?,
        agent_id: opt_i64(r, "agent_id")?,
        revoked_at: opt_i64(r, "revoked_at")?,
    })
}

pub(crate) fn row_to_agent(r: &AnyRow) -> Result<Agent> {
    Ok(Agent {
        id: get_i64(r, "id")?,
        unit_id: UnitId(get_i64(r, "unit_id")?),
        source_id: get_i64(r, "source_id")?,
        asset_id: opt_i64(r, "asset_id")?,
        hostname: get_str(r, "hostname")?,
        enrolled_at: get_i64(r, "enrolled_at")?,
        enrolled_by: UserId(get_i64(r, "enrolled_by")?),
        last_seen: get_i64(r, "last_seen")?,
        inventory_at: opt_i64(r, "inventory_at")?,
        revoked_at: opt_i64(r, "revoked_at")?,
    })
}

fn invalid(field: &str, code: &str) -> StoreError {
    StoreError::Invalid(Invalid(vec![FieldError::new(field, code)]))
}

fn check_admin(actor: &Actor, unit: UnitId) -> Result<()> {
    if !actor.allows(Permission::Read, unit) {
        Err(StoreError::NotFound)
    } else if !actor.allows(Permission::AdministerUnit, unit) {
        Err(StoreError::Forbidden)
    } else {
        Ok(())
    }
}

/// A host name as an agent may report it: trimmed, 1 to 253 characters, no control characters.
fn clean_hostname(field: &str, text: &str) -> Result<String> {
    let h = text.trim();
    if h.is_empty() {
        return Err(invalid(field, "err.required"));
    }
    if h.chars().count() > 253 || h.chars().any(char::is_control) {
        return Err(invalid(field, "err.hostname_invalid"));
    }
    Ok(h.to_string())
}

/// Revokes an agent inside `w`: the agent and its event source stop working.
async fn revoke_in(w: &mut WriteTx<'_>, agent: &Agent, now: Millis) -> Result<()> {
    sqlx::query("UPDATE agents SET revoked_at = $1 WHERE id = $2")
        .bind(now)
        .bind(agent.id)
        .execute(&mut *w.tx)
        .await?;
    sqlx::query("UPDATE event_sources SET active = 0 WHERE id = $1")
        .bind(agent.source_id)
        .execute(&mut *w.tx)
        .await?;
    Ok(())
}

impl Store {
    /// Creates a one-time enrollment token for `unit`, valid `hours` hours (1 to 30 days). The token is returned
    /// once; only its digest is kept.
    pub async fn create_enrollment_token(
        &self,
        actor: &Actor,
        unit: UnitId,
        label: &str,
        hours: i64,
    ) -> Result<(EnrollmentToken, String)> {
        check_admin(actor, unit)?;
        self.unit(actor, unit).await?;
        if !(1..=MAX_TOKEN_HOURS).contains(&hours) {
            return Err(invalid("hours", "err.token_hours"));
        }
        let label: String = label.trim().chars().take(200).collect();
        let token = format!("cge_{}", password::secret());
        let now = now_ms();
        let mut w = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO agent_enrollment_tokens (unit_id, token_hash, label, created_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
        )
        .bind(unit.0)
        .bind(password::digest(&token))
        .bind(label)
        .bind(actor.user_id.0)
        .bind(now)
        .bind(now + hours * 3_600_000)
        .fetch_one(&mut *w.tx)
        .await?;
        let created = row_to_token(&row)?;
        let change = Change::new("create", "enrollment_token", created.id.to_string())
            .unit(unit)
            .after(&created);
        append(&mut w, Some(actor), change).await?;
        w.commit().await?;
        Ok((created, token))
    }

    /// The enrollment tokens the actor administers, newest first.
    pub async fn enrollment_tokens(&self, actor: &Actor) -> Result<Vec<EnrollmentToken>> {
        let sql = match actor.scope() {
            Scope::All => "SELECT * FROM agent_enrollment_tokens ORDER BY id DESC".to_string(),
            Scope::Unit(u) if actor.allows(Permission::AdministerUnit, u) => format!(
                "SELECT * FROM agent_enrollment_tokens WHERE unit_id = {} ORDER BY id DESC",
                u.0
            ),
            _ => return Ok(Vec::new()),
        };
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        rows.iter().map(row_to_token).collect()
    }

    /// Revokes an unused enrollment token.
    pub async fn revoke_enrollment_token(&self, actor: &Actor, id: i64) -> Result<EnrollmentToken> {
        let before = sqlx::query("SELECT * FROM agent_enrollment_tokens WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(row_to_token)
            .transpose()?
            .ok_or(StoreError::NotFound)?;
        check_admin(actor, before.unit_id)?;
        if before.revoked_at.is_some() {
            return Ok(before);
        }
        let mut w = self.begin_write().await?;
        let row = sqlx::query("UPDATE agent_enrollment_tokens SET revoked_at = $1 WHERE id = $2 RETURNING *")
            .bind(now_ms())
            .bind(id)
            .fetch_one(&mut *w.tx)
            .await?;
        let after = row_to_token(&row)?;
        let change = Change::new("revoke", "enrollment_token", id.to_string())
            .unit(after.unit_id)
            .before(&before)
            .after(&after);
        append(&mut w, Some(actor), change).await?;
        w.commit().await?;
        Ok(after)
    }

    /// Exchanges a valid enrollment token for a new agent of the token's unit: the token is used up, the agent gets
    /// its credential (returned once) and an HTTP event source. No actor: the token authenticates; the change is
    /// audited as the system on behalf of the token's creator. An earlier, unrevoked agent of the same host name in
    /// that unit is revoked (the machine was enrolled again). An unknown, used, expired or revoked token is
    /// `NotFound`.
    pub async fn enroll(&self, token: &str, facts: &EnrollFacts) -> Result<Enrolled> {
        let hostname = clean_hostname("hostname", &facts.hostname)?;
        let now = now_ms();
        let mut w = self.begin_write().await?;
        let tok = sqlx::query("SELECT * FROM agent_enrollment_tokens WHERE token_hash = $1")
            .bind(password::digest(token.trim()))
            .fetch_optional(&mut *w.tx)
            .await?
            .as_ref()
            .map(row_to_token)
            .transpose()?
            .filter(|t| t.usable(now))
            .ok_or(StoreError::NotFound)?;
        let previous = sqlx::query(
            "SELECT * FROM agents WHERE unit_id = $1 AND LOWER(hostname) = $2 AND revoked_at IS NULL",
        )
        .bind(tok.unit_id.0)
        .bind(hostname.to_lowercase())
        .fetch_all(&mut *w.tx)
        .await?
        .iter()
        .map(row_to_agent)
        .collect::<Result<Vec<_>>>()?;
        for old in &previous {
            revoke_in(&mut w, old, now).await?;
        }
        let credential = format!("cga_{}", password::secret());
        let digest = password::digest(&credential);
        let source_id = get_i64(
            &sqlx::query(
                "INSERT INTO event_sources (unit_id, name, kind, token_hash, cidr, created_at) \
                 VALUES ($1, $2, 'http', $3, '', $4) RETURNING id",
            )
            .bind(tok.unit_id.0)
            .bind(format!("agent {hostname}"))
            .bind(digest.clone())
            .bind(now)
            .fetch_one(&mut *w.tx)
            .await?,
            "id",
        )?;
        // An asset of the same host name from an earlier enrollment is kept and found again by the inventory.
        let row = sqlx::query(
            "INSERT INTO agents (unit_id, source_id, credential_hash, hostname, enrolled_at, enrolled_by, last_seen) \
             VALUES ($1, $2, $3, $4, $5, $6, $5) RETURNING *",
        )
        .bind(tok.unit_id.0)
        .bind(source_id)
        .bind(digest)
        .bind(hostname)
        .bind(now)
        .bind(tok.created_by.0)
        .fetch_one(&mut *w.tx)
        .await?;
        let agent = row_to_agent(&row)?;
        sqlx::query("UPDATE agent_enrollment_tokens SET used_at = $1, agent_id = $2 WHERE id = $3")
            .bind(now)
            .bind(agent.id)
            .bind(tok.id)
            .execute(&mut *w.tx)
            .await?;
        let summary = serde_json::json!({
            "agent": &agent,
            "enrollment_token": tok.id,
            "on_behalf_of": tok.created_by.0,
            "replaced_agents": previous.iter().map(|a| a.id).collect::<Vec<_>>(),
        });
        let change = Change::new("enroll", "agent", agent.id.to_string())
            .unit(agent.unit_id)
            .after(&summary);
        append(&mut w, None, change).await?;
        w.commit().await?;
        Ok(Enrolled { agent, credential })
    }

    /// The unrevoked agent holding `credential`, if any.
    pub async fn agent_by_credential(&self, credential: &str) -> Result<Option<Agent>> {
        let row = sqlx::query("SELECT * FROM agents WHERE credential_hash = $1 AND revoked_at IS NULL")
            .bind(password::digest(credential.trim()))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(row_to_agent).transpose()
    }

    /// The agents the actor may see (revoked ones too when `include_revoked`), by unit and host name.
    pub async fn agents(&self, actor: &Actor, include_revoked: bool) -> Result<Vec<Agent>> {
        let revoked = if include_revoked {
            ""
        } else {
            " AND revoked_at IS NULL"
        };
        let sql = match actor.scope() {
            Scope::All => format!("SELECT * FROM agents WHERE 1 = 1{revoked} ORDER BY unit_id, hostname, id"),
            Scope::Unit(u) => format!(
                "SELECT * FROM agents WHERE unit_id = {}{revoked} ORDER BY hostname, id",
                u.0
            ),
            Scope::Nothing => return Err(StoreError::Forbidden),
        };
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        rows.iter().map(row_to_agent).collect()
    }

    /// One agent in the actor's scope.
    pub async fn agent(&self, actor: &Actor, id: i64) -> Result<Agent> {
        let agent = self.agent_by_id(id).await?;
        if actor.allows(Permission::Read, agent.unit_id) {
            Ok(agent)
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// The unrevoked agent reporting for an asset the actor may see, if any (the newest).
    pub async fn asset_agent(&self, actor: &Actor, asset_id: i64) -> Result<Option<Agent>> {
        let row = sqlx::query(
            "SELECT * FROM agents WHERE asset_id = $1 AND revoked_at IS NULL ORDER BY id DESC LIMIT 1",
        )
        .bind(asset_id)
        .fetch_optional(&self.pool)
        .await?;
        let agent = row.as_ref().map(row_to_agent).transpose()?;
        Ok(agent.filter(|a| actor.allows(Permission::Read, a.unit_id)))
    }

    pub(crate) async fn agent_by_id(&self, id: i64) -> Result<Agent> {
        sqlx::query("SELECT * FROM agents WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(row_to_agent)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    /// Revokes an agent: its credential and its event source stop working at once.
    pub async fn revoke_agent(&self, actor: &Actor, id: i64) -> Result<Agent> {
        let before = self.agent(actor, id).await?;
        check_admin(actor, before.unit_id)?;
        if before.revoked_at.is_some() {
            return Ok(before);
        }
        let now = now_ms();
        let mut w = self.begin_write().await?;
        revoke_in(&mut w, &before, now).await?;
        let after = Agent {
            revoked_at: Some(now),
            ..before.clone()
        };
        let change = Change::new("revoke", "agent", id.to_string())
            .unit(before.unit_id)
            .before(&before)
            .after(&after);
        append(&mut w, Some(actor), change).await?;
        w.commit().await?;
        Ok(after)
    }
}
