-- WhatsApp webhook intake: each signed batch is stored before we answer 200, then processed through the job table.
CREATE TABLE whatsapp_webhook_batches (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    body         text        NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz
);

-- Statuses deduplicated by (wamid, status): Meta delivers at least once.
CREATE TABLE whatsapp_status_events (
    wamid        text        NOT NULL,
    status       text        NOT NULL,
    attempt_id   bigint      REFERENCES channel_attempts (id),
    error_code   text,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (wamid, status)
);

-- Inbound citizen messages, deduplicated by wamid.
CREATE TABLE whatsapp_inbound_messages (
    wamid        text        PRIMARY KEY,
    from_number  text,
    type         text        NOT NULL,
    message      jsonb       NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX channel_attempts_provider_idx ON channel_attempts (provider_message_id) WHERE provider_message_id IS NOT NULL;
