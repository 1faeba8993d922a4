-- Alerts, the events that grouped into them (for exactly-once counting across restarts), comments, suppressions.
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    source TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    title TEXT NOT NULL,
    severity INTEGER NOT NULL,
    host TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'new',
    verdict TEXT,
    assignee INTEGER REFERENCES users(id),
    count INTEGER NOT NULL DEFAULT 1,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    acknowledged_at INTEGER,
    closed_at INTEGER,
    remediation TEXT NOT NULL DEFAULT '',
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX alerts_queue ON alerts(unit_id, status, severity, created_at);
CREATE INDEX alerts_open ON alerts(status, severity, created_at);
CREATE INDEX alerts_group ON alerts(unit_id, rule_id, host, last_seen);
CREATE TABLE alert_events (
    event_key TEXT PRIMARY KEY,
    alert_id INTEGER NOT NULL REFERENCES alerts(id)
);
CREATE TABLE alert_comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id INTEGER NOT NULL REFERENCES alerts(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX alert_comments_alert ON alert_comments(alert_id, id);
CREATE TABLE suppressions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id INTEGER REFERENCES units(id),
    rule_id TEXT NOT NULL,
    host TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL,
    hits INTEGER NOT NULL DEFAULT 0,
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER
);
CREATE INDEX suppressions_rule ON suppressions(rule_id);
