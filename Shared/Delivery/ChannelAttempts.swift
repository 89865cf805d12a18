import Foundation
import JobContracts
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

/// The one owner of `channel_attempts`: every write to that table is a function (or, for the two statements that
/// do more in one round trip, a SQL fragment) of this type, and each one that moves an attempt tells the dispatcher
/// in the same statement or transaction, with its transparency-log entry when a channel reaches sent, delivered,
/// read or failed (`TransparencyEntries.channelState`). `make lint` fails on a write to the table anywhere else.
///
/// The transitions, in the order an attempt lives them:
/// - created by routing (`routedInsert`), or queued again as a fallback (`queueFallback`);
/// - `markSending` when an adapter takes it (`markSendingStatement` inside WhatsApp's claim);
/// - `recordProviderIDs` when the provider accepted it (WhatsApp's wamid);
/// - `applyProviderStatuses` when the provider reports sent, delivered, read or failed (WhatsApp's webhooks);
/// - `finish` with an adapter's last word (sent, failed, skipped);
/// - `markPortalRead` when the citizen opens the inbox item.
package enum ChannelAttempts {
    /// The routing statement's insert of new attempts, from a CTE or table `rows` with the columns
    /// `delivery_id, channel, state, skip_reason` (state: delivered, queued or skipped).
    /// Returns `id, delivery_id, channel, state` of each attempt created.
    package static func routedInsert(from rows: String) -> String {
        """
        INSERT INTO channel_attempts (delivery_id, channel, state, skip_reason, queued_at, delivered_at)
        SELECT r.delivery_id, r.channel, r.state, r.skip_reason, CASE WHEN r.state = 'queued' THEN now() END, CASE WHEN r.state = 'delivered' THEN now() END
        FROM \(rows) r
        RETURNING id, delivery_id, channel, state
        """
    }

    /// Queues `channel` for a delivery as a fallback: a new attempt, or one that routing skipped, queued again.
    /// Nil when the delivery already used the channel. The caller enqueues the send job in the same transaction.
    /// - Throws: `PostgresError` from the database.
    package static func queueFallback(deliveryID: UUID, channel: Channel, on tx: Connection) throws -> Int64? {
        try tx.query(
            """
            INSERT INTO channel_attempts (delivery_id, channel, state, queued_at) VALUES ($1, $2, 'queued', now())
            ON CONFLICT (delivery_id, channel) DO UPDATE SET state = 'queued', skip_reason = NULL, queued_at = now(), updated_at = now()
            WHERE channel_attempts.state = 'skipped'
            RETURNING id
            """, [deliveryID, channel.rawValue]
        ).first?.decode(Int64.self, at: 0)
    }

    /// The statement that marks attempts (ids in the bind `ids`, a bigint[]) of `channel` as sending: those queued,
    /// or sending without a provider id (a run cut short before the provider answered). Returns `id` of each marked;
    /// an attempt already handed over or finished is not.
    package static func markSendingStatement(ids: String, channel: Channel) -> String {
        """
        UPDATE channel_attempts SET state = 'sending', sending_at = coalesce(sending_at, now()), updated_at = now()
        WHERE id = ANY(\(ids)) AND channel = '\(channel.rawValue)'
          AND (state = 'queued' OR (state = 'sending' AND provider_message_id IS NULL))
        RETURNING id
        """
    }

    /// Marks one attempt as sending (see `markSendingStatement`). False when it was already handed over or finished:
    /// the caller must not send it again.
    /// - Throws: `PostgresError` from the database.
    package static func markSending(attemptID: Int64, channel: Channel, on connection: Connection) throws -> Bool {
        try connection.query(markSendingStatement(ids: "$1", channel: channel), [[attemptID]]).count == 1
    }

    /// The provider accepted the messages: keep their provider ids (WhatsApp's wamids), in one statement. The state
    /// stays sending until the provider reports it (`applyProviderStatuses`), so nothing is announced.
    /// - Throws: `PostgresError` from the database.
    package static func recordProviderIDs(
        _ accepted: [(attemptID: Int64, providerID: String)], on connection: Connection
    )
        throws
    {
        guard !accepted.isEmpty else { return }
        try connection.query(
            """
            UPDATE channel_attempts ca SET provider_message_id = t.provider_id, updated_at = now()
            FROM unnest($1::bigint[], $2::text[]) AS t(id, provider_id) WHERE ca.id = t.id
            """, [accepted.map(\.attemptID), accepted.map(\.providerID)])
    }

    /// A status the provider reported for an attempt (sent, delivered, read or failed).
    package struct ProviderStatus: Sendable, Equatable {
        package var attemptID: Int64
        package var state: AttemptState
        package var providerID: String
        /// For a failure: permanent (the dispatcher falls back) or temporary.
        package var failureKind: String?
        package var errorCode: String?

        /// A status for `attemptID` reported under the provider's id.
        package init(
            attemptID: Int64, state: AttemptState, providerID: String, failureKind: String? = nil,
            errorCode: String? = nil
        ) {
            self.attemptID = attemptID
            self.state = state
            self.providerID = providerID
            self.failureKind = failureKind
            self.errorCode = errorCode
        }
    }

    /// Applies a batch of provider statuses for `channel`, inside the caller's transaction: each attempt moves forward
    /// only, to the highest status of the batch, then to failed if one came and the citizen does not have it yet.
    /// The dispatcher hears, in one job, of the moves that can change what it keeps: an attempt leaving queued or
    /// sending (the aggregate status), a failure (the fallback), and any move of a department that takes callbacks
    /// (the portal is told each channel's progress). Sent to delivered to read, without callbacks, changes nothing
    /// there. A status repeated (providers deliver at least once) or late (delivered after read) moves nothing.
    /// Returns the statuses that moved an attempt: for each attempt moved, the status it reached.
    /// - Throws: `PostgresError` from the database (or a job that cannot be encoded).
    @discardableResult
    package static func applyProviderStatuses(
        _ statuses: [ProviderStatus], channel: Channel, queue: JobQueue, on tx: Connection
    ) throws -> [ProviderStatus] {
        var moved: [ProviderStatus] = []
        var announced: [Int64] = []
        // Rating questions recorded by the statement: their jobs go in the same transaction.
        var asked: [Int64] = []
        var askedByEmail: [Int64] = []  // the email went first and WhatsApp failed
        // `before` is the attempt as this statement's snapshot saw it: a concurrent move can only make it announce more.
        for round in [statuses.filter { $0.state != .failed }, statuses.filter { $0.state == .failed }]
        where !round.isEmpty {
            let rows = try tx.query(
                """
                WITH t AS (
                    SELECT DISTINCT ON (id) * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[]) AS t(id, status, provider_id, failure_kind, error_code)
                    ORDER BY id, channel_state_rank(status) DESC),
                moved AS (
                UPDATE channel_attempts ca SET
                    state = t.status, provider_message_id = coalesce(ca.provider_message_id, t.provider_id), updated_at = now(),
                    sent_at = CASE WHEN t.status IN ('sent', 'delivered', 'read') THEN coalesce(ca.sent_at, now()) ELSE ca.sent_at END,
                    delivered_at = CASE WHEN t.status IN ('delivered', 'read') THEN coalesce(ca.delivered_at, now()) ELSE ca.delivered_at END,
                    read_at = CASE WHEN t.status = 'read' THEN now() ELSE ca.read_at END,
                    failed_at = CASE WHEN t.status = 'failed' THEN now() ELSE ca.failed_at END,
                    failure_kind = CASE WHEN t.status = 'failed' THEN t.failure_kind ELSE ca.failure_kind END,
                    error_code = CASE WHEN t.status = 'failed' THEN t.error_code ELSE ca.error_code END
                FROM t, channel_attempts before
                WHERE ca.id = t.id AND before.id = t.id AND ca.channel = $6 AND channel_state_may_move(ca.state, t.status)
                RETURNING ca.id, ca.delivery_id, ca.channel, ca.state,
                    before.state IN ('queued', 'sending') OR t.status = 'failed'
                    OR EXISTS (SELECT 1 FROM deliveries d WHERE d.id = ca.delivery_id AND \(PortalEvents.callbackDepartment(application: "d.application_id")) IS NOT NULL)
                    AS announce),
                logged AS (\(TransparencyEntries.channelState(from: "moved"))),
                asked AS (\(ServiceRatings.askStatement(from: "moved"))),
                asked_by_email AS (\(ServiceRatings.askByEmailStatement(from: "moved")))
                SELECT id, announce, 'moved', state FROM moved UNION ALL SELECT id, false, 'whatsapp', NULL FROM asked
                UNION ALL SELECT id, false, 'email', NULL FROM asked_by_email
                """,
                [
                    round.map(\.attemptID), round.map(\.state.rawValue), round.map(\.providerID),
                    round.map(\.failureKind), round.map(\.errorCode), channel.rawValue,
                ]
            ).rows
            let reported = Dictionary(grouping: round, by: \.attemptID)
            for row in rows {
                let id = try row.decode(Int64.self, at: 0)
                switch try row.decode(String.self, at: 2) {
                case "whatsapp": asked.append(id)
                case "email": askedByEmail.append(id)
                default:
                    if try row.decode(Bool.self, at: 1) { announced.append(id) }
                    // The status the attempt reached, as reported (its provider id and error code with it).
                    let state = try row.decode(String.self, at: 3)
                    if let status = reported[id]?.first(where: { $0.state.rawValue == state }) {
                        moved.append(status)
                    }
                }
            }
        }
        try announce(attemptIDs: announced, queue: queue, on: tx)
        try ServiceRatings.enqueueQuestions(asked, queue: queue, on: tx)
        try ServiceRatings.enqueueQuestions(askedByEmail, by: Jobs.ratingAskEmail, queue: queue, on: tx)
        return moved
    }

    /// Moves the attempt forward to `state` (sent, failed or skipped; never backwards) and tells the dispatcher, in one
    /// transaction, so the aggregate status, the fallback and the portal's event follow. An attempt that reached the
    /// citizen (delivered or read) is never turned into a failure afterwards, as the provider's statuses also hold.
    /// - Throws: `PostgresError` from the database (or a job that cannot be encoded).
    package static func finish(
        attemptID: Int64, deliveryID: UUID, state: AttemptState, providerID: String? = nil, failureKind: String? = nil,
        code: String? = nil, text: String? = nil, queue: JobQueue, on connection: Connection
    ) throws {
        try connection.transaction { tx in
            // An email that went out asks for the rating when WhatsApp does not carry the outcome (ServiceRatings).
            let asked = try tx.query(
                """
                WITH moved AS (
                    UPDATE channel_attempts SET state = $2, provider_message_id = coalesce($3, provider_message_id), failure_kind = $4,
                           error_code = $5, error_text = $6, updated_at = now(),
                           sent_at = CASE WHEN $2 = 'sent' THEN now() ELSE sent_at END,
                           failed_at = CASE WHEN $2 = 'failed' THEN now() ELSE failed_at END,
                           skip_reason = CASE WHEN $2 = 'skipped' THEN $5 ELSE skip_reason END
                    WHERE id = $1 AND channel_state_may_move(state, $2)
                    RETURNING id, delivery_id, channel, state),
                logged AS (\(TransparencyEntries.channelState(from: "moved"))),
                asked AS (\(ServiceRatings.askByEmailStatement(from: "moved")))
                SELECT id FROM asked
                """, [attemptID, state.rawValue, providerID, failureKind, code, text.map { String($0.prefix(500)) }]
            ).rows.map { try $0.decode(Int64.self, at: 0) }
            try ServiceRatings.enqueueQuestions(asked, by: Jobs.ratingAskEmail, queue: queue, on: tx)
            try announce(attemptID: attemptID, deliveryID: deliveryID, queue: queue, on: tx)
        }
    }

    /// The citizen opened the certificate in the portal inbox: the portal attempt moves from delivered to read, and
    /// the dispatcher hears of it in the same transaction (so a department that takes callbacks is told, as it is of
    /// a WhatsApp read). False when there was nothing to move (already read, or not delivered on the portal).
    /// - Throws: `PostgresError` from the database (or a job that cannot be encoded).
    @discardableResult
    package static func markPortalRead(deliveryID: UUID, queue: JobQueue, on connection: Connection) throws -> Bool {
        try connection.transaction { tx in
            guard
                let attemptID = try tx.query(
                    """
                    WITH moved AS (
                        UPDATE channel_attempts SET state = 'read', read_at = now(), updated_at = now()
                        WHERE delivery_id = $1 AND channel = 'portal' AND state = 'delivered'
                        RETURNING id, delivery_id, channel, state),
                    logged AS (\(TransparencyEntries.channelState(from: "moved")))
                    SELECT id FROM moved
                    """, [deliveryID]
                ).first?.decode(Int64.self, at: 0)
            else { return false }
            try announce(attemptID: attemptID, deliveryID: deliveryID, queue: queue, on: tx)
            return true
        }
    }

    /// Tells the dispatcher about attempts that moved, inside the caller's transaction: one `attempts.moved` job per 500.
    static func announce(attemptIDs: [Int64], queue: JobQueue, on connection: Connection) throws {
        let ids = Array(Set(attemptIDs)).sorted()
        let jobs = try stride(from: 0, to: ids.count, by: 500).map { start in
            try Jobs.attemptsMoved.job(
                AttemptsMoved(attemptIDs: Array(ids[start..<min(ids.count, start + 500)])), priority: 1)
        }
        try queue.enqueue(jobs, on: connection)
    }

    /// Tells the dispatcher about an attempt that moved, inside the caller's transaction.
    static func announce(attemptID: Int64, deliveryID: UUID, queue: JobQueue, on connection: Connection) throws {
        // No unique key: each state change (sent, then delivered, then read) is reconciled on its own; reconciling is idempotent.
        try queue.enqueue(
            try Jobs.attemptMoved.job(AttemptMoved(attemptID: attemptID, deliveryID: deliveryID), priority: 1),
            on: connection)
    }
}
