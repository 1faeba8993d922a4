//! A task's result from its agent, recorded once: the task's state, counts and problems, and for a scan each
//! file found as a detection of the unit and an alert in the queue (rule `scan/<YARA rule>` or
//! `scan/hash:<list>`), all in one transaction. A repeated result (the agent re-sent it after a lost answer) changes
//! nothing and is answered with what was recorded.

use canhgac_model::scan::{TaskOutcome, TaskResult};
use canhgac_model::{NewAlert, Severity};
use serde::Serialize;

use super::tasks::{task_row, ScanTask};
use crate::alerts::Raised;
use crate::audit::{append, Change};
use crate::raise::raise_batch;
use crate::{get_i64, now_ms, Agent, Result, Store, StoreError};

/// Problems kept per task (the rest are counted in `skipped`).
const MAX_PROBLEMS: usize = 500;

/// What recording a result did.
#[derive(Debug, Clone, Serialize)]
pub struct TaskRecorded {
    pub task: ScanTask,
    /// The result had been recorded before; nothing changed.
    pub repeated: bool,
    /// Detections of this task.
    pub detections: i64,
}

/// The last part of a `/`-separated name (a list's file name without the version prefix).
fn short(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// One alert per rule and list hit of each file found: (rule id, namespace or list, alert).
fn alerts_for(agent: &Agent, task_id: i64, r: &TaskResult, now: i64) -> Vec<(String, NewAlert, usize)> {
    let mut out = Vec::new();
    for (i, f) in r.found.iter().enumerate() {
        let hits = f
            .rules
            .iter()
            .map(|r| {
                let (ns, rule) = r.rsplit_once(':').unwrap_or(("", r));
                (format!("scan/{rule}"), ns.to_string())
            })
            .chain(
                f.hash_lists
                    .iter()
                    .map(|l| (format!("scan/hash:{}", short(l)), l.clone())),
            );
        for (rule_id, origin) in hits {
            let details = serde_json::json!({
                "path": f.path, "sha256": f.sha256, "size": f.size, "mtime": f.mtime, "mode": f.mode,
                "origin": origin, "task_id": task_id, "agent_id": agent.id,
            });
            let alert = NewAlert {
                unit_id: agent.unit_id,
                source: "malware".into(),
                rule_id: rule_id.clone(),
                title: format!("{rule_id}: {}", f.path),
                severity: Severity::High,
                host: agent.hostname.clone(),
                seen_at: now,
                details,
                event_key: Some(format!("scan:{task_id}:{}:{rule_id}", f.path)),
            };
            out.push((rule_id, alert, i));
        }
    }
    out
}

impl Store {
    /// Records the result of the agent's own task `r.task_id` (another agent's task is `NotFound`).
    pub async fn record_task_result(&self, agent: &Agent, r: &TaskResult) -> Result<TaskRecorded> {
        let now = now_ms();
        let mut w = self.begin_write().await?;
        let task = sqlx::query("SELECT * FROM scan_tasks WHERE id = $1 AND agent_id = $2")
            .bind(r.task_id)
            .bind(agent.id)
            .fetch_optional(&mut *w.tx)
            .await?
            .as_ref()
            .map(task_row)
            .transpose()?
            .ok_or(StoreError::NotFound)?;
        if matches!(task.state.as_str(), "done" | "failed") {
            drop(w);
            let detections = get_i64(
                &sqlx::query("SELECT COUNT(*) AS n FROM scan_detections WHERE task_id = $1")
                    .bind(task.id)
                    .fetch_one(&self.pool)
                    .await?,
                "n",
            )?;
            return Ok(TaskRecorded {
                task,
                repeated: true,
                detections,
            });
        }
        let state = match r.outcome {
            TaskOutcome::Done => "done",
            TaskOutcome::Failed => "failed",
        };
        let problems: Vec<_> = r.problems.iter().take(MAX_PROBLEMS).collect();
        let action = if r.action.is_null() {
            String::new()
        } else {
            r.action.to_string()
        };
        let row = sqlx::query(
            "UPDATE scan_tasks SET state = $1, finished_at = $2, started_at = COALESCE(started_at, $2), \
             bundle_digest = $3, bundle_error = $4, message = $5, scanned = $6, bytes = $7, skipped = $8, found = $9, \
             duration_ms = $10, problems = $11, action = $12 WHERE id = $13 RETURNING *",
        )
        .bind(state)
        .bind(now)
        .bind(r.bundle_digest.clone().unwrap_or_default())
        .bind(r.bundle_error.clone().unwrap_or_default())
        .bind(r.message.chars().take(2000).collect::<String>())
        .bind(i64::try_from(r.scanned).unwrap_or(i64::MAX))
        .bind(i64::try_from(r.bytes).unwrap_or(i64::MAX))
        .bind(i64::try_from(r.skipped).unwrap_or(i64::MAX))
        .bind(r.found.len() as i64)
        .bind(i64::try_from(r.duration_ms).unwrap_or(i64::MAX))
        .bind(serde_json::to_string(&problems).unwrap_or_else(|_| "[]".into()))
        .bind(action)
        .bind(task.id)
        .fetch_one(&mut *w.tx)
        .await?;
        let after = task_row(&row)?;
        let mut raised_alerts: Vec<Raised> = Vec::new();
        let mut detections = 0;
        if task.kind == "scan" && r.outcome == TaskOutcome::Done {
            let planned = alerts_for(agent, task.id, r, now);
            let alerts: Vec<NewAlert> = planned.iter().map(|(_, a, _)| a.clone()).collect();
            raised_alerts = raise_batch(&mut w, self.backend, &alerts, 0, now).await?;
            for ((rule, _, i), raised) in planned.iter().zip(&raised_alerts) {
                let Some(f) = r.found.get(*i) else { continue };
                sqlx::query(
                    "INSERT INTO scan_detections (unit_id, task_id, agent_id, asset_id, hostname, path, sha256, size, \
                     mtime, mode, rule, alert_id, found_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                )
                .bind(agent.unit_id.0)
                .bind(task.id)
                .bind(agent.id)
                .bind(agent.asset_id)
                .bind(agent.hostname.clone())
                .bind(f.path.clone())
                .bind(f.sha256.clone())
                .bind(i64::try_from(f.size).unwrap_or(i64::MAX))
                .bind(f.mtime)
                .bind(f.mode.map(i64::from))
                .bind(rule.clone())
                .bind(match raised {
                    Raised::Suppressed(_) => None,
                    other => Some(other.alert_id()),
                })
                .bind(now)
                .execute(&mut *w.tx)
                .await?;
                detections += 1;
            }
        }
        if let (Some(d), "quarantine" | "restore" | "delete") = (task.detection_id, task.kind.as_str()) {
            if r.outcome == TaskOutcome::Done {
                let new_state = match task.kind.as_str() {
                    "quarantine" => "quarantined",
                    "restore" => "restored",
                    _ => "deleted",
                };
                sqlx::query("UPDATE scan_detections SET state = $1 WHERE id = $2")
                    .bind(new_state)
                    .bind(d)
                    .execute(&mut *w.tx)
                    .await?;
            }
            let change = Change::new(&format!("{}_result", task.kind), "scan_task", task.id.to_string())
                .unit(task.unit_id)
                .before(&task)
                .after(&after);
            append(&mut w, None, change).await?;
        }
        w.commit().await?;
        for raised in &raised_alerts {
            if matches!(raised, Raised::Created(_) | Raised::Grouped(_)) {
                self.notify(agent.unit_id, raised.alert_id());
            }
        }
        Ok(TaskRecorded {
            task: after,
            repeated: false,
            detections,
        })
    }
}
