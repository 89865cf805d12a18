import Foundation
import JobQueue
import Postgres

/// The states of a channel attempt and the moves between them, declared once. The SQL function
/// `channel_state_may_move` (migration 0014) is what statements use; a test checks it against `mayMove` for every pair.
package enum AttemptState: String, CaseIterable, Sendable {
    case queued, sending, sent, delivered, read, failed, skipped

    /// Forward order; failed and skipped end an attempt (SQL: `channel_state_rank`).
    package var rank: Int {
        switch self {
        case .queued: 1
        case .sending: 2
        case .sent: 3
        case .delivered: 4
        case .read: 5
        case .failed, .skipped: 6
        }
    }

    /// True when the citizen has the outcome on this channel.
    package var hasReachedCitizen: Bool { self == .delivered || self == .read }

    /// May an attempt in this state move to `next`? Forward only; a failure or skip only before the citizen has it.
    package func mayMove(to next: AttemptState) -> Bool {
        switch next {
        case .failed, .skipped: [.queued, .sending, .sent].contains(self)
        default: self != .failed && self != .skipped && rank < next.rank
        }
    }
}

/// Writes a channel adapter's final word on an attempt, shared by every channel.
package enum ChannelAttempts {
    /// Moves the attempt forward to `state` (sent, failed or skipped; never backwards) and tells the dispatcher, in one
    /// transaction, so the aggregate status, the fallback and the portal's event follow. An attempt that reached the
    /// citizen (delivered or read) is never turned into a failure afterwards, as the webhook path also holds.
    package static func finish(
        attemptID: Int64, deliveryID: UUID, state: AttemptState, providerID: String? = nil, failureKind: String? = nil,
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
                WHERE id = $1 AND channel_state_may_move(state, $2)
                """, [attemptID, state.rawValue, providerID, failureKind, code, text.map { String($0.prefix(500)) }])
            try DeliveryJobs.announceMoved(attemptID: attemptID, deliveryID: deliveryID, queue: queue, on: tx)
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
            try DeliveryJobs.announceMoved(attemptID: attemptID, deliveryID: deliveryID, queue: queue, on: tx)
            return true
        }
    }
}
