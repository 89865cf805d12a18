import Foundation
import JobQueue
import Postgres

/// Job kinds and queues of the delivery path.
package enum DeliveryJobs {
    /// On the dispatcher's queue: route a new delivery to its channels.
    package static let requested = "delivery.requested"
    /// On a channel's queue (`whatsapp`, `email`): send one channel attempt.
    package static let send = "channel.send"

    package struct Requested: Codable, Sendable {
        package var deliveryID: UUID
        package init(deliveryID: UUID) { self.deliveryID = deliveryID }
        enum CodingKeys: String, CodingKey { case deliveryID = "delivery_id" }
    }

    package struct Send: Codable, Sendable {
        package var attemptID: Int64
        package var deliveryID: UUID
        package var isTest: Bool
        enum CodingKeys: String, CodingKey { case attemptID = "attempt_id", deliveryID = "delivery_id", isTest = "is_test" }
    }
}

/// What the router decided for one channel.
package struct ChannelPlan: Sendable, Equatable {
    package enum Decision: Sendable, Equatable {
        /// The portal inbox: the outcome is there as soon as it is recorded.
        case deliveredNow
        /// A job goes to the channel's adapter.
        case queued
        /// Not used, with the reason (e.g. `no_whatsapp_opt_in`).
        case skipped(String)
    }

    package var channel: Channel
    package var decision: Decision

    package init(channel: Channel, decision: Decision) {
        self.channel = channel
        self.decision = decision
    }
}

/// The dispatcher's routing: which channels a delivery goes to, decided from the request, the citizen's
/// consents and opt-outs, and the contact details on file.
package enum DeliveryRouter {
    /// Decides channels (pure: no I/O), in channel order.
    ///
    /// The portal inbox always; WhatsApp only with an opt-in and a mobile number; email when there is an
    /// address and no opt-out. `requested` nil means every channel the citizen can be reached on; an
    /// unreachable channel that was asked for (or is a default) is recorded as skipped with its reason.
    package static func plan(requested: [Channel]?, citizen: Citizen) -> [ChannelPlan] {
        let wanted = Set(requested ?? Channel.allCases).union([.portal])
        return Channel.allCases.filter(wanted.contains).compactMap { channel in
            switch channel {
            case .portal:
                return ChannelPlan(channel: .portal, decision: .deliveredNow)
            case .whatsapp:
                guard citizen.mobile != nil else { return requested == nil ? nil : ChannelPlan(channel: channel, decision: .skipped("no_mobile")) }
                switch citizen.consent(for: .whatsapp)?.granted {
                case true?: return ChannelPlan(channel: channel, decision: .queued)
                case false?: return ChannelPlan(channel: channel, decision: .skipped("opted_out"))
                case nil: return ChannelPlan(channel: channel, decision: .skipped("no_whatsapp_opt_in"))
                }
            case .email:
                guard citizen.email != nil else { return requested == nil ? nil : ChannelPlan(channel: channel, decision: .skipped("no_email")) }
                if citizen.consent(for: .email)?.granted == false { return ChannelPlan(channel: channel, decision: .skipped("opted_out")) }
                return ChannelPlan(channel: channel, decision: .queued)
            }
        }
    }

    /// Routes a pending delivery: creates its channel attempts and one job per queued channel, and marks the
    /// inbox delivered (starting the legally effective time), all in one transaction. A delivery already
    /// routed is left alone, so a repeated job does nothing twice.
    @discardableResult
    package static func route(deliveryID: UUID, queue: JobQueue, on connection: Connection) throws -> [ChannelPlan] {
        try connection.transaction { tx in
            guard let row = try tx.query("""
                SELECT d.status, d.requested_channels, d.is_test, c.portal_user_id
                FROM deliveries d JOIN applications a ON a.id = d.application_id JOIN citizens c ON c.id = a.citizen_id
                WHERE d.id = $1 FOR UPDATE OF d
                """, [deliveryID]).first else { return [] }
            guard try row.decode(String.self, at: 0) == "pending" else { return [] }
            let requested = try row.decode([String]?.self, at: 1)?.compactMap(Channel.init(rawValue:))
            let isTest = try row.decode(Bool.self, at: 2)
            guard let citizen = try Citizens.find(portalUserID: try row.decode(String.self, at: 3), on: tx) else { return [] }
            let plans = plan(requested: requested, citizen: citizen)
            var jobs: [NewJob] = []
            for plan in plans {
                let state: String, skipReason: String?
                switch plan.decision {
                case .deliveredNow: (state, skipReason) = ("delivered", nil)
                case .queued: (state, skipReason) = ("queued", nil)
                case .skipped(let reason): (state, skipReason) = ("skipped", reason)
                }
                let attempt = try tx.query("""
                    INSERT INTO channel_attempts (delivery_id, channel, state, skip_reason, queued_at, delivered_at)
                    VALUES ($1, $2, $3, $4, CASE WHEN $3 = 'queued' THEN now() END, CASE WHEN $3 = 'delivered' THEN now() END)
                    RETURNING id
                    """, [deliveryID, plan.channel.rawValue, state, skipReason]).first
                if plan.decision == .queued, let attemptID = try attempt?.decode(Int64.self, at: 0) {
                    jobs.append(try NewJob(queue: plan.channel.rawValue, kind: DeliveryJobs.send,
                                           encoding: DeliveryJobs.Send(attemptID: attemptID, deliveryID: deliveryID, isTest: isTest),
                                           priority: 2, uniqueKey: "attempt:\(attemptID)"))
                }
            }
            try queue.enqueue(jobs, on: tx)
            try tx.query("""
                UPDATE deliveries SET status = CASE WHEN $2 THEN 'in_progress' ELSE 'delivered' END,
                       first_delivered_at = coalesce(first_delivered_at, now()), updated_at = now()
                WHERE id = $1
                """, [deliveryID, !jobs.isEmpty])
            // The outcome reached the citizen (the inbox, at once): the legally effective time, on the application's history.
            try tx.query("""
                INSERT INTO application_history (application_id, event, actor, detail, at)
                SELECT application_id, 'outcome_delivered', 'dispatcher', jsonb_build_object('decision', decision, 'delivery_id', id::text), first_delivered_at
                FROM deliveries WHERE id = $1 AND decision <> 'appeal'
                """, [deliveryID])
            try PortalEvents.statusChanged(deliveryID: deliveryID, queue: queue, on: tx)
            return plans
        }
    }
}

extension DeliveryJobs {
    /// On the dispatcher's queue: a channel attempt reached a final state (sent, delivered, failed).
    package static let attemptSettled = "attempt.settled"

    package struct Settled: Codable, Sendable {
        package var attemptID: Int64
        package var deliveryID: UUID
        package init(attemptID: Int64, deliveryID: UUID) {
            self.attemptID = attemptID
            self.deliveryID = deliveryID
        }
        enum CodingKeys: String, CodingKey { case attemptID = "attempt_id", deliveryID = "delivery_id" }
    }

    /// Tells the dispatcher about a settled attempt, inside the caller's transaction.
    package static func announceSettled(attemptID: Int64, deliveryID: UUID, queue: JobQueue, on connection: Connection) throws {
        // No unique key: each state change (sent, then delivered, then read) is its own settle; settling is idempotent.
        try queue.enqueue(try NewJob(queue: "dispatcher", kind: attemptSettled, encoding: Settled(attemptID: attemptID, deliveryID: deliveryID),
                                     priority: 1), on: connection)
    }
}

extension DeliveryRouter {
    /// After an attempt settles: on a permanent failure, add a channel the citizen can still be reached on
    /// and that this delivery has not used; then recompute the aggregate status. Returns the new status.
    @discardableResult
    package static func settle(attemptID: Int64, queue: JobQueue, on connection: Connection) throws -> String? {
        try connection.transaction { tx in
            guard let row = try tx.query("""
                SELECT ca.delivery_id, ca.channel, ca.state, ca.failure_kind, d.is_test, c.portal_user_id
                FROM channel_attempts ca JOIN deliveries d ON d.id = ca.delivery_id
                JOIN applications a ON a.id = d.application_id JOIN citizens c ON c.id = a.citizen_id
                WHERE ca.id = $1 FOR UPDATE OF d
                """, [attemptID]).first else { return nil }
            let deliveryID = try row.decode(UUID.self, at: 0)
            if try row.decode(String.self, at: 2) == "failed", try row.decode(String?.self, at: 3) == "permanent",
               let citizen = try Citizens.find(portalUserID: try row.decode(String.self, at: 5), on: tx) {
                let used = Set(try tx.query("SELECT channel FROM channel_attempts WHERE delivery_id = $1 AND state <> 'skipped'", [deliveryID])
                    .rows.compactMap { Channel(rawValue: try $0.decode(String.self, at: 0)) })
                let fallback = plan(requested: nil, citizen: citizen).first { $0.decision == .queued && !used.contains($0.channel) }
                if let fallback {
                    let created = try tx.query("""
                        INSERT INTO channel_attempts (delivery_id, channel, state, queued_at) VALUES ($1, $2, 'queued', now())
                        ON CONFLICT (delivery_id, channel) DO UPDATE SET state = 'queued', skip_reason = NULL, queued_at = now(), updated_at = now()
                        WHERE channel_attempts.state = 'skipped'
                        RETURNING id
                        """, [deliveryID, fallback.channel.rawValue]).first
                    if let newID = try created?.decode(Int64.self, at: 0) {
                        try queue.enqueue(try NewJob(queue: fallback.channel.rawValue, kind: DeliveryJobs.send,
                                                     encoding: DeliveryJobs.Send(attemptID: newID, deliveryID: deliveryID, isTest: try row.decode(Bool.self, at: 4)),
                                                     uniqueKey: "attempt:\(newID)"), on: tx)
                    }
                }
            }
            let status = try tx.query("""
                WITH a AS (SELECT channel, state FROM channel_attempts WHERE delivery_id = $1)
                UPDATE deliveries SET updated_at = now(), status = CASE
                    WHEN EXISTS (SELECT 1 FROM a WHERE state IN ('queued', 'sending')) THEN 'in_progress'
                    WHEN EXISTS (SELECT 1 FROM a WHERE channel <> 'portal' AND state IN ('sent', 'delivered', 'read')) THEN 'delivered'
                    WHEN EXISTS (SELECT 1 FROM a WHERE channel <> 'portal' AND state = 'failed') THEN 'needs_attention'
                    ELSE 'delivered' END
                WHERE id = $1
                RETURNING status
                """, [deliveryID]).first?.decode(String.self, at: 0)
            try PortalEvents.statusChanged(deliveryID: deliveryID, queue: queue, on: tx)   // records only what changed
            return status
        }
    }
}
