import Appeals
import Delivery
import Foundation
import HTTPClient
import HTTPServer
import Postgres
import ServiceRuntime
import TestSupport
import Testing

/// The application's journey across the real services (portal-adapter, dispatcher, whatsapp-adapter, email-adapter,
/// the Cloud API simulator, a real SMTP server): each step reaches WhatsApp and email in the citizen's language,
/// "received" starts the time limit, and a shortfall answered with a PDF in the chat reaches the portal's signed
/// callback byte for byte, while the time limit restarts by Maharashtra's rule.
@Suite("Journey flow across services", .serialized)
struct JourneyFlowTests {
    struct Accepted: Decodable { var body: String }

    /// What the department's callback endpoint heard: each body with its signature header.
    final class Heard: @unchecked Sendable {
        private let lock = NSLock()
        private var received: [(body: [UInt8], signature: String?)] = []
        func add(_ body: [UInt8], _ signature: String?) {
            lock.lock(); received.append((body, signature)); lock.unlock()
        }
        var all: [(body: [UInt8], signature: String?)] { lock.lock(); defer { lock.unlock() }; return received }
    }

    /// A PDF with every byte value in it, so that "byte-identical" means something.
    static let pdf: [UInt8] =
        Array("%PDF-1.4\n%\u{e2}\u{e3}\n1 0 obj\n<<>>\nendobj\n".utf8) + (0...255).map(UInt8.init)
        + Array("\n%%EOF\n".utf8)

    @Test(
        "received (clock started, officer named), scrutiny, payment, appointment and documents needed reach WhatsApp and email in Marathi; the shortfall answered with a PDF in the chat reaches the signed callback byte-identical, restarts the clock and is acknowledged; a wrong file is refused"
    )
    func journey() throws {
        let db = try TestDatabase()
        func admin(_ arguments: [String]) throws -> String {
            let process = try ChildProcess(
                "dakiya-admin", arguments: arguments, environment: ["DAKIYA_DATABASE_URL": db.url])
            #expect(process.waitForExit(timeout: .seconds(20)) == 0, "\(arguments): \(process.outputText)")
            return process.outputText
        }
        _ = try admin(["department", "add", "REVENUE", "Revenue Department"])
        _ = try admin(["catalogue", "import", "--sample"])
        let created = try admin([
            "key", "create", "--department", "REVENUE", "--label", "portal", "--kind", "live", "--scope", "citizens",
        ])
        let portalKey = try #require(
            created.split(separator: "\n").first { $0.hasPrefix("secret") }?.split(separator: " ").last.map(String.init)
        )
        let heard = Heard()
        var router = Router()
        router.post("/callbacks") { request in
            heard.add(request.body, request.header(CallbackSignature.header))
            return Response(status: 200)
        }
        let receiver = Server(
            configuration: ServerConfiguration(port: 0, threads: 2), router: router,
            logger: Logger(service: "receiver", sink: .capturing()), metrics: MetricsRegistry())
        try receiver.start()
        defer { receiver.stop() }
        let callback = try admin(["department", "callback", "REVENUE", "http://127.0.0.1:\(receiver.port)/callbacks"])
        let callbackSecret = try #require(
            callback.split(separator: "\n").first { $0.hasPrefix("signing secret") }?.split(separator: " ").last.map(
                String.init))

        // The virus-scan hook: a program that flags the antivirus test string (exit 1), else clean (exit 0).
        let scanner = FileManager.default.temporaryDirectory.appendingPathComponent(
            "dakiya-scan-\(UUID().uuidString.lowercased()).sh")
        try "#!/bin/sh\ngrep -q EICAR-STANDARD-ANTIVIRUS-TEST-FILE \"$1\" && exit 1\nexit 0\n".write(
            to: scanner, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: scanner.path)
        defer { try? FileManager.default.removeItem(at: scanner) }
        let smtp = try SMTPSink()
        let stack = try DeliveryServices(
            db: db, smtp: smtp,
            common: ["DAKIYA_VIRUS_SCAN_COMMAND": scanner.path, "DAKIYA_SHORTFALL_MAX_BYTES": "2048"])
        defer { withExtendedLifetime(stack) {} }
        let client = try HTTPClient()
        let portal = stack.portal, sim = stack.simulatorBase
        #expect(eventually { (try? client.send(HTTPClientRequest(url: portal + "/readyz")))?.status == 200 })
        #expect(
            eventually {
                (try? client.send(HTTPClientRequest(url: "http://127.0.0.1:\(stack.whatsappPort)/readyz")))?.status
                    == 200
            })
        let auth = ("Authorization", "Bearer \(portalKey)")
        func messages() throws -> [String] {
            try JSONDecoder().decode(
                [Accepted].self, from: Data(try client.send(HTTPClientRequest(url: sim + "/_sim/messages")).body)
            ).map(\.body)
        }
        func mails() throws -> [[String: Any]] { try smtp.messages().map(SMTPSink.parse) }
        func step(_ body: String, key: String) throws -> HTTPClientResponse {
            try client.send(
                .json(
                    "POST", portal + "/v1/applications/MH-J-1/steps", body: body,
                    headers: [auth, ("Idempotency-Key", key)]))
        }
        #expect(
            try client.send(
                .json(
                    "PUT", portal + "/v1/citizens/u-9",
                    body:
                        #"{"mobile": "+919812300009", "email": "sita@example.in", "language": "mr", "consents": [{"channel": "whatsapp", "granted": true, "source": "portal-profile"}]}"#,
                    headers: [auth])
            ).status == 200)
        let pool = db.pool()
        let today = CivilDate(Date())

        // 1. Received: the time limit starts from it (no clock call), and the citizen is told the due day and the
        // designated officer.
        let yesterday = Date().addingTimeInterval(-86_400)
        let receivedAt = PostgresTimestamp.format(yesterday).replacingOccurrences(of: " ", with: "T")
            .replacingOccurrences(of: "+00", with: "Z")
        let received = try step(
            #"{"step": "received", "citizen": "u-9", "service": "INCOME", "office": "HAVELI", "received_at": "\#(receivedAt)"}"#,
            key: "j-received")
        #expect(received.status == 202, "\(received.text)")
        struct StepAnswer: Decodable {
            struct Clock: Decodable { var due_on: String; var time_limit_days: Int; var state: String }
            var delivery_id: String; var step: String; var detail: [String: String]; var clock: Clock?
            var shortfall_id: Int64?
        }
        let receivedAnswer = try JSONDecoder().decode(StepAnswer.self, from: Data(received.body))
        let clock = try #require(receivedAnswer.clock)
        #expect(clock.state == "running" && clock.time_limit_days > 0)
        #expect(receivedAnswer.detail["time_limit"] == "15 दिवस", "the income certificate's 15 calendar days")
        let officer = try #require(receivedAnswer.detail["officer"])
        #expect(!officer.isEmpty && officer.unicodeScalars.contains { (0x0900...0x097F).contains($0.value) })
        #expect(
            try pool.withConnection {
                try $0.query(
                    "SELECT count(*) FROM application_history h JOIN applications a ON a.id = h.application_id WHERE a.portal_application_id = 'MH-J-1' AND h.event = 'clock_started'"
                ).first?.decode(Int.self, at: 0)
            } == 1)
        // The same request again is the same answer; the same key with another body is refused.
        let replayed = try step(
            #"{"step": "received", "citizen": "u-9", "service": "INCOME", "office": "HAVELI", "received_at": "\#(receivedAt)"}"#,
            key: "j-received")
        #expect(replayed.status == 202 && replayed.header("idempotent-replayed") == "true")
        #expect(replayed.text == received.text)
        #expect(
            try step(
                #"{"step": "under_scrutiny", "citizen": "u-9", "service": "INCOME", "office": "HAVELI"}"#,
                key: "j-received"
            )
            .status == 409)

        // 2. The other steps.
        let payBy = today.adding(days: 10).description
        let replyBy = today.adding(days: 7).description
        let visitAt = today.adding(days: 5).description + "T10:30:00+05:30"
        for (body, key) in [
            (#"{"step": "under_scrutiny", "citizen": "u-9", "service": "INCOME", "office": "HAVELI"}"#, "j-scrutiny"),
            (
                #"{"step": "payment_due", "citizen": "u-9", "service": "INCOME", "office": "HAVELI", "amount": "1234567.5", "pay_at": "https://aaplesarkar.mahaonline.gov.in/pay", "pay_by": "\#(payBy)"}"#,
                "j-payment"
            ),
            (
                #"{"step": "appointment", "citizen": "u-9", "service": "INCOME", "office": "HAVELI", "visit": "site_visit", "at": "\#(visitAt)", "place": "Survey no. 12, Haveli"}"#,
                "j-visit"
            ),
        ] {
            let answer = try step(body, key: key)
            #expect(answer.status == 202, "\(key): \(answer.text)")
        }
        let shortfallStep = try step(
            #"{"step": "documents_needed", "citizen": "u-9", "service": "INCOME", "office": "HAVELI", "documents": ["Ration card", "Talathi income report"], "reply_by": "\#(replyBy)"}"#,
            key: "j-documents")
        #expect(shortfallStep.status == 202, "\(shortfallStep.text)")
        let shortfall = try JSONDecoder().decode(StepAnswer.self, from: Data(shortfallStep.body))
        #expect(shortfall.shortfall_id != nil)
        // The shortfall holds the time limit (Maharashtra: it restarts when the citizen answers).
        #expect(
            try pool.withConnection {
                try $0.query(
                    "SELECT held_on IS NOT NULL FROM application_clocks ac JOIN applications a ON a.id = ac.application_id WHERE a.portal_application_id = 'MH-J-1'"
                ).first?.decode(Bool.self, at: 0)
            } == true)

        let templates = [
            "dakiya_application_received", "dakiya_application_scrutiny", "dakiya_payment_due", "dakiya_appointment",
            "dakiya_documents_needed",
        ]
        #expect(
            eventually(timeout: .seconds(30)) {
                let sent = (try? messages()) ?? []
                return templates.allSatisfy { name in sent.contains { $0.contains("\"\(name)\"") } }
            }, "\((try? messages()) ?? [])")
        let sent = try messages()
        for name in templates {
            let message = try #require(sent.first { $0.contains("\"\(name)\"") })
            #expect(message.contains(#""code":"mr""#), "\(name) in Marathi")
        }
        let receivedMessage = try #require(sent.first { $0.contains("dakiya_application_received") })
        #expect(receivedMessage.contains(clock.due_on.split(separator: "-").reversed().joined(separator: "-")))
        #expect(sent.first { $0.contains("dakiya_payment_due") }?.contains("₹12,34,567.50") == true)
        #expect(sent.first { $0.contains("dakiya_appointment") }?.contains("स्थळ पाहणी") == true)
        let documentsMessage = try #require(sent.first { $0.contains("dakiya_documents_needed") })
        #expect(documentsMessage.contains("Ration card; Talathi income report"))
        #expect(documentsMessage.contains(#""payload":"shortfall:\#(shortfall.delivery_id)""#), "\(documentsMessage)")
        // Every request is one Meta's OpenAPI document allows.
        let problems = try GraphOpenAPI.check(sent, schema: "Message")
        for (problem, request) in zip(problems, sent) where problem != "ok" { Issue.record("\(problem)\n\(request)") }

        #expect(eventually(timeout: .seconds(30)) { (try? mails())?.count == 5 }, "\((try? mails()) ?? [])")
        let subjects = Set(try mails().compactMap { $0["subject"] as? String })
        #expect(
            subjects == [
                "अर्ज MH-J-1 प्राप्त झाला", "अर्ज MH-J-1 ची छाननी सुरू आहे", "अर्ज MH-J-1 साठी शुल्क भरणे बाकी",
                "अर्ज MH-J-1: स्थळ पाहणी", "अर्ज MH-J-1 साठी कागदपत्रे आवश्यक",
            ], "\(subjects)")
        let receivedMail = try #require(try mails().first { ($0["subject"] as? String)?.contains("प्राप्त") == true })
        #expect((receivedMail["text"] as? String)?.contains(officer) == true)
        #expect((receivedMail["text"] as? String)?.contains("अधिसूचित कालमर्यादा 15 दिवस आहे") == true)
        #expect((receivedMail["text"] as? String)?.contains("{{") == false)

        // 3. The citizen taps "Send documents", then sends the PDF; the portal gets it, signed, byte for byte.
        func inbound(_ json: String) throws {
            #expect(try client.send(.json("POST", sim + "/_sim/inbound", body: json)).status == 202)
        }
        try inbound(
            #"{"from": "+919812300009", "button_payload": "shortfall:\#(shortfall.delivery_id)", "button_text": "Send documents"}"#
        )
        #expect(
            eventually(timeout: .seconds(20)) {
                (try? messages())?.contains { $0.contains("PDF म्हणून येथे") } == true
            }, "\((try? messages()) ?? [])")
        try inbound(
            #"{"from": "+919812300009", "media_base64": "\#(Data(Self.pdf).base64EncodedString())", "media_type": "application/pdf", "media_kind": "document", "filename": "ration-card.pdf", "caption": "रेशन कार्ड"}"#
        )
        func documentEvent() -> (body: [UInt8], signature: String?)? {
            heard.all.first { String(decoding: $0.body, as: UTF8.self).contains("\"kind\":\"document\"") }
        }
        #expect(
            eventually(timeout: .seconds(30)) { documentEvent() != nil },
            "\(heard.all.map { String(decoding: $0.body, as: UTF8.self).prefix(300) })")
        let found = try #require(documentEvent())
        #expect(
            CallbackSignature.verify(
                header: found.signature, body: found.body, secret: callbackSecret,
                now: Int(Date().timeIntervalSince1970)))
        let event = try #require(try JSONSerialization.jsonObject(with: Data(found.body)) as? [String: Any])
        #expect(event["type"] as? String == "application.shortfall_reply")
        let data = try #require(event["data"] as? [String: Any])
        #expect(data["application_id"] as? String == "MH-J-1")
        let file = try #require(data["file"] as? [String: Any])
        #expect(file["file_name"] as? String == "ration-card.pdf")
        #expect(file["media_type"] as? String == "application/pdf")
        #expect(Data(base64Encoded: file["content_base64"] as? String ?? "").map(Array.init) == Self.pdf)
        // The caption went as a text of the answer.
        #expect(
            eventually(timeout: .seconds(20)) {
                heard.all.contains { String(decoding: $0.body, as: UTF8.self).contains("रेशन कार्ड") }
            })
        // The acknowledgement names the file and the new due day.
        #expect(
            eventually(timeout: .seconds(20)) {
                (try? messages())?.contains { $0.contains("प्राप्त झाले: ration-card.pdf") } == true
            }, "\((try? messages()) ?? [])")
        let restarted = try pool.withConnection {
            try $0.query(
                """
                SELECT ac.held_on IS NULL, ac.started_on = $1::date,
                       (SELECT count(*) FROM application_history h WHERE h.application_id = a.id AND h.event = 'clock_restarted')
                FROM application_clocks ac JOIN applications a ON a.id = ac.application_id WHERE a.portal_application_id = 'MH-J-1'
                """, [today]
            ).first
        }
        #expect(try restarted?.decode(Bool.self, at: 0) == true)
        #expect(try restarted?.decode(Bool.self, at: 1) == true)
        #expect(try restarted?.decode(Int.self, at: 2) == 1)

        // The portal can also fetch it with its key.
        let listing = try client.send(
            HTTPClientRequest(url: portal + "/v1/applications/MH-J-1/shortfalls", headers: [auth]))
        #expect(listing.status == 200, "\(listing.text)")
        struct Listing: Decodable {
            struct Shortfall: Decodable {
                struct Reply: Decodable {
                    var kind: String; var state: String; var file_url: String?; var scan: String?
                }
                var state: String; var replies: [Reply]
            }
            var shortfalls: [Shortfall]
        }
        let shortfalls = try JSONDecoder().decode(Listing.self, from: Data(listing.body)).shortfalls
        #expect(shortfalls.first?.state == "answered")
        let fileURL = try #require(shortfalls.first?.replies.first { $0.kind == "document" }?.file_url)
        #expect(shortfalls.first?.replies.first { $0.kind == "document" }?.scan == "clean", "the hook ran")
        let fetched = try client.send(HTTPClientRequest(url: portal + fileURL, headers: [auth]))
        #expect(fetched.status == 200 && fetched.body == Self.pdf)

        // 4. A file that is not a PDF, JPEG or PNG is refused, and the citizen is told why.
        try inbound(
            #"{"from": "+919812300009", "media_base64": "\#(Data("GIF89a-not-allowed".utf8).base64EncodedString())", "media_type": "image/gif", "media_kind": "image"}"#
        )
        #expect(
            eventually(timeout: .seconds(20)) {
                (try? messages())?.contains { $0.contains("ही फाइल स्वीकारता आली नाही") } == true
            }, "\((try? messages()) ?? [])")
        // A PDF the virus scan flags, and one over DAKIYA_SHORTFALL_MAX_BYTES (2 KB here): refused, each with its reason.
        let infected = Array(
            "%PDF-1.4\nX5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*\n%%EOF\n".utf8)
        let large = Array("%PDF-1.4\n".utf8) + [UInt8](repeating: 0x20, count: 3000) + Array("\n%%EOF\n".utf8)
        for (bytes, name) in [(infected, "infected.pdf"), (large, "large.pdf")] {
            try inbound(
                #"{"from": "+919812300009", "media_base64": "\#(Data(bytes).base64EncodedString())", "media_type": "application/pdf", "media_kind": "document", "filename": "\#(name)"}"#
            )
        }
        #expect(
            eventually(timeout: .seconds(20)) {
                let sent = (try? messages()) ?? []
                return sent.contains { $0.contains("व्हायरस तपासणीत") } && sent.contains { $0.contains("2 KB पेक्षा मोठी") }
            }, "\((try? messages()) ?? [])")
        let refusals = try pool.withConnection {
            try $0.query("SELECT refusal FROM shortfall_replies WHERE state = 'refused' ORDER BY refusal").rows.map {
                try $0.decode(String.self, at: 0)
            }
        }
        #expect(refusals == ["scan", "size", "type"])
        // Nothing of a refused file reached the portal.
        #expect(!heard.all.contains { String(decoding: $0.body, as: UTF8.self).contains("infected.pdf") })
        // The webhooks the simulator sent (files among them) are ones Meta's document allows.
        let webhooks = try pool.withConnection {
            try $0.query("SELECT body FROM whatsapp_webhook_batches ORDER BY id").rows.map {
                try $0.decode(String.self, at: 0)
            }
        }
        #expect(webhooks.contains { $0.contains(#""type":"document""#) })
        for (problem, webhook) in zip(try GraphOpenAPI.check(webhooks, schema: "WebhookPayload"), webhooks)
        where problem != "ok" {
            Issue.record("\(problem)\n\(webhook)")
        }
    }

    @Test(
        "a step's facts are checked: each problem names its field, a fact of another step is refused, nothing is written"
    )
    func stepValidation() throws {
        let db = try TestDatabase()
        let process = try ChildProcess(
            "dakiya-admin", arguments: ["department", "add", "REVENUE", "Revenue"],
            environment: ["DAKIYA_DATABASE_URL": db.url])
        #expect(process.waitForExit(timeout: .seconds(20)) == 0)
        let key = try ChildProcess(
            "dakiya-admin",
            arguments: [
                "key", "create", "--department", "REVENUE", "--label", "p", "--kind", "live", "--scope", "citizens",
            ],
            environment: ["DAKIYA_DATABASE_URL": db.url])
        #expect(key.waitForExit(timeout: .seconds(20)) == 0)
        let secret = try #require(
            key.outputText.split(separator: "\n").first { $0.hasPrefix("secret") }?.split(separator: " ").last.map(
                String.init))
        let port = freePort()
        let portal = try ChildProcess(
            "portal-adapter",
            environment: ["DAKIYA_DATABASE_URL": try db.serviceURL(), "DAKIYA_HTTP_PORT": String(port)])
        defer { withExtendedLifetime(portal) {} }
        let base = "http://127.0.0.1:\(port)"
        let client = try HTTPClient()
        #expect(eventually { (try? client.send(HTTPClientRequest(url: base + "/readyz")))?.status == 200 })
        let auth = ("Authorization", "Bearer \(secret)")
        #expect(
            try client.send(
                .json("PUT", base + "/v1/citizens/u-1", body: #"{"language": "en"}"#, headers: [auth])
            ).status == 200)
        for (index, (body, fields)) in [
            (
                #"{"step": "documents_needed", "citizen": "u-1", "service": "INCOME", "office": "HAVELI"}"#,
                ["documents", "reply_by"]
            ),
            (
                #"{"step": "payment_due", "citizen": "u-1", "service": "INCOME", "office": "HAVELI", "amount": "0", "pay_at": " ", "pay_by": "2020-01-01", "place": "x"}"#,
                ["place", "amount", "pay_at", "pay_by"]
            ),
            (#"{"step": "outcome", "citizen": "u-1", "service": "INCOME", "office": "HAVELI"}"#, ["step"]),
            (
                #"{"step": "appointment", "citizen": "u-1", "service": "INCOME", "office": "HAVELI", "visit": "party", "place": "Office"}"#,
                ["visit", "at"]
            ),
            (
                #"{"step": "received", "citizen": "u-1", "service": "INCOME", "office": "HAVELI", "received_at": "2999-01-01T00:00:00Z"}"#,
                ["received_at"]
            ),
        ].enumerated() {
            let answer = try client.send(
                .json(
                    "POST", base + "/v1/applications/V-1/steps", body: body,
                    headers: [auth, ("Idempotency-Key", "v-\(index)")]))
            #expect(answer.status == 422, "\(body): \(answer.text)")
            #expect(answer.header("content-type")?.hasPrefix("application/problem+json") == true)
            for field in fields { #expect(answer.text.contains("\"field\":\"\(field)\""), "\(field): \(answer.text)") }
        }
        // Bad bytes: a NUL in a document's name, an unknown field, a date that is not one: 4xx problem+json naming it.
        for (index, (body, status, field)) in [
            (
                #"{"step": "documents_needed", "citizen": "u-1", "service": "INCOME", "office": "HAVELI", "documents": ["Ration\u0000card"], "reply_by": "2030-01-01"}"#,
                422, "documents[0]"
            ),
            (
                #"{"step": "under_scrutiny", "citizen": "u-1", "service": "INCOME", "office": "HAVELI", "stepp": 1}"#,
                422, "stepp"
            ),
            (
                #"{"step": "appointment", "citizen": "u-1", "service": "INCOME", "office": "HAVELI", "at": "tomorrow", "place": "x"}"#,
                400, "at"
            ),
        ].enumerated() {
            let answer = try client.send(
                .json(
                    "POST", base + "/v1/applications/V-1/steps", body: body,
                    headers: [auth, ("Idempotency-Key", "bad-\(index)")]))
            #expect(answer.status == status, "\(body): \(answer.text)")
            #expect(answer.header("content-type")?.hasPrefix("application/problem+json") == true)
            #expect(answer.text.contains("\"field\":\"\(field)\""), "\(field): \(answer.text)")
        }
        // A service with no catalogue rule cannot start a clock: the received step is refused naming the service.
        let unknown = try client.send(
            .json(
                "POST", base + "/v1/applications/V-1/steps",
                body: #"{"step": "received", "citizen": "u-1", "service": "NO_SUCH", "office": "HAVELI"}"#,
                headers: [auth, ("Idempotency-Key", "v-unknown")]))
        #expect(unknown.status == 422 && unknown.text.contains("\"field\":\"service\""), "\(unknown.text)")
        #expect(unknown.text.contains("catalogue"), "\(unknown.text)")
        #expect(
            try db.connect().query("SELECT count(*) FROM deliveries").first?.decode(Int.self, at: 0) == 0,
            "nothing written")
    }
}

/// The rating question by email, across the real services: a citizen WhatsApp does not reach is asked once, after
/// their outcome's email went out; the link's page records nothing until the form is posted; the answer is kept
/// once; a citizen WhatsApp reaches is not asked by email.
@Suite("Rating by email across services", .serialized)
struct EmailRatingFlowTests {
    @Test(
        "an email-only citizen is asked once by email (a second outcome does not ask again); opening a link records nothing; the posted rating and comment are kept once and logged; a WhatsApp citizen gets no email question"
    )
    func emailRating() throws {
        let db = try TestDatabase()
        func admin(_ arguments: [String]) throws -> String {
            let process = try ChildProcess(
                "dakiya-admin", arguments: arguments, environment: ["DAKIYA_DATABASE_URL": db.url])
            #expect(process.waitForExit(timeout: .seconds(20)) == 0, "\(arguments): \(process.outputText)")
            return process.outputText
        }
        _ = try admin(["department", "add", "REVENUE", "Revenue Department"])
        _ = try admin(["department", "ratings", "REVENUE", "on"])
        let created = try admin([
            "key", "create", "--department", "REVENUE", "--label", "portal", "--kind", "live", "--scope", "citizens",
        ])
        let key = try #require(
            created.split(separator: "\n").first { $0.hasPrefix("secret") }?.split(separator: " ").last.map(String.init)
        )
        let smtp = try SMTPSink()
        let stack = try DeliveryServices(db: db, smtp: smtp)
        defer { withExtendedLifetime(stack) {} }
        let client = try HTTPClient()
        let portal = stack.portal
        #expect(eventually { (try? client.send(HTTPClientRequest(url: portal + "/readyz")))?.status == 200 })
        let auth = ("Authorization", "Bearer \(key)")
        for (citizen, body) in [
            ("e-1", #"{"email": "e1@example.in", "language": "hi"}"#),
            (
                "w-1",
                #"{"mobile": "+919812300077", "email": "w1@example.in", "language": "en", "consents": [{"channel": "whatsapp", "granted": true, "source": "portal-profile"}]}"#
            ),
        ] {
            #expect(
                try client.send(.json("PUT", portal + "/v1/citizens/\(citizen)", body: body, headers: [auth])).status
                    == 200)
        }
        for (application, citizen, idempotency) in [("E-1", "e-1", "e1a"), ("E-1", "e-1", "e1b"), ("W-1", "w-1", "w1")]
        {
            let outcome = try client.send(
                .json(
                    "POST", portal + "/v1/applications/\(application)/outcome",
                    body:
                        #"{"citizen": "\#(citizen)", "decision": "approved", "service": "INCOME", "office": "HAVELI"}"#,
                    headers: [auth, ("Idempotency-Key", idempotency)]))
            #expect(outcome.status == 202, "\(outcome.text)")
        }
        func ratingMails() throws -> [[String: Any]] {
            try smtp.messages().map(SMTPSink.parse).filter {
                ($0["message_id"] as? String)?.hasPrefix("<rating-") == true
            }
        }
        // Three outcome emails (two for E-1, one to W-1's address) and one question, to the email-only citizen.
        #expect(
            eventually(timeout: .seconds(30)) { (try? smtp.messages())?.count == 4 },
            "\((try? smtp.messages().count) ?? 0)")
        #expect(eventually(timeout: .seconds(20)) { (try? ratingMails())?.count == 1 })
        Thread.sleep(forTimeInterval: 1)
        let questions = try ratingMails()
        #expect(questions.count == 1, "asked once")
        let question = try #require(questions.first)
        #expect("\(question["to"] ?? "")".contains("e1@example.in"))
        #expect((question["subject"] as? String) == "सेवा कैसी रही? आवेदन E-1")
        let text = try #require(question["text"] as? String)
        let links = text.matches(of: /http:\/\/127\.0\.0\.1:\d+\/rate\/[A-Za-z0-9_-]+\?stars=[1-5]/).map {
            String($0.output)
        }
        #expect(links.count == 5, "\(text)")
        let three = try #require(links.first { $0.hasSuffix("stars=3") })
        let opened = try client.send(HTTPClientRequest(url: three))
        #expect(opened.status == 200 && opened.text.contains(#"value="3" checked"#))
        #expect(opened.text.contains("lang=\"hi\""))
        let pool = db.pool()
        func kept() throws -> (Int?, String?) {
            try pool.withConnection {
                let row = try $0.query("SELECT rating, comment FROM service_ratings WHERE channel = 'email'").first
                return (try row?.decode(Int?.self, at: 0), try row?.decode(String?.self, at: 1))
            }
        }
        #expect(try kept().0 == nil, "opening a link records nothing")
        let token = String(three.split(separator: "/").last!.split(separator: "?").first!)
        func post(_ form: String) throws -> HTTPClientResponse {
            try client.send(
                HTTPClientRequest(
                    method: "POST", url: portal + "/rate/\(token)",
                    body: .bytes(Array(form.utf8), contentType: "application/x-www-form-urlencoded")))
        }
        #expect(try post("lang=en&rating=9").status == 422)
        let thanked = try post("lang=en&rating=2&comment=Too+slow%2C+three+visits")
        #expect(thanked.status == 200 && thanked.text.contains("Thank you"))
        #expect(try kept() == (2, "Too slow, three visits"))
        let again = try post("lang=en&rating=5")
        #expect(again.text.contains("rated already"))
        #expect(try kept().0 == 2, "the first answer stands")
        #expect(try client.send(HTTPClientRequest(url: portal + "/rate/not-a-token")).status == 404)
        // The answer is a rating.answered entry of the log (no comment in it).
        let entries = try pool.withConnection {
            try $0.query(
                "SELECT convert_from(e, 'UTF8') FROM log_queue, unnest(entries) e UNION ALL SELECT convert_from(entry, 'UTF8') FROM log_entries"
            ).rows.map { try $0.decode(String.self, at: 0) }
        }
        let rated = entries.filter { $0.contains("\"rating.answered\"") }
        #expect(
            rated.count == 1 && rated.first?.contains("\"rating\":2") == true && rated.first?.contains("slow") == false)
    }
}
