import Delivery
@testable import Dispatcher
import Foundation
import Postgres
import ServiceRuntime
import TestSupport
import Testing

@Suite("Sealing before routing")
struct SealingTests {
    /// A connection to `db`, which now holds one department, one citizen and one application of theirs (A1).
    static func oneApplication(in db: TestDatabase) throws -> Connection {
        let connection = try db.connect()
        try Departments.upsert(code: "REV", name: "Revenue", on: connection)
        _ = try Citizens.put(
            portalUserID: "u1", mobile: nil, email: "a@example.in", language: .mr, consents: [], on: connection)
        try connection.query(
            "INSERT INTO applications (portal_application_id, department, service_code, office_code, citizen_id) SELECT 'A1', 'REV', 'INCOME', 'HAVELI', id FROM citizens"
        )
        return connection
    }

    @Test(
        "a live certificate waits for its log index, is sealed once it has one, and goes out unsealed after the wait limit; test traffic and sealing off never wait"
    )
    func waitsThenSealsOrGivesUp() throws {
        let db = try TestDatabase()
        let connection = try Self.oneApplication(in: db)
        let pdf = Array("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n".utf8)
        let document = try Documents.store(pdf, fileName: "c.pdf", retentionDays: nil, on: connection)
        func delivery(test: Bool, age: Int) throws -> UUID {
            let id = UUID()
            try connection.query(
                """
                INSERT INTO deliveries (id, application_id, is_test, decision, language, document_id, created_at)
                SELECT $1, id, $2, 'approved', 'mr', $3, now() - make_interval(secs => $4) FROM applications
                """, [id, test, document, age])
            return id
        }
        let settings = Sealing.Settings(verifyURL: "http://127.0.0.1:8080/v", enabled: true, maximumWait: .seconds(60))
        let fresh = try delivery(test: false, age: 0)
        #expect(try Sealing.seal(deliveryID: fresh, settings: settings, on: connection) == .waiting)
        let stale = try delivery(test: false, age: 120)
        #expect(try Sealing.seal(deliveryID: stale, settings: settings, on: connection) == .overdue)
        #expect(
            try Sealing.seal(deliveryID: try delivery(test: true, age: 0), settings: settings, on: connection) == .ready
        )
        var off = settings
        off.enabled = false
        #expect(try Sealing.seal(deliveryID: fresh, settings: off, on: connection) == .ready)
        // With its index, the certificate is sealed (this "PDF" cannot be read by qpdf: it goes out as it came).
        try connection.query("INSERT INTO log_refs (delivery_id, idx) VALUES ($1, 0)", [fresh])
        let logger = Logger(service: "sealing-test")
        #expect(
            try Sealing.sealOrDeliverUnsealed(deliveryID: fresh, settings: settings, logger: logger, on: connection)
                == .ready)
        #expect(try connection.query("SELECT count(*) FROM certificate_seals").first?.decode(Int.self, at: 0) == 0)
    }

    @Test(
        "the batch's deliveries that may need a seal are found in one statement: a decision with a certificate still kept; none when sealing is off"
    )
    func findsTheCertificatesOfABatch() throws {
        let db = try TestDatabase()
        let connection = try Self.oneApplication(in: db)
        let pdf = Array("%PDF-1.4\n".utf8)
        let kept = try Documents.store(pdf, fileName: "c.pdf", retentionDays: nil, on: connection)
        let purged = try Documents.store(pdf + [0x0A], fileName: "p.pdf", retentionDays: nil, on: connection)
        try connection.query("UPDATE documents SET purged_at = now() WHERE id = $1", [purged])
        func delivery(decision: String, document: Int64?) throws -> UUID {
            let id = UUID()
            try connection.query(
                """
                INSERT INTO deliveries (id, application_id, is_test, decision, reasons, language, document_id)
                SELECT $1, id, false, $2, CASE WHEN $2 = 'rejected' THEN ARRAY['r'] ELSE '{}' END, 'mr', $3 FROM applications
                """, [id, decision, document])
            return id
        }
        let approved = try delivery(decision: "approved", document: kept)
        let rejected = try delivery(decision: "rejected", document: kept)
        let batch = [
            approved, rejected, try delivery(decision: "approved", document: nil),
            try delivery(decision: "approved", document: purged), try delivery(decision: "other", document: kept),
            UUID(),
        ]
        var settings = Sealing.Settings(verifyURL: "http://127.0.0.1:8080/v", enabled: true)
        #expect(try Sealing.withCertificates(batch, settings: settings, on: connection) == [approved, rejected])
        #expect(try Sealing.withCertificates([], settings: settings, on: connection).isEmpty)
        settings.enabled = false
        #expect(try Sealing.withCertificates(batch, settings: settings, on: connection).isEmpty)
    }
}
