import HTTPServer
import JobQueue
import ServiceRuntime

/// The settings every Dakiya service reads from its environment, validated at start.
package struct ServiceConfiguration: Sendable {
    package var service: String
    package var databaseURL: String
    /// Where read-only work that may lag a moment (dashboards, the transparency log's public reads) goes: a
    /// multi-host URL with target_session_attrs=prefer-standby reads from the standby while there is one.
    /// Nil: the same database as everything else.
    package var readDatabaseURL: String?
    package var databasePoolSize: Int
    package var migrateOnStart: Bool
    package var logLevel: Logger.Level
    package var http: ServerConfiguration
    package var worker: WorkerConfiguration
    /// Threads for a service's broadcast lane (fan-outs in the dispatcher, sends in the adapters).
    package var broadcastConcurrency: Int
    package var maintenanceInterval: Duration
    package var historyRetention: Duration

    /// Reads and validates the settings; throws the first bad one.
    /// - Throws: `SettingError` naming the first bad setting.
    package static func load(service: String, queue: String, defaultPort: UInt16, from settings: Settings)
        throws(SettingError) -> ServiceConfiguration
    {
        let levelName = try settings.choice(
            "DAKIYA_LOG_LEVEL", default: "info", from: Logger.Level.allCases.map(\.name))
        let httpThreads = try settings.int("DAKIYA_HTTP_THREADS", default: 8, in: 1...256)
        let broadcastConcurrency = try settings.int("DAKIYA_BROADCAST_CONCURRENCY", default: 4, in: 1...64)
        let http = ServerConfiguration(
            host: try settings.string("DAKIYA_HTTP_HOST", default: "127.0.0.1"),
            port: UInt16(try settings.int("DAKIYA_HTTP_PORT", default: Int(defaultPort), in: 0...65_535)),
            threads: httpThreads,
            maximumBodyBytes: try settings.int("DAKIYA_HTTP_MAX_BODY_BYTES", default: 12 << 20, in: 1024...(256 << 20)),
            connectionTimeout: try settings.seconds("DAKIYA_HTTP_IDLE_TIMEOUT_SECONDS", default: 30, in: 1...3600),
            shutdownGrace: try settings.seconds("DAKIYA_SHUTDOWN_GRACE_SECONDS", default: 10, in: 0...600),
            headerTimeout: try settings.seconds("DAKIYA_HTTP_HEADER_TIMEOUT_SECONDS", default: 10, in: 1...600),
            maximumConnections: try settings.int("DAKIYA_HTTP_MAX_CONNECTIONS", default: 8192, in: 16...1_000_000),
            maximumConnectionsPerClient: try settings.int(
                "DAKIYA_HTTP_MAX_CONNECTIONS_PER_CLIENT", default: 2048, in: 0...1_000_000))
        var worker = WorkerConfiguration(queue: queue)
        worker.concurrency = try settings.int("DAKIYA_WORKER_CONCURRENCY", default: 8, in: 1...512)
        worker.batchSize = try settings.int("DAKIYA_WORKER_BATCH", default: 100, in: 1...1000)
        worker.lease = try settings.seconds("DAKIYA_JOB_LEASE_SECONDS", default: 30, in: 1...86_400)
        worker.pollInterval = try settings.seconds("DAKIYA_JOB_POLL_SECONDS", default: 1, in: 0.05...3600)
        worker.busyClaimInterval = try settings.seconds("DAKIYA_WORKER_BUSY_CLAIM_SECONDS", default: 0.005, in: 0...1)
        worker.shutdownGrace = http.shutdownGrace
        let configuration = ServiceConfiguration(
            service: service,
            databaseURL: try settings.databaseURL("DAKIYA_DATABASE_URL"),
            readDatabaseURL: settings.optionalString("DAKIYA_DATABASE_READ_URL") == nil
                ? nil : try settings.databaseURL("DAKIYA_DATABASE_READ_URL"),
            databasePoolSize: try settings.int(
                "DAKIYA_DATABASE_POOL_SIZE", default: httpThreads + 4 + broadcastConcurrency, in: 2...500),
            migrateOnStart: try settings.bool("DAKIYA_MIGRATE_ON_START", default: false),
            logLevel: Logger.Level(name: levelName) ?? .info,
            http: http,
            worker: worker,
            broadcastConcurrency: broadcastConcurrency,
            maintenanceInterval: try settings.seconds(
                "DAKIYA_MAINTENANCE_INTERVAL_SECONDS", default: 1, in: 0.05...3600),
            historyRetention: try settings.seconds("DAKIYA_JOB_HISTORY_RETENTION_DAYS", default: 7, in: 0.001...3650)
                * 86_400)
        return configuration
    }
}
