-- Indicator list versions (the original file kept as evidence) and the remediation items they produce per unit.
CREATE TABLE ioc_lists (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    version TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content BLOB NOT NULL,
    mapping TEXT NOT NULL DEFAULT 'null',
    entries INTEGER NOT NULL,
    rejected INTEGER NOT NULL,
    rejected_json TEXT NOT NULL DEFAULT '[]',
    imported_at INTEGER NOT NULL,
    imported_by INTEGER REFERENCES users(id)
);
CREATE INDEX ioc_lists_name ON ioc_lists(name, id);
CREATE TABLE botnet_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    list_id INTEGER NOT NULL REFERENCES ioc_lists(id),
    indicator TEXT NOT NULL,
    matched TEXT NOT NULL,
    via TEXT NOT NULL,
    category TEXT NOT NULL DEFAULT '',
    family TEXT NOT NULL DEFAULT '',
    first_seen TEXT NOT NULL DEFAULT '',
    last_seen TEXT NOT NULL DEFAULT '',
    assets TEXT NOT NULL DEFAULT '[]',
    top_criticality INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'new',
    state_note TEXT NOT NULL DEFAULT '',
    state_by INTEGER REFERENCES users(id),
    state_at INTEGER,
    created_at INTEGER NOT NULL,
    UNIQUE (list_id, unit_id, indicator, matched)
);
CREATE INDEX botnet_items_queue ON botnet_items(unit_id, state, top_criticality);
