//! Actions on a detection's file: a quarantine, restore or delete task for the agent that found it, asked by the
//! unit's administrators and duty officers (or the Department). Only one such task per detection waits at a time,
//! and the detection's state must allow the action (quarantine: open or restored; restore: quarantined; delete:
//! anything but deleted). Audited.

use canhgac_model::scan::{ScanProfile, TaskKind};
use canhgac_model::{Actor, Permission};

use super::invalid;
use super::tasks::{insert_task, ScanTask, TaskSpec};
use crate::agents::row_to_agent;
use crate::audit::{append, Change};
use crate::{get_i64, now_ms, Result, Store, StoreError};

/// Whether a detection in `state` allows `kind`.
fn allowed(kind: TaskKind, state: &str) -> bool {
    match kind {
        TaskKind::Quarantine => matches!(state, "open" | "restored"),
        TaskKind::Restore => state == "quarantined",
        TaskKind::Delete => state != "deleted",
        TaskKind::Scan => false,
    }
}

impl Store {
    /// Creates a quarantine, restore or delete task for detection `id` on the agent that found it.
    pub async fn create_detection_task(&self, actor: &Actor, id: i64, kind: TaskKind) -> Result<ScanTask> {
        let d = self.scan_detection(actor, id).await?;
        if !actor.allows(Permission::Operate, d.unit_id) {
            return Err(StoreError::Forbidden);
        }
        if kind == TaskKind::Scan {
            return Err(invalid("action", "err.choice"));
        }
        if !allowed(kind, &d.state) {
            return Err(invalid("action", "err.scan_action_state"));
        }
        let agent = sqlx::query("SELECT * FROM agents WHERE id = $1 AND revoked_at IS NULL")
            .bind(d.agent_id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(row_to_agent)
            .transpose()?
            .ok_or_else(|| invalid("action", "err.scan_action_no_agent"))?;
        let now = now_ms();
        let mut w = self.begin_write().await?;
        let pending = sqlx::query(
            "SELECT COUNT(*) AS n FROM scan_tasks WHERE detection_id = $1 AND state IN ('queued', 'sent', 'running')",
        )
        .bind(id)
        .fetch_one(&mut *w.tx)
        .await?;
        if get_i64(&pending, "n")? > 0 {
            return Err(invalid("action", "err.scan_action_pending"));
        }
        let spec = TaskSpec {
            kind,
            profile: ScanProfile::Quick,
            threads: 0,
            origin: "detection",
            detection_id: Some(id),
            requested_by: Some(actor.user_id),
        };
        let task = insert_task(&mut w, &agent, &spec, now).await?;
        let change = Change::new(kind.as_str(), "scan_detection", id.to_string())
            .unit(d.unit_id)
            .before(&d)
            .after(&task);
        append(&mut w, Some(actor), change).await?;
        w.commit().await?;
        Ok(task)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_allow_their_actions() {
        assert!(allowed(TaskKind::Quarantine, "open"));
        assert!(allowed(TaskKind::Quarantine, "restored"));
        assert!(!allowed(TaskKind::Quarantine, "quarantined"));
        assert!(allowed(TaskKind::Restore, "quarantined"));
        assert!(!allowed(TaskKind::Restore, "open"));
        assert!(allowed(TaskKind::Delete, "quarantined"));
        assert!(!allowed(TaskKind::Delete, "deleted"));
        assert!(!allowed(TaskKind::Scan, "open"));
    }
}
