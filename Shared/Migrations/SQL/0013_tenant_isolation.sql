-- Trust: who may change a citizen, who changed them, idempotency that fingerprints the whole request,
-- officers' retries, and a certificate's file name that belongs to its delivery.

-- What an API key may do. 'outcomes': post outcomes and read its own deliveries and inbox items (every key).
-- 'citizens': register citizens and change their contact details, language and consents: the portal's key, the
-- keeper of the citizen's record. Keys made before this migration keep 'outcomes' only: an operator grants
-- 'citizens' to the portal's key on purpose (dakiya-admin key create --scope citizens).
ALTER TABLE api_keys ADD COLUMN scopes text[] NOT NULL DEFAULT '{outcomes}'
    CHECK (scopes <@ ARRAY['outcomes', 'citizens'] AND cardinality(scopes) > 0);

-- Every change to a citizen's record names the key that made it.
ALTER TABLE citizens ADD COLUMN updated_by_key bigint REFERENCES api_keys (id);
CREATE TABLE citizen_changes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    citizen_id  bigint      NOT NULL REFERENCES citizens (id),
    api_key_id  bigint      REFERENCES api_keys (id),   -- NULL: an operator's tool (dakiya-admin), not an API key
    fields      text[]      NOT NULL,          -- the fields the request changed (created: every field it set)
    created     boolean     NOT NULL,
    changed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX citizen_changes_citizen_idx ON citizen_changes (citizen_id, id);
-- NULL: recorded by the citizen themselves on a channel (a WhatsApp STOP), not by an API key.
ALTER TABLE citizen_consents ADD COLUMN api_key_id bigint REFERENCES api_keys (id);

-- An idempotent replay carries the Location header of the first answer.
ALTER TABLE idempotency_keys ADD COLUMN response_location text;

-- Officers' writes (admission, hearing, decision, penalty) retried with the same Idempotency-Key get the first
-- answer; the key's scope is the officer key, the fingerprint covers method, path and body.
CREATE TABLE officer_request_keys (
    officer_key_id   bigint      NOT NULL REFERENCES officer_keys (id),
    key              text        NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash     bytea       NOT NULL,
    response_status  integer     NOT NULL,
    response_body    text        NOT NULL,
    response_location text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (officer_key_id, key)
);

-- The same certificate bytes are stored once; the name the department gave them belongs to each delivery.
ALTER TABLE deliveries ADD COLUMN document_file_name text;

-- A media id belongs to the Graph endpoint that received the upload: a live send never carries an id that only the
-- test endpoint (or the simulator) ever saw. Rows from before are dropped: they upload again on first use.
DELETE FROM whatsapp_media;
ALTER TABLE whatsapp_media ADD COLUMN graph_url text NOT NULL;
ALTER TABLE whatsapp_media DROP CONSTRAINT whatsapp_media_pkey;
ALTER TABLE whatsapp_media ADD PRIMARY KEY (document_id, graph_url, phone_number_id);
