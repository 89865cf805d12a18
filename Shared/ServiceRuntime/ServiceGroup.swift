import Glibc
import Synchronization

/// A long-lived part of a process: an HTTP server, a job worker, a maintenance loop.
package protocol Service: AnyObject, Sendable {
    /// The name used in logs.
    var name: String { get }
    /// Starts the part; returns once it is running. Throws when it cannot start.
    func start() throws
    /// Stops taking work, finishes or releases what it holds, and returns.
    func stop()
}

/// Starts services in order, waits for SIGTERM or SIGINT (or `requestStop()`), and stops them in reverse.
package final class ServiceGroup: Sendable {
    private let services: [any Service]
    private let logger: Logger
    private let lock = ConditionLock()
    private let stopRequested = Mutex(false)

    /// A group that starts `services` in order and stops them in reverse.
    package init(services: [any Service], logger: Logger) {
        self.services = services
        self.logger = logger
    }

    /// Blocks SIGTERM and SIGINT in the calling thread and every thread started after it, so only
    /// `run()`'s signal thread receives them. Call first thing in `main`, before any thread starts.
    package static func blockTerminationSignals() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Starts every service, waits for a stop request, then stops them in reverse order.
    /// Throws the first start failure, after stopping what had started.
    /// - Throws: the first start failure, after stopping what had started.
    package func run() throws {
        var started: [any Service] = []
        for service in services {
            do {
                try service.start()
                started.append(service)
                logger.debug("started", ["service.part": service.name])
            } catch {
                logger.error("start failed", ["service.part": service.name, "error": String(describing: error)])
                for running in started.reversed() { running.stop() }
                throw error
            }
        }
        let signals = try OwnedThread(name: "signals") { [weak self] in
            var set = sigset_t()
            sigemptyset(&set)
            sigaddset(&set, SIGTERM)
            sigaddset(&set, SIGINT)
            var received: Int32 = 0
            sigwait(&set, &received)
            self?.logger.info("stopping", ["signal": received == SIGTERM ? "SIGTERM" : "SIGINT"])
            self?.requestStop()
        }
        _ = signals
        lock.withLock { _ = lock.wait(until: { stopRequested.withLock { $0 } }, timeout: nil) }
        for service in started.reversed() {
            service.stop()
            logger.debug("stopped", ["service.part": service.name])
        }
    }

    /// Makes `run()` stop the services and return.
    package func requestStop() {
        lock.withLock {
            stopRequested.withLock { $0 = true }
            lock.broadcast()
        }
    }
}
