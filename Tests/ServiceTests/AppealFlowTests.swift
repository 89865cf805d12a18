import Appeals
@testable import AppealsService
import Delivery
import Foundation
import HTTPClient
import HTTPServer
import JobContracts
import JobQueue
import Postgres
import ServiceRuntime
import TestSupport
import Testing

/// The whole appeal path across the real services: portal-adapter, dispatcher, whatsapp-adapter,
/// email-adapter, the Cloud API simulator and a real SMTP server. The appeals service runs in process with a
/// clock the test moves by days.
@Suite("Appeal flow across services", .serialized)
struct AppealFlowTests {
    struct Accepted: Decodable { var body: String }

    @Test(
        "rejection delivered → first appeal on WhatsApp → acknowledged on WhatsApp and email → hearing → dismissed → second appeal by API → overdue → told about the Commission"
    )
    func fullPath() throws {
        let db = try TestDatabase()
        func admin(_ arguments: [String]) throws -> String {
            let process = try ChildProcess(
                "dakiya-admin", arguments: arguments, environment: ["DAKIYA_DATABASE_URL": db.url])
            #expect(process.waitForExit(timeout: .seconds(20)) == 0, "\(arguments): \(process.outputText)")
            return process.outputText
        }
        func secret(_ output: String) throws -> String {
            try #require(
                output.split(separator: "\n").first { $0.hasPrefix("secret") }?.split(separator: " ").last.map(
                    String.init))
        }
        _ = try admin(["department", "add", "REVENUE", "Revenue Department"])
        #expect(try admin(["department", "ratings", "REVENUE", "on"]).contains("asked to rate the service"))
        #expect(
            try admin(["catalogue", "import", "--sample"]).contains(
                "imported 111 catalogue rules, 79 officer roles, 36 documents, details of 105 services"))
        let portalKey = try secret(
            try admin([
                "key", "create", "--department", "REVENUE", "--label", "portal", "--kind", "live", "--scope",
                "citizens",
            ]))
        let tahsildar = try secret(
            try admin([
                "officer-key", "create", "--role", "TAHSILDAR", "--office", "HAVELI", "--name", "Tahsildar, Haveli",
            ]))
        let sdo = try secret(
            try admin(["officer-key", "create", "--role", "SDO", "--office", "HAVELI", "--name", "SDO, Haveli"]))

        let smtp = try SMTPSink()
        let stack = try DeliveryServices(
            db: db, smtp: smtp, simulatorSettings: ["DAKIYA_SIM_READ_DELAY_SECONDS": "0.2"])
        let portalPort = stack.portalPort, whatsappPort = stack.whatsappPort, simulatorPort = stack.simulatorPort
        defer { withExtendedLifetime(stack) {} }  // the services stop when it goes
        let services = stack.services

        // The appeals service, in process: its API and its job worker read the test's clock.
        let clock = ManualClock(Date())
        let pool = db.pool()
        let logger = Logger(service: "appeals-service", sink: .capturing())
        let desk = AppealsDesk(queue: JobQueue())
        let api = AppealsAPI(pool: pool, desk: desk, logger: logger, now: { clock.date })
        let server = Server(
            configuration: ServerConfiguration(port: 0, threads: 2), router: api.makeRouter(), logger: logger,
            metrics: MetricsRegistry())
        try server.start()
        defer { server.stop() }
        let filing = WhatsAppFiling(pool: pool, desk: desk, queue: JobQueue(), logger: logger, now: { clock.date })
        let worker = JobWorker(
            pool: pool, configuration: WorkerConfiguration(queue: "appeals", pollInterval: .milliseconds(200)),
            handlers: [Jobs.appealFile.kind: { job in try filing.handle(job) }], logger: logger,
            metrics: MetricsRegistry())
        try worker.start()
        defer { worker.stop() }

        let client = try HTTPClient()
        let portal = "http://127.0.0.1:\(portalPort)", appeals = "http://127.0.0.1:\(server.port)",
            sim = "http://127.0.0.1:\(simulatorPort)"
        #expect(eventually { (try? client.send(HTTPClientRequest(url: portal + "/readyz")))?.status == 200 })
        #expect(
            eventually {
                (try? client.send(HTTPClientRequest(url: "http://127.0.0.1:\(whatsappPort)/readyz")))?.status == 200
            })
        let auth = ("Authorization", "Bearer \(portalKey)")
        func simulatorMessages() throws -> [String] {
            try JSONDecoder().decode(
                [Accepted].self, from: Data(try client.send(HTTPClientRequest(url: sim + "/_sim/messages")).body)
            ).map(\.body)
        }
        func mails() throws -> [[String: Any]] { try smtp.messages().map(SMTPSink.parse) }
        func inbound(_ json: String) throws {
            #expect(try client.send(.json("POST", sim + "/_sim/inbound", body: json)).status == 202)
        }

        // 1. The rejection reaches the citizen (Marathi) on WhatsApp with a "File an appeal" button, and by email with the appeal link.
        #expect(
            try client.send(
                .json(
                    "PUT", portal + "/v1/citizens/u-7",
                    body:
                        #"{"mobile": "9812345678", "email": "asha@example.in", "language": "mr", "consents": [{"channel": "whatsapp", "granted": true, "source": "portal-profile"}]}"#,
                    headers: [auth])
            ).status == 200)
        let completed = PostgresTimestamp.format(clock.date.addingTimeInterval(-10 * 86_400)).replacingOccurrences(
            of: " ", with: "T"
        ).replacingOccurrences(of: "+00", with: "Z")
        let clockResponse = try client.send(
            .json(
                "PUT", appeals + "/v1/applications/RTS-1/clock",
                body:
                    #"{"portal_user_id": "u-7", "service_code": "INCOME", "office_code": "HAVELI", "completed_at": "\#(completed)"}"#,
                headers: [auth]))
        #expect(clockResponse.status == 200, "\(clockResponse.text)")
        let rejected = try client.send(
            .json(
                "POST", portal + "/v1/applications/RTS-1/outcome",
                body:
                    #"{"citizen": "u-7", "decision": "rejected", "reasons": ["Income proof not attached"], "service": "INCOME", "office": "HAVELI"}"#,
                headers: [auth, ("Idempotency-Key", "rej-1")]))
        #expect(rejected.status == 202, "\(rejected.text)")
        #expect(
            eventually(timeout: .seconds(20)) {
                (try? simulatorMessages())?.contains { $0.contains("dakiya_outcome_rejected") } == true
            })
        let rejection = try #require(try simulatorMessages().first { $0.contains("dakiya_outcome_rejected") })
        #expect(rejection.contains(#""sub_type":"quick_reply""#) && rejection.contains(#""payload":"appeal:RTS-1""#))
        #expect(eventually(timeout: .seconds(20)) { (try? mails())?.count == 1 })

        // 2. The citizen taps the button, writes the grounds, sees the summary and confirms.
        try inbound(#"{"from": "+919812345678", "button_payload": "appeal:RTS-1", "button_text": "File an appeal"}"#)
        #expect(
            eventually(timeout: .seconds(20)) {
                (try? simulatorMessages())?.contains { $0.contains("अपिलाची कारणे") } == true
            })
        try inbound(#"{"from": "+919812345678", "text": "माझे *उत्पन्न* प्रमाणपत्र कागदपत्रे पूर्ण होती."}"#)
        #expect(
            eventually(timeout: .seconds(20)) {
                (try? simulatorMessages())?.contains { $0.contains("appeal:confirm") } == true
            })
        let summary = try #require(try simulatorMessages().first { $0.contains("appeal:confirm") })
        #expect(
            summary.contains("RTS-1") && summary.contains("माझे उत्पन्न प्रमाणपत्र") && !summary.contains("*उत्पन्न*"),
            "the grounds quoted without their formatting marks")
        try inbound(#"{"from": "+919812345678", "reply_id": "appeal:confirm", "reply_title": "अपील दाखल करा"}"#)

        // 3. The appeals service files it; the acknowledgement arrives on WhatsApp and by email.
        var number = ""
        #expect(
            eventually(timeout: .seconds(20)) {
                number =
                    (try? pool.withConnection {
                        try $0.query("SELECT appeal_number FROM appeals WHERE level = 1").first?.decode(
                            String.self, at: 0)
                    }) ?? nil ?? ""
                return !number.isEmpty
            })
        #expect(
            eventually(timeout: .seconds(20)) {
                (try? simulatorMessages())?.contains { $0.contains("dakiya_appeal_update") && $0.contains(number) }
                    == true
            })
        #expect(
            eventually(timeout: .seconds(20)) {
                (try? mails())?.contains { ($0["text"] as? String)?.contains(number) == true } == true
            })
        let acknowledgement = try #require(try mails().first { ($0["text"] as? String)?.contains(number) == true })
        #expect((acknowledgement["subject"] as? String) == "लोकसेवा हक्क: अर्ज RTS-1")
        #expect(
            (acknowledgement["text"] as? String)?.contains("उत्पन्नाचा दाखला साठीचा अर्ज RTS-1") == true,
            "the service by its catalogue name in Marathi")
        #expect((acknowledgement["defects"] as? [Any])?.isEmpty == true)
        #expect(
            try pool.withConnection {
                try $0.query("SELECT filed_via FROM appeals WHERE appeal_number = $1", [number]).first?.decode(
                    String.self, at: 0)
            } == "whatsapp")

        // 4. The Tahsildar fixes a hearing and dismisses the appeal; the citizen hears of both and of the second appeal.
        let officer = ("Authorization", "Bearer \(tahsildar)")
        clock.advance(by: .seconds(3 * 86_400))
        let pending = try client.send(HTTPClientRequest(url: appeals + "/v1/authority/appeals", headers: [officer]))
        #expect(pending.text.contains(number) && pending.text.contains("\"days_left\":27"), "\(pending.text)")
        let hearingAt = PostgresTimestamp.format(clock.date.addingTimeInterval(5 * 86_400)).replacingOccurrences(
            of: " ", with: "T"
        ).replacingOccurrences(of: "+00", with: "Z")
        #expect(
            try client.send(
                .json(
                    "POST", appeals + "/v1/authority/appeals/\(number)/hearing",
                    body: #"{"hearing_at": "\#(hearingAt)"}"#, headers: [officer])
            ).status == 200)
        clock.advance(by: .seconds(7 * 86_400))
        let dismissed = try client.send(
            .json(
                "POST", appeals + "/v1/authority/appeals/\(number)/decision",
                body: #"{"decision": "dismissed", "reasons": ["Income proof still missing"]}"#, headers: [officer]))
        #expect(dismissed.status == 200, "\(dismissed.text)")
        #expect(
            eventually(timeout: .seconds(20)) { (try? mails())?.count == 4 },
            "rejection, acknowledgement, hearing, dismissal")
        #expect(try mails().contains { ($0["text"] as? String)?.contains("द्वितीय अपील") == true })

        // 5. The second appeal through the API; the SDO lets its 45 days pass; the citizen is told about the Commission.
        let second = try client.send(
            .json(
                "POST", appeals + "/v1/applications/RTS-1/appeals",
                body: #"{"level": 2, "grounds": "The first appeal ignored my documents."}"#, headers: [auth]))
        #expect(second.status == 201, "\(second.text)")
        #expect(second.text.contains(#""role":"SDO""#))
        clock.advance(by: .seconds(46 * 86_400))
        let report = try pool.withConnection { try desk.sweep(now: clock.date, on: $0) }
        #expect(report.overdue == 1)
        let overdue = try client.send(
            HTTPClientRequest(
                url: appeals + "/v1/authority/appeals?status=overdue", headers: [("Authorization", "Bearer \(sdo)")]))
        #expect(overdue.text.contains("\"overdue\":true"), "\(overdue.text)")
        #expect(
            eventually(timeout: .seconds(20)) {
                (try? mails())?.contains { ($0["text"] as? String)?.contains("राज्य सेवा हक्क आयोगाकडे अपील") == true } == true
            })
        #expect(
            eventually(timeout: .seconds(20)) {
                (try? simulatorMessages())?.contains { $0.contains("राज्य सेवा हक्क आयोगाकडे अपील") } == true
            })

        // Everything our adapter sent and every webhook the simulator sent conform to Meta's OpenAPI document.
        try inbound(#"{"from": "+919812345678", "text": "नमस्कार"}"#)
        #expect(
            eventually(timeout: .seconds(20)) {
                (try? simulatorMessages())?.contains { $0.contains("menu:track") } == true
            }, "the menu as an interactive list")
        // The rejection reached the citizen, so they were asked once to rate the service; they tap 2 stars.
        #expect(
            eventually(timeout: .seconds(20)) {
                (try? simulatorMessages())?.filter { $0.contains("dakiya_rating_request") }.count == 1
            }, "one rating question")
        let ratingID = try #require(
            try pool.withConnection {
                try $0.query("SELECT id FROM service_ratings").first?.decode(Int64.self, at: 0)
            })
        try inbound(#"{"from": "+919812345678", "button_payload": "rate:\#(ratingID):2", "button_text": "2"}"#)
        #expect(
            eventually(timeout: .seconds(20)) {
                (try? pool.withConnection {
                    try $0.query("SELECT rating FROM service_ratings WHERE id = $1", [ratingID]).first?.decode(
                        Int?.self, at: 0)
                }) == 2
            })
        #expect(try admin(["ratings"]).contains("INCOME,HAVELI,1,1,2.00,0,1,0,0,0,0"))
        // Find a service: a misspelt Marathi name, the list of services, the chosen one's information and its Flow.
        try inbound(
            #"{"from": "+919812345678", "reply_id": "menu:find", "reply_title": "सेवा शोधा", "reply_kind": "list_reply"}"#)
        #expect(
            eventually(timeout: .seconds(20)) { (try? simulatorMessages())?.contains { $0.contains("उदाहरणार्थ") } == true }
        )
        try inbound(#"{"from": "+919812345678", "text": "उत्पनाचा दाखल"}"#)
        #expect(
            eventually(timeout: .seconds(20)) {
                (try? simulatorMessages())?.contains { $0.contains("svc:INCOME") } == true
            })
        try inbound(
            #"{"from": "+919812345678", "reply_id": "svc:INCOME", "reply_title": "उत्पन्नाचा दाखला", "reply_kind": "list_reply"}"#
        )
        #expect(
            eventually(timeout: .seconds(20)) {
                (try? simulatorMessages())?.contains { $0.contains("sample-flow-income-v1") } == true
                    && (try? simulatorMessages())?.contains { $0.contains("नायब तहसीलदार") } == true
            }, "the service's information and the Flow to apply")
        // The conversation's replies are sent one after another: wait for all of them, not only the menu.
        #expect(
            eventually(timeout: .seconds(20)) {
                // By the message's own `type` (the simulator hands the requests back with their members in any order).
                let kinds = Set(
                    ((try? simulatorMessages()) ?? []).compactMap {
                        (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["type"] as? String
                    })
                return kinds.isSuperset(of: ["template", "text", "interactive"])
            }, "templates, texts and interactive messages were checked: \((try? simulatorMessages()) ?? [])")
        let sent = try simulatorMessages()
        let requestProblems = try GraphOpenAPI.check(sent, schema: "Message")
        #expect(requestProblems.count == sent.count)
        for (problem, request) in zip(requestProblems, sent) where problem != "ok" {
            Issue.record("\(problem)\n\(request)")
        }
        let webhooks = try pool.withConnection {
            try $0.query("SELECT body FROM whatsapp_webhook_batches ORDER BY id").rows.map {
                try $0.decode(String.self, at: 0)
            }
        }
        for kind in [
            #""type":"button""#, #""button_reply""#, #""status":"sent""#, #""status":"delivered""#, #""status":"read""#,
            #""type":"text""#,
        ] {
            #expect(webhooks.contains { $0.contains(kind) }, "a webhook with \(kind) was checked")
        }
        let webhookProblems = try GraphOpenAPI.check(webhooks, schema: "WebhookPayload")
        #expect(webhookProblems.count == webhooks.count)
        for (problem, webhook) in zip(webhookProblems, webhooks) where problem != "ok" {
            Issue.record("\(problem)\n\(webhook)")
        }

        let record = try client.send(
            HTTPClientRequest(url: appeals + "/v1/applications/RTS-1/appeals", headers: [auth])
        ).text
        let events = [
            "clock_started", "outcome_delivered", "appeal_filed", "hearing_scheduled", "appeal_decided", "appeal_filed",
            "appeal_overdue",
        ]
        var cursor = record.startIndex
        for event in events {
            let found = record.range(of: "\"event\":\"\(event)\"", range: cursor..<record.endIndex)
            #expect(found != nil, "\(event) in order: \(record)")
            cursor = found?.upperBound ?? cursor
        }
        // Every service has logged the whole flow (WhatsApp conversation, emails, appeals); none logged the citizen's
        // number or address in any form.
        for process in services {
            #expect(!process.outputText.isEmpty)
            for personal in ["9812345678", "asha@example.in"] {
                #expect(
                    !process.outputText.contains(personal),
                    "\(personal) in a log line: \(process.outputText.components(separatedBy: "\n").filter { $0.contains(personal) }.prefix(3))"
                )
            }
        }
    }
}
