-- Known-good warning lists (MISP style) that suppress false-positive list matches, the suppression kept on the
-- item, and comment threads on remediation items.
CREATE TABLE warning_lists (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    list_values TEXT NOT NULL,
    entries BIGINT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL
);
ALTER TABLE botnet_items ADD COLUMN suppressed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE botnet_items ADD COLUMN suppressed_value TEXT NOT NULL DEFAULT '';
CREATE TABLE botnet_item_comments (
    id BIGSERIAL PRIMARY KEY,
    item_id BIGINT NOT NULL REFERENCES botnet_items(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX botnet_item_comments_item ON botnet_item_comments(item_id, id);
