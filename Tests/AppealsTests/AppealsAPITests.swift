@testable import AppealsService
import Appeals
import Delivery
import Foundation
import HTTPClient
import HTTPServer
import JobQueue
import Postgres
import ServiceRuntime
import Testing
import TestSupport

/// The appeals API in process, on a real socket and database, with a clock the test moves.
final class AppealsServer: @unchecked Sendable {
    let f: AppealsFixture
    let clock: ManualClock
    let server: Server
    let client: HTTPClient
    let departmentKey: String
    let officerKey: String
    let otherOfficeKey: String
    let saaKey: String
    var base: String { "http://127.0.0.1:\(server.port)" }

    init(start: String = "2026-01-05") throws {
        f = try AppealsFixture()
        clock = ManualClock(AppealsFixture.noon(start))
        let clock = clock
        let api = AppealsAPI(
            pool: f.db.pool(), desk: f.desk, logger: Logger(service: "t", sink: .capturing()), now: { clock.date },
            maximumOrderBytes: 4096)
        server = Server(
            configuration: ServerConfiguration(port: 0, threads: 4), router: api.makeRouter(),
            logger: Logger(service: "t", sink: .capturing()),
            metrics: MetricsRegistry())
        try server.start()
        client = try HTTPClient()
        departmentKey = try APIKeys.create(department: "REVENUE", kind: .test, label: "portal", on: f.connection).secret
        officerKey = try OfficerKeys.create(
            role: "TAHSILDAR", office: "HAVELI", officerName: "Tahsildar Haveli", on: f.connection
        ).secret
        otherOfficeKey = try OfficerKeys.create(
            role: "TAHSILDAR", office: "MULSHI", officerName: "Tahsildar Mulshi", on: f.connection
        ).secret
        saaKey = try OfficerKeys.create(role: "SDO", office: "HAVELI", officerName: "SDO Haveli", on: f.connection)
            .secret
    }

    deinit { server.stop() }

    func move(to day: String) { clock.advance(by: .seconds(AppealsFixture.noon(day).timeIntervalSince(clock.date))) }

    func send(_ method: String, _ path: String, json: String? = nil, key: String?, idempotencyKey: String? = nil) throws
        -> HTTPClientResponse
    {
        var headers = key.map { [("Authorization", "Bearer \($0)")] } ?? []
        if let idempotencyKey { headers.append(("Idempotency-Key", idempotencyKey)) }
        if let json { return try client.send(.json(method, base + path, body: json, headers: headers)) }
        return try client.send(HTTPClientRequest(method: method, url: base + path, headers: headers))
    }

    func field(_ response: HTTPClientResponse, _ name: String) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]).flatMap { $0[name] }.map {
            "\($0)"
        }
    }
}

@Suite("Appeals API", .serialized)
struct AppealsAPITests {
    typealias F = AppealsFixture

    @Test("the served document is OpenAPI 3.1, and every response of a full appeal matches it")
    func openAPI() throws {
        let s = try AppealsServer()
        let served = try s.send("GET", "/openapi.json", key: nil)
        #expect(served.status == 200 && served.text.contains("\"openapi\": \"3.1.0\""))
        let checker = try OpenAPIChecker(data: Data(served.body))
        var checked = 0
        func conforms(_ response: HTTPClientResponse, _ method: String, _ path: String, _ status: Int) {
            #expect(response.status == status, "\(method) \(path): \(response.text)")
            let problems = checker.problems(
                path: path, method: method, status: response.status, contentType: response.header("content-type"),
                body: response.body)
            #expect(problems.isEmpty, "\(method) \(path) \(response.status): \(problems)")
            checked += 1
        }
        let clock = "/v1/applications/{applicationId}/clock", appeals = "/v1/applications/{applicationId}/appeals"
        conforms(
            try s.send(
                "PUT", "/v1/applications/API-1/clock",
                json:
                    #"{"portal_user_id": "u1", "service_code": "INCOME", "office_code": "HAVELI", "completed_at": "2026-01-05T06:30:00Z"}"#,
                key: s.departmentKey), "PUT", clock, 200)
        conforms(
            try s.send(
                "PUT", "/v1/applications/API-2/clock",
                json:
                    #"{"portal_user_id": "u1", "service_code": "NOPE", "office_code": "HAVELI", "completed_at": "2026-01-05T06:30:00Z"}"#,
                key: s.departmentKey), "PUT", clock, 422)
        conforms(
            try s.send(
                "PUT", "/v1/applications/API-2/clock",
                json:
                    #"{"portal_user_id": "u1", "service_code": "INCOME", "office_code": "HAVELI", "completed_at": "yesterday"}"#,
                key: s.departmentKey), "PUT", clock, 400)
        conforms(
            try s.send(
                "PUT", "/v1/applications/API-2/clock",
                json:
                    #"{"portal_user_id": "u9", "service_code": "INCOME", "office_code": "HAVELI", "completed_at": "2026-01-05T06:30:00Z"}"#,
                key: s.departmentKey), "PUT", clock, 422)
        conforms(try s.send("PUT", "/v1/applications/API-2/clock", json: "{}", key: nil), "PUT", clock, 401)
        conforms(
            try s.send(
                "POST", "/v1/applications/API-1/appeals", json: #"{"level": 1, "grounds": "No decision yet."}"#,
                key: s.departmentKey), "POST", appeals, 422)
        s.move(to: "2026-01-21")
        conforms(
            try s.send(
                "POST", "/v1/applications/API-1/appeals",
                json: #"{"level": 1, "grounds": "No decision within 15 days."}"#, key: s.departmentKey), "POST",
            appeals, 201)
        conforms(
            try s.send(
                "POST", "/v1/applications/API-1/appeals", json: #"{"level": 1, "grounds": "Again."}"#,
                key: s.departmentKey), "POST", appeals, 409)
        conforms(
            try s.send(
                "POST", "/v1/applications/NOPE/appeals", json: #"{"level": 1, "grounds": "x"}"#, key: s.departmentKey),
            "POST", appeals, 404)
        conforms(
            try s.send(
                "POST", "/v1/applications/API-1/appeals", json: #"{"level": "one", "grounds": "x"}"#,
                key: s.departmentKey), "POST", appeals, 400)
        conforms(try s.send("GET", "/v1/applications/API-1/appeals", key: s.departmentKey), "GET", appeals, 200)

        let list = try s.send("GET", "/v1/authority/appeals", key: s.officerKey)
        conforms(list, "GET", "/v1/authority/appeals", 200)
        let number = try #require(
            list.text.range(of: #""appeal_number":""#).map { String(list.text[$0.upperBound...].prefix { $0 != "\"" }) }
        )
        #expect(list.text.contains("\"days_left\":30"), "\(list.text)")
        conforms(
            try s.send("GET", "/v1/authority/appeals?status=soon", key: s.officerKey), "GET", "/v1/authority/appeals",
            400)
        conforms(try s.send("GET", "/v1/authority/appeals", key: s.departmentKey), "GET", "/v1/authority/appeals", 401)
        let one = "/v1/authority/appeals/{number}"
        conforms(try s.send("GET", "/v1/authority/appeals/\(number)", key: s.officerKey), "GET", one, 200)
        conforms(try s.send("GET", "/v1/authority/appeals/\(number)", key: s.otherOfficeKey), "GET", one, 404)
        conforms(try s.send("GET", "/v1/authority/appeals/NOPE", key: s.officerKey), "GET", one, 404)
        let hearing = one + "/hearing"
        conforms(
            try s.send(
                "POST", "/v1/authority/appeals/\(number)/hearing", json: #"{"hearing_at": "2026-01-01T05:30:00Z"}"#,
                key: s.officerKey), "POST", hearing, 422)
        conforms(
            try s.send(
                "POST", "/v1/authority/appeals/\(number)/hearing", json: #"{"hearing_at": "2026-01-28T05:30:00Z"}"#,
                key: s.officerKey), "POST", hearing, 200)
        conforms(
            try s.send(
                "POST", "/v1/authority/appeals/\(number)/admission", json: #"{"admit": true}"#, key: s.officerKey),
            "POST", one + "/admission", 409)
        let decision = one + "/decision"
        conforms(
            try s.send(
                "POST", "/v1/authority/appeals/\(number)/decision", json: #"{"decision": "dismissed"}"#,
                key: s.officerKey), "POST", decision, 422)
        conforms(
            try s.send(
                "POST", "/v1/authority/appeals/\(number)/decision", json: #"{"decision": "allowed"}"#, key: s.officerKey
            ), "POST", decision, 422)
        conforms(
            try s.send(
                "POST", "/v1/authority/appeals/\(number)/decision",
                json: #"{"decision": "dismissed", "reasons": ["x"]}"#, key: s.otherOfficeKey), "POST", decision, 404)
        conforms(
            try s.send(
                "POST", "/v1/authority/appeals/\(number)/decision",
                json:
                    #"{"decision": "dismissed", "reasons": ["x"], "order": {"file_name": "o.pdf", "content_base64": "R0lGODlh"}}"#,
                key: s.officerKey), "POST", decision, 415)
        let big = Data(Array("%PDF-1.7\n".utf8) + [UInt8](repeating: 65, count: 5000)).base64EncodedString()
        conforms(
            try s.send(
                "POST", "/v1/authority/appeals/\(number)/decision",
                json:
                    #"{"decision": "dismissed", "reasons": ["x"], "order": {"file_name": "o.pdf", "content_base64": "\#(big)"}}"#,
                key: s.officerKey), "POST", decision, 413)
        let order = Data(Array("%PDF-1.7\norder of the first appellate authority\n".utf8)).base64EncodedString()
        conforms(
            try s.send(
                "POST", "/v1/authority/appeals/\(number)/decision",
                json:
                    #"{"decision": "allowed", "directed_days": 7, "reasons": ["the documents were complete"], "order": {"file_name": "order.pdf", "content_base64": "\#(order)"}}"#,
                key: s.officerKey), "POST", decision, 200)
        conforms(
            try s.send(
                "POST", "/v1/authority/appeals/\(number)/decision",
                json: #"{"decision": "dismissed", "reasons": ["x"]}"#, key: s.officerKey), "POST", decision, 409)
        let penalties = one + "/penalties"
        conforms(
            try s.send(
                "POST", "/v1/authority/appeals/\(number)/penalties",
                json: #"{"amount": 10000, "reason": "delay without cause"}"#, key: s.officerKey, idempotencyKey: "p-0"),
            "POST", penalties, 422)
        conforms(
            try s.send(
                "POST", "/v1/authority/appeals/\(number)/penalties",
                json: #"{"amount": 2000, "reason": "delay without cause"}"#, key: s.officerKey), "POST", penalties, 400)
        conforms(
            try s.send(
                "POST", "/v1/authority/appeals/\(number)/penalties",
                json: #"{"amount": 2000, "reason": "delay without cause"}"#, key: s.officerKey, idempotencyKey: "p-1"),
            "POST", penalties, 201)
        conforms(try s.send("GET", "/v1/authority/overdue", key: s.officerKey), "GET", "/v1/authority/overdue", 200)
        #expect(checked == 31)

        let record = try s.send("GET", "/v1/applications/API-1/appeals", key: s.departmentKey).text
        for event in ["clock_started", "appeal_filed", "hearing_scheduled", "appeal_decided", "penalty_imposed"] {
            #expect(record.contains("\"event\":\"\(event)\""), "\(event)")
        }
        #expect(
            record.contains("\"kind\":\"directed\"") && record.contains("\"due_on\":\"2026-01-28\""),
            "allowed on 21 January with 7 days: a new clock to 28 January")
        let penalty = try #require(
            try s.f.connection.query("SELECT officer_role, officer_office, amount FROM appeal_penalties").first)
        #expect(
            try penalty.decode(String.self, at: 0) == "NAIB_TAHSILDAR" && penalty.decode(Int.self, at: 2) == 2000,
            "the designated officer by default")
        let notices = try s.f.notices("API-1")
        #expect(notices == ["appeal_filed", "hearing_scheduled", "appeal_allowed"], "\(notices)")
        let orderDelivery = try s.f.connection.query(
            "SELECT d.document_id IS NOT NULL FROM deliveries d WHERE d.notice = 'appeal_allowed'"
        ).first?.decode(Bool.self, at: 0)
        #expect(orderDelivery == true, "the order PDF goes with the decision")
    }

    @Test("refused requests name the rule and the field, and write nothing")
    func refusals() throws {
        let s = try AppealsServer()
        try s.f.application("B1")
        try s.f.outcome("B1", "approved", deliveredOn: F.day("2026-01-05"))
        try s.f.application("B2")
        try s.f.outcome("B2", "rejected", deliveredOn: F.day("2026-01-05"))
        let counts = {
            try s.f.connection.query(
                "SELECT (SELECT count(*) FROM appeals), (SELECT count(*) FROM deliveries), (SELECT count(*) FROM application_history)"
            ).first.map {
                [try $0.decode(Int.self, at: 0), try $0.decode(Int.self, at: 1), try $0.decode(Int.self, at: 2)]
            }
        }
        let before = try counts()
        func refused(_ path: String, _ json: String, _ status: Int, rule: String, field: String? = nil) throws {
            let response = try s.send("POST", path, json: json, key: s.departmentKey)
            #expect(response.status == status, "\(response.text)")
            #expect(response.header("content-type") == "application/problem+json")
            #expect(response.text.contains("urn:dakiya:problem:appeal:\(rule)") || rule.isEmpty, "\(response.text)")
            if let field { #expect(response.text.contains("\"field\":\"\(field)\""), "\(response.text)") }
        }
        try refused("/v1/applications/B1/appeals", #"{"level": 1, "grounds": "x"}"#, 422, rule: "application-approved")
        try refused(
            "/v1/applications/B2/appeals", #"{"level": 2, "grounds": "x"}"#, 422, rule: "previous-level-missing",
            field: "level")
        try refused(
            "/v1/applications/B2/appeals", #"{"level": 4, "grounds": "x"}"#, 422, rule: "unknown-level", field: "level")
        try refused("/v1/applications/B2/appeals", #"{"level": 1, "grounds": "   "}"#, 422, rule: "", field: "grounds")
        try refused("/v1/applications/ZZ/appeals", #"{"level": 1, "grounds": "x"}"#, 404, rule: "unknown-application")
        s.move(to: "2026-02-05")
        try refused(
            "/v1/applications/B2/appeals", #"{"level": 1, "grounds": "x"}"#, 422, rule: "late-reason-required",
            field: "delay_reason")
        s.move(to: "2026-04-06")
        try refused(
            "/v1/applications/B2/appeals", #"{"level": 1, "grounds": "x", "delay_reason": "illness"}"#, 422,
            rule: "filing-window-closed")
        #expect(try counts() == before, "nothing written")
    }

    @Test(
        "a clock for an application the portal already sent an outcome for takes the catalogue code and office of the request"
    )
    func clockOnKnownApplication() throws {
        let s = try AppealsServer()
        try s.f.application("E1", service: "Income certificate", office: "Tahsil office")
        let response = try s.send(
            "PUT", "/v1/applications/E1/clock",
            json:
                #"{"portal_user_id": "u1", "service_code": "CASTE", "office_code": "HAVELI", "completed_at": "2026-01-05T06:30:00Z"}"#,
            key: s.departmentKey)
        #expect(response.status == 200, "\(response.text)")
        #expect(s.field(response, "due_on") == "2026-02-19", "caste certificate: 45 days")
        #expect(
            try s.f.connection.query(
                "SELECT service_code, office_code FROM applications WHERE portal_application_id = 'E1'"
            ).first.map {
                [try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1)]
            } == ["CASTE", "HAVELI"])
    }

    @Test("two filings of the same appeal at once give one appeal and one 409")
    func concurrentFilings() throws {
        let s = try AppealsServer()
        for index in 0..<5 {
            try s.f.application("C\(index)")
            try s.f.outcome("C\(index)", "rejected", deliveredOn: F.day("2026-01-05"))
        }
        for index in 0..<5 {
            let statuses = Mutex2()
            let threads = (0..<2).map { _ in
                Thread {
                    // One client per thread: a libcurl handle is not shared between threads.
                    let response = try? HTTPClient().send(
                        .json(
                            "POST", s.base + "/v1/applications/C\(index)/appeals",
                            body: #"{"level": 1, "grounds": "same"}"#,
                            headers: [("Authorization", "Bearer \(s.departmentKey)")]))
                    statuses.append(response?.status ?? 0)
                }
            }
            threads.forEach { $0.start() }
            #expect(eventually { statuses.values.count == 2 })
            #expect(statuses.values.sorted() == [201, 409])
        }
        #expect(try s.f.connection.query("SELECT count(*) FROM appeals").first?.decode(Int.self, at: 0) == 5)
        #expect(
            try s.f.connection.query("SELECT count(*) FROM deliveries WHERE notice = 'appeal_filed'").first?.decode(
                Int.self, at: 0) == 5, "one acknowledgement each")
    }

    @Test("a late appeal waits for admission; a refusal closes it and opens the next level from that order")
    func lateAdmission() throws {
        let s = try AppealsServer(start: "2026-02-10")
        try s.f.application("D1")
        try s.f.outcome("D1", "rejected", deliveredOn: F.day("2026-01-05"))
        let filed = try s.send(
            "POST", "/v1/applications/D1/appeals",
            json: #"{"level": 1, "grounds": "x", "delay_reason": "I was away for harvest."}"#, key: s.departmentKey)
        #expect(filed.status == 201 && s.field(filed, "status") == "awaiting_admission")
        let number = try #require(s.field(filed, "appeal_number"))
        #expect(
            try s.send(
                "POST", "/v1/authority/appeals/\(number)/hearing", json: #"{"hearing_at": "2026-03-01T05:30:00Z"}"#,
                key: s.officerKey
            ).status == 409)
        #expect(
            try s.send(
                "POST", "/v1/authority/appeals/\(number)/admission", json: #"{"admit": false}"#, key: s.officerKey
            ).status == 422)
        let refusedAdmission = try s.send(
            "POST", "/v1/authority/appeals/\(number)/admission",
            json: #"{"admit": false, "reasons": ["no sufficient cause"]}"#, key: s.officerKey)
        #expect(s.field(refusedAdmission, "status") == "not_admitted")
        #expect(try s.f.notices("D1") == ["appeal_filed_late", "appeal_not_admitted"])
        s.move(to: "2026-03-12")
        #expect(
            try s.send(
                "POST", "/v1/applications/D1/appeals", json: #"{"level": 2, "grounds": "x"}"#, key: s.departmentKey
            ).status == 201, "30 days from the refusal")
    }
}

/// A small thread-safe list for the race test.
final class Mutex2: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Int] = []
    func append(_ value: Int) { lock.withLock { items.append(value) } }
    var values: [Int] { lock.withLock { items } }
}

@Suite("Officer writes retried safely")
struct OfficerIdempotencyTests {
    @Test(
        "82 retries of one penalty with its Idempotency-Key make one penalty; without a key it is 400; the key with another body is 409"
    )
    func penalties() throws {
        let s = try AppealsServer()
        _ = try s.send(
            "PUT", "/v1/applications/API-1/clock",
            json:
                #"{"portal_user_id": "u1", "service_code": "INCOME", "office_code": "HAVELI", "completed_at": "2026-01-05T06:30:00Z"}"#,
            key: s.departmentKey)
        s.move(to: "2026-01-21")
        let filed = try s.send(
            "POST", "/v1/applications/API-1/appeals", json: #"{"level": 1, "grounds": "No decision."}"#,
            key: s.departmentKey, idempotencyKey: "f1")
        #expect(filed.status == 201)
        let refiled = try s.send(
            "POST", "/v1/applications/API-1/appeals", json: #"{"level": 1, "grounds": "No decision."}"#,
            key: s.departmentKey, idempotencyKey: "f1")
        #expect(refiled.status == 201 && refiled.header("idempotent-replayed") == "true" && refiled.body == filed.body)
        let number = try #require(s.field(filed, "appeal_number"))
        let decided = try s.send(
            "POST", "/v1/authority/appeals/\(number)/decision", json: #"{"decision": "dismissed", "reasons": ["x"]}"#,
            key: s.officerKey, idempotencyKey: "d1")
        #expect(decided.status == 200, "\(decided.text)")
        let decidedAgain = try s.send(
            "POST", "/v1/authority/appeals/\(number)/decision", json: #"{"decision": "dismissed", "reasons": ["x"]}"#,
            key: s.officerKey, idempotencyKey: "d1")
        #expect(
            decidedAgain.status == 200 && decidedAgain.header("idempotent-replayed") == "true",
            "a retried decision gets its answer, not 409")
        let body = #"{"amount": 2000, "reason": "delay without cause"}"#
        for _ in 0..<82 {
            #expect(
                try s.send(
                    "POST", "/v1/authority/appeals/\(number)/penalties", json: body, key: s.officerKey,
                    idempotencyKey: "pen-1"
                ).status == 201)
        }
        #expect(try s.f.connection.query("SELECT count(*) FROM appeal_penalties").first?.decode(Int.self, at: 0) == 1)
        #expect(
            try s.send("POST", "/v1/authority/appeals/\(number)/penalties", json: body, key: s.officerKey).status == 400
        )
        #expect(
            try s.send(
                "POST", "/v1/authority/appeals/\(number)/penalties",
                json: #"{"amount": 3000, "reason": "delay without cause"}"#, key: s.officerKey, idempotencyKey: "pen-1"
            ).status == 409)
        #expect(try s.f.connection.query("SELECT count(*) FROM appeal_penalties").first?.decode(Int.self, at: 0) == 1)
        // Another officer's key has its own key space, and another authority's appeal is 404 like an unknown one.
        #expect(
            try s.send(
                "POST", "/v1/authority/appeals/\(number)/penalties", json: body, key: s.otherOfficeKey,
                idempotencyKey: "pen-1"
            ).status == 404)
        #expect(try s.send("GET", "/v1/authority/appeals/%00", key: s.officerKey).status == 400)
    }
}
