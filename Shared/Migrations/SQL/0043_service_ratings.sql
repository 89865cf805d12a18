-- Rating the service (issue 19): after an outcome reaches the citizen on WhatsApp, they are asked once, in their
-- language, to rate the service from 1 to 5 and may add a comment. Answers are kept per application (asked once,
-- answered once), aggregated per service and office for the third-party audit of quality. A department switches the
-- question on (`ask_ratings`); it is off by default.

ALTER TABLE departments ADD COLUMN ask_ratings boolean NOT NULL DEFAULT false;

CREATE TABLE service_ratings (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id  bigint      NOT NULL UNIQUE REFERENCES applications (id),   -- asked once per application
    delivery_id     uuid        NOT NULL,          -- the outcome whose delivery prompted the question
    service_code    text        NOT NULL,
    office_code     text        NOT NULL,
    department      text        NOT NULL,
    mobile          text        NOT NULL,          -- the number asked: only it can answer
    language        text        NOT NULL,
    is_test         boolean     NOT NULL DEFAULT false,
    asked_at        timestamptz NOT NULL DEFAULT now(),
    ask_wamid       text,                          -- set once the question went out: never sent twice
    rating          smallint    CHECK (rating BETWEEN 1 AND 5),
    answered_at     timestamptz,
    -- The citizen's own words: kept here only, never written to a log (the service logs, the transparency log).
    comment         text        CHECK (length(comment) BETWEEN 1 AND 1000),
    commented_at    timestamptz,
    CHECK ((rating IS NULL) = (answered_at IS NULL)),
    CHECK (comment IS NULL OR rating IS NOT NULL)
);
CREATE INDEX service_ratings_service_idx ON service_ratings (service_code, office_code, asked_at);

-- The question: an approved utility template per language, the application and the service in its body, five
-- quick-reply buttons (1 to 5) whose payloads carry the rating's id.
ALTER TABLE whatsapp_templates DROP CONSTRAINT whatsapp_templates_kind_check;
ALTER TABLE whatsapp_templates ADD CONSTRAINT whatsapp_templates_kind_check
    CHECK (kind IN ('approved', 'rejected', 'certificate_issued', 'other', 'appeal', 'appeal_order', 'verification_slip',
                    'rating'));
INSERT INTO whatsapp_templates (kind, language, name, body_parameters, document_header, quick_reply_buttons)
SELECT 'rating', code, 'dakiya_rating_request', 2, false, 5 FROM languages;

-- The conversation waits for the optional comment after a rating.
ALTER TABLE whatsapp_conversations DROP CONSTRAINT whatsapp_conversations_state_check;
ALTER TABLE whatsapp_conversations ADD CONSTRAINT whatsapp_conversations_state_check
    CHECK (state IN ('menu', 'awaiting_application_id', 'appeal_application', 'appeal_grounds', 'appeal_confirm',
                     'awaiting_search', 'rating_comment'));
