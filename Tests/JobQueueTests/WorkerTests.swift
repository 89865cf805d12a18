import Foundation
@testable import JobQueue
import Postgres
import ServiceRuntime
import Testing
import TestSupport

/// The worker loop in this process: handlers, retries, wake-ups, shutdown.
@Suite("Job worker")
struct WorkerTests {
    static let logger = Logger(service: "tests", sink: .capturing())

    func makeWorker(
        _ db: TestDatabase, queue: JobQueue, handlers: [String: JobHandler], pollInterval: Duration = .seconds(60),
        retry: RetryPolicy = RetryPolicy()
    ) -> JobWorker {
        JobWorker(
            pool: db.pool(),
            configuration: WorkerConfiguration(
                queue: "q", concurrency: 2, pollInterval: pollInterval,
                flushInterval: .milliseconds(10), retryPolicy: retry),
            handlers: handlers, queue: queue, logger: Self.logger, metrics: MetricsRegistry())
    }

    func jobRow(_ connection: Connection, _ id: Int64) throws -> (
        state: String, attempt: Int, runAt: Date?, error: String?
    ) {
        if let row = try connection.query(
            "SELECT state::text, attempt, run_at, last_error->>'error' FROM jobs WHERE id = $1", [id]
        ).first {
            return (
                try row.decode(String.self, at: 0), try row.decode(Int.self, at: 1), try row.decode(Date?.self, at: 2),
                try row.decode(String?.self, at: 3)
            )
        }
        let row = try #require(
            try connection.query(
                "SELECT state::text, attempt, NULL::timestamptz, last_error->>'error' FROM job_history WHERE id = $1",
                [id]
            ).first)
        return (
            try row.decode(String.self, at: 0), try row.decode(Int.self, at: 1), nil,
            try row.decode(String?.self, at: 3)
        )
    }

    @Test("a retryable failure backs off exponentially, then the job goes dead with its last error kept")
    func retryThenDead() throws {
        let db = try TestDatabase()
        let clock = ManualClock()
        let queue = JobQueue(clock: clock)
        let runs = LockedBox(0)
        let worker = makeWorker(
            db, queue: queue,
            handlers: [
                "flaky": { _ in
                    runs.update { $0 += 1 }
                    throw JobError.retryable("provider timed out", code: "timeout")
                }
            ], retry: RetryPolicy(base: .seconds(10), cap: .seconds(3600), jitter: 0.25))
        let connection = try db.connect()
        let id = try #require(try queue.enqueue(NewJob(queue: "q", kind: "flaky", maxAttempts: 3), on: connection))
        try worker.start()
        defer { worker.stop() }
        for attempt in 1...2 {
            #expect(
                try eventually {
                    try jobRow(connection, id).state == "retryable" && jobRow(connection, id).attempt == attempt
                })
            let row = try jobRow(connection, id)
            let expected = 10.0 * pow(2, Double(attempt - 1))
            let delay = try #require(row.runAt).timeIntervalSince(clock.date)
            #expect(
                delay >= expected * 0.75 - 0.01 && delay <= expected * 1.25 + 0.01, "attempt \(attempt): delay \(delay)"
            )
            #expect(row.error == "provider timed out")
            clock.advance(by: .seconds(Int64(expected * 1.25) + 1))
            _ = try queue.maintain(retention: .seconds(86_400), on: connection)
        }
        #expect(try eventually { try jobRow(connection, id).state == "dead" })
        #expect(try jobRow(connection, id).attempt == 3)
        #expect(try jobRow(connection, id).error == "provider timed out")
        #expect(runs.get() == 3)
        let dead = try #require(try queue.deadJobs(queue: "q", on: connection).first)
        struct StoredError: Decodable { var error: String; var code: String; var attempt: Int; var kind: String }
        let stored = try #require(try dead.error?.decode(StoredError.self))
        #expect(stored.code == "timeout")
        #expect(stored.attempt == 3)
        #expect(stored.kind == "retryable")
    }

    @Test(
        "a batch handler gets the claimed jobs of its kind together; when the batch fails, each job runs alone and only the bad one retries"
    )
    func batches() throws {
        let db = try TestDatabase()
        try db.keepEveryJobInHistory()  // completions are read from the history
        let queue = JobQueue()
        let calls = LockedBox<[[Int]]>([])
        struct Item: Codable { var n: Int }
        let worker = JobWorker(
            pool: db.pool(),
            configuration: WorkerConfiguration(
                queue: "q", concurrency: 10, batchSize: 10, flushInterval: .milliseconds(10)),
            handlers: [:],
            batchHandlers: [
                "item": { jobs in
                    let items = try jobs.map { try $0.decodePayload(Item.self).n }
                    calls.update { $0.append(items.sorted()) }
                    if items.contains(7) { throw JobError.retryable("item 7 is bad") }
                    return [:]
                }
            ], queue: queue, logger: Self.logger, metrics: MetricsRegistry())
        let connection = try db.connect()
        let ids = try queue.enqueue(
            try (1...10).map { try NewJob(queue: "q", kind: "item", encoding: Item(n: $0)) }, on: connection)
        #expect(ids.count == 10)
        try worker.start()
        defer { worker.stop() }
        #expect(
            try eventually {
                try connection.query("SELECT count(*) FROM job_history WHERE state = 'completed'").first?.decode(
                    Int.self, at: 0) == 9
            })
        let seen = calls.get()
        #expect(seen.first == Array(1...10), "one call with all ten")
        #expect(seen.dropFirst().map(\.count) == Array(repeating: 1, count: 10), "then each alone")
        let bad = try jobRow(connection, ids[6])
        #expect(bad.state == "retryable" && bad.attempt == 1 && bad.error == "item 7 is bad")
    }

    @Test(
        "a batch handler's failures per job: the named jobs snooze, retry or die, each as a single job's error would; the rest complete"
    )
    func batchFailuresPerJob() throws {
        let db = try TestDatabase()
        try db.keepEveryJobInHistory()  // completions are read from the history
        let queue = JobQueue()
        let calls = LockedBox<[[Int]]>([])
        struct Item: Codable { var n: Int }
        let worker = JobWorker(
            pool: db.pool(),
            configuration: WorkerConfiguration(
                queue: "q", concurrency: 6, batchSize: 6, flushInterval: .milliseconds(10)),
            handlers: [:],
            batchHandlers: [
                "item": { jobs in
                    let items = try jobs.map { (id: $0.id, n: try $0.decodePayload(Item.self).n) }
                    calls.update { $0.append(items.map(\.n).sorted()) }
                    var failures: [Int64: any Error] = [:]
                    for item in items {
                        switch item.n {
                        case 2: failures[item.id] = JobError.snooze(.seconds(600), "pair limit")
                        case 4: failures[item.id] = JobError.permanent("not on WhatsApp", code: "131026")
                        case 6: failures[item.id] = JobError.retryable("Graph API error 131000")
                        default: break
                        }
                    }
                    return failures
                }
            ], queue: queue, logger: Self.logger, metrics: MetricsRegistry())
        let connection = try db.connect()
        let ids = try queue.enqueue(
            try (1...6).map { try NewJob(queue: "q", kind: "item", encoding: Item(n: $0)) }, on: connection)
        try worker.start()
        defer { worker.stop() }
        #expect(
            try eventually {
                try connection.query("SELECT count(*) FROM job_history").first?.decode(Int.self, at: 0) == 4
            })
        #expect(calls.get() == [Array(1...6)], "one call for all six, none alone")
        for index in [0, 2, 4] { #expect(try jobRow(connection, ids[index]).state == "completed") }
        let snoozed = try jobRow(connection, ids[1])
        #expect(snoozed.state == "scheduled" && snoozed.attempt == 0)
        let dead = try jobRow(connection, ids[3])
        #expect(dead.state == "dead" && dead.error == "not on WhatsApp")
        let retried = try jobRow(connection, ids[5])
        #expect(retried.state == "retryable" && retried.attempt == 1 && retried.error == "Graph API error 131000")
    }

    @Test("a permanent failure goes straight to dead on its first attempt")
    func permanent() throws {
        let db = try TestDatabase()
        let queue = JobQueue()
        let worker = makeWorker(
            db, queue: queue,
            handlers: ["bad": { _ in throw JobError.permanent("number is not on WhatsApp", code: "131026") }])
        let connection = try db.connect()
        let id = try #require(try queue.enqueue(NewJob(queue: "q", kind: "bad"), on: connection))
        try worker.start()
        defer { worker.stop() }
        #expect(try eventually { try jobRow(connection, id).state == "dead" })
        #expect(try jobRow(connection, id).attempt == 1)
        #expect(try jobRow(connection, id).error == "number is not on WhatsApp")
    }

    @Test("a snooze puts the job off without spending an attempt")
    func snooze() throws {
        let db = try TestDatabase()
        try db.keepEveryJobInHistory()  // completions are read from the history
        let clock = ManualClock()
        let queue = JobQueue(clock: clock)
        let runs = LockedBox(0)
        let worker = makeWorker(
            db, queue: queue,
            handlers: [
                "paced": { _ in
                    runs.update { $0 += 1 }
                    if runs.get() < 3 { throw JobError.snooze(.seconds(30), "rate limited (130429)") }
                }
            ])
        let connection = try db.connect()
        let id = try #require(try queue.enqueue(NewJob(queue: "q", kind: "paced", maxAttempts: 1), on: connection))
        try worker.start()
        defer { worker.stop() }
        for _ in 1...2 {
            #expect(try eventually { try jobRow(connection, id).state == "scheduled" })
            let row = try jobRow(connection, id)
            #expect(row.attempt == 0, "a snooze gives the attempt back")
            #expect(try #require(row.runAt).timeIntervalSince(clock.date) == 30)
            clock.advance(by: .seconds(31))
            _ = try queue.maintain(retention: .seconds(86_400), on: connection)
        }
        #expect(try eventually { try jobRow(connection, id).state == "completed" })
        #expect(try jobRow(connection, id).attempt == 1, "three runs, one attempt spent, with max_attempts 1")
    }

    @Test("a job of a kind with no handler goes dead with the reason")
    func unknownKind() throws {
        let db = try TestDatabase()
        let queue = JobQueue()
        let worker = makeWorker(db, queue: queue, handlers: [:])
        let connection = try db.connect()
        let id = try #require(try queue.enqueue(NewJob(queue: "q", kind: "mystery"), on: connection))
        try worker.start()
        defer { worker.stop() }
        #expect(try eventually { try jobRow(connection, id).state == "dead" })
        #expect(try jobRow(connection, id).error == "no handler for kind mystery")
    }

    @Test("an idle worker starts a new job on NOTIFY, long before its poll interval")
    func wakeUp() throws {
        let db = try TestDatabase()
        let queue = JobQueue()
        let started = LockedBox<ContinuousClock.Instant?>(nil)
        let worker = makeWorker(
            db, queue: queue, handlers: ["k": { _ in started.set(.now) }], pollInterval: .seconds(60))
        try worker.start()
        defer { worker.stop() }
        let connection = try db.connect()
        // The worker goes idle: its first claim finds nothing, and then only a notification (or 60 s) wakes it.
        try db.waitUntilIdle(queue: "q")
        let enqueued = ContinuousClock.now
        _ = try queue.enqueue(NewJob(queue: "q", kind: "k"), on: connection)
        #expect(eventually(timeout: .seconds(10)) { started.get() != nil })
        let latency = try #require(started.get()) - enqueued
        #expect(latency < .seconds(5), "woken by NOTIFY, not by the 60 s poll: \(latency)")
    }

    @Test("a busy worker claims new jobs by itself: their enqueues send no NOTIFY, and none waits for the poll")
    func busyWorkerNeedsNoNotify() throws {
        let db = try TestDatabase()
        let queue = JobQueue()
        let done = LockedBox(0)
        let worker = makeWorker(
            db, queue: queue,
            handlers: [
                "k": { _ in
                    usleep(30_000); done.update { $0 += 1 }
                }
            ], pollInterval: .seconds(60))
        let listener = try db.connect()
        try listener.listen(JobQueue.channel(for: "q"))
        try worker.start()
        defer { worker.stop() }
        let connection = try db.connect()
        try db.waitUntilIdle(queue: "q")  // idle: the first enqueue notifies
        for _ in 0..<40 {
            _ = try queue.enqueue(NewJob(queue: "q", kind: "k"), on: connection)
            usleep(5_000)
        }
        #expect(
            eventually(timeout: .seconds(20)) { done.get() == 40 }, "all ran long before the 60 s poll: \(done.get())")
        var notifications = 0
        while true {
            let batch = try listener.waitForNotifications(timeout: .milliseconds(200))
            if batch.isEmpty { break }
            notifications += batch.count
        }
        #expect(notifications >= 1, "the first enqueue woke the idle worker")
        #expect(notifications < 20, "enqueues while the worker was busy did not notify: \(notifications) of 40")
    }

    @Test("stop releases claimed jobs that did not start and waits for running ones")
    func gracefulStop() throws {
        let db = try TestDatabase()
        try db.keepEveryJobInHistory()  // completions are read from the history
        let queue = JobQueue()
        let running = LockedBox(0)
        let worker = JobWorker(
            pool: db.pool(),
            configuration: WorkerConfiguration(
                queue: "q", concurrency: 2, batchSize: 2, flushInterval: .milliseconds(10)),
            handlers: [
                "slow": { _ in
                    running.update { $0 += 1 }; usleep(300_000)
                }
            ], queue: queue,
            logger: Self.logger, metrics: MetricsRegistry())
        let connection = try db.connect()
        _ = try queue.enqueue((0..<6).map { _ in NewJob(queue: "q", kind: "slow") }, on: connection)
        try worker.start()
        #expect(eventually { running.get() == 2 })
        worker.stop()
        let counts = try queue.counts(queue: "q", on: connection)
        #expect(counts["running"] == nil, "nothing is left running: \(counts)")
        #expect(counts["available"] == 6 - running.get())
        #expect(
            try connection.query("SELECT count(*) FROM job_history WHERE state = 'completed'").first?.decode(
                Int.self, at: 0) == running.get())
        #expect(
            try connection.query("SELECT max(attempt) FROM jobs").first?.decode(Int.self, at: 0) == 0,
            "released jobs get their attempt back")
    }
}

@Suite("Job worker fallbacks and maintenance")
struct WorkerFallbackTests {
    static let logger = Logger(service: "tests", sink: .capturing())

    @Test("without a NOTIFY the worker still finds the job at its poll interval")
    func pollFallback() throws {
        let db = try TestDatabase()
        let done = LockedBox(false)
        let worker = JobWorker(
            pool: db.pool(),
            configuration: WorkerConfiguration(queue: "q", concurrency: 1, pollInterval: .milliseconds(200)),
            handlers: ["k": { _ in done.set(true) }], logger: Self.logger, metrics: MetricsRegistry())
        try worker.start()
        defer { worker.stop() }
        try db.waitUntilIdle(queue: "q")  // after its first claim, which found nothing
        // A plain INSERT sends no notification: only the poll can find this job.
        try db.connect().query("INSERT INTO jobs (queue, kind) VALUES ('q', 'k')")
        #expect(eventually(timeout: .seconds(5)) { done.get() })
    }

    @Test("one maintenance leader at a time; another takes over when it stops")
    func leaderElection() throws {
        let db = try TestDatabase()
        let first = JobMaintenance(
            url: db.url, interval: .milliseconds(50), logger: Self.logger, metrics: MetricsRegistry())
        let second = JobMaintenance(
            url: db.url, interval: .milliseconds(50), logger: Self.logger, metrics: MetricsRegistry())
        try first.start()
        try second.start()
        #expect(eventually { first.isLeader || second.isLeader })
        usleep(300_000)
        #expect(first.isLeader != second.isLeader, "exactly one leader")
        let (leader, follower) = first.isLeader ? (first, second) : (second, first)
        leader.stop()
        #expect(eventually { follower.isLeader }, "the follower takes over once the leader's session is gone")
        follower.stop()
    }

    @Test(
        "every process's /metrics shows each queue's jobs by state and its oldest ready job's age, leader or not; an emptied queue reads 0"
    )
    func queueGauges() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        try connection.execute(
            script: """
                INSERT INTO jobs (queue, kind, run_at) SELECT 'email', 'send', now() - interval '90 seconds' FROM generate_series(1, 3);
                INSERT INTO jobs (queue, kind, state, run_at) VALUES ('email', 'send', 'scheduled', now() + interval '1 hour'),
                    ('email', 'send', 'retryable', now() + interval '1 minute'), ('whatsapp', 'send', 'available', now() + interval '1 hour');
                INSERT INTO jobs (queue, kind, state, attempt, worker_id, lease_until, attempted_at) VALUES ('whatsapp', 'send', 'running', 1, 'w', now() + interval '1 minute', now());
                INSERT INTO job_history (id, queue, kind, state, priority, attempt, max_attempts, payload, created_at, finished_at)
                VALUES (900001, 'email', 'send', 'dead', 2, 20, 20, '{}', now(), now()), (900002, 'email', 'send', 'dead', 2, 20, 20, '{}', now(), now());
                INSERT INTO job_requeues (dead_job_id, queue, kind, reason, requested_by) VALUES (900002, 'email', 'send', 'fixed', 'ops');
                """)
        let registries = [MetricsRegistry(), MetricsRegistry()]
        let services = registries.map {
            JobMaintenance(
                url: db.url, interval: .milliseconds(50), gaugeInterval: .milliseconds(100), logger: Self.logger,
                metrics: $0)
        }
        for service in services { try service.start() }
        defer { for service in services { service.stop() } }
        let expected = [
            #"dakiya_queue_jobs{queue="email",state="ready"} 3"#,
            #"dakiya_queue_jobs{queue="email",state="scheduled"} 1"#,
            #"dakiya_queue_jobs{queue="email",state="retrying"} 1"#,
            #"dakiya_queue_jobs{queue="email",state="dead"} 1"#,
            #"dakiya_queue_jobs{queue="whatsapp",state="running"} 1"#,
            #"dakiya_queue_jobs{queue="whatsapp",state="scheduled"} 1"#,
            #"dakiya_queue_jobs{queue="whatsapp",state="ready"} 0"#,
        ]
        for registry in registries {
            #expect(
                eventually(timeout: .seconds(5)) {
                    let text = registry.exposition()
                    return expected.allSatisfy { text.contains($0 + "\n") }
                }, "\(registry.exposition())")
            let age = registry.exposition().split(separator: "\n").first {
                $0.hasPrefix(#"dakiya_queue_oldest_ready_seconds{queue="email"}"#)
            }
            let seconds = try #require(age.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) })
            #expect(seconds >= 90 && seconds < 150, "\(String(describing: age))")
        }
        try connection.execute(script: "DELETE FROM jobs WHERE queue = 'email'")
        #expect(
            eventually(timeout: .seconds(5)) {
                let text = registries[0].exposition()
                return text.contains(#"dakiya_queue_jobs{queue="email",state="ready"} 0"#)
                    && text.contains(#"dakiya_queue_oldest_ready_seconds{queue="email"} 0"#)
            }, "\(registries[0].exposition())")
    }

    @Test(
        "only the maintenance leader counts the jobs table: the others show the counts it keeps, and count for themselves when those go stale"
    )
    func gaugesFromTheLeader() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        try connection.execute(
            script: "INSERT INTO jobs (queue, kind, run_at) SELECT 'email', 'send', now() FROM generate_series(1, 3)")
        // Another session holds the leader lock: the service below never leads.
        let holder = try db.connect()
        try holder.execute(script: "SELECT pg_advisory_lock(\(JobMaintenance.leaderLockKey))")
        // Counts kept by "the leader", fresh (dated ahead), unlike the table: the follower shows them, not its own.
        try connection.execute(
            script: """
                INSERT INTO job_queue_counts VALUES ('email', 42, 0, 0, 0, 0, 0, now() + interval '1 hour')
                """)
        let registry = MetricsRegistry()
        let follower = JobMaintenance(
            url: db.url, interval: .milliseconds(50), gaugeInterval: .milliseconds(100), logger: Self.logger,
            metrics: registry)
        try follower.start()
        defer { follower.stop() }
        #expect(
            eventually(timeout: .seconds(5)) {
                registry.exposition().contains(#"dakiya_queue_jobs{queue="email",state="ready"} 42"#)
            }, "\(registry.exposition())")
        #expect(!follower.isLeader)
        // Stale counts (the leader is gone): the follower counts the table itself.
        try connection.execute(script: "UPDATE job_queue_counts SET counted_at = now() - interval '1 hour'")
        #expect(
            eventually(timeout: .seconds(5)) {
                registry.exposition().contains(#"dakiya_queue_jobs{queue="email",state="ready"} 3"#)
            }, "\(registry.exposition())")
        // The leader keeps the counts, a queue gone from the table at 0.
        try holder.execute(script: "SELECT pg_advisory_unlock(\(JobMaintenance.leaderLockKey))")
        try connection.execute(script: "INSERT INTO job_queue_counts VALUES ('gone', 5, 0, 0, 0, 0, 9, now())")
        #expect(eventually(timeout: .seconds(5)) { follower.isLeader })
        #expect(
            try eventually(timeout: .seconds(5)) {
                try connection.query(
                    """
                    SELECT string_agg(queue || ':' || ready || '/' || oldest_ready_seconds::int, ',' ORDER BY queue)
                    FROM job_queue_counts WHERE counted_at > now() - interval '10 seconds'
                    """
                ).first?.decode(String?.self, at: 0) == "email:3/0,gone:0/0"
            })
    }

    @Test("the claim reads only the partial index of claimable rows, however much else the table holds")
    func claimUsesPartialIndex() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        try connection.execute(
            script: """
                INSERT INTO jobs (queue, kind, state, run_at) SELECT 'q', 'k', 'scheduled', now() + interval '1 day' FROM generate_series(1, 20000);
                INSERT INTO jobs (queue, kind) SELECT 'other', 'k' FROM generate_series(1, 20000);
                INSERT INTO jobs (queue, kind) SELECT 'q', 'k' FROM generate_series(1, 10);
                ANALYZE jobs
                """)
        let plan = try connection.query(
            """
            EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT)
            SELECT id FROM jobs WHERE state = 'available' AND queue = 'q' AND run_at <= now()
            ORDER BY priority, run_at, id LIMIT 100 FOR UPDATE SKIP LOCKED
            """
        ).rows.compactMap { $0.text(at: 0) }.joined(separator: "\n")
        #expect(plan.contains("Index Scan using jobs_fetch_idx"), "\(plan)")
        #expect(!plan.contains("Seq Scan"), "\(plan)")
        #expect(
            try JobQueue().claim(queue: "q", limit: 100, lease: .seconds(30), workerID: "w", on: connection).count == 10
        )
    }
}
