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
    /// Every node of an EXPLAIN (FORMAT JSON) plan, depth first.
    static func nodes(_ plan: Any) -> [[String: Any]] {
        guard let node = plan as? [String: Any] else { return [] }
        return [node] + ((node["Plans"] as? [Any]) ?? []).flatMap(nodes)
    }

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
        let statements = try connection.query(
            "SELECT name, statement, cardinality(parameter_types) FROM pg_prepared_statements"
        ).rows.map {
            (
                name: try $0.decode(String.self, at: 0), sql: try $0.decode(String.self, at: 1),
                parameters: try $0.decode(Int.self, at: 2)
            )
        }
        #expect(statements.count >= 10, "the lifecycle's statements are prepared")
        var offenders: [String] = []
        for statement in statements where statement.sql.contains("jobs") {
            let arguments = Array(repeating: "NULL", count: statement.parameters).joined(separator: ", ")
            let text = try #require(
                try connection.query(
                    "EXPLAIN (FORMAT JSON) EXECUTE \(statement.name)" + (arguments.isEmpty ? "" : "(\(arguments))")
                ).first?.decode(String.self, at: 0))
            let json = try JSONSerialization.jsonObject(with: Data(text.utf8))
            let plan = try #require((json as? [[String: Any]])?.first?["Plan"])
            for node in Self.nodes(plan)
            where node["Node Type"] as? String == "Seq Scan" && node["Relation Name"] as? String == "jobs" {
                offenders.append("\(statement.name): \(statement.sql.prefix(160))")

            }
        }
        #expect(offenders.isEmpty, "statements that scan the whole jobs table: \(offenders)")
    }

    @Test(
        "the same drain ten times, the statistics of an empty and of a busy queue in turn: the slowest run is at least a quarter of the median"
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
        // against busy runs up to 4,727), a smaller effect not yet found (issue 14), so the bar is a quarter.
        #expect(
            sorted[0] >= median / 4,
            "drain rates (jobs/s): \(rates.map { "\($0.mode) \(Int($0.jobsPerSecond))" })")
    }
}
