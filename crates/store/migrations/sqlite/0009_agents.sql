-- Endpoint agents: one-time enrollment tokens per unit (digest only), and the enrolled agents with their own
-- credential (digest only; the same digest is the token of the agent's HTTP event source), their asset, latest
-- inventory and last contact.
CREATE TABLE agent_enrollment_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    token_hash TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    agent_id INTEGER,
    revoked_at INTEGER
);
CREATE UNIQUE INDEX agent_enrollment_tokens_hash ON agent_enrollment_tokens(token_hash);
CREATE INDEX agent_enrollment_tokens_unit ON agent_enrollment_tokens(unit_id);
CREATE TABLE agents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    source_id INTEGER NOT NULL REFERENCES event_sources(id),
    asset_id INTEGER REFERENCES assets(id),
    credential_hash TEXT NOT NULL,
    hostname TEXT NOT NULL,
    enrolled_at INTEGER NOT NULL,
    enrolled_by INTEGER NOT NULL REFERENCES users(id),
    last_seen INTEGER NOT NULL,
    inventory TEXT NOT NULL DEFAULT '',
    inventory_at INTEGER,
    silent_alerted INTEGER NOT NULL DEFAULT 0,
    revoked_at INTEGER
);
CREATE UNIQUE INDEX agents_credential ON agents(credential_hash);
CREATE INDEX agents_unit ON agents(unit_id, revoked_at);
