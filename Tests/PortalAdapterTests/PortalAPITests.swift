import Cryptography
import Delivery
import Dispatcher
import Appeals
import Foundation
import HTTPClient
import HTTPServer
import JobQueue
import Postgres
@testable import PortalAdapter
import ServiceRuntime
import Testing
import TestSupport

/// The portal API over a real server and a real database.
final class PortalFixture: @unchecked Sendable {
    let db: TestDatabase
    let server: Server
    let key: String
    let otherKey: String
    let havelieOnlyKey: String
    let client: HTTPClient
    let clock = ManualClock(Date())
    var base: String { "http://127.0.0.1:\(server.port)" }

    init(maximumCertificateBytes: Int = 64 * 1024) throws {
        db = try TestDatabase()
        let connection = try db.connect()
        try Departments.upsert(code: "REV", name: "Revenue", on: connection)
        try Departments.upsert(code: "RDD", name: "Rural Development", on: connection)
        key = try APIKeys.create(
            department: "REV", kind: .test, label: "portal", scopes: [.outcomes, .citizens], on: connection
        ).secret
        otherKey = try APIKeys.create(department: "RDD", kind: .test, label: "other", on: connection).secret
        havelieOnlyKey = try APIKeys.create(
            department: "REV", offices: ["HAVELI"], kind: .live, label: "haveli", on: connection
        ).secret
        var api = PortalAPI(
            pool: db.pool(size: 8), logger: Logger(service: "portal-adapter", sink: .capturing()),
            maximumCertificateBytes: maximumCertificateBytes)
        let clock = self.clock
        api.linkKey = Array(repeating: 7, count: 32)
        api.linkLifetime = 900
        api.now = { Int(clock.date.timeIntervalSince1970) }
        server = Server(
            configuration: ServerConfiguration(port: 0, threads: 4, maximumBodyBytes: 1 << 20),
            router: api.makeRouter(),
            logger: Logger(service: "portal-adapter", sink: .capturing()), metrics: MetricsRegistry())
        try server.start()
        client = try HTTPClient()
    }

    deinit { server.stop() }

    /// Another portal-adapter on the same database, as after a restart with other link keys (a changeover).
    func restarted(linkKey: UInt8, previous: UInt8?) throws -> Server {
        var api = PortalAPI(
            pool: db.pool(size: 2), logger: Logger(service: "portal-adapter", sink: .capturing()),
            maximumCertificateBytes: 64 * 1024)
        let clock = self.clock
        api.linkKey = Array(repeating: linkKey, count: 32)
        api.previousLinkKey = previous.map { Array(repeating: $0, count: 32) }
        api.now = { Int(clock.date.timeIntervalSince1970) }
        let server = Server(
            configuration: ServerConfiguration(port: 0, threads: 2), router: api.makeRouter(),
            logger: Logger(service: "portal-adapter", sink: .capturing()), metrics: MetricsRegistry())
        try server.start()
        return server
    }

    func send(_ method: String, _ path: String, json: String? = nil, key: String? = nil, idempotencyKey: String? = nil)
        throws -> HTTPClientResponse
    {
        var headers: [(String, String)] = []
        if let key = key ?? Optional(self.key), !key.isEmpty { headers.append(("Authorization", "Bearer \(key)")) }
        if let idempotencyKey { headers.append(("Idempotency-Key", idempotencyKey)) }
        if let json { return try client.send(.json(method, base + path, body: json, headers: headers)) }
        return try client.send(HTTPClientRequest(method: method, url: base + path, headers: headers))
    }

    func registerCitizen(_ id: String = "u-1001") throws {
        let response = try send(
            "PUT", "/v1/citizens/\(id)",
            json: """
                {"mobile": "98765 43210", "email": "Citizen@Example.IN", "language": "mr",
                 "consents": [{"channel": "whatsapp", "granted": true, "source": "portal-profile", "recorded_at": "2026-11-01T10:00:00Z"}]}
                """)
        #expect(response.status == 200, "\(response.text)")
    }

    func count(_ table: String) throws -> Int {
        try db.connect().query("SELECT count(*) FROM \(table)").first!.decode(Int.self, at: 0)
    }

    /// Rows in every table a rejected request must not touch.
    func writes() throws -> [Int] {
        try ["applications", "documents", "deliveries", "idempotency_keys", "jobs"].map(count)
    }
}

struct Problem: Decodable {
    struct Field: Decodable { var field: String; var detail: String }
    var status: Int
    var detail: String?
    var errors: [Field]?
}

func problem(_ response: HTTPClientResponse) throws -> Problem {
    #expect(response.header("content-type") == "application/problem+json")
    return try JSONDecoder().decode(Problem.self, from: Data(response.body))
}

@Suite("Portal API")
struct PortalAPITests {
    static let pdf =
        Array("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n".utf8) + (0..<2000).map { UInt8($0 % 251) }
        + Array("\n%%EOF\n".utf8)

    static func outcome(
        decision: String = "approved", reasons: String = "[]", certificate: [UInt8]? = pdf, citizen: String = "u-1001",
        office: String = "HAVELI"
    ) -> String {
        var body =
            #"{"citizen": "\#(citizen)", "decision": "\#(decision)", "reasons": \#(reasons), "service": "INCOME_CERT", "office": "\#(office)""#
        if let certificate {
            body +=
                #", "certificate": {"file_name": "income-certificate.pdf", "content_base64": "\#(Data(certificate).base64EncodedString())"}"#
        }
        return body + "}"
    }

    @Test("PUT citizen normalises contact details and records consents")
    func putCitizen() throws {
        let fixture = try PortalFixture()
        try fixture.registerCitizen()
        let citizen = try #require(try Citizens.find(portalUserID: "u-1001", on: fixture.db.connect()))
        #expect(citizen.mobile == "+919876543210")
        #expect(citizen.email == "Citizen@example.in")
        #expect(citizen.consent(for: .whatsapp)?.granted == true)
        #expect(citizen.consent(for: .whatsapp)?.source == "portal-profile")
    }

    @Test("PUT citizen with bad fields is 422 naming each field, and writes nothing")
    func putCitizenInvalid() throws {
        let fixture = try PortalFixture()
        let response = try fixture.send(
            "PUT", "/v1/citizens/u-9",
            json:
                #"{"mobile": "12", "email": "nope", "language": "fr", "consents": [{"channel": "sms", "granted": true, "source": "x"}]}"#
        )
        #expect(response.status == 422)
        #expect(try problem(response).errors?.map(\.field) == ["mobile", "email", "language", "consents[0].channel"])
        #expect(try fixture.count("citizens") == 0)
    }

    @Test("an outcome with a certificate is accepted once: 202, a delivery, the PDF stored by hash, one dispatcher job")
    func acceptOutcome() throws {
        let fixture = try PortalFixture()
        try fixture.registerCitizen()
        let response = try fixture.send(
            "POST", "/v1/applications/MH-२०२५-42/outcome", json: Self.outcome(), idempotencyKey: "req-1")
        #expect(response.status == 202, "\(response.text)")
        struct Accepted: Decodable {
            var delivery_id: UUID; var application_id: String; var status: String; var location: String
        }
        let accepted = try JSONDecoder().decode(Accepted.self, from: Data(response.body))
        #expect(accepted.application_id == "MH-2025-42")
        #expect(response.header("location") == accepted.location)
        let connection = try fixture.db.connect()
        let stored = try #require(try connection.query("SELECT content, sha256, size FROM documents").first)
        #expect(try stored.decode(PostgresBytes.self, at: 0).bytes == Self.pdf)
        #expect(try stored.decode(PostgresBytes.self, at: 1).bytes == SHA256.hash(Self.pdf))
        let job = try #require(try connection.query("SELECT queue, kind, payload->>'delivery_id' FROM jobs").first)
        #expect(try job.decode(String.self, at: 0) == "dispatcher")
        #expect(try job.decode(String.self, at: 1) == "delivery.requested")
        #expect(UUID(uuidString: try job.decode(String.self, at: 2)) == accepted.delivery_id)
        // The same certificate on a second outcome is stored once.
        _ = try fixture.send(
            "POST", "/v1/applications/MH-2025-43/outcome", json: Self.outcome(), idempotencyKey: "req-2")
        #expect(try fixture.count("documents") == 1)
        #expect(try fixture.count("deliveries") == 2)
    }

    @Test(
        "an outcome can name its village in the office hierarchy: kept on the application (a later outcome without one keeps it); an unknown or malformed village, or an office that is not a village, is 422 and writes nothing"
    )
    func village() throws {
        let fixture = try PortalFixture()
        try fixture.registerCitizen()
        let connection = try fixture.db.connect()
        try Offices.importCSV(try Offices.maharashtraSample(), on: connection)
        func post(_ id: String, village: String?) throws -> HTTPClientResponse {
            var body = Self.outcome(certificate: nil)
            if let village { body = String(body.dropLast()) + #", "village": "\#(village)"}"# }
            return try fixture.send(
                "POST", "/v1/applications/\(id)/outcome", json: body, idempotencyKey: id + "-" + (village ?? ""))
        }
        #expect(try post("V-1", village: "V-HAVELI-WAGHOLI").status == 202)
        func village(_ id: String) throws -> String? {
            try connection.query("SELECT village_code FROM applications WHERE portal_application_id = $1", [id]).first?
                .decode(String?.self, at: 0)
        }
        #expect(try village("V-1") == "V-HAVELI-WAGHOLI")
        #expect(try post("V-1", village: nil).status == 202)
        #expect(try village("V-1") == "V-HAVELI-WAGHOLI", "an outcome without a village keeps the one recorded")
        for bad in ["V-NOWHERE", "T-HAVELI", "v-haveli-wagholi", ""] {
            let response = try post("V-2", village: bad)
            #expect(response.status == 422, "\(bad): \(response.text)")
            #expect(try problem(response).errors?.map(\.field) == ["village"] || response.text.contains("village"))
        }
        #expect(
            try connection.query("SELECT count(*) FROM applications WHERE portal_application_id = 'V-2'").first?.decode(
                Int.self, at: 0) == 0)
    }

    @Test("the same Idempotency-Key and body replay the first response and send nothing again; another body is 409")
    func idempotency() throws {
        let fixture = try PortalFixture()
        try fixture.registerCitizen()
        let first = try fixture.send(
            "POST", "/v1/applications/A-1/outcome", json: Self.outcome(), idempotencyKey: "same")
        let again = try fixture.send(
            "POST", "/v1/applications/A-1/outcome", json: Self.outcome(), idempotencyKey: "same")
        #expect(first.status == 202)
        #expect(again.status == 202)
        #expect(again.body == first.body)
        #expect(again.header("idempotent-replayed") == "true")
        #expect(try fixture.count("deliveries") == 1)
        #expect(
            try fixture.db.connect().query("SELECT idempotency_key FROM deliveries").first?.decode(String.self, at: 0)
                == "same")
        #expect(try fixture.count("jobs") == 1)
        let different = try fixture.send(
            "POST", "/v1/applications/A-1/outcome", json: Self.outcome(decision: "other"), idempotencyKey: "same")
        #expect(different.status == 409)
        #expect(try fixture.count("deliveries") == 1)
        let missing = try fixture.send("POST", "/v1/applications/A-1/outcome", json: Self.outcome())
        #expect(missing.status == 400)
        #expect(try problem(missing).errors?.first?.field == "Idempotency-Key")
    }

    @Test("concurrent requests with one Idempotency-Key create one delivery")
    func concurrentIdempotency() throws {
        let fixture = try PortalFixture()
        try fixture.registerCitizen()
        let statuses = LockedList()
        let threads = try (0..<8).map { index in
            try OwnedThread(name: "post-\(index)") {
                let status =
                    (try? HTTPClient().send(
                        .json(
                            "POST", fixture.base + "/v1/applications/A-7/outcome", body: Self.outcome(),
                            headers: [("Authorization", "Bearer \(fixture.key)"), ("Idempotency-Key", "race")])))?
                    .status ?? -1
                statuses.add(status)
            }
        }
        for thread in threads { thread.join() }
        #expect(statuses.values == Array(repeating: 202, count: 8))
        #expect(try fixture.count("deliveries") == 1)
    }

    @Test(
        "bad outcomes are refused with the right status and write nothing",
        arguments: [
            ("rejected without reasons", 422, "reasons"),
            ("not a PDF", 415, "certificate.content_base64"),
            ("oversize", 413, "certificate.content_base64"),
            ("unknown citizen", 422, "citizen"),
            ("bad decision", 422, "decision"),
        ])
    func refusedOutcomes(name: String, status: Int, field: String) throws {
        let fixture = try PortalFixture(maximumCertificateBytes: 4096)
        try fixture.registerCitizen()
        let before = try fixture.writes()
        let body =
            switch name {
            case "rejected without reasons": Self.outcome(decision: "rejected", reasons: "[\"  \"]")
            case "not a PDF": Self.outcome(certificate: Array("GIF89a not a pdf".utf8))
            case "oversize": Self.outcome(certificate: Self.pdf + [UInt8](repeating: 0x20, count: 5000))
            case "unknown citizen": Self.outcome(citizen: "nobody")
            default: Self.outcome(decision: "maybe")
            }
        let response = try fixture.send("POST", "/v1/applications/B-1/outcome", json: body, idempotencyKey: "k-\(name)")
        #expect(response.status == status, "\(response.text)")
        #expect(try problem(response).errors?.first?.field == field)
        #expect(try fixture.writes() == before)
    }

    @Test(
        "missing, malformed and revoked keys are 401; another department's application is 404; an office outside the key is 403"
    )
    func authentication() throws {
        let fixture = try PortalFixture()
        try fixture.registerCitizen()
        #expect(try fixture.send("GET", "/v1/deliveries/\(UUID())", key: "").status == 401)
        #expect(try fixture.send("GET", "/v1/deliveries/\(UUID())", key: "not-a-key").status == 401)
        let wrongSecret = fixture.key.dropLast(3) + "abc"
        #expect(try fixture.send("GET", "/v1/deliveries/\(UUID())", key: String(wrongSecret)).status == 401)
        let unauthenticated = try fixture.send(
            "POST", "/v1/applications/C-1/outcome", json: Self.outcome(), key: "", idempotencyKey: "x")
        #expect(unauthenticated.status == 401)
        #expect(unauthenticated.header("www-authenticate") == "Bearer")
        #expect(try problem(unauthenticated).status == 401)

        #expect(
            try fixture.send("POST", "/v1/applications/C-1/outcome", json: Self.outcome(), idempotencyKey: "a").status
                == 202)
        let before = try fixture.writes()
        let foreign = try fixture.send(
            "POST", "/v1/applications/C-1/outcome", json: Self.outcome(), key: fixture.otherKey, idempotencyKey: "b")
        #expect(foreign.status == 404, "the same answer as an application that does not exist")
        #expect(try fixture.send("GET", "/v1/applications/C-1/deliveries", key: fixture.otherKey).status == 404)
        #expect(try fixture.send("GET", "/v1/applications/NOPE/deliveries").status == 404)
        let outsideOffice = try fixture.send(
            "POST", "/v1/applications/C-2/outcome", json: Self.outcome(office: "PUNE_CITY"),
            key: fixture.havelieOnlyKey, idempotencyKey: "c")
        #expect(outsideOffice.status == 403)
        #expect(try fixture.writes() == before, "refused requests write nothing")

        let prefix = fixture.key.split(separator: "_", maxSplits: 3).prefix(3).joined(separator: "_")
        #expect(try APIKeys.revoke(prefix: prefix, on: fixture.db.connect()))
        let revoked = try fixture.send("GET", "/v1/applications/C-1/deliveries")
        #expect(revoked.status == 401)
        #expect(try problem(revoked).detail == "the API key has been revoked")
    }

    @Test(
        "an outcome for another citizen's application is 422 and changes nothing, with or without a certificate; the key stays free"
    )
    func anotherCitizensApplication() throws {
        let fixture = try PortalFixture()
        try fixture.registerCitizen()
        try fixture.registerCitizen("u-2002")
        #expect(
            try fixture.send(
                "POST", "/v1/applications/D-1/outcome", json: Self.outcome(certificate: nil), idempotencyKey: "d1"
            ).status == 202)
        let before = try fixture.writes()
        for certificate in [nil, Self.pdf] {
            let response = try fixture.send(
                "POST", "/v1/applications/D-1/outcome",
                json: Self.outcome(certificate: certificate, citizen: "u-2002", office: "PUNE_CITY"),
                idempotencyKey: "d2")
            #expect(response.status == 422, "\(response.text)")
            #expect(try problem(response).errors?.first?.field == "citizen")
        }
        #expect(try fixture.writes() == before, "the refused requests wrote nothing: no key, no delivery, no job")
        let office = try fixture.db.connect().query(
            "SELECT office_code FROM applications WHERE portal_application_id = 'D-1'"
        ).first?.decode(String.self, at: 0)
        #expect(office == "HAVELI", "the application is as the first outcome left it")
        // The key was not spent on the refusal: the corrected request goes through with it.
        #expect(
            try fixture.send(
                "POST", "/v1/applications/D-1/outcome", json: Self.outcome(certificate: nil), idempotencyKey: "d2"
            ).status == 202)
    }

    @Test("delivery status shows the aggregate and each channel once the dispatcher has routed it")
    func deliveryStatus() throws {
        let fixture = try PortalFixture()
        try fixture.registerCitizen()
        let accepted = try fixture.send(
            "POST", "/v1/applications/D-1/outcome",
            json: Self.outcome(decision: "rejected", reasons: #"["income proof missing"]"#),
            idempotencyKey: "d")
        struct Accepted: Decodable { var delivery_id: UUID }
        let id = try JSONDecoder().decode(Accepted.self, from: Data(accepted.body)).delivery_id
        let pending = try JSONDecoder.iso.decode(
            DeliveryView.self, from: Data(try fixture.send("GET", "/v1/deliveries/\(id)").body))
        #expect(pending.status == "pending")
        #expect(pending.reasons == ["income proof missing"])
        #expect(pending.channels.isEmpty)
        try DeliveryRouter.route(deliveryID: id, queue: JobQueue(), on: fixture.db.connect())
        let routed = try JSONDecoder.iso.decode(
            DeliveryView.self, from: Data(try fixture.send("GET", "/v1/deliveries/\(id)").body))
        #expect(routed.status == "in_progress")
        #expect(routed.channels.map(\.state) == ["delivered", "queued", "queued"])
        #expect(routed.isTest)
        #expect(
            try fixture.send("GET", "/v1/deliveries/\(id)", key: fixture.otherKey).status == 404,
            "invisible to other departments")
        let listing = try fixture.send("GET", "/v1/applications/D-1/deliveries")
        #expect(listing.status == 200)
        struct Listing: Decodable { var application_id: String; var deliveries: [DeliveryView] }
        let decoded = try JSONDecoder.iso.decode(Listing.self, from: Data(listing.body))
        #expect(decoded.application_id == "D-1")
        #expect(decoded.deliveries.map(\.id.uuid) == [id])
        #expect(listing.text.contains("\"id\":\"\(id.uuidString.lowercased())\""), "ids are lowercase, as in URLs")
    }
}

extension JSONDecoder {
    static let iso: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}

final class LockedList: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Int] = []
    func add(_ value: Int) { lock.lock(); stored.append(value); lock.unlock() }
    var values: [Int] { lock.lock(); defer { lock.unlock() }; return stored }
}

@Suite("Outcome upload as multipart/form-data")
struct MultipartOutcomeTests {
    func post(_ fixture: PortalFixture, parts: [MultipartPart], key: String = "m1") throws -> HTTPClientResponse {
        try fixture.client.send(
            HTTPClientRequest(
                method: "POST", url: fixture.base + "/v1/applications/MP-1/outcome",
                headers: [("Authorization", "Bearer \(fixture.key)"), ("Idempotency-Key", key)],
                body: .multipart(parts)))
    }

    static let outcome = MultipartPart(
        name: "outcome",
        data: Array(
            #"{"citizen": "u-1001", "decision": "approved", "service": "INCOME_CERT", "office": "HAVELI"}"#.utf8),
        contentType: "application/json")

    @Test("an outcome JSON part and a certificate file part are accepted; a retry with a new boundary replays")
    func accepted() throws {
        let fixture = try PortalFixture()
        try fixture.registerCitizen()
        let certificate = MultipartPart(
            name: "certificate", data: PortalAPITests.pdf, filename: "उत्पन्न प्रमाणपत्र.pdf", contentType: "application/pdf")
        let first = try post(fixture, parts: [Self.outcome, certificate])
        #expect(first.status == 202, "\(first.text)")
        let stored = try #require(try fixture.db.connect().query("SELECT file_name, content FROM documents").first)
        #expect(try stored.decode(String.self, at: 0) == "उत्पन्न प्रमाणपत्र.pdf")
        #expect(try stored.decode(PostgresBytes.self, at: 1).bytes == PortalAPITests.pdf)
        let retry = try post(fixture, parts: [Self.outcome, certificate])  // libcurl draws a new boundary
        #expect(retry.status == 202)
        #expect(retry.header("idempotent-replayed") == "true")
        #expect(retry.body == first.body)
        #expect(try fixture.count("deliveries") == 1)
    }

    @Test(
        "a non-PDF part is 415, a missing outcome part is 400, both certificate forms at once is 422; nothing is written"
    )
    func refused() throws {
        let fixture = try PortalFixture()
        try fixture.registerCitizen()
        let before = try fixture.writes()
        let gif = try post(
            fixture,
            parts: [Self.outcome, MultipartPart(name: "certificate", data: Array("GIF89a".utf8), filename: "x.gif")],
            key: "a")
        #expect(gif.status == 415)
        #expect(try problem(gif).errors?.first?.field == "certificate")
        let noOutcome = try post(
            fixture, parts: [MultipartPart(name: "certificate", data: PortalAPITests.pdf, filename: "c.pdf")], key: "b")
        #expect(noOutcome.status == 400)
        #expect(try problem(noOutcome).errors?.first?.field == "outcome")
        let both = MultipartPart(
            name: "outcome", data: Array(PortalAPITests.outcome().utf8), contentType: "application/json")
        let twice = try post(
            fixture, parts: [both, MultipartPart(name: "certificate", data: PortalAPITests.pdf, filename: "c.pdf")],
            key: "c")
        #expect(twice.status == 422)
        #expect(try fixture.writes() == before)
    }
}

@Suite("Portal inbox")
struct InboxTests {
    struct Inbox: Decodable {
        struct Item: Decodable {
            struct Certificate: Decodable { var file_name: String; var size: Int; var url: String }
            var delivery_id: String
            var application_id: String
            var decision: String
            var read_at: Date?
            var certificate: Certificate?
        }
        var items: [Item]
    }

    func inbox(_ fixture: PortalFixture, key: String? = nil) throws -> Inbox {
        let response = try fixture.send("GET", "/v1/citizens/u-1001/inbox", key: key)
        #expect(response.status == 200, "\(response.text)")
        return try JSONDecoder.iso.decode(Inbox.self, from: Data(response.body))
    }

    @Test(
        "the inbox lists routed outcomes; a certificate link works before expiry, is 410 after, 404 when tampered with, and still opens across a key changeover"
    )
    func signedLinks() throws {
        let fixture = try PortalFixture()
        try fixture.registerCitizen()
        let accepted = try fixture.send(
            "POST", "/v1/applications/IN-1/outcome", json: PortalAPITests.outcome(), idempotencyKey: "i1")
        struct Accepted: Decodable { var delivery_id: UUID }
        let id = try JSONDecoder().decode(Accepted.self, from: Data(accepted.body)).delivery_id
        #expect(try inbox(fixture).items.isEmpty, "not in the inbox before the dispatcher routes it")
        try DeliveryRouter.route(deliveryID: id, queue: JobQueue(), on: fixture.db.connect())

        let item = try #require(try inbox(fixture).items.first)
        #expect(item.application_id == "IN-1")
        #expect(item.read_at == nil)
        let certificate = try #require(item.certificate)
        #expect(certificate.file_name == "income-certificate.pdf")
        #expect(certificate.size == PortalAPITests.pdf.count)
        let download = try fixture.client.send(HTTPClientRequest(url: fixture.base + certificate.url))
        #expect(download.status == 200)
        #expect(download.body == PortalAPITests.pdf)
        #expect(download.header("content-type") == "application/pdf")
        #expect(
            download.header("content-disposition")?.hasPrefix("attachment; filename=\"income-certificate.pdf\"") == true
        )
        #expect(try inbox(fixture).items.first?.read_at != nil, "opening the certificate marks the inbox item read")

        // A key changeover: restarted with a new key and the old one as DAKIYA_LINK_SIGNING_KEY_PREVIOUS, the links
        // already handed out still open; without the previous key they do not; new links use the new key only.
        let changeover = try fixture.restarted(linkKey: 9, previous: 7)
        defer { changeover.stop() }
        let newKeyOnly = try fixture.restarted(linkKey: 9, previous: nil)
        defer { newKeyOnly.stop() }
        func status(_ server: Server, _ path: String) throws -> Int {
            try fixture.client.send(HTTPClientRequest(url: "http://127.0.0.1:\(server.port)" + path)).status
        }
        #expect(try status(changeover, certificate.url) == 200)
        #expect(try status(newKeyOnly, certificate.url) == 404)
        let fresh = try fixture.client.send(
            HTTPClientRequest(
                url: "http://127.0.0.1:\(changeover.port)/v1/citizens/u-1001/inbox",
                headers: [("Authorization", "Bearer \(fixture.key)")]))
        let freshURL = try #require(
            try JSONDecoder.iso.decode(Inbox.self, from: Data(fresh.body)).items.first?.certificate?.url)
        #expect(try status(newKeyOnly, freshURL) == 200, "signed with the new key")
        #expect(try status(fixture.server, freshURL) == 404, "not with the old one")

        for offset in [1, 10] {  // the last character (whose spare bits must be zero) and one in the middle
            var tampered = Array(certificate.url)
            let index = tampered.count - offset
            tampered[index] = tampered[index] == "A" ? "B" : "A"
            #expect(try fixture.client.send(HTTPClientRequest(url: fixture.base + String(tampered))).status == 404)
        }
        let longer = certificate.url.replacingOccurrences(of: "expires=", with: "expires=9")
        #expect(
            try fixture.client.send(HTTPClientRequest(url: fixture.base + longer)).status == 404,
            "the expiry is signed too")
        #expect(try fixture.client.send(HTTPClientRequest(url: fixture.base + "/v1/documents/\(UUID())")).status == 404)

        fixture.clock.advance(by: .seconds(901))
        let expired = try fixture.client.send(HTTPClientRequest(url: fixture.base + certificate.url))
        #expect(expired.status == 410)
        #expect(
            try inbox(fixture).items.first?.certificate.map { $0.url != certificate.url } == true,
            "a fresh link each time")
    }

    @Test("a certificate past its retention is purged (the record stays) and its link answers 410")
    func retention() throws {
        let fixture = try PortalFixture()
        try fixture.registerCitizen()
        let accepted = try fixture.send(
            "POST", "/v1/applications/RT-1/outcome", json: PortalAPITests.outcome(), idempotencyKey: "rt")
        struct Accepted: Decodable { var delivery_id: UUID }
        let connection = try fixture.db.connect()
        try DeliveryRouter.route(
            deliveryID: try JSONDecoder().decode(Accepted.self, from: Data(accepted.body)).delivery_id,
            queue: JobQueue(), on: connection)
        let expiry = try #require(try connection.query("SELECT expires_at FROM documents").first).decode(
            Date.self, at: 0)
        #expect(abs(expiry.timeIntervalSinceNow - 365 * 86_400) < 3600, "retention is set at upload")
        #expect(try DocumentRetention.purge(on: connection) == 0, "nothing is due yet")
        try connection.query("UPDATE documents SET expires_at = now() - interval '1 second'")
        #expect(try DocumentRetention.purge(on: connection) == 1)
        let row = try #require(
            try connection.query("SELECT octet_length(content), size, purged_at IS NOT NULL FROM documents").first)
        #expect(try row.decode(Int.self, at: 0) == 0)
        #expect(try row.decode(Int.self, at: 1) == PortalAPITests.pdf.count, "the record of what was sent stays")
        let link = try #require(try inbox(fixture).items.first?.certificate?.url)
        #expect(try fixture.client.send(HTTPClientRequest(url: fixture.base + link)).status == 410)
    }

    @Test("another department's key sees none of this citizen's outcomes; an unknown citizen is 404")
    func scoping() throws {
        let fixture = try PortalFixture()
        try fixture.registerCitizen()
        let accepted = try fixture.send(
            "POST", "/v1/applications/IN-2/outcome", json: PortalAPITests.outcome(), idempotencyKey: "i2")
        struct Accepted: Decodable { var delivery_id: UUID }
        try DeliveryRouter.route(
            deliveryID: try JSONDecoder().decode(Accepted.self, from: Data(accepted.body)).delivery_id,
            queue: JobQueue(),
            on: fixture.db.connect())
        #expect(try inbox(fixture).items.count == 1)
        #expect(
            try fixture.send("GET", "/v1/citizens/u-1001/inbox", key: fixture.otherKey).status == 404,
            "a citizen with no application of this department is not in its scope")
        #expect(try fixture.send("GET", "/v1/citizens/nobody/inbox").status == 404)
    }
}
