@testable import Delivery
import Foundation
import Postgres
import Testing
import TestSupport

@Suite("Documents stored once")
struct DocumentsTests {
    @Test(
        "the same bytes are stored once; a retention never shortens a document kept for good, and purged bytes come back"
    )
    func storeOnce() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        let pdf = Array("%PDF-1.7\nan order\n".utf8)
        let order = try Documents.store(pdf, fileName: "order.pdf", retentionDays: nil, on: connection)
        #expect(try Documents.store(pdf, fileName: "again.pdf", retentionDays: 30, on: connection) == order)
        #expect(
            try connection.query("SELECT count(*), bool_and(expires_at IS NULL) FROM documents").first.map {
                (try $0.decode(Int.self, at: 0), try $0.decode(Bool.self, at: 1))
            } ?? (0, false) == (1, true), "kept for good stays for good")
        let certificate = Array("%PDF-1.7\na certificate\n".utf8)
        let id = try Documents.store(certificate, fileName: "c.pdf", retentionDays: 30, on: connection)
        _ = try Documents.store(certificate, fileName: "c.pdf", retentionDays: 365, on: connection)
        #expect(
            try connection.query("SELECT expires_at > now() + interval '300 days' FROM documents WHERE id = $1", [id])
                .first?.decode(Bool.self, at: 0) == true)
        try connection.query("UPDATE documents SET content = '\\x', purged_at = now() WHERE id = $1", [id])
        _ = try Documents.store(certificate, fileName: "c.pdf", retentionDays: 30, on: connection)
        #expect(
            try connection.query("SELECT content FROM documents WHERE id = $1", [id]).first?.decode(
                PostgresBytes.self, at: 0
            ).bytes == certificate)
    }
}

@Suite("Delivery statements")
struct DeliveryStatementTests {
    @Test("every named statement of the delivery path binds exactly the names its text uses")
    func sound() {
        #expect(OutcomeRecord.statement.problems.isEmpty, "\(OutcomeRecord.statement.problems)")
        #expect(Applications.recordStatement.problems.isEmpty, "\(Applications.recordStatement.problems)")
        #expect(OutcomeRecord.statement.names.count == 21, "the accept binds the village too")
    }
}
