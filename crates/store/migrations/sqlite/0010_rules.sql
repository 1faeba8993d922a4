-- Sigma rules per unit: whether a rule runs for a unit or the whole network (unit_id NULL), and rules a unit or the
-- Department writes itself (every save a new version; the latest active one runs).
CREATE TABLE rule_settings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id INTEGER REFERENCES units(id),
    rule_id TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    changed_by INTEGER REFERENCES users(id),
    changed_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX rule_settings_key ON rule_settings(COALESCE(unit_id, 0), rule_id);
CREATE TABLE custom_rules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id INTEGER REFERENCES units(id),
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    yaml TEXT NOT NULL,
    rules INTEGER NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_by INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL
);
CREATE INDEX custom_rules_unit ON custom_rules(unit_id, name, version);
