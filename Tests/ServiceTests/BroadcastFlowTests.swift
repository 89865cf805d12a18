import Foundation
import HTTPClient
import Postgres
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
        let smtp: SMTPSink
        let services: DeliveryServices
        let client: HTTPClient
        let auth: (String, String)

        init() throws {
            let db = try TestDatabase()
            self.db = db
            let url = db.url
            func admin(_ arguments: [String]) throws -> String {
                let process = try ChildProcess(
                    "dakiya-admin", arguments: arguments, environment: ["DAKIYA_DATABASE_URL": url])
                let code = process.waitForExit(timeout: .seconds(20))
                guard code == 0 else {
                    throw TestEnvironmentError(message: "dakiya-admin \(arguments): \(process.outputText)")
                }
                return process.outputText
            }
            _ = try admin(["department", "add", "REVENUE", "Revenue Department"])
            let created = try admin([
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
            services = try DeliveryServices(db: db, smtp: smtp)
            let client = try HTTPClient()
            self.client = client
            let ready = [services.portal, "http://127.0.0.1:\(services.whatsappPort)"]
            for base in ready {
                #expect(eventually { (try? client.send(HTTPClientRequest(url: base + "/readyz")))?.status == 200 })
            }
        }

        func citizen(_ id: String, _ json: String) throws {
            let response = try client.send(
                .json("PUT", services.portal + "/v1/citizens/\(id)", body: json, headers: [auth]))
            #expect(response.status == 200, "\(response.text)")
        }

        /// The broadcast messages the simulator accepted (template dakiya_weather_alert), as JSON objects.
        func alerts() throws -> [[String: Any]] {
            try JSONDecoder().decode(
                [Sent].self,
                from: Data(try client.send(HTTPClientRequest(url: services.simulatorBase + "/_sim/messages")).body)
            ).compactMap { try JSONSerialization.jsonObject(with: Data($0.body.utf8)) as? [String: Any] }
                .filter { (($0["template"] as? [String: Any])?["name"] as? String) == "dakiya_weather_alert" }
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
}
