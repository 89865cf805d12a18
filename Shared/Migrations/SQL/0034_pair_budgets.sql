-- The pair limit between a sender number and one citizen (Meta: a few messages at once, then about one every six
-- seconds; 131056 when passed), shared by every whatsapp-adapter instance: one token bucket per (number, recipient).
-- With a bucket per process, N instances would let N bursts through to one citizen.
-- UNLOGGED: no WAL for a row updated on every message. The buckets are soft state: after a crash or on a promoted
-- standby the table starts empty, which gives each citizen at most one fresh burst, and Meta's own answer (131056,
-- handled as a snooze) still bounds it.
CREATE UNLOGGED TABLE whatsapp_pair_budgets (
    phone_number_id text             NOT NULL,
    recipient       text             NOT NULL,
    tokens          double precision NOT NULL,
    updated_at      timestamptz      NOT NULL,
    PRIMARY KEY (phone_number_id, recipient)
);

-- Takes one token for each (numbers[n], recipients[n]), in order (a recipient twice in one call takes twice),
-- refilled at `rate` a second up to `capacity`. Returns, for each n, 0 when taken, else the seconds until a token is
-- there (nothing taken). Buckets full again (untouched for capacity / rate seconds) are the same as no row: now and
-- then the call deletes them, so the table holds only the citizens of the last few seconds.
CREATE FUNCTION whatsapp_pair_take(numbers text[], recipients text[], rate double precision,
                                   capacity double precision)
RETURNS TABLE (n integer, wait_seconds double precision)
LANGUAGE plpgsql AS $$
DECLARE
    at timestamptz;
    have double precision;
BEGIN
    FOR i IN 1 .. coalesce(cardinality(numbers), 0) LOOP
        INSERT INTO whatsapp_pair_budgets VALUES (numbers[i], recipients[i], capacity, clock_timestamp())
        ON CONFLICT DO NOTHING;
        SELECT b.tokens, b.updated_at INTO have, at FROM whatsapp_pair_budgets b
        WHERE b.phone_number_id = numbers[i] AND b.recipient = recipients[i] FOR UPDATE;
        have := least(capacity, have + greatest(0, extract(epoch FROM clock_timestamp() - at)) * rate);
        n := i;
        IF have + 1e-9 >= 1 THEN
            UPDATE whatsapp_pair_budgets SET tokens = have - 1, updated_at = clock_timestamp()
            WHERE phone_number_id = numbers[i] AND recipient = recipients[i];
            wait_seconds := 0;
        ELSE
            wait_seconds := (1 - have) / rate;
        END IF;
        RETURN NEXT;
    END LOOP;
    IF random() < 0.01 THEN
        DELETE FROM whatsapp_pair_budgets WHERE updated_at < clock_timestamp() - make_interval(secs => capacity / rate);
    END IF;
END $$;
