@testable import AppealsService
import Appeals
import Foundation
import HTTPClient
import HTTPServer
import Postgres
import ServiceRuntime
import Testing
import TestSupport

@Suite("Officers' desk: sessions and the appeals list", .serialized)
struct DeskTests {
    /// The desk in process with a clock the test moves, its server, and the officer keys it signs in with.
    final class Desk: @unchecked Sendable {
        let f: AppealsFixture
        let clock: ManualClock
        let server: Server
        let client: HTTPClient
        let officerKey: String
        let otherKey: String
        let officerPrefix: String
        var base: String { "http://127.0.0.1:\(server.port)" }

        init() throws {
            f = try AppealsFixture()
            clock = ManualClock(AppealsFixture.noon("2026-03-02"))
            let clock = clock
            var router = Router()
            OfficerDesk(
                pool: f.db.pool(), logger: Logger(service: "t", sink: .capturing()), now: { clock.date },
                desk: f.desk
            ).routes(into: &router)
            server = Server(
                configuration: ServerConfiguration(port: 0, threads: 4), router: router,
                logger: Logger(service: "t", sink: .capturing()), metrics: MetricsRegistry())
            try server.start()
            client = try HTTPClient()
            let created = try OfficerKeys.create(
                role: "TAHSILDAR", office: "HAVELI", officerName: "Tahsildar, Haveli", on: f.connection)
            officerKey = created.secret
            officerPrefix = created.key.prefix
            otherKey = try OfficerKeys.create(
                role: "TAHSILDAR", office: "MULSHI", officerName: "Tahsildar, Mulshi", on: f.connection
            ).secret
        }

        deinit { server.stop() }

        func get(_ path: String, cookie: String? = nil, language: String = "en") throws -> HTTPClientResponse {
            var headers = [("Accept-Language", language)]
            if let cookie { headers.append(("Cookie", cookie)) }
            return try client.send(HTTPClientRequest(url: base + path, headers: headers))
        }

        func post(_ path: String, form: [(String, String)], cookie: String? = nil, extra: [(String, String)] = [])
            throws -> HTTPClientResponse
        {
            let body = form.map { name, value in
                let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
                return name + "=" + (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")
            }.joined(separator: "&")
            var headers = extra + [("Accept-Language", "en")]
            if let cookie { headers.append(("Cookie", cookie)) }
            return try client.send(
                HTTPClientRequest(
                    method: "POST", url: base + path, headers: headers,
                    body: .bytes(Array(body.utf8), contentType: "application/x-www-form-urlencoded")))
        }

        /// Signs in; returns the `name=value` cookie to send back.
        func signIn(_ key: String) throws -> String? {
            let response = try post("/desk/sign-in", form: [("key", key)])
            guard response.status == 303, let cookie = response.header("set-cookie") else { return nil }
            return cookie.split(separator: ";").first.map(String.init)
        }

        /// The sign-out form's CSRF token on the desk page.
        static func csrf(in page: String) -> String? {
            guard let start = page.range(of: "name=\"csrf\" value=\"") else { return nil }
            return String(page[start.upperBound...].prefix { $0 != "\"" })
        }
    }

    @Test(
        "an officer signs in with their key (HttpOnly, SameSite=Strict cookie; Secure behind TLS) and sees only the appeals before their role and office, overdue first, with days left"
    )
    func signInAndList() throws {
        let desk = try Desk()
        let f = desk.f
        // Three first appeals before the Tahsildar of Haveli (one overdue), one before Mulshi's.
        for (id, office) in [("A-1", "HAVELI"), ("A-2", "HAVELI"), ("A-3", "HAVELI"), ("M-1", "MULSHI")] {
            try f.application(id, office: office)
            try f.outcome(id, "rejected", deliveredOn: AppealsFixture.day(id == "A-1" ? "2026-01-05" : "2026-02-15"))
        }
        let early = try f.file("A-1", level: 1, on: "2026-01-10")
        let later = try f.file("A-2", level: 1, on: "2026-02-20")
        _ = try f.file("A-3", level: 1, on: "2026-02-25")
        _ = try f.file("M-1", level: 1, on: "2026-02-21")
        #expect(early.decideBy < AppealsFixture.day("2026-03-02") && later.decideBy > AppealsFixture.day("2026-03-02"))

        // Without a session: to the sign-in page, which is a real form.
        let away = try desk.get("/desk")
        #expect(away.status == 303 && away.header("location")?.hasPrefix("/desk/sign-in") == true)
        let form = try desk.get("/desk/sign-in", language: "mr")
        #expect(
            form.status == 200 && form.text.contains("<html lang=\"mr\">") && form.text.contains("type=\"password\""))
        #expect(form.header("x-frame-options") == "DENY")

        // A wrong key: 401 with the reason, and no cookie.
        let refused = try desk.post("/desk/sign-in", form: [("key", "dko_nothing_here")])
        #expect(refused.status == 401 && refused.header("set-cookie") == nil && refused.text.contains("not valid"))

        let signedIn = try desk.post("/desk/sign-in", form: [("key", desk.officerKey)])
        let setCookie = try #require(signedIn.header("set-cookie"))
        #expect(signedIn.status == 303 && setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"))
        #expect(!setCookie.contains("Secure"), "plain HTTP here")
        let behindTLS = try desk.post(
            "/desk/sign-in", form: [("key", desk.officerKey)], extra: [("X-Forwarded-Proto", "https")])
        #expect(behindTLS.header("set-cookie")?.contains("; Secure") == true)
        let cookie = try #require(setCookie.split(separator: ";").first.map(String.init))
        #expect(
            try f.connection.query("SELECT count(*) FROM desk_sessions").first?.decode(Int.self, at: 0) == 2
                && f.connection.query(
                    "SELECT count(*) FROM desk_sessions WHERE token_hash = $1",
                    [
                        PostgresBytes(Array(cookie.utf8))
                    ]
                ).first?.decode(Int.self, at: 0) == 0, "only the token's hash is stored")

        let page = try desk.get("/desk", cookie: cookie)
        #expect(page.status == 200 && page.text.contains("Tahsildar, Haveli"), "\(page.text)")
        // Each row's first cell links to the appeal's page: the numbers in the order shown.
        let rows = page.text.components(separatedBy: "<tr><th scope=\"row\"><a href=\"/desk/appeals/").dropFirst().map {
            String($0.prefix { $0 != "?" })
        }
        #expect(rows.count == 3, "\(rows)")
        #expect(rows.first == early.number, "the overdue appeal first: \(rows)")
        #expect(!page.text.contains("M-1"), "another office's appeal is not shown")
        #expect(page.text.contains("Overdue by"))
        let marathi = try desk.get("/desk?lang=mr", cookie: cookie)
        #expect(marathi.text.contains("<html lang=\"mr\">") && marathi.text.contains("प्रथम अपील"))
    }

    @Test(
        "a forged, stale or signed-out session opens nothing; a cross-site sign-out (no cookie, or no CSRF token) does nothing; revoking the officer key ends its sessions"
    )
    func sessionsEnd() throws {
        let desk = try Desk()
        let cookie = try #require(try desk.signIn(desk.officerKey))
        #expect(try desk.get("/desk", cookie: cookie).status == 200)
        #expect(try desk.get("/desk", cookie: "dakiya_desk=forged-token").status == 303)

        // Cross-site: a form posted from elsewhere carries no cookie (SameSite=Strict), or no token.
        #expect(try desk.post("/desk/sign-out", form: []).status == 303)
        let noToken = try desk.post("/desk/sign-out", form: [("csrf", "bm9wZQ")], cookie: cookie)
        #expect(noToken.status == 403 && noToken.text.contains("did not come from your own desk page"))
        #expect(try desk.get("/desk", cookie: cookie).status == 200, "the session survived the forged sign-out")

        // Idle for more than 30 minutes: gone; a fresh one lives, and signs out with its token.
        desk.clock.advance(by: .seconds(31 * 60))
        #expect(try desk.get("/desk", cookie: cookie).status == 303)
        let second = try #require(try desk.signIn(desk.officerKey))
        let page = try desk.get("/desk", cookie: second)
        let token = try #require(Desk.csrf(in: page.text))
        let out = try desk.post("/desk/sign-out", form: [("csrf", token)], cookie: second)
        #expect(out.status == 303 && out.header("set-cookie")?.contains("Max-Age=0") == true)
        #expect(try desk.get("/desk", cookie: second).status == 303, "signed out")

        // Eight hours after sign-in, however busy: gone.
        let third = try #require(try desk.signIn(desk.officerKey))
        for _ in 0..<17 {
            desk.clock.advance(by: .seconds(29 * 60))
            _ = try desk.get("/desk", cookie: third)
        }
        #expect(try desk.get("/desk", cookie: third).status == 303, "past the 8-hour lifetime")

        // Revoking the officer key ends its sessions at once.
        let fourth = try #require(try desk.signIn(desk.officerKey))
        #expect(try OfficerKeys.revoke(prefix: desk.officerPrefix, on: desk.f.connection))
        #expect(try desk.get("/desk", cookie: fourth).status == 303)
        #expect(try desk.signIn(desk.officerKey) == nil, "nor can it sign in again")
        // Bad form input is a clear answer, never a 500.
        let json = try desk.client.send(.json("POST", desk.base + "/desk/sign-in", body: #"{"key": "x"}"#))
        #expect(json.status == 415)
    }

    @Test(
        "from an appeal's page the officer fixes a hearing and decides with the order PDF (the citizen's notice and the order are queued); a refused action is a readable message and changes nothing; a penalty after the decision; another office's appeal and a wrong CSRF token get nowhere"
    )
    func decideFromTheDesk() throws {
        let desk = try Desk()
        let f = desk.f
        try f.application("H-1")
        try f.outcome("H-1", "rejected", deliveredOn: AppealsFixture.day("2026-02-20"))
        let filed = try f.file("H-1", level: 1, on: "2026-02-25")
        let cookie = try #require(try desk.signIn(desk.officerKey))
        let path = "/desk/appeals/\(filed.number)"
        var page = try desk.get(path, cookie: cookie)
        #expect(page.status == 200 && page.text.contains("The documents were complete."), "\(page.text)")
        #expect(page.text.contains("income proof missing") && page.text.contains("reached the citizen"))
        #expect(page.text.contains("Appeal filed"), "the history names its events")
        func token(_ action: String) -> String? {
            guard let form = page.text.range(of: "action=\"\(path)/\(action)") else { return nil }
            return Desk.csrf(in: String(page.text[form.upperBound...]))
        }
        // A hearing in the past is refused with the rule's words; one next week is fixed.
        let hearingToken = try #require(token("hearing"))
        let past = try desk.post(
            path + "/hearing", form: [("csrf", hearingToken), ("hearing_at", "2026-03-01T11:00")], cookie: cookie)
        #expect(past.status == 422 && past.text.contains("Not done:"), "\(past.text)")
        let pastMarathi = try desk.post(
            path + "/hearing?lang=mr", form: [("csrf", hearingToken), ("hearing_at", "2026-03-01T11:00")],
            cookie: cookie)
        #expect(pastMarathi.text.contains("केले नाही: सुनावणी भविष्यातील वेळेत असावी."), "the refusal in Marathi")
        let fixed = try desk.post(
            path + "/hearing", form: [("csrf", hearingToken), ("hearing_at", "2026-03-09T11:30")], cookie: cookie)
        #expect(fixed.status == 303 && fixed.header("location")?.contains("done=hearing") == true)
        #expect(
            try f.connection.query("SELECT hearing_at FROM appeals WHERE appeal_number = $1", [filed.number]).first?
                .decode(Date.self, at: 0) == OfficerDesk.istDateTime("2026-03-09T11:30"))
        page = try desk.get(path + "?done=hearing", cookie: cookie)
        #expect(page.text.contains("The hearing was fixed") && page.text.contains("2026-03-09 11:30 IST"))

        // A token for another form, or none, does nothing.
        let wrong = try desk.post(
            path + "/decision", form: [("csrf", hearingToken), ("decision", "dismissed")], cookie: cookie)
        #expect(wrong.status == 403)

        // Decide: dismissed, with reasons and the order as a multipart form, as the browser sends it.
        let decisionToken = try #require(token("decision"))
        let boundary = "desk-\(UUID().uuidString)"
        var body: [UInt8] = []
        for (name, value) in [
            ("csrf", decisionToken), ("decision", "dismissed"), ("directed_days", ""),
            ("reasons", "The income proof was not attached.\nNo new document was produced."),
        ] {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        let order = Array("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".utf8)
        body +=
            Array(
                "--\(boundary)\r\nContent-Disposition: form-data; name=\"order\"; filename=\"order.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
                    .utf8) + order + Array("\r\n--\(boundary)--\r\n".utf8)
        let decided = try desk.client.send(
            HTTPClientRequest(
                method: "POST", url: desk.base + path + "/decision",
                headers: [("Cookie", cookie), ("Accept-Language", "en")],
                body: .bytes(body, contentType: "multipart/form-data; boundary=\(boundary)")))
        #expect(decided.status == 303, "\(decided.text)")
        let row = try #require(
            try f.connection.query(
                "SELECT status, decision, decision_reasons FROM appeals WHERE appeal_number = $1", [filed.number]
            ).first)
        #expect(try row.decode(String.self, at: 0) == "decided" && row.decode(String?.self, at: 1) == "dismissed")
        #expect(
            try row.decode([String].self, at: 2) == [
                "The income proof was not attached.", "No new document was produced.",
            ])
        #expect(
            try f.connection.query(
                """
                SELECT count(*) FROM deliveries d JOIN documents doc ON doc.id = d.document_id
                WHERE d.decision = 'appeal' AND doc.content = $1
                """, [PostgresBytes(order)]
            ).first?.decode(Int.self, at: 0) == 1, "the citizen's notice carries the order")
        // Deciding again is refused on the page, and nothing changes.
        let again = try desk.post(
            path + "/decision", form: [("csrf", decisionToken), ("decision", "allowed")], cookie: cookie)
        #expect(again.status == 422 && again.text.contains("Not done:"))
        #expect(
            try f.connection.query("SELECT decision FROM appeals WHERE appeal_number = $1", [filed.number]).first?
                .decode(String?.self, at: 0) == "dismissed")

        // After the decision the page offers the penalty form.
        page = try desk.get(path, cookie: cookie)
        let penaltyToken = try #require(token("penalty"))
        let bad = try desk.post(
            path + "/penalty", form: [("csrf", penaltyToken), ("amount", "x"), ("reason", "")], cookie: cookie)
        #expect(bad.status == 422 && bad.text.contains("whole rupees"))
        let fined = try desk.post(
            path + "/penalty",
            form: [
                ("csrf", penaltyToken), ("amount", "1000"), ("reason", "No reasons were recorded for the rejection."),
            ],
            cookie: cookie)
        #expect(fined.status == 303, "\(fined.text)")
        #expect(
            try f.connection.query("SELECT count(*) FROM appeal_penalties").first?.decode(Int.self, at: 0) == 1)

        // Another office's officer sees no such appeal.
        let other = try #require(try desk.signIn(desk.otherKey))
        #expect(try desk.get(path, cookie: other).status == 404)
        #expect(
            try desk.post(
                path + "/penalty", form: [("csrf", penaltyToken), ("amount", "1000"), ("reason", "x")], cookie: other
            ).status == 403)
    }

    @Test(
        "a cluster team's desk lists the applications of its villages past their time limit without a decision, longest first; others are not shown"
    )
    func clusterTeam() throws {
        let desk = try Desk()
        let f = desk.f
        try Offices.importCSV(try Offices.maharashtraSample(), on: f.connection)
        let team = try OfficerKeys.create(
            role: "CLUSTER_TEAM", office: "C-HAVELI-1", officerName: "Wagholi cluster team", on: f.connection
        ).secret
        // Completed on these days (income certificate: 15 days); the desk's today is 2026-03-02.
        for (id, village, completed) in [
            ("W-1", "V-HAVELI-WAGHOLI", "2026-01-05"), ("W-2", "V-HAVELI-LOHEGAON", "2026-02-01"),
            ("W-3", "V-HAVELI-WAGHOLI", "2026-02-25"), ("W-4", "V-HAVELI-THEUR", "2026-01-05"),
            ("W-5", "V-HAVELI-PERNE", "2026-01-10"),
        ] {
            let application = try f.application(id)
            try f.connection.query(
                "UPDATE applications SET village_code = $2 WHERE portal_application_id = $1", [id, village])
            _ = try f.connection.transaction { tx in
                try f.desk.startClock(
                    application: application, completedAt: AppealsFixture.noon(completed), bandValue: nil,
                    isTest: false, actor: "portal", now: AppealsFixture.noon(completed), on: tx)
            }
        }
        try f.outcome("W-5", "approved", deliveredOn: AppealsFixture.day("2026-02-20"))
        let cookie = try #require(try desk.signIn(team))
        let page = try desk.get("/desk", cookie: cookie)
        #expect(page.status == 200 && page.text.contains("Applications of your villages"), "\(page.text)")
        let listed = page.text.components(separatedBy: "<tr><th scope=\"row\">").dropFirst().map {
            String($0.prefix { $0 != "<" })
        }
        // W-3 is not due yet, W-4 is another cluster's village, W-5 has its outcome.
        #expect(listed == ["W-1", "W-2"], "\(listed)")
        #expect(page.text.contains("Wagholi") && page.text.contains("Income certificate"))
        let marathi = try desk.get("/desk?lang=mr", cookie: cookie)
        #expect(marathi.text.contains("वाघोली") && marathi.text.contains("उत्पन्नाचा दाखला"))
    }
}
