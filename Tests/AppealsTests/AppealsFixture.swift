import Appeals
import Delivery
import Foundation
import JobQueue
import Postgres
import Texts
import TestSupport

/// A database with the Maharashtra catalogue, one department, one citizen, and helpers that put days on
/// the calendar: every test runs at noon IST of the days it names, so no test sleeps.
final class AppealsFixture: @unchecked Sendable {
    let db: TestDatabase
    let connection: Connection
    let desk = AppealsDesk(queue: JobQueue())
    let keyID: Int64

    /// Whether outcomes and filings are test traffic (the default) or live (which the transparency log records).
    let isTest: Bool

    init(autoAppeal: Bool = false, isTest: Bool = true) throws {
        self.isTest = isTest
        db = try TestDatabase()
        connection = try db.connect()
        try Catalogue.importCSV(try Catalogue.maharashtraSample(), on: connection)
        try Departments.upsert(code: "REVENUE", name: "Revenue Department", on: connection)
        keyID = try APIKeys.create(department: "REVENUE", kind: .test, label: "fixture", on: connection).key.id
        _ = try Citizens.put(
            portalUserID: "u1", mobile: "+919800000001", email: "asha@example.in", language: .mr,
            consents: [Consent(channel: .whatsapp, granted: true, source: "portal", recordedAt: Date())], on: connection
        )
        if autoAppeal {
            try connection.query("UPDATE appeal_state_settings SET auto_first_appeal = true WHERE state = 'MH'")
        }
    }

    static func day(_ text: String) -> CivilDate { CivilDate(text) ?? CivilDate(dayNumber: 0) }

    /// Noon IST on `day`.
    static func noon(_ day: CivilDate) -> Date {
        Date(timeIntervalSince1970: Double(day.dayNumber * 86_400 - 19_800 + 43_200))
    }
    static func noon(_ text: String) -> Date { noon(day(text)) }

    @discardableResult
    func application(_ id: String, service: String = "INCOME", office: String = "HAVELI") throws
        -> AppealableApplication
    {
        try connection.query(
            """
            INSERT INTO applications (portal_application_id, department, service_code, office_code, citizen_id)
            SELECT $1, 'REVENUE', $2, $3, id FROM citizens WHERE portal_user_id = 'u1'
            """, [id, service, office])
        return try AppealableApplication.find(portalID: id, on: connection)!
    }

    /// An outcome that reached the citizen at noon IST on `deliveredOn`.
    func outcome(_ id: String, _ decision: String, deliveredOn: CivilDate) throws {
        try connection.query(
            """
            INSERT INTO deliveries (id, application_id, api_key_id, is_test, decision, reasons, language, status, first_delivered_at, created_at)
            SELECT $1, id, $2, $7, $3, $4::text[], 'mr', 'delivered', $5, $5 FROM applications WHERE portal_application_id = $6
            """,
            [
                UUID(), keyID, decision, decision == "rejected" ? ["income proof missing"] : [], Self.noon(deliveredOn),
                id, isTest,
            ])
    }

    func file(_ id: String, level: Int, on day: String, delayReason: String? = nil) throws -> Appeal {
        try desk.file(
            portalID: id,
            AppealsDesk.Filing(
                level: level, grounds: "The documents were complete.", delayReason: delayReason, via: "api",
                isTest: isTest, actor: "test"), now: Self.noon(day), on: connection)
    }

    func refusal(_ body: () throws -> Any) -> AppealRefusal? {
        do { _ = try body(); return nil } catch let refusal as AppealRefusal { return refusal } catch {
            return AppealRefusal(0, "unexpected", "\(error)")
        }
    }

    func notices(_ id: String) throws -> [String] {
        try connection.query(
            """
            SELECT d.notice FROM deliveries d JOIN applications a ON a.id = d.application_id WHERE a.portal_application_id = $1 AND d.decision = 'appeal'
            ORDER BY d.created_at, d.notice
            """, [id]
        ).rows.map { try $0.decode(String.self, at: 0) }
    }

    func history(_ id: String) throws -> [String] {
        try connection.query(
            """
            SELECT h.event FROM application_history h JOIN applications a ON a.id = h.application_id WHERE a.portal_application_id = $1 ORDER BY h.id
            """, [id]
        ).rows.map { try $0.decode(String.self, at: 0) }
    }

    let haveliFAA = Authority(role: "TAHSILDAR", office: "HAVELI")
    let haveliSAA = Authority(role: "SDO", office: "HAVELI")
}
