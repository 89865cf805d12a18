-- What Meta's review says about our templates, from its webhooks (message_template_status_update,
-- message_template_quality_update): a paused template (low quality) cannot be sent until Meta reinstates it, a
-- disabled one never again. Broadcasts read it before sending: a paused template's messages wait, a disabled
-- one's fail with Meta's code; a template whose quality is still unknown is paced (a group at a time).
CREATE TABLE whatsapp_template_states (
    name        text        NOT NULL,
    language    text        NOT NULL,
    status      text,           -- Meta's event: APPROVED, PAUSED, DISABLED, REINSTATED, FLAGGED, …
    quality     text,           -- GREEN, YELLOW, RED, UNKNOWN
    reason      text,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, language)
);
