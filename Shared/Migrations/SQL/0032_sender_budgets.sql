-- The throughput of each WhatsApp sender number, shared by every whatsapp-adapter instance: one token bucket per
-- number, kept here, from which the instances take small blocks (a tenth of a second's worth). Meta counts a
-- number's messages whoever sends them, so two instances with a bucket each would send at twice the rate and be
-- refused (130429). The database's clock is the only clock the bucket reads.
CREATE TABLE whatsapp_sender_budgets (
    phone_number_id text             PRIMARY KEY,
    tokens          double precision NOT NULL,
    updated_at      timestamptz      NOT NULL
);

-- Takes `wanted` tokens from the number's bucket (refilled at `rate` a second, at most `capacity`), all or none:
-- instances competing for a number then each get a whole block per call, not the one or two tokens that came back
-- since the last taker; `wait_seconds` says how long until the block is there when none was given. The row lock
-- orders the takers, and the time is read once the lock is held.
CREATE FUNCTION whatsapp_sender_take(number text, rate double precision, capacity double precision, wanted integer,
                                     OUT granted integer, OUT wait_seconds double precision)
LANGUAGE plpgsql AS $$
DECLARE
    at timestamptz;
    left_over double precision;
    left_at timestamptz;
    have double precision;
BEGIN
    SELECT b.tokens, b.updated_at INTO left_over, left_at FROM whatsapp_sender_budgets b
    WHERE b.phone_number_id = number FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO whatsapp_sender_budgets VALUES (number, capacity, clock_timestamp()) ON CONFLICT DO NOTHING;
        SELECT b.tokens, b.updated_at INTO left_over, left_at FROM whatsapp_sender_budgets b
        WHERE b.phone_number_id = number FOR UPDATE;
    END IF;
    at := clock_timestamp();
    have := least(capacity, left_over + greatest(0, extract(epoch FROM at - left_at)) * rate);
    wanted := least(wanted, greatest(1, floor(capacity)))::integer;
    granted := CASE WHEN have + 1e-9 >= wanted THEN wanted ELSE 0 END;
    UPDATE whatsapp_sender_budgets SET tokens = have - granted, updated_at = at WHERE phone_number_id = number;
    wait_seconds := CASE WHEN granted > 0 THEN 0 ELSE (wanted - have) / rate END;
END $$;

-- Meta said the number was too fast: its bucket is emptied and put `seconds` in debt, for every instance.
CREATE FUNCTION whatsapp_sender_drain(number text, rate double precision, seconds double precision) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO whatsapp_sender_budgets VALUES (number, -seconds * rate, clock_timestamp())
    ON CONFLICT (phone_number_id) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at
$$;
