import Foundation
import Postgres
import ServiceRuntime

/// Runs one job. Throw `JobError` to choose retry, permanent failure or snooze; any other error is retryable.
/// Handlers run on threads the worker owns, so blocking calls (libpq, libcurl) are fine here.
/// - Throws: `JobError` to choose retry, permanent failure or snooze; any other error is retried.
package typealias JobHandler = @Sendable (ClaimedJob) throws -> Void

/// Runs several claimed jobs of one kind together (one transaction for all of them, say). It returns the jobs that
/// did not complete, by job id, each with the error that decides its retry, snooze or burial as a `JobHandler`'s
/// error would; the others completed. If it throws, each job is run again alone through the same handler, so one
/// bad job gets its own retry and the others complete.
/// - Throws: any error: then each job runs again alone through the job's own handler.
package typealias BatchJobHandler = @Sendable ([ClaimedJob]) throws -> [Int64: any Error]

/// How a worker claims, runs and settles jobs.
package struct WorkerConfiguration: Sendable {
    package var queue: String
    /// Jobs run at once (one owned thread each).
    package var concurrency: Int
    /// Most jobs claimed per statement.
    package var batchSize: Int
    /// How long a claim is held without a heartbeat; heartbeats run every lease/3.
    package var lease: Duration
    /// Claim even without a notification this often (NOTIFY is only a hint).
    package var pollInterval: Duration
    /// Settlements are written when this many wait, or after `flushInterval`.
    package var flushSize: Int
    package var flushInterval: Duration
    /// After wake-ups whose claims found nothing (two in a row), wait this long before claiming on the next one (no
    /// thundering herd).
    package var idleCooldown: Duration
    /// While busy (the last claim found jobs but fewer than it asked for), wait this long before claiming again, so
    /// that jobs gather into batches; a full claim is followed at once.
    package var busyClaimInterval: Duration
    package var retryPolicy: RetryPolicy
    /// On stop, how long running jobs may take to finish.
    package var shutdownGrace: Duration

    /// A configuration for `queue`; see each property for what it tunes.
    package init(
        queue: String, concurrency: Int = 8, batchSize: Int = 100, lease: Duration = .seconds(30),
        pollInterval: Duration = .seconds(1), flushSize: Int = 100, flushInterval: Duration = .milliseconds(50),
        idleCooldown: Duration = .milliseconds(20), busyClaimInterval: Duration = .milliseconds(5),
        retryPolicy: RetryPolicy = RetryPolicy(),
        shutdownGrace: Duration = .seconds(20)
    ) {
        self.queue = queue
        self.concurrency = concurrency
        self.batchSize = batchSize
        self.lease = lease
        self.pollInterval = pollInterval
        self.flushSize = flushSize
        self.flushInterval = flushInterval
        self.idleCooldown = idleCooldown
        self.busyClaimInterval = busyClaimInterval
        self.retryPolicy = retryPolicy
        self.shutdownGrace = shutdownGrace
    }
}

/// Claims jobs of one queue in batches, runs them on owned threads, and settles them in batches.
///
/// Wake-ups come from LISTEN on the queue's channel (a dedicated connection), with a poll fallback. A busy worker
/// claims again on its own; only an idle one (holding the queue's idle lock, see `IdleLock`) is sent a NOTIFY.
/// On stop it claims nothing more, lets running jobs finish (within the grace period), puts unstarted
/// claims back, flushes every settlement, and returns.
package final class JobWorker: Service, @unchecked Sendable {
    package let name: String
    package let workerID: String
    private let pool: ConnectionPool
    private let configuration: WorkerConfiguration
    private let handlers: [String: JobHandler]
    private let batchHandlers: [String: BatchJobHandler]
    private let queue: JobQueue
    private let logger: Logger
    private let metrics: WorkerMetrics

    // Guarded by `lock`. Idle handler threads wait on `jobsReady`, so a finished job or a claim wakes only the
    // threads that can act on it (the claim loop and `stop` wait on `lock` itself).
    private let lock: ConditionLock
    private let jobsReady: LockCondition
    private var pending: [ClaimedJob] = []
    private var running: [Int64: ClaimedJob] = [:]
    private var wakeRequested = true
    private var lastClaimWasFull = false
    private var lastClaimFoundJobs = false
    private var stopping = false
    private var claimingStopped = false
    private var databaseHealthy = true

    // Guarded by `settleLock`.
    private let settleLock = ConditionLock()
    private var settlements: [JobSettlement] = []
    private var settlerStopping = false

    private var threads: [OwnedThread] = []
    private var executors: [OwnedThread] = []
    private var listenerThread: OwnedThread?
    private var settlerThread: OwnedThread?

    /// A worker of `configuration.queue` that runs `handlers` (and `batchHandlers`, by job kind) on its own threads.
    package init(
        pool: ConnectionPool, configuration: WorkerConfiguration, handlers: [String: JobHandler],
        batchHandlers: [String: BatchJobHandler] = [:], queue: JobQueue = JobQueue(), logger: Logger,
        metrics: MetricsRegistry,
        workerID: String? = nil
    ) {
        let lock = ConditionLock()
        self.lock = lock
        jobsReady = LockCondition(on: lock)
        self.pool = pool
        self.configuration = configuration
        self.handlers = handlers
        self.batchHandlers = batchHandlers
        self.queue = queue
        self.name = "job-worker(\(configuration.queue))"
        self.workerID = workerID ?? Self.makeWorkerID()
        self.logger = logger.with(["job.queue": configuration.queue, "worker.id": self.workerID])
        self.metrics = WorkerMetrics(registry: metrics, queue: configuration.queue)
    }

    static func makeWorkerID() -> String {
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count)
        let hostname = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return "\(hostname)-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
    }

    /// True while the last claim reached the database (the job loop's part of readiness).
    package var isHealthy: Bool { lock.withLock { databaseHealthy } }

    /// Starts the listener, the settler and the executors.
    /// - Throws: `OwnedThread.StartError` when a thread cannot be started.
    package func start() throws {
        listenerThread = try OwnedThread(name: "jobs-listen") { [self] in listenLoop() }
        settlerThread = try OwnedThread(name: "jobs-settle") { [self] in settleLoop() }
        for index in 0..<configuration.concurrency {
            executors.append(try OwnedThread(name: "jobs-run-\(index)") { [self] in executeLoop() })
        }
        threads.append(try OwnedThread(name: "jobs-claim") { [self] in claimLoop() })
        logger.info("job worker started", ["worker.concurrency": String(configuration.concurrency)])
    }

    /// Stops claiming, lets running jobs finish within the shutdown grace, settles them and puts back the rest.
    package func stop() {
        lock.withLock {
            stopping = true
            lock.broadcast()
        }
        for thread in threads { thread.join() }
        // Running jobs may finish within the grace period; unstarted claims go back to the queue.
        let (unstarted, finishedInTime) = lock.withLock {
            claimingStopped = true
            lock.broadcast()
            jobsReady.broadcast()
            let unstarted = pending
            pending.removeAll()
            let done = lock.wait(until: { running.isEmpty }, timeout: configuration.shutdownGrace)
            return (unstarted, done)
        }
        if finishedInTime {
            for executor in executors { executor.join() }
        } else {
            logger.warning(
                "jobs still running after the grace period; their leases will expire and they will run again")
        }
        record(unstarted.map { JobSettlement($0, outcome: .release) })
        settleLock.withLock {
            settlerStopping = true
            settleLock.broadcast()
        }
        settlerThread?.join()
        listenerThread?.join()
        logger.info("job worker stopped", ["jobs.released": String(unstarted.count)])
    }

    // MARK: Claiming

    private func claimLoop() {
        // Wake-ups in a row whose claims found nothing (other workers took the jobs, or one claim took the jobs of
        // several notifications): from the second, the next wake-up waits a little.
        var emptyWakeClaims = 0
        var lastEmptyWakeClaim = MonotonicTime.now()
        let idleLock = IdleLock(url: pool.url, queue: configuration.queue, logger: logger)
        defer { idleLock.close() }
        while true {
            let next: (limit: Int, busy: Bool, woken: Bool)? = lock.withLock {
                _ = lock.wait(
                    until: { stopping || (freeSlots > 0 && (wakeRequested || lastClaimFoundJobs)) },
                    timeout: configuration.pollInterval)
                if stopping { return nil }
                let woken = wakeRequested
                wakeRequested = false
                return (
                    min(configuration.batchSize, freeSlots), !woken && lastClaimFoundJobs && !lastClaimWasFull, woken
                )
            }
            guard let next else { return }
            guard next.limit > 0 else { continue }
            if emptyWakeClaims >= 2 {
                let since = MonotonicTime.now().duration(since: lastEmptyWakeClaim)
                if since < configuration.idleCooldown { sleepUnlessStopping(configuration.idleCooldown - since) }
            } else if next.busy {
                // Busy and the queue was drained by the last claim: let a few jobs gather before the next one.
                sleepUnlessStopping(configuration.busyClaimInterval)
            }
            do {
                var claimed = try claim(limit: next.limit)
                if !claimed.isEmpty {
                    idleLock.release()  // busy again: enqueuers need not notify
                } else if !idleLock.isHeld, idleLock.hold() {
                    // Going idle. Holding the lock waited for every enqueuer that saw this worker busy (and so did not
                    // notify) to commit; one more claim finds their jobs. From now on, enqueuers notify.
                    claimed = try claim(limit: next.limit)
                    if !claimed.isEmpty { idleLock.release() }
                }
                if claimed.isEmpty && next.woken {
                    emptyWakeClaims += 1
                    lastEmptyWakeClaim = MonotonicTime.now()
                } else if !claimed.isEmpty {
                    emptyWakeClaims = 0
                }
                metrics.claimed.increment(by: Double(claimed.count))
                lock.withLock {
                    databaseHealthy = true
                    lastClaimWasFull = claimed.count == next.limit
                    lastClaimFoundJobs = !claimed.isEmpty
                    pending.append(contentsOf: claimed)
                    for _ in claimed { jobsReady.signal() }
                }
            } catch {
                lock.withLock {
                    databaseHealthy = false; lastClaimWasFull = false; lastClaimFoundJobs = false
                }
                logger.warning("claim failed", ["error": String(describing: error)])
                sleepUnlessStopping(.seconds(1))
            }
        }
    }

    /// Claims under an id of this claim's own, the worker's id and a count (`ClaimedJob.holder`).
    private func claim(limit: Int) throws -> [ClaimedJob] {
        claims += 1  // only the claim loop's thread claims
        let holder = "\(workerID)/\(claims)"
        return try pool.withConnection { connection in
            try queue.claim(
                queue: configuration.queue, limit: limit, lease: configuration.lease, workerID: holder, on: connection)
        }
    }
    private var claims = 0

    /// Slots not taken by claimed or running jobs. Call with `lock` held.
    private var freeSlots: Int { configuration.concurrency - pending.count - running.count }

    private func sleepUnlessStopping(_ duration: Duration) {
        lock.withLock { _ = lock.wait(until: { stopping }, timeout: duration) }
    }

    // MARK: Running

    private func executeLoop() {
        while true {
            let next: [ClaimedJob]? = lock.withLock {
                jobsReady.wait(until: { claimingStopped || !pending.isEmpty })
                if claimingStopped { return nil }
                let job = pending.removeFirst()
                var batch = [job]
                if batchHandlers[job.kind] != nil {
                    // Every claimed job of that kind goes with it.
                    var rest: [ClaimedJob] = []
                    for other in pending {
                        if other.kind == job.kind && batch.count < configuration.batchSize {
                            batch.append(other)
                        } else {
                            rest.append(other)
                        }
                    }
                    pending = rest
                }
                for claimed in batch { running[claimed.id] = claimed }
                return batch
            }
            guard let batch = next else { return }
            let started = MonotonicTime.now()
            let settlements = run(batch)
            metrics.duration.observe(MonotonicTime.now().duration(since: started).seconds)
            record(settlements)
            lock.withLock {
                for job in batch { running[job.id] = nil }
                lock.broadcast()
            }
        }
    }

    private func run(_ batch: [ClaimedJob]) -> [JobSettlement] {
        guard let first = batch.first else { return [] }
        guard let handler = batchHandlers[first.kind] else {
            return batch.map { job in
                JobSettlement(job, outcome: run(job) { try handlers[job.kind]?(job) })
            }
        }
        if batch.count > 1 {
            do {
                let failures = try handler(batch)
                return batch.map { job in
                    JobSettlement(job, outcome: run(job) { if let error = failures[job.id] { throw error } })
                }
            } catch {
                logger.info(
                    "a batch failed; running its jobs one at a time",
                    ["jobs.count": String(batch.count), "error": String(describing: error)])
            }
        }
        return batch.map { job in
            JobSettlement(job, outcome: run(job) { if let error = try handler([job])[job.id] { throw error } })
        }
    }

    private func run(_ job: ClaimedJob, _ body: () throws -> Void) -> JobSettlement.Outcome {
        let jobLogger = logger.with([
            "job.id": String(job.id), "job.kind": job.kind, "job.attempt": String(job.attempt),
        ])
        guard handlers[job.kind] != nil || batchHandlers[job.kind] != nil else {
            jobLogger.error("no handler for this job kind")
            metrics.dead.increment()
            return .dead(error: errorJSON(JobError.permanent("no handler for kind \(job.kind)"), job: job))
        }
        do {
            try body()
            metrics.completed.increment()
            return .completed
        } catch let error as JobError {
            switch error.kind {
            case .snooze(let delay):
                metrics.snoozed.increment()
                jobLogger.info("job snoozed", ["job.delay_seconds": String(delay.seconds), "error": error.description])
                return .snooze(delay: delay)
            case .permanent:
                metrics.dead.increment()
                jobLogger.error("job failed permanently", ["error": error.description])
                return .dead(error: errorJSON(error, job: job))
            case .retryable:
                return retryOrBury(job, error, jobLogger)
            }
        } catch {
            return retryOrBury(
                job, JobError.retryable(String(describing: type(of: error)) + ": " + String(describing: error)),
                jobLogger)
        }
    }

    private func retryOrBury(_ job: ClaimedJob, _ error: JobError, _ jobLogger: Logger) -> JobSettlement.Outcome {
        if job.attempt >= job.maxAttempts {
            metrics.dead.increment()
            jobLogger.error("job failed on its last attempt", ["error": error.description])
            return .dead(error: errorJSON(error, job: job))
        }
        let delay = configuration.retryPolicy.delay(afterAttempt: job.attempt)
        metrics.retried.increment()
        jobLogger.warning(
            "job failed; will retry", ["error": error.description, "job.delay_seconds": String(delay.seconds)])
        return .retry(delay: delay, error: errorJSON(error, job: job))
    }

    private func errorJSON(_ error: JobError, job: ClaimedJob) -> PostgresJSON {
        let kind: String
        switch error.kind {
        case .retryable: kind = "retryable"
        case .permanent: kind = "permanent"
        case .snooze: kind = "snooze"
        }
        var text =
            "{\"error\":\(JSONText.quoted(error.message)),\"kind\":\"\(kind)\",\"attempt\":\(job.attempt),\"worker\":\(JSONText.quoted(workerID))"
        if let code = error.code { text += ",\"code\":\(JSONText.quoted(code))" }
        text += ",\"at\":\"\(Timestamp.rfc3339(Timestamp.nowMicroseconds()))\"}"
        return PostgresJSON(text: text)
    }

    // MARK: Settling and heartbeats

    private func record(_ new: [JobSettlement]) {
        guard !new.isEmpty else { return }
        settleLock.withLock {
            settlements.append(contentsOf: new)
            if settlements.count >= configuration.flushSize { settleLock.broadcast() }
        }
    }

    private func settleLoop() {
        var lastHeartbeat = MonotonicTime.now()
        let heartbeatEvery = configuration.lease / 3
        while true {
            let (batch, finalFlush): ([JobSettlement], Bool) = settleLock.withLock {
                _ = settleLock.wait(
                    until: { settlerStopping || settlements.count >= configuration.flushSize },
                    timeout: configuration.flushInterval)
                let batch = settlements
                settlements.removeAll()
                return (batch, settlerStopping)
            }
            if !batch.isEmpty { flush(batch, final: finalFlush) }
            if finalFlush {
                let leftover = settleLock.withLock {
                    let rest = settlements; settlements.removeAll(); return rest
                }
                if !leftover.isEmpty { flush(leftover, final: true) }
                return
            }
            if MonotonicTime.now().duration(since: lastHeartbeat) >= heartbeatEvery {
                lastHeartbeat = MonotonicTime.now()
                let held = lock.withLock { Array(running.values) + pending }
                if !held.isEmpty {
                    do {
                        _ = try pool.withConnection {
                            try queue.heartbeat(
                                ids: held.map(\.id), holders: held.map(\.holder), lease: configuration.lease, on: $0)
                        }
                    } catch {
                        logger.warning("heartbeat failed", ["error": String(describing: error)])
                    }
                }
            }
        }
    }

    private func flush(_ batch: [JobSettlement], final: Bool) {
        var attempts = 0
        while true {
            do {
                let (result, classified) = try pool.withConnection { connection in
                    let result = try queue.settle(batch, workerID: workerID, on: connection)
                    let refused = Set(result.refused)
                    return (
                        result,
                        try queue.classifyRefused(
                            batch.filter { refused.contains($0.id) }, afterFailedTry: attempts > 0, on: connection)
                    )
                }
                if !classified.alreadySettled.isEmpty {
                    // An earlier try committed but its reply was lost: nothing to do, and nothing was rescued.
                    metrics.alreadySettled.increment(by: Double(classified.alreadySettled.count))
                    logger.info(
                        "settlements already applied by an earlier try whose reply was lost",
                        ["job.ids": classified.alreadySettled.prefix(20).map(String.init).joined(separator: ",")])
                }
                if !result.requeued.isEmpty {
                    // With an asynchronous standby the claim may have survived the failover and the work not.
                    metrics.requeued.increment(by: Double(result.requeued.count))
                    logger.warning(
                        "jobs claimed before the database changed server (failover or restart): put back to run again",
                        ["job.ids": result.requeued.prefix(20).map(String.init).joined(separator: ",")])
                }
                if !classified.rescued.isEmpty {
                    metrics.refused.increment(by: Double(classified.rescued.count))
                    logger.warning(
                        "settlements refused: those jobs were rescued and claimed again",
                        ["job.ids": classified.rescued.prefix(20).map(String.init).joined(separator: ",")])
                }
                _ = result
                return
            } catch {
                attempts += 1
                logger.warning(
                    "settling jobs failed; will try again",
                    ["error": String(describing: error), "jobs.count": String(batch.count)])
                // While running, keep trying; on the final flush give up after a few tries (the leases will expire
                // and the jobs run again, which at-least-once delivery allows).
                if final && attempts >= 5 { return }
                var spec = timespec(tv_sec: 0, tv_nsec: 200_000_000)
                nanosleep(&spec, nil)
            }
        }
    }

    // MARK: Wake-ups

    private func listenLoop() {
        var connection: Connection?
        let channel = JobQueue.channel(for: configuration.queue)
        while !lock.withLock({ stopping }) {
            do {
                if connection == nil {
                    let fresh = try Connection(url: pool.url, applicationName: "dakiya-listener")
                    try fresh.listen(channel)
                    connection = fresh
                    wake()  // notifications sent while we were not listening are lost: claim once
                }
                if let notifications = try connection?.waitForNotifications(timeout: .milliseconds(250)),
                    !notifications.isEmpty
                {
                    metrics.wakeups.increment()
                    wake()
                }
            } catch {
                connection = nil
                logger.debug("listener reconnecting", ["error": String(describing: error)])
                sleepUnlessStopping(.milliseconds(500))
            }
        }
    }

    private func wake() {
        lock.withLock {
            wakeRequested = true
            lock.broadcast()
        }
    }
}

struct WorkerMetrics: Sendable {
    let claimed, completed, retried, dead, snoozed, refused, alreadySettled, requeued, wakeups: Counter
    let duration: Histogram

    init(registry: MetricsRegistry, queue: String) {
        let labels = ["queue": queue]
        claimed = registry.counter("dakiya_jobs_claimed_total", help: "Jobs claimed.", labels: labels)
        completed = registry.counter("dakiya_jobs_completed_total", help: "Jobs that succeeded.", labels: labels)
        retried = registry.counter(
            "dakiya_jobs_retried_total", help: "Job runs that failed and will be retried.", labels: labels)
        dead = registry.counter(
            "dakiya_jobs_dead_total", help: "Jobs that failed permanently or ran out of attempts.", labels: labels)
        snoozed = registry.counter(
            "dakiya_jobs_snoozed_total", help: "Job runs put off without spending an attempt.", labels: labels)
        refused = registry.counter(
            "dakiya_jobs_settlement_refused_total", help: "Settlements refused by the fence (job rescued meanwhile).",
            labels: labels)
        alreadySettled = registry.counter(
            "dakiya_jobs_settlement_already_applied_total",
            help: "Settlements found applied by an earlier try whose commit reply was lost (not rescues).",
            labels: labels)
        requeued = registry.counter(
            "dakiya_jobs_requeued_after_server_change_total",
            help: "Jobs done or dead but claimed on another database server (a failover or restart since): run again.",
            labels: labels)
        wakeups = registry.counter(
            "dakiya_jobs_wakeups_total", help: "Notifications that woke the worker.", labels: labels)
        duration = registry.histogram("dakiya_job_duration_seconds", help: "Time a handler took.", labels: labels)
    }
}

/// The queue's idle lock, held by a worker that found its queue empty, on a session of its own. Enqueueing
/// transactions notify only while some worker holds it (`dakiya_wake`, migration 0012). Used by the claim thread only.
final class IdleLock: @unchecked Sendable {
    private let url: String
    private let queue: String
    private let logger: Logger
    private var connection: Connection?
    private(set) var isHeld = false

    init(url: String, queue: String, logger: Logger) {
        self.url = url
        self.queue = queue
        self.logger = logger
    }

    /// Takes the lock, waiting for enqueueing transactions in flight (at most half a second: another idle worker of
    /// the same queue may hold it, and then its wake-ups are this worker's too). True when held.
    func hold() -> Bool {
        do {
            if connection == nil {
                let fresh = try Connection(url: url, applicationName: "dakiya-idle")
                try fresh.execute(script: "SET lock_timeout = '500ms'")
                connection = fresh
            }
            try connection?.query(JobSQL.holdIdleLock, [queue])
            isHeld = true
        } catch let error as PostgresError where error.sqlState == "55P03" {
            isHeld = false  // another idle worker holds it
        } catch {
            logger.debug("idle lock unavailable; relying on the poll", ["error": String(describing: error)])
            connection = nil
            isHeld = false
        }
        return isHeld
    }

    func release() {
        guard isHeld else { return }
        isHeld = false
        // a lost session holds nothing
        do { try connection?.query(JobSQL.releaseIdleLock, [queue]) } catch { connection = nil }
    }

    func close() {
        isHeld = false
        connection = nil
    }
}
