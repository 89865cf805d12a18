-- Broadcasts (issue 18): one message to many citizens, from an audience file or JSON rows.
--
-- A broadcast is accepted whole (its audience checked before anything is written) with its recipients, one row per
-- distinct recipient, and the fan-out jobs that turn them into messages. The dispatcher's fan-out reads the
-- recipients' consents and contact details as they are when it runs (a STOP since the upload is honoured) and writes
-- one message per channel a recipient can be reached on (or a skipped one, saying why), with the send jobs that carry
-- them: a send job names a range of recipients on one channel, never one message, so a million messages cost a few
-- thousand jobs. The adapters take a range's pending messages, send them, and keep each one's provider id; WhatsApp's
-- statuses move the messages forward (sent, delivered, read; failed).

CREATE TABLE broadcasts (
    id                 uuid        PRIMARY KEY,
    department         text        NOT NULL REFERENCES departments (code),
    api_key_id         bigint      NOT NULL REFERENCES api_keys (id),
    is_test            boolean     NOT NULL,
    name               text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    priority           text        NOT NULL CHECK (priority IN ('emergency', 'normal', 'bulk')),
    channels           text[]      NOT NULL,
    -- The approved WhatsApp template: its name and category, and the personalisation fields its body takes, in order.
    whatsapp_template  text        CHECK (whatsapp_template ~ '^[a-z0-9_]+$' AND length(whatsapp_template) <= 512),
    template_category  text        CHECK (template_category IN ('utility', 'marketing')),
    fields             text[]      NOT NULL,
    -- Per language: {"subject": …, "body": …} with {field} placeholders (the email, and the record of what was said).
    texts              jsonb       NOT NULL,
    scheduled_for      timestamptz,
    expires_at         timestamptz,
    state              text        NOT NULL DEFAULT 'accepted'
                                   CHECK (state IN ('accepted', 'sending', 'finished', 'cancelled')),
    recipients         integer     NOT NULL,
    repeated_rows      integer     NOT NULL DEFAULT 0,
    idempotency_key    text        NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    cancelled_at       timestamptz,
    finished_at        timestamptz
);
CREATE INDEX broadcasts_department_idx ON broadcasts (department, created_at DESC);

-- The audience as accepted: one row per distinct recipient (a recipient listed twice is kept once), in file order.
-- Neither this table nor broadcast_messages has a foreign key to broadcasts: their rows are written only by the
-- accept and the fan-out of a broadcast that exists, and a key checked per row (two million checks, and a share lock
-- each, for a million recipients) was a tenth of the fan-out's cost.
CREATE TABLE broadcast_recipients (
    broadcast_id  uuid     NOT NULL,
    seq           integer  NOT NULL,
    line          integer  NOT NULL,
    citizen       text,
    mobile        text,
    email         text,
    language      text,
    -- The personalisation values, in the order of broadcasts.fields.
    fields        text[]   NOT NULL,
    PRIMARY KEY (broadcast_id, seq)
);

-- One message per recipient and channel. Forward only: pending → sending → sent → delivered → read; failed from
-- sending or sent; skipped (with the reason) and cancelled before sending.
CREATE TABLE broadcast_messages (
    broadcast_id  uuid        NOT NULL,
    channel       text        NOT NULL CHECK (channel IN ('whatsapp', 'email')),
    seq           integer     NOT NULL,
    address       text,
    language      text        NOT NULL,
    office_code   text,
    state         text        NOT NULL
                              CHECK (state IN ('pending', 'sending', 'sent', 'delivered', 'read', 'failed', 'skipped',
                                               'cancelled')),
    reason        text,
    provider_id   text,
    sending_at    timestamptz,
    sent_at       timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (broadcast_id, channel, seq)
) WITH (fillfactor = 80);
-- No index but the key: a message's every move (taken, handed over, delivered, read) is then a HOT update in its
-- page, with no index entry to write (an index on the state made each move two index insertions).

-- The ranges of recipients fanned out, one row each (a counter on the broadcast's row made concurrent fan-outs wait
-- for each other's commit): the broadcast can finish once they cover every recipient.
CREATE TABLE broadcast_fanouts (
    broadcast_id  uuid        NOT NULL,
    from_seq      integer     NOT NULL,
    recipients    integer     NOT NULL,
    -- The send jobs (ranges of one channel) it made.
    ranges        integer     NOT NULL,
    at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (broadcast_id, from_seq)
);

-- The ranges whose every message is settled (handed over, failed, skipped or cancelled), one row each, written by
-- the send job that found it so: the broadcast is finished when they are as many as the fan-outs made.
CREATE TABLE broadcast_settled_ranges (
    broadcast_id  uuid        NOT NULL,
    channel       text        NOT NULL,
    from_seq      integer     NOT NULL,
    at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (broadcast_id, channel, from_seq)
);

-- The fan-out finds an audience row's citizen by mobile or email when the row does not name them (and a STOP finds
-- the citizens with its number the same way).
CREATE INDEX citizens_mobile_idx ON citizens (mobile) WHERE mobile IS NOT NULL;
CREATE INDEX citizens_email_idx ON citizens (email) WHERE email IS NOT NULL;
-- A citizen's applications, latest first: the office a broadcast's progress counts a recipient under, and the
-- citizens an alert's area holds.
CREATE INDEX applications_citizen_idx ON applications (citizen_id, updated_at DESC);

-- CAP 1.2 alerts received (POST /v1/alerts/cap): each with the broadcast it became, so that a later Update or Cancel
-- naming it (sender,identifier,sent, as CAP references are written) finds what to stop. The document is kept as
-- received.
CREATE TABLE cap_alerts (
    sender        text        NOT NULL,
    identifier    text        NOT NULL,
    sent          text        NOT NULL,
    department    text        NOT NULL REFERENCES departments (code),
    msg_type      text        NOT NULL CHECK (msg_type IN ('Alert', 'Update', 'Cancel')),
    status        text        NOT NULL,
    broadcast_id  uuid        REFERENCES broadcasts (id),
    document      text        NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (sender, identifier, sent)
);

-- Request rate limits kept in the database, so that every instance of the portal-adapter draws on one bucket per
-- department: a token bucket per key, refilled at a rate, holding at most a capacity.
CREATE TABLE request_buckets (
    key         text             PRIMARY KEY,
    tokens      double precision NOT NULL,
    updated_at  timestamptz      NOT NULL
);

-- Takes a token from bucket p_key (created full); returns 0 when taken, else the seconds until one will be there.
CREATE FUNCTION dakiya_bucket_take(p_key text, p_rate double precision, p_capacity double precision)
RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE
    t double precision;
    u timestamptz;
    moment timestamptz := clock_timestamp();
BEGIN
    INSERT INTO request_buckets (key, tokens, updated_at) VALUES (p_key, p_capacity, moment) ON CONFLICT (key) DO NOTHING;
    SELECT tokens, updated_at INTO t, u FROM request_buckets WHERE key = p_key FOR UPDATE;
    t := least(p_capacity, t + greatest(0, extract(epoch FROM moment - u)) * p_rate);
    IF t >= 1 THEN
        UPDATE request_buckets SET tokens = t - 1, updated_at = moment WHERE key = p_key;
        RETURN 0;
    END IF;
    UPDATE request_buckets SET tokens = t, updated_at = moment WHERE key = p_key;
    RETURN (1 - t) / p_rate;
END $$;

-- A broadcast's end is an event for the department's callback too (broadcast.finished): an event names a delivery or
-- a broadcast.
ALTER TABLE portal_events ALTER COLUMN delivery_id DROP NOT NULL;
ALTER TABLE portal_events ADD COLUMN broadcast_id uuid REFERENCES broadcasts (id) ON DELETE CASCADE;
ALTER TABLE portal_events ADD CONSTRAINT portal_events_subject_check CHECK ((delivery_id IS NULL) <> (broadcast_id IS NULL));
