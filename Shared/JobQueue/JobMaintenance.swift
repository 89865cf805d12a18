import Postgres
import ServiceRuntime

/// The maintenance loop: rescue expired leases, promote due jobs, archive and prune.
///
/// Every service runs one, but only the holder of a session advisory lock works; the others wait to take
/// over if the leader's connection goes away (a killed process releases its lock with its session).
package final class JobMaintenance: Service, @unchecked Sendable {
    package let name = "job-maintenance"
    static let leaderLockKey: Int64 = 0x64616B69_79616A6D  // "dakiyajm"

    private let url: String
    private let queue: JobQueue
    private let interval: Duration
    private let retention: Duration
    private let logger: Logger
    private let lock = ConditionLock()
    private var stopping = false
    private var leader = false
    private var thread: OwnedThread?
    private let rescued, promoted, pruned: Counter

    /// Maintenance against the database at `url`, every `interval`, keeping job history for `retention`.
    package init(
        url: String, queue: JobQueue = JobQueue(), interval: Duration = .seconds(1),
        retention: Duration = .seconds(7 * 86_400), logger: Logger, metrics: MetricsRegistry
    ) {
        self.url = url
        self.queue = queue
        self.interval = interval
        self.retention = retention
        self.logger = logger
        rescued = metrics.counter(
            "dakiya_jobs_rescued_total", help: "Jobs whose lease expired and were returned to the queue.")
        promoted = metrics.counter(
            "dakiya_jobs_promoted_total", help: "Scheduled or retry-waiting jobs made available.")
        pruned = metrics.counter(
            "dakiya_job_history_pruned_total", help: "History rows deleted after the retention period.")
    }

    /// True while this process holds the maintenance lock.
    package var isLeader: Bool { lock.withLock { leader } }

    /// Starts the maintenance thread (it runs only while it holds the leader lock).
    /// - Throws: `OwnedThread.StartError` when the thread cannot be started.
    package func start() throws {
        thread = try OwnedThread(name: "jobs-maintain") { [self] in loop() }
    }

    /// Stops the thread and gives up the leader lock.
    package func stop() {
        lock.withLock {
            stopping = true; lock.broadcast()
        }
        thread?.join()
    }

    private func loop() {
        var connection: Connection?
        while !lock.withLock({ stopping }) {
            do {
                if connection == nil { connection = try Connection(url: url, applicationName: "dakiya-maintenance") }
                guard let connection else { continue }
                if !isLeader {
                    let won =
                        try connection.query("SELECT pg_try_advisory_lock($1)", [Self.leaderLockKey]).first?.decode(
                            Bool.self, at: 0) ?? false
                    if won {
                        lock.withLock { leader = true }
                        logger.info("maintenance leader elected")
                    }
                }
                if isLeader {
                    let report = try queue.maintain(retention: retention, on: connection)
                    rescued.increment(by: Double(report.rescued))
                    promoted.increment(by: Double(report.promoted))
                    pruned.increment(by: Double(report.pruned))
                    if report.rescued > 0 {
                        logger.warning("rescued jobs with expired leases", ["jobs.count": String(report.rescued)])
                    }
                }
            } catch {
                logger.warning("maintenance failed", ["error": String(describing: error)])
                connection = nil  // the session (and the leader lock with it) is gone or suspect
                lock.withLock { leader = false }
            }
            lock.withLock { _ = lock.wait(until: { stopping }, timeout: interval) }
        }
    }
}
