-- The 24/7 duty roster: who is on duty in which unit, when, and what they hand over.
CREATE TABLE duty_shifts (
    id BIGSERIAL PRIMARY KEY,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    handover TEXT NOT NULL DEFAULT '',
    handover_at BIGINT,
    created_at BIGINT NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX duty_unit_time ON duty_shifts(unit_id, starts_at);
CREATE INDEX duty_time ON duty_shifts(ends_at);
