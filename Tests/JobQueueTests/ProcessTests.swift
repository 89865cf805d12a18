import Foundation
import JobQueue
import Postgres
import Testing
import TestSupport

/// Workers as separate OS processes: exactly-once completion under contention, and recovery from kill -9.
@Suite("Job queue across processes", .serialized)
struct ProcessTests {
    func recordFile() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("probe-\(UUID().uuidString)").path
    }

    func recorded(_ path: String) throws -> [Int64] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").compactMap { Int64($0) }
    }

    @Test("4 worker processes × 20,000 jobs: every job completed exactly once, none lost, none left running")
    func fourProcesses() throws {
        let db = try TestDatabase()
        try db.keepEveryJobInHistory()  // completions are read from the history
        let connection = try db.connect()
        let total = 80_000
        let queue = JobQueue()
        for chunk in stride(from: 0, to: total, by: 10_000) {
            try queue.enqueueByCopy(
                (chunk..<chunk + 10_000).map {
                    NewJob(queue: "probe", kind: "probe", payload: PostgresJSON(text: "{\"n\":\($0)}"))
                }, on: connection)
        }
        let files = (0..<4).map { _ in recordFile() }
        let workers = try files.map {
            try ChildProcess(
                "QueueWorkerProbe", arguments: ["probe", $0, "8", "100"], environment: ["DAKIYA_DATABASE_URL": db.url])
        }
        #expect(
            try eventually(timeout: .seconds(240), every: .milliseconds(200)) {
                try connection.query("SELECT count(*) FROM job_history WHERE queue = 'probe' AND state = 'completed'")
                    .first?.decode(Int.self, at: 0) == total
            })
        for worker in workers { worker.send(SIGTERM) }
        for worker in workers { #expect(worker.waitForExit(timeout: .seconds(30)) == 0, "\(worker.outputText)") }
        let runs = try files.flatMap(recorded)
        #expect(runs.count == total, "each job ran once")
        #expect(Set(runs).count == total, "no job ran twice")
        #expect(
            try connection.query("SELECT count(*) FROM jobs").first?.decode(Int.self, at: 0) == 0, "nothing left live")
        let historyIDs = try connection.query("SELECT count(DISTINCT id) FROM job_history WHERE attempt = 1").first?
            .decode(Int.self, at: 0)
        #expect(historyIDs == total, "every job completed on its first attempt")
        let perWorker = try files.map { try recorded($0).count }
        #expect(perWorker.filter { $0 > 0 }.count >= 2, "the work was shared: \(perWorker)")
    }

    @Test("kill -9 a worker holding leased jobs: after the lease expires another worker runs them, attempts counted")
    func crashRecovery() throws {
        let db = try TestDatabase()
        try db.keepEveryJobInHistory()  // completions are read from the history
        let connection = try db.connect()
        let queue = JobQueue()
        _ = try queue.enqueue(
            (0..<20).map { NewJob(queue: "probe", kind: "probe", payload: PostgresJSON(text: "{\"n\":\($0)}")) },
            on: connection)
        // The victim holds up to 4 jobs for a minute each, with a 2 s lease kept alive by heartbeats.
        let victimFile = recordFile()
        let victim = try ChildProcess(
            "QueueWorkerProbe", arguments: ["probe", victimFile, "4", "4", "2", "60000"],
            environment: ["DAKIYA_DATABASE_URL": db.url])
        #expect(
            try eventually {
                try connection.query("SELECT count(*) FROM jobs WHERE state = 'running'").first?.decode(Int.self, at: 0)
                    == 4
            })
        let held = try connection.query("SELECT id, attempt, worker_id FROM jobs WHERE state = 'running' ORDER BY id")
            .rows.map {
                (
                    id: try $0.decode(Int64.self, at: 0), attempt: try $0.decode(Int16.self, at: 1),
                    worker: try $0.decode(String.self, at: 2)
                )
            }
        // Heartbeats keep the leases alive past their 2 s while the victim lives.
        usleep(3_000_000)
        #expect(
            try connection.query(
                "SELECT count(*) FROM jobs WHERE state = 'running' AND worker_id = $1", [held[0].worker]
            ).first?.decode(Int.self, at: 0) == 4)
        victim.send(SIGKILL)
        #expect(victim.waitForExit(timeout: .seconds(10)) != nil)
        let rescuerFile = recordFile()
        let rescuer = try ChildProcess(
            "QueueWorkerProbe", arguments: ["probe", rescuerFile, "8", "10", "2"],
            environment: ["DAKIYA_DATABASE_URL": db.url])
        #expect(
            try eventually(timeout: .seconds(30)) {
                try connection.query("SELECT count(*) FROM job_history WHERE state = 'completed'").first?.decode(
                    Int.self, at: 0) == 20
            })
        rescuer.send(SIGTERM)
        #expect(rescuer.waitForExit(timeout: .seconds(30)) == 0)
        for job in held {
            let row = try #require(
                try connection.query("SELECT attempt, last_error->>'error' FROM job_history WHERE id = $1", [job.id])
                    .first)
            #expect(try row.decode(Int.self, at: 0) == 2, "the killed attempt was counted")
            #expect(try row.decode(String?.self, at: 1) == "lease expired")
        }
        #expect(Set(try recorded(rescuerFile)).isSuperset(of: held.map(\.id)))
        // The dead worker's late completion is refused by the fence.
        let late = try queue.settle(
            held.map { JobSettlement(id: $0.id, attempt: $0.attempt, outcome: .completed) }, workerID: held[0].worker,
            on: connection)
        #expect(late.refused.sorted() == held.map(\.id))
        #expect(try connection.query("SELECT count(*) FROM job_history").first?.decode(Int.self, at: 0) == 20)
    }
}
