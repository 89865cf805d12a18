import Foundation
import HTTPClient
import HTTPServer
import Postgres
import ServiceRuntime
import Testing
import TestSupport

/// Broadcasts across the real services (issue 18): portal-adapter accepts, the dispatcher fans out, the WhatsApp
/// adapter sends to the Cloud API simulator (statuses come back by webhook), the email adapter to a real SMTP server.
@Suite("Broadcast flow across services", .serialized)
struct BroadcastFlowTests {
    struct Sent: Decodable { var body: String }

    /// The services, a department with a key, and helpers to call them.
    final class Stack: @unchecked Sendable {
        let db: TestDatabase
        let url: String
        let smtp: SMTPSink
        let services: DeliveryServices
        let client: HTTPClient
        let auth: (String, String)

        init(common: [String: String] = [:], simulator: [String: String] = [:]) throws {
            let db = try TestDatabase()
            self.db = db
            let url = db.url
            self.url = url
            _ = try Self.admin(["department", "add", "REVENUE", "Revenue Department"], url: url)
            let created = try Self.admin(
                url: url,
                [
                    "key", "create", "--department", "REVENUE", "--label", "portal", "--kind", "live", "--scope",
                    "citizens",
                ])
            guard
                let secret = created.split(separator: "\n").first(where: { $0.hasPrefix("secret") })?.split(
                    separator: " "
                ).last.map(String.init)
            else { throw TestEnvironmentError(message: "no secret in \(created)") }
            auth = ("Authorization", "Bearer \(secret)")
            let smtp = try SMTPSink()
            self.smtp = smtp
            services = try DeliveryServices(db: db, smtp: smtp, common: common, simulatorSettings: simulator)
            let client = try HTTPClient()
            self.client = client
            let ready = [services.portal, "http://127.0.0.1:\(services.whatsappPort)"]
            for base in ready {
                #expect(eventually { (try? client.send(HTTPClientRequest(url: base + "/readyz")))?.status == 200 })
            }
        }

        static func admin(_ arguments: [String], url: String) throws -> String {
            let process = try ChildProcess(
                "dakiya-admin", arguments: arguments, environment: ["DAKIYA_DATABASE_URL": url])
            guard process.waitForExit(timeout: .seconds(20)) == 0 else {
                throw TestEnvironmentError(message: "dakiya-admin \(arguments): \(process.outputText)")
            }
            return process.outputText
        }

        static func admin(url: String, _ arguments: [String]) throws -> String { try admin(arguments, url: url) }

        func citizen(_ id: String, _ json: String) throws {
            let response = try client.send(
                .json("PUT", services.portal + "/v1/citizens/\(id)", body: json, headers: [auth]))
            #expect(response.status == 200, "\(response.text)")
        }

        /// The broadcast messages the simulator accepted (template `template`), as JSON objects.
        func alerts(_ template: String = "dakiya_weather_alert") throws -> [[String: Any]] {
            try JSONDecoder().decode(
                [Sent].self,
                from: Data(try client.send(HTTPClientRequest(url: services.simulatorBase + "/_sim/messages")).body)
            ).compactMap { try JSONSerialization.jsonObject(with: Data($0.body.utf8)) as? [String: Any] }
                .filter { (($0["template"] as? [String: Any])?["name"] as? String) == template }
        }

        func progress(_ location: String) throws -> [String: Any] {
            let response = try client.send(HTTPClientRequest(url: services.portal + location, headers: [auth]))
            return try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        }

        func waitForStatus(_ location: String, _ status: String) throws -> [String: Any] {
            var last: [String: Any] = [:]
            #expect(
                eventually(timeout: .seconds(30)) {
                    last = (try? self.progress(location)) ?? [:]
                    return last["status"] as? String == status
                }, "\(last)")
            return last
        }
    }

    static let template = """
        "template": {
            "whatsapp": {"name": "dakiya_weather_alert", "category": "utility"},
            "fields": ["district", "advice"],
            "texts": {
                "en": {"subject": "Heavy rain warning for {district}", "body": "Heavy rain is expected in {district}.\\n{advice}."},
                "mr": {"subject": "{district} साठी मुसळधार पावसाचा इशारा", "body": "{district} मध्ये मुसळधार पाऊस अपेक्षित आहे.\\n{advice}."}
            }
        }
        """

    @Test(
        "a broadcast from an uploaded file reaches each citizen once, in their language, on the channels they consented to; statuses and progress follow; the repeat and the unreachable are counted"
    )
    func fileBroadcast() throws {
        let stack = try Stack()
        // The department's callback endpoint: it hears when the broadcast finishes.
        let heard = Heard()
        var router = Router()
        router.post("/callbacks") { request in
            heard.add(String(decoding: request.body, as: UTF8.self))
            return Response(status: 200)
        }
        let receiver = Server(
            configuration: ServerConfiguration(port: 0, threads: 2), router: router,
            logger: Logger(service: "receiver", sink: .capturing()), metrics: MetricsRegistry())
        try receiver.start()
        defer { receiver.stop() }
        _ = try Stack.admin(
            ["department", "callback", "REVENUE", "http://127.0.0.1:\(receiver.port)/callbacks"], url: stack.url)
        try stack.citizen(
            "u-1",
            #"{"mobile": "+919800000001", "email": "one@example.in", "language": "mr", "consents": [{"channel": "whatsapp", "granted": true, "source": "portal-profile"}]}"#
        )
        try stack.citizen(
            "u-2",
            #"{"mobile": "+919800000002", "language": "en", "consents": [{"channel": "whatsapp", "granted": true, "source": "portal-profile"}]}"#
        )
        try stack.citizen(
            "u-3",
            #"{"mobile": "+919800000003", "email": "three@example.in", "language": "hi", "consents": [{"channel": "whatsapp", "granted": false, "source": "portal-profile"}]}"#
        )
        let csv = """
            citizen,mobile,email,language,district,advice
            u-1,,,,Pune,"Stay indoors, keep away from rivers"
            u-2,,,,Pune,Stay indoors
            u-3,,,,Satara,Move to higher ground
            ,+919800000004,four@example.in,mr,Pune,Stay indoors
            u-1,,,,Pune,Stay home

            """
        let json = """
            {"name": "Rain warning, Pune division", "priority": "normal", \(Self.template)}
            """
        let upload = HTTPClientRequest(
            method: "POST", url: stack.services.portal + "/v1/broadcasts",
            headers: [stack.auth, ("Idempotency-Key", "rain-1")],
            body: .multipart([
                MultipartPart(name: "broadcast", data: Array(json.utf8), contentType: "application/json"),
                MultipartPart(
                    name: "audience", data: Array(csv.utf8), filename: "audience.csv", contentType: "text/csv"),
            ]))
        let accepted = try stack.client.send(upload)
        #expect(accepted.status == 202, "\(accepted.text)\n\(stack.services.services[0].outputText)")
        #expect(accepted.text.contains("\"recipients\":4") && accepted.text.contains("\"repeated_rows\":1"))
        let location = try #require(accepted.header("location"))
        // The same upload again (libcurl makes a new boundary): the same answer, nothing twice.
        let replay = try stack.client.send(upload)
        #expect(replay.status == 202 && replay.header("location") == location)
        #expect(replay.header("idempotent-replayed") == "true")

        let finished = try stack.waitForStatus(location, "finished")
        let totals = try #require(finished["totals"] as? [String: [String: Int]])
        // WhatsApp: u-1 and u-2 (opted in); u-3 opted out; the bare number has no opt-in on record.
        #expect(
            eventually {
                let whatsapp = ((try? stack.progress(location))?["totals"] as? [String: [String: Int]])?["whatsapp"]
                return (whatsapp?["delivered"] ?? 0) + (whatsapp?["read"] ?? 0) == 2
            }, "the statuses of both messages came back: \(totals)")
        #expect(totals["whatsapp"]?["skipped"] == 2)
        // Email: u-1, u-3 and the bare address; u-2 has none.
        #expect(totals["email"]?["sent"] == 3 && totals["email"]?["skipped"] == 1, "\(totals)")
        let skipped = try stack.db.connect().query(
            "SELECT channel || ':' || seq || ':' || reason FROM broadcast_messages WHERE state = 'skipped' ORDER BY 1"
        ).rows.map { try $0.decode(String.self, at: 0) }
        #expect(skipped == ["email:1:no_email", "whatsapp:2:opted_out", "whatsapp:3:no_whatsapp_opt_in"])

        let alerts = try stack.alerts()
        #expect(alerts.count == 2, "one message per citizen, the repeat not sent: \(alerts)")
        let byNumber = Dictionary(uniqueKeysWithValues: alerts.map { ($0["to"] as? String ?? "", $0) })
        let first = try #require(byNumber["+919800000001"]?["template"] as? [String: Any])
        #expect((first["language"] as? [String: Any])?["code"] as? String == "mr")
        let parameters =
            ((first["components"] as? [[String: Any]])?.first?["parameters"] as? [[String: Any]])?.compactMap {
                $0["text"] as? String
            }
        #expect(
            parameters == ["Pune", "Stay indoors, keep away from rivers"], "the first row's values, not the repeat's")
        #expect(
            ((byNumber["+919800000002"]?["template"] as? [String: Any])?["language"] as? [String: Any])?["code"]
                as? String == "en")

        let mails = try stack.smtp.messages().map(SMTPSink.parse)
        #expect(mails.count == 3)
        let byAddress = Dictionary(uniqueKeysWithValues: mails.map { ($0["to"] as? String ?? "", $0) })
        #expect(byAddress["one@example.in"]?["subject"] as? String == "Pune साठी मुसळधार पावसाचा इशारा")
        #expect(
            (byAddress["one@example.in"]?["text"] as? String)?.contains("Stay indoors, keep away from rivers") == true)
        // Hindi has no text in this broadcast: English.
        #expect(byAddress["three@example.in"]?["subject"] as? String == "Heavy rain warning for Satara")
        #expect(byAddress["four@example.in"]?["subject"] as? String == "Pune साठी मुसळधार पावसाचा इशारा")
        for mail in mails { #expect((mail["defects"] as? [String])?.isEmpty == true, "\(mail)") }

        // The department was told, once, with the totals.
        let id = String(location.split(separator: "/").last ?? "")
        #expect(eventually { heard.bodies.contains { $0.contains("\"broadcast.finished\"") } }, "\(heard.bodies)")
        let finishedEvents = heard.bodies.filter { $0.contains("\"broadcast.finished\"") && $0.contains(id) }
        #expect(finishedEvents.count == 1)
        #expect(finishedEvents.first?.contains("\"email\":{\"sent\":3,\"skipped\":1}") == true, "\(finishedEvents)")
    }

    /// What a callback endpoint heard.
    final class Heard: @unchecked Sendable {
        private let lock = NSLock()
        private var received: [String] = []
        func add(_ body: String) { lock.lock(); received.append(body); lock.unlock() }
        var bodies: [String] { lock.lock(); defer { lock.unlock() }; return received }
    }

    @Test(
        "JSON rows; a citizen who sent STOP is skipped; a scheduled broadcast cancelled before its time sends nothing; a bad audience is refused whole with its lines and columns"
    )
    func rowsStopCancelAndRefusals() throws {
        let stack = try Stack()
        for (id, number) in [("u-1", "+919800000011"), ("u-2", "+919800000012")] {
            try stack.citizen(
                id,
                #"{"mobile": "\#(number)", "language": "en", "consents": [{"channel": "whatsapp", "granted": true, "source": "portal-profile"}]}"#
            )
        }
        // u-1 writes STOP in the chat.
        #expect(
            try stack.client.send(
                .json(
                    "POST", stack.services.simulatorBase + "/_sim/inbound",
                    body: #"{"from": "+919800000011", "text": "STOP"}"#)
            ).status == 202)
        #expect(
            eventually {
                (try? stack.db.connect().query(
                    "SELECT 1 FROM citizen_consents WHERE source = 'whatsapp:STOP'"
                ).rows.count) == 1
            })
        let rows = """
            {"name": "Rain warning", "channels": ["whatsapp"], \(Self.template),
             "audience": {"rows": [{"citizen": "u-1", "fields": {"district": "Pune", "advice": "Stay indoors"}},
                                   {"citizen": "u-2", "fields": {"district": "Pune", "advice": "Stay indoors"}}]}}
            """
        let accepted = try stack.client.send(
            .json(
                "POST", stack.services.portal + "/v1/broadcasts", body: rows,
                headers: [stack.auth, ("Idempotency-Key", "rows-1")]))
        #expect(accepted.status == 202, "\(accepted.text)\n\(stack.services.services[0].outputText)")
        let location = try #require(accepted.header("location"))
        let finished = try stack.waitForStatus(location, "finished")
        let totals = try #require(finished["totals"] as? [String: [String: Int]])
        #expect(totals["whatsapp"]?["skipped"] == 1, "\(totals)")
        #expect(try stack.alerts().map { $0["to"] as? String } == ["+919800000012"])

        // Scheduled a minute ahead, cancelled now: nothing is fanned out or sent, and a second cancel is a 409.
        let later = ISO8601DateFormatter().string(from: Date().addingTimeInterval(60))
        let scheduled = try stack.client.send(
            .json(
                "POST", stack.services.portal + "/v1/broadcasts",
                body: rows.replacingOccurrences(
                    of: "\"channels\"", with: "\"scheduled_for\": \"\(later)\", \"channels\""),
                headers: [stack.auth, ("Idempotency-Key", "rows-2")]))
        #expect(scheduled.status == 202, "\(scheduled.text)")
        let scheduledAt = try #require(scheduled.header("location"))
        #expect(try stack.progress(scheduledAt)["not_yet_fanned_out"] as? Int == 2)
        #expect(try stack.progress(scheduledAt)["counted_at"] is String)
        let cancel = try stack.client.send(
            HTTPClientRequest(
                method: "POST", url: stack.services.portal + scheduledAt + "/cancel", headers: [stack.auth]))
        #expect(cancel.status == 200, "\(cancel.text)")
        #expect(try stack.progress(scheduledAt)["status"] as? String == "cancelled")
        let again = try stack.client.send(
            HTTPClientRequest(
                method: "POST", url: stack.services.portal + scheduledAt + "/cancel", headers: [stack.auth]))
        #expect(again.status == 409)
        // Its fan-out, run now by hand as the dispatcher would at its time, writes nothing.
        try stack.db.connect().query("UPDATE jobs SET run_at = now() WHERE kind = 'broadcast.fanout'")
        #expect(
            eventually {
                (try? stack.db.connect().query("SELECT 1 FROM jobs WHERE kind = 'broadcast.fanout'").rows.isEmpty)
                    == true
            }, "the fan-out ran")
        #expect(
            try stack.db.connect().query(
                "SELECT count(*) FROM broadcast_messages WHERE broadcast_id = $1",
                [try #require(UUID(uuidString: String(scheduledAt.split(separator: "/").last ?? "")))]
            ).first?.decode(Int.self, at: 0) == 0)

        // A bad audience: every fault with its line and column (or row and member), and nothing recorded.
        let before = try stack.db.connect().query("SELECT count(*) FROM broadcasts").first?.decode(Int.self, at: 0)
        let badFile = try stack.client.send(
            .json(
                "POST", stack.services.portal + "/v1/broadcasts",
                body: """
                    {"name": "Rain", "channels": ["email"], \(Self.template),
                     "audience": {"csv": "citizen,mobile,email,language,district,advice\\nu-1,98x,,,Pune,Stay in\\nu-2,,,,Pune,Stay in\\nu-2,,,,Pune,Stay in\\n"}}
                    """, headers: [stack.auth, ("Idempotency-Key", "bad-1")]))
        #expect(badFile.status == 422)
        #expect(badFile.text.contains("line 2, column 2 (mobile)"), "\(badFile.text)")
        #expect(badFile.text.contains("line 4: the same row as line 3"), "\(badFile.text)")
        let badRows = try stack.client.send(
            .json(
                "POST", stack.services.portal + "/v1/broadcasts",
                body: """
                    {"name": "Rain", "channels": ["email"], \(Self.template),
                     "audience": {"rows": [{"email": "ok@example.in", "fields": {"district": "Pune", "advice": "x"}},
                                           {"email": "not-an-address", "fields": {"district": "Pune", "advice": "x"}},
                                           {"email": "b@example.in", "fields": {"district": "Pune"}}]}}
                    """, headers: [stack.auth, ("Idempotency-Key", "bad-2")]))
        #expect(badRows.status == 422)
        #expect(badRows.text.contains("\"field\":\"audience.rows[1].email\""), "\(badRows.text)")
        #expect(badRows.text.contains("\"field\":\"audience.rows[2].fields.advice\""), "\(badRows.text)")
        // A date that is not one: 400 naming the field, as for every date of the API.
        let badDate = try stack.client.send(
            .json(
                "POST", stack.services.portal + "/v1/broadcasts",
                body: rows.replacingOccurrences(of: "\"channels\"", with: "\"expires_at\": \"tomorrow\", \"channels\""),
                headers: [stack.auth, ("Idempotency-Key", "bad-3")]))
        #expect(badDate.status == 400 && badDate.text.contains("\"field\":\"expires_at\""), "\(badDate.text)")
        #expect(
            try stack.db.connect().query("SELECT count(*) FROM broadcasts").first?.decode(Int.self, at: 0) == before)

        // Every answer above is what the served OpenAPI document says.
        let checker = try OpenAPIChecker(
            data: Data(try stack.client.send(HTTPClientRequest(url: stack.services.portal + "/openapi.json")).body))
        for (response, method, path) in [
            (accepted, "POST", "/v1/broadcasts"), (scheduled, "POST", "/v1/broadcasts"),
            (badFile, "POST", "/v1/broadcasts"), (badRows, "POST", "/v1/broadcasts"),
            (cancel, "POST", "/v1/broadcasts/{broadcastId}/cancel"),
            (again, "POST", "/v1/broadcasts/{broadcastId}/cancel"),
            (
                try stack.client.send(HTTPClientRequest(url: stack.services.portal + location, headers: [stack.auth])),
                "GET", "/v1/broadcasts/{broadcastId}"
            ),
            (
                try stack.client.send(
                    HTTPClientRequest(
                        url: stack.services.portal + "/v1/broadcasts/\(UUID().uuidString)", headers: [stack.auth])),
                "GET", "/v1/broadcasts/{broadcastId}"
            ),
        ] {
            let problems = checker.problems(
                path: path, method: method, status: response.status, contentType: response.header("content-type"),
                body: response.body)
            #expect(problems.isEmpty, "\(method) \(path) \(response.status): \(problems)")
        }
    }

    /// A CAP 1.2 alert from the state's emergency operations centre, in Marathi and English, for `office`.
    static func cap(
        identifier: String, type: String = "Alert", status: String = "Actual", office: String = "T-HAVELI",
        references: String? = nil, expires: Date = Date().addingTimeInterval(6 * 3600), area: String? = nil
    ) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 19_800)
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss'+05:30'"
        let area =
            area
            ?? "<area><areaDesc>Haveli</areaDesc><geocode><valueName>office</valueName><value>\(office)</value></geocode></area>"
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
              <identifier>\(identifier)</identifier>
              <sender>seoc@maharashtra.example</sender>
              <sent>\(formatter.string(from: Date()))</sent>
              <status>\(status)</status>
              <msgType>\(type)</msgType>
              <scope>Public</scope>
              \(references.map { "<references>\($0)</references>" } ?? "")
              <info>
                <language>mr-IN</language><category>Met</category><event>पूर</event>
                <urgency>Immediate</urgency><severity>Severe</severity><certainty>Observed</certainty>
                <expires>\(formatter.string(from: expires))</expires>
                <headline>खडकवासला धरणातून विसर्ग: नदीकाठ रिकामा करा</headline>
                <description>मुठा नदीची पातळी वाढत आहे.</description>
                <instruction>उंच ठिकाणी जा.</instruction>
                \(area)
              </info>
              <info>
                <language>en-IN</language><category>Met</category><event>Flood</event>
                <urgency>Immediate</urgency><severity>Severe</severity><certainty>Observed</certainty>
                <expires>\(formatter.string(from: expires))</expires>
                <headline>Release from Khadakwasla dam: leave the riverbank</headline>
                <instruction>Move to higher ground.</instruction>
                \(area)
              </info>
            </alert>
            """
    }

    @Test(
        "a CAP alert reaches the citizens of its area (the offices under the geocode) in their language on every channel they have; a repeat is the same alert; Cancel and Update name it; Test goes to the test endpoints only; not CAP, expired and unknown references are refused"
    )
    func capAlert() throws {
        let stack = try Stack()
        #expect(try Stack.admin(["offices", "import", "--sample"], url: stack.url).contains("imported"))
        let citizens = [
            (
                "c-mr", "HAVELI",
                #"{"mobile": "+919800000021", "email": "mr@example.in", "language": "mr", "consents": [{"channel": "whatsapp", "granted": true, "source": "portal"}]}"#
            ),
            ("c-en", "HAVELI", #"{"email": "en@example.in", "language": "en"}"#),
            (
                "c-hi", "HAVELI",
                #"{"mobile": "+919800000023", "language": "hi", "consents": [{"channel": "whatsapp", "granted": true, "source": "portal"}]}"#
            ),
            (
                "c-far", "MULSHI",
                #"{"mobile": "+919800000024", "email": "far@example.in", "language": "mr", "consents": [{"channel": "whatsapp", "granted": true, "source": "portal"}]}"#
            ),
        ]
        for (index, (id, office, json)) in citizens.enumerated() {
            try stack.citizen(id, json)
            let outcome = try stack.client.send(
                .json(
                    "POST", stack.services.portal + "/v1/applications/APP-\(index)/outcome",
                    body:
                        #"{"citizen": "\#(id)", "decision": "approved", "service": "INCOME_CERT", "office": "\#(office)"}"#,
                    headers: [stack.auth, ("Idempotency-Key", "app-\(index)")]))
            #expect(outcome.status == 202, "\(outcome.text)")
        }
        func post(_ xml: String) throws -> HTTPClientResponse {
            try stack.client.send(
                HTTPClientRequest(
                    method: "POST", url: stack.services.portal + "/v1/alerts/cap", headers: [stack.auth],
                    body: .bytes(Array(xml.utf8), contentType: "application/cap+xml")))
        }
        let alert = Self.cap(identifier: "MH-SEOC-1")
        let accepted = try post(alert)
        #expect(accepted.status == 202, "\(accepted.text)\n\(stack.services.services[0].outputText)")
        #expect(
            accepted.text.contains("\"recipients\":3"), "c-mr, c-en and c-hi are in Haveli taluka: \(accepted.text)")
        let location = try #require(accepted.header("location"))
        let repeated = try post(alert)
        #expect(repeated.status == 200 && repeated.text.contains(String(location.split(separator: "/").last ?? "")))
        let finished = try stack.waitForStatus(location, "finished")
        #expect(finished["priority"] as? String == "emergency")
        let sent = try stack.alerts("dakiya_emergency_alert")
        let byNumber = Dictionary(uniqueKeysWithValues: sent.map { ($0["to"] as? String ?? "", $0) })
        #expect(Set(byNumber.keys) == ["+919800000021", "+919800000023"], "\(sent)")
        func parameters(_ message: [String: Any]?) -> [String] {
            (((message?["template"] as? [String: Any])?["components"] as? [[String: Any]])?.first?["parameters"]
                as? [[String: Any]])?.compactMap { $0["text"] as? String } ?? []
        }
        #expect(parameters(byNumber["+919800000021"]) == ["पूर", "खडकवासला धरणातून विसर्ग: नदीकाठ रिकामा करा", "उंच ठिकाणी जा."])
        // Hindi has no info block: English.
        #expect(
            parameters(byNumber["+919800000023"]) == [
                "Flood", "Release from Khadakwasla dam: leave the riverbank", "Move to higher ground.",
            ])
        var mails: [[String: Any]] = []
        #expect(
            eventually {
                mails = ((try? stack.smtp.messages().map(SMTPSink.parse)) ?? []).filter {
                    ($0["subject"] as? String)?.contains("Khadakwasla") == true
                        || ($0["subject"] as? String)?.contains("खडकवासला") == true
                }
                return mails.count == 2
            }, "\(mails)")
        #expect(Set(mails.compactMap { $0["to"] as? String }) == ["mr@example.in", "en@example.in"])

        // Cancel names the alert: answered with what it stopped (nothing was left: all sent).
        let reference =
            "seoc@maharashtra.example,MH-SEOC-1,"
            + (alert.components(separatedBy: "<sent>")[1].components(separatedBy: "</sent>")[0])
        let cancel = try post(
            Self.cap(identifier: "MH-SEOC-2", type: "Cancel", references: reference))
        #expect(cancel.status == 200 && cancel.text.contains("\"status\":\"cancelled\""), "\(cancel.text)")
        // An Update names it too and goes out as a new alert.
        let update = try post(Self.cap(identifier: "MH-SEOC-3", type: "Update", references: reference))
        #expect(update.status == 202, "\(update.text)")

        let updateDone = try stack.waitForStatus(try #require(update.header("location")), "finished")
        #expect(updateDone["status"] as? String == "finished")
        #expect(
            eventually { (try? stack.alerts("dakiya_emergency_alert").count) == 4 },
            "the update went out to the two WhatsApp citizens again")

        // Test: the test endpoints only (none is set here, so nothing leaves), never the citizens' phones.
        let before = try stack.alerts("dakiya_emergency_alert").count
        let test = try post(Self.cap(identifier: "MH-SEOC-4", status: "Test"))
        #expect(test.status == 202, "\(test.text)")
        let testDone = try stack.waitForStatus(try #require(test.header("location")), "finished")
        #expect(
            (testDone["totals"] as? [String: [String: Int]])?["whatsapp"]?["skipped"] == 3,
            "WhatsApp: no test endpoint, nothing sent: \(testDone)")
        #expect(try stack.alerts("dakiya_emergency_alert").count == before, "the test alert reached no citizen")

        // Refusals: not CAP, expired, a cancel of an alert never received, an office not in the hierarchy.
        let notCAP = try post("<rss><channel/></rss>")
        #expect(notCAP.status == 422 && notCAP.text.contains("not a CAP 1.2 alert") || notCAP.text.contains("rss"))
        let expired = try post(
            Self.cap(identifier: "MH-SEOC-5", expires: Date().addingTimeInterval(-60)))
        #expect(expired.status == 422 && expired.text.contains("expired"), "\(expired.text)")
        let unknown = try post(
            Self.cap(
                identifier: "MH-SEOC-6", type: "Cancel",
                references: "seoc@maharashtra.example,NEVER,2026-11-28T10:00:00+05:30"))
        #expect(unknown.status == 422 && unknown.text.contains("alert/references[1]"), "\(unknown.text)")
        let nowhere = try post(Self.cap(identifier: "MH-SEOC-7", office: "ATLANTIS"))
        #expect(nowhere.status == 422 && nowhere.text.contains("no office ATLANTIS"), "\(nowhere.text)")
        #expect(
            try stack.db.connect().query("SELECT count(*) FROM cap_alerts").first?.decode(Int.self, at: 0) == 4,
            "the refused alerts left nothing")
        let checker = try OpenAPIChecker(
            data: Data(try stack.client.send(HTTPClientRequest(url: stack.services.portal + "/openapi.json")).body))
        for response in [accepted, repeated, cancel, update, test, notCAP, expired, unknown, nowhere] {
            let problems = checker.problems(
                path: "/v1/alerts/cap", method: "POST", status: response.status,
                contentType: response.header("content-type"), body: response.body)
            #expect(problems.isEmpty, "\(response.status): \(problems)")
        }

        // A broadcast to a selection: the department's applicants in Pune district (Haveli and Mulshi talukas under
        // it) who can be reached on WhatsApp (c-en has no mobile), with the same values for all.
        func selection(_ key: String, _ audience: String, channels: String = #"["whatsapp"]"#) throws
            -> HTTPClientResponse
        {
            try stack.client.send(
                .json(
                    "POST", stack.services.portal + "/v1/broadcasts",
                    body:
                        #"{"name": "Water cut", "channels": \#(channels), \#(Self.template), "audience": \#(audience)}"#,
                    headers: [stack.auth, ("Idempotency-Key", key)]))
        }
        let selected = try selection(
            "sel-1", #"{"selection": {"offices": ["D-PUNE"], "fields": {"district": "Pune", "advice": "Store water"}}}"#
        )
        #expect(selected.status == 202 && selected.text.contains("\"recipients\":3"), "\(selected.text)")
        let selectedDone = try stack.waitForStatus(try #require(selected.header("location")), "finished")
        #expect(
            ((selectedDone["totals"] as? [String: [String: Int]])?["whatsapp"]?["skipped"] ?? 0) == 0, "\(selectedDone)"
        )
        let weather = try stack.alerts("dakiya_weather_alert")
        #expect(Set(weather.compactMap { $0["to"] as? String }) == ["+919800000021", "+919800000023", "+919800000024"])
        #expect(weather.allSatisfy { parameters($0) == ["Pune", "Store water"] })
        // Email in Haveli taluka: the two with an address.
        let byEmail = try selection(
            "sel-2",
            #"{"selection": {"offices": ["T-HAVELI"], "fields": {"district": "Pune", "advice": "Store water"}}}"#,
            channels: #"["email"]"#)
        #expect(byEmail.status == 202 && byEmail.text.contains("\"recipients\":2"), "\(byEmail.text)")
        // Refusals name the member: an unknown office, a missing and an extra field, nobody selected, two audiences.
        let bad = try selection(
            "sel-3",
            #"{"selection": {"offices": ["D-PUNE", "ATLANTIS"], "fields": {"district": "Pune", "colour": "red"}}}"#)
        #expect(bad.status == 422, "\(bad.text)")
        for field in [
            "audience.selection.offices[1]", "audience.selection.fields.advice", "audience.selection.fields.colour",
        ] {
            #expect(bad.text.contains(field), "\(field): \(bad.text)")
        }
        let nobody = try selection(
            "sel-4", #"{"selection": {"offices": ["SDO-HAVELI"], "fields": {"district": "Pune", "advice": "x"}}}"#)
        #expect(nobody.status == 422 && nobody.text.contains("audience.selection"), "\(nobody.text)")
        let both = try selection(
            "sel-5", #"{"csv": "mobile\n+919800000099\n", "selection": {"offices": ["D-PUNE"]}}"#)
        #expect(both.status == 422 && both.text.contains("one audience"), "\(both.text)")
        // Polygons and circles, against the sample's (approximate) locations: a citizen is placed by their
        // application's village, else its office. c-vil applied at the Haveli tahsil office from Khed Shivapur, 23 km
        // south of it.
        try stack.citizen(
            "c-vil",
            #"{"mobile": "+919800000025", "language": "en", "consents": [{"channel": "whatsapp", "granted": true, "source": "portal"}]}"#
        )
        let villageOutcome = try stack.client.send(
            .json(
                "POST", stack.services.portal + "/v1/applications/APP-VIL/outcome",
                body:
                    #"{"citizen": "c-vil", "decision": "approved", "service": "INCOME_CERT", "office": "HAVELI", "village": "V-HAVELI-KHED-SHIVAPUR"}"#,
                headers: [stack.auth, ("Idempotency-Key", "app-vil")]))
        #expect(villageOutcome.status == 202, "\(villageOutcome.text)")
        func located(_ identifier: String, _ shape: String) throws -> HTTPClientResponse {
            try post(Self.cap(identifier: identifier, area: "<area><areaDesc>Mulshi</areaDesc>\(shape)</area>"))
        }
        // Mulshi (Paud, 18.53 N 73.62 E): c-far's application at the Mulshi tahsil office.
        let polygon = try located(
            "MH-SEOC-8", "<polygon>18.40,73.55 18.40,73.70 18.60,73.70 18.60,73.55 18.40,73.55</polygon>")
        #expect(polygon.status == 202 && polygon.text.contains("\"recipients\":1"), "\(polygon.text)")
        // 3 km around the Haveli tahsil office: c-mr, c-en and c-hi; not c-vil, whose village is outside.
        let circle = try located("MH-SEOC-9", "<circle>18.5286,73.8743 3</circle>")
        #expect(circle.status == 202 && circle.text.contains("\"recipients\":3"), "\(circle.text)")
        // 30 km: Khed Shivapur and Paud too.
        let wide = try located("MH-SEOC-10", "<circle>18.5286,73.8743 30</circle>")
        #expect(wide.status == 202 && wide.text.contains("\"recipients\":5"), "\(wide.text)")
        let sea = try located("MH-SEOC-11", "<circle>15.0,70.0 10</circle>")
        #expect(sea.status == 202 && sea.text.contains("\"recipients\":0"), "nobody lives at sea: \(sea.text)")
        let seaDone = try stack.waitForStatus(try #require(sea.header("location")), "finished")
        #expect(seaDone["status"] as? String == "finished")
        // Without locations, a polygon cannot be placed: 422 naming the area, nothing sent.
        try stack.db.connect().query("UPDATE offices SET latitude = NULL, longitude = NULL")
        let unplaced = try located("MH-SEOC-12", "<circle>18.5286,73.8743 3</circle>")
        #expect(unplaced.status == 422 && unplaced.text.contains("alert/info/area"), "\(unplaced.text)")
        for response in [polygon, circle, wide, sea, unplaced] {
            let problems = checker.problems(
                path: "/v1/alerts/cap", method: "POST", status: response.status,
                contentType: response.header("content-type"), body: response.body)
            #expect(problems.isEmpty, "\(response.status): \(problems)")
        }
        for response in [selected, byEmail, bad, nobody, both] {
            let problems = checker.problems(
                path: "/v1/broadcasts", method: "POST", status: response.status,
                contentType: response.header("content-type"), body: response.body)
            #expect(problems.isEmpty, "\(response.status): \(problems)")
        }
    }

    @Test(
        "kill -9 of the WhatsApp adapter, the email adapter and the dispatcher in the middle of a broadcast to 2,000 citizens: it finishes, every citizen gets one WhatsApp message (never two) and their email"
    )
    func killNineMidBroadcast() throws {
        let stack = try Stack(common: ["DAKIYA_JOB_LEASE_SECONDS": "3"])
        let admin = try stack.db.connect()
        try admin.query(
            """
            INSERT INTO citizens (portal_user_id, mobile, email, language)
            SELECT 'k-' || n, '+9198' || lpad(n::text, 8, '0'), 'k' || n || '@example.in', CASE WHEN n % 2 = 0 THEN 'mr' ELSE 'en' END
            FROM generate_series(1, 2000) n
            """)
        try admin.query(
            """
            INSERT INTO citizen_consents (citizen_id, channel, granted, source, recorded_at)
            SELECT id, 'whatsapp', true, 'portal', now() FROM citizens WHERE portal_user_id LIKE 'k-%'
            """)
        let csv = "citizen,district,advice\n" + (1...2000).map { "k-\($0),Pune,Stay indoors\n" }.joined()
        let json =
            #"{"name": "Rain warning, everyone", "priority": "bulk", \#(Self.template), "audience": {"csv": \#(String(decoding: try JSONEncoder().encode(csv), as: UTF8.self))}}"#
        let accepted = try stack.client.send(
            .json(
                "POST", stack.services.portal + "/v1/broadcasts", body: json,
                headers: [stack.auth, ("Idempotency-Key", "kill-1")]))
        #expect(accepted.status == 202, "\(accepted.text)")
        let location = try #require(accepted.header("location"))
        func count(_ channel: String, _ states: [String]) -> Int {
            let totals = (try? stack.progress(location))?["totals"] as? [String: [String: Int]]
            return states.reduce(0) { $0 + (totals?[channel]?[$1] ?? 0) }
        }
        // Mid-way on both channels (WhatsApp is paced at 80 a second: 25 s in all), each adapter dies and comes back;
        // then the dispatcher.
        #expect(eventually(timeout: .seconds(30)) { count("email", ["sent"]) >= 100 })
        try stack.services.killAndRestart("email-adapter")
        #expect(
            eventually(timeout: .seconds(30)) { count("whatsapp", ["sending", "sent", "delivered", "read"]) >= 400 })
        try stack.services.killAndRestart("whatsapp-adapter")
        try stack.services.killAndRestart("dispatcher")
        let finished = try {
            var last: [String: Any] = [:]
            #expect(
                eventually(timeout: .seconds(150)) {
                    last = (try? stack.progress(location)) ?? [:]
                    return last["status"] as? String == "finished"
                }, "\(last)")
            return last
        }()
        #expect(finished["status"] as? String == "finished")
        #expect(
            eventually(timeout: .seconds(30)) { count("whatsapp", ["delivered", "read"]) == 2000 },
            "every status came back: \(finished)")
        let sent = try stack.alerts()
        let numbers = sent.compactMap { $0["to"] as? String }
        #expect(numbers.count == 2000, "never twice on WhatsApp: \(numbers.count) messages")
        #expect(Set(numbers).count == 2000)
        // Email is at least once: a message sent again after a kill carries the same Message-ID.
        var messageIDs: [String: Set<String>] = [:]
        for file in try stack.smtp.messages() {
            let text = String(decoding: try Data(contentsOf: file), as: UTF8.self)
            let header = { (name: String) in
                text.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix(name + ":") }.map {
                    String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces)
                } ?? ""
            }
            messageIDs[header("to"), default: []].insert(header("message-id"))
        }
        #expect(messageIDs.count == 2000, "every citizen's email arrived")
        #expect(messageIDs.values.allSatisfy { $0.count == 1 }, "one Message-ID per citizen")
        #expect(count("email", ["sent"]) == 2000)
    }

    @Test(
        "the portfolio's messaging limit: a broadcast stops at its share (225 of 250 citizens in 24 hours) and waits, a certificate still goes on WhatsApp from the reserve, and Meta's own refusal (131048) holds messages back instead of failing them"
    )
    func messagingLimit() throws {
        let stack = try Stack(
            common: ["DAKIYA_WHATSAPP_MESSAGING_LIMIT": "250"], simulator: ["DAKIYA_SIM_MESSAGING_LIMIT": "250"])
        let admin = try stack.db.connect()
        try admin.query(
            """
            INSERT INTO citizens (portal_user_id, mobile, language)
            SELECT 'm-' || n, '+9197' || lpad(n::text, 8, '0'), 'en' FROM generate_series(1, 300) n
            """)
        try admin.query(
            """
            INSERT INTO citizen_consents (citizen_id, channel, granted, source, recorded_at)
            SELECT id, 'whatsapp', true, 'portal', now() FROM citizens WHERE portal_user_id LIKE 'm-%'
            """)
        let csv = "citizen,district,advice\n" + (1...300).map { "m-\($0),Pune,Stay indoors\n" }.joined()
        let json =
            #"{"name": "Rain warning", "priority": "normal", "channels": ["whatsapp"], \#(Self.template), "audience": {"csv": \#(String(decoding: try JSONEncoder().encode(csv), as: UTF8.self))}}"#
        let accepted = try stack.client.send(
            .json(
                "POST", stack.services.portal + "/v1/broadcasts", body: json,
                headers: [stack.auth, ("Idempotency-Key", "limit-1")]))
        #expect(accepted.status == 202, "\(accepted.text)")
        let location = try #require(accepted.header("location"))
        func count(_ states: [String]) -> Int {
            let totals = (try? stack.progress(location))?["totals"] as? [String: [String: Int]]
            return states.reduce(0) { $0 + (totals?["whatsapp"]?[$1] ?? 0) }
        }
        #expect(
            eventually(timeout: .seconds(30)) {
                count(["sent", "delivered", "read"]) == 225 && count(["pending"]) == 75
            })
        func simulatorRefusals() throws -> Int {
            let stats =
                try JSONSerialization.jsonObject(
                    with: Data(
                        try stack.client.send(HTTPClientRequest(url: stack.services.simulatorBase + "/_sim/stats")).body
                    )
                ) as? [String: Any]
            return (stats?["rate_limited"] as? [String: Int])?["131048"] ?? 0
        }
        #expect(try simulatorRefusals() == 0, "Dakiya kept under the limit itself")
        #expect(eventually(timeout: .seconds(10)) { (try? stack.alerts().count) == 225 })

        // A certificate to a citizen the broadcast did not reach: it takes one of the 25 places kept for outcomes.
        try stack.citizen(
            "m-new",
            #"{"mobile": "+919600000001", "language": "en", "consents": [{"channel": "whatsapp", "granted": true, "source": "portal"}]}"#
        )
        let outcome = try stack.client.send(
            .json(
                "POST", stack.services.portal + "/v1/applications/LIMIT-1/outcome",
                body: #"{"citizen": "m-new", "decision": "approved", "service": "INCOME_CERT", "office": "HAVELI"}"#,
                headers: [stack.auth, ("Idempotency-Key", "limit-outcome")]))
        #expect(outcome.status == 202, "\(outcome.text)")
        #expect(
            eventually(timeout: .seconds(30)) {
                (try? admin.query(
                    "SELECT count(*) FROM channel_attempts WHERE channel = 'whatsapp' AND provider_message_id IS NOT NULL"
                ).first?.decode(Int64.self, at: 0)) == 1
            }, "the outcome went on WhatsApp")
        #expect(try simulatorRefusals() == 0)

        // Another system on the same portfolio (Dakiya's own count says a day has passed, Meta's does not): the
        // waiting messages go again; Meta takes 24 more and refuses the rest with 131048, which holds them back.
        try admin.query("UPDATE whatsapp_reach SET reached_at = now() - interval '25 hours'")
        try admin.query("UPDATE jobs SET run_at = now() WHERE queue = 'broadcast_whatsapp' AND state <> 'completed'")
        #expect(
            eventually(timeout: .seconds(30)) {
                count(["sent", "delivered", "read"]) == 249 && count(["pending"]) == 51
            })
        #expect(try simulatorRefusals() == 51)
        #expect(count(["failed"]) == 0, "a message refused by the limit is never failed")
        #expect((try stack.progress(location))["status"] as? String == "sending")
    }

    @Test(
        "template pacing and quality: messages Meta holds for quality assessment slow the broadcast to a group at a time; a paused template's held messages fail with 132015 and the rest wait; once approved with a quality, the rest go"
    )
    func templateReview() throws {
        let stack = try Stack(simulator: ["DAKIYA_SIM_TEMPLATE_PACING": "20"])
        let admin = try stack.db.connect()
        try admin.query(
            """
            INSERT INTO citizens (portal_user_id, mobile, language)
            SELECT 'p-' || n, '+9194' || lpad(n::text, 8, '0'), 'en' FROM generate_series(1, 200) n
            """)
        try admin.query(
            """
            INSERT INTO citizen_consents (citizen_id, channel, granted, source, recorded_at)
            SELECT id, 'whatsapp', true, 'portal', now() FROM citizens
            """)
        let csv = "citizen,district,advice\n" + (1...200).map { "p-\($0),Pune,Stay indoors\n" }.joined()
        let json =
            #"{"name": "New template", "channels": ["whatsapp"], \#(Self.template), "audience": {"csv": \#(String(decoding: try JSONEncoder().encode(csv), as: UTF8.self))}}"#
        let accepted = try stack.client.send(
            .json(
                "POST", stack.services.portal + "/v1/broadcasts", body: json,
                headers: [stack.auth, ("Idempotency-Key", "pacing-1")]))
        #expect(accepted.status == 202, "\(accepted.text)")
        let location = try #require(accepted.header("location"))
        func count(_ state: String) -> Int {
            ((try? stack.progress(location))?["totals"] as? [String: [String: Int]])?["whatsapp"]?[state] ?? 0
        }
        // The first 20 go out and are delivered; then Meta holds what follows (handed over, no status yet) and the
        // broadcast stops sending: most of it stays pending.
        #expect(eventually(timeout: .seconds(20)) { count("delivered") == 20 && count("sent") > 0 })
        Thread.sleep(forTimeInterval: 2)
        let held = count("sent")
        #expect(held <= 40, "a group or two per range, not the whole broadcast: \(held) held")
        #expect(count("pending") >= 140, "the rest waits while the template is paced")
        #expect(count("delivered") == 20)

        func review(_ body: String) throws {
            let response = try stack.client.send(
                .json("POST", stack.services.simulatorBase + "/_sim/templates/dakiya_weather_alert", body: body))
            #expect(response.status == 204, "\(response.text)")
        }
        // Meta pauses the template: the held messages fail with 132015; the pending ones wait (not failed).
        try review(#"{"status": "PAUSED", "quality": "RED"}"#)
        #expect(eventually(timeout: .seconds(10)) { count("failed") == held && count("sent") == 0 })
        #expect(
            eventually(timeout: .seconds(10)) {
                (try? admin.query(
                    "SELECT status || '/' || quality FROM whatsapp_template_states WHERE name = 'dakiya_weather_alert' AND language = 'en'"
                ).first?.decode(String.self, at: 0)) == "PAUSED/RED"
            }, "the adapter kept Meta's review")
        try admin.query("UPDATE jobs SET run_at = now() WHERE queue = 'broadcast_whatsapp' AND state <> 'running'")
        Thread.sleep(forTimeInterval: 3)
        #expect(count("pending") == 200 - 20 - held, "a paused template sends nothing")
        #expect(count("failed") == held)

        // Reinstated, its quality known: the rest go, no longer held.
        try review(#"{"status": "APPROVED", "quality": "GREEN"}"#)
        #expect(
            eventually(timeout: .seconds(10)) {
                (try? admin.query(
                    "SELECT status FROM whatsapp_template_states WHERE name = 'dakiya_weather_alert' AND language = 'en'"
                ).first?.decode(String.self, at: 0)) == "APPROVED"
            })
        try admin.query("UPDATE jobs SET run_at = now() WHERE queue = 'broadcast_whatsapp' AND state <> 'running'")
        let finished = try stack.waitForStatus(location, "finished")
        #expect(finished["status"] as? String == "finished")
        #expect(eventually(timeout: .seconds(10)) { count("delivered") == 200 - held }, "\(finished)")
        #expect(count("failed") == held)
    }

    @Test(
        "fairness between departments: a small broadcast posted while another department's large one is sending goes out alongside it, not after it"
    )
    func fairness() throws {
        let stack = try Stack()
        _ = try Stack.admin(["department", "add", "HEALTH", "Public Health Department"], url: stack.url)
        let created = try Stack.admin(
            url: stack.url, ["key", "create", "--department", "HEALTH", "--label", "health", "--kind", "live"])
        let secret = try #require(
            created.split(separator: "\n").first(where: { $0.hasPrefix("secret") })?.split(separator: " ").last)
        let health = ("Authorization", "Bearer \(secret)")
        let admin = try stack.db.connect()
        for (prefix, count) in [("f", 2000), ("g", 100)] {
            try admin.query(
                """
                INSERT INTO citizens (portal_user_id, mobile, language)
                SELECT '\(prefix)-' || n, '+91\(prefix == "f" ? "96" : "95")' || lpad(n::text, 8, '0'), 'en'
                FROM generate_series(1, \(count)) n
                """)
        }
        try admin.query(
            """
            INSERT INTO citizen_consents (citizen_id, channel, granted, source, recorded_at)
            SELECT id, 'whatsapp', true, 'portal', now() FROM citizens
            """)
        func post(_ prefix: String, _ count: Int, auth: (String, String)) throws -> String {
            let csv = "citizen,district,advice\n" + (1...count).map { "\(prefix)-\($0),Pune,Stay indoors\n" }.joined()
            let json =
                #"{"name": "Alert \#(prefix)", "priority": "bulk", "channels": ["whatsapp"], \#(Self.template), "audience": {"csv": \#(String(decoding: try JSONEncoder().encode(csv), as: UTF8.self))}}"#
            let accepted = try stack.client.send(
                .json(
                    "POST", stack.services.portal + "/v1/broadcasts", body: json,
                    headers: [auth, ("Idempotency-Key", "fair-" + prefix)]))
            #expect(accepted.status == 202, "\(accepted.text)")
            return try #require(accepted.header("location"))
        }
        func handedOver(_ location: String, auth: (String, String)) -> Int {
            let response = try? stack.client.send(
                HTTPClientRequest(url: stack.services.portal + location, headers: [auth]))
            let totals =
                (response.flatMap { try? JSONSerialization.jsonObject(with: Data($0.body)) } as? [String: Any])?[
                    "totals"] as? [String: [String: Int]]
            return ["sent", "delivered", "read"].reduce(0) { $0 + (totals?["whatsapp"]?[$1] ?? 0) }
        }
        // Revenue's 2,000 at the number's 80 a second (25 s); Health's 100 once 300 of them are out.
        let large = try post("f", 2000, auth: stack.auth)
        #expect(eventually(timeout: .seconds(30)) { handedOver(large, auth: stack.auth) >= 300 })
        let small = try post("g", 100, auth: health)
        var largeWhenSmallDone = 0
        #expect(
            eventually(timeout: .seconds(30)) {
                guard handedOver(small, auth: health) == 100 else { return false }
                largeWhenSmallDone = handedOver(large, auth: stack.auth)
                return true
            })
        // One for one: Health's 100 take about 200 messages' time. First come, first served would have made them
        // wait for all 1,700 of Revenue's left.
        #expect(largeWhenSmallDone < 1200, "Revenue had sent \(largeWhenSmallDone) when Health's were all out")
        #expect(eventually(timeout: .seconds(60)) { handedOver(large, auth: stack.auth) == 2000 })
    }

    @Test(
        "a department's daily cap and request rate answer 429 with Retry-After and write nothing; 80% of the cap is a warning metric"
    )
    func capsAndRates() throws {
        let stack = try Stack(common: [
            "DAKIYA_BROADCAST_DAILY_CAP": "2", "DAKIYA_BROADCAST_REQUESTS_PER_MINUTE": "24",
        ])
        func broadcast(_ key: String, emails: [String]) throws -> HTTPClientResponse {
            let rows = emails.map { #"{"email": "\#($0)", "fields": {"district": "Pune", "advice": "x"}}"# }
            return try stack.client.send(
                .json(
                    "POST", stack.services.portal + "/v1/broadcasts",
                    body:
                        #"{"name": "Rain", "channels": ["email"], \#(Self.template), "audience": {"rows": [\#(rows.joined(separator: ","))]}}"#,
                    headers: [stack.auth, ("Idempotency-Key", key)]))
        }
        let first = try broadcast("cap-1", emails: ["a@example.in", "b@example.in"])
        #expect(first.status == 202, "\(first.text)")
        let metrics = try stack.client.send(HTTPClientRequest(url: stack.services.portal + "/metrics")).text
        #expect(metrics.contains("dakiya_broadcast_daily_cap_used_ratio{department=\"REVENUE\"} 1"), "\(metrics)")
        #expect(metrics.contains("dakiya_broadcast_daily_cap_warnings_total{department=\"REVENUE\"} 1"))
        // The cap: one more message is too many today.
        let capped = try broadcast("cap-2", emails: ["c@example.in"])
        #expect(capped.status == 429 && capped.text.contains("daily cap of 2"), "\(capped.text)")
        #expect(Int(capped.header("retry-after") ?? "") ?? 0 > 0)
        // The rate: 24 a minute is a bucket of 2.4 refilled at 0.4 a second; the two requests above emptied it.
        let limited = try broadcast("cap-3", emails: ["d@example.in"])
        #expect(limited.status == 429 && limited.text.contains("24 broadcast requests a minute"), "\(limited.text)")
        #expect((1...5).contains(Int(limited.header("retry-after") ?? "") ?? 0), "\(limited.headers)")
        #expect(
            try stack.db.connect().query("SELECT count(*) FROM broadcasts").first?.decode(Int.self, at: 0) == 1,
            "the refused broadcasts left nothing")
        let checker = try OpenAPIChecker(
            data: Data(try stack.client.send(HTTPClientRequest(url: stack.services.portal + "/openapi.json")).body))
        for response in [first, capped, limited] {
            let problems = checker.problems(
                path: "/v1/broadcasts", method: "POST", status: response.status,
                contentType: response.header("content-type"), body: response.body)
            #expect(problems.isEmpty, "\(response.status): \(problems)")
        }
    }
}
