import Foundation
import JobQueue
import Postgres
import ServiceRuntime
import Testing
import TestSupport

/// The queue's SQL paths, driven directly with a clock the test moves.
@Suite("Job queue")
struct QueueTests {
    let clock = ManualClock()
    var queue: JobQueue { JobQueue(clock: clock) }

    @Test("the idle lock's key and the NOTIFY channel prefix in Swift are the ones the database's dakiya_wake uses")
    func wakeConstantsAgree() throws {
        let db = try TestDatabase()
        let definition = try #require(
            try db.connect().query("SELECT pg_get_functiondef('dakiya_wake'::regproc)").first?.decode(
                String.self, at: 0))
        #expect(definition.contains("pg_try_advisory_xact_lock_shared(\(JobQueue.idleLockClass), hashtext(queue))"))
        #expect(definition.contains("pg_notify('\(JobQueue.channel(for: ""))' || queue"))
    }

    @Test(
        "enqueue, claim and complete: the job leaves the hot table; a first-attempt success is not copied to history unless the database keeps every job, one that needed a retry is",
        arguments: [false, true])
    func lifecycle(keepEveryJob: Bool) throws {
        let db = try TestDatabase()
        if keepEveryJob { try db.keepEveryJobInHistory() }
        let connection = try db.connect()
        let id = try #require(
            try queue.enqueue(
                NewJob(queue: "email", kind: "send", payload: PostgresJSON(text: #"{"delivery": 7}"#)), on: connection))
        let claimed = try queue.claim(queue: "email", limit: 10, lease: .seconds(30), workerID: "w1", on: connection)
        #expect(claimed.map(\.id) == [id])
        #expect(claimed.first?.attempt == 1)
        #expect(try claimed.first?.payload.decode([String: Int].self) == ["delivery": 7])
        #expect(try queue.claim(queue: "email", limit: 10, lease: .seconds(30), workerID: "w2", on: connection).isEmpty)
        let result = try queue.settle(
            [JobSettlement(id: id, attempt: 1, outcome: .completed)], workerID: "w1", on: connection)
        #expect(result.completed == [id])
        #expect(try connection.query("SELECT count(*) FROM jobs").first?.decode(Int.self, at: 0) == 0)
        let history = try connection.query("SELECT state::text, attempt FROM job_history WHERE id = $1", [id]).first
        if keepEveryJob {
            #expect(try history?.decode(String.self, at: 0) == "completed")
            #expect(try history?.decode(Int.self, at: 1) == 1)
        } else {
            #expect(history == nil, "the job's own domain write is its record")
        }
        // A job that failed once and then succeeded is kept either way, with the error it got over.
        let retried = try #require(try queue.enqueue(NewJob(queue: "email", kind: "send"), on: connection))
        _ = try queue.claim(queue: "email", limit: 1, lease: .seconds(30), workerID: "w1", on: connection)
        _ = try queue.settle(
            [
                JobSettlement(
                    id: retried, attempt: 1,
                    outcome: .retry(delay: .zero, error: PostgresJSON(text: #"{"error": "smtp 451"}"#)))
            ],
            workerID: "w1", on: connection)
        _ = try queue.maintain(retention: .seconds(86_400), on: connection)
        #expect(
            try queue.claim(queue: "email", limit: 1, lease: .seconds(30), workerID: "w1", on: connection).map(
                \.attempt)
                == [2])
        #expect(
            try queue.settle(
                [JobSettlement(id: retried, attempt: 2, outcome: .completed)], workerID: "w1", on: connection
            )
            .completed == [retried])
        let kept = try #require(
            try connection.query(
                "SELECT state::text, attempt, last_error->>'error' FROM job_history WHERE id = $1", [retried]
            )
            .first)
        #expect(try kept.decode(String.self, at: 0) == "completed")
        #expect(try kept.decode(Int.self, at: 1) == 2)
        #expect(try kept.decode(String?.self, at: 2) == "smtp 451")
    }

    @Test("a settlement retried after a lost commit reply is told apart from one refused because the job was rescued")
    func refusedSettlements() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        let done = try #require(try queue.enqueue(NewJob(queue: "q", kind: "k"), on: connection))
        let snoozed = try #require(try queue.enqueue(NewJob(queue: "q", kind: "k"), on: connection))
        let rescued = try #require(try queue.enqueue(NewJob(queue: "q", kind: "k"), on: connection))
        _ = try queue.claim(queue: "q", limit: 10, lease: .seconds(30), workerID: "w1", on: connection)
        let batch = [
            JobSettlement(id: done, attempt: 1, outcome: .completed),
            JobSettlement(id: snoozed, attempt: 1, outcome: .snooze(delay: .seconds(60))),
        ]
        // The first try commits; its reply is lost, so the worker sends the same settlements again.
        #expect(try queue.settle(batch, workerID: "w1", on: connection).appliedCount == 2)
        // Meanwhile the third job's lease expired: it was rescued and another worker holds it now.
        clock.advance(by: .seconds(31))
        _ = try queue.maintain(retention: .seconds(3600), on: connection)
        _ = try queue.claim(queue: "q", limit: 10, lease: .seconds(30), workerID: "w2", on: connection)
        let again = batch + [JobSettlement(id: rescued, attempt: 1, outcome: .completed)]
        let result = try queue.settle(again, workerID: "w1", on: connection)
        #expect(Set(result.refused) == [done, snoozed, rescued])
        let classified = try queue.classifyRefused(again, afterFailedTry: true, on: connection)
        #expect(Set(classified.alreadySettled) == [done, snoozed])
        #expect(classified.rescued == [rescued])
        // On a first try nothing can have been applied by us before: every refusal is a rescue.
        #expect(try queue.classifyRefused(again, afterFailedTry: false, on: connection).alreadySettled.isEmpty)
    }

    @Test("claims come in priority order, then run_at; other queues are untouched")
    func ordering() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        let low = try queue.enqueue(NewJob(queue: "q", kind: "k", priority: 4), on: connection)
        let high = try queue.enqueue(NewJob(queue: "q", kind: "k", priority: 1), on: connection)
        let normal = try queue.enqueue(NewJob(queue: "q", kind: "k", priority: 2), on: connection)
        _ = try queue.enqueue(NewJob(queue: "other", kind: "k", priority: 1), on: connection)
        let claimed = try queue.claim(queue: "q", limit: 10, lease: .seconds(30), workerID: "w", on: connection)
        #expect(claimed.map(\.id) == [high, normal, low].compactMap { $0 })
    }

    @Test("a job scheduled for later is not claimable until it is due and promoted")
    func scheduled() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        _ = try queue.enqueue(NewJob(queue: "q", kind: "k", runAt: clock.date.addingTimeInterval(60)), on: connection)
        #expect(try queue.claim(queue: "q", limit: 10, lease: .seconds(30), workerID: "w", on: connection).isEmpty)
        clock.advance(by: .seconds(61))
        #expect(try queue.maintain(retention: .seconds(86_400), on: connection).promoted == 1)
        #expect(try queue.claim(queue: "q", limit: 10, lease: .seconds(30), workerID: "w", on: connection).count == 1)
    }

    @Test("enqueueing the same unique key twice, concurrently, gives one job")
    func uniqueKeyConcurrent() throws {
        let db = try TestDatabase()
        let first = try db.connect()
        let second = try db.connect()
        let secondPID = second.backendPID
        try first.execute(script: "BEGIN")
        let firstID = try queue.enqueue(NewJob(queue: "q", kind: "k", uniqueKey: "delivery-42"), on: first)
        #expect(firstID != nil)
        // The second enqueue blocks on the first transaction's index entry, then finds the key taken.
        let result = LockedBox<Result<Int64?, any Error>?>(nil)
        let thread = try OwnedThread(name: "second") { [queue] in
            result.set(
                Result {
                    try second.transaction {
                        try queue.enqueue(NewJob(queue: "q", kind: "k", uniqueKey: "delivery-42"), on: $0)
                    }
                })
        }
        try db.waitUntilBlocked(secondPID)
        #expect(result.get() == nil, "the second enqueue must wait for the first transaction")
        try first.execute(script: "COMMIT")
        thread.join()
        #expect(try result.get()?.get() == .some(nil))
        #expect(
            try first.query("SELECT count(*) FROM jobs WHERE unique_key = 'delivery-42'").first?.decode(Int.self, at: 0)
                == 1)
        // The same key on another queue is another job.
        #expect(try queue.enqueue(NewJob(queue: "other", kind: "k", uniqueKey: "delivery-42"), on: first) != nil)
    }

    @Test("a rolled-back transaction leaves no job, and the domain write and its job commit together")
    func transactional() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        try connection.execute(script: "CREATE TABLE domain_writes (id int)")
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try connection.transaction { tx in
                try tx.query("INSERT INTO domain_writes VALUES (1)")
                _ = try queue.enqueue(NewJob(queue: "q", kind: "k"), on: tx)
                throw Abort()
            }
        }
        #expect(
            try connection.query("SELECT (SELECT count(*) FROM jobs) + (SELECT count(*) FROM domain_writes)").first?
                .decode(Int.self, at: 0) == 0)
        try connection.transaction { tx in
            try tx.query("INSERT INTO domain_writes VALUES (2)")
            _ = try queue.enqueue(NewJob(queue: "q", kind: "k"), on: tx)
        }
        #expect(
            try connection.query("SELECT (SELECT count(*) FROM jobs) + (SELECT count(*) FROM domain_writes)").first?
                .decode(Int.self, at: 0) == 2)
    }

    @Test(
        "one NOTIFY per queue per enqueueing transaction while a worker of that queue is idle, none for scheduled jobs or busy queues"
    )
    func notifyOncePerTransaction() throws {
        let db = try TestDatabase()
        let listener = try db.connect()
        for name in ["q", "r", "busy"] { try listener.listen(JobQueue.channel(for: name)) }
        // Idle workers of q and r hold their queues' idle locks (as JobWorker does); nobody is idle on "busy".
        let idle = try db.connect()
        for name in ["q", "r"] {
            try idle.query("SELECT pg_advisory_lock($2, hashtext($1))", [name, Int(JobQueue.idleLockClass)])
        }
        let connection = try db.connect()
        try connection.transaction { tx in
            _ = try queue.enqueue(
                (0..<50).map { _ in NewJob(queue: "q", kind: "k") } + [
                    NewJob(queue: "r", kind: "k"), NewJob(queue: "busy", kind: "k"),
                ], on: tx)
            _ = try queue.enqueue(NewJob(queue: "q", kind: "k"), on: tx)
        }
        _ = try queue.enqueue(NewJob(queue: "q", kind: "k", runAt: clock.date.addingTimeInterval(3600)), on: connection)
        _ = try queue.enqueue(NewJob(queue: "busy", kind: "k"), on: connection)
        func drain() throws -> [String] {
            var received: [String] = []
            while true {
                let batch = try listener.waitForNotifications(timeout: .milliseconds(300))
                if batch.isEmpty { return received.sorted() }
                received += batch.map(\.channel)
            }
        }
        #expect(try drain() == ["dakiya_jobs_q", "dakiya_jobs_r"])
        // The worker of q got busy (released its lock): enqueueing on q no longer notifies.
        try idle.query("SELECT pg_advisory_unlock($1, hashtext('q'))", [Int(JobQueue.idleLockClass)])
        _ = try queue.enqueue(NewJob(queue: "q", kind: "k"), on: connection)
        _ = try queue.enqueue(NewJob(queue: "r", kind: "k"), on: connection)
        #expect(try drain() == ["dakiya_jobs_r"])
    }

    @Test(
        "an enqueuer that saw the worker busy commits before the worker can go idle, so its job is found by the worker's last claim"
    )
    func idleLockWaitsForEnqueuers() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        let worker = try db.connect()
        let workerPID = worker.backendPID
        try connection.execute(script: "BEGIN")
        // no idle worker: no NOTIFY, lock held shared
        _ = try queue.enqueue(NewJob(queue: "q", kind: "k"), on: connection)
        let holding = LockedBox(false)
        let thread = try OwnedThread(name: "worker") {
            _ = try? worker.query("SELECT pg_advisory_lock($1, hashtext('q'))", [Int(JobQueue.idleLockClass)])
            holding.set(true)
        }
        try db.waitUntilBlocked(workerPID)
        #expect(holding.get() == false, "the worker cannot go idle while the enqueuer is in flight")
        try connection.execute(script: "COMMIT")
        thread.join()
        #expect(holding.get())
        let claimed = try queue.claim(queue: "q", limit: 10, lease: .seconds(30), workerID: "w", on: try db.connect())
        #expect(claimed.count == 1, "the claim after taking the lock sees the job")
    }

    @Test("a large fan-out goes through COPY and still deduplicates unique keys")
    func copyFanOut() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        let jobs = (0..<5000).map {
            NewJob(
                queue: "alerts", kind: "push", payload: PostgresJSON(text: "{\"n\":\($0)}"), uniqueKey: "k\($0 % 4000)")
        }
        #expect(try queue.enqueueByCopy(jobs, on: connection) == 4000)
        #expect(try queue.counts(queue: "alerts", on: connection) == ["available": 4000])
    }

    @Test("settling is fenced: a rescued job cannot be completed by its old holder")
    func fencing() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        let id = try #require(try queue.enqueue(NewJob(queue: "q", kind: "k"), on: connection))
        let stale = try #require(
            try queue.claim(queue: "q", limit: 1, lease: .seconds(30), workerID: "w1", on: connection).first)
        clock.advance(by: .seconds(31))
        let report = try queue.maintain(retention: .seconds(86_400), on: connection)
        #expect(report.rescued == 1)
        #expect(report.promoted == 1)
        let fresh = try #require(
            try queue.claim(queue: "q", limit: 1, lease: .seconds(30), workerID: "w2", on: connection).first)
        #expect(fresh.attempt == 2)
        let late = try queue.settle(
            [JobSettlement(id: id, attempt: stale.attempt, outcome: .completed)], workerID: "w1", on: connection)
        #expect(late.refused == [id])
        #expect(late.appliedCount == 0)
        // The stale holder cannot fail it either, nor can another worker settle the right attempt.
        #expect(
            try queue.settle(
                [JobSettlement(id: id, attempt: 2, outcome: .dead(error: PostgresJSON(text: "{}")))], workerID: "w1",
                on: connection
            ).refused == [id])
        #expect(
            try queue.settle([JobSettlement(id: id, attempt: 2, outcome: .completed)], workerID: "w2", on: connection)
                .completed == [id])
        let lastError = try connection.query("SELECT last_error->>'error' FROM job_history WHERE id = $1", [id]).first?
            .decode(String.self, at: 0)
        #expect(lastError == "lease expired")
    }

    @Test(
        "a claim lost with a failed-over primary, made again with the same attempt, is not settled by the lost claim"
    )
    func lostClaimCannotSettleItsSuccessor() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        let id = try #require(try queue.enqueue(NewJob(queue: "q", kind: "k"), on: connection))
        let lost = try #require(
            try queue.claim(queue: "q", limit: 1, lease: .seconds(30), workerID: "w/1", on: connection).first)
        #expect(lost.holder == "w/1" && lost.attempt == 1)
        // The new primary (an asynchronous standby) never received the claim: the job is as it was before it.
        try connection.query(
            "UPDATE jobs SET state = 'available', attempt = 0, worker_id = NULL, lease_until = NULL WHERE id = $1", [id]
        )
        let again = try #require(
            try queue.claim(queue: "q", limit: 1, lease: .seconds(30), workerID: "w/2", on: connection).first)
        #expect(again.attempt == lost.attempt, "the same worker, the same attempt number: only the claim differs")
        // The lost claim's settlement, retried by the worker after the failover, is refused: the job still runs.
        #expect(
            try queue.settle([JobSettlement(lost, outcome: .completed)], workerID: "w", on: connection).refused == [id])
        #expect(try queue.heartbeat(ids: [id], holders: ["w/1"], lease: .seconds(30), on: connection).isEmpty)
        #expect(
            try connection.query("SELECT state::text, worker_id FROM jobs WHERE id = $1", [id]).first.map {
                [try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1)]
            } == ["running", "w/2"])
        #expect(try queue.heartbeat(ids: [id], holders: ["w/2"], lease: .seconds(30), on: connection) == [id])
        #expect(
            try queue.settle([JobSettlement(again, outcome: .completed)], workerID: "w", on: connection).completed == [
                id
            ])
    }

    @Test("a job claimed on another server (a failover since the claim) is put back, not completed or buried")
    func claimFromAnotherServerRunsAgain() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        let done = try #require(try queue.enqueue(NewJob(queue: "q", kind: "k", uniqueKey: "done"), on: connection))
        let dead = try #require(try queue.enqueue(NewJob(queue: "q", kind: "k", uniqueKey: "dead"), on: connection))
        let here = try #require(try queue.enqueue(NewJob(queue: "q", kind: "k", uniqueKey: "here"), on: connection))
        let claims = try queue.claim(queue: "q", limit: 3, lease: .seconds(30), workerID: "w/1", on: connection)
        #expect(claims.map(\.id) == [done, dead, here])
        let epoch = try #require(try connection.query("SELECT dakiya_server_epoch()").first?.decode(Int64.self, at: 0))
        #expect(
            try connection.query("SELECT count(*) FROM jobs WHERE claimed_on = $1", [epoch]).first?.decode(
                Int.self, at: 0) == 3, "a claim records the server it was made on")
        // The claims of `done` and `dead` reached the standby that is now the primary; the handlers' work did not.
        try connection.query(
            "UPDATE jobs SET claimed_on = claimed_on - 1000000 WHERE id = ANY($1)", [[done, dead]])
        let result = try queue.settle(
            [
                JobSettlement(claims[0], outcome: .completed),
                JobSettlement(claims[1], outcome: .dead(error: PostgresJSON(text: #"{"error":"x"}"#))),
                JobSettlement(claims[2], outcome: .completed),
            ], workerID: "w", on: connection)
        #expect(result.requeued.sorted() == [done, dead])
        #expect(result.completed == [here] && result.dead.isEmpty && result.refused.isEmpty)
        let rows = try connection.query(
            "SELECT id, state::text, attempt, worker_id IS NULL AND claimed_on IS NULL FROM jobs ORDER BY id"
        ).rows.map {
            "\(try $0.decode(Int64.self, at: 0)) \(try $0.decode(String.self, at: 1)) \(try $0.decode(Int16.self, at: 2)) "
                + "\(try $0.decode(Bool.self, at: 3))"
        }
        #expect(rows == ["\(done) available 0 true", "\(dead) available 0 true"])
        #expect(
            try connection.query("SELECT count(*) FROM job_history").first?.decode(Int.self, at: 0) == 0,
            "nothing buried")
        // They run again, on this server, and settle as usual.
        let again = try queue.claim(queue: "q", limit: 3, lease: .seconds(30), workerID: "w/2", on: connection)
        #expect(again.map(\.id) == [done, dead] && again.allSatisfy { $0.attempt == 1 })
        #expect(
            try queue.settle(again.map { JobSettlement($0, outcome: .completed) }, workerID: "w", on: connection)
                .completed.sorted() == [done, dead])
    }

    @Test("a heartbeat extends the lease, so a long job is not rescued")
    func heartbeat() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        _ = try queue.enqueue(NewJob(queue: "q", kind: "k"), on: connection)
        let job = try #require(
            try queue.claim(queue: "q", limit: 1, lease: .seconds(30), workerID: "w", on: connection).first)
        clock.advance(by: .seconds(20))
        #expect(try queue.heartbeat(ids: [job.id], workerID: "w", lease: .seconds(30), on: connection) == [job.id])
        #expect(try queue.heartbeat(ids: [job.id], workerID: "intruder", lease: .seconds(30), on: connection).isEmpty)
        clock.advance(by: .seconds(20))
        #expect(try queue.maintain(retention: .seconds(86_400), on: connection).rescued == 0)
        clock.advance(by: .seconds(11))
        #expect(try queue.maintain(retention: .seconds(86_400), on: connection).rescued == 1)
    }

    @Test("a lease that expires on the last attempt makes the job dead, kept in history")
    func rescueOnLastAttempt() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        let id = try #require(try queue.enqueue(NewJob(queue: "q", kind: "k", maxAttempts: 1), on: connection))
        _ = try queue.claim(queue: "q", limit: 1, lease: .seconds(5), workerID: "w", on: connection)
        clock.advance(by: .seconds(6))
        let report = try queue.maintain(retention: .seconds(86_400), on: connection)
        #expect(report.rescued == 1)
        #expect(report.archived == 1)
        let dead = try queue.deadJobs(queue: "q", on: connection)
        #expect(dead.map(\.id) == [id])
    }

    @Test("history older than the retention is pruned")
    func pruning() throws {
        let db = try TestDatabase()
        try db.keepEveryJobInHistory()
        let connection = try db.connect()
        let id = try #require(try queue.enqueue(NewJob(queue: "q", kind: "k"), on: connection))
        _ = try queue.claim(queue: "q", limit: 1, lease: .seconds(30), workerID: "w", on: connection)
        _ = try queue.settle([JobSettlement(id: id, attempt: 1, outcome: .completed)], workerID: "w", on: connection)
        clock.advance(by: .seconds(3599))
        #expect(try queue.maintain(retention: .seconds(3600), on: connection).pruned == 0)
        clock.advance(by: .seconds(2))
        #expect(try queue.maintain(retention: .seconds(3600), on: connection).pruned == 1)
    }

    @Test("backoff grows exponentially, is capped, and is spread by jitter")
    func backoff() {
        let policy = RetryPolicy(base: .seconds(2), cap: .seconds(60), jitter: 0.25)
        #expect(policy.delay(afterAttempt: 1, random: 0.5) == .seconds(2))
        #expect(policy.delay(afterAttempt: 3, random: 0.5) == .seconds(8))
        #expect(policy.delay(afterAttempt: 30, random: 0.5) == .seconds(60))
        #expect(policy.delay(afterAttempt: 3, random: 0) == .seconds(6))
        #expect(policy.delay(afterAttempt: 3, random: 0.999_999) > .milliseconds(9990))
    }
}

/// A small thread-safe box for results handed across threads in tests.
final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func get() -> Value { lock.lock(); defer { lock.unlock() }; return value }
    func set(_ newValue: Value) { lock.lock(); value = newValue; lock.unlock() }
    func update(_ body: (inout Value) -> Void) { lock.lock(); body(&value); lock.unlock() }
}
