-- A WhatsApp Flow finished in the chat (issue 19): "Find a service" offers the department's Flow to apply, and when
-- the citizen completes it Meta sends an nfm_reply message whose response_json carries the Flow's data and our
-- flow_token (service:<code>:<wamid>). The answer is kept once, passed to the department's callback as an
-- application.flow_submitted event, and acknowledged to the citizen.
CREATE TABLE flow_submissions (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    wamid         text        NOT NULL UNIQUE,
    mobile        text        NOT NULL,
    service_code  text,                            -- from the flow_token; NULL for a token that is not ours
    department    text        REFERENCES departments (code),
    flow_token    text,
    response      jsonb       NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE portal_events ADD COLUMN flow_submission_id bigint REFERENCES flow_submissions (id);
ALTER TABLE portal_events DROP CONSTRAINT portal_events_subject_check;
ALTER TABLE portal_events ADD CONSTRAINT portal_events_subject_check
    CHECK (num_nonnulls(delivery_id, broadcast_id, flow_submission_id) = 1);
