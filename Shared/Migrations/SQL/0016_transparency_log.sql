-- The transparency log (issue 15): an append-only Merkle log (RFC 9162) of what the gateway did, with no personal
-- data. A domain write queues its entry in the same transaction (log_queue); the integrator (one at a time) gives
-- the waiting entries contiguous indexes, extends the tree and signs a checkpoint, in one transaction, so a crash
-- leaves neither a gap nor a duplicate.

-- Each application is committed in the log as SHA-256(salt || application id): the salt stays here, so the log
-- links an application's entries without naming it, and the department or the citizen, given the salt, can prove
-- an entry is theirs.
ALTER TABLE applications ADD COLUMN log_salt bytea NOT NULL
    DEFAULT decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex')
    CHECK (length(log_salt) = 32);

-- The commitment for an application row.
CREATE FUNCTION dakiya_log_commitment(salt bytea, application_id text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT encode(sha256(salt || convert_to(application_id, 'UTF8')), 'hex')
$$;

-- Entries waiting for their index: canonical JSON (RFC 8785), written by the domain transaction.
CREATE TABLE log_queue (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entry      bytea       NOT NULL CHECK (length(entry) BETWEEN 2 AND 65536),
    queued_at  timestamptz NOT NULL DEFAULT now()
);

-- The log itself: entry i at index i, from 0, without gaps.
CREATE TABLE log_entries (
    idx            bigint      PRIMARY KEY CHECK (idx >= 0),
    entry          bytea       NOT NULL,
    leaf_hash      bytea       NOT NULL CHECK (length(leaf_hash) = 32),
    queued_at      timestamptz NOT NULL,
    integrated_at  timestamptz NOT NULL DEFAULT now()
);

-- The tree's right edge after the last integration (one row): its size, the roots of its perfect subtrees
-- (largest first) and its root, so the integrator never rereads old entries.
CREATE TABLE log_state (
    singleton  boolean  PRIMARY KEY DEFAULT true CHECK (singleton),
    size       bigint   NOT NULL CHECK (size >= 0),
    subtrees   bytea[]  NOT NULL,
    root       bytea    NOT NULL CHECK (length(root) = 32)
);
INSERT INTO log_state (size, subtrees, root)
VALUES (0, '{}', decode('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'hex'));

-- Every checkpoint signed, as the signed note (C2SP tlog-checkpoint) the log serves.
CREATE TABLE log_checkpoints (
    size       bigint      PRIMARY KEY CHECK (size >= 0),
    root       bytea       NOT NULL CHECK (length(root) = 32),
    note       text        NOT NULL,
    signed_at  timestamptz NOT NULL DEFAULT now()
);

-- The log's signing keys when no key is set for the services (DAKIYA_LOG_SIGNING_KEY): made once, on first use.
CREATE TABLE log_signing_keys (
    name        text        PRIMARY KEY,
    seed        bytea       NOT NULL CHECK (length(seed) = 32),
    public_key  bytea       NOT NULL CHECK (length(public_key) = 32),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Append-only: a logged entry or a signed checkpoint is never changed or removed, by any role, without first
-- dropping this trigger (which a tampering auditor's replay would then catch anyway).
CREATE FUNCTION dakiya_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the transparency log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'DKL01';
END $$;
CREATE TRIGGER log_entries_append_only BEFORE UPDATE OR DELETE ON log_entries
    FOR EACH ROW EXECUTE FUNCTION dakiya_log_append_only();
CREATE TRIGGER log_entries_no_truncate BEFORE TRUNCATE ON log_entries
    FOR EACH STATEMENT EXECUTE FUNCTION dakiya_log_append_only();
CREATE TRIGGER log_checkpoints_append_only BEFORE UPDATE OR DELETE ON log_checkpoints
    FOR EACH ROW EXECUTE FUNCTION dakiya_log_append_only();
CREATE TRIGGER log_checkpoints_no_truncate BEFORE TRUNCATE ON log_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION dakiya_log_append_only();

-- A log entry as RFC 8785 canonical JSON, from a flat object whose values are strings, integers, booleans or null
-- (names are ours, ASCII, so byte order is JCS's UTF-16 order; to_json escapes strings exactly as JCS does).
-- Swift's CanonicalJSON writes the same bytes; a test checks the two agree.
CREATE FUNCTION dakiya_log_entry(fields jsonb) RETURNS bytea LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT convert_to('{' || string_agg(
               to_json(key)::text || ':' ||
               CASE jsonb_typeof(value) WHEN 'string' THEN to_json(value #>> '{}')::text ELSE value::text END,
               ',' ORDER BY key COLLATE "C") || '}', 'UTF8')
    FROM jsonb_each(fields)
$$;

-- An instant as entries carry it: RFC 3339 in UTC with milliseconds.
CREATE FUNCTION dakiya_log_time(at timestamptz) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;
