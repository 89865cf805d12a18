import Delivery
@testable import Dispatcher
import Foundation
import JobContracts
import JobQueue
import Postgres
import Texts
import ServiceRuntime
import TestSupport
import Testing

@Suite("Delivery routing")
struct RoutingTests {
    func citizen(mobile: String? = "+919800000001", email: String? = "a@example.in", consents: [Consent] = [])
        -> Citizen
    {
        Citizen(id: 1, portalUserID: "u1", mobile: mobile, email: email, language: .mr, consents: consents)
    }

    let now = Date()

    @Test("by default: the inbox always, email with an address, WhatsApp only after an opt-in")
    func defaults() {
        #expect(
            DeliveryRouter.plan(requested: nil, citizen: citizen()) == [
                ChannelPlan(channel: .portal, decision: .deliveredNow),
                ChannelPlan(channel: .whatsapp, decision: .skipped("no_whatsapp_opt_in")),
                ChannelPlan(channel: .email, decision: .queued),
            ])
        let optedIn = citizen(consents: [Consent(channel: .whatsapp, granted: true, source: "portal", recordedAt: now)])
        #expect(
            DeliveryRouter.plan(requested: nil, citizen: optedIn).map(\.decision) == [.deliveredNow, .queued, .queued])
    }

    @Test("opt-outs are respected and recorded as the reason")
    func optOuts() {
        let stopped = citizen(consents: [
            Consent(channel: .whatsapp, granted: false, source: "whatsapp STOP", recordedAt: now),
            Consent(channel: .email, granted: false, source: "unsubscribe", recordedAt: now),
        ])
        #expect(
            DeliveryRouter.plan(requested: nil, citizen: stopped).map(\.decision) == [
                .deliveredNow, .skipped("opted_out"), .skipped("opted_out"),
            ])
    }

    @Test("requested channels narrow the plan, the inbox stays, and missing contact details are reasons")
    func requested() {
        let noContacts = citizen(mobile: nil, email: nil)
        #expect(
            DeliveryRouter.plan(requested: [.email], citizen: citizen()) == [
                ChannelPlan(channel: .portal, decision: .deliveredNow), ChannelPlan(channel: .email, decision: .queued),
            ])
        #expect(
            DeliveryRouter.plan(requested: [.whatsapp, .email], citizen: noContacts).map(\.decision) == [
                .deliveredNow, .skipped("no_mobile"), .skipped("no_email"),
            ])
        #expect(DeliveryRouter.plan(requested: nil, citizen: noContacts).map(\.decision) == [.deliveredNow])
    }

    @Test(
        "two routers of one delivery at once (a rescued job and the original): one writes its attempts and jobs, the other nothing"
    )
    func concurrentRoutersWriteOnce() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        let id = try seedDelivery(on: connection)
        let first = try db.connect()
        try first.execute(script: "BEGIN")
        #expect(try DeliveryRouter.route(deliveryID: id, queue: JobQueue(), on: first).count == 3)
        // The second read the delivery as pending before the first commits; its write waits, then finds it taken.
        let second = try db.connect()
        let secondPID = second.backendPID
        let result = LockedResult()
        let thread = try OwnedThread(name: "second") {
            result.set(Result { try DeliveryRouter.route(deliveryID: id, queue: JobQueue(), on: second).count })
        }
        try db.waitUntilBlocked(secondPID)  // the second's write waits for the first's row lock
        try first.execute(script: "COMMIT")
        thread.join()
        #expect(try result.get() == 0, "the second router routed nothing")
        #expect(
            try connection.query("SELECT count(*) FROM channel_attempts WHERE delivery_id = $1", [id]).first?.decode(
                Int.self, at: 0) == 3)
        #expect(
            try connection.query("SELECT count(*) FROM jobs WHERE kind = 'channel.send'").first?.decode(Int.self, at: 0)
                == 2)
        #expect(
            try connection.query("SELECT count(*) FROM application_history WHERE event = 'outcome_delivered'").first?
                .decode(Int.self, at: 0) == 1)
    }

    @Test("routing writes attempts and channel jobs in one transaction, starts the legal clock, and runs once")
    func routeWritesOnce() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        let id = try seedDelivery(on: connection)
        let plans = try DeliveryRouter.route(deliveryID: id, queue: JobQueue(), on: connection)
        #expect(plans.map(\.decision) == [.deliveredNow, .queued, .queued])
        #expect(
            try DeliveryRouter.route(deliveryID: id, queue: JobQueue(), on: connection).isEmpty,
            "a repeated job routes nothing")
        let view = try #require(try DeliveryViews.find(id: id, department: "REV", on: connection))
        #expect(view.status == "in_progress")
        #expect(view.firstDeliveredAt != nil)
        #expect(view.channels.map(\.channel) == ["portal", "whatsapp", "email"])
        #expect(view.channels.map(\.state) == ["delivered", "queued", "queued"])
        let jobs = try connection.query("SELECT queue, kind, payload->>'is_test' FROM jobs ORDER BY queue").rows.map {
            "\(try $0.decode(String.self, at: 0)) \(try $0.decode(String.self, at: 1)) \(try $0.decode(String.self, at: 2))"
        }
        #expect(jobs == ["email channel.send true", "whatsapp channel.send true"])
        #expect(
            try DeliveryViews.find(id: id, department: "OTHER", on: connection) == nil,
            "another department cannot see it")
    }

    @Test("after a permanent failure the dispatcher adds a channel the citizen can still be reached on, once")
    func fallback() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        let id = try seedDelivery(on: connection, requested: [.whatsapp])
        #expect(
            try DeliveryRouter.route(deliveryID: id, queue: JobQueue(), on: connection).map(\.channel) == [
                .portal, .whatsapp,
            ])
        let whatsapp = try #require(
            try connection.query("SELECT id FROM channel_attempts WHERE channel = 'whatsapp'").first
        ).decode(Int64.self, at: 0)
        try connection.query(
            "UPDATE channel_attempts SET state = 'failed', failure_kind = 'permanent', error_code = '131026' WHERE id = $1",
            [whatsapp])
        #expect(
            try DeliveryRouter.reconcile(attemptID: whatsapp, queue: JobQueue(), on: connection) == "in_progress",
            "email was added")
        #expect(
            try connection.query("SELECT state FROM channel_attempts WHERE channel = 'email'").first?.decode(
                String.self, at: 0) == "queued")
        #expect(
            try connection.query("SELECT count(*) FROM jobs WHERE queue = 'email' AND kind = 'channel.send'").first?
                .decode(Int.self, at: 0) == 1)
        // Settling the same failure again adds nothing more.
        _ = try DeliveryRouter.reconcile(attemptID: whatsapp, queue: JobQueue(), on: connection)
        #expect(try connection.query("SELECT count(*) FROM channel_attempts").first?.decode(Int.self, at: 0) == 3)
        #expect(
            try connection.query("SELECT count(*) FROM jobs WHERE queue = 'email'").first?.decode(Int.self, at: 0) == 1)
    }

    @Test(
        "a batch of deliveries is routed in one call as each alone would be; a batch of settled attempts falls back and recomputes each delivery once"
    )
    func batches() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        let first = try seedDelivery(on: connection, requested: [.whatsapp])
        _ = try Citizens.put(
            portalUserID: "u2", mobile: nil, email: "b@example.in", language: .hi, consents: [], on: connection)
        try connection.query(
            "INSERT INTO applications (portal_application_id, department, service_code, office_code, citizen_id) SELECT 'A2', 'REV', 'INCOME', 'HAVELI', id FROM citizens WHERE portal_user_id = 'u2'"
        )
        let second = UUID(), third = UUID()
        try connection.query(
            """
            INSERT INTO deliveries (id, application_id, is_test, decision, language)
            SELECT $1::uuid, id, true, 'approved', 'hi' FROM applications WHERE portal_application_id = 'A2'
            UNION ALL SELECT $2::uuid, id, true, 'other', 'mr' FROM applications WHERE portal_application_id = 'A1'
            """, [second, third])
        let routed = try DeliveryRouter.route(
            deliveryIDs: [third, first, second, first], queue: JobQueue(), on: connection)
        #expect(routed[first]?.map(\.channel) == [.portal, .whatsapp])
        #expect(
            routed[second]?.map(\.decision) == [.deliveredNow, .queued],
            "no mobile: WhatsApp not planned when not asked for")
        #expect(routed[third]?.map(\.decision) == [.deliveredNow, .queued, .queued])
        #expect(
            try DeliveryRouter.route(deliveryIDs: [first, second, third], queue: JobQueue(), on: connection).isEmpty,
            "routed once")
        func attempt(_ delivery: UUID, _ channel: String) throws -> Int64 {
            try #require(
                try connection.query(
                    "SELECT id FROM channel_attempts WHERE delivery_id = $1 AND channel = $2", [delivery, channel]
                ).first
            ).decode(Int64.self, at: 0)
        }
        #expect(
            try connection.query("SELECT count(*) FROM jobs WHERE kind = 'channel.send'").first?.decode(Int.self, at: 0)
                == 4)
        #expect(
            try connection.query("SELECT count(*) FROM application_history WHERE event = 'outcome_delivered'").first?
                .decode(Int.self, at: 0) == 3)
        #expect(
            try connection.query(
                "SELECT count(*) FROM deliveries WHERE status = 'in_progress' AND first_delivered_at IS NOT NULL"
            ).first?.decode(Int.self, at: 0) == 3)

        try connection.query(
            "UPDATE channel_attempts SET state = 'failed', failure_kind = 'permanent' WHERE id = $1",
            [try attempt(first, "whatsapp")])
        try connection.query(
            "UPDATE channel_attempts SET state = 'sent' WHERE id = ANY($1)",
            [[try attempt(second, "email"), try attempt(third, "whatsapp"), try attempt(third, "email")]])
        let statuses = try DeliveryRouter.reconcile(
            attemptIDs: [
                try attempt(third, "email"), try attempt(first, "whatsapp"), try attempt(second, "email"),
                try attempt(third, "whatsapp"),
            ],
            queue: JobQueue(), on: connection)
        #expect(statuses[try attempt(first, "whatsapp")] == "in_progress", "email added as the fallback")
        #expect(
            try connection.query(
                "SELECT state FROM channel_attempts WHERE delivery_id = $1 AND channel = 'email'", [first]
            ).first?.decode(String.self, at: 0) == "queued")
        #expect(statuses[try attempt(second, "email")] == "delivered")
        let thirdEmail = try attempt(third, "email"), thirdWhatsApp = try attempt(third, "whatsapp")
        #expect(statuses[thirdEmail] == "delivered" && statuses[thirdWhatsApp] == "delivered")
        #expect(
            try connection.query("SELECT count(*) FROM jobs WHERE kind = 'channel.send' AND queue = 'email'").first?
                .decode(Int.self, at: 0) == 3)
    }

    @Test("application ids are trimmed and Devanagari and Telugu digits folded; mobiles and emails normalised")
    func normalization() {
        #expect(Normalization.applicationID("  MH-२०२५-०४२ ") == "MH-2025-042")
        #expect(Normalization.applicationID("AP౧౨౩") == "AP123")
        #expect(Normalization.mobile("98765 43210") == "+919876543210")
        #expect(Normalization.mobile("+91-98765-43210") == "+919876543210")
        #expect(Normalization.mobile("0091 9876543210") == "+919876543210")
        #expect(Normalization.mobile("12345") == nil)
        #expect(Normalization.mobile("+0123456789") == nil)
        #expect(Normalization.email(" Citizen@Example.IN ") == "Citizen@example.in")
        #expect(Normalization.email("no-at-sign") == nil)
        #expect(Normalization.email("a@b") == nil)
    }
}

@Suite("API keys")
struct APIKeyTests {
    @Test("a key authenticates by prefix and constant-time hash, whatever its secret contains; only the hash is stored")
    func keys() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        try Departments.upsert(code: "REV", name: "Revenue", on: connection)
        for _ in 0..<50 {
            let (secret, key) = try APIKeys.create(department: "REV", kind: .live, label: "k", on: connection)
            #expect(secret.hasPrefix(key.prefix + "_"))
            #expect(key.prefix.hasPrefix("dk_live_"))
            #expect(try APIKeys.authenticate("Bearer " + secret, on: connection) == .success(key))
            #expect(
                try APIKeys.authenticate("Bearer " + secret.dropLast() + "x", on: connection) == .failure(.unknown)
                    || secret.hasSuffix("x"))
        }
        #expect(
            try connection.query(
                "SELECT count(*) FROM api_keys WHERE position(convert_to('dk_', 'UTF8') in secret_hash) > 0"
            ).first?.decode(Int.self, at: 0) == 0)
        #expect(try APIKeys.authenticate(nil, on: connection) == .failure(.missing))
        #expect(try APIKeys.authenticate("Basic abc", on: connection) == .failure(.malformed))
        #expect(try APIKeys.authenticate("Bearer dk_test_nosuch_secret", on: connection) == .failure(.unknown))
    }
}

final class LockedResult: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Result<Int, any Error>?
    func set(_ new: Result<Int, any Error>) { lock.lock(); value = new; lock.unlock() }
    func get() throws -> Int? { lock.lock(); defer { lock.unlock() }; return try value?.get() }
}

@Suite("Attempt transitions")
struct AttemptTransitionTests {
    @Test("an attempt that reached the citizen is never turned into a failure afterwards")
    func failedNeverOverwritesRead() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        let id = try seedDelivery(on: connection, requested: [.email])
        try DeliveryRouter.route(deliveryID: id, queue: JobQueue(), on: connection)
        let attempt = try #require(
            try connection.query("SELECT id FROM channel_attempts WHERE channel = 'email'").first?.decode(
                Int64.self, at: 0))
        try connection.query("UPDATE channel_attempts SET state = 'read' WHERE id = $1", [attempt])
        try ChannelAttempts.finish(
            attemptID: attempt, deliveryID: id, state: .failed, failureKind: "permanent", code: "x", queue: JobQueue(),
            on: connection)
        #expect(
            try connection.query("SELECT state FROM channel_attempts WHERE id = $1", [attempt]).first?.decode(
                String.self, at: 0) == "read")
        // A queued attempt still fails.
        try connection.query("UPDATE channel_attempts SET state = 'sending' WHERE id = $1", [attempt])
        try ChannelAttempts.finish(
            attemptID: attempt, deliveryID: id, state: .failed, failureKind: "permanent", code: "x", queue: JobQueue(),
            on: connection)
        #expect(
            try connection.query("SELECT state FROM channel_attempts WHERE id = $1", [attempt]).first?.decode(
                String.self, at: 0) == "failed")
    }

    @Test("an inbox read tells the dispatcher, and a department that takes callbacks gets the read as an event, once")
    func inboxReadReachesTheDepartment() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        let id = try seedDelivery(
            on: connection, requested: [], callbackURL: "http://127.0.0.1:9/callback", callbackSecret: "k")
        try DeliveryRouter.route(deliveryID: id, queue: JobQueue(), on: connection)
        let eventsBefore =
            try connection.query("SELECT count(*) FROM portal_events").first?.decode(Int.self, at: 0) ?? 0
        #expect(try ChannelAttempts.markPortalRead(deliveryID: id, queue: JobQueue(), on: connection))
        #expect(
            try !ChannelAttempts.markPortalRead(deliveryID: id, queue: JobQueue(), on: connection),
            "a second read moves nothing")
        let settled = try connection.query(
            "SELECT id FROM jobs WHERE queue = 'dispatcher' AND kind = $1", [Jobs.attemptMoved.kind]
        ).rows
        #expect(settled.count == 1)
        let attempt = try #require(
            try connection.query("SELECT id FROM channel_attempts WHERE channel = 'portal'").first?.decode(
                Int64.self, at: 0))
        try DeliveryRouter.reconcile(attemptID: attempt, queue: JobQueue(), on: connection)
        let events = try connection.query("SELECT body FROM portal_events ORDER BY created_at").rows.map {
            try $0.decode(String.self, at: 0)
        }
        #expect(events.count == eventsBefore + 1, "\(events)")
        #expect(events.last?.contains("\"read_at\"") == true, "\(events.last ?? "")")
    }
}

@Suite("Attempt states")
struct AttemptStateTests {
    @Test(
        "the SQL that moves attempts (channel_state_may_move, channel_state_rank) agrees with AttemptState for every pair of states"
    )
    func sqlMatchesDeclaration() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        let states = AttemptState.allCases
        for from in states {
            #expect(
                try connection.query("SELECT channel_state_rank($1)", [from.rawValue]).first?.decode(Int.self, at: 0)
                    == from.rank, "\(from)")
            for to in states {
                let sql = try connection.query("SELECT channel_state_may_move($1, $2)", [from.rawValue, to.rawValue])
                    .first?.decode(Bool.self, at: 0)
                #expect(sql == from.mayMove(to: to), "\(from) → \(to)")
            }
        }
        let checked =
            try connection.query(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'channel_attempts_state_check'"
            ).first?
            .decode(String.self, at: 0) ?? ""
        for state in states { #expect(checked.contains("'\(state.rawValue)'"), "the table's CHECK lists \(state)") }
    }
}

@Suite("Routing statement")
struct RoutingStatementTests {
    @Test("routing's one write binds every name its text uses, each from the typed write")
    func sound() {
        #expect(DeliveryRouter.routeStatement.problems.isEmpty, "\(DeliveryRouter.routeStatement.problems)")
        #expect(DeliveryRouter.routeStatement.names.count == 7)
    }
}

@Suite("Renamed job kinds")
struct RenamedKindsTests {
    @Test("jobs an older build queued as attempt.settled and attempts.settled still decode, on the dispatcher's queue")
    func formerNames() throws {
        #expect(Jobs.attemptMovedBeforeRename.kind == "attempt.settled")
        #expect(Jobs.attemptsMovedBeforeRename.kind == "attempts.settled")
        #expect(Jobs.attemptMovedBeforeRename.queue == .dispatcher)
        let id = UUID()
        let old = ClaimedJob(
            id: 1, queue: "dispatcher", kind: "attempt.settled", attempt: 1, maxAttempts: 20,
            payload: PostgresJSON(text: #"{"attempt_id": 7, "delivery_id": "\#(id.uuidString.lowercased())"}"#))
        #expect(try Jobs.attemptMovedBeforeRename.payload(of: old).attemptIDs == [7])
        let batch = ClaimedJob(
            id: 2, queue: "dispatcher", kind: "attempts.settled", attempt: 1, maxAttempts: 20,
            payload: PostgresJSON(text: #"{"attempt_ids": [7, 8]}"#))
        #expect(try Jobs.attemptsMovedBeforeRename.payload(of: batch).attemptIDs == [7, 8])
    }
}
