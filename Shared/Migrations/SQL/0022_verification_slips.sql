-- The verification slip (issue 16). A digitally signed certificate is delivered unchanged (any change would break
-- its signature), so its seal travels beside it: a one-page PDF with the seal's QR, the certificate id and the
-- SHA-256 of the signed file, delivered on every channel with the certificate. The verification address is kept
-- as sealed, so every channel (and the inbox) shows the address the QR holds.
ALTER TABLE certificate_seals ADD COLUMN slip_document_id bigint REFERENCES documents (id);
ALTER TABLE certificate_seals ADD COLUMN verification_url text;
ALTER TABLE certificate_seals ADD CONSTRAINT certificate_seals_slip_check CHECK (slip_document_id IS NULL OR signed_original);

-- On WhatsApp the slip follows the certificate as a template of its own (a template carries one document):
-- body parameters, in order: the certificate id and the verification address.
ALTER TABLE whatsapp_templates DROP CONSTRAINT whatsapp_templates_kind_check;
ALTER TABLE whatsapp_templates ADD CONSTRAINT whatsapp_templates_kind_check
    CHECK (kind IN ('approved', 'rejected', 'certificate_issued', 'other', 'appeal', 'appeal_order', 'verification_slip'));
INSERT INTO whatsapp_templates (kind, language, name, body_parameters, document_header)
SELECT 'verification_slip', language, 'dakiya_verification_slip', 2, true
FROM whatsapp_templates WHERE kind = 'certificate_issued';

-- One slip message per WhatsApp attempt that carried a signed certificate: the job that sends it finds its row
-- and sends nothing more.
CREATE TABLE whatsapp_slip_sends (
    attempt_id  bigint      PRIMARY KEY REFERENCES channel_attempts (id),
    wamid       text        NOT NULL,
    sent_at     timestamptz NOT NULL DEFAULT now()
);
