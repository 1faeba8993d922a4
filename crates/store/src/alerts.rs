//! Alerts: raised by the pipeline (no person), worked by people (claim, assign, verify, close, comment), each
//! human change audited. Repeats of one rule on one host within a window group into one alert; an event key makes
//! a replayed detection count once; suppressions for known false positives count what they hide.

use canhgac_model::{
    Actor, Alert, AlertComment, AlertStatus, FieldError, Invalid, Millis, NewAlert, Permission, Role, Scope,
    Severity, UnitId, UserId, Verdict,
};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::audit::{append, Change};
use crate::raise::raise_batch;
use crate::{get_i64, get_str, now_ms, parse_enum, Page, Result, Store, StoreError};

/// A change to an alert, broadcast to live consoles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AlertNotice {
    pub unit_id: UnitId,
    pub alert_id: i64,
}

/// What raising a detection did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Raised {
    /// A new alert.
    Created(i64),
    /// Added to an open alert of the same rule and host.
    Grouped(i64),
    /// The event was already counted (a replay).
    Duplicate(i64),
    /// Hidden by a suppression (counted on it).
    Suppressed(i64),
}

impl Raised {
    /// The alert it concerns (for [`Raised::Suppressed`], the suppression's id).
    pub fn alert_id(&self) -> i64 {
        match *self {
            Raised::Created(id) | Raised::Grouped(id) | Raised::Duplicate(id) | Raised::Suppressed(id) => id,
        }
    }
}

/// Filters of the alert queue.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub struct AlertQuery {
    #[serde(default)]
    pub unit_id: Option<i64>,
    /// `open` (default: everything not closed), `all`, or one status.
    #[serde(default)]
    pub status: String,
    /// Lowest severity shown.
    #[serde(default)]
    pub min_severity: String,
    /// Words in the title, host or rule.
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub page: i64,
    #[serde(default)]
    pub per_page: i64,
}

/// Per-unit counts for the Department's overview.
#[derive(Debug, Clone, Serialize)]
pub struct UnitAlertSummary {
    pub unit_id: UnitId,
    pub open: i64,
    pub open_high: i64,
    pub new: i64,
    pub verified: i64,
    pub closed: i64,
    /// Mean time to acknowledge and to close, in milliseconds, over acknowledged / closed alerts.
    pub mean_ack_ms: Option<i64>,
    pub mean_close_ms: Option<i64>,
}

/// A suppression: detections of `rule_id` (on `host`, or any host when empty) in a unit (or all) are not raised.
#[derive(Debug, Clone, Serialize)]
pub struct Suppression {
    pub id: i64,
    pub unit_id: Option<UnitId>,
    pub rule_id: String,
    pub host: String,
    pub reason: String,
    pub hits: i64,
    pub created_at: Millis,
    pub expires_at: Option<Millis>,
}

const SELECT: &str =
    "SELECT a.*, u.display_name AS assignee_name FROM alerts a LEFT JOIN users u ON u.id = a.assignee";

fn row_to_alert(r: &AnyRow) -> Result<Alert> {
    let severity = get_i64(r, "severity")?;
    let status = get_str(r, "status")?;
    let verdict: Option<String> = r.try_get("verdict")?;
    let details = get_str(r, "details")?;
    Ok(Alert {
        id: get_i64(r, "id")?,
        unit_id: UnitId(get_i64(r, "unit_id")?),
        source: get_str(r, "source")?,
        rule_id: get_str(r, "rule_id")?,
        title: get_str(r, "title")?,
        severity: parse_enum("severity", &severity.to_string(), |s| {
            s.parse().ok().and_then(Severity::from_rank)
        })?,
        host: get_str(r, "host")?,
        status: parse_enum("status", &status, AlertStatus::parse)?,
        verdict: verdict
            .map(|v| parse_enum("verdict", &v, Verdict::parse))
            .transpose()?,
        assignee: r.try_get::<Option<i64>, _>("assignee")?.map(UserId),
        assignee_name: r.try_get("assignee_name")?,
        count: get_i64(r, "count")?,
        first_seen: get_i64(r, "first_seen")?,
        last_seen: get_i64(r, "last_seen")?,
        created_at: get_i64(r, "created_at")?,
        acknowledged_at: r.try_get("acknowledged_at")?,
        closed_at: r.try_get("closed_at")?,
        remediation: get_str(r, "remediation")?,
        details: serde_json::from_str(&details).unwrap_or(serde_json::Value::Null),
    })
}

fn invalid(field: &str, code: &str) -> StoreError {
    StoreError::Invalid(Invalid(vec![FieldError::new(field, code)]))
}

impl Store {
    /// Live notices of alert changes; each receiver filters by what its reader may see.
    pub fn subscribe_alerts(&self) -> tokio::sync::broadcast::Receiver<AlertNotice> {
        self.alert_tx.subscribe()
    }

    pub(crate) fn notify(&self, unit_id: UnitId, alert_id: i64) {
        // No receiver is not an error: nobody is watching.
        let _ = self.alert_tx.send(AlertNotice { unit_id, alert_id });
    }

    /// Records a detection: groups it into an open alert of the same rule and host last seen within `window_ms`,
    /// or creates one; a known `event_key` is not counted twice; an active suppression hides it (and counts it).
    pub async fn raise_alert(&self, a: &NewAlert, window_ms: Millis) -> Result<Raised> {
        let mut w = self.begin_write().await?;
        let raised = raise_batch(&mut w, self.backend, std::slice::from_ref(a), window_ms, now_ms())
            .await?
            .pop()
            .ok_or_else(|| StoreError::Config("no result for a raised detection".into()))?;
        w.commit().await?;
        if !matches!(raised, Raised::Suppressed(_) | Raised::Duplicate(_)) {
            self.notify(a.unit_id, raised.alert_id());
        }
        Ok(raised)
    }

    /// Records the detections of a batch of events and moves the pipeline `pipeline` to `position`, in one
    /// transaction: after a crash either both happened or neither did.
    pub async fn record_detections(
        &self,
        alerts: &[NewAlert],
        window_ms: Millis,
        pipeline: &str,
        position: i64,
    ) -> Result<Vec<Raised>> {
        let now = now_ms();
        let mut w = self.begin_write().await?;
        let out = raise_batch(&mut w, self.backend, alerts, window_ms, now).await?;
        crate::events::save_position(&mut w, pipeline, position).await?;
        w.commit().await?;
        for (a, r) in alerts.iter().zip(&out) {
            if matches!(r, Raised::Created(_) | Raised::Grouped(_)) {
                self.notify(a.unit_id, r.alert_id());
            }
        }
        Ok(out)
    }
}

impl Store {
    /// The alert queue: most severe first, then oldest first.
    pub async fn alerts(&self, actor: &Actor, q: &AlertQuery) -> Result<Page<Alert>> {
        let mut cond = Vec::new();
        let mut binds: Vec<String> = Vec::new();
        let mut ints: Vec<i64> = Vec::new();
        match (actor.scope(), q.unit_id) {
            (Scope::All, None) => {}
            (Scope::All, Some(u)) => {
                ints.push(u);
                cond.push(format!("a.unit_id = ${}", ints.len()));
            }
            (Scope::Unit(u), f) if f.is_none_or(|f| f == u.0) => {
                ints.push(u.0);
                cond.push(format!("a.unit_id = ${}", ints.len()));
            }
            _ => return Err(StoreError::NotFound),
        }
        match q.status.as_str() {
            "" | "open" => cond.push("a.status <> 'closed'".into()),
            "all" => {}
            s => {
                let status = AlertStatus::parse(s).ok_or_else(|| invalid("status", "err.choice"))?;
                cond.push(format!("a.status = '{}'", status.as_str()));
            }
        }
        if let Some(sev) = Severity::parse(&q.min_severity) {
            cond.push(format!("a.severity >= {}", sev.rank()));
        }
        // Integer binds come first ($1..), text binds after.
        let like = crate::like_op(self.backend);
        let words: Vec<&str> = q.q.split_whitespace().take(5).collect();
        for word in &words {
            binds.push(format!("%{}%", word.replace(['%', '_'], "")));
            let n = ints.len() + binds.len();
            cond.push(format!(
                "(a.title {like} ${n} OR a.host {like} ${n} OR a.rule_id {like} ${n})"
            ));
        }
        let wh = if cond.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", cond.join(" AND "))
        };
        let per_page = if q.per_page <= 0 { 50 } else { q.per_page.min(500) };
        let page = q.page.max(1);
        let count_sql = format!("SELECT COUNT(*) AS n FROM alerts a{wh}");
        let list_sql = format!(
            "{SELECT}{wh} ORDER BY CASE WHEN a.status = 'closed' THEN 1 ELSE 0 END, a.severity DESC, a.created_at \
             LIMIT {per_page} OFFSET {}",
            (page - 1) * per_page
        );
        let mut count = sqlx::query(&count_sql);
        let mut list = sqlx::query(&list_sql);
        for i in &ints {
            count = count.bind(*i);
            list = list.bind(*i);
        }
        for b in &binds {
            count = count.bind(b.clone());
            list = list.bind(b.clone());
        }
        let total = get_i64(&count.fetch_one(&self.pool).await?, "n")?;
        let rows = list.fetch_all(&self.pool).await?;
        Ok(Page {
            items: rows.iter().map(row_to_alert).collect::<Result<_>>()?,
            total,
            page,
            per_page,
        })
    }

    /// One alert, if the actor reads its unit.
    pub async fn alert(&self, actor: &Actor, id: i64) -> Result<Alert> {
        let sql = format!("{SELECT} WHERE a.id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?;
        let alert = row
            .as_ref()
            .map(row_to_alert)
            .transpose()?
            .ok_or(StoreError::NotFound)?;
        if actor.allows(Permission::Read, alert.unit_id) {
            Ok(alert)
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// An alert the actor may work on (read and operate its unit).
    async fn workable(&self, actor: &Actor, id: i64) -> Result<Alert> {
        let alert = self.alert(actor, id).await?;
        if actor.allows(Permission::Operate, alert.unit_id) {
            Ok(alert)
        } else {
            Err(StoreError::Forbidden)
        }
    }

    async fn update_alert(
        &self,
        actor: &Actor,
        before: &Alert,
        action: &str,
        sql: &str,
        text: &[String],
    ) -> Result<Alert> {
        let mut w = self.begin_write().await?;
        let mut q = sqlx::query(sql);
        for t in text {
            q = q.bind(t.clone());
        }
        q.bind(before.id).execute(&mut *w.tx).await?;
        let after = row_to_alert(
            &sqlx::query(&format!("{SELECT} WHERE a.id = $1"))
                .bind(before.id)
                .fetch_one(&mut *w.tx)
                .await?,
        )?;
        let summary = |a: &Alert| {
            serde_json::json!({ "status": a.status, "verdict": a.verdict, "assignee": a.assignee,
                "remediation": a.remediation })
        };
        let change = Change::new(action, "alert", before.id.to_string())
            .unit(before.unit_id)
            .before(&summary(before))
            .after(&summary(&after));
        append(&mut w, Some(actor), change).await?;
        w.commit().await?;
        self.notify(after.unit_id, after.id);
        Ok(after)
    }

    /// Takes an alert: assigns it to the actor and acknowledges it.
    pub async fn claim_alert(&self, actor: &Actor, id: i64) -> Result<Alert> {
        self.assign_alert(actor, id, actor.user_id).await
    }

    /// Assigns an alert to a person of its unit who can work it (acknowledging it if new).
    pub async fn assign_alert(&self, actor: &Actor, id: i64, to: UserId) -> Result<Alert> {
        let before = self.workable(actor, id).await?;
        let row = sqlx::query("SELECT unit_id, role, active FROM users WHERE id = $1")
            .bind(to.0)
            .fetch_optional(&self.pool)
            .await?;
        let ok = match &row {
            Some(r) => {
                let role = Role::parse(&get_str(r, "role")?);
                let same_unit = get_i64(r, "unit_id")? == before.unit_id.0 || role == Some(Role::DeptAdmin);
                same_unit
                    && get_i64(r, "active")? != 0
                    && role.is_some_and(|r| r != Role::Staff && r != Role::Viewer)
            }
            None => false,
        };
        if !ok {
            return Err(invalid("user_id", "err.not_duty_person"));
        }
        let sql = format!(
            "UPDATE alerts SET assignee = {}, status = CASE WHEN status = 'new' THEN 'acknowledged' ELSE status END, \
             acknowledged_at = COALESCE(acknowledged_at, {}) WHERE id = $1",
            to.0,
            now_ms()
        );
        self.update_alert(actor, &before, "assign", &sql, &[]).await
    }

    /// Confirms an alert as a true positive (the letter's verified alert): remediation is now due.
    pub async fn verify_alert(&self, actor: &Actor, id: i64) -> Result<Alert> {
        let before = self.workable(actor, id).await?;
        if before.status == AlertStatus::Closed {
            return Err(invalid("status", "err.alert_closed"));
        }
        let sql = format!(
            "UPDATE alerts SET status = 'verified', verdict = 'true_positive', \
             assignee = COALESCE(assignee, {}), acknowledged_at = COALESCE(acknowledged_at, {}) WHERE id = $1",
            actor.user_id.0,
            now_ms()
        );
        self.update_alert(actor, &before, "verify", &sql, &[]).await
    }

    /// Closes an alert with a verdict; a true positive needs the remediation done.
    pub async fn close_alert(
        &self,
        actor: &Actor,
        id: i64,
        verdict: Verdict,
        remediation: &str,
    ) -> Result<Alert> {
        let before = self.workable(actor, id).await?;
        let remediation: String = remediation.trim().chars().take(4000).collect();
        if verdict == Verdict::TruePositive && remediation.is_empty() {
            return Err(invalid("remediation", "err.required"));
        }
        let now = now_ms();
        let sql = format!(
            "UPDATE alerts SET status = 'closed', verdict = '{}', remediation = $1, closed_at = {now}, \
             assignee = COALESCE(assignee, {}), acknowledged_at = COALESCE(acknowledged_at, {now}) WHERE id = $2",
            verdict.as_str(),
            actor.user_id.0
        );
        self.update_alert(actor, &before, "close", &sql, &[remediation])
            .await
    }

    /// Reopens a closed alert.
    pub async fn reopen_alert(&self, actor: &Actor, id: i64) -> Result<Alert> {
        let before = self.workable(actor, id).await?;
        let sql = "UPDATE alerts SET status = 'acknowledged', verdict = NULL, closed_at = NULL WHERE id = $1";
        self.update_alert(actor, &before, "reopen", sql, &[]).await
    }

    /// Adds a comment (anyone who works the unit's alerts).
    pub async fn comment_alert(&self, actor: &Actor, id: i64, body: &str) -> Result<AlertComment> {
        let alert = self.workable(actor, id).await?;
        let body: String = body.trim().chars().take(4000).collect();
        if body.is_empty() {
            return Err(invalid("body", "err.required"));
        }
        let now = now_ms();
        let mut w = self.begin_write().await?;
        let r = sqlx::query(
            "INSERT INTO alert_comments (alert_id, user_id, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(id)
        .bind(actor.user_id.0)
        .bind(body.clone())
        .bind(now)
        .fetch_one(&mut *w.tx)
        .await?;
        let cid = get_i64(&r, "id")?;
        let change = Change::new("comment", "alert", id.to_string())
            .unit(alert.unit_id)
            .after(&serde_json::json!({ "comment": body }));
        append(&mut w, Some(actor), change).await?;
        w.commit().await?;
        self.notify(alert.unit_id, id);
        Ok(AlertComment {
            id: cid,
            alert_id: id,
            user_id: actor.user_id,
            user_name: String::new(),
            body,
            created_at: now,
        })
    }

    /// The comments of an alert, oldest first.
    pub async fn alert_comments(&self, actor: &Actor, id: i64) -> Result<Vec<AlertComment>> {
        self.alert(actor, id).await?;
        let rows = sqlx::query(
            "SELECT c.*, u.display_name, u.username FROM alert_comments c JOIN users u ON u.id = c.user_id \
             WHERE c.alert_id = $1 ORDER BY c.id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let display = get_str(r, "display_name")?;
                Ok(AlertComment {
                    id: get_i64(r, "id")?,
                    alert_id: id,
                    user_id: UserId(get_i64(r, "user_id")?),
                    user_name: if display.is_empty() {
                        get_str(r, "username")?
                    } else {
                        display
                    },
                    body: get_str(r, "body")?,
                    created_at: get_i64(r, "created_at")?,
                })
            })
            .collect()
    }

    /// Per-unit counts and mean response times, for the units the actor sees.
    pub async fn alert_summary(&self, actor: &Actor) -> Result<Vec<UnitAlertSummary>> {
        let filter = match actor.scope() {
            Scope::All => String::new(),
            Scope::Unit(u) => format!(" WHERE unit_id = {}", u.0),
            Scope::Nothing => return Ok(Vec::new()),
        };
        let high = Severity::High.rank();
        let sql = format!(
            "SELECT unit_id, \
             SUM(CASE WHEN status <> 'closed' THEN 1 ELSE 0 END) AS open, \
             SUM(CASE WHEN status <> 'closed' AND severity >= {high} THEN 1 ELSE 0 END) AS open_high, \
             SUM(CASE WHEN status = 'new' THEN 1 ELSE 0 END) AS new, \
             SUM(CASE WHEN status = 'verified' THEN 1 ELSE 0 END) AS verified, \
             SUM(CASE WHEN status = 'closed' THEN 1 ELSE 0 END) AS closed, \
             CAST(AVG(acknowledged_at - created_at) AS BIGINT) AS mean_ack, \
             CAST(AVG(closed_at - created_at) AS BIGINT) AS mean_close \
             FROM alerts{filter} GROUP BY unit_id ORDER BY unit_id"
        );
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let n = |c: &str| -> Result<i64> { Ok(r.try_get::<Option<i64>, _>(c)?.unwrap_or(0)) };
                Ok(UnitAlertSummary {
                    unit_id: UnitId(get_i64(r, "unit_id")?),
                    open: n("open")?,
                    open_high: n("open_high")?,
                    new: n("new")?,
                    verified: n("verified")?,
                    closed: n("closed")?,
                    mean_ack_ms: r.try_get("mean_ack")?,
                    mean_close_ms: r.try_get("mean_close")?,
                })
            })
            .collect()
    }

    /// Adds a suppression: in one unit (its administrators) or in all units (the Department, `unit` = `None`).
    pub async fn add_suppression(
        &self,
        actor: &Actor,
        unit: Option<UnitId>,
        rule_id: &str,
        host: &str,
        reason: &str,
        expires_at: Option<Millis>,
    ) -> Result<Suppression> {
        match unit {
            Some(u) if !actor.allows(Permission::Read, u) => return Err(StoreError::NotFound),
            Some(u) if !actor.allows(Permission::AdministerUnit, u) => return Err(StoreError::Forbidden),
            None if !actor.is_dept_admin() => return Err(StoreError::Forbidden),
            _ => {}
        }
        let mut errs = Vec::new();
        if rule_id.trim().is_empty() {
            errs.push(FieldError::new("rule_id", "err.required"));
        }
        if reason.trim().is_empty() {
            errs.push(FieldError::new("reason", "err.required"));
        }
        if !errs.is_empty() {
            return Err(StoreError::Invalid(Invalid(errs)));
        }
        let now = now_ms();
        let mut w = self.begin_write().await?;
        let r = sqlx::query(
            "INSERT INTO suppressions (unit_id, rule_id, host, reason, created_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(unit.map(|u| u.0))
        .bind(rule_id.trim().to_string())
        .bind(host.trim().to_string())
        .bind(reason.trim().to_string())
        .bind(actor.user_id.0)
        .bind(now)
        .bind(expires_at)
        .fetch_one(&mut *w.tx)
        .await?;
        let s = Suppression {
            id: get_i64(&r, "id")?,
            unit_id: unit,
            rule_id: rule_id.trim().into(),
            host: host.trim().into(),
            reason: reason.trim().into(),
            hits: 0,
            created_at: now,
            expires_at,
        };
        let mut change = Change::new("create", "suppression", s.id.to_string()).after(&s);
        if let Some(u) = unit {
            change = change.unit(u);
        }
        append(&mut w, Some(actor), change).await?;
        w.commit().await?;
        Ok(s)
    }

    /// The suppressions that apply to the actor's units (their own and the network-wide ones).
    pub async fn suppressions(&self, actor: &Actor) -> Result<Vec<Suppression>> {
        let rows = match actor.scope() {
            Scope::All => {
                sqlx::query("SELECT * FROM suppressions ORDER BY id")
                    .fetch_all(&self.pool)
                    .await?
            }
            Scope::Unit(u) => {
                sqlx::query("SELECT * FROM suppressions WHERE unit_id IS NULL OR unit_id = $1 ORDER BY id")
                    .bind(u.0)
                    .fetch_all(&self.pool)
                    .await?
            }
            Scope::Nothing => return Ok(Vec::new()),
        };
        rows.iter()
            .map(|r| {
                Ok(Suppression {
                    id: get_i64(r, "id")?,
                    unit_id: r.try_get::<Option<i64>, _>("unit_id")?.map(UnitId),
                    rule_id: get_str(r, "rule_id")?,
                    host: get_str(r, "host")?,
                    reason: get_str(r, "reason")?,
                    hits: get_i64(r, "hits")?,
                    created_at: get_i64(r, "created_at")?,
                    expires_at: r.try_get("expires_at")?,
                })
            })
            .collect()
    }
}
