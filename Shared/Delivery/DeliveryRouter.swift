import Foundation
import JobContracts
import JobQueue
import Postgres

/// What the delivery path enqueues for the dispatcher (the jobs themselves are declared in JobContracts).
package enum DeliveryJobs {}

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
                guard citizen.mobile != nil else {
                    return requested == nil ? nil : ChannelPlan(channel: channel, decision: .skipped("no_mobile"))
                }
                switch citizen.consent(for: .whatsapp)?.granted {
                case true?: return ChannelPlan(channel: channel, decision: .queued)
                case false?: return ChannelPlan(channel: channel, decision: .skipped("opted_out"))
                case nil: return ChannelPlan(channel: channel, decision: .skipped("no_whatsapp_opt_in"))
                }
            case .email:
                guard citizen.email != nil else {
                    return requested == nil ? nil : ChannelPlan(channel: channel, decision: .skipped("no_email"))
                }
                if citizen.consent(for: .email)?.granted == false {
                    return ChannelPlan(channel: channel, decision: .skipped("opted_out"))
                }
                return ChannelPlan(channel: channel, decision: .queued)
            }
        }
    }

    /// Routes a pending delivery: creates its channel attempts and one job per queued channel, and marks the
    /// inbox delivered (starting the legally effective time), all in one statement. A delivery already
    /// routed is left alone, so a repeated job does nothing twice.
    @discardableResult
    package static func route(deliveryID: UUID, queue: JobQueue, on connection: Connection) throws -> [ChannelPlan] {
        try route(deliveryIDs: [deliveryID], queue: queue, on: connection)[deliveryID] ?? []
    }

    /// Routes several deliveries, as `route(deliveryID:)` does each. The deliveries and their citizens are read
    /// without locks; the writes are one statement that only takes deliveries still pending (a delivery routed
    /// meanwhile, by a rescued copy of the job, is skipped there, with its attempts). Only when a department takes
    /// callbacks does it need a transaction: the status event is recorded with the routing.
    @discardableResult
    package static func route(deliveryIDs: [UUID], queue: JobQueue, on connection: Connection) throws -> [UUID:
        [ChannelPlan]]
    {
        let rows = try connection.query(
            """
            SELECT d.id, d.requested_channels, d.is_test, c.portal_user_id, dp.callback_url IS NOT NULL
            FROM deliveries d JOIN applications a ON a.id = d.application_id JOIN citizens c ON c.id = a.citizen_id
                 JOIN departments dp ON dp.code = a.department
            WHERE d.id = ANY($1) AND d.status = 'pending'
            """, [deliveryIDs]
        ).rows
        var pending: [(id: UUID, requested: [Channel]?, isTest: Bool, citizen: String)] = []
        var takesCallbacks = false
        for row in rows {
            pending.append(
                (
                    try row.decode(UUID.self, at: 0),
                    try row.decode([String]?.self, at: 1)?.compactMap(Channel.init(rawValue:)),
                    try row.decode(Bool.self, at: 2), try row.decode(String.self, at: 3)
                ))
            takesCallbacks = try takesCallbacks || row.decode(Bool.self, at: 4)
        }
        let citizens = try Citizens.find(portalUserIDs: pending.map(\.citizen), on: connection)
        var routed: [UUID: [ChannelPlan]] = [:]
        var attempts: (delivery: [UUID], channel: [String], state: [String], skipReason: [String?]) = ([], [], [], [])
        for delivery in pending {
            guard let citizen = citizens[delivery.citizen] else { continue }
            let plans = plan(requested: delivery.requested, citizen: citizen)
            for plan in plans {
                let state: String, skipReason: String?
                switch plan.decision {
                case .deliveredNow: (state, skipReason) = ("delivered", nil)
                case .queued: (state, skipReason) = ("queued", nil)
                case .skipped(let reason): (state, skipReason) = ("skipped", reason)
                }
                attempts.delivery.append(delivery.id)
                attempts.channel.append(plan.channel.rawValue)
                attempts.state.append(state)
                attempts.skipReason.append(skipReason)
            }
            routed[delivery.id] = plans
        }
        guard !routed.isEmpty else { return routed }
        let isTest = Dictionary(uniqueKeysWithValues: pending.map { ($0.id, $0.isTest) })
        let ids = Array(routed.keys)
        let inProgress = ids.map { id in routed[id]?.contains { $0.decision == .queued } ?? false }
        let parameters: [any PostgresEncodable] = [
            attempts.delivery, attempts.channel, attempts.state, attempts.skipReason,
            attempts.delivery.map { isTest[$0] ?? false }, ids, inProgress,
        ]
        let write = { (tx: Connection) throws -> [UUID] in
            let result = try tx.query(Self.routeStatement, parameters).rows
            let taken = try result.compactMap { try $0.decode(UUID?.self, at: 0) }
            let changed = try result.compactMap { row in
                try row.decode(String?.self, at: 1).map { (try row.decode(UUID.self, at: 0), $0) }
            }
            try PortalEvents.statusChanged(changed, queue: queue, on: tx)
            return taken
        }
        let taken = Set(takesCallbacks ? try connection.transaction(write) : try write(connection))
        return routed.filter { taken.contains($0.key) }
    }

    /// Routing's writes: $1…$5 the attempts (delivery, channel, state, skip reason, test delivery), $6 and $7 the
    /// deliveries and whether each is still in progress. Only deliveries still pending are taken (with their
    /// attempts). Returns each delivery taken with its department when that takes callbacks (and one row of NULLs
    /// that wakes the channels' workers).
    static let routeStatement = """
        WITH u AS (SELECT * FROM unnest($6::uuid[], $7::bool[]) AS u(id, in_progress)),
        updated AS (
            UPDATE deliveries d SET status = CASE WHEN u.in_progress THEN 'in_progress' ELSE 'delivered' END,
                   first_delivered_at = coalesce(d.first_delivered_at, now()), updated_at = now()
            FROM u WHERE d.id = u.id AND d.status = 'pending'
            RETURNING d.id, d.application_id, d.decision, d.first_delivered_at, \(PortalEvents.callbackDepartment(application: "d.application_id")) AS callback_department),
        t AS (
            SELECT t.* FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bool[]) AS t(delivery_id, channel, state, skip_reason, is_test)
            WHERE t.delivery_id IN (SELECT id FROM updated)),
        attempts AS (
            INSERT INTO channel_attempts (delivery_id, channel, state, skip_reason, queued_at, delivered_at)
            SELECT t.delivery_id, t.channel, t.state, t.skip_reason, CASE WHEN t.state = 'queued' THEN now() END, CASE WHEN t.state = 'delivered' THEN now() END
            FROM t
            RETURNING id, delivery_id, channel, state),
        sends AS (
            SELECT a.channel AS queue, 'attempt:' || a.id AS unique_key,
                   jsonb_build_object('attempt_id', a.id, 'delivery_id', a.delivery_id, 'is_test', t.is_test) AS payload
            FROM attempts a JOIN t ON t.delivery_id = a.delivery_id AND t.channel = a.channel WHERE a.state = 'queued'),
        \(Jobs.channelSend.enqueueClauses("job", queueFromRows: true, from: "sends")),
        history AS (
            INSERT INTO application_history (application_id, event, actor, detail, at)
            SELECT application_id, 'outcome_delivered', 'dispatcher', jsonb_build_object('decision', decision, 'delivery_id', id::text), first_delivered_at
            FROM updated WHERE decision <> 'appeal')
        SELECT id, callback_department FROM updated
        UNION ALL SELECT NULL, NULL FROM (SELECT count(*) FROM job_notified) n
        """
}

extension DeliveryJobs {
    /// Tells the dispatcher about attempts that moved, inside the caller's transaction: one job per 500.
    package static func announceMoved(attemptIDs: [Int64], queue: JobQueue, on connection: Connection) throws {
        let ids = Array(Set(attemptIDs)).sorted()
        let jobs = try stride(from: 0, to: ids.count, by: 500).map { start in
            try Jobs.attemptsSettled.job(
                AttemptsSettled(attemptIDs: Array(ids[start..<min(ids.count, start + 500)])), priority: 1)
        }
        try queue.enqueue(jobs, on: connection)
    }

    /// Tells the dispatcher about an attempt that moved, inside the caller's transaction.
    package static func announceMoved(attemptID: Int64, deliveryID: UUID, queue: JobQueue, on connection: Connection)
        throws
    {
        // No unique key: each state change (sent, then delivered, then read) is reconciled on its own; reconciling is idempotent.
        try queue.enqueue(
            try Jobs.attemptSettled.job(AttemptSettled(attemptID: attemptID, deliveryID: deliveryID), priority: 1),
            on: connection)
    }
}

extension DeliveryRouter {
    /// Reconciles a delivery with an attempt that moved (the dispatcher's answer to `attempt.settled`): on a permanent
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
        let created = try tx.query(
            """
            INSERT INTO channel_attempts (delivery_id, channel, state, queued_at) VALUES ($1, $2, 'queued', now())
            ON CONFLICT (delivery_id, channel) DO UPDATE SET state = 'queued', skip_reason = NULL, queued_at = now(), updated_at = now()
            WHERE channel_attempts.state = 'skipped'
            RETURNING id
            """, [deliveryID, fallback.channel.rawValue]
        ).first
        if let newID = try created?.decode(Int64.self, at: 0) {
            try queue.enqueue(
                try Jobs.channelSend.on(.channel(fallback.channel.rawValue))
                    .job(
                        ChannelSend(attemptID: newID, deliveryID: deliveryID, isTest: isTest),
                        uniqueKey: "attempt:\(newID)"), on: tx)
        }
    }
}
