import Foundation
import HTTPClient
import JobQueue
import Migrations
import Postgres
import Testing
import TestSupport

/// The five real executables, started as a deployment would start them.
@Suite("Services")
struct ServiceProcessTests {
    static let services = ["portal-adapter", "whatsapp-adapter", "email-adapter", "appeals-service", "dispatcher"]
    static let queues = [
        "portal-adapter": "portal", "whatsapp-adapter": "whatsapp", "email-adapter": "email",
        "appeals-service": "appeals", "dispatcher": "dispatcher",
    ]

    func get(_ url: String) -> HTTPClientResponse? {
        try? HTTPClient(configuration: HTTPClientConfiguration(timeout: .seconds(5))).send(HTTPClientRequest(url: url))
    }

    @Test(
        "each service starts, serves healthz, readyz and metrics, runs its job loop, and stops cleanly on SIGTERM",
        arguments: services)
    func lifecycle(service: String) throws {
        let db = try TestDatabase()
        try db.keepEveryJobInHistory()  // completions are read from the history
        let port = freePort()
        let process = try ChildProcess(
            service,
            environment: [
                // As in a deployment: the services' role, not the owner.
                "DAKIYA_DATABASE_URL": try db.serviceURL(), "DAKIYA_HTTP_PORT": String(port),
                "DAKIYA_JOB_POLL_SECONDS": "30",
            ])
        let base = "http://127.0.0.1:\(port)"
        #expect(eventually { get(base + "/readyz")?.status == 200 }, "\(process.outputText)")
        #expect(get(base + "/healthz")?.text == #"{"status":"ok"}"#)
        // The job loop runs: a ping enqueued on the service's queue completes.
        let connection = try db.connect()
        let queue = try #require(Self.queues[service])
        let id = try #require(try JobQueue().enqueue(NewJob(queue: queue, kind: "ping"), on: connection))
        #expect(
            try eventually {
                try connection.query("SELECT state::text FROM job_history WHERE id = $1", [id]).first?.decode(
                    String.self, at: 0) == "completed"
            })
        let metrics = try #require(get(base + "/metrics"))
        #expect(metrics.header("content-type")?.hasPrefix("text/plain; version=0.0.4") == true)
        #expect(metrics.text.contains("dakiya_jobs_completed_total{queue=\"\(queue)\"} 1"))
        #expect(metrics.text.contains("dakiya_service_info{service=\"\(service)\"} 1"))
        process.send(SIGTERM)
        #expect(process.waitForExit(timeout: .seconds(20)) == 0)
        let lines = process.outputText.split(separator: "\n")
        #expect(lines.allSatisfy { $0.hasPrefix("{\"ts\":") }, "every log line is JSON")
        #expect(lines.contains { $0.contains("\"msg\":\"stopped\"") })
        #expect(get(base + "/healthz") == nil, "nothing listens after the stop")
    }

    @Test(
        "a bad or missing setting stops the service with one line naming it",
        arguments: [
            (
                ["DAKIYA_DATABASE_URL": "mysql://db"],
                "dispatcher: invalid setting DAKIYA_DATABASE_URL: expected a postgres:// or postgresql:// URL"
            ),
            (["DAKIYA_DATABASE_URL": ""], "dispatcher: invalid setting DAKIYA_DATABASE_URL: required but not set"),
            (
                ["DAKIYA_DATABASE_URL": "postgresql:///x", "DAKIYA_HTTP_PORT": "eighty"],
                "dispatcher: invalid setting DAKIYA_HTTP_PORT: expected an integer from 0 to 65535, got \"eighty\""
            ),
            (
                ["DAKIYA_DATABASE_URL": "postgresql:///x", "DAKIYA_LOG_LEVEL": "loud"],
                "dispatcher: invalid setting DAKIYA_LOG_LEVEL: expected one of debug, info, warning, error, got \"loud\""
            ),
        ])
    func badSettings(environment: [String: String], line: String) throws {
        let process = try ChildProcess("dispatcher", environment: environment)
        #expect(process.waitForExit(timeout: .seconds(10)) == 78)
        #expect(process.outputText == line + "\n")
        #expect(!process.outputText.contains("mysql://db"), "a database URL is never echoed")
    }

    @Test(
        "a bad service-specific setting stops the service the same way: exit 78, one line naming it",
        arguments: [
            (
                "whatsapp-adapter", ["DAKIYA_WHATSAPP_API_VERSION": "v17.0"],
                "whatsapp-adapter: invalid setting DAKIYA_WHATSAPP_API_VERSION: expected v23.0 or later"
            ),
            (
                "email-adapter", ["DAKIYA_SMTP_URL": "http://mail"],
                "email-adapter: invalid setting DAKIYA_SMTP_URL: expected an smtp:// or smtps:// URL"
            ),
            (
                "portal-adapter", ["DAKIYA_LINK_SIGNING_KEY": "short"],
                "portal-adapter: invalid setting DAKIYA_LINK_SIGNING_KEY: expected at least 32 bytes in base64url"
            ),
        ])
    func badServiceSettings(service: String, environment: [String: String], line: String) throws {
        let process = try ChildProcess(
            service,
            environment: environment.merging(["DAKIYA_DATABASE_URL": "postgresql:///x", "DAKIYA_HTTP_PORT": "0"]) { $1 }
        )
        #expect(process.waitForExit(timeout: .seconds(10)) == 78)
        #expect(process.outputText == line + "\n")
    }

    @Test("PostgreSQL restarted under a running service: readyz goes false, then true, and the job loop resumes")
    func databaseRestart() throws {
        let cluster = try ScratchCluster()
        let admin = try Connection(url: cluster.url())
        try admin.execute(script: "CREATE DATABASE dakiya")
        // Completions are read from the history.
        try admin.execute(script: "ALTER DATABASE dakiya SET dakiya.job_history = 'all'")
        let url = cluster.url(database: "dakiya")
        try Migrator.bundled().migrate(on: try Connection(url: url))
        let port = freePort()
        let process = try ChildProcess(
            "dispatcher",
            environment: [
                "DAKIYA_DATABASE_URL": url, "DAKIYA_HTTP_PORT": String(port),
                "DAKIYA_JOB_POLL_SECONDS": "0.5",
            ])
        let base = "http://127.0.0.1:\(port)"
        #expect(eventually { get(base + "/readyz")?.status == 200 }, "\(process.outputText)")
        func pingCompletes() throws -> Bool {
            let connection = try Connection(url: url)
            let id = try #require(try JobQueue().enqueue(NewJob(queue: "dispatcher", kind: "ping"), on: connection))
            return try eventually(timeout: .seconds(20)) {
                try connection.query("SELECT state::text FROM job_history WHERE id = $1", [id]).first?.decode(
                    String.self, at: 0) == "completed"
            }
        }
        #expect(try pingCompletes())

        try cluster.stop()
        #expect(eventually { get(base + "/readyz")?.status == 503 })
        let notReady = try #require(get(base + "/readyz"))
        #expect(notReady.header("content-type") == "application/problem+json")
        #expect(get(base + "/healthz")?.status == 200, "the process itself stays up")

        try cluster.start()
        #expect(eventually(timeout: .seconds(20)) { get(base + "/readyz")?.status == 200 })
        #expect(try pingCompletes(), "the job loop resumed without a restart of the service")
        #expect(process.process.isRunning)
        process.send(SIGTERM)
        #expect(process.waitForExit(timeout: .seconds(20)) == 0)
    }

    @Test("with DAKIYA_MIGRATE_ON_START the service migrates an empty database itself")
    func migrateOnStart() throws {
        let db = try TestDatabase(migrated: false)
        let port = freePort()
        let process = try ChildProcess(
            "portal-adapter",
            environment: [
                "DAKIYA_DATABASE_URL": db.url, "DAKIYA_HTTP_PORT": String(port),
                "DAKIYA_MIGRATE_ON_START": "true",
            ])
        #expect(eventually { get("http://127.0.0.1:\(port)/readyz")?.status == 200 }, "\(process.outputText)")
        let versions = try db.connect().query("SELECT count(*) FROM schema_migrations").first?.decode(Int.self, at: 0)
        #expect(versions == (try Migrator.bundled().migrations.count))
        process.send(SIGTERM)
        #expect(process.waitForExit(timeout: .seconds(20)) == 0)
    }
}
