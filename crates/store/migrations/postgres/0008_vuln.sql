-- Vulnerabilities: advisory feed versions (original bytes kept, the knowledge base is rebuilt from them), national
-- warnings, host inventories, SLA sets, findings per (asset, CVE) and daily exposure snapshots per view.
CREATE TABLE vuln_feeds (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    sha256 TEXT NOT NULL UNIQUE,
    size BIGINT NOT NULL,
    content BYTEA NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    imported_at BIGINT NOT NULL,
    imported_by BIGINT REFERENCES users(id)
);
CREATE TABLE vuln_warnings (
    id BIGSERIAL PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    issued_on TEXT NOT NULL DEFAULT '',
    issuer TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '',
    deadline TEXT NOT NULL DEFAULT '',
    cves TEXT NOT NULL DEFAULT '',
    products TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    created_by BIGINT REFERENCES users(id)
);
CREATE TABLE vuln_inventories (
    id BIGSERIAL PRIMARY KEY,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    asset_id BIGINT NOT NULL REFERENCES assets(id),
    file_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    content BYTEA NOT NULL,
    parsed TEXT NOT NULL,
    os_build TEXT NOT NULL DEFAULT '',
    kbs TEXT NOT NULL DEFAULT '',
    received_at BIGINT NOT NULL,
    received_by BIGINT REFERENCES users(id)
);
CREATE INDEX vuln_inventories_asset ON vuln_inventories(asset_id, id);
CREATE TABLE vuln_sla (
    unit_id BIGINT PRIMARY KEY REFERENCES units(id),
    critical_days BIGINT NOT NULL,
    high_days BIGINT NOT NULL,
    medium_days BIGINT NOT NULL,
    low_days BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE vuln_findings (
    id BIGSERIAL PRIMARY KEY,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    asset_id BIGINT NOT NULL REFERENCES assets(id),
    cve TEXT NOT NULL,
    state TEXT NOT NULL,
    evidence TEXT NOT NULL DEFAULT '',
    kb TEXT NOT NULL DEFAULT '',
    severity TEXT NOT NULL DEFAULT '',
    severity_rank BIGINT NOT NULL DEFAULT 0,
    cvss10 BIGINT NOT NULL DEFAULT 0,
    kev BIGINT NOT NULL DEFAULT 0,
    exploited BIGINT NOT NULL DEFAULT 0,
    first_seen BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    owner TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'open',
    reason TEXT NOT NULL DEFAULT '',
    expires_at BIGINT,
    status_by BIGINT REFERENCES users(id),
    status_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (asset_id, cve)
);
CREATE INDEX vuln_findings_unit ON vuln_findings(unit_id, state, status);
CREATE INDEX vuln_findings_cve ON vuln_findings(cve, state, status);
CREATE TABLE vuln_snapshots (
    id BIGSERIAL PRIMARY KEY,
    view_key TEXT NOT NULL,
    day TEXT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    hosts BIGINT NOT NULL,
    taken_at BIGINT NOT NULL,
    UNIQUE (view_key, day, unit_id)
);
