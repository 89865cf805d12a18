-- A time limit that lapsed and then got its outcome was met late: the sweep records it once (and logs it), so the
-- record shows both the lapse and the late service.
ALTER TABLE application_clocks ADD COLUMN met_late_at timestamptz;
CREATE INDEX application_clocks_lapsed_idx ON application_clocks (lapsed_at)
    WHERE state = 'lapsed' AND kind = 'time_limit' AND met_late_at IS NULL;

-- Every key that signs for the gateway (the log's checkpoints now, certificate seals later), as announced in the
-- transparency log: added when first used, retired by an operator. The log's key.added / key.retired entries are
-- queued in the same statement as the row's change.
CREATE TABLE signing_keys (
    verifier_key  text        PRIMARY KEY,
    purpose       text        NOT NULL CHECK (purpose IN ('log', 'seal')),
    added_at      timestamptz NOT NULL DEFAULT now(),
    retired_at    timestamptz,
    retired_reason text
);

-- The log's full tiles (C2SP tlog-tiles): tile idx of level L holds the 256 hashes of perfect subtrees of 256^L
-- leaves (level 0: leaf hashes), with the root of those 256 (a level L+1 hash). Written by the integrator in the
-- transaction that completes them; partial tiles are served from these and log_entries. Proofs read a few rows
-- here instead of every leaf.
CREATE TABLE log_tiles (
    level   smallint NOT NULL CHECK (level BETWEEN 0 AND 7),
    idx     bigint   NOT NULL CHECK (idx >= 0),
    hashes  bytea    NOT NULL CHECK (length(hashes) = 8192),
    root    bytea    NOT NULL CHECK (length(root) = 32),
    PRIMARY KEY (level, idx)
);
CREATE TRIGGER log_tiles_append_only BEFORE UPDATE OR DELETE ON log_tiles
    FOR EACH ROW EXECUTE FUNCTION dakiya_log_append_only();
CREATE TRIGGER log_tiles_no_truncate BEFORE TRUNCATE ON log_tiles
    FOR EACH STATEMENT EXECUTE FUNCTION dakiya_log_append_only();
