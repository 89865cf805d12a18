-- WhatsApp's messaging limit: the business portfolio (every number it has) may start conversations with at most
-- 250 / 2,000 / 10,000 / 100,000 unique users in a moving 24 hours (or unlimited). Meta documents no error code
-- for passing it, so Dakiya keeps its own count and never passes it: one row per citizen's WhatsApp id, with the
-- time a business-initiated message last opened their 24 hours. A citizen reached again inside their 24 hours costs
-- nothing more. Only written when DAKIYA_WHATSAPP_MESSAGING_LIMIT is set (unlimited portfolios write nothing).
CREATE TABLE whatsapp_reach (
    wa_id      text        PRIMARY KEY,
    reached_at timestamptz NOT NULL
);
CREATE INDEX whatsapp_reach_at ON whatsapp_reach (reached_at);

-- Takes a place in the portfolio's 24 hours for each of `wa_ids` (digits), in order, while fewer than `budget`
-- unique users were reached in the last 24 hours; those already reached in their 24 hours are always allowed.
-- Returns the ids refused (nothing taken for them). One caller at a time (a transaction-scoped advisory lock):
-- two senders must not both take the last place. Rows older than 24 hours are deleted a thousand at a time.
CREATE FUNCTION whatsapp_reach_take(wa_ids text[], budget bigint)
RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
    window_start timestamptz := clock_timestamp() - interval '24 hours';
    used bigint;
    fresh text[];
    allowed text[];
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('dakiya.whatsapp_reach'));
    DELETE FROM whatsapp_reach WHERE wa_id IN (
        SELECT wa_id FROM whatsapp_reach WHERE reached_at <= window_start ORDER BY reached_at LIMIT 1000);
    SELECT coalesce(array_agg(x ORDER BY o), '{}') INTO fresh
    FROM (SELECT DISTINCT ON (x) x, o FROM unnest(wa_ids) WITH ORDINALITY AS u(x, o) ORDER BY x, o) d
    WHERE NOT EXISTS (SELECT 1 FROM whatsapp_reach r WHERE r.wa_id = d.x AND r.reached_at > window_start);
    SELECT count(*) INTO used FROM whatsapp_reach WHERE reached_at > window_start;
    allowed := fresh[1:greatest(0, budget - used)];
    INSERT INTO whatsapp_reach (wa_id, reached_at)
    SELECT x, clock_timestamp() FROM unnest(allowed) AS x
    ON CONFLICT (wa_id) DO UPDATE SET reached_at = excluded.reached_at;
    RETURN coalesce((SELECT array_agg(x) FROM unnest(fresh) AS x WHERE NOT (x = ANY (allowed))), '{}');
END
$$;
