import Delivery
import Foundation
import JobContracts
import JobQueue
import Postgres

extension DeliveryRouter {
    /// Reconciles a delivery with an attempt that moved (the dispatcher's answer to `attempt.moved`): on a permanent
    /// failure, add a channel the citizen can still be reached on and that this delivery has not used; then recompute
    /// the aggregate status and record the department's event. Returns the new status. ("Settle" is kept for jobs,
    /// "finish" for an attempt's last word, "reconcile" for this.)
    @discardableResult
    package static func reconcile(attemptID: Int64, queue: JobQueue, on connection: Connection) throws -> String? {
        try reconcile(attemptIDs: [attemptID], queue: queue, on: connection)[attemptID] ?? nil
    }

    /// Reconciles several moved attempts in one transaction, as `reconcile(attemptID:)` does each; their deliveries are
    /// locked first, in id order, so batches running side by side cannot deadlock. Returns each attempt's
    /// delivery status.
    @discardableResult
    package static func reconcile(attemptIDs: [Int64], queue: JobQueue, on connection: Connection) throws -> [Int64:
        String?]
    {
        try connection.transaction { tx in
            let rows = try tx.query(
                """
                WITH locked AS MATERIALIZED (
                    SELECT d.id FROM deliveries d WHERE d.id IN (SELECT delivery_id FROM channel_attempts WHERE id = ANY($1))
                    ORDER BY d.id FOR UPDATE)
                SELECT ca.id, ca.delivery_id, ca.channel, ca.state, ca.failure_kind, d.is_test, c.portal_user_id
                FROM channel_attempts ca JOIN locked l ON l.id = ca.delivery_id JOIN deliveries d ON d.id = ca.delivery_id
                JOIN applications a ON a.id = d.application_id JOIN citizens c ON c.id = a.citizen_id
                WHERE ca.id = ANY($1)
                ORDER BY ca.delivery_id, ca.id
                """, [Array(Set(attemptIDs)).sorted()]
            ).rows
            var deliveryOf: [Int64: UUID] = [:]
            var failed: [(attempt: Int64, delivery: UUID, isTest: Bool, citizen: String)] = []
            for row in rows {
                let attemptID = try row.decode(Int64.self, at: 0), deliveryID = try row.decode(UUID.self, at: 1)
                deliveryOf[attemptID] = deliveryID
                if try row.decode(String.self, at: 3) == "failed", try row.decode(String?.self, at: 4) == "permanent" {
                    failed.append(
                        (attemptID, deliveryID, try row.decode(Bool.self, at: 5), try row.decode(String.self, at: 6)))
                }
            }
            if !failed.isEmpty {
                let citizens = try Citizens.find(portalUserIDs: failed.map(\.citizen), on: tx)
                for failure in failed {
                    guard let citizen = citizens[failure.citizen] else { continue }
                    try fallBack(
                        deliveryID: failure.delivery, citizen: citizen, isTest: failure.isTest, queue: queue, on: tx)
                }
            }
            let deliveries = Array(Set(deliveryOf.values))
            guard !deliveries.isEmpty else { return [:] }
            var status: [UUID: String] = [:]
            var changed: [(deliveryID: UUID, department: String)] = []
            for row in try tx.query(
                """
                UPDATE deliveries d SET updated_at = now(), status = CASE
                    WHEN EXISTS (SELECT 1 FROM channel_attempts a WHERE a.delivery_id = d.id AND a.state IN ('queued', 'sending')) THEN 'in_progress'
                    WHEN EXISTS (SELECT 1 FROM channel_attempts a WHERE a.delivery_id = d.id AND a.channel <> 'portal' AND a.state IN ('sent', 'delivered', 'read')) THEN 'delivered'
                    WHEN EXISTS (SELECT 1 FROM channel_attempts a WHERE a.delivery_id = d.id AND a.channel <> 'portal' AND a.state = 'failed') THEN 'needs_attention'
                    ELSE 'delivered' END
                WHERE d.id = ANY($1)
                RETURNING d.id, d.status, \(PortalEvents.callbackDepartment(application: "d.application_id"))
                """, [deliveries]
            ).rows {
                let id = try row.decode(UUID.self, at: 0)
                status[id] = try row.decode(String.self, at: 1)
                if let department = try row.decode(String?.self, at: 2) { changed.append((id, department)) }
            }
            try PortalEvents.statusChanged(changed, queue: queue, on: tx)  // records only what changed
            return deliveryOf.mapValues { status[$0] }
        }
    }

    /// Adds the first channel the citizen can still be reached on that the delivery has not used, with its job.
    static func fallBack(deliveryID: UUID, citizen: Citizen, isTest: Bool, queue: JobQueue, on tx: Connection) throws {
        let used = Set(
            try tx.query(
                "SELECT channel FROM channel_attempts WHERE delivery_id = $1 AND state <> 'skipped'", [deliveryID]
            )
            .rows.compactMap { Channel(rawValue: try $0.decode(String.self, at: 0)) })
        guard
            let fallback = plan(requested: nil, citizen: citizen).first(where: {
                $0.decision == .queued && !used.contains($0.channel)
            })
        else { return }
        if let newID = try ChannelAttempts.queueFallback(deliveryID: deliveryID, channel: fallback.channel, on: tx) {
            try queue.enqueue(
                try Jobs.channelSend.on(.channel(fallback.channel.rawValue))
                    .job(
                        ChannelSend(attemptID: newID, deliveryID: deliveryID, isTest: isTest),
                        uniqueKey: UniqueKeys.attempt(newID)), on: tx)
        }
    }
}
