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
    private let metrics: MetricsRegistry
    private let gaugeInterval: Duration
    private var gaugesRead: ContinuousClock.Instant?
    private var seenQueues: Set<String> = []

    /// Maintenance against the database at `url`, every `interval`, keeping job history for `retention`.
    package init(
        url: String, queue: JobQueue = JobQueue(), interval: Duration = .seconds(1),
        retention: Duration = .seconds(7 * 86_400), gaugeInterval: Duration = .seconds(5), logger: Logger,
        metrics: MetricsRegistry
    ) {
        self.url = url
        self.metrics = metrics
        self.gaugeInterval = gaugeInterval
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

    /// Sets the per-queue gauges: jobs by state, and the age of the oldest ready job. A queue seen once keeps its
    /// series (at 0 when empty), so an alert on it does not go stale. The leader counts the jobs table and keeps the
    /// counts in `job_queue_counts`; the others read those, and count for themselves only when the kept counts are
    /// older than three intervals (no leader: the gauges never go stale with it).
    private func readGauges(on connection: Connection) throws {
        let states: [String: JobQueue.QueueState]
        if isLeader {
            states = try queue.storeCounts(on: connection)
        } else if let stored = try queue.storedCounts(on: connection),
            stored.age <= 3 * gaugeInterval.seconds
        {
            states = stored.states
        } else {
            states = try queue.states(on: connection)
        }
        let known = Set(states.keys).union(seenQueues)
        seenQueues = known
        for name in known {
            let state = states[name] ?? JobQueue.QueueState()
            for (label, value) in [
                ("ready", state.ready), ("running", state.running), ("scheduled", state.scheduled),
                ("retrying", state.retrying), ("dead", state.dead),
            ] {
                metrics.gauge(
                    "dakiya_queue_jobs",
                    help: "Jobs per queue and state (ready: due and waiting; dead: not requeued), database-wide.",
                    labels: ["queue": name, "state": label]
                ).set(Double(value))
            }
            metrics.gauge(
                "dakiya_queue_oldest_ready_seconds",
                help: "Seconds the oldest ready job of the queue has waited since it was due (0: none waits).",
                labels: ["queue": name]
            ).set(state.oldestReadySeconds)
        }
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
                // Every process shows the queues' gauges (database facts, the same whichever process is asked), read
                // every few seconds whether it leads or not.
                // A failed read costs the gauges one interval, never the leadership.
                if gaugesRead.map({ ContinuousClock.now - $0 >= gaugeInterval }) ?? true {
                    gaugesRead = ContinuousClock.now
                    do { try readGauges(on: connection) } catch {
                        logger.warning("queue gauges not read", ["error": String(describing: error)])
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
