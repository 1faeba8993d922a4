//! The audit log: every change, who, when, which unit, what, before and after. Append-only (the database refuses
//! updates and deletes) and hash-chained: each entry's hash covers the previous entry's hash, so editing or removing
//! a row in the database file is detected by [`Store::verify_audit_chain`].

use canhgac_model::{Actor, Scope, UnitId};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{get_i64, get_str, now_ms, Page, Result, Store, StoreError, WriteTx};

/// A change about to be recorded.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    action: String,
    entity: String,
    entity_id: String,
    unit: Option<UnitId>,
    before: String,
    after: String,
}

impl Change {
    pub fn new(action: &str, entity: &str, entity_id: impl Into<String>) -> Self {
        Change {
            action: action.into(),
            entity: entity.into(),
            entity_id: entity_id.into(),
            unit: None,
            before: String::new(),
            after: String::new(),
        }
    }
    pub fn unit(mut self, unit: UnitId) -> Self {
        self.unit = Some(unit);
        self
    }
    pub fn before<T: Serialize>(mut self, v: &T) -> Self {
        self.before = serde_json::to_string(v).unwrap_or_default();
        self
    }
    pub fn after<T: Serialize>(mut self, v: &T) -> Self {
        self.after = serde_json::to_string(v).unwrap_or_default();
        self
    }
}

/// One recorded change.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub user_id: Option<i64>,
    pub username: String,
    pub unit_id: Option<i64>,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: String,
    pub after: String,
    pub hash: String,
}

/// Filters of the audit view.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct AuditQuery {
    pub unit_id: Option<i64>,
    pub action: String,
    pub entity: String,
    pub username: String,
    pub page: i64,
    pub per_page: i64,
}

/// Result of verifying the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainCheck {
    /// Entries checked.
    pub entries: i64,
    /// The first entry whose hash does not follow, if any.
    pub broken_at: Option<i64>,
}

fn entry_hash(
    prev: &str,
    at: i64,
    user: Option<i64>,
    username: &str,
    unit: Option<i64>,
    c: [&str; 5],
) -> String {
    let mut h = Sha256::new();
    for part in [
        prev,
        &at.to_string(),
        &user.map(|u| u.to_string()).unwrap_or_default(),
        username,
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    h.update(unit.map(|u| u.to_string()).unwrap_or_default().as_bytes());
    for part in c {
        h.update([0u8]);
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Appends `change` by `actor` (`None`: the system) inside the write transaction.
pub(crate) async fn append(w: &mut WriteTx<'_>, actor: Option<&Actor>, change: Change) -> Result<()> {
    let prev: String = sqlx::query("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")
        .fetch_optional(&mut *w.tx)
        .await?
        .map(|r| r.try_get::<String, _>("hash"))
        .transpose()?
        .unwrap_or_default();
    let at = now_ms();
    let user = actor.map(|a| a.user_id.0);
    let username = match user {
        Some(id) => sqlx::query("SELECT username FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *w.tx)
            .await?
            .map(|r| r.try_get::<String, _>("username"))
            .transpose()?
            .unwrap_or_else(|| format!("user#{id}")),
        None => "system".to_string(),
    };
    let unit = change.unit.map(|u| u.0);
    let fields = [
        &*change.action,
        &*change.entity,
        &*change.entity_id,
        &*change.before,
        &*change.after,
    ];
    let hash = entry_hash(&prev, at, user, &username, unit, fields);
    sqlx::query(
        "INSERT INTO audit_log (at, user_id, username, unit_id, action, entity, entity_id, before_json, after_json, \
         prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(at)
    .bind(user)
    .bind(username)
    .bind(unit)
    .bind(change.action)
    .bind(change.entity)
    .bind(change.entity_id)
    .bind(change.before)
    .bind(change.after)
    .bind(prev)
    .bind(hash)
    .execute(&mut *w.tx)
    .await?;
    Ok(())
}

fn row_to_entry(r: &AnyRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        id: get_i64(r, "id")?,
        at: get_i64(r, "at")?,
        user_id: r.try_get::<Option<i64>, _>("user_id")?,
        username: get_str(r, "username")?,
        unit_id: r.try_get::<Option<i64>, _>("unit_id")?,
        action: get_str(r, "action")?,
        entity: get_str(r, "entity")?,
        entity_id: get_str(r, "entity_id")?,
        before: get_str(r, "before_json")?,
        after: get_str(r, "after_json")?,
        hash: get_str(r, "hash")?,
    })
}

impl Store {
    /// The audit log, newest first, for administrators: the Department sees all, a unit administrator its unit.
    pub async fn audit(&self, actor: &Actor, q: &AuditQuery) -> Result<Page<AuditEntry>> {
        use canhgac_model::Permission;
        let mut conds: Vec<String> = Vec::new();
        let mut args: Vec<String> = Vec::new();
        match actor.scope() {
            Scope::All => {
                if let Some(u) = q.unit_id {
                    conds.push(format!("unit_id = {u}"));
                }
            }
            Scope::Unit(u) if actor.allows(Permission::AdministerUnit, u) => {
                conds.push(format!("unit_id = {}", u.0))
            }
            _ => return Err(StoreError::Forbidden),
        }
        for (col, val) in [
            ("action", &q.action),
            ("entity", &q.entity),
            ("username", &q.username),
        ] {
            if !val.trim().is_empty() {
                args.push(val.trim().to_string());
                conds.push(format!("{col} = ${}", args.len()));
            }
        }
        let where_sql = if conds.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conds.join(" AND "))
        };
        let per_page = q.per_page.clamp(1, 200);
        let per_page = if q.per_page == 0 { 50 } else { per_page };
        let page = q.page.max(1);
        let count_sql = format!("SELECT COUNT(*) AS n FROM audit_log {where_sql}");
        let mut cq = sqlx::query(&count_sql);
        for a in &args {
            cq = cq.bind(a.clone());
        }
        let total = get_i64(&cq.fetch_one(&self.pool).await?, "n")?;
        let sql = format!(
            "SELECT * FROM audit_log {where_sql} ORDER BY id DESC LIMIT {per_page} OFFSET {}",
            (page - 1) * per_page
        );
        let mut lq = sqlx::query(&sql);
        for a in &args {
            lq = lq.bind(a.clone());
        }
        let items = lq
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(row_to_entry)
            .collect::<Result<Vec<_>>>()?;
        Ok(Page {
            items,
            total,
            page,
            per_page,
        })
    }

    /// Recomputes every entry's hash in order; reports the first that does not follow from its predecessor.
    pub async fn verify_audit_chain(&self) -> Result<ChainCheck> {
        let rows = sqlx::query("SELECT * FROM audit_log ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        let mut prev = String::new();
        for (i, r) in rows.iter().enumerate() {
            let e = row_to_entry(r)?;
            let stored_prev = get_str(r, "prev_hash")?;
            let fields = [&*e.action, &*e.entity, &*e.entity_id, &*e.before, &*e.after];
            let expect = entry_hash(&prev, e.at, e.user_id, &e.username, e.unit_id, fields);
            if stored_prev != prev || expect != e.hash {
                return Ok(ChainCheck {
                    entries: i as i64,
                    broken_at: Some(e.id),
                });
            }
            prev = e.hash;
        }
        Ok(ChainCheck {
            entries: rows.len() as i64,
            broken_at: None,
        })
    }
}
