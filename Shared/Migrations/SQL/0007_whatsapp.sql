-- WhatsApp: the approved templates we use (data: names, languages, parameter counts), uploaded media ids
-- (reused until they expire after 30 days), and webhook intake.

CREATE TABLE whatsapp_templates (
    kind              text     NOT NULL CHECK (kind IN ('approved', 'rejected', 'certificate_issued', 'other')),
    language          text     NOT NULL CHECK (language IN ('en', 'mr', 'hi', 'te')),
    name              text     NOT NULL CHECK (name ~ '^[a-z0-9_]+$' AND length(name) <= 512),
    body_parameters   smallint NOT NULL CHECK (body_parameters BETWEEN 0 AND 20),
    document_header   boolean  NOT NULL DEFAULT false,
    PRIMARY KEY (kind, language)
);

-- Body parameters, in order: application id, service (and for rejections and other outcomes: the reasons).
INSERT INTO whatsapp_templates (kind, language, name, body_parameters, document_header)
SELECT kind, language, name, parameters, header
FROM (VALUES ('certificate_issued', 'dakiya_certificate_issued', 2, true), ('approved', 'dakiya_outcome_approved', 2, false),
             ('rejected', 'dakiya_outcome_rejected', 3, false), ('other', 'dakiya_outcome_update', 3, false)) AS t(kind, name, parameters, header),
     (VALUES ('en'), ('mr'), ('hi'), ('te')) AS l(language);

CREATE TABLE whatsapp_media (
    document_id      bigint      NOT NULL REFERENCES documents (id),
    phone_number_id  text        NOT NULL,
    media_id         text        NOT NULL,
    uploaded_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, phone_number_id)
);
