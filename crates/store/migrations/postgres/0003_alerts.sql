-- Alerts, the events that grouped into them (for exactly-once counting across restarts), comments, suppressions.
CREATE TABLE alerts (
    id BIGSERIAL PRIMARY KEY,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    source TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    title TEXT NOT NULL,
    severity BIGINT NOT NULL,
    host TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'new',
    verdict TEXT,
    assignee BIGINT REFERENCES users(id),
    count BIGINT NOT NULL DEFAULT 1,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    acknowledged_at BIGINT,
    closed_at BIGINT,
    remediation TEXT NOT NULL DEFAULT '',
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX alerts_queue ON alerts(unit_id, status, severity, created_at);
CREATE INDEX alerts_open ON alerts(status, severity, created_at);
CREATE INDEX alerts_group ON alerts(unit_id, rule_id, host, last_seen);
CREATE TABLE alert_events (
    event_key TEXT PRIMARY KEY,
    alert_id BIGINT NOT NULL REFERENCES alerts(id)
);
CREATE TABLE alert_comments (
    id BIGSERIAL PRIMARY KEY,
    alert_id BIGINT NOT NULL REFERENCES alerts(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX alert_comments_alert ON alert_comments(alert_id, id);
CREATE TABLE suppressions (
    id BIGSERIAL PRIMARY KEY,
    unit_id BIGINT REFERENCES units(id),
    rule_id TEXT NOT NULL,
    host TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL,
    hits BIGINT NOT NULL DEFAULT 0,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT
);
CREATE INDEX suppressions_rule ON suppressions(rule_id);
