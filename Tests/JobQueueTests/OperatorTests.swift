import Foundation
import JobQueue
import Postgres
import Testing
import TestSupport

/// What an operator does with the queue: dead jobs put back to work with a reason, stuck and waiting jobs found.
@Suite("Job queue: the operator's tools")
struct OperatorTests {
    let clock = ManualClock()
    var queue: JobQueue { JobQueue(clock: clock) }

    /// A job that has failed its only attempt: dead, still in the hot table until maintenance archives it.
    func deadJob(_ job: NewJob, on connection: Connection) throws -> Int64 {
        let id = try #require(try queue.enqueue(job, on: connection))
        let claimed = try queue.claim(queue: job.queue, limit: 10, lease: .seconds(30), workerID: "w", on: connection)
        let attempt = try #require(claimed.first { $0.id == id }?.attempt)
        let result = try queue.settle(
            [
                JobSettlement(
                    id: id, attempt: attempt, outcome: .dead(error: PostgresJSON(text: #"{"error":"smtp 554"}"#)))
            ],
            workerID: "w", on: connection)
        #expect(result.appliedCount == 1)
        return id
    }

    @Test("dead jobs requeued by id, by kind or all: new jobs with the same work, the reason recorded, each only once")
    func requeue() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        let payload = PostgresJSON(text: #"{"delivery": 41}"#)
        let first = try deadJob(
            NewJob(queue: "email", kind: "send", payload: payload, priority: 1, maxAttempts: 1, uniqueKey: "d41"),
            on: connection)
        let second = try deadJob(NewJob(queue: "email", kind: "send", maxAttempts: 1), on: connection)
        let other = try deadJob(NewJob(queue: "email", kind: "receipt", maxAttempts: 1), on: connection)
        let elsewhere = try deadJob(NewJob(queue: "whatsapp", kind: "send", maxAttempts: 1), on: connection)
        // Dead jobs still in the hot table are listed (and requeued) as well as archived ones.
        #expect(Set(try queue.deadJobs(queue: "email", on: connection).map(\.id)) == [first, second, other])
        #expect(try queue.deadCounts(on: connection).map { "\($0.queue) \($0.dead)" } == ["email 3", "whatsapp 1"])

        let byID = try queue.requeueDead(
            queue: "email", .ids([first]), reason: "SMTP relay fixed", by: "ops-asha", on: connection)
        let new = try #require(byID.requeued.first)
        #expect(byID.requeued.map(\.dead) == [first] && byID.alreadyQueued.isEmpty)
        let row = try #require(
            try connection.query(
                "SELECT queue, kind, payload, priority, attempt, max_attempts, unique_key, state::text FROM jobs WHERE id = $1",
                [new.new]
            ).first)
        #expect(try row.decode(String.self, at: 0) == "email" && row.decode(String.self, at: 1) == "send")
        #expect(try row.decode(PostgresJSON.self, at: 2).decode([String: Int].self) == ["delivery": 41])
        #expect(try row.decode(Int16.self, at: 3) == 1 && row.decode(Int16.self, at: 4) == 0)
        #expect(try row.decode(Int16.self, at: 5) == 1 && row.decode(String?.self, at: 6) == "d41")
        #expect(try row.decode(String.self, at: 7) == "available")
        // A worker can run it now.
        #expect(
            try queue.claim(queue: "email", limit: 10, lease: .seconds(30), workerID: "w2", on: connection).map(\.id)
                == [new.new])
        let record = try #require(
            try connection.query(
                "SELECT reason, requested_by, new_job_id, kind FROM job_requeues WHERE dead_job_id = $1", [first]
            ).first)
        #expect(try record.decode(String.self, at: 0) == "SMTP relay fixed")
        #expect(try record.decode(String.self, at: 1) == "ops-asha")
        #expect(try record.decode(Int64.self, at: 2) == new.new && record.decode(String.self, at: 3) == "send")
        // No longer among the dead; asked again, nothing happens.
        #expect(Set(try queue.deadJobs(queue: "email", on: connection).map(\.id)) == [second, other])
        let again = try queue.requeueDead(queue: "email", .ids([first]), reason: "again", by: "x", on: connection)
        #expect(again.requeued.isEmpty && again.alreadyQueued.isEmpty)

        // By kind: only that kind, only that queue.
        let byKind = try queue.requeueDead(
            queue: "email", .kind("receipt"), reason: "template fixed", by: "x", on: connection)
        #expect(byKind.requeued.map(\.dead) == [other])
        // All of a queue: what is left of it, nothing of another queue.
        let all = try queue.requeueDead(queue: "email", .all, reason: "after the outage", by: "x", on: connection)
        #expect(all.requeued.map(\.dead) == [second])
        #expect(try queue.deadJobs(queue: "email", on: connection).isEmpty)
        #expect(try queue.deadJobs(queue: "whatsapp", on: connection).map(\.id) == [elsewhere])
        #expect(try connection.query("SELECT count(*) FROM job_requeues").first?.decode(Int.self, at: 0) == 3)
    }

    @Test("a dead job whose unique key a live job already holds is recorded as requeued but not queued twice")
    func requeueRespectsUniqueKeys() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        let dead = try deadJob(NewJob(queue: "email", kind: "send", maxAttempts: 1, uniqueKey: "d7"), on: connection)
        let live = try #require(
            try queue.enqueue(NewJob(queue: "email", kind: "send", uniqueKey: "d7"), on: connection))
        let result = try queue.requeueDead(queue: "email", .all, reason: "retry", by: "x", on: connection)
        #expect(result.requeued.isEmpty)
        #expect(result.alreadyQueued == [dead])
        #expect(try connection.query("SELECT array_agg(id) FROM jobs").first?.decode([Int64].self, at: 0) == [live])
        #expect(
            try connection.query("SELECT new_job_id IS NULL FROM job_requeues WHERE dead_job_id = $1", [dead]).first?
                .decode(Bool.self, at: 0) == true)
        #expect(try queue.deadJobs(queue: "email", on: connection).isEmpty)
    }

    @Test("stuck jobs: past their lease or running too long; waiting jobs: the oldest ready first")
    func stuckAndWaiting() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        let early = try #require(try queue.enqueue(NewJob(queue: "email", kind: "send"), on: connection))
        clock.advance(by: .seconds(5))
        let late = try #require(try queue.enqueue(NewJob(queue: "whatsapp", kind: "send"), on: connection))
        _ = try queue.enqueue(
            NewJob(queue: "email", kind: "later", runAt: clock.date.addingTimeInterval(600)), on: connection)
        clock.advance(by: .seconds(5))
        #expect(try queue.oldestWaiting(queue: nil, on: connection).map(\.id) == [early, late])
        #expect(try queue.oldestWaiting(queue: nil, on: connection).first?.waitingSeconds == 10)
        #expect(try queue.oldestWaiting(queue: "whatsapp", on: connection).map(\.id) == [late])

        let running = try queue.claim(
            queue: "email", limit: 1, lease: .seconds(60), workerID: "w-email", on: connection)
        #expect(running.map(\.id) == [early])
        _ = try queue.claim(queue: "whatsapp", limit: 1, lease: .seconds(3600), workerID: "w-wa", on: connection)
        #expect(try queue.stuckJobs(runningLongerThan: .seconds(600), on: connection).isEmpty)
        clock.advance(by: .seconds(61))
        let expired = try queue.stuckJobs(runningLongerThan: .seconds(600), on: connection)
        #expect(expired.map(\.id) == [early])
        #expect(expired.first?.leaseExpired == true && expired.first?.worker == "w-email")
        clock.advance(by: .seconds(600))
        let both = try queue.stuckJobs(runningLongerThan: .seconds(600), on: connection)
        #expect(both.map(\.id) == [early, late])
        #expect(both.last?.leaseExpired == false && both.last?.runningSeconds == 661)
    }
}
