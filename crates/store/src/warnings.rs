//! Known-good warning lists (MISP style: CIDR, hostname, string, substring, regex) that the Department keeps so a
//! Botnet list's entry covering a private range, the unit's own resolvers or a large CDN does not become work for
//! anyone: such a match is kept as an item outside the queue, naming the list that suppressed it. The private and
//! reserved ranges are always applied to live events. Also: the comment thread of a remediation item.

use canhgac_ioc::{read_warning_list, WarningKind, WarningList, Warnings};
use canhgac_model::{Actor, FieldError, Invalid, Millis, Permission, Scope, UserId};
use serde::Serialize;
use sqlx::Row;

use crate::audit::{append, Change};
use crate::{get_i64, get_str, now_ms, Result, Store, StoreError};

/// A stored warning list.
#[derive(Debug, Clone, Serialize)]
pub struct WarningListInfo {
    pub id: i64,
    pub name: String,
    /// `cidr`, `hostname`, `string`, `substring` or `regex`.
    pub kind: String,
    pub description: String,
    pub entries: i64,
    pub active: bool,
    pub created_at: Millis,
}

/// A comment on a remediation item.
#[derive(Debug, Clone, Serialize)]
pub struct ItemComment {
    pub id: i64,
    pub item_id: i64,
    pub user_id: UserId,
    pub user_name: String,
    pub body: String,
    pub created_at: Millis,
}

fn invalid(field: &str, code: &str) -> StoreError {
    StoreError::Invalid(Invalid(vec![FieldError::new(field, code)]))
}

fn kind_name(kind: WarningKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

impl Store {
    /// Adds a warning list from a file: MISP warninglist JSON (its own name and type), or one value a line of
    /// `kind` under `name` (the Department).
    pub async fn add_warning_list(
        &self,
        actor: &Actor,
        name: &str,
        kind: WarningKind,
        bytes: &[u8],
    ) -> Result<WarningListInfo> {
        if !actor.is_dept_admin() {
            return Err(StoreError::Forbidden);
        }
        let mut list = read_warning_list(name.trim(), kind, bytes).map_err(|e| {
            StoreError::Invalid(Invalid(vec![
                FieldError::new("file", "err.list_unreadable").with_value(&e.to_string())
            ]))
        })?;
        if list.name.trim().is_empty() {
            return Err(invalid("name", "err.required"));
        }
        if list.values.is_empty() {
            return Err(invalid("file", "err.list_empty"));
        }
        list.name = list.name.trim().chars().take(200).collect();
        // Refuse what would not build (a bad regex, a bad range) before storing it.
        let (_, rejected) = Warnings::build(vec![list.clone()]);
        if let Some(r) = rejected.first() {
            return Err(StoreError::Invalid(Invalid(vec![FieldError::new(
                "file",
                "err.list_unreadable",
            )
            .with_value(&r.to_string())])));
        }
        let now = now_ms();
        let mut w = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO warning_lists (name, kind, description, list_values, entries, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(list.name.clone())
        .bind(kind_name(list.kind))
        .bind(list.description.chars().take(1000).collect::<String>())
        .bind(serde_json::to_string(&list.values).unwrap_or_else(|_| "[]".into()))
        .bind(list.values.len() as i64)
        .bind(actor.user_id.0)
        .bind(now)
        .fetch_one(&mut *w.tx)
        .await?;
        let info = WarningListInfo {
            id: get_i64(&row, "id")?,
            name: list.name.clone(),
            kind: kind_name(list.kind),
            description: list.description.clone(),
            entries: list.values.len() as i64,
            active: true,
            created_at: now,
        };
        append(
            &mut w,
            Some(actor),
            Change::new("create", "warning_list", info.id.to_string()).after(&info),
        )
        .await?;
        w.commit().await?;
        Ok(info)
    }

    /// Every warning list (the built-in private ranges are not stored: they always apply).
    pub async fn warning_lists(&self, actor: &Actor) -> Result<Vec<WarningListInfo>> {
        if actor.scope() == Scope::Nothing {
            return Ok(Vec::new());
        }
        let rows = sqlx::query("SELECT * FROM warning_lists ORDER BY id DESC")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(WarningListInfo {
                    id: get_i64(r, "id")?,
                    name: get_str(r, "name")?,
                    kind: get_str(r, "kind")?,
                    description: get_str(r, "description")?,
                    entries: get_i64(r, "entries")?,
                    active: get_i64(r, "active")? != 0,
                    created_at: get_i64(r, "created_at")?,
                })
            })
            .collect()
    }

    /// Stops applying a warning list to later imports (the Department).
    pub async fn deactivate_warning_list(&self, actor: &Actor, id: i64) -> Result<()> {
        if !actor.is_dept_admin() {
            return Err(StoreError::Forbidden);
        }
        let mut w = self.begin_write().await?;
        let done = sqlx::query("UPDATE warning_lists SET active = 0 WHERE id = $1")
            .bind(id)
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        append(
            &mut w,
            Some(actor),
            Change::new("deactivate", "warning_list", id.to_string()),
        )
        .await?;
        w.commit().await
    }

    /// The warnings in force: every active list, and with `private_ranges` the built-in private and reserved
    /// ranges too (live events: firewall logs are full of internal addresses; the estate match leaves them to the
    /// Department's lists, since a unit's own assets carry such addresses).
    pub async fn active_warnings(&self, private_ranges: bool) -> Result<Warnings> {
        let rows = sqlx::query(
            "SELECT name, kind, description, list_values FROM warning_lists WHERE active = 1 ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut lists = if private_ranges {
            vec![WarningList::private_ranges()]
        } else {
            Vec::new()
        };
        for r in &rows {
            let kind: WarningKind = serde_json::from_value(serde_json::Value::String(get_str(r, "kind")?))
                .map_err(|e| StoreError::Corrupt(format!("warning list kind: {e}")))?;
            lists.push(WarningList {
                name: get_str(r, "name")?,
                description: get_str(r, "description")?,
                kind,
                values: serde_json::from_str(&get_str(r, "list_values")?).unwrap_or_default(),
            });
        }
        let (warnings, rejected) = Warnings::build(lists);
        for r in rejected {
            tracing::warn!(problem = %r, "a stored warning list value does not build");
        }
        Ok(warnings)
    }

    /// Adds a comment to a remediation item (people who work the unit's queue).
    pub async fn comment_item(&self, actor: &Actor, id: i64, body: &str) -> Result<ItemComment> {
        let item = self.botnet_item(actor, id).await?;
        if !actor.allows(Permission::Operate, item.unit_id) {
            return Err(StoreError::Forbidden);
        }
        let body: String = body.trim().chars().take(4000).collect();
        if body.is_empty() {
            return Err(invalid("body", "err.required"));
        }
        let now = now_ms();
        let mut w = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO botnet_item_comments (item_id, user_id, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(id)
        .bind(actor.user_id.0)
        .bind(body.clone())
        .bind(now)
        .fetch_one(&mut *w.tx)
        .await?;
        let comment_id = get_i64(&row, "id")?;
        let change = Change::new("comment", "botnet_item", id.to_string())
            .unit(item.unit_id)
            .after(&serde_json::json!({ "comment": comment_id, "body": body }));
        append(&mut w, Some(actor), change).await?;
        w.commit().await?;
        let mut all = self.item_comments(actor, id).await?;
        all.retain(|c| c.id == comment_id);
        all.pop().ok_or(StoreError::NotFound)
    }

    /// An item's comments, oldest first.
    pub async fn item_comments(&self, actor: &Actor, id: i64) -> Result<Vec<ItemComment>> {
        let item = self.botnet_item(actor, id).await?;
        let rows = sqlx::query(
            "SELECT c.*, u.display_name, u.username FROM botnet_item_comments c JOIN users u ON u.id = c.user_id \
             WHERE c.item_id = $1 ORDER BY c.id",
        )
        .bind(item.id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let display = get_str(r, "display_name")?;
                Ok(ItemComment {
                    id: get_i64(r, "id")?,
                    item_id: get_i64(r, "item_id")?,
                    user_id: UserId(get_i64(r, "user_id")?),
                    user_name: if display.is_empty() {
                        get_str(r, "username")?
                    } else {
                        display
                    },
                    body: get_str(r, "body")?,
                    created_at: r.try_get::<i64, _>("created_at")?,
                })
            })
            .collect()
    }
}
