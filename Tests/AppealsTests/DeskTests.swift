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
            OfficerDesk(pool: f.db.pool(), logger: Logger(service: "t", sink: .capturing()), now: { clock.date })
                .routes(into: &router)
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
        let rows = page.text.components(separatedBy: "<tr><th scope=\"row\">").dropFirst().map {
            String($0.prefix { $0 != "<" })
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
}
