import Foundation
import Postgres

/// How a claimed job ended, as reported by the worker that ran it.
package struct JobSettlement: Sendable {
    /// How the job ended.
    package enum Outcome: Sendable {
        case completed
        /// Run again after `delay`; the error is kept on the job.
        case retry(delay: Duration, error: PostgresJSON)
        /// Never run again: the job moves to history as dead with the error kept.
        case dead(error: PostgresJSON)
        /// Run again after `delay` without spending the attempt.
        case snooze(delay: Duration)
        /// Put back untouched (the worker is stopping before it started the job).
        case release
    }

    package var id: Int64
    package var attempt: Int16
    package var outcome: Outcome
    /// The claim that holds the job (`ClaimedJob.holder`); nil: the `workerID` that `settle` is given.
    package var holder: String?

    /// The settlement of attempt `attempt` of job `id`, held by the claim `holder`.
    package init(id: Int64, attempt: Int16, outcome: Outcome, holder: String? = nil) {
        self.id = id
        self.attempt = attempt
        self.outcome = outcome
        self.holder = holder
    }

    /// The settlement of `job` as claimed (its attempt and the claim that holds it).
    package init(_ job: ClaimedJob, outcome: Outcome) {
        self.init(id: job.id, attempt: job.attempt, outcome: outcome, holder: job.holder)
    }
}

/// The ids whose settlement was applied: a job missing here was rescued and claimed by another worker
/// (the fence refused the stale settlement).
package struct SettleResult: Sendable, Equatable {
    package var completed: [Int64] = []
    package var retried: [Int64] = []
    package var dead: [Int64] = []
    package var snoozed: [Int64] = []
    package var released: [Int64] = []
    package var refused: [Int64] = []
    /// Completed or dead, but claimed on another server (the database failed over or restarted since the claim):
    /// put back to run again, not settled (`JobSQL.complete`).
    package var requeued: [Int64] = []

    package var appliedCount: Int {
        completed.count + retried.count + dead.count + snoozed.count + released.count + requeued.count
    }
}

/// What one maintenance pass did.
package struct MaintenanceReport: Sendable, Equatable {
    package var rescued = 0
    package var promoted = 0
    package var archived = 0
    package var pruned = 0
}

/// The job table: enqueue, claim, settle (complete, retry, bury, snooze), heartbeat and maintenance.
///
/// Every call takes the connection to run on, so enqueueing joins the caller's transaction: a domain
/// write and the job it causes commit together or not at all.
package struct JobQueue: Sendable {
    package var clock: any JobClock

    /// A queue that reads the time from `clock` (the database's, except in tests).
    package init(clock: any JobClock = DatabaseClock()) {
        self.clock = clock
    }

    /// The LISTEN/NOTIFY channel that wakes the workers of `queue`.
    package static func channel(for queue: String) -> String { JobSQL.channel(queue) }

    /// The first key of a queue's idle lock, `pg_advisory_lock(idleLockClass, hashtext(queue))`, which a worker holds
    /// while idle.
    package static var idleLockClass: Int32 { JobSQL.idleLockClass }

    // MARK: Enqueue

    /// Enqueues one job on `connection` (inside its transaction, if one is open).
    /// Returns the new id, or nil when a live job with the same unique key already exists.
    /// - Throws: `PostgresError` from the database.
    @discardableResult
    package func enqueue(_ job: NewJob, on connection: Connection) throws -> Int64? {
        try enqueue([job], on: connection).first
    }

    /// Enqueues `jobs` with one multi-row statement, waking each queue's idle workers (`dakiya_wake`: one NOTIFY per
    /// queue, only while a worker of that queue holds its idle lock). Returns the ids of the jobs
    /// inserted, in order (duplicates by unique key are skipped). For fan-outs of thousands, `enqueueByCopy`.
    /// - Throws: `PostgresError` from the database.
    @discardableResult
    package func enqueue(_ jobs: [NewJob], on connection: Connection) throws -> [Int64] {
        guard !jobs.isEmpty else { return [] }
        let result = try connection.query(
            JobSQL.enqueue,
            [
                jobs.map(\.queue), jobs.map(\.kind), jobs.map(\.payload), jobs.map(\.priority), jobs.map(\.runAt),
                jobs.map(\.maxAttempts), jobs.map(\.uniqueKey), jobs.map(\.rateKey), clock.now(),
            ])
        return try result.rows.map { try $0.decode(Int64.self, at: 0) }
    }

    /// For a statement that enqueues as part of a bigger write (one round trip, one atomic statement): two common
    /// table expressions that insert one `kind` job for each row of the CTE `rows` (its columns `payload`, jsonb,
    /// and `unique_key`, text or NULL; and `queue`, text, when `queue` is nil) and wake each queue's idle workers. The
    /// statement must read `<name>_notified` (`(SELECT count(*) FROM <name>_notified)`, say), or the NOTIFY is not
    /// sent. Such jobs run at once by the database's clock. `priority` nil: each row's `priority` column (smallint).
    package static func enqueueClauses(
        _ name: String, queue: String? = nil, kind: String, priority: Int16? = 2, maxAttempts: Int16 = 20,
        runAtFromRows: Bool = false, from rows: String
    ) -> String {
        precondition(
            [name, queue ?? "", kind, rows].allSatisfy {
                $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._".contains($0)) }
            },
            "job queue, kind and CTE names are identifiers written in code")
        return """
            \(name) AS (
                INSERT INTO jobs (queue, kind, payload, priority, max_attempts, unique_key, run_at)
                SELECT \(queue.map { "'\($0)'" } ?? "r.queue"), '\(kind)', r.payload, \(priority.map { String($0) } ?? "r.priority"), \(maxAttempts), r.unique_key, \(runAtFromRows ? "r.run_at" : "now()") FROM \(rows) r
                ON CONFLICT (queue, unique_key) WHERE unique_key IS NOT NULL DO NOTHING
                RETURNING queue),
            \(name)_notified AS (SELECT dakiya_wake(queue) FROM (SELECT DISTINCT queue FROM \(name)) q)
            """
    }

    /// Enqueues a large batch through COPY into a per-session staging table, then one INSERT … SELECT
    /// (so unique keys still deduplicate). Returns how many jobs were inserted.
    /// - Throws: `PostgresError` from the database.
    @discardableResult
    package func enqueueByCopy(_ jobs: [NewJob], on connection: Connection) throws -> Int {
        try connection.transaction { tx in
            try tx.execute(script: JobSQL.createStaging)
            try tx.copy(
                "COPY dakiya_job_staging (queue, kind, payload, priority, run_at, max_attempts, unique_key, rate_key) FROM STDIN",
                rows: jobs.map { job in
                    [
                        job.queue, job.kind, job.payload.text, String(job.priority),
                        job.runAt.map(PostgresTimestamp.format),
                        String(job.maxAttempts), job.uniqueKey, job.rateKey,
                    ]
                })
            let row = try tx.query(JobSQL.enqueueStaged, [clock.now()]).first
            return try row?.decode(Int.self, at: 0) ?? 0
        }
    }

    // MARK: Claim

    /// Claims up to `limit` available jobs of `queue` for `workerID`, in priority then run_at order.
    /// Each claimed job's attempt is counted now, and it is leased for `lease`. `workerID` is the fence that its
    /// heartbeats and settlement must show: a worker gives each claim an id of its own (`JobWorker`), so a
    /// settlement can never apply to a later claim of the same attempt (see `ClaimedJob.holder`).
    /// - Throws: `PostgresError` from the database.
    package func claim(queue: String, limit: Int, lease: Duration, workerID: String, on connection: Connection) throws
        -> [ClaimedJob]
    {
        let result = try connection.query(JobSQL.claim, [queue, limit, lease.seconds, workerID, clock.now()])
        // An UPDATE returns its rows in no particular order: put them back in the claim's (priority, then age).
        return try result.rows.map { row in
            (
                priority: try row.decode(Int16.self, at: 8),
                job: ClaimedJob(
                    id: try row.decode(Int64.self, at: 0), queue: queue, kind: try row.decode(String.self, at: 1),
                    attempt: try row.decode(Int16.self, at: 2), maxAttempts: try row.decode(Int16.self, at: 3),
                    payload: try row.decode(PostgresJSON.self, at: 4), rateKey: try row.decode(String?.self, at: 5),
                    uniqueKey: try row.decode(String?.self, at: 6), createdAt: try row.decode(Date.self, at: 7),
                    holder: workerID)
            )
        }.sorted { ($0.priority, $0.job.id) < ($1.priority, $1.job.id) }.map(\.job)
    }

    /// Extends the lease of jobs `ids` still held by `workerID`. Returns the ids still held.
    /// - Throws: `PostgresError` from the database.
    @discardableResult
    package func heartbeat(ids: [Int64], workerID: String, lease: Duration, on connection: Connection) throws -> [Int64]
    {
        try heartbeat(ids: ids, holders: ids.map { _ in workerID }, lease: lease, on: connection)
    }

    /// Extends the lease of each job `ids[i]` still held by the claim `holders[i]`. Returns the ids still held.
    /// - Throws: `PostgresError` from the database.
    @discardableResult
    package func heartbeat(ids: [Int64], holders: [String], lease: Duration, on connection: Connection) throws
        -> [Int64]
    {
        precondition(ids.count == holders.count)
        guard !ids.isEmpty else { return [] }
        return try connection.query(JobSQL.heartbeat, [ids, holders, lease.seconds, clock.now()]).rows.map {
            try $0.decode(Int64.self, at: 0)
        }
    }

    // MARK: Settle

    /// Applies settlements in batches, one statement per outcome kind, in one transaction.
    /// Each applies only while its claim (`holder`, or `workerID` when it names none) still holds that attempt;
    /// the rest come back as `refused`.
    /// - Throws: `PostgresError` from the database.
    package func settle(_ settlements: [JobSettlement], workerID: String, on connection: Connection) throws
        -> SettleResult
    {
        var completed: [JobSettlement] = [], retried: [JobSettlement] = [], dead: [JobSettlement] = []
        var snoozed: [JobSettlement] = [], released: [JobSettlement] = []
        var retryDelays: [Double] = [], retryErrors: [PostgresJSON] = [], deadErrors: [PostgresJSON] = [],
            snoozeDelays: [Double] = []
        for settlement in settlements {
            switch settlement.outcome {
            case .completed: completed.append(settlement)
            case .retry(let delay, let error):
                retried.append(settlement); retryDelays.append(delay.seconds); retryErrors.append(error)
            case .dead(let error): dead.append(settlement); deadErrors.append(error)
            case .snooze(let delay): snoozed.append(settlement); snoozeDelays.append(delay.seconds)
            case .release: released.append(settlement)
            }
        }
        let now = clock.now()
        func holders(_ group: [JobSettlement]) -> [String] { group.map { $0.holder ?? workerID } }
        func ids(_ result: QueryResult) throws -> [Int64] { try result.rows.map { try $0.decode(Int64.self, at: 0) } }
        /// Rows of (id, requeued): the settled ids, and the requeued ones added to `requeued`.
        func settledIDs(_ result: QueryResult, requeued: inout [Int64]) throws -> [Int64] {
            var settled: [Int64] = []
            for row in result.rows {
                let id = try row.decode(Int64.self, at: 0)
                if try row.decode(Bool.self, at: 1) { requeued.append(id) } else { settled.append(id) }
            }
            return settled
        }
        // One statement needs no explicit transaction (saves two round trips on the hot path).
        let groups = [completed, retried, dead, snoozed, released].filter { !$0.isEmpty }.count
        let run: ((Connection) throws -> SettleResult) throws -> SettleResult = { body in
            groups == 1 && released.isEmpty ? try body(connection) : try connection.transaction(body)
        }
        return try run { tx in
            var result = SettleResult()
            if !completed.isEmpty {
                result.completed = try settledIDs(
                    tx.query(
                        JobSQL.complete, [completed.map(\.id), completed.map(\.attempt), holders(completed), now]),
                    requeued: &result.requeued)
            }
            if !retried.isEmpty {
                result.retried = try ids(
                    tx.query(
                        JobSQL.retry,
                        [retried.map(\.id), retried.map(\.attempt), retryDelays, retryErrors, holders(retried), now]))
            }
            if !dead.isEmpty {
                result.dead = try settledIDs(
                    tx.query(JobSQL.bury, [dead.map(\.id), dead.map(\.attempt), deadErrors, holders(dead), now]),
                    requeued: &result.requeued)
            }
            if !snoozed.isEmpty {
                result.snoozed = try ids(
                    tx.query(
                        JobSQL.snooze,
                        [snoozed.map(\.id), snoozed.map(\.attempt), snoozeDelays, holders(snoozed), now]))
            }
            if !released.isEmpty {
                let rows = try tx.query(
                    JobSQL.release, [released.map(\.id), released.map(\.attempt), holders(released)])
                let queues = Set(try rows.rows.map { try $0.decode(String.self, at: 1) })
                for queue in queues { try tx.query("SELECT dakiya_wake($1)", [queue]) }
                result.released = try ids(rows)
            }
            let applied = Set(
                result.completed + result.retried + result.dead + result.snoozed + result.released + result.requeued)
            result.refused = settlements.map(\.id).filter { !applied.contains($0) }
            return result
        }
    }

    /// Why settlements were refused by the fence. After a try whose reply was lost (`afterFailedTry`), a job that
    /// is gone from `jobs`, or back in it at the same attempt and no longer running, was settled by that try itself:
    /// its commit reached the database. Otherwise the job was rescued (its lease expired) and belongs to another run.
    /// - Throws: `PostgresError` from the database.
    package func classifyRefused(_ refused: [JobSettlement], afterFailedTry: Bool, on connection: Connection)
        throws -> (alreadySettled: [Int64], rescued: [Int64])
    {
        guard !refused.isEmpty else { return ([], []) }
        var live: [Int64: (attempt: Int16, state: String)] = [:]
        for row in try connection.query("SELECT id, attempt, state FROM jobs WHERE id = ANY($1)", [refused.map(\.id)])
            .rows
        {
            live[try row.decode(Int64.self, at: 0)] = (
                try row.decode(Int16.self, at: 1), try row.decode(String.self, at: 2)
            )
        }
        var settled: [Int64] = [], rescued: [Int64] = []
        for settlement in refused {
            let ours: Bool
            if let job = live[settlement.id] {
                // Retried, snoozed (which gives the attempt back) or released by our earlier try: waiting, at most this attempt.
                ours = afterFailedTry && job.attempt <= settlement.attempt && job.state != "running"
            } else {
                ours = afterFailedTry
            }
            if ours { settled.append(settlement.id) } else { rescued.append(settlement.id) }
        }
        return (settled, rescued)
    }

    // MARK: Maintenance

    /// One maintenance pass: rescue expired leases, promote due jobs (notifying their queues), move dead and
    /// cancelled jobs to history, prune history older than `retention`. Run by one process at a time
    /// (see `JobMaintenance`), but safe to run concurrently.
    /// - Throws: `PostgresError` from the database.
    package func maintain(retention: Duration, on connection: Connection) throws -> MaintenanceReport {
        let now = clock.now()
        var report = MaintenanceReport()
        report.rescued = try connection.query(JobSQL.rescue, [now]).count
        report.promoted = try connection.query(JobSQL.promote, [now]).rows.reduce(0) {
            $0 + (try $1.decode(Int.self, at: 1))
        }
        report.archived = try connection.query(JobSQL.archive, [now]).count
        report.pruned = try connection.query(JobSQL.prune, [now, retention.seconds]).affectedRows
        return report
    }

    // MARK: Inspection

    /// Counts of live jobs per state for `queue` (for metrics and tests).
    /// - Throws: `PostgresError` from the database.
    package func counts(queue: String, on connection: Connection) throws -> [String: Int] {
        var out: [String: Int] = [:]
        for row in try connection.query(
            "SELECT state::text, count(*) FROM jobs WHERE queue = $1 GROUP BY state", [queue]
        ).rows {
            out[try row.decode(String.self, at: 0)] = try row.decode(Int.self, at: 1)
        }
        return out
    }

    /// Dead jobs of `queue` not yet requeued, newest first, with the last error kept (those still in the hot table
    /// too).
    /// - Throws: `PostgresError` from the database.
    package func deadJobs(queue: String, limit: Int = 100, on connection: Connection) throws -> [(
        id: Int64, kind: String, attempt: Int16, error: PostgresJSON?
    )] {
        try connection.query(
            "SELECT id, kind, attempt, last_error FROM (\(Self.allDead)) d WHERE queue = $1 ORDER BY finished_at DESC LIMIT $2",
            [queue, limit]
        ).rows.map {
            (
                try $0.decode(Int64.self, at: 0), try $0.decode(String.self, at: 1), try $0.decode(Int16.self, at: 2),
                try $0.decode(PostgresJSON?.self, at: 3)
            )
        }
    }

    /// Dead jobs not yet requeued, per queue.
    /// - Throws: `PostgresError` from the database.
    package func deadCounts(on connection: Connection) throws -> [(queue: String, dead: Int, newest: Date)] {
        try connection.query(
            "SELECT queue, count(*), max(finished_at) FROM (\(Self.allDead)) d GROUP BY queue ORDER BY queue"
        ).rows.map {
            (try $0.decode(String.self, at: 0), try $0.decode(Int.self, at: 1), try $0.decode(Date.self, at: 2))
        }
    }

    /// Which dead jobs of a queue to requeue.
    package enum DeadSelection: Sendable, Equatable {
        /// These ids.
        case ids([Int64])
        /// Every dead job of this kind.
        case kind(String)
        /// Every dead job of the queue.
        case all
    }

    /// What a requeue did: the dead jobs given a new job, and those whose unique key a live job already holds (the
    /// work is already queued again, so no second job is added; they are recorded as requeued all the same).
    package struct RequeueResult: Sendable, Equatable {
        package var requeued: [(dead: Int64, new: Int64)]
        package var alreadyQueued: [Int64]

        package static func == (a: RequeueResult, b: RequeueResult) -> Bool {
            a.requeued.map(\.dead) == b.requeued.map(\.dead) && a.requeued.map(\.new) == b.requeued.map(\.new)
                && a.alreadyQueued == b.alreadyQueued
        }
    }

    /// Puts the dead jobs `selection` of `queue` back to work: a new job with the same kind, payload, priority,
    /// attempts and keys, ready now, its first attempt; each recorded in `job_requeues` with `reason` and `by`, in
    /// one transaction. A dead job is requeued once: asking again for the same one does nothing.
    /// - Throws: `PostgresError` from the database.
    package func requeueDead(
        queue: String, _ selection: DeadSelection, reason: String, by requester: String, on connection: Connection
    ) throws -> RequeueResult {
        try archiveAll(on: connection)
        return try connection.transaction { tx in
            let filter: String
            var parameters: [any PostgresEncodable] = [queue]
            switch selection {
            case .ids(let ids):
                filter = "AND h.id = ANY ($2::bigint[])"
                parameters.append(ids)
            case .kind(let kind):
                filter = "AND h.kind = $2"
                parameters.append(kind)
            case .all:
                filter = ""
            }
            // Ordered by id: the jobs keep the order they were first created in. Locked, so two operators requeueing
            // at once requeue each job once (the second waits, then finds it recorded).
            let dead = try tx.query(
                """
                SELECT h.id FROM job_history h
                WHERE h.queue = $1 \(filter) AND \(Self.deadInHistory)
                ORDER BY h.id FOR UPDATE OF h
                """, parameters
            ).rows.map { try $0.decode(Int64.self, at: 0) }
            var result = RequeueResult(requeued: [], alreadyQueued: [])
            for id in dead {
                let row = try tx.query(
                    """
                    WITH added AS (
                        INSERT INTO jobs (queue, kind, payload, priority, max_attempts, unique_key, rate_key, run_at)
                        SELECT queue, kind, payload, priority, max_attempts, unique_key, rate_key, coalesce($4::timestamptz, now())
                        FROM job_history WHERE id = $1 AND state = 'dead'
                        ON CONFLICT (queue, unique_key) WHERE unique_key IS NOT NULL DO NOTHING
                        RETURNING id)
                    INSERT INTO job_requeues (dead_job_id, queue, kind, new_job_id, reason, requested_by)
                    SELECT h.id, h.queue, h.kind, (SELECT id FROM added), $2, $3 FROM job_history h WHERE h.id = $1 AND h.state = 'dead'
                    RETURNING new_job_id
                    """, [id, reason, requester, clock.now()]
                ).first
                if let new = try row?.decode(Int64?.self, at: 0) {
                    result.requeued.append((id, new))
                } else {
                    result.alreadyQueued.append(id)
                }
            }
            if !result.requeued.isEmpty { _ = try tx.query("SELECT dakiya_wake($1)", [queue]) }
            return result
        }
    }

    /// Running jobs whose lease has run out (their worker is gone: the maintenance leader's rescuer takes them back
    /// at its next pass) or that have been running for longer than `runningLongerThan`.
    /// - Throws: `PostgresError` from the database.
    package func stuckJobs(runningLongerThan: Duration, limit: Int = 100, on connection: Connection) throws -> [(
        id: Int64, queue: String, kind: String, attempt: Int16, worker: String?, runningSeconds: Double,
        leaseExpired: Bool
    )] {
        try connection.query(
            """
            SELECT id, queue, kind, attempt, worker_id,
                   extract(epoch FROM coalesce($3::timestamptz, now()) - attempted_at)::float8,
                   lease_until < coalesce($3::timestamptz, now())
            FROM jobs WHERE state = 'running'
              AND (lease_until < coalesce($3::timestamptz, now())
                   OR attempted_at < coalesce($3::timestamptz, now()) - make_interval(secs => $1::float8))
            ORDER BY attempted_at LIMIT $2
            """, [runningLongerThan.seconds, limit, clock.now()]
        ).rows.map {
            (
                try $0.decode(Int64.self, at: 0), try $0.decode(String.self, at: 1), try $0.decode(String.self, at: 2),
                try $0.decode(Int16.self, at: 3), try $0.decode(String?.self, at: 4), try $0.decode(Double.self, at: 5),
                try $0.decode(Bool.self, at: 6)
            )
        }
    }

    /// The jobs that have waited longest to run (ready: due and not yet claimed), oldest first, of one queue or all.
    /// - Throws: `PostgresError` from the database.
    package func oldestWaiting(queue: String?, limit: Int = 20, on connection: Connection) throws -> [(
        id: Int64, queue: String, kind: String, attempt: Int16, waitingSeconds: Double
    )] {
        try connection.query(
            """
            SELECT id, queue, kind, attempt, extract(epoch FROM coalesce($3::timestamptz, now()) - run_at)::float8
            FROM jobs WHERE state = 'available' AND ($1::text IS NULL OR queue = $1)
              AND run_at <= coalesce($3::timestamptz, now())
            ORDER BY run_at, id LIMIT $2
            """, [queue, limit, clock.now()]
        ).rows.map {
            (
                try $0.decode(Int64.self, at: 0), try $0.decode(String.self, at: 1), try $0.decode(String.self, at: 2),
                try $0.decode(Int16.self, at: 3), try $0.decode(Double.self, at: 4)
            )
        }
    }

    /// What a queue holds now, for its gauges.
    package struct QueueState: Sendable, Equatable {
        /// Jobs due and waiting for a worker.
        package var ready = 0
        /// Jobs a worker holds.
        package var running = 0
        /// Jobs due later (scheduled, or ready jobs with a future run time).
        package var scheduled = 0
        /// Jobs waiting to retry after a failure.
        package var retrying = 0
        /// Dead jobs not requeued (in the hot table or in history).
        package var dead = 0
        /// Seconds the oldest ready job has waited since it was due; 0 when none waits.
        package var oldestReadySeconds = 0.0
    }

    /// Every queue's state, as the gauges show it: one read of the hot table, one of the dead in history.
    /// - Throws: `PostgresError` from the database.
    package func states(on connection: Connection) throws -> [String: QueueState] {
        var out: [String: QueueState] = [:]
        for row in try connection.query(
            """
            WITH t AS (SELECT coalesce($1::timestamptz, now()) AS now)
            SELECT j.queue,
                   count(*) FILTER (WHERE j.state = 'available' AND j.run_at <= t.now),
                   count(*) FILTER (WHERE j.state = 'running'),
                   count(*) FILTER (WHERE j.state = 'scheduled' OR (j.state = 'available' AND j.run_at > t.now)),
                   count(*) FILTER (WHERE j.state = 'retryable'),
                   count(*) FILTER (WHERE j.state = 'dead'),
                   coalesce(extract(epoch FROM t.now - min(j.run_at) FILTER (WHERE j.state = 'available' AND j.run_at <= t.now)), 0)::float8
            FROM jobs j CROSS JOIN t GROUP BY j.queue, t.now
            """, [clock.now()]
        ).rows {
            out[try row.decode(String.self, at: 0)] = QueueState(
                ready: try row.decode(Int.self, at: 1), running: try row.decode(Int.self, at: 2),
                scheduled: try row.decode(Int.self, at: 3), retrying: try row.decode(Int.self, at: 4),
                dead: try row.decode(Int.self, at: 5), oldestReadySeconds: try row.decode(Double.self, at: 6))
        }
        for row in try connection.query(
            """
            SELECT h.queue, count(*) FROM job_history h WHERE \(Self.deadInHistory) GROUP BY h.queue
            """
        ).rows {
            out[try row.decode(String.self, at: 0), default: QueueState()].dead += try row.decode(Int.self, at: 1)
        }
        return out
    }

    /// Counts every queue (`states`) and keeps the counts in `job_queue_counts` for every process to read, a queue
    /// no longer seen at 0; the maintenance leader's work. Returns the counts.
    /// - Throws: `PostgresError` from the database.
    @discardableResult
    package func storeCounts(on connection: Connection) throws -> [String: QueueState] {
        let states = try states(on: connection)
        let names = states.keys.sorted()
        let rows = names.map { states[$0]! }
        try connection.query(
            """
            WITH t AS (
                SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::float8[])
                    AS t(queue, ready, running, scheduled, retrying, dead, oldest_ready_seconds)),
            zeroed AS (
                UPDATE job_queue_counts c SET ready = 0, running = 0, scheduled = 0, retrying = 0, dead = 0,
                       oldest_ready_seconds = 0, counted_at = coalesce($8::timestamptz, now())
                WHERE c.queue <> ALL ($1::text[]))
            INSERT INTO job_queue_counts SELECT t.*, coalesce($8::timestamptz, now()) FROM t
            ON CONFLICT (queue) DO UPDATE SET ready = excluded.ready, running = excluded.running,
                scheduled = excluded.scheduled, retrying = excluded.retrying, dead = excluded.dead,
                oldest_ready_seconds = excluded.oldest_ready_seconds, counted_at = excluded.counted_at
            """,
            [
                names, rows.map(\.ready), rows.map(\.running), rows.map(\.scheduled), rows.map(\.retrying),
                rows.map(\.dead), rows.map(\.oldestReadySeconds), clock.now(),
            ])
        return states
    }

    /// The counts the leader kept (`storeCounts`) and how old the oldest of them is, in seconds; nil when none was
    /// ever kept.
    /// - Throws: `PostgresError` from the database.
    package func storedCounts(on connection: Connection) throws -> (states: [String: QueueState], age: Double)? {
        let rows = try connection.query(
            """
            SELECT queue, ready, running, scheduled, retrying, dead, oldest_ready_seconds,
                   extract(epoch FROM coalesce($1::timestamptz, now()) - min(counted_at) OVER ())::float8
            FROM job_queue_counts
            """, [clock.now()]
        ).rows
        guard let first = rows.first else { return nil }
        var out: [String: QueueState] = [:]
        for row in rows {
            out[try row.decode(String.self, at: 0)] = QueueState(
                ready: try row.decode(Int.self, at: 1), running: try row.decode(Int.self, at: 2),
                scheduled: try row.decode(Int.self, at: 3), retrying: try row.decode(Int.self, at: 4),
                dead: try row.decode(Int.self, at: 5), oldestReadySeconds: try row.decode(Double.self, at: 6))
        }
        return (out, try first.decode(Double.self, at: 7))
    }

    /// A dead job in history (`h`) that no operator has requeued.
    static let deadInHistory =
        "h.state = 'dead' AND NOT EXISTS (SELECT 1 FROM job_requeues r WHERE r.dead_job_id = h.id)"

    /// Every dead job not requeued, wherever it is: still in the hot table (maintenance archives it within a second;
    /// never requeued there, as a requeue archives first) or in history. One statement sees a job moving between
    /// the two in exactly one place. A read: it works on a standby too.
    static let allDead = """
        SELECT id, queue, kind, attempt, last_error, coalesce(attempted_at, created_at) AS finished_at FROM jobs
        WHERE state = 'dead'
        UNION ALL
        SELECT h.id, h.queue, h.kind, h.attempt, h.last_error, h.finished_at FROM job_history h WHERE \(deadInHistory)
        """

    /// Moves every dead or cancelled job still in the hot table to history (what maintenance does in batches).
    private func archiveAll(on connection: Connection) throws {
        while try connection.query(JobSQL.archive, [clock.now()]).count > 0 {}
    }
}
