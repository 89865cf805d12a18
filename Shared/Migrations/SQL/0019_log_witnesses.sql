-- Witness cosignatures (C2SP tlog-cosignature) on the log's checkpoints, as the witnesses returned them, and each
-- witness's last cosigned size (what the next add-checkpoint request names as "old"). A checkpoint counts as
-- published once enough of the configured witnesses have cosigned it (DAKIYA_LOG_WITNESS_QUORUM).
CREATE TABLE log_cosignatures (
    size         bigint      NOT NULL REFERENCES log_checkpoints (size),
    witness      text        NOT NULL,  -- the witness's verifier key
    line         text        NOT NULL CHECK (line LIKE '— % %' AND right(line, 1) = E'\n'),
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (size, witness)
);
CREATE TRIGGER log_cosignatures_append_only BEFORE UPDATE OR DELETE ON log_cosignatures
    FOR EACH ROW EXECUTE FUNCTION dakiya_log_append_only();
CREATE TRIGGER log_cosignatures_no_truncate BEFORE TRUNCATE ON log_cosignatures
    FOR EACH STATEMENT EXECUTE FUNCTION dakiya_log_append_only();

CREATE TABLE log_witness_state (
    witness     text        PRIMARY KEY,
    size        bigint      NOT NULL CHECK (size >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
