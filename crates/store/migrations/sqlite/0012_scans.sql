-- Central scanning: rule set versions (YARA files and hash lists) of the Department (unit_id NULL) or a unit, scan
-- and file tasks per agent with their results, the files found (each also an alert), and each unit's nightly hour.
CREATE TABLE scan_rulesets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id INTEGER REFERENCES units(id),
    version INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    bundle BLOB NOT NULL,
    sha256 TEXT NOT NULL,
    yara_files INTEGER NOT NULL,
    yara_rules INTEGER NOT NULL,
    hash_entries INTEGER NOT NULL,
    left_out TEXT NOT NULL DEFAULT '[]',
    created_by INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX scan_rulesets_version ON scan_rulesets(COALESCE(unit_id, 0), version);
CREATE TABLE scan_tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    agent_id INTEGER NOT NULL REFERENCES agents(id),
    asset_id INTEGER REFERENCES assets(id),
    hostname TEXT NOT NULL,
    kind TEXT NOT NULL,
    profile TEXT NOT NULL,
    threads INTEGER NOT NULL DEFAULT 0,
    origin TEXT NOT NULL,
    detection_id INTEGER,
    state TEXT NOT NULL,
    requested_by INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL,
    sent_at INTEGER,
    started_at INTEGER,
    finished_at INTEGER,
    bundle_digest TEXT NOT NULL DEFAULT '',
    bundle_error TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT '',
    scanned INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    found INTEGER NOT NULL DEFAULT 0,
    duration_ms INTEGER NOT NULL DEFAULT 0,
    problems TEXT NOT NULL DEFAULT '[]',
    action TEXT NOT NULL DEFAULT ''
);
CREATE INDEX scan_tasks_agent ON scan_tasks(agent_id, state);
CREATE INDEX scan_tasks_unit ON scan_tasks(unit_id, id);
CREATE INDEX scan_tasks_asset ON scan_tasks(asset_id, kind, state, finished_at);
CREATE TABLE scan_detections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    task_id INTEGER NOT NULL REFERENCES scan_tasks(id),
    agent_id INTEGER NOT NULL REFERENCES agents(id),
    asset_id INTEGER REFERENCES assets(id),
    hostname TEXT NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime INTEGER,
    mode INTEGER,
    rule TEXT NOT NULL,
    alert_id INTEGER,
    state TEXT NOT NULL DEFAULT 'open',
    found_at INTEGER NOT NULL
);
CREATE INDEX scan_detections_unit ON scan_detections(unit_id, state, id);
CREATE INDEX scan_detections_task ON scan_detections(task_id);
CREATE TABLE scan_schedules (
    unit_id INTEGER PRIMARY KEY REFERENCES units(id),
    hour INTEGER NOT NULL,
    profile TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    last_day TEXT NOT NULL DEFAULT '',
    changed_by INTEGER REFERENCES users(id),
    changed_at INTEGER NOT NULL
);
