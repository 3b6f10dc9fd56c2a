-- No query uses this index: the delivery listing pages by row id (`ORDER BY id DESC`) with an optional status
-- filter, which SQLite answers by walking the table from its newest row. The index only cost a B-tree write in
-- every delivery's transaction.
DROP INDEX webhook_events_status;
