-- Only events their sender numbered can be re-sent: the uniqueness of (source, sender id) needs no index entry for
-- the others (syslog lines, unnumbered HTTP events), which saves an index write per such event.
DROP INDEX events_ext;
CREATE UNIQUE INDEX events_ext ON events(source_id, ext_id) WHERE ext_id IS NOT NULL;
