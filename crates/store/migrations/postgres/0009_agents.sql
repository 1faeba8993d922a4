-- Endpoint agents: one-time enrollment tokens per unit (digest only), and the enrolled agents with their own
-- credential (digest only; the same digest is the token of the agent's HTTP event source), their asset, latest
-- inventory and last contact.
CREATE TABLE agent_enrollment_tokens (
    id BIGSERIAL PRIMARY KEY,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    token_hash TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    agent_id BIGINT,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX agent_enrollment_tokens_hash ON agent_enrollment_tokens(token_hash);
CREATE INDEX agent_enrollment_tokens_unit ON agent_enrollment_tokens(unit_id);
CREATE TABLE agents (
    id BIGSERIAL PRIMARY KEY,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    source_id BIGINT NOT NULL REFERENCES event_sources(id),
    asset_id BIGINT REFERENCES assets(id),
    credential_hash TEXT NOT NULL,
    hostname TEXT NOT NULL,
    enrolled_at BIGINT NOT NULL,
    enrolled_by BIGINT NOT NULL REFERENCES users(id),
    last_seen BIGINT NOT NULL,
    inventory TEXT NOT NULL DEFAULT '',
    inventory_at BIGINT,
    silent_alerted BIGINT NOT NULL DEFAULT 0,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX agents_credential ON agents(credential_hash);
CREATE INDEX agents_unit ON agents(unit_id, revoked_at);
