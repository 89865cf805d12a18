import Delivery
import Dispatcher
import Foundation
import HTTPClient
import HTTPServer
import JobQueue
import Postgres
import ServiceRuntime
@testable import PortalAdapter
import Testing
import TestSupport

/// A department key sees and changes only what is its own; the citizen's record is the portal's to keep.
@Suite("Tenant isolation and request integrity")
struct TenantIsolationTests {
    typealias T = PortalAPITests

    func citizenRow(_ fixture: PortalFixture, _ id: String = "u-1001") throws -> [String?] {
        let row = try #require(
            try fixture.db.connect().query(
                "SELECT mobile, email, language FROM citizens WHERE portal_user_id = $1", [id]
            ).first)
        return [
            try row.decode(String?.self, at: 0), try row.decode(String?.self, at: 1),
            try row.decode(String?.self, at: 2),
        ]
    }

    @Test(
        "a key without the citizens scope cannot change a citizen: 403, nothing changes, and its next outcome still goes to the kept address"
    )
    func citizensBelongToThePortal() throws {
        let fixture = try PortalFixture()
        try fixture.registerCitizen()
        let before = try citizenRow(fixture)
        let consentsBefore = try fixture.count("citizen_consents")
        for key in [fixture.otherKey, fixture.havelieOnlyKey] {
            let response = try fixture.send(
                "PUT", "/v1/citizens/u-1001",
                json:
                    #"{"email": "attacker@example.com", "consents": [{"channel": "email", "granted": true, "source": "x"}]}"#,
                key: key)
            #expect(response.status == 403)
            #expect(try problem(response).detail?.contains("citizens") == true)
            #expect(!response.text.contains("portal-profile"), "no other department's data in the refusal")
        }
        #expect(try citizenRow(fixture) == before)
        #expect(try fixture.count("citizen_consents") == consentsBefore)
        #expect(
            try fixture.send("PUT", "/v1/citizens/u-new", json: #"{"email": "a@example.in"}"#, key: fixture.otherKey)
                .status == 403)
        #expect(try fixture.db.connect().query("SELECT 1 FROM citizens WHERE portal_user_id = 'u-new'").count == 0)
    }

    @Test("an omitted field keeps its value, null removes it, and every change names the key and the fields it changed")
    func partialChanges() throws {
        let fixture = try PortalFixture()
        try fixture.registerCitizen()
        let languageOnly = try fixture.send("PUT", "/v1/citizens/u-1001", json: #"{"language": "en"}"#)
        #expect(languageOnly.status == 200, "\(languageOnly.text)")
        #expect(
            try citizenRow(fixture) == ["+919876543210", "Citizen@example.in", "en"],
            "the mobile is not wiped by leaving it out")
        #expect(try fixture.send("PUT", "/v1/citizens/u-1001", json: #"{"mobile": null}"#).status == 200)
        #expect(try citizenRow(fixture) == [nil, "Citizen@example.in", "en"])
        let refused = try fixture.send("PUT", "/v1/citizens/u-1001", json: #"{"language": null}"#)
        #expect(refused.status == 422)
        #expect(try problem(refused).errors?.map(\.field) == ["language"])
        let changes = try fixture.db.connect().query(
            """
            SELECT k.label, ch.fields, ch.created FROM citizen_changes ch JOIN api_keys k ON k.id = ch.api_key_id ORDER BY ch.id
            """
        ).rows.map {
            "\(try $0.decode(String.self, at: 0)):\(try $0.decode([String].self, at: 1).joined(separator: ",")):\(try $0.decode(Bool.self, at: 2))"
        }
        #expect(
            changes == ["portal:mobile,email,language,consents:true", "portal:language:false", "portal:mobile:false"])
        #expect(
            try fixture.db.connect().query("SELECT count(*) FROM citizen_consents WHERE api_key_id IS NOT NULL").first?
                .decode(Int.self, at: 0) == 1)
    }

    @Test("a key limited to one office reads only that office's deliveries, inbox items and applications")
    func officeScopedReads() throws {
        let fixture = try PortalFixture()
        try fixture.registerCitizen()
        let pune = try fixture.send(
            "POST", "/v1/applications/P-1/outcome", json: T.outcome(office: "PUNE_CITY"), idempotencyKey: "p1")
        let haveli = try fixture.send(
            "POST", "/v1/applications/H-1/outcome", json: T.outcome(office: "HAVELI"), idempotencyKey: "h1")
        struct Accepted: Decodable { var delivery_id: UUID }
        let puneID = try JSONDecoder().decode(Accepted.self, from: Data(pune.body)).delivery_id
        let haveliID = try JSONDecoder().decode(Accepted.self, from: Data(haveli.body)).delivery_id
        for id in [puneID, haveliID] {
            try DeliveryRouter.route(deliveryID: id, queue: JobQueue(), on: fixture.db.connect())
        }
        let key = fixture.havelieOnlyKey
        #expect(try fixture.send("GET", "/v1/deliveries/\(puneID)", key: key).status == 404)
        #expect(try fixture.send("GET", "/v1/deliveries/\(haveliID)", key: key).status == 200)
        #expect(try fixture.send("GET", "/v1/applications/P-1/deliveries", key: key).status == 404)
        #expect(try fixture.send("GET", "/v1/applications/H-1/deliveries", key: key).status == 200)
        let inbox = try fixture.send("GET", "/v1/citizens/u-1001/inbox", key: key)
        #expect(inbox.status == 200)
        #expect(inbox.text.contains("H-1") && !inbox.text.contains("P-1"), "\(inbox.text)")
        // Nor can it take another office's application over by posting an outcome for it under its own office.
        let takeover = try fixture.send(
            "POST", "/v1/applications/P-1/outcome", json: T.outcome(office: "HAVELI"), key: key, idempotencyKey: "t1")
        #expect(takeover.status == 404)
        #expect(
            try fixture.db.connect().query("SELECT office_code FROM applications WHERE portal_application_id = 'P-1'")
                .first?.decode(String.self, at: 0) == "PUNE_CITY")
    }

    @Test(
        "an Idempotency-Key fingerprints method, path and body: the same body for another application is 409, and a replay carries Location"
    )
    func idempotencyCoversThePath() throws {
        let fixture = try PortalFixture()
        try fixture.registerCitizen()
        let first = try fixture.send("POST", "/v1/applications/A-1/outcome", json: T.outcome(), idempotencyKey: "k")
        #expect(first.status == 202)
        let before = try fixture.writes()
        let other = try fixture.send("POST", "/v1/applications/A-2/outcome", json: T.outcome(), idempotencyKey: "k")
        #expect(other.status == 409, "the second application's outcome must not vanish as a replay")
        #expect(try fixture.writes() == before)
        let replay = try fixture.send("POST", "/v1/applications/A-1/outcome", json: T.outcome(), idempotencyKey: "k")
        #expect(replay.status == 202)
        #expect(replay.header("idempotent-replayed") == "true")
        #expect(replay.header("location") == first.header("location"))
        #expect(replay.header("location") != nil)
        // Another department has its own keys.
        try fixture.db.connect().query("UPDATE api_keys SET scopes = '{outcomes,citizens}'")
        #expect(
            try fixture.send(
                "POST", "/v1/applications/R-1/outcome", json: T.outcome(), key: fixture.otherKey, idempotencyKey: "k"
            ).status == 202)
    }

    @Test("the same certificate bytes under another file name go out under that name: the name belongs to the delivery")
    func fileNamePerDelivery() throws {
        let fixture = try PortalFixture()
        try fixture.registerCitizen()
        let renamed = T.outcome().replacingOccurrences(of: "income-certificate.pdf", with: "renamed.pdf")
        for (id, body) in [("F-1", T.outcome()), ("F-2", renamed)] {
            let response = try fixture.send("POST", "/v1/applications/\(id)/outcome", json: body, idempotencyKey: id)
            struct Accepted: Decodable { var delivery_id: UUID }
            try DeliveryRouter.route(
                deliveryID: try JSONDecoder().decode(Accepted.self, from: Data(response.body)).delivery_id,
                queue: JobQueue(),
                on: fixture.db.connect())
        }
        #expect(try fixture.count("documents") == 1)
        let inbox = try fixture.send("GET", "/v1/citizens/u-1001/inbox").text
        #expect(
            inbox.contains("\"application_id\":\"F-2\"") && inbox.contains("renamed.pdf")
                && inbox.contains("income-certificate.pdf"), "\(inbox)")
        let link = try #require(
            inbox.range(of: #"/v1/documents/[^"]*"#, options: .regularExpression).map { String(inbox[$0]) })
        let download = try fixture.client.send(
            HTTPClientRequest(url: fixture.base + link.replacingOccurrences(of: "\\u0026", with: "&")))
        #expect(
            download.header("content-disposition")?.contains("renamed.pdf") == true,
            "the newest item is F-2: \(download.header("content-disposition") ?? "")")
    }

    @Test("NUL in a field or a path id is refused naming it, and nothing is written; an id with %2F is one id")
    func nulAndSlashes() throws {
        let fixture = try PortalFixture()
        try fixture.registerCitizen()
        let before = try fixture.writes()
        let nul = try fixture.send(
            "POST", "/v1/applications/N-1/outcome", json: T.outcome(citizen: #"u-1001\u0000zzz"#), idempotencyKey: "n1")
        #expect(nul.status == 422)
        #expect(try problem(nul).errors?.map(\.field) == ["citizen"])
        let service = try fixture.send(
            "POST", "/v1/applications/N-1/outcome",
            json: T.outcome().replacingOccurrences(of: "INCOME_CERT", with: #"INC\u0000OME"#), idempotencyKey: "n2")
        #expect(service.status == 422)
        #expect(try fixture.send("PUT", "/v1/citizens/u%00x", json: #"{"language": "en"}"#).status == 400)
        #expect(try fixture.db.connect().query("SELECT 1 FROM citizens WHERE portal_user_id IN ('u', 'u-')").count == 0)
        let typo = try fixture.send(
            "POST", "/v1/applications/N-1/outcome",
            json: T.outcome().replacingOccurrences(of: "\"office\"", with: "\"ofice\""), idempotencyKey: "n3")
        #expect(typo.status == 400 || typo.status == 422)
        let misspelt = try fixture.send("PUT", "/v1/citizens/u-1001", json: #"{"langauge": "en"}"#)
        #expect(misspelt.status == 422)
        #expect(try problem(misspelt).errors?.map(\.field) == ["langauge"])
        #expect(try fixture.writes() == before)
        let slashed = try fixture.send(
            "POST", "/v1/applications/MH%2FINC%2F2026%2F0001/outcome", json: T.outcome(), idempotencyKey: "s1")
        #expect(slashed.status == 202, "\(slashed.text)")
        #expect(slashed.text.contains("\"application_id\":\"MH/INC/2026/0001\""))
        #expect(try fixture.send("GET", "/v1/applications/MH%2FINC%2F2026%2F0001/deliveries").status == 200)
    }
}

@Suite("Honest failure answers")
struct UnavailableDatabaseTests {
    @Test("while PostgreSQL cannot be reached, an outcome post is 503 problem+json with Retry-After, not 500")
    func databaseDown() throws {
        // A real libpq connection attempt to a socket where no server listens.
        let pool = ConnectionPool(
            url: "postgresql:///dakiya?host=/nonexistent-dakiya-socket&port=1&connect_timeout=2", maximumConnections: 2,
            acquireTimeout: .seconds(2))
        let api = PortalAPI(
            pool: pool, logger: Logger(service: "portal-adapter", sink: .capturing()), maximumCertificateBytes: 1 << 20)
        let server = Server(
            configuration: ServerConfiguration(port: 0, threads: 2), router: api.makeRouter(),
            logger: Logger(service: "portal-adapter", sink: .capturing()), metrics: MetricsRegistry())
        try server.start()
        defer { server.stop() }
        let response = try HTTPClient().send(
            .json(
                "POST", "http://127.0.0.1:\(server.port)/v1/applications/A-1/outcome", body: PortalAPITests.outcome(),
                headers: [("Authorization", "Bearer dk_live_abcdefgh_secret"), ("Idempotency-Key", "k")]))
        #expect(response.status == 503)
        #expect(response.header("retry-after") == "5")
        #expect(response.header("content-type") == "application/problem+json")
    }
}
