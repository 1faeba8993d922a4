-- Indicator list versions (the original file kept as evidence) and the remediation items they produce per unit.
CREATE TABLE ioc_lists (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    version TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content BYTEA NOT NULL,
    mapping TEXT NOT NULL DEFAULT 'null',
    entries BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    rejected_json TEXT NOT NULL DEFAULT '[]',
    imported_at BIGINT NOT NULL,
    imported_by BIGINT REFERENCES users(id)
);
CREATE INDEX ioc_lists_name ON ioc_lists(name, id);
CREATE TABLE botnet_items (
    id BIGSERIAL PRIMARY KEY,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    list_id BIGINT NOT NULL REFERENCES ioc_lists(id),
    indicator TEXT NOT NULL,
    matched TEXT NOT NULL,
    via TEXT NOT NULL,
    category TEXT NOT NULL DEFAULT '',
    family TEXT NOT NULL DEFAULT '',
    first_seen TEXT NOT NULL DEFAULT '',
    last_seen TEXT NOT NULL DEFAULT '',
    assets TEXT NOT NULL DEFAULT '[]',
    top_criticality BIGINT NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'new',
    state_note TEXT NOT NULL DEFAULT '',
    state_by BIGINT REFERENCES users(id),
    state_at BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (list_id, unit_id, indicator, matched)
);
CREATE INDEX botnet_items_queue ON botnet_items(unit_id, state, top_criticality);
