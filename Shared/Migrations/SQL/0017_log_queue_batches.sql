-- The log's queue holds one row per domain statement instead of one per entry: a statement that moves a batch of
-- attempts queues its entries together, in order, as one array, so the queue writes and deletes a row per
-- statement, not per entry (the queue is a delete-heavy table on the delivery path's hot statements).
ALTER TABLE log_queue ADD COLUMN entries bytea[];
UPDATE log_queue SET entries = ARRAY[entry];
ALTER TABLE log_queue DROP COLUMN entry;
ALTER TABLE log_queue ALTER COLUMN entries SET NOT NULL;
-- Every entry fits an entry bundle (C2SP tlog-tiles: a 16-bit length), so a bad entry is refused with the domain
-- write that made it, never left to stop the integrator.
CREATE FUNCTION dakiya_log_entries_fit(entries bytea[]) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT cardinality(entries) BETWEEN 1 AND 100000
       AND NOT EXISTS (SELECT 1 FROM unnest(entries) e WHERE e IS NULL OR length(e) NOT BETWEEN 2 AND 65535)
$$;
ALTER TABLE log_queue ADD CONSTRAINT log_queue_entries_check CHECK (dakiya_log_entries_fit(entries));

-- Whether the services queue log entries: on unless the database (or a session) sets dakiya.transparency_log to
-- 'off'. Switching it off is for measuring what the log costs (make bench does, on its own database); a deployment
-- keeps it on, and the dispatcher warns at startup and in its metrics when it is off.
CREATE FUNCTION dakiya_log_on() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('dakiya.transparency_log', true), '') <> 'off'
$$;
