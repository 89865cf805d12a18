import Postgres

/// Every statement the queue runs, prepared once per connection. `$now` parameters are
/// `coalesce($n::timestamptz, now())` so a test clock can stand in for the database clock.
enum JobSQL {
    /// The prefix of each queue's NOTIFY channel. Migration 0012's `dakiya_wake` writes it too; a test reads the
    /// function's definition back from the database and checks the two agree.
    static let channelPrefix = "dakiya_jobs_"
    /// The first key of each queue's idle lock (the second is `hashtext(queue)`); also in `dakiya_wake`, checked
    /// by the same test.
    static let idleLockClass: Int32 = 1_684_761_449

    static func channel(_ queue: String) -> String { channelPrefix + queue }

    /// The advisory lock an idle worker of `$1` holds (exclusive, session) while it waits for a NOTIFY; enqueueing
    /// transactions try it shared and notify only when they cannot take it (`dakiya_wake`, migration 0012).
    static let holdIdleLock = Statement(
        "dakiya_job_idle_lock", "SELECT pg_advisory_lock(\(idleLockClass), hashtext($1))")
    static let releaseIdleLock = Statement(
        "dakiya_job_idle_unlock", "SELECT pg_advisory_unlock(\(idleLockClass), hashtext($1))")

    static let enqueue = Statement(
        "dakiya_job_enqueue",
        """
        WITH ins AS (
            INSERT INTO jobs (queue, kind, payload, priority, run_at, state, max_attempts, unique_key, rate_key)
            SELECT t.queue, t.kind, t.payload, t.priority, coalesce(t.run_at, n.now),
                   CASE WHEN t.run_at > n.now THEN 'scheduled'::job_state ELSE 'available'::job_state END,
                   t.max_attempts, t.unique_key, t.rate_key
            FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::smallint[], $5::timestamptz[], $6::smallint[], $7::text[], $8::text[])
                 AS t(queue, kind, payload, priority, run_at, max_attempts, unique_key, rate_key),
                 (SELECT coalesce($9::timestamptz, now()) AS now) n
            ON CONFLICT (queue, unique_key) WHERE unique_key IS NOT NULL DO NOTHING
            RETURNING id, queue, state)
        SELECT id,
               CASE WHEN state = 'available' AND row_number() OVER (PARTITION BY queue, state ORDER BY id) = 1
                    THEN dakiya_wake(queue)::text END
        FROM ins ORDER BY id
        """)

    static let createStaging = """
        CREATE TEMP TABLE IF NOT EXISTS dakiya_job_staging (
            queue text, kind text, payload jsonb, priority smallint, run_at timestamptz,
            max_attempts smallint, unique_key text, rate_key text) ON COMMIT DELETE ROWS
        """

    static let enqueueStaged = Statement(
        "dakiya_job_enqueue_staged",
        """
        WITH ins AS (
            INSERT INTO jobs (queue, kind, payload, priority, run_at, state, max_attempts, unique_key, rate_key)
            SELECT t.queue, t.kind, t.payload, t.priority, coalesce(t.run_at, n.now),
                   CASE WHEN t.run_at > n.now THEN 'scheduled'::job_state ELSE 'available'::job_state END,
                   t.max_attempts, t.unique_key, t.rate_key
            FROM dakiya_job_staging t, (SELECT coalesce($1::timestamptz, now()) AS now) n
            ON CONFLICT (queue, unique_key) WHERE unique_key IS NOT NULL DO NOTHING
            RETURNING id, queue, state),
        notified AS (
            SELECT dakiya_wake(queue) FROM (SELECT DISTINCT queue FROM ins WHERE state = 'available') q)
        SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM notified)
        """)

    static let claim = Statement(
        "dakiya_job_claim",
        """
        UPDATE jobs j
        SET state = 'running', attempt = j.attempt + 1, worker_id = $4, claimed_on = dakiya_server_epoch(),
            lease_until = coalesce($5::timestamptz, now()) + make_interval(secs => $3::float8),
            attempted_at = coalesce($5::timestamptz, now())
        WHERE j.id = ANY (ARRAY(
            SELECT id FROM jobs
            WHERE state = 'available' AND queue = $1 AND run_at <= coalesce($5::timestamptz, now())
            ORDER BY priority, run_at, id
            LIMIT $2
            FOR UPDATE SKIP LOCKED))
        RETURNING j.id, j.kind, j.attempt, j.max_attempts, j.payload, j.rate_key, j.unique_key, j.created_at, j.priority
        """)

    /// A completed job leaves the table; it is copied to `job_history` only when it needed more than one attempt
    /// (what went wrong before it succeeded is worth keeping), or for every job when the database says
    /// `dakiya.job_history = 'all'` (`ALTER DATABASE … SET`, read as each session starts). What a job did is
    /// recorded by its own domain write (attempts, status events, the transparency log); a history row of every
    /// job was the same fact again, 2.4 rows and their index entries per WhatsApp message.
    ///
    /// A job claimed on another server (`claimed_on`, migration 0035: the database failed over, or restarted, between
    /// the claim and this settlement) is not completed but put back, available, its attempt given back: with an
    /// asynchronous standby the claim can survive while the handler's work was lost. Rows: (id, requeued, woke).
    static let complete = Statement(
        "dakiya_job_complete",
        """
        WITH t AS (SELECT * FROM unnest($1::bigint[], $2::smallint[], $3::text[]) AS t(id, attempt, holder)),
        \(requeueClaimsFromAnotherServer),
        d AS (
            DELETE FROM jobs j USING t
            WHERE j.id = t.id AND j.attempt = t.attempt AND j.state = 'running' AND j.worker_id = t.holder
              AND coalesce(j.claimed_on, dakiya_server_epoch()) = dakiya_server_epoch()
            RETURNING j.*),
        kept AS (
            INSERT INTO job_history (id, queue, kind, state, priority, attempt, max_attempts, rate_key, unique_key, payload, last_error, created_at, finished_at)
            SELECT id, queue, kind, 'completed', priority, attempt, max_attempts, rate_key, unique_key, payload, last_error, created_at,
                   coalesce($4::timestamptz, now())
            FROM d WHERE d.attempt > 1 OR dakiya_job_history_all())
        SELECT id, false, NULL FROM d
        UNION ALL \(requeuedRows)
        """)

    /// The part of `complete` and `bury` that puts back the claims made on another server (a CTE named `requeued`).
    private static let requeueClaimsFromAnotherServer = """
        requeued AS (
            UPDATE jobs j SET state = 'available', attempt = j.attempt - 1, lease_until = NULL, worker_id = NULL,
                              claimed_on = NULL
            FROM t
            WHERE j.id = t.id AND j.attempt = t.attempt AND j.state = 'running' AND j.worker_id = t.holder
              AND j.claimed_on <> dakiya_server_epoch()
            RETURNING j.id, j.queue)
        """
    /// `requeued`'s ids, waking each of its queues once.
    private static let requeuedRows = """
        SELECT id, true, CASE WHEN row_number() OVER (PARTITION BY queue ORDER BY id) = 1 THEN dakiya_wake(queue) END
        FROM requeued
        """

    static let retry = Statement(
        "dakiya_job_retry",
        """
        WITH t AS (SELECT * FROM unnest($1::bigint[], $2::smallint[], $3::float8[], $4::jsonb[], $5::text[]) AS t(id, attempt, delay, error, holder))
        UPDATE jobs j
        SET state = 'retryable', run_at = coalesce($6::timestamptz, now()) + make_interval(secs => t.delay),
            lease_until = NULL, worker_id = NULL, last_error = t.error
        FROM t
        WHERE j.id = t.id AND j.attempt = t.attempt AND j.state = 'running' AND j.worker_id = t.holder
        RETURNING j.id
        """)

    /// A dead job moves to `job_history`; one claimed on another server is put back instead, as in `complete`.
    /// Rows: (id, requeued, woke).
    static let bury = Statement(
        "dakiya_job_bury",
        """
        WITH t AS (SELECT * FROM unnest($1::bigint[], $2::smallint[], $3::jsonb[], $4::text[]) AS t(id, attempt, error, holder)),
        \(requeueClaimsFromAnotherServer),
        d AS (
            DELETE FROM jobs j USING t
            WHERE j.id = t.id AND j.attempt = t.attempt AND j.state = 'running' AND j.worker_id = t.holder
              AND coalesce(j.claimed_on, dakiya_server_epoch()) = dakiya_server_epoch()
            RETURNING j.*, t.error AS final_error),
        buried AS (
            INSERT INTO job_history (id, queue, kind, state, priority, attempt, max_attempts, rate_key, unique_key, payload, last_error, created_at, finished_at)
            SELECT id, queue, kind, 'dead', priority, attempt, max_attempts, rate_key, unique_key, payload, final_error, created_at,
                   coalesce($5::timestamptz, now())
            FROM d
            RETURNING id)
        SELECT id, false, NULL FROM buried
        UNION ALL \(requeuedRows)
        """)

    static let snooze = Statement(
        "dakiya_job_snooze",
        """
        WITH t AS (SELECT * FROM unnest($1::bigint[], $2::smallint[], $3::float8[], $4::text[]) AS t(id, attempt, delay, holder))
        UPDATE jobs j
        SET state = CASE WHEN t.delay > 0 THEN 'scheduled'::job_state ELSE 'available'::job_state END,
            attempt = j.attempt - 1,
            run_at = coalesce($5::timestamptz, now()) + make_interval(secs => t.delay),
            lease_until = NULL, worker_id = NULL
        FROM t
        WHERE j.id = t.id AND j.attempt = t.attempt AND j.state = 'running' AND j.worker_id = t.holder
        RETURNING j.id
        """)

    static let heartbeat = Statement(
        "dakiya_job_heartbeat",
        """
        UPDATE jobs j SET lease_until = coalesce($4::timestamptz, now()) + make_interval(secs => $3::float8)
        FROM unnest($1::bigint[], $2::text[]) AS t(id, holder)
        WHERE j.id = t.id AND j.worker_id = t.holder AND j.state = 'running'
        RETURNING j.id
        """)

    static let release = Statement(
        "dakiya_job_release",
        """
        WITH t AS (SELECT * FROM unnest($1::bigint[], $2::smallint[], $3::text[]) AS t(id, attempt, holder))
        UPDATE jobs j SET state = 'available', attempt = j.attempt - 1, lease_until = NULL, worker_id = NULL
        FROM t
        WHERE j.id = t.id AND j.attempt = t.attempt AND j.state = 'running' AND j.worker_id = t.holder
        RETURNING j.id, j.queue
        """)

    static let rescue = Statement(
        "dakiya_job_rescue",
        """
        UPDATE jobs j
        SET state = CASE WHEN j.attempt >= j.max_attempts THEN 'dead'::job_state ELSE 'retryable'::job_state END,
            run_at = coalesce($1::timestamptz, now()), lease_until = NULL, worker_id = NULL,
            last_error = jsonb_build_object('error', 'lease expired', 'kind', 'retryable', 'worker', j.worker_id,
                                            'attempt', j.attempt, 'at', coalesce($1::timestamptz, now()))
        WHERE j.id = ANY (ARRAY(
            SELECT id FROM jobs
            WHERE state = 'running' AND lease_until < coalesce($1::timestamptz, now())
            LIMIT 1000
            FOR UPDATE SKIP LOCKED))
        RETURNING j.id
        """)

    static let promote = Statement(
        "dakiya_job_promote",
        """
        WITH promoted AS (
            UPDATE jobs j SET state = 'available'
            WHERE j.id = ANY (ARRAY(
                SELECT id FROM jobs
                WHERE state IN ('scheduled', 'retryable') AND run_at <= coalesce($1::timestamptz, now())
                ORDER BY run_at
                LIMIT 5000
                FOR UPDATE SKIP LOCKED))
            RETURNING j.queue)
        SELECT queue, count(*), dakiya_wake(queue)::text FROM promoted GROUP BY queue
        """)

    /// Dead and cancelled jobs move to `job_history`. By `ctid` (a TID scan whatever the statistics say): as
    /// `id IN (SELECT …)`, statistics taken while the table was empty gave a generic plan of a nested loop that read
    /// the whole table once per row, minutes of CPU once a bulk of jobs came in (`PlanTests`); and a row changed
    /// meanwhile (a dead job retried by an operator) has a new ctid, so it is left alone, not deleted as it now is.
    static let archive = Statement(
        "dakiya_job_archive",
        """
        WITH d AS (
            DELETE FROM jobs
            WHERE ctid = ANY (ARRAY(SELECT ctid FROM jobs WHERE state IN ('dead', 'cancelled') LIMIT 5000))
              AND state IN ('dead', 'cancelled')
            RETURNING *)
        INSERT INTO job_history (id, queue, kind, state, priority, attempt, max_attempts, rate_key, unique_key, payload, last_error, created_at, finished_at)
        SELECT id, queue, kind, state, priority, attempt, max_attempts, rate_key, unique_key, payload, last_error, created_at,
               coalesce($1::timestamptz, now())
        FROM d
        RETURNING id
        """)

    static let prune = Statement(
        "dakiya_job_prune",
        """
        DELETE FROM job_history
        WHERE ctid = ANY (ARRAY(
            SELECT ctid FROM job_history
            WHERE finished_at < coalesce($1::timestamptz, now()) - make_interval(secs => $2::float8)
            LIMIT 10000))
        """)
}
