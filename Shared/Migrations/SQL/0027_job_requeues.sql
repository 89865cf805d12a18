-- Dead jobs put back to work by an operator (dakiya-admin dead-jobs requeue): who, why, when, and the job that
-- replaced the dead one. A requeued dead job no longer shows among the dead; this record outlives the history's
-- retention, so an auditor can see every second chance a job was given.
CREATE TABLE job_requeues (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dead_job_id  bigint      NOT NULL,
    queue        text        NOT NULL,
    kind         text        NOT NULL,
    new_job_id   bigint,     -- NULL: a live job with the same unique key was already queued, so none was added
    reason       text        NOT NULL CHECK (btrim(reason) <> '' AND length(reason) <= 500),
    requested_by text        NOT NULL CHECK (requested_by <> '' AND length(requested_by) <= 100),
    requeued_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (dead_job_id)
);
CREATE INDEX job_requeues_queue_idx ON job_requeues (queue, requeued_at DESC);
-- A dead job found by its id (history has no key: ids are unique because the hot table's identity made them).
CREATE INDEX job_history_dead_id_idx ON job_history (id) WHERE state = 'dead';
