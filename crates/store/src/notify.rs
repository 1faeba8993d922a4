//! Who hears about a new alert. Each unit sets a severity threshold, an optional webhook and Telegram chat, and how
//! many minutes an alert may stay unacknowledged before its administrators are told. The notifier asks for what is
//! due ([`Store::due_notifications`]), delivers, and records every attempt ([`Store::record_notification`]); an
//! alert is marked notified in the same transaction, so a restart neither skips nor repeats one.

use canhgac_model::{Actor, FieldError, Invalid, Millis, Permission, Role, Severity, UnitId};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::audit::{append, Change};
use crate::{get_i64, get_str, now_ms, Result, Store, StoreError};

/// A unit's notification settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotifySettings {
    /// Alerts at or above this severity are sent to whoever is on duty.
    pub min_severity: Severity,
    /// A generic webhook receiving a JSON document per alert (empty: none).
    pub webhook_url: String,
    /// A Telegram chat id (empty: none); the bot token is the server's.
    pub telegram_chat_id: String,
    /// Minutes an alert may stay new before the unit's administrators are told (0: never).
    pub escalate_after_min: i64,
}

impl Default for NotifySettings {
    fn default() -> Self {
        NotifySettings {
            min_severity: Severity::High,
            webhook_url: String::new(),
            telegram_chat_id: String::new(),
            escalate_after_min: 15,
        }
    }
}

/// Why a notification is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotifyKind {
    /// A new alert at or above the threshold: to the officer(s) on duty.
    New,
    /// Not acknowledged in time: to the unit's administrators.
    Escalation,
}

impl NotifyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyKind::New => "new",
            NotifyKind::Escalation => "escalation",
        }
    }
}

/// A person to tell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recipient {
    pub name: String,
    pub email: String,
}

/// One notification to deliver.
#[derive(Debug, Clone, Serialize)]
pub struct DueNotification {
    pub kind: NotifyKind,
    pub alert_id: i64,
    pub unit_id: UnitId,
    pub unit_name: String,
    pub title: String,
    pub severity: Severity,
    pub host: String,
    pub count: i64,
    pub created_at: Millis,
    /// The people on duty now (new alerts) or the unit's administrators (escalations). For a new alert with
    /// nobody on duty, the administrators, and `nobody_on_duty` says so.
    pub recipients: Vec<Recipient>,
    pub nobody_on_duty: bool,
    pub settings: NotifySettings,
}

/// One delivery attempt, as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub channel: String,
    pub recipient: String,
    pub ok: bool,
    pub error: String,
}

/// A recorded delivery.
#[derive(Debug, Clone, Serialize)]
pub struct NotificationLog {
    pub id: i64,
    pub alert_id: i64,
    pub kind: String,
    pub channel: String,
    pub recipient: String,
    pub ok: bool,
    pub error: String,
    pub created_at: Millis,
}

fn row_to_settings(r: &AnyRow) -> Result<NotifySettings> {
    Ok(NotifySettings {
        min_severity: Severity::from_rank(get_i64(r, "min_severity")?).unwrap_or(Severity::High),
        webhook_url: get_str(r, "webhook_url")?,
        telegram_chat_id: get_str(r, "telegram_chat_id")?,
        escalate_after_min: get_i64(r, "escalate_after_min")?,
    })
}

/// Alerts older than this are never notified late (e.g. after a threshold change).
const NOTIFY_HORIZON_MS: Millis = 24 * 3_600_000;

impl Store {
    /// A unit's settings (the defaults when never set).
    pub async fn notify_settings(&self, actor: &Actor, unit: UnitId) -> Result<NotifySettings> {
        if !actor.allows(Permission::Read, unit) {
            return Err(StoreError::NotFound);
        }
        self.settings_of(unit).await
    }

    async fn settings_of(&self, unit: UnitId) -> Result<NotifySettings> {
        let row = sqlx::query("SELECT * FROM notify_settings WHERE unit_id = $1")
            .bind(unit.0)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map_or(Ok(NotifySettings::default()), row_to_settings)
    }

    /// Changes a unit's settings (its administrators).
    pub async fn set_notify_settings(
        &self,
        actor: &Actor,
        unit: UnitId,
        s: &NotifySettings,
    ) -> Result<NotifySettings> {
        if !actor.allows(Permission::Read, unit) {
            return Err(StoreError::NotFound);
        }
        if !actor.allows(Permission::AdministerUnit, unit) {
            return Err(StoreError::Forbidden);
        }
        let mut errors = Vec::new();
        let url = s.webhook_url.trim();
        let web = url.starts_with("http://") || url.starts_with("https://");
        if !(url.is_empty() || web) || url.len() > 500 {
            errors.push(FieldError::new("webhook_url", "err.url_invalid"));
        }
        let chat = s.telegram_chat_id.trim();
        let numeric = chat.len() <= 64 && chat.trim_start_matches('-').bytes().all(|b| b.is_ascii_digit());
        if !(chat.is_empty() || numeric || chat.starts_with('@') && chat.len() <= 64) {
            errors.push(FieldError::new("telegram_chat_id", "err.chat_invalid"));
        }
        if !(0..=10_080).contains(&s.escalate_after_min) {
            errors.push(FieldError::new("escalate_after_min", "err.out_of_range"));
        }
        if !errors.is_empty() {
            return Err(StoreError::Invalid(Invalid(errors)));
        }
        let clean = NotifySettings {
            min_severity: s.min_severity,
            webhook_url: url.to_string(),
            telegram_chat_id: chat.to_string(),
            escalate_after_min: s.escalate_after_min,
        };
        let before = self.settings_of(unit).await?;
        let mut w = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO notify_settings (unit_id, min_severity, webhook_url, telegram_chat_id, escalate_after_min) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (unit_id) DO UPDATE SET min_severity = excluded.min_severity, \
             webhook_url = excluded.webhook_url, telegram_chat_id = excluded.telegram_chat_id, \
             escalate_after_min = excluded.escalate_after_min",
        )
        .bind(unit.0)
        .bind(clean.min_severity.rank())
        .bind(clean.webhook_url.clone())
        .bind(clean.telegram_chat_id.clone())
        .bind(clean.escalate_after_min)
        .execute(&mut *w.tx)
        .await?;
        let change = Change::new("update", "notify_settings", unit.0.to_string())
            .unit(unit)
            .before(&before)
            .after(&clean);
        append(&mut w, Some(actor), change).await?;
        w.commit().await?;
        Ok(clean)
    }

    async fn recipients(&self, unit: UnitId, on_duty_at: Option<Millis>) -> Result<Vec<Recipient>> {
        let rows = match on_duty_at {
            Some(at) => {
                sqlx::query(
                    "SELECT DISTINCT u.display_name, u.username, u.email FROM duty_shifts s JOIN users u ON u.id = s.user_id \
                     WHERE s.unit_id = $1 AND s.starts_at <= $2 AND s.ends_at > $2 AND u.active = 1 ORDER BY u.username",
                )
                .bind(unit.0)
                .bind(at)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(
                    "SELECT display_name, username, email FROM users WHERE unit_id = $1 AND role = $2 AND active = 1 \
                     ORDER BY username",
                )
                .bind(unit.0)
                .bind(Role::UnitAdmin.as_str())
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter()
            .map(|r| {
                let display = get_str(r, "display_name")?;
                Ok(Recipient {
                    name: if display.is_empty() {
                        get_str(r, "username")?
                    } else {
                        display
                    },
                    email: get_str(r, "email")?,
                })
            })
            .collect()
    }

    /// Notifications due at `now`: new alerts at or above their unit's threshold not yet notified, and new alerts
    /// left unacknowledged past their unit's escalation delay.
    pub async fn due_notifications(&self, now: Millis) -> Result<Vec<DueNotification>> {
        let rows = sqlx::query(
            "SELECT a.id, a.unit_id, a.title, a.severity, a.host, a.count, a.created_at, a.notified_at, \
             a.escalated_at, a.status, n.unit_id AS has_settings, n.min_severity, n.webhook_url, n.telegram_chat_id, \
             n.escalate_after_min, un.name AS unit_name FROM alerts a JOIN units un ON un.id = a.unit_id \
             LEFT JOIN notify_settings n ON n.unit_id = a.unit_id \
             WHERE a.created_at >= $1 AND a.status = 'new' AND a.severity >= COALESCE(n.min_severity, $3) \
             AND (a.notified_at IS NULL OR (a.escalated_at IS NULL AND COALESCE(n.escalate_after_min, $4) > 0 \
             AND a.created_at <= $2 - COALESCE(n.escalate_after_min, $4) * 60000)) ORDER BY a.id LIMIT 200",
        )
        .bind(now - NOTIFY_HORIZON_MS)
        .bind(now)
        .bind(NotifySettings::default().min_severity.rank())
        .bind(NotifySettings::default().escalate_after_min)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for r in &rows {
            let settings = if r.try_get::<Option<i64>, _>("has_settings")?.is_some() {
                row_to_settings(r)?
            } else {
                NotifySettings::default()
            };
            let severity = Severity::from_rank(get_i64(r, "severity")?).unwrap_or(Severity::Medium);
            let created_at = get_i64(r, "created_at")?;
            let unit = UnitId(get_i64(r, "unit_id")?);
            let notified: Option<i64> = r.try_get("notified_at")?;
            let escalated: Option<i64> = r.try_get("escalated_at")?;
            let kind = if notified.is_none() && severity >= settings.min_severity {
                NotifyKind::New
            } else if escalated.is_none()
                && severity >= settings.min_severity
                && settings.escalate_after_min > 0
                && now - created_at >= settings.escalate_after_min * 60_000
            {
                NotifyKind::Escalation
            } else {
                continue;
            };
            let (recipients, nobody_on_duty) = match kind {
                NotifyKind::New => {
                    let on_duty = self.recipients(unit, Some(now)).await?;
                    if on_duty.is_empty() {
                        (self.recipients(unit, None).await?, true)
                    } else {
                        (on_duty, false)
                    }
                }
                NotifyKind::Escalation => (self.recipients(unit, None).await?, false),
            };
            out.push(DueNotification {
                kind,
                alert_id: get_i64(r, "id")?,
                unit_id: unit,
                unit_name: get_str(r, "unit_name")?,
                title: get_str(r, "title")?,
                severity,
                host: get_str(r, "host")?,
                count: get_i64(r, "count")?,
                created_at,
                recipients,
                nobody_on_duty,
                settings,
            });
        }
        Ok(out)
    }

    /// Records the delivery attempts of one due notification and marks the alert notified (or escalated).
    pub async fn record_notification(&self, due: &DueNotification, deliveries: &[Delivery]) -> Result<()> {
        let now = now_ms();
        let mut w = self.begin_write().await?;
        let column = match due.kind {
            NotifyKind::New => "notified_at",
            NotifyKind::Escalation => "escalated_at",
        };
        sqlx::query(&format!("UPDATE alerts SET {column} = $1 WHERE id = $2"))
            .bind(now)
            .bind(due.alert_id)
            .execute(&mut *w.tx)
            .await?;
        for d in deliveries {
            sqlx::query(
                "INSERT INTO notifications (alert_id, unit_id, kind, channel, recipient, ok, error, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(due.alert_id)
            .bind(due.unit_id.0)
            .bind(due.kind.as_str())
            .bind(d.channel.clone())
            .bind(d.recipient.chars().take(300).collect::<String>())
            .bind(i64::from(d.ok))
            .bind(d.error.chars().take(500).collect::<String>())
            .bind(now)
            .execute(&mut *w.tx)
            .await?;
        }
        w.commit().await
    }

    /// The deliveries recorded for an alert the actor reads.
    pub async fn alert_notifications(&self, actor: &Actor, alert_id: i64) -> Result<Vec<NotificationLog>> {
        let alert = self.alert(actor, alert_id).await?;
        let rows = sqlx::query("SELECT * FROM notifications WHERE alert_id = $1 ORDER BY id")
            .bind(alert.id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(NotificationLog {
                    id: get_i64(r, "id")?,
                    alert_id: get_i64(r, "alert_id")?,
                    kind: get_str(r, "kind")?,
                    channel: get_str(r, "channel")?,
                    recipient: get_str(r, "recipient")?,
                    ok: get_i64(r, "ok")? != 0,
                    error: get_str(r, "error")?,
                    created_at: get_i64(r, "created_at")?,
                })
            })
            .collect()
    }
}
