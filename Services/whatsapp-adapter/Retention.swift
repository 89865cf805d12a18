import Postgres
import ServiceRuntime

/// Removes what citizens wrote to us on WhatsApp once it has served its purpose: processed webhook bodies (they
/// carry numbers, names and message texts) and inbound messages older than the retention period. The delivery
/// records (attempts, status events: no text) stay. An unprocessed webhook batch is never removed, whatever its
/// age. Safe to run from several processes: each batch locks what it deletes.
enum WhatsAppRetention {
    /// The periodic part, hourly by default.
    static func service(
        pool: ConnectionPool, retentionDays: Int, interval: Duration = .seconds(3600), logger: Logger,
        metrics: MetricsRegistry
    ) -> PeriodicService {
        let purged = metrics.counter(
            "dakiya_whatsapp_messages_purged_total",
            help: "Webhook bodies and inbound WhatsApp messages removed after the retention period.")
        return PeriodicService(name: "whatsapp-retention", interval: interval, logger: logger) {
            let count = try pool.withConnection { try purge(retentionDays: retentionDays, on: $0) }
            if count > 0 {
                purged.increment(by: Double(count))
                logger.info("purged WhatsApp messages past their retention", ["messages.count": String(count)])
            }
        }
    }

    /// Deletes up to `limit` processed webhook batches and `limit` inbound messages received more than
    /// `retentionDays` ago; returns how many rows went.
    /// - Throws: `PostgresError` from the database.
    @discardableResult
    static func purge(retentionDays: Int, limit: Int = 5000, on connection: Connection) throws -> Int {
        let batches = try connection.query(
            """
            DELETE FROM whatsapp_webhook_batches WHERE id IN (
                SELECT id FROM whatsapp_webhook_batches
                WHERE processed_at IS NOT NULL AND received_at < now() - make_interval(days => $1)
                ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
            """, [retentionDays, limit]
        ).affectedRows
        let messages = try connection.query(
            """
            DELETE FROM whatsapp_inbound_messages WHERE wamid IN (
                SELECT wamid FROM whatsapp_inbound_messages WHERE received_at < now() - make_interval(days => $1)
                ORDER BY received_at LIMIT $2 FOR UPDATE SKIP LOCKED)
            """, [retentionDays, limit]
        ).affectedRows
        return batches + messages
    }
}
