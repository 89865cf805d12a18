import Foundation
import JobQueue
import Postgres

/// Writes a channel adapter's final word on an attempt, shared by every channel.
package enum ChannelAttempts {
    /// Moves the attempt forward to `state` (sent, failed or skipped; never backwards) and tells the dispatcher, in one
    /// transaction, so the aggregate status, the fallback and the portal's event follow. An attempt that reached the
    /// citizen (delivered or read) is never turned into a failure afterwards, as the webhook path also holds.
    package static func finish(
        attemptID: Int64, deliveryID: UUID, state: String, providerID: String? = nil, failureKind: String? = nil,
        code: String? = nil, text: String? = nil, queue: JobQueue, on connection: Connection
    ) throws {
        try connection.transaction { tx in
            try tx.query(
                """
                UPDATE channel_attempts SET state = $2, provider_message_id = coalesce($3, provider_message_id), failure_kind = $4,
                       error_code = $5, error_text = $6, updated_at = now(),
                       sent_at = CASE WHEN $2 = 'sent' THEN now() ELSE sent_at END,
                       failed_at = CASE WHEN $2 = 'failed' THEN now() ELSE failed_at END,
                       skip_reason = CASE WHEN $2 = 'skipped' THEN $5 ELSE skip_reason END
                WHERE id = $1 AND channel_state_rank(state) < channel_state_rank($2)
                  AND NOT ($2 IN ('failed', 'skipped') AND state IN ('delivered', 'read'))
                """, [attemptID, state, providerID, failureKind, code, text.map { String($0.prefix(500)) }])
            try DeliveryJobs.announceSettled(attemptID: attemptID, deliveryID: deliveryID, queue: queue, on: tx)
        }
    }

    /// The citizen opened the certificate in the portal inbox: the portal attempt moves from delivered to read, and
    /// the dispatcher hears of it in the same transaction (so a department that takes callbacks is told, as it is of
    /// a WhatsApp read). False when there was nothing to move (already read, or not delivered on the portal).
    @discardableResult
    package static func markPortalRead(deliveryID: UUID, queue: JobQueue, on connection: Connection) throws -> Bool {
        try connection.transaction { tx in
            guard
                let attemptID = try tx.query(
                    """
                    UPDATE channel_attempts SET state = 'read', read_at = now(), updated_at = now()
                    WHERE delivery_id = $1 AND channel = 'portal' AND state = 'delivered'
                    RETURNING id
                    """, [deliveryID]
                ).first?.decode(Int64.self, at: 0)
            else { return false }
            try DeliveryJobs.announceSettled(attemptID: attemptID, deliveryID: deliveryID, queue: queue, on: tx)
            return true
        }
    }
}
