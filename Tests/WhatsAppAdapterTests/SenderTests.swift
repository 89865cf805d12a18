import Cryptography
import Delivery
import Dispatcher
import Foundation
import HTTPClient
import HTTPServer
import JobContracts
import JobQueue
import Postgres
import Texts
import ServiceRuntime
import TestSupport
import Testing
@testable import WhatsAppAdapter
@testable import WhatsAppCloudSimulator

/// A pending WhatsApp attempt, the simulator on a real socket, and the adapter's sender.
final class WhatsAppFixture: @unchecked Sendable {
    let db: TestDatabase
    let simulator: Simulator
    let server: Server
    let deliveryID: UUID
    static let pdf = Array("%PDF-1.5\n".utf8) + (0..<20_000).map { UInt8(($0 * 13) % 256) }

    init(
        mobile: String = "+919800000001", notOnWhatsApp: Set<String> = [], withPDF: Bool = true, mps: Double = 80,
        faults: (inout SimulatorConfiguration) -> Void = { _ in }
    ) throws {
        db = try TestDatabase()
        var configuration = SimulatorConfiguration()
        faults(&configuration)
        configuration.notOnWhatsApp = notOnWhatsApp
        configuration.messagesPerSecond = mps
        simulator = Simulator(configuration: configuration)
        server = Server(
            configuration: ServerConfiguration(port: 0, threads: 4),
            router: SimulatorAPI(simulator: simulator).makeRouter(),
            logger: Logger(service: "sim", sink: .capturing()), metrics: MetricsRegistry())
        try server.start()
        let connection = try db.connect()
        deliveryID = try seedDelivery(on: connection, mobile: mobile, requested: [.whatsapp])
        if withPDF {
            try connection.query(
                """
                WITH d AS (INSERT INTO documents (sha256, media_type, file_name, size, content) VALUES ($1, 'application/pdf', 'income-certificate.pdf', $2, $3) RETURNING id)
                UPDATE deliveries SET document_id = (SELECT id FROM d)
                """, [PostgresBytes(SHA256.hash(Self.pdf)), Self.pdf.count, PostgresBytes(Self.pdf)])
        }
        try DeliveryRouter.route(deliveryID: deliveryID, queue: JobQueue(), on: connection)
    }

    deinit { server.stop() }

    func sender(
        token: String = "dev-token", previousToken: String? = nil, graphURL: String? = nil,
        testGraphURL: String?? = nil, metrics: MetricsRegistry = MetricsRegistry(), pairBurst: Double = 3,
        messagingLimit: Int? = nil
    ) -> WhatsAppSender {
        let base = "http://127.0.0.1:\(server.port)"
        var settings = WhatsAppSettings(
            graphURL: graphURL ?? base, version: "v23.0", phoneNumberID: "100000000000001", accessToken: token,
            appSecret: "dev-app-secret", verifyToken: "v", previousAccessToken: previousToken,
            testGraphURL: testGraphURL ?? base)
        settings.pairBurst = pairBurst
        settings.messagingLimit = messagingLimit
        return WhatsAppSender(
            pool: db.pool(), queue: JobQueue(), settings: settings,
            logger: Logger(service: "whatsapp-adapter", sink: .capturing()),
            metrics: metrics)
    }

    func job(attempt: Int16 = 1) throws -> ClaimedJob {
        let row = try #require(
            try db.connect().query(
                "SELECT id, payload FROM jobs WHERE queue = 'whatsapp' AND kind = 'channel.send' ORDER BY id LIMIT 1"
            ).first)
        return ClaimedJob(
            id: try row.decode(Int64.self, at: 0), queue: "whatsapp", kind: "channel.send", attempt: attempt,
            maxAttempts: 20,
            payload: try row.decode(PostgresJSON.self, at: 1))
    }

    func attempt() throws -> (id: Int64, state: String, provider: String?, code: String?) {
        let row = try #require(
            try db.connect().query(
                "SELECT id, state, provider_message_id, error_code FROM channel_attempts WHERE channel = 'whatsapp'"
            ).first)
        return (
            try row.decode(Int64.self, at: 0), try row.decode(String.self, at: 1), try row.decode(String?.self, at: 2),
            try row.decode(String?.self, at: 3)
        )
    }
}

@Suite("WhatsApp adapter sending", .serialized)
struct SenderTests {
    @Test("a certificate goes out as the certificate template with the uploaded PDF as its document header, once")
    func certificateTemplate() throws {
        let fixture = try WhatsAppFixture()
        let sender = fixture.sender()
        try sender.handle(try fixture.job())
        try sender.handle(try fixture.job())  // a repeated run sends nothing more
        let sent = fixture.simulator.acceptedMessages
        #expect(sent.count == 1)
        let message = try #require(sent.first)
        #expect(message.type == "template")
        #expect(message.to == "919800000001")
        struct Body: Decodable {
            struct Template: Decodable {
                struct Language: Decodable { var code: String }
                struct Component: Decodable {
                    struct Parameter: Decodable {
                        struct Document: Decodable { var id: String; var filename: String }; var type: String;
                        var text: String?; var document: Document?
                    }
                    var type: String; var parameters: [Parameter]
                }
                var name: String; var language: Language; var components: [Component]
            }
            var to: String; var biz_opaque_callback_data: String; var template: Template
        }
        let body = try JSONDecoder().decode(Body.self, from: Data(message.body.utf8))
        #expect(body.to == "+919800000001", "always +E.164")
        #expect(body.template.name == "dakiya_certificate_issued")
        #expect(body.template.language.code == "mr")
        let attempt = try fixture.attempt()
        #expect(body.biz_opaque_callback_data == "attempt:\(attempt.id)")
        let header = try #require(body.template.components.first { $0.type == "header" }?.parameters.first?.document)
        #expect(header.filename == "income-certificate.pdf")
        #expect(fixture.simulator.media(header.id)?.bytes == WhatsAppFixture.pdf, "the media bytes equal the PDF")
        #expect(
            body.template.components.first { $0.type == "body" }?.parameters.compactMap(\.text) == ["A1", "INCOME"])
        #expect(attempt.state == "sending")
        #expect(attempt.provider == message.id, "the wamid is kept to match status webhooks")
    }

    @Test("an Urdu outcome goes out as the Urdu template, with the service's Urdu name: a language added as data")
    func urduTemplate() throws {
        let fixture = try WhatsAppFixture()
        let connection = try fixture.db.connect()
        try connection.query(
            "INSERT INTO services (code, department, name_en) VALUES ('INCOME', 'REV', 'Income certificate')")
        try connection.query("INSERT INTO service_names VALUES ('INCOME', 'ur', 'آمدنی کا سرٹیفکیٹ')")
        try connection.query("UPDATE deliveries SET language = 'ur' WHERE id = $1", [fixture.deliveryID])
        try fixture.sender().handle(try fixture.job())
        let message = try #require(
            fixture.simulator.acceptedMessages.first, "Meta's stand-in accepted the Urdu template")
        struct Body: Decodable {
            struct Template: Decodable {
                struct Language: Decodable { var code: String }
                struct Component: Decodable {
                    struct Parameter: Decodable { var text: String? }
                    var type: String; var parameters: [Parameter]
                }
                var name: String; var language: Language; var components: [Component]
            }
            var template: Template
        }
        let body = try JSONDecoder().decode(Body.self, from: Data(message.body.utf8))
        #expect(body.template.language.code == "ur")
        #expect(body.template.name == "dakiya_certificate_issued")
        #expect(
            body.template.components.first { $0.type == "body" }?.parameters.compactMap(\.text) == [
                "A1", "آمدنی کا سرٹیفکیٹ",
            ])
    }

    @Test(
        "a batch of sends: one claim for all, the messages out at once, each job's own outcome (sent, refused for good, pair-limited), and a repeat sends nothing more"
    )
    func batch() throws {
        let fixture = try WhatsAppFixture(notOnWhatsApp: ["919800000002"])
        let connection = try fixture.db.connect()
        // Three more outcomes for the same citizen (four in all: the pair limit lets three through at once) and one for a
        // citizen who is not on WhatsApp.
        _ = try Citizens.put(
            portalUserID: "u2", mobile: "+919800000002", email: nil, language: .hi,
            consents: [Consent(channel: .whatsapp, granted: true, source: "portal", recordedAt: Date())], on: connection
        )
        try connection.query(
            "INSERT INTO applications (portal_application_id, department, service_code, office_code, citizen_id) SELECT 'A2', 'REV', 'INCOME', 'HAVELI', id FROM citizens WHERE portal_user_id = 'u2'"
        )
        for application in ["A1", "A1", "A1", "A2"] {
            let id = UUID()
            try connection.query(
                """
                INSERT INTO deliveries (id, application_id, api_key_id, is_test, decision, language, requested_channels)
                SELECT $1, a.id, d.api_key_id, true, 'approved', 'mr', '{whatsapp}' FROM applications a, deliveries d WHERE a.portal_application_id = $2 LIMIT 1
                """, [id, application])
            try DeliveryRouter.route(deliveryID: id, queue: JobQueue(), on: connection)
        }
        let jobs = try connection.query(
            "SELECT id, payload FROM jobs WHERE queue = 'whatsapp' AND kind = 'channel.send' ORDER BY id"
        ).rows.map {
            ClaimedJob(
                id: try $0.decode(Int64.self, at: 0), queue: "whatsapp", kind: "channel.send", attempt: 1,
                maxAttempts: 20, payload: try $0.decode(PostgresJSON.self, at: 1))
        }
        #expect(jobs.count == 5)
        let metrics = MetricsRegistry()
        let sender = fixture.sender(metrics: metrics)
        let failures = try sender.handle(jobs)
        #expect(Array(failures.keys) == [jobs[3].id], "only the fourth message to the same citizen waits")
        guard case .snooze = (failures[jobs[3].id] as? JobError)?.kind else {
            Issue.record("the pair limit snoozes"); return
        }
        let sent = fixture.simulator.acceptedMessages
        #expect(sent.count == 3)
        let attempts = try connection.query(
            """
            SELECT ca.state, ca.provider_message_id, ca.error_code FROM channel_attempts ca JOIN jobs j ON (j.payload->>'attempt_id')::bigint = ca.id
            WHERE j.queue = 'whatsapp' ORDER BY j.id
            """
        ).rows.map {
            (try $0.decode(String.self, at: 0), try $0.decode(String?.self, at: 1), try $0.decode(String?.self, at: 2))
        }
        #expect(attempts.map(\.0) == ["sending", "sending", "sending", "sending", "failed"])
        #expect(
            Set(attempts.prefix(3).compactMap(\.1)) == Set(sent.map(\.id)),
            "each accepted message's wamid is kept on its attempt")
        #expect(attempts[3].1 == nil, "the pair-limited one was not handed over")
        #expect(attempts[4].2 == "131026", "not on WhatsApp: failed for good, for the dispatcher's fallback")
        // By channel and error class: three accepted, one refused; our own pacing is not an outcome.
        let text = metrics.exposition()
        #expect(
            text.contains(
                #"dakiya_channel_outcomes_total{channel="whatsapp",error_class="none",outcome="accepted"} 3"#),
            "\(text)")
        #expect(
            text.contains(
                #"dakiya_channel_outcomes_total{channel="whatsapp",error_class="refused",outcome="failed"} 1"#))

        let again = try sender.handle(jobs)
        #expect(Array(again.keys) == [jobs[3].id])
        #expect(fixture.simulator.acceptedMessages.count == 3, "a repeated batch sends nothing more")
    }

    @Test(
        "a department with its own sender number sends from it (media uploaded there too); replies leave from the number the citizen wrote to"
    )
    func senderNumbers() throws {
        let fixture = try WhatsAppFixture { $0.phoneNumberIDs = ["100000000000001", "100000000000002"] }
        let base = "http://127.0.0.1:\(fixture.server.port)"
        var settings = try WhatsAppSettings.load(
            Settings(environment: [
                "DAKIYA_WHATSAPP_GRAPH_URL": base,
                "DAKIYA_WHATSAPP_SENDERS": "REV=100000000000002, RDD=100000000000003",
                "DAKIYA_WHATSAPP_MPS_100000000000002": "200",
            ]))
        settings.testGraphURL = base
        #expect(settings.phoneNumberIDs == ["100000000000001", "100000000000002", "100000000000003"])
        #expect(settings.numberRates["100000000000002"] == 200 && settings.numberRates["100000000000003"] == 80)
        let sender = WhatsAppSender(
            pool: fixture.db.pool(), queue: JobQueue(), settings: settings,
            logger: Logger(service: "t", sink: .capturing()), metrics: MetricsRegistry())
        try sender.handle(try fixture.job())
        let message = try #require(fixture.simulator.acceptedMessages.first)
        #expect(message.phoneNumberID == "100000000000002", "REV's own number")
        let mediaOwner = try fixture.db.connect().query("SELECT phone_number_id FROM whatsapp_media").first?.decode(
            String.self, at: 0)
        #expect(mediaOwner == "100000000000002", "media ids belong to the number that uploaded them")
        fixture.simulator.recordInbound(from: "+919800000001")
        let reply = try PostgresJSON(
            encoding: ConversationReply(to: "+919800000001", text: "hello", from: "100000000000002"))
        try sender.reply(
            ClaimedJob(
                id: 1, queue: "whatsapp", kind: Jobs.conversationReply.kind, attempt: 1, maxAttempts: 5, payload: reply)
        )
        #expect(fixture.simulator.acceptedMessages.last?.phoneNumberID == "100000000000002")
        #expect(throws: SettingError.self) {
            try WhatsAppSettings.load(Settings(environment: ["DAKIYA_WHATSAPP_SENDERS": "REV:100"]))
        }
    }

    @Test(
        "conversation replies and certificate re-sends take the citizen's pair tokens: past the burst, the next is put off here (a re-send wholly) instead of meeting Meta's 131056"
    )
    func repliesKeepThePairLimit() throws {
        let fixture = try WhatsAppFixture()
        fixture.simulator.recordInbound(from: "+919800000001")
        let sender = fixture.sender(pairBurst: 3)
        func reply(_ index: Int) throws {
            try sender.reply(
                ClaimedJob(
                    id: Int64(index), queue: "whatsapp", kind: Jobs.conversationReply.kind, attempt: 1, maxAttempts: 5,
                    payload: try PostgresJSON(encoding: ConversationReply(to: "+919800000001", text: "turn \(index)"))))
        }
        for index in 1...3 { try reply(index) }
        #expect(throws: JobError.self, "the fourth waits for the pair limit") { try reply(4) }
        // A certificate re-sent takes its token (one per document: the certificate, and a sealed one's slip) first.
        let resend = ClaimedJob(
            id: 10, queue: "whatsapp", kind: Jobs.certificateResend.kind, attempt: 1, maxAttempts: 5,
            payload: try PostgresJSON(encoding: CertificateResend(to: "+919800000001", deliveryID: fixture.deliveryID)))
        #expect(throws: JobError.self, "the re-send waits too") { try sender.resend(resend) }
        #expect(fixture.simulator.acceptedMessages.count == 3, "nothing else went")
        #expect(fixture.simulator.rateLimited(131056) == 0, "Meta never had to refuse one")
    }

    @Test("a test key's delivery with no test endpoint sends nothing and settles: the attempt is skipped, saying why")
    func testKeyWithoutTestEndpoint() throws {
        let fixture = try WhatsAppFixture()
        try fixture.sender(testGraphURL: .some(nil)).handle(try fixture.job())
        #expect(fixture.simulator.acceptedMessages.isEmpty)
        let attempt = try fixture.attempt()
        #expect(attempt.state == "skipped")
        #expect(attempt.code == "test_key_no_test_endpoint")
        let status = try DeliveryRouter.reconcile(attemptID: attempt.id, queue: JobQueue(), on: fixture.db.connect())
        #expect(status != "in_progress" && status != "pending", "the delivery ends: \(status)")
    }

    @Test(
        "a media id is kept per Graph endpoint: a document uploaded to the test endpoint is uploaded again to the live one"
    )
    func mediaPerEndpoint() throws {
        let fixture = try WhatsAppFixture()
        let connection = try fixture.db.connect()
        let base = "http://127.0.0.1:\(fixture.server.port)"
        let documentID = try #require(
            try connection.query("SELECT document_id FROM deliveries").first?.decode(Int64.self, at: 0))
        let viaTest = try fixture.sender().mediaID(for: documentID, from: "100000000000001", base: base, on: connection)
        // The same simulator under another address stands for the live endpoint.
        let live = "http://localhost:\(fixture.server.port)"
        let viaLive = try fixture.sender(graphURL: live).mediaID(
            for: documentID, from: "100000000000001", base: live, on: connection)
        #expect(viaTest != viaLive, "uploaded again to the other endpoint")
        #expect(try connection.query("SELECT count(*) FROM whatsapp_media").first?.decode(Int.self, at: 0) == 2)
        #expect(
            try fixture.sender().mediaID(for: documentID, from: "100000000000001", base: base, on: connection)
                == viaTest, "cached per endpoint")
    }

    @Test("a number not on WhatsApp (131026) fails the attempt for good, and the dispatcher falls back to email")
    func notOnWhatsApp() throws {
        let fixture = try WhatsAppFixture(notOnWhatsApp: ["919800000001"])
        try fixture.sender().handle(try fixture.job())
        let attempt = try fixture.attempt()
        #expect(attempt.state == "failed")
        #expect(attempt.code == "131026")
        let connection = try fixture.db.connect()
        #expect(try DeliveryRouter.reconcile(attemptID: attempt.id, queue: JobQueue(), on: connection) == "in_progress")
        #expect(
            try connection.query("SELECT state FROM channel_attempts WHERE channel = 'email'").first?.decode(
                String.self, at: 0) == "queued")
    }

    @Test(
        "the portfolio's messaging limit reached: an outcome to a new citizen is not sent on WhatsApp but falls back to email; places older than 24 hours are free again"
    )
    func messagingLimit() throws {
        let fixture = try WhatsAppFixture()
        let connection = try fixture.db.connect()
        // A live delivery (a test key's goes to the test endpoint and counts for nothing), and 250 other citizens
        // reached in the last 24 hours: the portfolio's 250 are used up.
        try connection.query("UPDATE deliveries SET is_test = false")
        try connection.query(
            """
            INSERT INTO whatsapp_reach (wa_id, reached_at)
            SELECT '9197000' || lpad(i::text, 5, '0'), now() - interval '23 hours' + i * interval '1 second'
            FROM generate_series(1, 250) i
            """)
        let metrics = MetricsRegistry()
        try fixture.sender(metrics: metrics, messagingLimit: 250).handle(try fixture.job())
        let attempt = try fixture.attempt()
        #expect(attempt.state == "failed")
        #expect(attempt.code == "messaging_limit")
        #expect(fixture.simulator.acceptedMessages.isEmpty, "nothing went to Meta")
        #expect(metrics.exposition().contains("dakiya_whatsapp_messaging_limit_refused_total 1"))
        #expect(try DeliveryRouter.reconcile(attemptID: attempt.id, queue: JobQueue(), on: connection) == "in_progress")
        #expect(
            try connection.query("SELECT state FROM channel_attempts WHERE channel = 'email'").first?.decode(
                String.self, at: 0) == "queued")

        // The same statement with the first ten places past 24 hours: ten new citizens fit, in order; an eleventh
        // does not; one already reached is always allowed and costs nothing.
        try connection.query(
            "UPDATE whatsapp_reach SET reached_at = now() - interval '25 hours' WHERE wa_id <= '919700000010'")
        let asked = (1...11).map { "9196000000\(String(format: "%02d", $0))" } + ["919700000200"]
        let refused = try #require(
            try connection.query("SELECT whatsapp_reach_take($1, 250)", [asked]).first?.decode([String].self, at: 0))
        #expect(refused == ["919600000011"])
        #expect(
            try connection.query("SELECT count(*) FROM whatsapp_reach WHERE reached_at > now() - interval '24 hours'")
                .first?.decode(Int64.self, at: 0) == 250)
        #expect(
            try connection.query("SELECT count(*) FROM whatsapp_reach").first?.decode(Int64.self, at: 0) == 250,
            "the places past 24 hours were deleted")
    }

    @Test("an expired token (190) pauses sending without losing the message; it goes out once the token is fixed")
    func expiredToken() throws {
        let fixture = try WhatsAppFixture()
        let paused = #expect(throws: JobError.self) { try fixture.sender(token: "expired").handle(try fixture.job()) }
        #expect(paused?.kind == .snooze(.seconds(60)))
        #expect(fixture.simulator.acceptedMessages.isEmpty)
        #expect(try fixture.attempt().state == "sending")
        try fixture.sender().handle(try fixture.job(attempt: 1))
        #expect(fixture.simulator.acceptedMessages.count == 1)
    }

    @Test(
        "a token changeover: when Meta refuses the new token (190) the previous one is used at once; with both refused, sending pauses"
    )
    func tokenChangeover() throws {
        let fixture = try WhatsAppFixture()
        // The same message tried four times within a second: every try takes the citizen's pair token (shared by
        // every sender, in the database), so the senders here allow a burst of that size.
        // Both refused: one quick retry with the previous token, then sending pauses as for any bad token.
        let bothRefused = fixture.sender(token: "new", previousToken: "revoked", pairBurst: 6)
        let first = #expect(throws: JobError.self) { try bothRefused.handle(try fixture.job()) }
        #expect(first?.kind == .snooze(.milliseconds(100)))
        let second = #expect(throws: JobError.self) { try bothRefused.handle(try fixture.job(attempt: 1)) }
        #expect(second?.kind == .snooze(.seconds(60)), "the previous token refused too: an operator must act")
        #expect(fixture.simulator.acceptedMessages.isEmpty)

        // The simulator still knows only the old token (dev-token): the new one is not in force yet.
        let sender = fixture.sender(token: "new-token-not-yet-valid", previousToken: "dev-token", pairBurst: 6)
        let retried = #expect(throws: JobError.self) { try sender.handle(try fixture.job(attempt: 1)) }
        #expect(retried?.kind == .snooze(.milliseconds(100)), "tried again at once, not paused for a minute")
        try sender.handle(try fixture.job(attempt: 1))
        #expect(fixture.simulator.acceptedMessages.count == 1, "sent with the previous token")
        #expect(try fixture.attempt().state == "sending")
    }

    @Test("throughput limits (130429) snooze the job without spending an attempt")
    func throughput() throws {
        let fixture = try WhatsAppFixture(withPDF: false, mps: 1)
        _ = try fixture.simulator.send(
            phoneNumberID: "100000000000001",
            body: Array(
                #"{"messaging_product": "whatsapp", "to": "+919811111111", "type": "template", "template": {"name": "dakiya_outcome_approved", "language": {"code": "en"}, "components": [{"type": "body", "parameters": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}]}}"#
                    .utf8))
        let limited = #expect(throws: JobError.self) { try fixture.sender().handle(try fixture.job()) }
        #expect(limited?.kind == .snooze(.seconds(2)))
    }

    @Test("transport faults are retryable and lose nothing: a 500, a dropped connection, a slow answer")
    func faults() throws {
        let failing = try WhatsAppFixture(withPDF: false) { $0.errorRate = 1 }
        let error = #expect(throws: JobError.self) { try failing.sender().handle(try failing.job()) }
        #expect(error?.kind == .retryable)
        #expect(error?.code == "131000")
        #expect(try failing.attempt().state == "sending")

        let dropping = try WhatsAppFixture(withPDF: false) { $0.dropRate = 1 }
        let dropped = #expect(throws: JobError.self) { try dropping.sender().handle(try dropping.job()) }
        #expect(dropped?.kind == .retryable)
        #expect(dropping.simulator.acceptedMessages.isEmpty)

        let slow = try WhatsAppFixture(withPDF: false) { $0.latency = 0.3 }
        let started = ContinuousClock.now
        try slow.sender().handle(try slow.job())
        #expect(ContinuousClock.now - started >= .milliseconds(300))
        #expect(slow.simulator.acceptedMessages.count == 1)
    }

    @Test("one mapping from Graph and transport errors to job outcomes serves sends, replies and re-sends")
    func errorMapping() throws {
        let fixture = try WhatsAppFixture(withPDF: false)
        let sender = fixture.sender()
        func kind(_ error: any Error) -> JobError.Kind? { (sender.jobError(for: error, attempt: 2) as? JobError)?.kind }
        #expect(kind(GraphAPIError(code: 130429, message: "", httpStatus: 400)) == .snooze(.seconds(2)))
        #expect(sender.pacer.sender.take() != nil, "a throughput answer drains the sender's bucket")
        #expect(
            kind(GraphAPIError(code: 131056, message: "", httpStatus: 400)) == .snooze(.seconds(16)),
            "4^attempt seconds for the pair limit")
        #expect(kind(GraphAPIError(code: 190, message: "", httpStatus: 401)) == .snooze(.seconds(60)))
        #expect(kind(GraphAPIError(code: 131026, message: "", httpStatus: 400)) == .permanent)
        #expect(kind(GraphAPIError(code: 131000, message: "", httpStatus: 500)) == .retryable)
        #expect(kind(HTTPClientError(code: .couldNotConnect, curlCode: 7, message: "")) == .retryable)
    }

    @Test("template parameters are cleaned of line breaks, tabs, long space runs and emptiness")
    func cleaning() {
        #expect(WhatsAppSender.cleanParameter("Income\nproof\tmissing") == "Income proof missing")
        #expect(WhatsAppSender.cleanParameter("a          b") == "a    b")
        #expect(WhatsAppSender.cleanParameter("  \n ") == "-")
    }
}
