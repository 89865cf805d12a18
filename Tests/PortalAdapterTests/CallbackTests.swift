import Delivery
import Dispatcher
import Foundation
import HTTPClient
import HTTPServer
import JobQueue
@testable import PortalAdapter
import Postgres
import Texts
import ServiceRuntime
import Testing
import TestSupport

/// A portal's callback endpoint: verifies each signature, answers 500 a few times, then 200.
final class CallbackReceiver: @unchecked Sendable {
    typealias Entry = (eventID: String, signatureValid: Bool, body: [UInt8], status: Int, signature: String)

    /// What the endpoint saw; shared with the server's handler threads.
    final class Log: @unchecked Sendable {
        let secret: String
        private let lock = NSLock()
        private var failuresLeft: Int
        private var entries: [Entry] = []

        init(secret: String, failFirst: Int) { self.secret = secret; self.failuresLeft = failFirst }

        func receive(_ request: Request) -> Response {
            let valid = CallbackSignature.verify(
                header: request.header("dakiya-signature"), body: request.body, secret: secret,
                now: Int(Date().timeIntervalSince1970))
            lock.lock()
            defer { lock.unlock() }
            let status: Int
            if !valid {
                status = 401
            } else if failuresLeft > 0 {
                failuresLeft -= 1; status = 500
            } else {
                status = 200
            }
            entries.append(
                (
                    request.header("dakiya-event-id") ?? "", valid, request.body, status,
                    request.header("dakiya-signature") ?? ""
                ))
            return Response(status: status)
        }

        var all: [Entry] { lock.lock(); defer { lock.unlock() }; return entries }
    }

    let server: Server
    let state: Log
    var secret: String { state.secret }
    var log: [Entry] { state.all }

    init(secret: String, failFirst: Int) throws {
        let state = Log(secret: secret, failFirst: failFirst)
        self.state = state
        var router = Router()
        router.post("/dakiya/events") { request in state.receive(request) }
        server = Server(
            configuration: ServerConfiguration(port: 0, threads: 2), router: router,
            logger: Logger(service: "receiver", sink: .capturing()), metrics: MetricsRegistry())
        try server.start()
    }

    deinit { server.stop() }

    var url: String { "http://127.0.0.1:\(server.port)/dakiya/events" }
}

@Suite("Portal callbacks", .serialized)
struct CallbackTests {
    func setUp(receiver: CallbackReceiver) throws -> (TestDatabase, UUID) {
        let db = try TestDatabase()
        let connection = try db.connect()
        let id = try seedDelivery(
            on: connection, mobile: nil, email: "c@example.in", whatsappOptIn: false, language: .en,
            callbackURL: receiver.url, callbackSecret: receiver.secret)
        try DeliveryRouter.route(deliveryID: id, queue: JobQueue(), on: connection)
        return (db, id)
    }

    func callbackJob(_ db: TestDatabase, attempt: Int16) throws -> ClaimedJob {
        let row = try #require(
            try db.connect().query(
                "SELECT id, payload, max_attempts FROM jobs WHERE queue = 'portal' AND kind = 'callback.deliver' ORDER BY id LIMIT 1"
            ).first)
        return ClaimedJob(
            id: try row.decode(Int64.self, at: 0), queue: "portal", kind: "callback.deliver", attempt: attempt,
            maxAttempts: try row.decode(Int16.self, at: 2), payload: try row.decode(PostgresJSON.self, at: 1))
    }

    @Test("a status change becomes a signed event; 500s are retried; after a 200 the event is never sent again")
    func retriesThenOnce() throws {
        let receiver = try CallbackReceiver(secret: "dkcb_test_secret", failFirst: 2)
        let (db, deliveryID) = try setUp(receiver: receiver)
        let sender = CallbackSender(
            pool: db.pool(), logger: Logger(service: "t", sink: .capturing()), metrics: MetricsRegistry())
        #expect(try callbackJob(db, attempt: 1).maxAttempts == PortalEvents.maximumAttempts)
        for attempt: Int16 in 1...2 {
            let failure = #expect(throws: JobError.self) { try sender.handle(try callbackJob(db, attempt: attempt)) }
            #expect(failure?.kind == .retryable)
            #expect(failure?.code == "500")
        }
        try sender.handle(try callbackJob(db, attempt: 3))
        try sender.handle(try callbackJob(db, attempt: 4))  // a repeated run after success sends nothing
        let log = receiver.log
        #expect(log.map(\.status) == [500, 500, 200])
        #expect(log.allSatisfy { $0.signatureValid })
        #expect(Set(log.map(\.eventID)).count == 1, "the same event id on every retry")
        #expect(log.map(\.body).allSatisfy { $0 == log[0].body }, "the same bytes on every retry")
        struct Event: Decodable { var id: String; var type: String; var data: DeliveryView }
        let event = try JSONDecoder.iso.decode(Event.self, from: Data(log[0].body))
        #expect(event.type == "delivery.status_changed")
        #expect(event.id == log[0].eventID)
        #expect(event.data.id.uuid == deliveryID)
        #expect(event.data.status == "in_progress")
        let stored = try #require(
            try db.connect().query("SELECT attempts, last_status, delivered_at IS NOT NULL FROM portal_events").first)
        #expect(try stored.decode(Int.self, at: 0) == 3)
        #expect(try stored.decode(Bool.self, at: 2))
    }

    @Test(
        "a secret changeover: both signatures during the overlap, so the portal verifies with the old or the new secret; only the new one after the overlap or its end"
    )
    func secretChangeover() throws {
        let receiver = try CallbackReceiver(secret: "dkcb_old", failFirst: 0)
        let (db, _) = try setUp(receiver: receiver)
        let connection = try db.connect()
        let sender = CallbackSender(
            pool: db.pool(), logger: Logger(service: "t", sink: .capturing()), metrics: MetricsRegistry())
        let department = try #require(try connection.query("SELECT code FROM departments").first).decode(
            String.self, at: 0)
        let new = try #require(try CallbackSecrets.rotate(department: department, overlapHours: 72, on: connection))
        #expect(new.hasPrefix("dkcb_") && new != "dkcb_old")
        #expect(try CallbackSecrets.rotate(department: "NO-SUCH", overlapHours: 72, on: connection) == nil)

        try sender.handle(try callbackJob(db, attempt: 1))
        let during = try #require(receiver.log.last)
        #expect(during.status == 200, "the portal still verifying with the old secret accepts it")
        #expect(during.signature.components(separatedBy: ",v1=").count == 3, "t=…,v1=<new>,v1=<old>")
        let now = Int(Date().timeIntervalSince1970)
        #expect(CallbackSignature.verify(header: during.signature, body: during.body, secret: new, now: now))

        // The overlap over (its time passed): the old secret no longer signs, so the old verifier refuses.
        func redeliver() throws -> JobError? {
            try connection.query("UPDATE portal_events SET delivered_at = NULL")
            return #expect(throws: JobError.self) { try sender.handle(try callbackJob(db, attempt: 1)) }
        }
        try connection.query(
            "UPDATE departments SET callback_secret_previous_until = now() - interval '1 second' WHERE code = $1",
            [department])
        #expect(try redeliver()?.code == "401")
        let after = try #require(receiver.log.last)
        #expect(after.signature.components(separatedBy: ",v1=").count == 2)
        #expect(CallbackSignature.verify(header: after.signature, body: after.body, secret: new, now: now))

        // Rotated again and the overlap ended by hand (a leaked secret): one signature, the newest.
        let newest = try #require(try CallbackSecrets.rotate(department: department, overlapHours: 1, on: connection))
        #expect(try CallbackSecrets.endOverlap(department: department, on: connection))
        _ = try redeliver()
        let ended = try #require(receiver.log.last)
        #expect(ended.signature.components(separatedBy: ",v1=").count == 2)
        #expect(CallbackSignature.verify(header: ended.signature, body: ended.body, secret: newest, now: now))
        #expect(!CallbackSignature.verify(header: ended.signature, body: ended.body, secret: new, now: now))
    }

    @Test("the signature covers timestamp and body; a tampered body or an old timestamp is refused")
    func signatures() {
        let body = Array(#"{"id":"e1"}"#.utf8)
        let now = 1_800_000_000
        let header = CallbackSignature.sign(body: body, secret: "s3cret", timestamp: now)
        #expect(CallbackSignature.verify(header: header, body: body, secret: "s3cret", now: now + 10))
        #expect(!CallbackSignature.verify(header: header, body: body + [0x20], secret: "s3cret", now: now))
        #expect(!CallbackSignature.verify(header: header, body: body, secret: "other", now: now))
        #expect(
            !CallbackSignature.verify(header: header, body: body, secret: "s3cret", now: now + 301),
            "a replay after the tolerance is refused")
        #expect(!CallbackSignature.verify(header: nil, body: body, secret: "s3cret", now: now))
    }

    @Test("a later status change is another event: the permanent email failure reaches the portal as needs_attention")
    func needsAttentionEvent() throws {
        let receiver = try CallbackReceiver(secret: "k", failFirst: 0)
        let (db, _) = try setUp(receiver: receiver)
        let connection = try db.connect()
        let attemptID = try #require(
            try connection.query("SELECT id FROM channel_attempts WHERE channel = 'email'").first
        ).decode(Int64.self, at: 0)
        try connection.query(
            "UPDATE channel_attempts SET state = 'failed', failure_kind = 'permanent', error_code = 'smtp_550' WHERE id = $1",
            [attemptID])
        #expect(
            try DeliveryRouter.reconcile(attemptID: attemptID, queue: JobQueue(), on: connection) == "needs_attention")
        let types = try connection.query("SELECT body::jsonb->'data'->>'status' FROM portal_events ORDER BY created_at")
            .rows.map { try $0.decode(String.self, at: 0) }
        #expect(types == ["in_progress", "needs_attention"])
        #expect(
            try connection.query("SELECT count(*) FROM jobs WHERE queue = 'portal'").first?.decode(Int.self, at: 0) == 2
        )
        // Settling again with nothing new records no event.
        _ = try DeliveryRouter.reconcile(attemptID: attemptID, queue: JobQueue(), on: connection)
        #expect(try connection.query("SELECT count(*) FROM portal_events").first?.decode(Int.self, at: 0) == 2)
    }

    @Test("channel progress reaches the portal: sent, then delivered, then read are each an event")
    func channelProgressEvents() throws {
        let receiver = try CallbackReceiver(secret: "k", failFirst: 0)
        let db = try TestDatabase()
        let connection = try db.connect()
        let id = try seedDelivery(
            on: connection, requested: [.whatsapp], callbackURL: receiver.url, callbackSecret: "k")
        try DeliveryRouter.route(deliveryID: id, queue: JobQueue(), on: connection)
        let attemptID = try #require(
            try connection.query("SELECT id FROM channel_attempts WHERE channel = 'whatsapp'").first
        ).decode(Int64.self, at: 0)
        for state in ["sent", "delivered", "read"] {
            try connection.query("UPDATE channel_attempts SET state = $2 WHERE id = $1", [attemptID, state])
            _ = try DeliveryRouter.reconcile(attemptID: attemptID, queue: JobQueue(), on: connection)
        }
        let states = try connection.query(
            """
            SELECT (SELECT c->>'state' FROM jsonb_array_elements(body::jsonb->'data'->'channels') c WHERE c->>'channel' = 'whatsapp')
            FROM portal_events ORDER BY created_at, id
            """
        ).rows.map { try $0.decode(String.self, at: 0) }
        #expect(states == ["queued", "sent", "delivered", "read"])
    }
}
