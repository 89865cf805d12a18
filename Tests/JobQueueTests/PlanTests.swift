import Foundation
import JobQueue
import Postgres
import ServiceRuntime
import Testing
import TestSupport

/// The queue's statements keep their cost per call whatever plan PostgreSQL caches for them.
///
/// Every session runs its prepared statements on generic plans (`Connection` sets `plan_cache_mode`), planned without
/// the parameters' values and planned again after each ANALYZE. The claim once joined its locked ids back to `jobs`
/// through a CTE whose size the generic plan guessed from `LIMIT $2` as a share of the queue: with statistics of an
/// empty queue, a nested loop; once autovacuum's ANALYZE had seen a busy one, a hash join over a sequential scan of
/// the whole table on every claim. The dispatcher drained at about 4,000 jobs/s or, from that ANALYZE on, at 600-2,000
/// (issue 14's slow mode).
@Suite("Job queue: plans that do not depend on the plan cache")
struct PlanTests {
    @Test(
        "on a queue of 20,000 jobs, no statement of the job lifecycle reads the whole jobs table under a generic plan")
    func genericPlans() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        let clock = ManualClock()
        let queue = JobQueue(clock: clock)
        try connection.execute(script: "SET plan_cache_mode = force_generic_plan")
        // A busy queue: many available jobs, some claimed, some waiting for a retry, some dead.
        _ = try queue.enqueueByCopy((0..<20_000).map { _ in NewJob(queue: "busy", kind: "send") }, on: connection)
        try connection.execute(script: "ANALYZE jobs")
        // Each call of the lifecycle, enough times for the generic plan to be the one in use.
        for round in 0..<7 {
            _ = try queue.enqueue(
                [NewJob(queue: "busy", kind: "send"), NewJob(queue: "other", kind: "x")], on: connection)
            let claimed = try queue.claim(
                queue: "busy", limit: 8, lease: .seconds(30), workerID: "w", on: connection)
            #expect(claimed.count == 8)
            _ = try queue.heartbeat(ids: claimed.map(\.id), workerID: "w", lease: .seconds(30), on: connection)
            let error = PostgresJSON(text: #"{"error":"x"}"#)
            let outcomes: [JobSettlement.Outcome] = [
                .completed, .completed, .retry(delay: .seconds(60), error: error), .dead(error: error),
                .snooze(delay: .seconds(5)), .release, .completed, .completed,
            ]
            let result = try queue.settle(
                zip(claimed, outcomes).map { JobSettlement(id: $0.id, attempt: $0.attempt, outcome: $1) },
                workerID: "w", on: connection)
            #expect(result.appliedCount == 8, "round \(round)")
            _ = try queue.maintain(retention: .seconds(86_400), on: connection)
        }
        #expect(
            try connection.query("SELECT count(*) FROM pg_prepared_statements").first?.decode(Int.self, at: 0) ?? 0
                >= 10, "the lifecycle's statements are prepared")
        var offenders: [String] = []
        for statement in try Self.cachedPlans(on: connection) {
            for node in QueryPlans.nodes(statement.plan)
            where node["Node Type"] as? String == "Seq Scan" && node["Relation Name"] as? String == "jobs" {
                offenders.append("\(statement.name): \(statement.sql.prefix(160))")
            }
        }
        #expect(offenders.isEmpty, "statements that scan the whole jobs table: \(offenders)")
    }

    /// The plan each statement prepared on `connection` that names `jobs` would run now (`EXPLAIN EXECUTE`, its
    /// parameters NULL): under `force_generic_plan`, the cached generic plan.
    static func cachedPlans(on connection: Connection) throws -> [(name: String, sql: String, plan: Any)] {
        try connection.query(
            "SELECT name, statement, cardinality(parameter_types) FROM pg_prepared_statements WHERE statement LIKE '%jobs%'"
        ).rows.map { row in
            let name = try row.decode(String.self, at: 0)
            let arguments = Array(repeating: "NULL", count: try row.decode(Int.self, at: 2)).joined(separator: ", ")
            let text = try #require(
                try connection.query(
                    "EXPLAIN (FORMAT JSON) EXECUTE \(name)" + (arguments.isEmpty ? "" : "(\(arguments))")
                ).first?.decode(String.self, at: 0))
            let json = try JSONSerialization.jsonObject(with: Data(text.utf8))
            return (name, try row.decode(String.self, at: 1), try #require((json as? [[String: Any]])?.first?["Plan"]))
        }
    }

    /// The `jobs` scans of a plan that run once per row of another node: under the inner side of a nested loop, or
    /// in a SubPlan.
    static func repeatedScans(_ plan: Any, repeated: Bool = false) -> [String] {
        guard let node = plan as? [String: Any] else { return [] }
        var found: [String] = []
        if repeated, (node["Relation Name"] as? String) == "jobs", let type = node["Node Type"] as? String,
            type == "Seq Scan" || type == "Bitmap Heap Scan"
        {
            found.append(type)
        }
        let isLoop = node["Node Type"] as? String == "Nested Loop"
        for child in (node["Plans"] as? [Any]) ?? [] {
            let relationship = (child as? [String: Any])?["Parent Relationship"] as? String
            found += repeatedScans(
                child, repeated: repeated || (isLoop && relationship == "Inner") || relationship == "SubPlan")
        }
        return found
    }

    @Test(
        "planned on statistics of an empty queue, no statement of the job lifecycle reads the jobs table once per row when 20,000 jobs come in"
    )
    func genericPlansOfAnEmptyQueue() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        let clock = ManualClock()
        let queue = JobQueue(clock: clock)
        try connection.execute(script: "SET plan_cache_mode = force_generic_plan")
        try connection.execute(script: "ALTER TABLE jobs SET (autovacuum_enabled = off)")
        // Every statement once (the first run of some makes this session's temporary table, whose new schema in the
        // search_path drops the cached plans).
        let error = PostgresJSON(text: #"{"error":"x"}"#)
        _ = try queue.enqueue(
            [NewJob(queue: "busy", kind: "send"), NewJob(queue: "busy", kind: "send")], on: connection)
        let claimed = try queue.claim(queue: "busy", limit: 2, lease: .seconds(30), workerID: "w", on: connection)
        _ = try queue.settle(
            zip(claimed, [JobSettlement.Outcome.completed, .dead(error: error)]).map {
                JobSettlement(id: $0.id, attempt: $0.attempt, outcome: $1)
            }, workerID: "w", on: connection)
        // A database just made: its statistics say the queue is empty (no pages at all), and every statement is
        // planned on them, as a service's first passes at startup are.
        try connection.execute(script: "DELETE FROM jobs; DELETE FROM job_history")
        try connection.execute(script: "VACUUM jobs")
        try connection.execute(script: "ANALYZE jobs")
        _ = try queue.maintain(retention: .seconds(86_400), on: connection)
        #expect(try queue.claim(queue: "busy", limit: 2, lease: .seconds(30), workerID: "w", on: connection).isEmpty)
        _ = try queue.heartbeat(ids: [-1], workerID: "w", lease: .seconds(30), on: connection)
        let outcomes: [JobSettlement.Outcome] = [
            .completed, .retry(delay: .seconds(60), error: error), .dead(error: error), .snooze(delay: .seconds(5)),
            .release,
        ]
        let none = try queue.settle(
            outcomes.enumerated().map { JobSettlement(id: -1 - Int64($0.offset), attempt: 1, outcome: $0.element) },
            workerID: "w", on: connection)
        #expect(none.refused.count == outcomes.count)
        // Then a bulk comes in (a broadcast, a backlog after an outage), with dead jobs to archive among it; the plans
        // stay those of the empty queue until autovacuum's next ANALYZE.
        // (Plain INSERTs: the first temporary table of enqueueByCopy would change the search_path and drop the plans.)
        try connection.execute(
            script: """
                INSERT INTO jobs (queue, kind, payload) SELECT 'busy', 'send', '{}' FROM generate_series(1, 20000);
                INSERT INTO jobs (queue, kind, payload, state) SELECT 'busy', 'send', '{}', 'dead' FROM generate_series(1, 3000)
                """)
        var offenders: [String] = []
        for statement in try Self.cachedPlans(on: connection) {
            let repeated = Self.repeatedScans(statement.plan)
            if !repeated.isEmpty { offenders.append("\(statement.name) (\(repeated)): \(statement.sql.prefix(160))") }
        }
        #expect(offenders.isEmpty, "statements that read jobs once per row: \(offenders)")
        // And the archive, the one that did, runs in one pass.
        let report = try queue.maintain(retention: .seconds(86_400), on: connection)
        #expect(report.archived == 3_000)
    }

    @Test(
        "the same drain ten times, the statistics of an empty and of a busy queue in turn: all runs but one at least a quarter of the median"
    )
    func drainsAlike() throws {
        let db = try TestDatabase()
        let setup = try db.connect()
        // The statistics change only where the test says (autovacuum's ANALYZE chose the plan in the benchmark).
        try setup.execute(script: "ALTER TABLE jobs SET (autovacuum_enabled = off)")
        var rates: [(mode: String, jobsPerSecond: Double)] = []
        for run in 0..<10 {
            // Statistics taken of an empty queue (a database just started) or of a busy one, in turn.
            let mode = run % 2 == 0 ? "busy" : "empty"
            try setup.execute(script: "DELETE FROM jobs")
            if mode == "empty" { try setup.execute(script: "ANALYZE jobs") }
            // Jobs of another queue the drain never takes: a plan that reads the whole table pays for them each claim.
            _ = try JobQueue().enqueueByCopy((0..<40_000).map { _ in NewJob(queue: "parked", kind: "x") }, on: setup)
            let total = 3_000
            _ = try JobQueue().enqueueByCopy((0..<total).map { _ in NewJob(queue: "drain", kind: "ping") }, on: setup)
            if mode == "busy" { try setup.execute(script: "ANALYZE jobs") }
            let done = LockedBox(0)
            let worker = JobWorker(
                pool: db.pool(),
                configuration: WorkerConfiguration(queue: "drain", concurrency: 8, pollInterval: .milliseconds(100)),
                handlers: ["ping": { _ in done.update { $0 += 1 } }],
                logger: Logger(service: "tests", sink: .capturing()), metrics: MetricsRegistry())
            let started = MonotonicTime.now()
            try worker.start()
            let deadline = started.advanced(by: .seconds(60))
            while done.get() < total && MonotonicTime.now() < deadline { usleep(2_000) }
            let elapsed = MonotonicTime.now().duration(since: started).seconds
            worker.stop()
            #expect(done.get() == total, "run \(run) (\(mode)) ran every job")
            rates.append((mode, Double(done.get()) / elapsed))
        }
        let sorted = rates.map(\.jobsPerSecond).sorted()
        let median = (sorted[4] + sorted[5]) / 2
        // The old claim gave 0.1 of the median here (busy 139-216 jobs/s, empty 1,375-1,910). The new one is not
        // quite alike either: on a loaded CI machine statistics of an empty queue ran at 0.47 of the median (1,077
        // against busy runs up to 4,727), a smaller effect not yet found (issue 14), so the bar is a quarter. One run
        // may fall under it: `make test` runs other suites beside this one (a 2,000-message broadcast with kill -9
        // among them), and one drain that met their busiest second ran at 0.247 of the median. The mode this test
        // guards against slowed every run of one kind: five of the ten.
        #expect(
            sorted[1] >= median / 4,
            "drain rates (jobs/s): \(rates.map { "\($0.mode) \(Int($0.jobsPerSecond))" })")
    }
}
