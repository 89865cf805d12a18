/// A long-lived part that runs `body` every `interval` on its own thread until stopped (deadline sweeps,
/// purges). A failing run is logged and the next one comes at the next interval.
package final class PeriodicService: Service, @unchecked Sendable {
    package let name: String
    private let interval: Duration
    private let logger: Logger
    private let body: @Sendable () throws -> Void
    private let lock = ConditionLock()
    private var stopping = false
    private var thread: OwnedThread?

    /// Runs `body` every `interval` on a thread named `name`; a failure is logged and the next round runs.
    package init(name: String, interval: Duration, logger: Logger, body: @escaping @Sendable () throws -> Void) {
        self.name = name
        self.interval = interval
        self.logger = logger
        self.body = body
    }

    /// Starts the thread (the first round runs at once).
    /// - Throws: `OwnedThread.StartError` when the thread cannot be started.
    package func start() throws {
        thread = try OwnedThread(name: name) { [self] in
            while !lock.withLock({ stopping }) {
                do { try body() } catch { logger.warning("\(name) failed", ["error": String(describing: error)]) }
                lock.withLock { _ = lock.wait(until: { stopping }, timeout: interval) }
            }
        }
    }

    /// Stops after the round in progress.
    package func stop() {
        lock.withLock {
            stopping = true; lock.broadcast()
        }
        thread?.join()
    }
}
