//! Collected events. A unit's administrator declares its **sources**: an HTTP sender (a shipper, an agent) gets a
//! token, a syslog sender is known by its address range. Events are written in batches, each batch in one
//! transaction, before the sender is acknowledged; the pipeline reads them back in id order from its saved
//! position, so a crash between the two loses nothing. Search is scoped like every read: a unit sees its own events.

use std::net::IpAddr;

use canhgac_ioc::IpRange;
use canhgac_model::{Actor, FieldError, Invalid, Millis, Permission, Scope, UnitId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::audit::{append, Change};
use crate::placeholders;
use crate::{get_i64, get_str, like_op, now_ms, password, Backend, Result, Store, StoreError};

/// How a source sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// `POST /api/v1/events` with the source's token.
    Http,
    /// Syslog over UDP, TCP or TLS from an address inside the source's range.
    Syslog,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Http => "http",
            SourceKind::Syslog => "syslog",
        }
    }

    pub fn parse(s: &str) -> Option<SourceKind> {
        match s {
            "http" => Some(SourceKind::Http),
            "syslog" => Some(SourceKind::Syslog),
            _ => None,
        }
    }
}

/// A declared event source.
#[derive(Debug, Clone, Serialize)]
pub struct EventSource {
    pub id: i64,
    pub unit_id: UnitId,
    pub name: String,
    pub kind: SourceKind,
    /// For syslog sources: the senders' address range (`10.1.2.0/24`, one address, or `a-b`).
    pub cidr: String,
    pub created_at: Millis,
    pub active: bool,
}

/// An event to store, already normalised by the collector.
#[derive(Debug, Clone, Serialize)]
pub struct NewEvent {
    pub unit_id: UnitId,
    pub source_id: i64,
    /// The sender's own id for the event, when it has one: a re-sent event with the same id is stored once.
    pub ext_id: Option<String>,
    pub received_at: Millis,
    /// When it happened (the receipt time when the event does not say).
    pub ts: Millis,
    pub host: String,
    /// `windows`, `syslog5424`, `cef`...
    pub format: String,
    pub channel: String,
    pub event_id: Option<i64>,
    pub message: String,
    /// The normalised fields as a JSON array of `[name, value]` pairs (names may repeat). Empty for a Windows
    /// event whose original is its JSON line (format `windows`): those fields are read from the original by
    /// `StoredEvent::field_pairs` (and filled in for search results), so the largest events are not stored twice.
    pub fields: String,
    pub original: String,
}

/// A stored event.
#[derive(Debug, Clone, Serialize)]
pub struct StoredEvent {
    pub id: i64,
    #[serde(flatten)]
    pub event: NewEvent,
}

impl StoredEvent {
    /// The fields as `(name, value)` pairs (read from the original for a Windows JSON event stored without them);
    /// a damaged column or original gives none.
    pub fn field_pairs(&self) -> Vec<(String, String)> {
        if self.event.fields.is_empty() && self.event.format == WINDOWS_JSON {
            return canhgac_logs::parse_win_json_line(&self.event.original)
                .map(|(e, _)| e.fields)
                .unwrap_or_default();
        }
        serde_json::from_str(&self.event.fields).unwrap_or_default()
    }
}

/// What a batch write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Stored {
    /// Newly stored.
    pub stored: u64,
    /// Already stored under the same source and sender id (a re-send).
    pub duplicates: u64,
    /// The highest event id once the batch is written (0 when nothing was ever stored).
    pub last_id: i64,
}

/// An event search.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    pub unit_id: Option<i64>,
    pub host: String,
    /// Inclusive lower bound of the event time.
    pub from: Option<Millis>,
    /// Exclusive upper bound of the event time.
    pub to: Option<Millis>,
    /// `name=value`: a field with exactly this value (case-insensitive).
    pub field: Option<(String, String)>,
    /// Words that must all appear in the original text.
    pub text: String,
    /// Only events with an id below this (the next page of a newest-first list).
    pub before: Option<i64>,
    pub limit: i64,
}

/// One page of a newest-first event list.
#[derive(Debug, Clone, Serialize)]
pub struct EventPage {
    pub items: Vec<StoredEvent>,
    /// The `before` of the next page, when there is one.
    pub next: Option<i64>,
}

fn row_to_source(r: &AnyRow) -> Result<EventSource> {
    let kind = get_str(r, "kind")?;
    Ok(EventSource {
        id: get_i64(r, "id")?,
        unit_id: UnitId(get_i64(r, "unit_id")?),
        name: get_str(r, "name")?,
        kind: crate::parse_enum("kind", &kind, SourceKind::parse)?,
        cidr: get_str(r, "cidr")?,
        created_at: get_i64(r, "created_at")?,
        active: get_i64(r, "active")? != 0,
    })
}

/// A stored event as the readers of search and the event page see it: with its fields column filled.
fn row_to_event(r: &AnyRow) -> Result<StoredEvent> {
    Ok(row_to_stored(r)?.with_derived_fields())
}

/// A stored event as it is in the table (a Windows JSON event's fields still only in its original).
fn row_to_stored(r: &AnyRow) -> Result<StoredEvent> {
    Ok(StoredEvent {
        id: get_i64(r, "id")?,
        event: NewEvent {
            unit_id: UnitId(get_i64(r, "unit_id")?),
            source_id: get_i64(r, "source_id")?,
            ext_id: r.try_get("ext_id")?,
            received_at: get_i64(r, "received_at")?,
            ts: get_i64(r, "ts")?,
            host: get_str(r, "host")?,
            format: get_str(r, "format")?,
            channel: get_str(r, "channel")?,
            event_id: r.try_get("event_id")?,
            message: get_str(r, "message")?,
            fields: get_str(r, "fields")?,
            original: get_str(r, "original")?,
        },
    })
}

impl StoredEvent {
    /// Fills the fields of a Windows JSON event from its original (see [`NewEvent::fields`]).
    fn with_derived_fields(mut self) -> Self {
        if self.event.fields.is_empty() && self.event.format == WINDOWS_JSON {
            self.event.fields = serde_json::to_string(&self.field_pairs()).unwrap_or_else(|_| "[]".into());
        }
        self
    }

    /// Whether the event has the field `name` with `value` (both compared without case).
    fn has_field(&self, name: &str, value: &str) -> bool {
        let (name, value) = (name.to_lowercase(), value.to_lowercase());
        self.field_pairs()
            .iter()
            .any(|(n, v)| n.to_lowercase() == name && v.to_lowercase() == value)
    }
}

/// The format of events whose fields are read from their original JSON line.
const WINDOWS_JSON: &str = "windows";

fn invalid(field: &str, code: &str) -> StoreError {
    StoreError::Invalid(Invalid(vec![FieldError::new(field, code)]))
}

/// Parses a syslog source's address range: one address, `a.b.c.d/n`, or `first-last`.
pub fn parse_source_range(text: &str) -> Option<IpRange> {
    let t = text.trim();
    if let Some((a, b)) = t.split_once('-') {
        return IpRange::between(a.trim().parse().ok()?, b.trim().parse().ok()?);
    }
    if let Some((a, n)) = t.split_once('/') {
        return IpRange::cidr(a.trim().parse().ok()?, n.trim().parse().ok()?);
    }
    t.parse::<IpAddr>().ok().map(IpRange::single)
}

/// Rows per INSERT: 13 columns each, under SQLite's oldest parameter limit of 999.
const INSERT_CHUNK: usize = 70;
const EVENT_COLUMNS: &str =
    "unit_id, source_id, ext_id, received_at, ts, host, format, channel, event_id, message, fields, original";

impl Store {
    /// Declares a source for `unit`. An HTTP source's token is returned once (stored hashed); a syslog source needs
    /// its senders' address range.
    pub async fn create_event_source(
        &self,
        actor: &Actor,
        unit: UnitId,
        name: &str,
        kind: SourceKind,
        cidr: &str,
    ) -> Result<(EventSource, Option<String>)> {
        if !actor.allows(Permission::Read, unit) {
            return Err(StoreError::NotFound);
        }
        if !actor.allows(Permission::AdministerUnit, unit) {
            return Err(StoreError::Forbidden);
        }
        let name: String = name.trim().chars().take(200).collect();
        if name.is_empty() {
            return Err(invalid("name", "err.required"));
        }
        let cidr = cidr.trim().to_string();
        if kind == SourceKind::Syslog && parse_source_range(&cidr).is_none() {
            return Err(invalid("cidr", "err.cidr_invalid"));
        }
        let token = (kind == SourceKind::Http).then(|| format!("cgs_{}", password::secret()));
        let now = now_ms();
        let mut w = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO event_sources (unit_id, name, kind, token_hash, cidr, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(unit.0)
        .bind(name.clone())
        .bind(kind.as_str())
        .bind(token.as_deref().map(password::digest))
        .bind(if kind == SourceKind::Syslog {
            cidr.clone()
        } else {
            String::new()
        })
        .bind(now)
        .fetch_one(&mut *w.tx)
        .await?;
        let source = EventSource {
            id: get_i64(&row, "id")?,
            unit_id: unit,
            name,
            kind,
            cidr: if kind == SourceKind::Syslog {
                cidr
            } else {
                String::new()
            },
            created_at: now,
            active: true,
        };
        let change = Change::new("create", "event_source", source.id.to_string())
            .unit(unit)
            .after(&source);
        append(&mut w, Some(actor), change).await?;
        w.commit().await?;
        Ok((source, token))
    }

    /// The sources the actor may see, newest first.
    pub async fn event_sources(&self, actor: &Actor) -> Result<Vec<EventSource>> {
        let sql = match actor.scope() {
            Scope::All => "SELECT * FROM event_sources ORDER BY id DESC".to_string(),
            Scope::Unit(u) => format!(
                "SELECT * FROM event_sources WHERE unit_id = {} ORDER BY id DESC",
                u.0
            ),
            Scope::Nothing => return Ok(Vec::new()),
        };
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        rows.iter().map(row_to_source).collect()
    }

    /// Turns a source off: its token stops working and its range stops attributing syslog.
    pub async fn deactivate_event_source(&self, actor: &Actor, id: i64) -> Result<EventSource> {
        let row = sqlx::query("SELECT * FROM event_sources WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        let before = row_to_source(&row)?;
        if !actor.allows(Permission::Read, before.unit_id) {
            return Err(StoreError::NotFound);
        }
        if !actor.allows(Permission::AdministerUnit, before.unit_id) {
            return Err(StoreError::Forbidden);
        }
        let mut w = self.begin_write().await?;
        sqlx::query("UPDATE event_sources SET active = 0 WHERE id = $1")
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        let after = EventSource {
            active: false,
            ..before.clone()
        };
        let change = Change::new("deactivate", "event_source", id.to_string())
            .unit(before.unit_id)
            .before(&before)
            .after(&after);
        append(&mut w, Some(actor), change).await?;
        w.commit().await?;
        Ok(after)
    }

    /// The active HTTP source holding `token`, if any.
    pub async fn source_for_token(&self, token: &str) -> Result<Option<EventSource>> {
        let row =
            sqlx::query("SELECT * FROM event_sources WHERE token_hash = $1 AND active = 1 AND kind = 'http'")
                .bind(password::digest(token))
                .fetch_optional(&self.pool)
                .await?;
        row.as_ref().map(row_to_source).transpose()
    }

    /// Every active syslog source, for the collectors' attribution table.
    pub async fn syslog_sources(&self) -> Result<Vec<EventSource>> {
        let rows =
            sqlx::query("SELECT * FROM event_sources WHERE kind = 'syslog' AND active = 1 ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(row_to_source).collect()
    }

    /// Writes a batch of events in one transaction; when this returns, they survive a crash. A re-sent event (same
    /// source and sender id) is counted as a duplicate and not stored again.
    pub async fn insert_events(&self, events: &[NewEvent]) -> Result<Stored> {
        let mut out = Stored::default();
        if events.is_empty() {
            return Ok(out);
        }
        let mut w = self.begin_write().await?;
        for chunk in events.chunks(INSERT_CHUNK) {
            let rows: Vec<String> = (0..chunk.len())
                .map(|i| format!("({})", placeholders(self.backend, i * 12, 12)))
                .collect();
            let mut sql = format!("INSERT INTO events ({EVENT_COLUMNS}) VALUES {}", rows.join(","));
            sql.push_str(" ON CONFLICT DO NOTHING");
            let mut q = sqlx::query(&sql);
            for e in chunk {
                q = q
                    .bind(e.unit_id.0)
                    .bind(e.source_id)
                    .bind(e.ext_id.clone())
                    .bind(e.received_at)
                    .bind(e.ts)
                    .bind(e.host.clone())
                    .bind(e.format.clone())
                    .bind(e.channel.clone())
                    .bind(e.event_id)
                    .bind(e.message.clone())
                    .bind(e.fields.clone())
                    .bind(e.original.clone());
            }
            let done = q.execute(&mut *w.tx).await?.rows_affected();
            out.stored += done;
            out.duplicates += chunk.len() as u64 - done;
        }
        let last = sqlx::query("SELECT COALESCE(MAX(id), 0) AS n FROM events")
            .fetch_one(&mut *w.tx)
            .await?;
        out.last_id = get_i64(&last, "n")?;
        w.commit().await?;
        Ok(out)
    }

    /// Events after `position` in id order, at most `limit`: the pipeline's read.
    pub async fn events_after(&self, position: i64, limit: i64) -> Result<Vec<StoredEvent>> {
        let rows = sqlx::query("SELECT * FROM events WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(position)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        // For the pipeline, which reads the fields once as pairs (`field_pairs`): not derived here.
        rows.iter().map(row_to_stored).collect()
    }

    /// The highest event id stored (0 when none).
    pub async fn last_event_id(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COALESCE(MAX(id), 0) AS n FROM events")
            .fetch_one(&self.pool)
            .await?;
        get_i64(&row, "n")
    }

    /// Where the pipeline `name` stopped (0 when it never ran).
    pub async fn pipeline_position(&self, name: &str) -> Result<i64> {
        let row = sqlx::query("SELECT position FROM pipeline_state WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.map_or(Ok(0), |r| get_i64(&r, "position"))
    }

    /// Saves the pipeline's position after it has finished with every event up to it.
    pub async fn set_pipeline_position(&self, name: &str, position: i64) -> Result<()> {
        let mut w = self.begin_write().await?;
        save_position(&mut w, name, position).await?;
        w.commit().await
    }

    /// One event, if the actor reads its unit.
    pub async fn event(&self, actor: &Actor, id: i64) -> Result<StoredEvent> {
        let row = sqlx::query("SELECT * FROM events WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        let e = row_to_event(&row)?;
        if !actor.allows(Permission::Read, e.event.unit_id) {
            return Err(StoreError::NotFound);
        }
        Ok(e)
    }

    /// Searches events, newest first.
    pub async fn search_events(&self, actor: &Actor, q: &EventQuery) -> Result<EventPage> {
        let mut cond: Vec<String> = Vec::new();
        // Query plans on SQLite (PostgreSQL's planner has statistics): a search walks the table newest first and
        // filters as it goes, stopping after a page — the unit's indexes would make it sort every event of the
        // unit (or host) first, so `+unit_id` keeps them out; only a time range is looked up through (unit, ts)
        // and its rows sorted (`+id` keeps the rowid order out).
        let time_range = q.from.is_some() || q.to.is_some();
        let sqlite = self.backend == Backend::Sqlite;
        let unit_col = if sqlite && !time_range {
            "+unit_id"
        } else {
            "unit_id"
        };
        match (actor.scope(), q.unit_id) {
            (Scope::All, None) => {}
            (Scope::All, Some(u)) => cond.push(format!("{unit_col} = {u}")),
            (Scope::Unit(u), f) if f.is_none_or(|f| f == u.0) => cond.push(format!("{unit_col} = {}", u.0)),
            _ => return Err(StoreError::NotFound),
        }
        let order = if sqlite && time_range && !cond.is_empty() {
            "+id DESC"
        } else {
            "id DESC"
        };
        if let Some(from) = q.from {
            cond.push(format!("ts >= {from}"));
        }
        if let Some(to) = q.to {
            cond.push(format!("ts < {to}"));
        }
        let like = like_op(self.backend);
        let mut binds: Vec<String> = Vec::new();
        let host = q.host.trim();
        if !host.is_empty() {
            binds.push(host.to_string());
            cond.push(match self.backend {
                Backend::Sqlite => format!("host = ${} COLLATE NOCASE", binds.len()),
                Backend::Postgres => format!("LOWER(host) = LOWER(${})", binds.len()),
            });
        }
        let mut exact_field = None;
        if let Some((name, value)) = &q.field {
            // Fields are stored as JSON `[name, value]` pairs: look for that exact pair's text.
            let pair = format!(
                "%{},{}]%",
                escape_like(&serde_json::Value::from(name.trim()).to_string()),
                escape_like(&serde_json::Value::from(value.trim()).to_string())
            );
            binds.push(pair);
            let stored = format!("fields {like} ${} ESCAPE '!'", binds.len());
            // A Windows JSON event keeps its fields in its original only: narrow by the value's JSON text where
            // every encoder writes it the same way, then check the pair on the rows read.
            let derived = match json_text_everywhere(value.trim()) {
                Some(text) => {
                    binds.push(format!("%{}%", escape_like(&text)));
                    format!("(fields = '' AND original {like} ${} ESCAPE '!')", binds.len())
                }
                None => "fields = ''".to_string(),
            };
            cond.push(format!("({stored} OR {derived})"));
            exact_field = Some((name.trim().to_string(), value.trim().to_string()));
        }
        for word in q.text.split_whitespace().take(5) {
            binds.push(format!("%{}%", escape_like(word)));
            cond.push(format!("original {like} ${} ESCAPE '!'", binds.len()));
        }
        let limit = if q.limit <= 0 { 50 } else { q.limit.min(500) };
        let mut items: Vec<StoredEvent> = Vec::new();
        let mut before = q.before;
        // Rows read are checked for an exact field pair when the database could only narrow them: read on
        // until the page is full or nothing is left.
        loop {
            let mut page_cond = cond.clone();
            if let Some(b) = before {
                page_cond.push(format!("id < {b}"));
            }
            let wh = if page_cond.is_empty() {
                String::new()
            } else {
                format!(" WHERE {}", page_cond.join(" AND "))
            };
            let want = limit + 1 - items.len() as i64;
            let sql = format!("SELECT * FROM events{wh} ORDER BY {order} LIMIT {want}");
            let mut query = sqlx::query(&sql);
            for b in &binds {
                query = query.bind(b.clone());
            }
            let rows = query.fetch_all(&self.pool).await?;
            let read = rows.len() as i64;
            for r in &rows {
                let e = row_to_event(r)?;
                before = Some(e.id);
                if exact_field.as_ref().is_none_or(|(n, v)| e.has_field(n, v)) {
                    items.push(e);
                }
            }
            if read < want || items.len() as i64 > limit {
                break;
            }
        }
        let next = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|e| e.id)
        } else {
            None
        };
        Ok(EventPage { items, next })
    }

    /// Sets how many days `unit` keeps its events (1 to 3650).
    pub async fn set_event_retention(&self, actor: &Actor, unit: UnitId, days: i64) -> Result<()> {
        if !actor.allows(Permission::Read, unit) {
            return Err(StoreError::NotFound);
        }
        if !actor.allows(Permission::AdministerUnit, unit) {
            return Err(StoreError::Forbidden);
        }
        if !(1..=3650).contains(&days) {
            return Err(invalid("days", "err.out_of_range"));
        }
        let before = self.event_retention(unit).await?;
        let mut w = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO event_retention (unit_id, days) VALUES ($1, $2) \
             ON CONFLICT (unit_id) DO UPDATE SET days = excluded.days",
        )
        .bind(unit.0)
        .bind(days)
        .execute(&mut *w.tx)
        .await?;
        let change = Change::new("update", "event_retention", unit.0.to_string())
            .unit(unit)
            .before(&before)
            .after(&days);
        append(&mut w, Some(actor), change).await?;
        w.commit().await
    }

    /// How many days `unit` keeps its events, when set.
    pub async fn event_retention(&self, unit: UnitId) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT days FROM event_retention WHERE unit_id = $1")
            .bind(unit.0)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| get_i64(&r, "days")).transpose()
    }

    /// Deletes events older than their unit's retention (or `default_days`) at `now`, at most `batch` rows per
    /// statement; returns how many went. Events the pipeline has not read yet are kept.
    pub async fn purge_events(&self, now: Millis, default_days: i64, batch: i64) -> Result<u64> {
        let units = sqlx::query("SELECT id FROM units").fetch_all(&self.pool).await?;
        let position = self.pipeline_position(crate::PIPELINE).await?;
        let mut deleted = 0;
        for u in &units {
            let unit = UnitId(get_i64(u, "id")?);
            let days = self.event_retention(unit).await?.unwrap_or(default_days);
            let cutoff = now - days * 86_400_000;
            loop {
                let mut w = self.begin_write().await?;
                let done = sqlx::query(
                    "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE unit_id = $1 AND received_at < $2 \
                     AND id <= $3 ORDER BY id LIMIT $4)",
                )
                .bind(unit.0)
                .bind(cutoff)
                .bind(position)
                .bind(batch)
                .execute(&mut *w.tx)
                .await?
                .rows_affected();
                w.commit().await?;
                deleted += done;
                if done < batch.max(1) as u64 {
                    break;
                }
            }
        }
        Ok(deleted)
    }
}

/// Saves a pipeline's position inside a write transaction.
pub(crate) async fn save_position(w: &mut crate::WriteTx<'_>, name: &str, position: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO pipeline_state (name, position) VALUES ($1, $2) \
         ON CONFLICT (name) DO UPDATE SET position = excluded.position",
    )
    .bind(name)
    .bind(position)
    .execute(&mut *w.tx)
    .await?;
    Ok(())
}

/// Escapes `%`, `_` and the escape character `!` for `LIKE … ESCAPE '!'`.
/// The text of `value` inside a JSON string as every common encoder writes it (only `"` and `\` escaped), or
/// `None` when encoders differ on one of its characters (controls, `<`, `>`, `&`, `/`, non-ASCII) or it is empty.
fn json_text_everywhere(value: &str) -> Option<String> {
    if value.is_empty()
        || value
            .chars()
            .any(|c| !c.is_ascii() || c.is_ascii_control() || matches!(c, '<' | '>' | '&' | '/'))
    {
        return None;
    }
    Some(value.replace('\\', "\\\\").replace('"', "\\\""))
}

fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '!') {
            out.push('!');
        }
        out.push(c);
    }
    out
}
