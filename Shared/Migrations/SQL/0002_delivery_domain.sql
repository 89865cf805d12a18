-- The delivery domain: departments and their API keys, citizens and consents, applications, documents,
-- deliveries (one per outcome sent) and channel attempts (one per channel per delivery).

CREATE TABLE departments (
    code            text PRIMARY KEY CHECK (code ~ '^[A-Z0-9_]{2,32}$'),
    name            text NOT NULL,
    callback_url    text,
    email_from      text,
    email_reply_to  text,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- API keys: shown once at creation; only the SHA-256 of the whole key is stored. The prefix is public
-- (it names the key in logs and lists) and finds the row; the hash is then compared in constant time.
CREATE TABLE api_keys (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    prefix        text        NOT NULL UNIQUE,
    secret_hash   bytea       NOT NULL CHECK (octet_length(secret_hash) = 32),
    kind          text        NOT NULL CHECK (kind IN ('test', 'live')),
    department    text        NOT NULL REFERENCES departments (code),
    offices       text[]      NOT NULL DEFAULT '{}',   -- empty: every office of the department
    label         text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz
);

CREATE TABLE citizens (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    portal_user_id  text        NOT NULL UNIQUE CHECK (length(portal_user_id) BETWEEN 1 AND 128),
    mobile          text        CHECK (mobile ~ '^\+[1-9][0-9]{7,14}$'),
    email           text        CHECK (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
    language        text        NOT NULL DEFAULT 'mr' CHECK (language IN ('en', 'mr', 'hi', 'te')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Consent and opt-out history, append-only: the latest row per channel is the citizen's current choice.
CREATE TABLE citizen_consents (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    citizen_id   bigint      NOT NULL REFERENCES citizens (id),
    channel      text        NOT NULL CHECK (channel IN ('portal', 'whatsapp', 'email')),
    granted      boolean     NOT NULL,
    source       text        NOT NULL CHECK (length(source) BETWEEN 1 AND 64),
    recorded_at  timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX citizen_consents_latest_idx ON citizen_consents (citizen_id, channel, recorded_at DESC, id DESC);

CREATE TABLE applications (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    portal_application_id  text        NOT NULL UNIQUE CHECK (length(portal_application_id) BETWEEN 1 AND 128),
    department             text        NOT NULL REFERENCES departments (code),
    service_code           text        NOT NULL,
    office_code            text        NOT NULL,
    citizen_id             bigint      NOT NULL REFERENCES citizens (id),
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);

-- Certificate bytes, stored once per content.
CREATE TABLE documents (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sha256      bytea       NOT NULL UNIQUE CHECK (octet_length(sha256) = 32),
    media_type  text        NOT NULL,
    file_name   text        NOT NULL,
    size        integer     NOT NULL CHECK (size > 0),
    content     bytea       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz
);

CREATE TABLE deliveries (
    id                  uuid        PRIMARY KEY,
    application_id      bigint      NOT NULL REFERENCES applications (id),
    api_key_id          bigint      NOT NULL REFERENCES api_keys (id),
    is_test             boolean     NOT NULL,
    decision            text        NOT NULL CHECK (decision IN ('approved', 'rejected', 'other')),
    reasons             text[]      NOT NULL DEFAULT '{}',
    language            text        NOT NULL CHECK (language IN ('en', 'mr', 'hi', 'te')),
    document_id         bigint      REFERENCES documents (id),
    requested_channels  text[],     -- NULL: every channel the citizen can be reached on
    status              text        NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'in_progress', 'delivered', 'needs_attention', 'failed')),
    -- The first time the outcome reached the citizen on any channel: the legally effective time.
    first_delivered_at  timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (decision <> 'rejected' OR cardinality(reasons) > 0)
);
CREATE INDEX deliveries_application_idx ON deliveries (application_id, created_at);

CREATE TABLE channel_attempts (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id          uuid        NOT NULL REFERENCES deliveries (id),
    channel              text        NOT NULL CHECK (channel IN ('portal', 'whatsapp', 'email')),
    state                text        NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'delivered', 'read', 'failed', 'skipped')),
    failure_kind         text        CHECK (failure_kind IN ('permanent', 'temporary', 'technical')),
    skip_reason          text,
    provider_message_id  text,
    error_code           text,
    error_text           text,
    queued_at            timestamptz,
    sending_at           timestamptz,
    sent_at              timestamptz,
    delivered_at         timestamptz,
    read_at              timestamptz,
    failed_at            timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (delivery_id, channel)
);

-- States only move forward: queued < sending < sent < delivered < read; failed and skipped are final.
CREATE FUNCTION channel_state_rank(state text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE state WHEN 'queued' THEN 1 WHEN 'sending' THEN 2 WHEN 'sent' THEN 3 WHEN 'delivered' THEN 4
                      WHEN 'read' THEN 5 WHEN 'failed' THEN 6 WHEN 'skipped' THEN 6 END
$$;

-- API idempotency: the same key and body return the first response; a different body is a conflict.
CREATE TABLE idempotency_keys (
    department      text        NOT NULL REFERENCES departments (code),
    key             text        NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash    bytea       NOT NULL,
    response_status integer     NOT NULL,
    response_body   text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (department, key)
);
