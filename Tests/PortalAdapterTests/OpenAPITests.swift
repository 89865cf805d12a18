import Appeals
import Delivery
import Dispatcher
import Foundation
import HTTPClient
import JobQueue
@testable import PortalAdapter
import Testing
import TestSupport

@Suite("Portal API against its OpenAPI document")
struct OpenAPITests {
    @Test("the served document is OpenAPI 3.1, and every response in a full scenario matches it")
    func responsesMatchTheDocument() throws {
        let fixture = try PortalFixture(maximumCertificateBytes: 8192)
        let served = try fixture.client.send(HTTPClientRequest(url: fixture.base + "/openapi.json"))
        #expect(served.status == 200)
        #expect(served.header("content-type") == "application/json")
        let checker = try OpenAPIChecker(data: Data(served.body))
        #expect(served.text.contains("\"openapi\": \"3.1.0\""))
        var checked = 0
        func expectConforms(_ response: HTTPClientResponse, _ method: String, _ path: String, _ status: Int) {
            #expect(response.status == status, "\(method) \(path): \(response.text)")
            let problems = checker.problems(
                path: path, method: method, status: response.status, contentType: response.header("content-type"),
                body: response.body)
            #expect(problems.isEmpty, "\(method) \(path) \(response.status): \(problems)")
            checked += 1
        }
        let citizenPath = "/v1/citizens/{portalUserId}"
        expectConforms(
            try fixture.send(
                "PUT", "/v1/citizens/u-1001",
                json:
                    #"{"mobile": "9876543210", "email": "c@example.in", "language": "te", "consents": [{"channel": "whatsapp", "granted": true, "source": "portal"}]}"#
            ), "PUT", citizenPath, 200)
        expectConforms(
            try fixture.send("PUT", "/v1/citizens/u-1001", json: #"{"mobile": "12"}"#), "PUT", citizenPath, 422)
        expectConforms(
            try fixture.send("PUT", "/v1/citizens/u-1001", json: #"{"mobile": 12}"#), "PUT", citizenPath, 400)
        expectConforms(try fixture.send("PUT", "/v1/citizens/u-1001", json: "{}", key: ""), "PUT", citizenPath, 401)

        let outcomePath = "/v1/applications/{applicationId}/outcome"
        let accepted = try fixture.send(
            "POST", "/v1/applications/OA-1/outcome", json: PortalAPITests.outcome(), idempotencyKey: "o1")
        expectConforms(accepted, "POST", outcomePath, 202)
        expectConforms(
            try fixture.send(
                "POST", "/v1/applications/OA-1/outcome", json: PortalAPITests.outcome(), idempotencyKey: "o1"), "POST",
            outcomePath, 202)
        expectConforms(
            try fixture.send(
                "POST", "/v1/applications/OA-1/outcome", json: PortalAPITests.outcome(decision: "other"),
                idempotencyKey: "o1"), "POST", outcomePath, 409)
        expectConforms(
            try fixture.send(
                "POST", "/v1/applications/OA-1/outcome", json: PortalAPITests.outcome(), key: fixture.otherKey,
                idempotencyKey: "o2"), "POST", outcomePath, 404)
        expectConforms(
            try fixture.send(
                "POST", "/v1/applications/OA-2/outcome",
                json: PortalAPITests.outcome(certificate: Array("GIF89a".utf8)), idempotencyKey: "o3"), "POST",
            outcomePath, 415)
        expectConforms(
            try fixture.send(
                "POST", "/v1/applications/OA-2/outcome",
                json: PortalAPITests.outcome(certificate: PortalAPITests.pdf + [UInt8](repeating: 32, count: 9000)),
                idempotencyKey: "o4"), "POST", outcomePath, 413)
        expectConforms(
            try fixture.send(
                "POST", "/v1/applications/OA-2/outcome", json: PortalAPITests.outcome(decision: "rejected"),
                idempotencyKey: "o5"), "POST", outcomePath, 422)
        expectConforms(
            try fixture.send("POST", "/v1/applications/OA-2/outcome", json: PortalAPITests.outcome()), "POST",
            outcomePath, 400)

        struct Accepted: Decodable { var delivery_id: UUID }
        let id = try JSONDecoder().decode(Accepted.self, from: Data(accepted.body)).delivery_id
        let deliveryPath = "/v1/deliveries/{id}"
        expectConforms(try fixture.send("GET", "/v1/deliveries/\(id)"), "GET", deliveryPath, 200)
        try DeliveryRouter.route(deliveryID: id, queue: JobQueue(), on: fixture.db.connect())
        expectConforms(try fixture.send("GET", "/v1/deliveries/\(id)"), "GET", deliveryPath, 200)
        expectConforms(try fixture.send("GET", "/v1/deliveries/\(UUID())"), "GET", deliveryPath, 404)
        expectConforms(try fixture.send("GET", "/v1/deliveries/\(id)", key: "dk_test_nope_x"), "GET", deliveryPath, 401)

        let listPath = "/v1/applications/{applicationId}/deliveries"
        expectConforms(try fixture.send("GET", "/v1/applications/OA-1/deliveries"), "GET", listPath, 200)
        expectConforms(
            try fixture.send("GET", "/v1/applications/OA-1/deliveries", key: fixture.otherKey), "GET", listPath, 404)
        expectConforms(try fixture.send("GET", "/v1/applications/NONE/deliveries"), "GET", listPath, 404)

        let inboxPath = "/v1/citizens/{portalUserId}/inbox"
        let inbox = try fixture.send("GET", "/v1/citizens/u-1001/inbox")
        expectConforms(inbox, "GET", inboxPath, 200)
        expectConforms(try fixture.send("GET", "/v1/citizens/ghost/inbox"), "GET", inboxPath, 404)
        struct Inbox: Decodable {
            struct Item: Decodable { struct Certificate: Decodable { var url: String }; var certificate: Certificate? };
            var items: [Item]
        }
        let link = try #require(
            try JSONDecoder().decode(Inbox.self, from: Data(inbox.body)).items.first?.certificate?.url)
        let documentPath = "/v1/documents/{deliveryId}"
        expectConforms(try fixture.client.send(HTTPClientRequest(url: fixture.base + link)), "GET", documentPath, 200)
        expectConforms(
            try fixture.client.send(HTTPClientRequest(url: fixture.base + link + "x")), "GET", documentPath, 404)
        fixture.clock.advance(by: .seconds(3600))
        expectConforms(try fixture.client.send(HTTPClientRequest(url: fixture.base + link)), "GET", documentPath, 410)
        #expect(checked == 24)
    }

    @Test("the journey's endpoints: steps, shortfalls and a reply's file answer as the document says, errors included")
    func journeyResponsesMatchTheDocument() throws {
        let fixture = try PortalFixture()
        let checker = try OpenAPIChecker(
            data: Data(try fixture.client.send(HTTPClientRequest(url: fixture.base + "/openapi.json")).body))
        var checked = 0
        func expectConforms(_ response: HTTPClientResponse, _ method: String, _ path: String, _ status: Int) {
            #expect(response.status == status, "\(method) \(path): \(response.text)")
            let problems = checker.problems(
                path: path, method: method, status: response.status, contentType: response.header("content-type"),
                body: response.body)
            #expect(problems.isEmpty, "\(method) \(path) \(response.status): \(problems)")
            checked += 1
        }
        _ = try Catalogue.importCSV(
            """
            service_code,department,name_en,name_mr,name_hi,name_te,office_code,band_min,band_max,effective_from,time_limit_days,day_unit,do_role,do_office,faa_role,faa_office,saa_role,saa_office
            INCOME,REV,Income certificate,उत्पन्नाचा दाखला,आय प्रमाणपत्र,ఆదాయ ధృవీకరణ పత్రం,,,,2015-04-28,15,calendar,NAIB_TAHSILDAR,,TAHSILDAR,,SDO,

            """, on: fixture.db.connect())
        _ = try fixture.send("PUT", "/v1/citizens/u-5", json: #"{"language": "mr"}"#)
        let steps = "/v1/applications/{applicationId}/steps"
        let received = #"{"step": "received", "citizen": "u-5", "service": "INCOME", "office": "HAVELI"}"#
        expectConforms(
            try fixture.send("POST", "/v1/applications/J-1/steps", json: received, idempotencyKey: "s1"), "POST", steps,
            202)
        expectConforms(
            try fixture.send("POST", "/v1/applications/J-1/steps", json: received, idempotencyKey: "s1"), "POST", steps,
            202)
        let documents = """
            {"step": "documents_needed", "citizen": "u-5", "service": "INCOME", "office": "HAVELI", "documents": ["Ration card"], "reply_by": "\(CivilDate(fixture.clock.date).adding(days: 3))"}
            """
        expectConforms(
            try fixture.send("POST", "/v1/applications/J-1/steps", json: documents, idempotencyKey: "s2"), "POST",
            steps, 202)
        expectConforms(
            try fixture.send("POST", "/v1/applications/J-1/steps", json: documents, idempotencyKey: "s1"), "POST",
            steps, 409)
        expectConforms(
            try fixture.send(
                "POST", "/v1/applications/J-1/steps", json: documents, key: fixture.otherKey, idempotencyKey: "s3"),
            "POST", steps, 404)
        expectConforms(
            try fixture.send(
                "POST", "/v1/applications/J-1/steps",
                json: #"{"step": "payment_due", "citizen": "u-5", "service": "INCOME", "office": "HAVELI"}"#,
                idempotencyKey: "s4"),
            "POST", steps, 422)
        expectConforms(try fixture.send("POST", "/v1/applications/J-1/steps", json: received), "POST", steps, 400)
        expectConforms(
            try fixture.send("POST", "/v1/applications/J-1/steps", json: received, key: "", idempotencyKey: "s5"),
            "POST", steps, 401)
        let shortfalls = "/v1/applications/{applicationId}/shortfalls"
        let listing = try fixture.send("GET", "/v1/applications/J-1/shortfalls")
        expectConforms(listing, "GET", shortfalls, 200)
        #expect(listing.text.contains("\"state\":\"open\"") && listing.text.contains("Ration card"))
        expectConforms(
            try fixture.send("GET", "/v1/applications/J-1/shortfalls", key: fixture.otherKey), "GET", shortfalls, 404)
        let file = "/v1/applications/{applicationId}/shortfall-replies/{replyId}/file"
        expectConforms(try fixture.send("GET", "/v1/applications/J-1/shortfall-replies/1/file"), "GET", file, 404)
        // A step shows in the delivery's view with its facts.
        let deliveries = try fixture.send("GET", "/v1/applications/J-1/deliveries")
        expectConforms(deliveries, "GET", "/v1/applications/{applicationId}/deliveries", 200)
        #expect(deliveries.text.contains("\"step\":\"documents_needed\"") && deliveries.text.contains("\"reply_by\""))
        #expect(checked == 12)
    }

    @Test("the checker itself catches a response that drifts from the document")
    func checkerCatchesDrift() throws {
        let fixture = try PortalFixture()
        let checker = try OpenAPIChecker(
            data: Data(try fixture.client.send(HTTPClientRequest(url: fixture.base + "/openapi.json")).body))
        let drifted = Array(
            #"{"delivery_id": "not-a-uuid", "application_id": 7, "status": "done", "extra": true}"#.utf8)
        let problems = checker.problems(
            path: "/v1/applications/{applicationId}/outcome", method: "POST", status: 202,
            contentType: "application/json", body: drifted)
        #expect(problems.contains { $0.contains("delivery_id: not a uuid") })
        #expect(problems.contains { $0.contains("application_id: expected string") })
        #expect(problems.contains { $0.contains("status: done is not one of") })
        #expect(problems.contains { $0.contains("extra: not in the document") })
        #expect(problems.contains { $0.contains("location: required but missing") })
        #expect(
            !checker.problems(
                path: "/v1/deliveries/{id}", method: "GET", status: 418, contentType: "application/json", body: []
            ).isEmpty)
    }
}
