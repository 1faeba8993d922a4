-- Collected events: where they come from (sources, with a token for HTTP senders and an address range for syslog
-- senders), the events themselves (normalised fields and the original text), and the pipeline's position.
CREATE TABLE event_sources (
    id BIGSERIAL PRIMARY KEY,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    token_hash TEXT,
    cidr TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX event_sources_token ON event_sources(token_hash);
CREATE INDEX event_sources_unit ON event_sources(unit_id);
CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    source_id BIGINT NOT NULL REFERENCES event_sources(id),
    ext_id TEXT,
    received_at BIGINT NOT NULL,
    ts BIGINT NOT NULL,
    host TEXT NOT NULL DEFAULT '',
    format TEXT NOT NULL,
    channel TEXT NOT NULL DEFAULT '',
    event_id BIGINT,
    message TEXT NOT NULL DEFAULT '',
    fields TEXT NOT NULL DEFAULT '{}',
    original TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX events_ext ON events(source_id, ext_id);
CREATE INDEX events_unit_ts ON events(unit_id, ts);
CREATE INDEX events_host ON events(unit_id, host, ts);
CREATE TABLE event_retention (
    unit_id BIGINT PRIMARY KEY REFERENCES units(id),
    days BIGINT NOT NULL
);
CREATE TABLE pipeline_state (
    name TEXT PRIMARY KEY,
    position BIGINT NOT NULL
);
