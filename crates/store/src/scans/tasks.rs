//! Scan tasks: created on demand for one host, the hosts with a tag, a whole unit or the unit's botnet priority
//! queue, or by a unit's nightly schedule; one task per agent, `queued` → `sent` (the agent fetched it) →
//! `running` → `done` / `failed`. An agent reads only its own tasks.

use std::collections::BTreeSet;

use canhgac_model::scan::{AgentTask, ScanProfile, TaskKind};
use canhgac_model::{Actor, Millis, Permission, Scope, UnitId, UserId};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{invalid, json_col};
use crate::agents::row_to_agent;
use crate::audit::{append, Change};
use crate::{get_i64, get_str, now_ms, Agent, Result, Store, StoreError, WriteTx};

/// Which machines an on-demand scan covers (always within one unit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "target", rename_all = "snake_case")]
pub enum ScanTarget {
    /// One host (an asset with an agent).
    Host { asset_id: i64 },
    /// Every host carrying this tag.
    Tag { tag: String },
    /// Every enrolled agent of the unit.
    Unit,
    /// Every host of the unit's botnet priority queue (assets of open remediation items).
    Botnet,
}

/// A request for scan tasks.
#[derive(Debug, Clone)]
pub struct NewScanTasks {
    pub unit: UnitId,
    pub target: ScanTarget,
    pub profile: ScanProfile,
    /// Scan threads asked of the agent (0: its own setting).
    pub threads: i64,
}

/// A task as stored.
#[derive(Debug, Clone, Serialize)]
pub struct ScanTask {
    pub id: i64,
    pub unit_id: UnitId,
    pub agent_id: i64,
    pub asset_id: Option<i64>,
    pub hostname: String,
    pub kind: String,
    pub profile: String,
    pub threads: i64,
    /// `demand`, `schedule`.
    pub origin: String,
    pub detection_id: Option<i64>,
    /// `queued`, `sent`, `running`, `done`, `failed`.
    pub state: String,
    pub requested_by: Option<UserId>,
    pub created_at: Millis,
    pub sent_at: Option<Millis>,
    pub started_at: Option<Millis>,
    pub finished_at: Option<Millis>,
    pub bundle_digest: String,
    pub bundle_error: String,
    pub message: String,
    pub scanned: i64,
    pub bytes: i64,
    pub skipped: i64,
    pub found: i64,
    pub duration_ms: i64,
    pub problems: Vec<canhgac_model::scan::ScanProblem>,
    pub action: serde_json::Value,
}

/// What a request created, and the hosts it could not reach.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TasksCreated {
    pub created: Vec<ScanTask>,
    /// Targeted hosts with no enrolled agent.
    pub without_agent: Vec<String>,
    /// Agents that already had a scan of that profile waiting or running.
    pub already_pending: Vec<String>,
}

/// A unit's nightly scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanSchedule {
    pub unit_id: UnitId,
    /// Hour of the night, Vietnam time (0–23).
    pub hour: i64,
    pub profile: String,
    pub enabled: bool,
    /// The last day (Vietnam time, `YYYY-MM-DD`) it created tasks.
    pub last_day: String,
}

fn opt(r: &AnyRow, col: &str) -> Result<Option<i64>> {
    Ok(r.try_get::<Option<i64>, _>(col)?)
}

pub(crate) fn task_row(r: &AnyRow) -> Result<ScanTask> {
    let action = get_str(r, "action")?;
    Ok(ScanTask {
        id: get_i64(r, "id")?,
        unit_id: UnitId(get_i64(r, "unit_id")?),
        agent_id: get_i64(r, "agent_id")?,
        asset_id: opt(r, "asset_id")?,
        hostname: get_str(r, "hostname")?,
        kind: get_str(r, "kind")?,
        profile: get_str(r, "profile")?,
        threads: get_i64(r, "threads")?,
        origin: get_str(r, "origin")?,
        detection_id: opt(r, "detection_id")?,
        state: get_str(r, "state")?,
        requested_by: opt(r, "requested_by")?.map(UserId),
        created_at: get_i64(r, "created_at")?,
        sent_at: opt(r, "sent_at")?,
        started_at: opt(r, "started_at")?,
        finished_at: opt(r, "finished_at")?,
        bundle_digest: get_str(r, "bundle_digest")?,
        bundle_error: get_str(r, "bundle_error")?,
        message: get_str(r, "message")?,
        scanned: get_i64(r, "scanned")?,
        bytes: get_i64(r, "bytes")?,
        skipped: get_i64(r, "skipped")?,
        found: get_i64(r, "found")?,
        duration_ms: get_i64(r, "duration_ms")?,
        problems: json_col(r, "problems")?,
        action: if action.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&action).map_err(|e| StoreError::Corrupt(format!("action: {e}")))?
        },
    })
}

/// The asset ids of `unit`'s botnet priority queue: the machines of its open, unsuppressed remediation items.
pub(crate) async fn botnet_asset_ids(pool: &sqlx::AnyPool, unit: UnitId) -> Result<BTreeSet<i64>> {
    let rows = sqlx::query(
        "SELECT assets FROM botnet_items WHERE unit_id = $1 AND state IN ('new', 'investigating') \
         AND suppressed_by = ''",
    )
    .bind(unit.0)
    .fetch_all(pool)
    .await?;
    let mut ids = BTreeSet::new();
    for r in &rows {
        let assets: Vec<serde_json::Value> = super::json_col(r, "assets")?;
        ids.extend(assets.iter().filter_map(|a| a["id"].as_i64()));
    }
    Ok(ids)
}

/// A new task row for `agent`, inside `w`.
pub(crate) struct TaskSpec<'a> {
    pub kind: TaskKind,
    pub profile: ScanProfile,
    pub threads: i64,
    pub origin: &'a str,
    pub detection_id: Option<i64>,
    pub requested_by: Option<UserId>,
}

pub(crate) async fn insert_task(
    w: &mut WriteTx<'_>,
    agent: &Agent,
    spec: &TaskSpec<'_>,
    now: Millis,
) -> Result<ScanTask> {
    let row = sqlx::query(
        "INSERT INTO scan_tasks (unit_id, agent_id, asset_id, hostname, kind, profile, threads, origin, \
         detection_id, state, requested_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'queued', $10, $11) RETURNING *",
    )
    .bind(agent.unit_id.0)
    .bind(agent.id)
    .bind(agent.asset_id)
    .bind(agent.hostname.clone())
    .bind(spec.kind.as_str())
    .bind(spec.profile.as_str())
    .bind(spec.threads)
    .bind(spec.origin.to_string())
    .bind(spec.detection_id)
    .bind(spec.requested_by.map(|u| u.0))
    .bind(now)
    .fetch_one(&mut *w.tx)
    .await?;
    task_row(&row)
}

/// Agents that already have a scan of `profile` waiting or running.
async fn pending_agents(w: &mut WriteTx<'_>, unit: UnitId, profile: ScanProfile) -> Result<BTreeSet<i64>> {
    let rows = sqlx::query(
        "SELECT agent_id FROM scan_tasks WHERE unit_id = $1 AND kind = 'scan' AND profile = $2 \
         AND state IN ('queued', 'sent', 'running')",
    )
    .bind(unit.0)
    .bind(profile.as_str())
    .fetch_all(&mut *w.tx)
    .await?;
    rows.iter().map(|r| get_i64(r, "agent_id")).collect()
}

/// Vietnam-local day and hour of `now`.
fn local_day_hour(now: Millis) -> (String, i64) {
    let t = chrono::DateTime::from_timestamp_millis(now + 7 * 3_600_000).unwrap_or_default();
    (
        t.format("%Y-%m-%d").to_string(),
        i64::from(chrono::Timelike::hour(&t)),
    )
}

impl Store {
    async fn unit_agents(&self, unit: UnitId) -> Result<Vec<Agent>> {
        let rows = sqlx::query(
            "SELECT * FROM agents WHERE unit_id = $1 AND revoked_at IS NULL ORDER BY hostname, id",
        )
        .bind(unit.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row_to_agent).collect()
    }

    /// The agents a target reaches and the host names of targeted assets that have none.
    async fn target_agents(&self, unit: UnitId, target: &ScanTarget) -> Result<(Vec<Agent>, Vec<String>)> {
        let agents = self.unit_agents(unit).await?;
        let assets: Option<Vec<(i64, String)>> = match target {
            ScanTarget::Unit => None,
            ScanTarget::Host { asset_id } => {
                let row = sqlx::query("SELECT id, hostname FROM assets WHERE id = $1 AND unit_id = $2")
                    .bind(*asset_id)
                    .bind(unit.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                Some(vec![(get_i64(&row, "id")?, get_str(&row, "hostname")?)])
            }
            ScanTarget::Tag { tag } => {
                let tag = tag.trim();
                if tag.is_empty() {
                    return Err(invalid("tag", "err.required"));
                }
                let rows = sqlx::query(
                    "SELECT id, hostname, tags FROM assets WHERE unit_id = $1 AND status = 'active' ORDER BY hostname",
                )
                .bind(unit.0)
                .fetch_all(&self.pool)
                .await?;
                let mut out = Vec::new();
                for r in &rows {
                    if get_str(r, "tags")?
                        .split('\u{1f}')
                        .any(|t| t.eq_ignore_ascii_case(tag))
                    {
                        out.push((get_i64(r, "id")?, get_str(r, "hostname")?));
                    }
                }
                Some(out)
            }
            ScanTarget::Botnet => {
                let ids = botnet_asset_ids(&self.pool, unit).await?;
                let mut out = Vec::new();
                for id in ids {
                    if let Some(r) =
                        sqlx::query("SELECT id, hostname FROM assets WHERE id = $1 AND unit_id = $2")
                            .bind(id)
                            .bind(unit.0)
                            .fetch_optional(&self.pool)
                            .await?
                    {
                        out.push((get_i64(&r, "id")?, get_str(&r, "hostname")?));
                    }
                }
                Some(out)
            }
        };
        let Some(assets) = assets else {
            return Ok((agents, Vec::new()));
        };
        let mut reached = Vec::new();
        let mut without = Vec::new();
        for (id, host) in assets {
            match agents
                .iter()
                .filter(|a| a.asset_id == Some(id))
                .max_by_key(|a| a.id)
            {
                Some(a) => reached.push(a.clone()),
                None => without.push(host),
            }
        }
        Ok((reached, without))
    }

    /// Creates scan tasks on demand (duty officers and administrators of the unit). An agent that already has a
    /// scan of the same profile waiting or running gets no second one. Audited.
    pub async fn create_scan_tasks(&self, actor: &Actor, req: &NewScanTasks) -> Result<TasksCreated> {
        if !actor.allows(Permission::Read, req.unit) {
            return Err(StoreError::NotFound);
        }
        if !actor.allows(Permission::Operate, req.unit) {
            return Err(StoreError::Forbidden);
        }
        if !(0..=64).contains(&req.threads) {
            return Err(invalid("threads", "err.scan_threads"));
        }
        if self.effective_bundle(req.unit).await?.is_none() {
            return Err(invalid("target", "err.scan_no_ruleset"));
        }
        let (agents, without_agent) = self.target_agents(req.unit, &req.target).await?;
        let spec = TaskSpec {
            kind: TaskKind::Scan,
            profile: req.profile,
            threads: req.threads,
            origin: "demand",
            detection_id: None,
            requested_by: Some(actor.user_id),
        };
        let now = now_ms();
        let mut w = self.begin_write().await?;
        let pending = pending_agents(&mut w, req.unit, req.profile).await?;
        let mut out = TasksCreated {
            without_agent,
            ..Default::default()
        };
        for agent in &agents {
            if pending.contains(&agent.id) {
                out.already_pending.push(agent.hostname.clone());
                continue;
            }
            out.created.push(insert_task(&mut w, agent, &spec, now).await?);
        }
        let summary = serde_json::json!({
            "target": &req.target,
            "profile": req.profile.as_str(),
            "tasks": out.created.iter().map(|t| t.id).collect::<Vec<_>>(),
            "without_agent": &out.without_agent,
            "already_pending": &out.already_pending,
        });
        let first = out.created.first().map_or(0, |t| t.id);
        let change = Change::new("create", "scan_tasks", first.to_string())
            .unit(req.unit)
            .after(&summary);
        append(&mut w, Some(actor), change).await?;
        w.commit().await?;
        Ok(out)
    }

    /// The tasks the actor may see (one unit when given), newest first, at most `limit`.
    pub async fn scan_tasks(&self, actor: &Actor, unit: Option<UnitId>, limit: i64) -> Result<Vec<ScanTask>> {
        let filter = match (actor.scope(), unit) {
            (Scope::Nothing, _) => return Err(StoreError::Forbidden),
            (Scope::All, None) => "1 = 1".to_string(),
            (scope, Some(u)) if scope.covers(u) => format!("unit_id = {}", u.0),
            (Scope::Unit(u), _) => format!("unit_id = {}", u.0),
            (Scope::All, Some(u)) => format!("unit_id = {}", u.0),
        };
        let rows = sqlx::query(&format!(
            "SELECT * FROM scan_tasks WHERE {filter} ORDER BY id DESC LIMIT {}",
            limit.clamp(1, 10_000)
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(task_row).collect()
    }

    /// One task in the actor's scope.
    pub async fn scan_task(&self, actor: &Actor, id: i64) -> Result<ScanTask> {
        let t = self.task_by_id(id).await?;
        if actor.allows(Permission::Read, t.unit_id) {
            Ok(t)
        } else {
            Err(StoreError::NotFound)
        }
    }

    pub(crate) async fn task_by_id(&self, id: i64) -> Result<ScanTask> {
        sqlx::query("SELECT * FROM scan_tasks WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(task_row)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    /// The agent's own waiting tasks (queued or already sent and not started), oldest first; queued ones become
    /// `sent`. Scan tasks carry the digest of the agent's current effective bundle.
    pub async fn agent_tasks(&self, agent: &Agent) -> Result<Vec<AgentTask>> {
        let now = now_ms();
        let mut w = self.begin_write().await?;
        let rows = sqlx::query(
            "SELECT * FROM scan_tasks WHERE agent_id = $1 AND state IN ('queued', 'sent') ORDER BY id",
        )
        .bind(agent.id)
        .fetch_all(&mut *w.tx)
        .await?;
        let tasks: Vec<ScanTask> = rows.iter().map(task_row).collect::<Result<_>>()?;
        sqlx::query(
            "UPDATE scan_tasks SET state = 'sent', sent_at = $1 WHERE agent_id = $2 AND state = 'queued'",
        )
        .bind(now)
        .bind(agent.id)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        if tasks.is_empty() {
            return Ok(Vec::new());
        }
        let digest = self.effective_bundle(agent.unit_id).await?.map(|(d, _)| d);
        let mut out = Vec::with_capacity(tasks.len());
        for t in tasks {
            let kind = TaskKind::parse(&t.kind)
                .ok_or_else(|| StoreError::Corrupt(format!("task kind {}", t.kind)))?;
            let (path, sha256) = match t.detection_id {
                Some(d) => {
                    let r = sqlx::query("SELECT path, sha256 FROM scan_detections WHERE id = $1")
                        .bind(d)
                        .fetch_one(&self.pool)
                        .await?;
                    (Some(get_str(&r, "path")?), Some(get_str(&r, "sha256")?))
                }
                None => (None, None),
            };
            out.push(AgentTask {
                id: t.id,
                kind,
                profile: ScanProfile::parse(&t.profile).unwrap_or(ScanProfile::Quick),
                threads: t.threads,
                bundle_digest: if kind == TaskKind::Scan {
                    digest.clone()
                } else {
                    None
                },
                path,
                sha256,
            });
        }
        Ok(out)
    }

    /// The agent started its task `id` (its own, sent or queued): `running`.
    pub async fn agent_task_started(&self, agent: &Agent, id: i64) -> Result<()> {
        let mut w = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE scan_tasks SET state = 'running', started_at = $1 WHERE id = $2 AND agent_id = $3 \
             AND state IN ('queued', 'sent')",
        )
        .bind(now_ms())
        .bind(id)
        .bind(agent.id)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        w.commit().await?;
        if done == 0 {
            // Someone else's task, or one already running or finished.
            self.task_by_id(id)
                .await
                .ok()
                .filter(|t| t.agent_id == agent.id)
                .ok_or(StoreError::NotFound)?;
        }
        Ok(())
    }

    /// Sets `unit`'s nightly scan: at `hour` (Vietnam time) with `profile`, or off when `hour` is `None`. The
    /// unit's administrators and the Department. Audited.
    pub async fn set_scan_schedule(
        &self,
        actor: &Actor,
        unit: UnitId,
        hour: Option<i64>,
        profile: ScanProfile,
    ) -> Result<ScanSchedule> {
        if !actor.allows(Permission::Read, unit) {
            return Err(StoreError::NotFound);
        }
        if !actor.allows(Permission::AdministerUnit, unit) {
            return Err(StoreError::Forbidden);
        }
        if hour.is_some_and(|h| !(0..=23).contains(&h)) {
            return Err(invalid("hour", "err.scan_hour"));
        }
        let mut w = self.begin_write().await?;
        crate::rules::check_unit(&mut w, Some(unit)).await?;
        let before = sqlx::query("SELECT * FROM scan_schedules WHERE unit_id = $1")
            .bind(unit.0)
            .fetch_optional(&mut *w.tx)
            .await?
            .as_ref()
            .map(schedule_row)
            .transpose()?;
        sqlx::query("DELETE FROM scan_schedules WHERE unit_id = $1")
            .bind(unit.0)
            .execute(&mut *w.tx)
            .await?;
        let row = sqlx::query(
            "INSERT INTO scan_schedules (unit_id, hour, profile, enabled, last_day, changed_by, changed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
        )
        .bind(unit.0)
        .bind(hour.unwrap_or(0))
        .bind(profile.as_str())
        .bind(i64::from(hour.is_some()))
        .bind(before.as_ref().map(|b| b.last_day.clone()).unwrap_or_default())
        .bind(actor.user_id.0)
        .bind(now_ms())
        .fetch_one(&mut *w.tx)
        .await?;
        let after = schedule_row(&row)?;
        let mut change = Change::new("set", "scan_schedule", unit.0.to_string())
            .unit(unit)
            .after(&after);
        if let Some(b) = &before {
            change = change.before(b);
        }
        append(&mut w, Some(actor), change).await?;
        w.commit().await?;
        Ok(after)
    }

    /// The nightly schedules of the actor's units.
    pub async fn scan_schedules(&self, actor: &Actor) -> Result<Vec<ScanSchedule>> {
        let filter = match actor.scope() {
            Scope::All => "1 = 1".to_string(),
            Scope::Unit(u) => format!("unit_id = {}", u.0),
            Scope::Nothing => return Err(StoreError::Forbidden),
        };
        let rows = sqlx::query(&format!(
            "SELECT * FROM scan_schedules WHERE {filter} ORDER BY unit_id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(schedule_row).collect()
    }

    /// Creates the scheduled tasks due at `now`: for each enabled schedule whose hour it is (Vietnam time) and
    /// which has not run today, a task for every agent of the unit without one of that profile pending. Units
    /// without a rule set are skipped. Returns the tasks created.
    pub async fn run_scan_schedules(&self, now: Millis) -> Result<Vec<ScanTask>> {
        let (day, hour) = local_day_hour(now);
        let rows =
            sqlx::query("SELECT * FROM scan_schedules WHERE enabled = 1 AND hour = $1 AND last_day <> $2")
                .bind(hour)
                .bind(day.clone())
                .fetch_all(&self.pool)
                .await?;
        let due: Vec<ScanSchedule> = rows.iter().map(schedule_row).collect::<Result<_>>()?;
        let mut created = Vec::new();
        for s in due {
            let has_rules = self.effective_bundle(s.unit_id).await?.is_some();
            let agents = self.unit_agents(s.unit_id).await?;
            let profile = ScanProfile::parse(&s.profile).unwrap_or(ScanProfile::Full);
            let spec = TaskSpec {
                kind: TaskKind::Scan,
                profile,
                threads: 0,
                origin: "schedule",
                detection_id: None,
                requested_by: None,
            };
            let mut w = self.begin_write().await?;
            let pending = pending_agents(&mut w, s.unit_id, profile).await?;
            if has_rules {
                for a in agents.iter().filter(|a| !pending.contains(&a.id)) {
                    created.push(insert_task(&mut w, a, &spec, now).await?);
                }
            }
            sqlx::query("UPDATE scan_schedules SET last_day = $1 WHERE unit_id = $2")
                .bind(day.clone())
                .bind(s.unit_id.0)
                .execute(&mut *w.tx)
                .await?;
            w.commit().await?;
        }
        Ok(created)
    }
}

fn schedule_row(r: &AnyRow) -> Result<ScanSchedule> {
    Ok(ScanSchedule {
        unit_id: UnitId(get_i64(r, "unit_id")?),
        hour: get_i64(r, "hour")?,
        profile: get_str(r, "profile")?,
        enabled: get_i64(r, "enabled")? != 0,
        last_day: get_str(r, "last_day")?,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn local_day_and_hour_are_vietnam_time() {
        // 2026-11-26 17:30 UTC is 00:30 on the 27th in Vietnam.
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-26T17:30:00Z")
            .map(|d| d.timestamp_millis())
            .unwrap_or_default();
        assert_eq!(super::local_day_hour(t), ("2026-11-27".to_string(), 0));
    }
}
