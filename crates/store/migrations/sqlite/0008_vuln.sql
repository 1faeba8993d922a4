-- Vulnerabilities: advisory feed versions (original bytes kept, the knowledge base is rebuilt from them), national
-- warnings, host inventories, SLA sets, findings per (asset, CVE) and daily exposure snapshots per view.
CREATE TABLE vuln_feeds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    sha256 TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    content BLOB NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    imported_at INTEGER NOT NULL,
    imported_by INTEGER REFERENCES users(id)
);
CREATE TABLE vuln_warnings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT NOT NULL UNIQUE,
    issued_on TEXT NOT NULL DEFAULT '',
    issuer TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '',
    deadline TEXT NOT NULL DEFAULT '',
    cves TEXT NOT NULL DEFAULT '',
    products TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    created_by INTEGER REFERENCES users(id)
);
CREATE TABLE vuln_inventories (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    asset_id INTEGER NOT NULL REFERENCES assets(id),
    file_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    content BLOB NOT NULL,
    parsed TEXT NOT NULL,
    os_build TEXT NOT NULL DEFAULT '',
    kbs TEXT NOT NULL DEFAULT '',
    received_at INTEGER NOT NULL,
    received_by INTEGER REFERENCES users(id)
);
CREATE INDEX vuln_inventories_asset ON vuln_inventories(asset_id, id);
CREATE TABLE vuln_sla (
    unit_id INTEGER PRIMARY KEY REFERENCES units(id),
    critical_days INTEGER NOT NULL,
    high_days INTEGER NOT NULL,
    medium_days INTEGER NOT NULL,
    low_days INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE vuln_findings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    asset_id INTEGER NOT NULL REFERENCES assets(id),
    cve TEXT NOT NULL,
    state TEXT NOT NULL,
    evidence TEXT NOT NULL DEFAULT '',
    kb TEXT NOT NULL DEFAULT '',
    severity TEXT NOT NULL DEFAULT '',
    severity_rank INTEGER NOT NULL DEFAULT 0,
    cvss10 INTEGER NOT NULL DEFAULT 0,
    kev INTEGER NOT NULL DEFAULT 0,
    exploited INTEGER NOT NULL DEFAULT 0,
    first_seen INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    owner TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'open',
    reason TEXT NOT NULL DEFAULT '',
    expires_at INTEGER,
    status_by INTEGER REFERENCES users(id),
    status_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (asset_id, cve)
);
CREATE INDEX vuln_findings_unit ON vuln_findings(unit_id, state, status);
CREATE INDEX vuln_findings_cve ON vuln_findings(cve, state, status);
CREATE TABLE vuln_snapshots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    view_key TEXT NOT NULL,
    day TEXT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    hosts INTEGER NOT NULL,
    taken_at INTEGER NOT NULL,
    UNIQUE (view_key, day, unit_id)
);
