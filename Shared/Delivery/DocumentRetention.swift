import Postgres
import ServiceRuntime

/// Purges certificate bytes whose retention has passed, keeping the row (hash, name, size) as the record.
/// Safe to run from several processes: each batch locks what it purges.
package final class DocumentRetention: Service, @unchecked Sendable {
    package let name = "document-retention"
    private let pool: ConnectionPool
    private let interval: Duration
    private let logger: Logger
    private let purged: Counter
    private let lock = ConditionLock()
    private var stopping = false
    private var thread: OwnedThread?

    package init(pool: ConnectionPool, interval: Duration = .seconds(3600), logger: Logger, metrics: MetricsRegistry) {
        self.pool = pool
        self.interval = interval
        self.logger = logger
        purged = metrics.counter("dakiya_documents_purged_total", help: "Certificates whose bytes were removed after the retention period.")
    }

    /// Purges up to `limit` expired documents; returns how many.
    @discardableResult
    package static func purge(limit: Int = 1000, on connection: Connection) throws -> Int {
        try connection.query("""
            UPDATE documents SET content = '\\x', purged_at = now()
            WHERE id IN (SELECT id FROM documents WHERE purged_at IS NULL AND expires_at < now() ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED)
            """, [limit]).affectedRows
    }

    package func start() throws {
        thread = OwnedThread(name: "documents") { [self] in
            while !lock.withLock({ stopping }) {
                do {
                    let count = try pool.withConnection { try Self.purge(on: $0) }
                    if count > 0 {
                        purged.increment(by: Double(count))
                        logger.info("purged expired certificates", ["documents.count": String(count)])
                    }
                } catch {
                    logger.warning("document purge failed", ["error": String(describing: error)])
                }
                lock.withLock { _ = lock.wait(until: { stopping }, timeout: interval) }
            }
        }
    }

    package func stop() {
        lock.withLock { stopping = true; lock.broadcast() }
        thread?.join()
    }
}
