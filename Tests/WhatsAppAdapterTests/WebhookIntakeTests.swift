import Appeals
import Cryptography
import Delivery
import Dispatcher
import Foundation
import HTTPClient
import HTTPServer
import JobContracts
import JobQueue
import Postgres
import ServiceRuntime
import TestSupport
import Testing
import WhatsAppGraph
@testable import WhatsAppAdapter
@testable import WhatsAppCloudSimulator

@Suite("WhatsApp webhook intake", .serialized)
struct WebhookIntakeTests {
    final class Intake: @unchecked Sendable {
        let fixture: WhatsAppFixture
        let webhooks: WhatsAppWebhooks
        let metrics = MetricsRegistry()
        let server: Server
        var url: String { "http://127.0.0.1:\(server.port)/webhooks/whatsapp" }

        init(changeover: Bool = false) throws {
            fixture = try WhatsAppFixture(withPDF: false)
            var settings = fixture.sender().settings
            if changeover {  // the app secret and verify token were reset at Meta: the new ones are current
                settings.previousAppSecret = settings.appSecret
                settings.appSecret = "new-app-secret"
                settings.previousVerifyToken = settings.verifyToken
                settings.verifyToken = "new-verify-token"
            }
            webhooks = WhatsAppWebhooks(
                pool: fixture.db.pool(), queue: JobQueue(), settings: settings,
                logger: Logger(service: "t", sink: .capturing()), metrics: metrics)
            server = Server(
                configuration: ServerConfiguration(port: 0, threads: 2), router: webhooks.routes(),
                logger: Logger(service: "t", sink: .capturing()),
                metrics: MetricsRegistry())
            try server.start()
        }

        deinit { server.stop() }

        func post(_ body: String, secret: String? = "dev-app-secret") throws -> Int {
            var headers: [(String, String)] = []
            if let secret {
                headers.append(
                    (
                        "X-Hub-Signature-256",
                        "sha256=" + Hex.encode(HMAC.sha256(key: Array(secret.utf8), message: Array(body.utf8)))
                    ))
            }
            return try HTTPClient().send(.json("POST", url, body: body, headers: headers)).status
        }

        /// Runs every pending webhook.process job, as the worker would.
        func processAll() throws {
            let connection = try fixture.db.connect()
            for row in try connection.query("SELECT id, payload FROM jobs WHERE kind = 'webhook.process' ORDER BY id")
                .rows
            {
                try webhooks.process(
                    ClaimedJob(
                        id: try row.decode(Int64.self, at: 0), queue: "whatsapp", kind: "webhook.process", attempt: 1,
                        maxAttempts: 20,
                        payload: try row.decode(PostgresJSON.self, at: 1)))
                try connection.query("DELETE FROM jobs WHERE id = $1", [try row.decode(Int64.self, at: 0)])
            }
        }
    }

    static func statuses(_ items: [(String, String)], attempt: Int64?, code: Int? = nil) -> String {
        let objects = items.map { wamid, status in
            var object =
                #"{"id": "\#(wamid)", "status": "\#(status)", "timestamp": "1800000000", "recipient_id": "919800000001""#
            if let attempt { object += #", "biz_opaque_callback_data": "attempt:\#(attempt)""# }
            if status == "failed", let code {
                object += #", "errors": [{"code": \#(code), "title": "x", "message": "x"}]"#
            }
            return object + ", \"unknown_future_field\": {\"x\": 1}}"
        }
        return
            #"{"object": "whatsapp_business_account", "entry": [{"id": "200000000000001", "changes": [{"field": "messages", "value": {"messaging_product": "whatsapp", "metadata": {"phone_number_id": "100000000000001"}, "statuses": [\#(objects.joined(separator: ","))]}}, {"field": "account_alerts", "value": {}}]}]}"#
    }

    @Test("the handshake answers the challenge for the right verify token only")
    func handshake() throws {
        let intake = try Intake()
        let ok = try HTTPClient().send(
            HTTPClientRequest(url: intake.url + "?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=v"))
        #expect(ok.status == 200)
        #expect(ok.text == "1158201444")
        #expect(
            try HTTPClient().send(
                HTTPClientRequest(url: intake.url + "?hub.mode=subscribe&hub.challenge=1&hub.verify_token=wrong")
            ).status == 403)
    }

    @Test(
        "forged, missing and wrong-secret signatures are 401 and store nothing; a valid batch is stored with its job before the 200"
    )
    func signatures() throws {
        let intake = try Intake()
        let body = Self.statuses([("wamid.A", "sent")], attempt: nil)
        #expect(try intake.post(body, secret: nil) == 401)
        #expect(try intake.post(body, secret: "not-the-app-secret") == 401)
        var headers = [
            (
                "X-Hub-Signature-256",
                "sha256=" + Hex.encode(HMAC.sha256(key: Array("dev-app-secret".utf8), message: Array(body.utf8)))
            )
        ]
        let tampered = try HTTPClient().send(.json("POST", intake.url, body: body + " ", headers: headers))
        #expect(tampered.status == 401, "the signature covers the exact bytes")
        headers[0].1 = "sha256=zz"
        #expect(try HTTPClient().send(.json("POST", intake.url, body: body, headers: headers)).status == 401)
        let connection = try intake.fixture.db.connect()
        #expect(
            try connection.query("SELECT count(*) FROM whatsapp_webhook_batches").first?.decode(Int.self, at: 0) == 0)
        #expect(try intake.post(body) == 200)
        #expect(
            try connection.query("SELECT count(*) FROM whatsapp_webhook_batches").first?.decode(Int.self, at: 0) == 1)
        #expect(
            try connection.query("SELECT count(*) FROM jobs WHERE kind = 'webhook.process'").first?.decode(
                Int.self, at: 0) == 1)
    }

    @Test(
        "an app secret or verify token changeover: the new and the previous value are both accepted, nothing else is"
    )
    func secretChangeover() throws {
        let intake = try Intake(changeover: true)
        let body = Self.statuses([("wamid.R", "sent")], attempt: nil)
        #expect(try intake.post(body, secret: "new-app-secret") == 200)
        #expect(try intake.post(body, secret: "dev-app-secret") == 200, "signed by Meta before the reset")
        #expect(try intake.post(body, secret: "another-secret") == 401)
        let connection = try intake.fixture.db.connect()
        #expect(
            try connection.query("SELECT count(*) FROM whatsapp_webhook_batches").first?.decode(Int.self, at: 0) == 2)
        for (token, status) in [("new-verify-token", 200), ("v", 200), ("old", 403)] {
            #expect(
                try HTTPClient().send(
                    HTTPClientRequest(url: intake.url + "?hub.mode=subscribe&hub.challenge=7&hub.verify_token=\(token)")
                ).status == status)
        }
    }

    @Test(
        "after the retention period, processed webhook bodies and inbound messages are removed; an unprocessed batch and recent ones stay"
    )
    func retention() throws {
        let intake = try Intake()
        let connection = try intake.fixture.db.connect()
        for wamid in ["wamid.OLD-PROCESSED", "wamid.OLD-WAITING", "wamid.RECENT"] {
            #expect(try intake.post(Self.statuses([(wamid, "sent")], attempt: nil)) == 200)
        }
        try intake.processAll()
        try connection.query(
            """
            UPDATE whatsapp_webhook_batches SET received_at = now() - interval '91 days',
                processed_at = CASE WHEN body LIKE '%OLD-WAITING%' THEN NULL ELSE processed_at END
            WHERE body LIKE '%OLD-%'
            """)
        try connection.query(
            """
            INSERT INTO whatsapp_inbound_messages (wamid, from_number, type, message, received_at) VALUES
                ('wamid.IN-OLD', '919800000001', 'text', '{"text": {"body": "my application number"}}', now() - interval '91 days'),
                ('wamid.IN-NEW', '919800000001', 'text', '{"text": {"body": "status"}}', now() - interval '89 days')
            """)
        #expect(try WhatsAppRetention.purge(retentionDays: 90, on: connection) == 2)
        let batches = try connection.query("SELECT body FROM whatsapp_webhook_batches ORDER BY id").rows.map {
            try $0.decode(String.self, at: 0)
        }
        #expect(batches.count == 2)
        #expect(batches.contains { $0.contains("OLD-WAITING") }, "an unprocessed batch is kept whatever its age")
        #expect(batches.contains { $0.contains("RECENT") })
        #expect(
            try connection.query("SELECT wamid FROM whatsapp_inbound_messages").rows.map {
                try $0.decode(String.self, at: 0)
            } == ["wamid.IN-NEW"])
        #expect(try WhatsAppRetention.purge(retentionDays: 90, on: connection) == 0, "nothing more to remove")
    }

    @Test("the webhook lag, arrival to applied, is observed once per batch when its processing commits")
    func webhookLag() throws {
        let intake = try Intake()
        let connection = try intake.fixture.db.connect()
        #expect(try intake.post(Self.statuses([("wamid.L1", "sent")], attempt: nil)) == 200)
        #expect(try intake.post(Self.statuses([("wamid.L2", "sent")], attempt: nil)) == 200)
        // The first batch waited 3 s before a worker took it.
        try connection.query(
            "UPDATE whatsapp_webhook_batches SET received_at = received_at - interval '3 seconds' WHERE id = (SELECT min(id) FROM whatsapp_webhook_batches)"
        )
        try intake.processAll()
        let text = intake.metrics.exposition()
        #expect(text.contains("dakiya_whatsapp_webhook_lag_seconds_count 2\n"), "\(text)")
        #expect(text.contains(#"dakiya_whatsapp_webhook_lag_seconds_bucket{le="2.5"} 1"#), "\(text)")
        #expect(text.contains(#"dakiya_whatsapp_webhook_lag_seconds_bucket{le="5"} 2"#), "\(text)")
        // Processed again (a redelivered job), a batch is not observed twice.
        try connection.query(
            """
            INSERT INTO jobs (queue, kind, payload) SELECT 'whatsapp', 'webhook.process', jsonb_build_object('batch_id', min(id))
            FROM whatsapp_webhook_batches
            """)
        try intake.processAll()
        #expect(intake.metrics.exposition().contains("dakiya_whatsapp_webhook_lag_seconds_count 2\n"))
    }

    @Test("duplicates and reordering leave the right final state; a status that beats the send response is matched")
    func statusMerging() throws {
        let intake = try Intake()
        let attempt = try intake.fixture.attempt()
        #expect(attempt.provider == nil, "the send has not returned yet")
        // read arrives first, then delivered and sent, each twice, and a stray failed after read.
        #expect(try intake.post(Self.statuses([("wamid.X", "read")], attempt: attempt.id)) == 200)
        #expect(
            try intake.post(
                Self.statuses(
                    [("wamid.X", "delivered"), ("wamid.X", "sent"), ("wamid.X", "read")], attempt: attempt.id)) == 200)
        #expect(
            try intake.post(
                Self.statuses([("wamid.X", "sent"), ("wamid.X", "failed")], attempt: attempt.id, code: 131026)) == 200)
        try intake.processAll()
        let final = try intake.fixture.attempt()
        #expect(final.state == "read")
        #expect(final.provider == "wamid.X", "matched by the callback data, the wamid kept")
        // Only a status that moved the attempt is counted: the read, once. The repeats, the late delivered and sent,
        // and the failure after the citizen read it changed nothing ("sent" is the send's own count anyway).
        let text = intake.metrics.exposition()
        #expect(
            text.contains(#"dakiya_channel_outcomes_total{channel="whatsapp",error_class="none",outcome="read"} 1"#),
            "\(text)")
        for outcome in ["sent", "delivered", "failed"] { #expect(!text.contains(#"outcome="\#(outcome)""#), "\(text)") }
        let connection = try intake.fixture.db.connect()
        let times = try #require(
            try connection.query(
                """
                SELECT sent_at IS NOT NULL, delivered_at IS NOT NULL, read_at IS NOT NULL, failed_at IS NULL AND error_code IS NULL
                FROM channel_attempts WHERE id = $1
                """, [attempt.id]
            ).first)
        #expect(
            try times.decode(Bool.self, at: 0) && times.decode(Bool.self, at: 1) && times.decode(Bool.self, at: 2)
                && times.decode(Bool.self, at: 3))
        // The dispatcher heard of the one move, once.
        #expect(
            try connection.query("SELECT count(*) FROM jobs WHERE kind = 'attempts.moved'").first?.decode(
                Int.self, at: 0) == 1)
        #expect(try DeliveryRouter.reconcile(attemptID: attempt.id, queue: JobQueue(), on: connection) == "delivered")
    }

    @Test(
        "one webhook with statuses of several messages: matched by callback data or by wamid, an unknown wamid changes nothing, one job for the dispatcher"
    )
    func batchOfStatuses() throws {
        let intake = try Intake()
        let first = try intake.fixture.attempt()
        let connection = try intake.fixture.db.connect()
        let second = UUID()
        try connection.query(
            """
            INSERT INTO deliveries (id, application_id, is_test, decision, language, requested_channels)
            SELECT $1, application_id, true, 'approved', 'mr', ARRAY['whatsapp'] FROM deliveries WHERE id = $2
            """, [second, intake.fixture.deliveryID])
        try DeliveryRouter.route(deliveryID: second, queue: JobQueue(), on: connection)
        let secondAttempt = try #require(
            try connection.query(
                "SELECT id FROM channel_attempts WHERE delivery_id = $1 AND channel = 'whatsapp'", [second]
            ).first
        )
        .decode(Int64.self, at: 0)
        try connection.query(
            "UPDATE channel_attempts SET state = 'sending', provider_message_id = 'wamid.B' WHERE id = $1",
            [secondAttempt])
        let withData = Self.statuses([("wamid.A", "sent"), ("wamid.A", "delivered")], attempt: first.id)
        let withoutData = Self.statuses([("wamid.B", "read"), ("wamid.Z", "sent")], attempt: nil)
        // Both status lists in one change, as Meta batches them.
        func statusList(_ body: String) -> String {
            String(
                body[
                    body.range(of: "\"statuses\": [")!
                        .upperBound..<body.range(of: "]}}, {\"field\": \"account_alerts\"")!.lowerBound])
        }
        let combined = withData.replacingOccurrences(
            of: statusList(withData), with: statusList(withData) + "," + statusList(withoutData))
        #expect(try intake.post(combined) == 200)
        try intake.processAll()
        #expect(try intake.fixture.attempt().state == "delivered")
        let b = try #require(
            try connection.query(
                "SELECT state, sent_at IS NOT NULL AND delivered_at IS NOT NULL AND read_at IS NOT NULL FROM channel_attempts WHERE id = $1",
                [secondAttempt]
            ).first)
        #expect(
            try b.decode(String.self, at: 0) == "read" && b.decode(Bool.self, at: 1),
            "matched by its wamid; a read implies sent and delivered")
        #expect(
            try connection.query(
                "SELECT count(*) FROM channel_attempts WHERE provider_message_id = 'wamid.Z'"
            ).first?.decode(Int.self, at: 0) == 0, "the unknown wamid changed nothing")
        // The batch itself is kept whole, the unknown status in it.
        #expect(
            try connection.query("SELECT count(*) FROM whatsapp_webhook_batches WHERE body LIKE '%wamid.Z%'").first?
                .decode(Int.self, at: 0) == 1)
        let settled = try connection.query("SELECT payload->'attempt_ids' FROM jobs WHERE kind = 'attempts.moved'")
            .rows
        #expect(
            try settled.map { try $0.decode(String.self, at: 0) } == [
                "[\(min(first.id, secondAttempt)), \(max(first.id, secondAttempt))]"
            ])
    }

    @Test("an asynchronous failure (131026) fails the attempt permanently and tells the dispatcher")
    func asynchronousFailure() throws {
        let intake = try Intake()
        let attempt = try intake.fixture.attempt()
        #expect(
            try intake.post(
                Self.statuses([("wamid.F", "sent"), ("wamid.F", "failed")], attempt: attempt.id, code: 131026)) == 200)
        try intake.processAll()
        let failed = try intake.fixture.attempt()
        #expect(failed.state == "failed")
        #expect(failed.code == "131026")
        let connection = try intake.fixture.db.connect()
        #expect(
            try connection.query("SELECT failure_kind FROM channel_attempts WHERE id = $1", [attempt.id]).first?.decode(
                String.self, at: 0) == "permanent")
        let settled = try connection.query("SELECT payload->'attempt_ids' FROM jobs WHERE kind = 'attempts.moved'")
            .rows
        #expect(settled.count == 1, "one job for the batch")
        #expect(try settled.first?.decode(String.self, at: 0) == "[\(attempt.id)]")
    }

    @Test(
        "the dispatcher hears of a move only when it can change what it keeps: leaving sending, a failure, or any move where the portal takes callbacks"
    )
    func settleOnlyWhatMatters() throws {
        let intake = try Intake()
        let attempt = try intake.fixture.attempt()
        let connection = try intake.fixture.db.connect()
        // Live traffic: the transparency log records it (checked at the end).
        try connection.query("UPDATE deliveries SET is_test = false")
        func settleJobs() throws -> [String] {
            try connection.query("SELECT payload->>'attempt_ids' FROM jobs WHERE kind = 'attempts.moved' ORDER BY id")
                .rows.map { try $0.decode(String.self, at: 0) }
        }
        #expect(try intake.post(Self.statuses([("wamid.S", "sent")], attempt: attempt.id)) == 200)
        try intake.processAll()
        #expect(try settleJobs() == ["[\(attempt.id)]"], "queued to sent: the aggregate status changes")
        try connection.query("DELETE FROM jobs WHERE kind = 'attempts.moved'")
        #expect(try intake.post(Self.statuses([("wamid.S", "delivered")], attempt: attempt.id)) == 200)
        try intake.processAll()
        #expect(try intake.fixture.attempt().state == "delivered")
        #expect(try settleJobs().isEmpty, "sent to delivered, no callbacks: nothing for the dispatcher")
        try connection.query(
            "UPDATE departments SET callback_url = 'https://portal.example/callback', callback_secret = 's' WHERE code = 'REV'"
        )
        #expect(try intake.post(Self.statuses([("wamid.S", "read")], attempt: attempt.id)) == 200)
        try intake.processAll()
        #expect(try intake.fixture.attempt().state == "read")
        #expect(try settleJobs() == ["[\(attempt.id)]"], "with callbacks the portal hears of every move")
        // Each state the channel reached is in the transparency log's queue, once, in order, without the number.
        let logged = try intake.fixture.db.connect().query(
            """
            SELECT e FROM (SELECT convert_from(u.e, 'UTF8') AS e, q.id, u.n
                           FROM log_queue q, unnest(q.entries) WITH ORDINALITY AS u(e, n)) s
            WHERE e LIKE '%channel.state%' AND e NOT LIKE '%portal%' ORDER BY id, n
            """
        ).rows.map { try $0.decode(String.self, at: 0) }
        #expect(logged.map { $0.contains(#""channel":"whatsapp""#) } == [true, true, true], "\(logged)")
        #expect(
            zip(logged, ["sent", "delivered", "read"]).allSatisfy { $0.contains(#""state":"\#($1)""#) }, "\(logged)")
        #expect(logged.allSatisfy { !$0.contains("9198") && !$0.contains("wamid") })
        // Canonical (RFC 8785): members in sorted order, no white space.
        let order = ["application", "at", "channel", "delivery", "state", "type", "v"].map { #""\#($0)":"# }
        for entry in logged {
            let positions = order.compactMap { entry.range(of: $0)?.lowerBound }
            #expect(positions.count == order.count && positions == positions.sorted(), "\(entry)")
            #expect(!entry.contains(" "), "\(entry)")
        }
    }

    @Test("inbound messages are kept once by wamid")
    func inboundDedupe() throws {
        let intake = try Intake()
        let body =
            #"{"object": "whatsapp_business_account", "entry": [{"id": "2", "changes": [{"field": "messages", "value": {"messaging_product": "whatsapp", "contacts": [{"profile": {"name": "Asha"}, "wa_id": "919800000001"}], "messages": [{"from": "919800000001", "id": "wamid.IN1", "timestamp": "1800000000", "type": "text", "text": {"body": "STOP"}}]}}]}]}"#
        #expect(try intake.post(body) == 200)
        #expect(try intake.post(body) == 200)
        try intake.processAll()
        let rows = try intake.fixture.db.connect().query(
            "SELECT from_number, type, message->'text'->>'body' FROM whatsapp_inbound_messages"
        ).rows
        #expect(rows.count == 1)
        #expect(try rows.first?.decode(String.self, at: 2) == "STOP")
    }
}

@Suite("WhatsApp STOP and START", .serialized)
struct OptOutTests {
    static func inbound(_ text: String, id: String) -> String {
        #"{"object": "whatsapp_business_account", "entry": [{"id": "2", "changes": [{"field": "messages", "value": {"messaging_product": "whatsapp", "contacts": [{"profile": {"name": "Asha"}, "wa_id": "919800000001"}], "messages": [{"from": "919800000001", "id": "\#(id)", "timestamp": "1800000000", "type": "text", "text": {"body": "\#(text)"}}]}}]}]}"#
    }

    @Test(
        "STOP in Marathi records the opt-out, the dispatcher skips WhatsApp at once, the citizen gets a confirmation; START restores it"
    )
    func stopAndStart() throws {
        let intake = try WebhookIntakeTests.Intake()
        let connection = try intake.fixture.db.connect()
        #expect(try intake.post(Self.inbound(" थांबवा ", id: "wamid.S1")) == 200)
        // a duplicate webhook changes nothing more
        #expect(try intake.post(Self.inbound(" थांबवा ", id: "wamid.S1")) == 200)
        try intake.processAll()
        let citizen = try #require(try Citizens.find(portalUserID: "u1", on: connection))
        #expect(citizen.consent(for: .whatsapp)?.granted == false)
        #expect(citizen.consent(for: .whatsapp)?.source == "whatsapp:STOP")
        #expect(
            DeliveryRouter.plan(requested: nil, citizen: citizen).first { $0.channel == .whatsapp }?.decision
                == .skipped("opted_out"))
        #expect(
            DeliveryRouter.plan(requested: nil, citizen: citizen).first { $0.channel == .email }?.decision == .queued,
            "email still works")

        let replies = try connection.query("SELECT id, payload FROM jobs WHERE kind = 'conversation.reply'").rows
        #expect(replies.count == 1)
        intake.fixture.simulator.recordInbound(from: "+919800000001")  // the citizen's message opened the window
        let reply = try #require(replies.first)
        try intake.fixture.sender().reply(
            ClaimedJob(
                id: try reply.decode(Int64.self, at: 0), queue: "whatsapp", kind: "conversation.reply", attempt: 1,
                maxAttempts: 20, payload: try reply.decode(PostgresJSON.self, at: 1)))
        let sent = try #require(intake.fixture.simulator.acceptedMessages.last)
        #expect(sent.type == "text")
        #expect(sent.body.contains("START पाठवा"), "confirmed in the citizen's language")

        #expect(try intake.post(Self.inbound("START", id: "wamid.S2")) == 200)
        try intake.processAll()
        #expect(try Citizens.find(portalUserID: "u1", on: connection)?.consent(for: .whatsapp)?.granted == true)
    }

    @Test("the commands are recognised in every language, and other text is not a command")
    func words() {
        for stop in ["STOP", "stop.", "थांबवा", "रोकें", "ఆపు"] { #expect(OptOut.command(in: stop) == .stop, "\(stop)") }
        for start in ["Start", "सुरू करा", "शुरू", "ప్రారంభించు"] { #expect(OptOut.command(in: start) == .start, "\(start)") }
        #expect(OptOut.command(in: "please stop sending") == nil)
        #expect(OptOut.command(in: "status MH-1") == nil)
    }
}

@Suite("WhatsApp conversation", .serialized)
struct ConversationTests {
    static func text(_ body: String, id: String) -> String {
        #"{"object": "whatsapp_business_account", "entry": [{"id": "2", "changes": [{"field": "messages", "value": {"messaging_product": "whatsapp", "contacts": [{"profile": {"name": "Asha"}, "wa_id": "919800000001"}], "messages": [{"from": "919800000001", "id": "\#(id)", "timestamp": "1800000000", "type": "text", "text": {"body": "\#(body)"}}]}}]}]}"#
    }

    static func listReply(_ choice: String, id: String) -> String {
        #"{"object": "whatsapp_business_account", "entry": [{"id": "2", "changes": [{"field": "messages", "value": {"messaging_product": "whatsapp", "messages": [{"from": "919800000001", "id": "\#(id)", "timestamp": "1800000000", "type": "interactive", "context": {"id": "wamid.menu"}, "interactive": {"type": "list_reply", "list_reply": {"id": "\#(choice)", "title": "x"}}}]}}]}]}"#
    }

    /// The replies queued since the last call (and clears them), as (text, interactive).
    func replies(_ intake: WebhookIntakeTests.Intake) throws -> [ConversationReply] {
        let connection = try intake.fixture.db.connect()
        let rows = try connection.query("SELECT payload FROM jobs WHERE kind = 'conversation.reply' ORDER BY id").rows
        try connection.query("DELETE FROM jobs WHERE kind = 'conversation.reply'")
        return try rows.map { try $0.decode(PostgresJSON.self, at: 0).decode(ConversationReply.self) }
    }

    func say(_ intake: WebhookIntakeTests.Intake, _ body: String) throws -> [ConversationReply] {
        #expect(try intake.post(body) == 200)
        try intake.processAll()
        return try replies(intake)
    }

    @Test(
        "language once, then the menu; status lookup for this number's applications only; unknown input gets the menu, never an echo"
    )
    func conversation() throws {
        let intake = try WebhookIntakeTests.Intake()
        let first = try say(intake, Self.text("hello", id: "w1"))
        #expect(first.count == 1)
        #expect(first[0].interactive?.contains("\"id\":\"lang:te\"") == true, "asked for a language")

        let menu = try say(intake, Self.listReply("lang:mr", id: "w2"))
        #expect(menu.first?.interactive?.contains("menu:track") == true)
        #expect(menu.first?.text == "आम्ही तुमची कशी मदत करू?")

        #expect(try say(intake, Self.text("1", id: "w3")).first?.text == "कृपया तुमचा अर्ज क्रमांक पाठवा.")
        let status = try say(intake, Self.text(" A1 ", id: "w4"))
        #expect(status.first?.text.hasPrefix("अर्ज A1: मंजूर, दिनांक ") == true, "\(status.first?.text ?? "")")
        #expect(status.last?.interactive?.contains("menu:track") == true, "back to the menu")

        // The answer names the application's latest step, whichever came last: here the office asks for documents.
        let connection = try intake.fixture.db.connect()
        try connection.query(
            """
            INSERT INTO deliveries (id, application_id, is_test, decision, step, language, requested_channels, created_at)
            SELECT $1, application_id, true, 'step', 'documents_needed', 'mr', ARRAY['whatsapp'], now() + interval '1 minute'
            FROM deliveries LIMIT 1
            """, [UUID()])
        _ = try say(intake, Self.listReply("menu:track", id: "w4b"))
        let step = try say(intake, Self.text("A1", id: "w4c"))
        #expect(step.first?.text.hasPrefix("अर्ज A1: कागदपत्रे आवश्यक, दिनांक ") == true, "\(step.first?.text ?? "")")

        _ = try say(intake, Self.listReply("menu:track", id: "w5"))
        #expect(
            try say(intake, Self.text("OTHER-CITIZENS-APP", id: "w6")).first?.text == "या मोबाईल क्रमांकासाठी त्या क्रमांकाचा अर्ज आढळला नाही.")

        let hostile = try say(intake, Self.text("<script>alert(1)</script>", id: "w7"))
        #expect(hostile.count == 1)
        #expect(
            hostile.allSatisfy { !$0.text.contains("<script>") && !($0.interactive?.json ?? "").contains("<script>") })
        #expect(hostile.first?.interactive?.contains("menu:help") == true)
        #expect(try say(intake, Self.text("4", id: "w8")).first?.text.contains("STOP") == true)
        #expect(try say(intake, Self.text("4", id: "w8")).isEmpty, "a duplicate webhook gets no second answer")
    }

    @Test(
        "Urdu, added as data: offered in the language list, picked by its name, the menu and status in Urdu, STOP in Urdu"
    )
    func urdu() throws {
        let intake = try WebhookIntakeTests.Intake()
        let first = try say(intake, Self.text("hello", id: "u1"))
        #expect(first.first?.interactive?.contains("\"id\":\"lang:ur\"") == true, "Urdu is offered")
        #expect(first.first?.text.contains("اپنی زبان منتخب کریں") == true, "and the question is asked in Urdu too")
        let menu = try say(intake, Self.text("اردو", id: "u2"))
        #expect(menu.first?.text == "ہم آپ کی کیا مدد کر سکتے ہیں؟")
        #expect(menu.first?.interactive?.contains("درخواست کی صورتحال") == true)
        #expect(try say(intake, Self.text("1", id: "u3")).first?.text == "براہ کرم اپنی درخواست کا نمبر بھیجیں۔")
        let status = try say(intake, Self.text("A1", id: "u4"))
        #expect(status.first?.text.hasPrefix("درخواست A1: منظور، تاریخ ") == true, "\(status.first?.text ?? "")")
        let stop = try say(intake, Self.text("روکیں", id: "u5"))
        #expect(stop.first?.text.hasPrefix("اب آپ کو WhatsApp پر ہمارے پیغامات نہیں ملیں گے") == true)
        let connection = try intake.fixture.db.connect()
        #expect(
            try connection.query(
                "SELECT granted FROM citizen_consents WHERE source = 'whatsapp:STOP' ORDER BY recorded_at DESC LIMIT 1"
            ).first?.decode(Bool.self, at: 0) == false, "the Urdu STOP word recorded an opt-out")
    }

    @Test(
        "file an appeal: the number's own application only, grounds, a summary without formatting marks, cancel or confirm hands over through the job table"
    )
    func appealSteps() throws {
        let intake = try WebhookIntakeTests.Intake()
        let connection = try intake.fixture.db.connect()
        _ = try say(intake, Self.listReply("lang:en", id: "a1"))
        #expect(
            try say(intake, Self.listReply("menu:appeal", id: "a2")).first?.text.contains("Which application") == true)
        let stranger = try say(intake, Self.text("SOMEONE-ELSES", id: "a3"))
        #expect(stranger.first?.text == "We found no application with that number for this mobile number.")
        #expect(stranger.last?.interactive?.contains("menu:appeal") == true)
        _ = try say(intake, Self.text("3", id: "a4"))
        #expect(
            try say(intake, Self.text(" A१ ", id: "a5")).first?.text.contains("grounds of your appeal") == true,
            "the id is normalised (trimmed, Indian digits folded)")
        #expect(
            try say(intake, Self.text(String(repeating: "x", count: 1001), id: "a6")).first?.text.contains(
                "longer than 1,000") == true)
        let summary = try say(intake, Self.text("*Bold* _claim_ ~struck~ `code`", id: "a7"))
        #expect(
            summary.first?.text
                == "Appeal against the decision on application A1.\nGrounds: «Bold claim struck code»\nShall we file it?"
        )
        #expect(
            summary.first?.interactive?.contains("appeal:confirm") == true
                && summary.first?.interactive?.contains("appeal:cancel") == true)
        let cancelled = try say(intake, Self.listReply("appeal:cancel", id: "a8"))
        #expect(cancelled.first?.text == "The appeal was not filed.")
        #expect(
            try connection.query("SELECT count(*) FROM jobs WHERE queue = 'appeals'").first?.decode(Int.self, at: 0)
                == 0)

        _ = try say(intake, Self.listReply("menu:appeal", id: "a9"))
        _ = try say(intake, Self.text("A1", id: "a10"))
        _ = try say(intake, Self.text("The certificate was refused without reason.", id: "a11"))
        #expect(
            try say(intake, Self.listReply("appeal:confirm", id: "a12")).first?.text.contains("being filed") == true)
        _ = try say(intake, Self.listReply("appeal:confirm", id: "a12"))
        let handed = try connection.query("SELECT payload FROM jobs WHERE queue = 'appeals' AND kind = 'appeal.file'")
            .rows
        #expect(handed.count == 1, "once, even when the webhook repeats")
        let payload = try #require(try handed.first?.decode(PostgresJSON.self, at: 0).decode(AppealFile.self))
        #expect(
            payload
                == AppealFile(
                    applicationID: "A1", mobile: "+919800000001",
                    grounds: "The certificate was refused without reason.", language: "en"))
    }

    @Test(
        "find a service: a misspelt Marathi name lists the service first within Meta's list limits, pages through many, offers the nearest when nothing matches, and the chosen service's documents, fee, time limit and authorities come in Marathi with the Flow to apply; every reply conforms to Meta's OpenAPI"
    )
    func findService() throws {
        let intake = try WebhookIntakeTests.Intake()
        let connection = try intake.fixture.db.connect()
        try ServiceDetails.importMaharashtraSample(on: connection)
        var sent: [ConversationReply] = []
        func step(_ body: String) throws -> [ConversationReply] {
            let replies = try say(intake, body)
            sent += replies
            return replies
        }
        _ = try step(Self.listReply("lang:mr", id: "f1"))
        let menu = try #require(try step(Self.text("नमस्कार", id: "f2")).first)
        #expect(menu.interactive?.contains("\"id\":\"menu:find\"") == true)
        #expect(try step(Self.listReply("menu:find", id: "f3")).first?.text.contains("उत्पन्नाचा दाखला") == true)
        let sentResults = try #require(try step(Self.text("उत्पनाचा दाखल", id: "f4")).first)
        let results = try #require(sentResults.interactive)
        let rows = try #require(results.action.sections?.first?.rows)
        #expect(rows.first?.id == "svc:INCOME", "\(rows.map(\.id))")
        #expect(rows.first?.title == "उत्पन्नाचा दाखला")
        #expect(rows.first?.description == "15 दिवस")
        #expect(rows.count <= 10)
        for row in rows {
            #expect(row.title.unicodeScalars.count <= 24 && (row.description?.unicodeScalars.count ?? 0) <= 72)
        }
        // Many services match "dakhla": nine a page and a "More results" row that brings the next nine.
        _ = try step(Self.text("5", id: "f5"))
        let many = try #require(try step(Self.text("दाखला", id: "f6")).first?.interactive?.action.sections?.first?.rows)
        #expect(many.count == 10 && many.last?.id == "find:more:1", "\(many.map(\.id))")
        let next = try #require(
            try step(Self.listReply("find:more:1", id: "f7")).first?.interactive?.action.sections?.first?.rows)
        #expect(Set(next.map(\.id)).isDisjoint(with: many.map(\.id)), "the second page has other services")
        // Nothing matches: the nearest services, or a plain answer when none is near.
        _ = try step(Self.listReply("menu:find", id: "f8"))
        let nearest = try #require(try step(Self.text("pasport", id: "f9")).first)
        #expect(nearest.text.contains("जवळच्या सेवा") && nearest.interactive != nil, "\(nearest.text)")
        _ = try step(Self.listReply("menu:find", id: "f10"))
        #expect(try step(Self.text("qqqqzzzz", id: "f11")).first?.text.contains("आढळली नाही") == true)
        // The chosen service.
        let chosen = try step(Self.listReply("svc:INCOME", id: "f12"))
        #expect(chosen.count == 2, "the information, then the Flow to apply")
        let information = try #require(chosen.first?.text)
        for expected in [
            "*उत्पन्नाचा दाखला*", "आवश्यक कागदपत्रे (नमुना माहिती):", "• ओळखीचा पुरावा", "शुल्क: ₹34 (नमुना माहिती)",
            "कालमर्यादा: 15 दिवस\n", "पदनिर्देशित अधिकारी: नायब तहसीलदार", "प्रथम अपील: तहसीलदार",
            "द्वितीय अपील: उपविभागीय अधिकारी", "https://aaplesarkar.mahaonline.gov.in/en",
            "स्रोत: https://jalgaon.gov.in/en/right-to-service-act",
        ] {
            #expect(information.contains(expected), "\(expected) in \(information)")
        }
        #expect(!information.contains("कालमर्यादा: 15 दिवस (नमुना"), "the published time limit is not marked sample")
        let flow = try #require(chosen.last?.interactive)
        #expect(flow.type == "flow" && flow.action.parameters?.flowID == "sample-flow-income-v1")
        // Every reply as it goes to the Cloud API conforms to Meta's OpenAPI document.
        let bodies = try sent.map { try $0.message.json() }
        #expect(
            bodies.contains { $0.contains(#""type":"flow""#) } && bodies.contains { $0.contains(#""description""#) })
        let problems = try GraphOpenAPI.check(bodies, schema: "Message")
        for (problem, body) in zip(problems, bodies) where problem != "ok" { Issue.record("\(problem)\n\(body)") }
        // And the simulator, which holds interactive messages to Meta's list, button and Flow limits, takes the
        // results list, the information and the Flow from the adapter (three: within the pair limit's burst).
        let sender = try intake.fixture.sender()
        intake.fixture.simulator.recordInbound(from: "+919800000001")
        let before = intake.fixture.simulator.acceptedMessages.count
        for (index, message) in [sentResults, chosen[0], chosen[1]].enumerated() {
            try sender.reply(
                ClaimedJob(
                    id: Int64(index + 1), queue: "whatsapp", kind: Jobs.conversationReply.kind, attempt: 1,
                    maxAttempts: 5, payload: try PostgresJSON(encoding: message)))
        }
        #expect(intake.fixture.simulator.acceptedMessages.count == before + 3)
    }

    static func flowReply(_ responseJSON: String, id: String) throws -> String {
        let quoted = String(decoding: try JSONEncoder().encode(responseJSON), as: UTF8.self)
        return
            #"{"object": "whatsapp_business_account", "entry": [{"id": "2", "changes": [{"field": "messages", "value": {"messaging_product": "whatsapp", "messages": [{"from": "919800000001", "id": "\#(id)", "timestamp": "1800000000", "type": "interactive", "context": {"from": "15550000000", "id": "wamid.flow"}, "interactive": {"type": "nfm_reply", "nfm_reply": {"name": "flow", "body": "Sent", "response_json": \#(quoted)}}}]}}]}]}"#
    }

    @Test(
        "a finished Flow is kept once, passed to the service's department as a signed application.flow_submitted event with its data as sent, and acknowledged; a token of no service of ours is kept and acknowledged plainly"
    )
    func flowSubmitted() throws {
        let intake = try WebhookIntakeTests.Intake()
        let connection = try intake.fixture.db.connect()
        try Catalogue.importCSV(try Catalogue.maharashtraSample(), on: connection)
        try Departments.upsert(code: "REVENUE", name: "महसूल विभाग", on: connection)
        try connection.query(
            "UPDATE departments SET callback_url = 'https://portal.example/callback', callback_secret = 's' WHERE code = 'REVENUE'"
        )
        _ = try say(intake, Self.listReply("lang:mr", id: "fl1"))
        let response = #"{"flow_token": "service:INCOME:wamid.f12", "applicant_name": "आशा", "village": "Wagholi"}"#
        // The webhook as Meta's Flows guide shows it ("Receiving Flow Response"): Meta's v23.0 OpenAPI document knows
        // only list and button replies, so it cannot check this one.
        let replies = try say(intake, try Self.flowReply(response, id: "fl2"))
        #expect(replies.count == 1)
        #expect(replies.first?.text.contains("उत्पन्नाचा दाखला साठीचा तुमचा अर्ज महसूल विभाग") == true, "\(replies)")
        #expect(try say(intake, try Self.flowReply(response, id: "fl2")).isEmpty, "a repeated webhook: nothing twice")
        let events = try connection.query(
            "SELECT body FROM portal_events WHERE type = 'application.flow_submitted'"
        ).rows.map { try $0.decode(String.self, at: 0) }
        #expect(events.count == 1)
        let event = try #require(
            try JSONSerialization.jsonObject(with: Data((events.first ?? "{}").utf8)) as? [String: Any])
        let data = try #require(event["data"] as? [String: Any])
        #expect(data["service"] as? String == "INCOME" && data["mobile"] as? String == "+919800000001")
        #expect((data["response"] as? [String: Any])?["applicant_name"] as? String == "आशा")
        #expect(
            try connection.query("SELECT count(*) FROM jobs WHERE kind = 'callback.deliver'").first?.decode(
                Int.self, at: 0) == 1)
        // A Flow of someone else's token: kept, acknowledged plainly, no event.
        let other = try say(intake, try Self.flowReply(#"{"flow_token": "unused", "x": 1}"#, id: "fl3"))
        #expect(other.first?.text == "तुमचा अर्ज मिळाला.")
        #expect(
            try connection.query("SELECT count(*) FROM flow_submissions").first?.decode(Int.self, at: 0) == 2)
        #expect(
            try connection.query("SELECT count(*) FROM portal_events WHERE type = 'application.flow_submitted'").first?
                .decode(Int.self, at: 0) == 1)
    }

    static func templateButton(_ payload: String, id: String) -> String {
        #"{"object": "whatsapp_business_account", "entry": [{"id": "2", "changes": [{"field": "messages", "value": {"messaging_product": "whatsapp", "messages": [{"from": "919800000001", "id": "\#(id)", "timestamp": "1800000000", "type": "button", "context": {"from": "15550000000", "id": "wamid.question"}, "button": {"payload": "\#(payload)", "text": "4"}}]}}]}]}"#
    }

    @Test(
        "rating the service: once an outcome reaches the citizen on WhatsApp and the department asks, one question in their language with five buttons; a tap is kept once however often it comes, the comment is kept and never logged, the auditor's summary counts it"
    )
    func rating() throws {
        let intake = try WebhookIntakeTests.Intake()
        let connection = try intake.fixture.db.connect()
        try connection.query("UPDATE deliveries SET is_test = false")
        let attempt = try intake.fixture.attempt()
        func questions() throws -> Int {
            try connection.query("SELECT count(*) FROM service_ratings").first?.decode(Int.self, at: 0) ?? -1
        }
        // The department does not ask: delivered, and nothing is asked.
        #expect(try intake.post(WebhookIntakeTests.statuses([("wamid.R", "delivered")], attempt: attempt.id)) == 200)
        try intake.processAll()
        #expect(try questions() == 0)
        // It asks: the next move (read), twice over, records one question and one job.
        try connection.query("UPDATE departments SET ask_ratings = true WHERE code = 'REV'")
        for _ in 0..<2 {
            #expect(try intake.post(WebhookIntakeTests.statuses([("wamid.R", "read")], attempt: attempt.id)) == 200)
        }
        try intake.processAll()
        #expect(try questions() == 1)
        let job = try #require(try connection.query("SELECT id, payload FROM jobs WHERE kind = 'rating.ask'").first)
        #expect(
            try connection.query("SELECT count(*) FROM jobs WHERE kind = 'rating.ask'").first?.decode(Int.self, at: 0)
                == 1)
        let ratingID = try job.decode(PostgresJSON.self, at: 1).decode(RatingAsk.self).ratingID
        // The question goes out once, as the registered template with five buttons.
        let sender = try intake.fixture.sender()
        let claimed = ClaimedJob(
            id: try job.decode(Int64.self, at: 0), queue: "whatsapp", kind: "rating.ask", attempt: 1, maxAttempts: 20,
            payload: try job.decode(PostgresJSON.self, at: 1))
        let before = intake.fixture.simulator.acceptedMessages.count
        try sender.askRating(claimed)
        try sender.askRating(claimed)
        let asked = intake.fixture.simulator.acceptedMessages.dropFirst(before)
        #expect(asked.count == 1, "never twice")
        let question = try #require(asked.first?.body)
        #expect(question.contains(#""name":"dakiya_rating_request""#) && question.contains(#""code":"mr""#))
        for stars in 1...5 { #expect(question.contains(#""payload":"rate:\#(ratingID):\#(stars)""#)) }
        #expect(try GraphOpenAPI.check([question], schema: "Message") == ["ok"])
        // The citizen taps 4 (without having chatted: their registered language serves); the webhook repeats; a
        // second tap does not change it.
        let thanks = try say(intake, Self.templateButton("rate:\(ratingID):4", id: "r1"))
        #expect(thanks.first?.text == "तुमच्या मूल्यांकनाबद्दल धन्यवाद. हवे असल्यास सेवेबद्दल आता अभिप्राय लिहा (किंवा वगळण्यासाठी 0 पाठवा).")
        #expect(try say(intake, Self.templateButton("rate:\(ratingID):4", id: "r1")).isEmpty, "a repeated webhook")
        let again = try say(intake, Self.templateButton("rate:\(ratingID):1", id: "r2"))
        #expect(again.first?.text.contains("पहिले मूल्यांकन") == true)
        // Someone else's question, or a forged one, is not answered.
        #expect(try say(intake, Self.templateButton("rate:\(ratingID + 1):5", id: "r3")).first?.interactive != nil)
        let comment = "अधिकारी फार मदत करणारे होते"
        let row = try #require(
            try connection.query("SELECT rating, comment IS NULL FROM service_ratings WHERE id = $1", [ratingID]).first)
        #expect(try row.decode(Int.self, at: 0) == 4 && row.decode(Bool.self, at: 1))
        // The comment: the conversation still waits for it after the tap that counted.
        #expect(try say(intake, Self.text(comment, id: "r5")).first?.text.contains("धन्यवाद") == true)
        #expect(
            try connection.query("SELECT comment FROM service_ratings WHERE id = $1", [ratingID]).first?.decode(
                String.self, at: 0) == comment)
        // The transparency log has the rating as an entry, and nothing of the comment; nor has the jobs' history.
        let logged = try connection.query(
            """
            SELECT convert_from(e, 'UTF8') FROM log_queue, unnest(entries) AS e
            UNION ALL SELECT convert_from(entry, 'UTF8') FROM log_entries
            """
        ).rows.map { try $0.decode(String.self, at: 0) }
        let ratingEntries = logged.filter { $0.contains(#""type":"rating.answered""#) }
        #expect(ratingEntries.count == 1, "\(logged)")
        #expect(ratingEntries.first?.contains(#""rating":4,"service":"INCOME""#) == true)
        #expect(!logged.contains { $0.contains(comment) }, "the comment is in no log entry")
        #expect(
            try connection.query("SELECT count(*) FROM job_history h WHERE h::text LIKE '%' || $1 || '%'", [comment])
                .first?.decode(Int.self, at: 0) == 0)
        let summary = try ServiceRatings.summary(
            from: Date().addingTimeInterval(-3600), to: Date().addingTimeInterval(3600), on: connection)
        #expect(summary.count == 1)
        #expect(summary.first?.asked == 1 && summary.first?.answered == 1 && summary.first?.counts == [0, 0, 0, 1, 0])
        #expect(summary.first?.comments == 1 && summary.first?.mean == 4)
    }

    @Test(
        "the outcome's email went first and WhatsApp then failed: the citizen is asked to rate by email, once"
    )
    func ratingByEmailAfterWhatsAppFails() throws {
        let intake = try WebhookIntakeTests.Intake()
        let connection = try intake.fixture.db.connect()
        try connection.query("UPDATE deliveries SET is_test = false")
        try connection.query("UPDATE departments SET ask_ratings = true WHERE code = 'REV'")
        try connection.query("UPDATE citizens SET email = 'citizen@example.in'")
        let attempt = try intake.fixture.attempt()
        try connection.query(
            """
            INSERT INTO channel_attempts (delivery_id, channel, state) SELECT delivery_id, 'email', 'queued' FROM channel_attempts WHERE id = $1
            """, [attempt.id])
        func asked() throws -> [String] {
            try connection.query(
                "SELECT channel || ' ' || coalesce(email, '-') FROM service_ratings ORDER BY id"
            ).rows.map { try $0.decode(String.self, at: 0) }
        }
        func emailJobs() throws -> Int {
            try connection.query("SELECT count(*) FROM jobs WHERE kind = 'rating.ask_email'").first?.decode(
                Int.self, at: 0) ?? -1
        }
        // WhatsApp was on its way when the email went: that email asked nothing (WhatsApp would ask on delivery).
        #expect(try intake.post(WebhookIntakeTests.statuses([("wamid.F", "sent")], attempt: attempt.id)) == 200)
        try intake.processAll()
        try connection.query("UPDATE channel_attempts SET state = 'sent', sent_at = now() WHERE channel = 'email'")
        #expect(try asked().isEmpty)
        // Then Meta reports the WhatsApp message failed (twice, as webhooks repeat): one question, by email.
        for _ in 0..<2 {
            #expect(
                try intake.post(
                    WebhookIntakeTests.statuses([("wamid.F", "failed")], attempt: attempt.id, code: 131026)) == 200)
        }
        try intake.processAll()
        #expect(try asked() == ["email citizen@example.in"])
        #expect(try emailJobs() == 1)
    }

    @Test("my certificates lists what was delivered to this number, and re-sends the chosen one as a document")
    func certificateResend() throws {
        let intake = try WebhookIntakeTests.Intake()
        let connection = try intake.fixture.db.connect()
        let pdf = WhatsAppFixture.pdf
        try connection.query(
            """
            WITH d AS (INSERT INTO documents (sha256, media_type, file_name, size, content) VALUES ($1, 'application/pdf', 'cert.pdf', $2, $3) RETURNING id)
            UPDATE deliveries SET document_id = (SELECT id FROM d)
            """, [PostgresBytes(SHA256.hash(pdf)), pdf.count, PostgresBytes(pdf)])
        try connection.query("UPDATE channel_attempts SET state = 'delivered' WHERE channel = 'whatsapp'")
        _ = try say(intake, Self.listReply("lang:en", id: "c1"))
        let list = try say(intake, Self.text("2", id: "c2"))
        let deliveryID = intake.fixture.deliveryID.uuidString.lowercased()
        #expect(list.first?.interactive?.contains("\"id\":\"cert:\(deliveryID)\"") == true)
        #expect(try say(intake, Self.listReply("cert:\(deliveryID)", id: "c3")).isEmpty)
        let job = try #require(
            try connection.query("SELECT id, payload FROM jobs WHERE kind = 'conversation.resend_certificate'").first)
        intake.fixture.simulator.recordInbound(from: "+919800000001")
        try intake.fixture.sender().resend(
            ClaimedJob(
                id: try job.decode(Int64.self, at: 0), queue: "whatsapp", kind: "conversation.resend_certificate",
                attempt: 1, maxAttempts: 20, payload: try job.decode(PostgresJSON.self, at: 1)))
        let sent = try #require(intake.fixture.simulator.acceptedMessages.last)
        #expect(sent.type == "document")
        let mediaID = try #require(
            try JSONDecoder().decode(GraphMessage.self, from: Data(sent.body.utf8)).document?.id)
        #expect(intake.fixture.simulator.media(mediaID)?.bytes == pdf)
        // Another citizen's certificate cannot be requested by guessing its id.
        _ = try say(intake, Self.listReply("cert:\(UUID().uuidString.lowercased())", id: "c4"))
        #expect(
            try connection.query("SELECT count(*) FROM jobs WHERE kind = 'conversation.resend_certificate'").first?
                .decode(Int.self, at: 0) == 1)
    }
}

extension GraphMessage.Interactive {
    /// The interactive object as it goes to the Cloud API.
    var json: String {
        (try? JSONEncoder().encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    func contains(_ text: String) -> Bool { json.contains(text) }
}
