-- The job table: the only channel between Dakiya's services.
-- Hot table `jobs` holds only live jobs; finished ones move to `job_history`.

CREATE TYPE job_state AS ENUM ('available', 'scheduled', 'running', 'retryable', 'completed', 'dead', 'cancelled');

CREATE TABLE jobs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    queue         text        NOT NULL CHECK (queue ~ '^[a-z0-9_]{1,40}$'),
    kind          text        NOT NULL CHECK (kind <> '' AND length(kind) <= 100),
    state         job_state   NOT NULL DEFAULT 'available',
    priority      smallint    NOT NULL DEFAULT 2 CHECK (priority BETWEEN 1 AND 4),
    run_at        timestamptz NOT NULL DEFAULT now(),
    attempt       smallint    NOT NULL DEFAULT 0 CHECK (attempt >= 0),
    max_attempts  smallint    NOT NULL DEFAULT 20 CHECK (max_attempts BETWEEN 1 AND 1000),
    lease_until   timestamptz,
    worker_id     text,
    rate_key      text,
    unique_key    text,
    payload       jsonb       NOT NULL DEFAULT '{}'::jsonb CHECK (octet_length(payload::text) <= 8192),
    last_error    jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    attempted_at  timestamptz
) WITH (fillfactor = 90,
        autovacuum_vacuum_scale_factor = 0.0, autovacuum_vacuum_threshold = 5000,
        autovacuum_vacuum_insert_scale_factor = 0.0, autovacuum_vacuum_insert_threshold = 20000,
        autovacuum_vacuum_cost_delay = 0, autovacuum_analyze_scale_factor = 0.02);

COMMENT ON COLUMN jobs.attempt IS 'Counted at claim; together with worker_id it fences completion and failure.';
COMMENT ON COLUMN jobs.payload IS 'Small JSON (8 KiB at most): big bodies live in their own tables.';

-- Claim path: only claimable rows, in the claim's ORDER BY order.
CREATE INDEX jobs_fetch_idx ON jobs (queue, priority, run_at, id) WHERE state = 'available';
-- Promoter path: scheduled and retry-waiting rows.
CREATE INDEX jobs_due_idx ON jobs (run_at) WHERE state IN ('scheduled', 'retryable');
-- Rescuer path: the running set is small; lease_until is not indexed so heartbeats stay HOT updates.
CREATE INDEX jobs_running_idx ON jobs (id) WHERE state = 'running';
-- Rows waiting to be moved to history.
CREATE INDEX jobs_finished_idx ON jobs (id) WHERE state IN ('dead', 'cancelled');
-- Enqueueing the same key twice (per queue) gives one live job.
CREATE UNIQUE INDEX jobs_unique_key_idx ON jobs (queue, unique_key) WHERE unique_key IS NOT NULL;

-- Finished jobs: append-only, pruned by finished_at after the retention period.
CREATE TABLE job_history (
    id            bigint      NOT NULL,
    queue         text        NOT NULL,
    kind          text        NOT NULL,
    state         job_state   NOT NULL,
    priority      smallint    NOT NULL,
    attempt       smallint    NOT NULL,
    max_attempts  smallint    NOT NULL,
    rate_key      text,
    unique_key    text,
    payload       jsonb       NOT NULL,
    last_error    jsonb,
    created_at    timestamptz NOT NULL,
    finished_at   timestamptz NOT NULL
);
CREATE INDEX job_history_finished_idx ON job_history (finished_at);
-- Dead jobs stay visible to operators: by queue, newest first.
CREATE INDEX job_history_dead_idx ON job_history (queue, finished_at DESC) WHERE state = 'dead';
