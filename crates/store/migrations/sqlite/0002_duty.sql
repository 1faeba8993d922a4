-- The 24/7 duty roster: who is on duty in which unit, when, and what they hand over.
CREATE TABLE duty_shifts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    handover TEXT NOT NULL DEFAULT '',
    handover_at INTEGER,
    created_at INTEGER NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX duty_unit_time ON duty_shifts(unit_id, starts_at);
CREATE INDEX duty_time ON duty_shifts(ends_at);
