import Delivery
import Foundation
import JobContracts
import JobQueue
import Postgres

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
        var write = RoutingWrite()
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
                write.attempts.append(
                    .init(
                        deliveryID: delivery.id, channel: plan.channel.rawValue, state: state, skipReason: skipReason,
                        isTest: delivery.isTest))
            }
            routed[delivery.id] = plans
            write.deliveries.append(.init(id: delivery.id, inProgress: plans.contains { $0.decision == .queued }))
        }
        guard !routed.isEmpty else { return routed }
        let apply = { (tx: Connection) throws -> [UUID] in
            let result = try tx.query(Self.routeStatement, write).rows
            let taken = try result.compactMap { try $0.decode(UUID?.self, at: 0) }
            let changed = try result.compactMap { row in
                try row.decode(String?.self, at: 1).map { (try row.decode(UUID.self, at: 0), $0) }
            }
            try PortalEvents.statusChanged(changed, queue: queue, on: tx)
            return taken
        }
        let taken = Set(takesCallbacks ? try connection.transaction(apply) : try apply(connection))
        return routed.filter { taken.contains($0.key) }
    }

    /// What routing writes: the attempts of every delivery, and each delivery with whether it is still in progress.
    struct RoutingWrite {
        struct Attempt {
            var deliveryID: UUID
            var channel: String
            var state: String
            var skipReason: String?
            var isTest: Bool
        }
        struct Delivery {
            var id: UUID
            var inProgress: Bool
        }
        var attempts: [Attempt] = []
        var deliveries: [Delivery] = []
    }

    /// Routing's writes. Only deliveries still pending are taken (with their attempts). Returns each delivery taken
    /// with its department when that takes callbacks (and one row of NULLs that wakes the channels' workers).
    static let routeStatement = NamedStatement<RoutingWrite>(
        """
        WITH u AS (SELECT * FROM unnest(:deliveries::uuid[], :in_progress::bool[]) AS u(id, in_progress)),
        updated AS (
            UPDATE deliveries d SET status = CASE WHEN u.in_progress THEN 'in_progress' ELSE 'delivered' END,
                   first_delivered_at = coalesce(d.first_delivered_at, now()), updated_at = now()
            FROM u WHERE d.id = u.id AND d.status = 'pending'
            RETURNING d.id, d.application_id, d.decision, d.first_delivered_at, \(PortalEvents.callbackDepartment(application: "d.application_id")) AS callback_department),
        t AS (
            SELECT t.* FROM unnest(:attempt_deliveries::uuid[], :attempt_channels::text[], :attempt_states::text[], :attempt_skip_reasons::text[],
                                   :attempt_is_test::bool[]) AS t(delivery_id, channel, state, skip_reason, is_test)
            WHERE t.delivery_id IN (SELECT id FROM updated)),
        attempts AS (\(ChannelAttempts.routedInsert(from: "t"))),
        logged AS (\(TransparencyEntries.channelState(from: "attempts"))),
        sends AS (
            SELECT a.channel AS queue, \(UniqueKeys.attemptSQL("a.id")) AS unique_key,
                   jsonb_build_object('attempt_id', a.id, 'delivery_id', a.delivery_id, 'is_test', t.is_test) AS payload
            FROM attempts a JOIN t ON t.delivery_id = a.delivery_id AND t.channel = a.channel WHERE a.state = 'queued'),
        \(Jobs.channelSend.enqueueClauses("job", queueFromRows: true, from: "sends")),
        history AS (
            INSERT INTO application_history (application_id, event, actor, detail, at)
            SELECT application_id, 'outcome_delivered', 'dispatcher', jsonb_build_object('decision', decision, 'delivery_id', id::text), first_delivered_at
            FROM updated WHERE decision NOT IN ('appeal', 'step'))
        SELECT id, callback_department FROM updated
        UNION ALL SELECT NULL, NULL FROM (SELECT count(*) FROM job_notified) n
        """,
        bind: [
            "deliveries": { $0.deliveries.map(\.id) }, "in_progress": { $0.deliveries.map(\.inProgress) },
            "attempt_deliveries": { $0.attempts.map(\.deliveryID) }, "attempt_channels": { $0.attempts.map(\.channel) },
            "attempt_states": { $0.attempts.map(\.state) }, "attempt_skip_reasons": { $0.attempts.map(\.skipReason) },
            "attempt_is_test": { $0.attempts.map(\.isTest) },
        ])
}
