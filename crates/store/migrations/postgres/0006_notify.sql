-- Notifications of new alerts to whoever is on duty, and escalation to the unit's administrators: per-unit
-- settings, when each alert was notified or escalated, and a log of every delivery attempt.
CREATE TABLE notify_settings (
    unit_id BIGINT PRIMARY KEY REFERENCES units(id),
    min_severity BIGINT NOT NULL,
    webhook_url TEXT NOT NULL DEFAULT '',
    telegram_chat_id TEXT NOT NULL DEFAULT '',
    escalate_after_min BIGINT NOT NULL
);
ALTER TABLE alerts ADD COLUMN notified_at BIGINT;
ALTER TABLE alerts ADD COLUMN escalated_at BIGINT;
CREATE INDEX alerts_to_notify ON alerts(notified_at, status, created_at);
CREATE TABLE notifications (
    id BIGSERIAL PRIMARY KEY,
    alert_id BIGINT NOT NULL REFERENCES alerts(id),
    unit_id BIGINT NOT NULL REFERENCES units(id),
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    ok BIGINT NOT NULL,
    error TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX notifications_alert ON notifications(alert_id, id);
