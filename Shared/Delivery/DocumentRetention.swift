import Postgres
import ServiceRuntime

/// Purges certificate bytes whose retention has passed, keeping the row (hash, name, size) as the record.
/// Safe to run from several processes: each batch locks what it purges.
package enum DocumentRetention {
    /// The periodic part that purges, hourly by default.
    package static func service(
        pool: ConnectionPool, interval: Duration = .seconds(3600), logger: Logger, metrics: MetricsRegistry
    ) -> PeriodicService {
        let purged = metrics.counter(
            "dakiya_documents_purged_total", help: "Certificates whose bytes were removed after the retention period.")
        return PeriodicService(name: "document-retention", interval: interval, logger: logger) {
            let count = try pool.withConnection { try purge(on: $0) }
            if count > 0 {
                purged.increment(by: Double(count))
                logger.info("purged expired certificates", ["documents.count": String(count)])
            }
        }
    }

    /// Purges up to `limit` expired documents; returns how many.
    /// - Throws: `PostgresError` from the database.
    @discardableResult
    package static func purge(limit: Int = 1000, on connection: Connection) throws -> Int {
        try connection.query(
            """
            UPDATE documents SET content = '\\x', purged_at = now()
            WHERE id IN (SELECT id FROM documents WHERE purged_at IS NULL AND expires_at < now() ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED)
            """, [limit]
        ).affectedRows
    }
}
