-- Certificate seals (issue 16). A live outcome with a certificate is sealed before it is routed: the seal carries
-- the transparency-log index of the outcome's entry, so the queue row names the delivery it belongs to (ref) and
-- the integrator records which index that entry got (log_refs).
ALTER TABLE log_queue ADD COLUMN ref uuid;
CREATE TABLE log_refs (
    delivery_id  uuid   PRIMARY KEY,
    idx          bigint NOT NULL
);

-- One signing key per issuing department (a leaked key touches one department's certificates only, and the
-- verifier names the department from this registry, never from the seal). The seed is kept here; a deployment
-- that has an HSM keeps it there instead. Retired keys stay: seals they made before retirement remain valid.
CREATE TABLE seal_keys (
    key_id      bytea       PRIMARY KEY CHECK (length(key_id) = 4),
    department  text        NOT NULL REFERENCES departments (code),
    seed        bytea       NOT NULL CHECK (length(seed) = 32),
    public_key  bytea       NOT NULL UNIQUE CHECK (length(public_key) = 32),
    valid_from  timestamptz NOT NULL DEFAULT now(),
    retired_at  timestamptz
);
CREATE UNIQUE INDEX seal_keys_active_idx ON seal_keys (department) WHERE retired_at IS NULL;

-- Every seal made: what it says, what was received and what was delivered, and whether it was revoked.
CREATE TABLE certificate_seals (
    certificate_id       text        PRIMARY KEY CHECK (certificate_id ~ '^DK-[A-Z2-7]{10}$'),
    delivery_id          uuid        NOT NULL UNIQUE REFERENCES deliveries (id),
    original_document_id bigint      NOT NULL REFERENCES documents (id),
    key_id               bytea       NOT NULL REFERENCES seal_keys (key_id),
    log_index            bigint      NOT NULL CHECK (log_index >= 0),
    issued_on            date        NOT NULL,
    document_type        text        NOT NULL,
    seal                 text        NOT NULL UNIQUE,
    original_sha256      bytea       NOT NULL CHECK (length(original_sha256) = 32),
    delivered_sha256     bytea       NOT NULL CHECK (length(delivered_sha256) = 32),
    -- A digitally signed PDF (DSC, eSign) is delivered unchanged, with the seal beside it.
    signed_original      boolean     NOT NULL,
    revoked_at           timestamptz,
    revocation_reason    text        CHECK (revocation_reason IN ('issued_in_error', 'superseded', 'cancelled_by_order', 'fraud')),
    created_at           timestamptz NOT NULL DEFAULT now(),
    CHECK ((revoked_at IS NULL) = (revocation_reason IS NULL))
);
CREATE INDEX certificate_seals_delivered_idx ON certificate_seals (delivered_sha256);
CREATE INDEX certificate_seals_original_idx ON certificate_seals (original_sha256);
CREATE INDEX certificate_seals_revoked_idx ON certificate_seals (revoked_at) WHERE revoked_at IS NOT NULL;
