-- Central scanning: rule set versions (YARA files and hash lists) of the Department (unit_id NULL) or a unit, scan
-- and file tasks per agent with their results, the files found (each also an alert), and each unit's nightly hour.
CREATE TABLE scan_rulesets (
    id BIGSERIAL PRIMARY KEY,
    unit_id BIGINT REFERENCES units(id),
    version BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    bundle BYTEA NOT NULL,
    sha256 TEXT NOT NULL,
    yara_files BIGINT NOT NULL,
    yara_rules BIGINT NOT NULL,
    hash_entries BIGINT NOT NULL,
    left_out TEXT NOT NULL DEFAULT '[]',
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX scan_rulesets_version ON scan_rulesets(COALESCE(unit_id, 0), version);
CREATE TABLE scan_tasks (
    id BIGSERIAL PRIMARY KEY,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    asset_id BIGINT REFERENCES assets(id),
    hostname TEXT NOT NULL,
    kind TEXT NOT NULL,
    profile TEXT NOT NULL,
    threads BIGINT NOT NULL DEFAULT 0,
    origin TEXT NOT NULL,
    detection_id BIGINT,
    state TEXT NOT NULL,
    requested_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    started_at BIGINT,
    finished_at BIGINT,
    bundle_digest TEXT NOT NULL DEFAULT '',
    bundle_error TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT '',
    scanned BIGINT NOT NULL DEFAULT 0,
    bytes BIGINT NOT NULL DEFAULT 0,
    skipped BIGINT NOT NULL DEFAULT 0,
    found BIGINT NOT NULL DEFAULT 0,
    duration_ms BIGINT NOT NULL DEFAULT 0,
    problems TEXT NOT NULL DEFAULT '[]',
    action TEXT NOT NULL DEFAULT ''
);
CREATE INDEX scan_tasks_agent ON scan_tasks(agent_id, state);
CREATE INDEX scan_tasks_unit ON scan_tasks(unit_id, id);
CREATE INDEX scan_tasks_asset ON scan_tasks(asset_id, kind, state, finished_at);
CREATE TABLE scan_detections (
    id BIGSERIAL PRIMARY KEY,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    task_id BIGINT NOT NULL REFERENCES scan_tasks(id),
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    asset_id BIGINT REFERENCES assets(id),
    hostname TEXT NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    mtime BIGINT,
    mode BIGINT,
    rule TEXT NOT NULL,
    alert_id BIGINT,
    state TEXT NOT NULL DEFAULT 'open',
    found_at BIGINT NOT NULL
);
CREATE INDEX scan_detections_unit ON scan_detections(unit_id, state, id);
CREATE INDEX scan_detections_task ON scan_detections(task_id);
CREATE TABLE scan_schedules (
    unit_id BIGINT PRIMARY KEY REFERENCES units(id),
    hour BIGINT NOT NULL,
    profile TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    last_day TEXT NOT NULL DEFAULT '',
    changed_by BIGINT REFERENCES users(id),
    changed_at BIGINT NOT NULL
);
