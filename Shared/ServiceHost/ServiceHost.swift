import Glibc
import HTTPClient
import HTTPServer
import JobContracts
import JobQueue
import Migrations
import Postgres
import ServiceRuntime

/// What a service adds to the common shell: its HTTP routes and its job handlers.
package struct ServiceParts: Sendable {
    package var router: Router
    package var handlers: [String: JobHandler]
    /// Kinds whose claimed jobs run together (see `BatchJobHandler`).
    package var batchHandlers: [String: BatchJobHandler]
    /// Extra long-lived parts (periodic work), started after the worker and stopped before it.
    package var services: [any Service]
    /// Queues of their own, each with its own worker threads: work that must never hold up the service's main queue
    /// (a broadcast's sends beside the outcomes').
    package var lanes: [JobLane]

    /// A service's parts: its HTTP routes, its job handlers (one job at a time, or a batch of one kind), periodic
    /// services and lanes.
    package init(
        router: Router = Router(), handlers: [String: JobHandler] = [:], batchHandlers: [String: BatchJobHandler] = [:],
        services: [any Service] = [], lanes: [JobLane] = []
    ) {
        self.router = router
        self.handlers = handlers
        self.batchHandlers = batchHandlers
        self.services = services
        self.lanes = lanes
    }
}

/// A queue a service works with threads of its own, apart from its main queue: a job there never waits for the main
/// queue's work, nor the main queue's for it.
package struct JobLane: Sendable {
    package var queue: Queue
    package var handlers: [String: JobHandler]
    /// Threads; and jobs claimed at once (few: a lane's jobs are long, and one claim should not hoard them).
    package var concurrency: Int
    package var batchSize: Int

    /// A lane on `queue` with its handlers, `concurrency` threads claiming `batchSize` jobs at a time.
    package init(queue: Queue, handlers: [String: JobHandler], concurrency: Int, batchSize: Int = 1) {
        self.queue = queue
        self.handlers = handlers
        self.concurrency = concurrency
        self.batchSize = batchSize
    }
}

/// What a service's builder gets to build its parts with.
package struct ServiceContext: Sendable {
    package var configuration: ServiceConfiguration
    package var pool: ConnectionPool
    /// For read-only work that may lag a moment behind the primary (dashboards, the transparency log's public
    /// reads): the standby's pool when DAKIYA_DATABASE_READ_URL is set, else `pool` itself.
    package var readPool: ConnectionPool
    package var logger: Logger
    package var metrics: MetricsRegistry
    package var queue: JobQueue
}

/// The common shell of every Dakiya service: settings, JSON logs, the database pool, migrations when
/// asked, `/healthz`, `/readyz` and `/metrics`, the job worker of its queue, the maintenance loop, and a
/// clean stop on SIGTERM or SIGINT.
package enum ServiceHost {

    /// Runs the service until SIGTERM or SIGINT; exits 78 with one line for a bad setting, 1 for a failed start.
    /// - Throws: nothing: a failure to start ends the process (exit 78 for a setting, 1 otherwise), and `build`'s errors are such failures.
    package static func main(
        service: String, queue: Queue, defaultPort: UInt16, build: (ServiceContext) throws -> ServiceParts
    ) -> Never {
        ServiceGroup.blockTerminationSignals()
        let configuration: ServiceConfiguration
        do {
            configuration = try ServiceConfiguration.load(
                service: service, queue: queue.name, defaultPort: defaultPort, from: Settings())
        } catch {
            exitForBadSetting(service, error)
        }
        let logger = Logger(service: service, minimumLevel: configuration.logLevel)
        do {
            try HTTPClient.initializeProcess()  // libcurl's global setup, once, before any thread of ours
            try run(configuration, logger: logger, build: build)
            exit(0)
        } catch let error as SettingError {
            // A service's own setting (DAKIYA_WHATSAPP_*, DAKIYA_SMTP_*, DAKIYA_LINK_SIGNING_KEY): the same one line as the shared ones.
            exitForBadSetting(service, error)
        } catch {
            logger.error("service failed to start", ["error": String(describing: error)])
            exit(1)
        }
    }

    static func run(
        _ configuration: ServiceConfiguration, logger: Logger, build: (ServiceContext) throws -> ServiceParts
    ) throws {
        let metrics = MetricsRegistry()
        let pool = ConnectionPool(
            url: configuration.databaseURL, maximumConnections: configuration.databasePoolSize,
            applicationName: configuration.service)
        let readPool =
            configuration.readDatabaseURL.map {
                ConnectionPool(
                    url: $0, maximumConnections: configuration.databasePoolSize,
                    applicationName: configuration.service + "-read")
            } ?? pool
        if configuration.migrateOnStart { try migrate(configuration, logger: logger) }
        let queue = JobQueue()
        let context = ServiceContext(
            configuration: configuration, pool: pool, readPool: readPool, logger: logger, metrics: metrics,
            queue: queue)
        var parts = try build(context)
        parts.handlers[Jobs.ping.kind] = parts.handlers[Jobs.ping.kind] ?? { _ in }

        let worker = JobWorker(
            pool: pool, configuration: configuration.worker, handlers: parts.handlers,
            batchHandlers: parts.batchHandlers, queue: queue,
            logger: logger, metrics: metrics)
        let laneWorkers = parts.lanes.map { lane -> JobWorker in
            var lanes = configuration.worker
            lanes.queue = lane.queue.name
            lanes.concurrency = lane.concurrency
            lanes.batchSize = lane.batchSize
            return JobWorker(
                pool: pool, configuration: lanes,
                handlers: lane.handlers.merging([Jobs.ping.kind: { _ in }]) { own, _ in own }, queue: queue,
                logger: logger, metrics: metrics)
        }
        let maintenance = JobMaintenance(
            url: configuration.databaseURL, queue: queue, interval: configuration.maintenanceInterval,
            retention: configuration.historyRetention, logger: logger, metrics: metrics)
        var router = healthRoutes(pool: pool, worker: worker, metrics: metrics)
        router.merge(parts.router)
        let server = Server(configuration: configuration.http, router: router, logger: logger, metrics: metrics)
        metrics.gauge(
            "dakiya_service_info", help: "Always 1; labels name the service.",
            labels: ["service": configuration.service]
        ).set(1)
        logger.info("starting", ["job.queue": configuration.worker.queue])
        // Started in this order, stopped in reverse: the HTTP server drains first, then the worker, then maintenance.
        try ServiceGroup(services: [maintenance, worker] + laneWorkers + parts.services + [server], logger: logger)
            .run()
        pool.close()
        if readPool !== pool { readPool.close() }
        logger.info("stopped")
    }

    /// Applies migrations, waiting up to 30 s for the database to come up.
    static func migrate(_ configuration: ServiceConfiguration, logger: Logger) throws {
        let deadline = MonotonicTime.now().advanced(by: .seconds(30))
        while true {
            do {
                let connection = try Connection(url: configuration.databaseURL, applicationName: configuration.service)
                let applied = try Migrator.bundled().migrate(on: connection)
                if !applied.isEmpty {
                    logger.info(
                        "migrations applied", ["db.migrations": applied.map(String.init).joined(separator: ",")])
                }
                return
            } catch let error as PostgresError where error.isConnectionFailure && MonotonicTime.now() < deadline {
                logger.warning("database not reachable yet; retrying migrations", ["error": String(describing: error)])
                usleep(500_000)
            }
        }
    }

    /// `/healthz` (the process answers), `/readyz` (the database and the job loop work), `/metrics` (Prometheus).
    static func healthRoutes(pool: ConnectionPool, worker: JobWorker, metrics: MetricsRegistry) -> Router {
        let databaseUp = metrics.gauge(
            "dakiya_database_up", help: "1 when the last readiness check reached PostgreSQL.")
        var router = Router()
        router.get("/healthz") { _ in
            Response(status: 200, body: Array(#"{"status":"ok"}"#.utf8), contentType: "application/json")
        }
        router.get("/readyz") { request in
            let reachable = pool.isReachable()
            databaseUp.set(reachable ? 1 : 0)
            guard reachable else {
                throw HTTPError(status: 503, detail: "PostgreSQL is not reachable", headers: [("Retry-After", "1")])
            }
            guard worker.isHealthy else {
                throw HTTPError(status: 503, detail: "the job loop cannot claim jobs", headers: [("Retry-After", "1")])
            }
            return Response(
                status: 200, body: Array(#"{"status":"ready","database":"up"}"#.utf8), contentType: "application/json")
        }
        router.get("/metrics") { _ in
            Response.text(metrics.exposition(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        return router
    }
}
