import Foundation
import JobQueue
import Postgres

/// One level's periods in a state (Maharashtra: first appeal 30/90/30, second 30 or 45 after filing/45,
/// the Commission 60 and a configurable decision period).
package struct AppealRule: Sendable, Equatable {
    package var level: Int
    package var authority: String
    package var fileDays: Int
    package var noOrderFileDays: Int?
    package var lateDays: Int?
    package var decideDays: Int
    package var unit: DayUnit
    package var penaltyRange: ClosedRange<Int>

    /// The state's rule for appeals at `level` (windows, deadlines, penalty range); nil when the state has none.
    /// - Throws: `PostgresError` from the database.
    package static func load(state: String, level: Int, on connection: Connection) throws -> AppealRule? {
        guard
            let row = try connection.query(
                """
                SELECT level, authority, file_days, no_order_file_days, late_days, decide_days, day_unit, penalty_min, penalty_max
                FROM appeal_rules WHERE state = $1 AND level = $2
                """, [state, level]
            ).first
        else { return nil }
        return AppealRule(
            level: try row.decode(Int.self, at: 0), authority: try row.decode(String.self, at: 1),
            fileDays: try row.decode(Int.self, at: 2),
            noOrderFileDays: try row.decode(Int?.self, at: 3), lateDays: try row.decode(Int?.self, at: 4),
            decideDays: try row.decode(Int.self, at: 5),
            unit: DayUnit(rawValue: try row.decode(String.self, at: 6)) ?? .calendar,
            penaltyRange: try row.decode(
                Int.self, at: 7)...max(try row.decode(Int.self, at: 7), try row.decode(Int.self, at: 8)))
    }
}

/// Why a request about an appeal was refused: the HTTP status it maps to, the rule's name and a detail
/// safe to show the caller. Nothing is written when one is thrown.
package struct AppealRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    package var status: Int
    package var rule: String
    package var detail: String
    package var field: String?
    /// A refusal answered with HTTP `status`, naming the `rule` it breaks and, for a bad field, the `field`.
    package init(_ status: Int, _ rule: String, _ detail: String, field: String? = nil) {
        self.status = status
        self.rule = rule
        self.detail = detail
        self.field = field
    }
    package var description: String { "\(rule): \(detail)" }
}

/// The application as the appeals service sees it.
package struct AppealableApplication: Sendable {
    package var id: Int64
    package var portalID: String
    package var department: String
    package var state: String
    package var service: String
    package var office: String
    package var citizenMobile: String?
    package var bandValue: Decimal?
    package var completedAt: Date?
    package var createdAt: Date

    /// The application with this portal number, locked for update when `lock` (inside a transaction); nil when there is none.
    /// - Throws: `PostgresError` from the database.
    package static func find(portalID: String, on connection: Connection, lock: Bool = false) throws
        -> AppealableApplication?
    {
        guard
            let row = try connection.query(
                """
                SELECT a.id, a.portal_application_id, a.department, d.state, a.service_code, a.office_code, c.mobile, a.band_value::text,
                       a.completed_at, a.created_at
                FROM applications a JOIN departments d ON d.code = a.department JOIN citizens c ON c.id = a.citizen_id
                WHERE a.portal_application_id = $1
                """ + (lock ? " FOR UPDATE OF a" : ""), [portalID]
            ).first
        else { return nil }
        return AppealableApplication(
            id: try row.decode(Int64.self, at: 0), portalID: try row.decode(String.self, at: 1),
            department: try row.decode(String.self, at: 2), state: try row.decode(String.self, at: 3),
            service: try row.decode(String.self, at: 4), office: try row.decode(String.self, at: 5),
            citizenMobile: try row.decode(String?.self, at: 6),
            bandValue: try row.decode(String?.self, at: 7).flatMap { Decimal(string: $0) },
            completedAt: try row.decode(Date?.self, at: 8), createdAt: try row.decode(Date.self, at: 9))
    }
}

/// An appeal as stored.
package struct Appeal: Sendable, Equatable, Codable {
    package var id: Int64
    package var number: String
    package var applicationID: Int64
    package var portalApplicationID: String
    package var level: Int
    package var trigger: String
    package var authority: Authority
    package var filedAt: Date
    package var filedOn: CivilDate
    package var filedVia: String
    package var grounds: String
    package var relief: String?
    package var delayReason: String?
    package var windowEndsOn: CivilDate
    package var isLate: Bool
    package var decideBy: CivilDate
    package var status: String
    package var hearingAt: Date?
    package var decision: String?
    package var decisionReasons: [String]?
    package var directedDays: Int?
    package var decidedOn: CivilDate?
    package var overdueAt: Date?
    package var isTest: Bool

    package var isOpen: Bool { ["awaiting_admission", "pending", "hearing_scheduled"].contains(status) }

    static let columns = """
        ap.id, ap.appeal_number, ap.application_id, a.portal_application_id, ap.level, ap.trigger, ap.authority_role, ap.authority_office,
        ap.filed_at, ap.filed_on, ap.filed_via, ap.grounds, ap.relief, ap.delay_reason, ap.window_ends_on, ap.is_late, ap.decide_by, ap.status,
        ap.hearing_at, ap.decision, ap.decision_reasons, ap.directed_days, ap.decided_on, ap.overdue_at, ap.is_test
        """

    static func decode(_ row: Row) throws -> Appeal {
        Appeal(
            id: try row.decode(Int64.self, at: 0), number: try row.decode(String.self, at: 1),
            applicationID: try row.decode(Int64.self, at: 2),
            portalApplicationID: try row.decode(String.self, at: 3), level: try row.decode(Int.self, at: 4),
            trigger: try row.decode(String.self, at: 5),
            authority: Authority(role: try row.decode(String.self, at: 6), office: try row.decode(String.self, at: 7)),
            filedAt: try row.decode(Date.self, at: 8), filedOn: try row.decode(CivilDate.self, at: 9),
            filedVia: try row.decode(String.self, at: 10),
            grounds: try row.decode(String.self, at: 11), relief: try row.decode(String?.self, at: 12),
            delayReason: try row.decode(String?.self, at: 13),
            windowEndsOn: try row.decode(CivilDate.self, at: 14), isLate: try row.decode(Bool.self, at: 15),
            decideBy: try row.decode(CivilDate.self, at: 16),
            status: try row.decode(String.self, at: 17), hearingAt: try row.decode(Date?.self, at: 18),
            decision: try row.decode(String?.self, at: 19),
            decisionReasons: try row.decode([String]?.self, at: 20), directedDays: try row.decode(Int?.self, at: 21),
            decidedOn: try row.decode(CivilDate?.self, at: 22), overdueAt: try row.decode(Date?.self, at: 23),
            isTest: try row.decode(Bool.self, at: 24))
    }

    /// The appeal with this number, locked for update when `lock` (inside a transaction); nil when there is none.
    /// - Throws: `PostgresError` from the database.
    package static func find(number: String, on connection: Connection, lock: Bool = false) throws -> Appeal? {
        try connection.query(
            "SELECT \(columns) FROM appeals ap JOIN applications a ON a.id = ap.application_id WHERE ap.appeal_number = $1"
                + (lock ? " FOR UPDATE OF ap" : ""), [number]
        ).rows.first.map(decode)
    }

    /// The next level open for an application: one after the highest filed (1 when none was).
    /// - Throws: `PostgresError` from the database.
    package static func nextLevel(portalID: String, on connection: Connection) throws -> Int {
        (try connection.query(
            """
            SELECT max(ap.level) FROM appeals ap JOIN applications a ON a.id = ap.application_id WHERE a.portal_application_id = $1
            """, [portalID]
        ).first?.decode(Int?.self, at: 0) ?? 0) + 1
    }

    /// Every appeal of an application, by level.
    /// - Throws: `PostgresError` from the database.
    package static func all(applicationID: Int64, on connection: Connection) throws -> [Appeal] {
        try connection.query(
            "SELECT \(columns) FROM appeals ap JOIN applications a ON a.id = ap.application_id WHERE ap.application_id = $1 ORDER BY ap.level",
            [applicationID]
        ).rows.map(decode)
    }

    /// The appeals matching `condition` (SQL over `ap`, the appeal, and `a`, its application, with `parameters` bound as `$1…`), by decision day.
    /// - Throws: `PostgresError` from the database.
    package static func query(where condition: String, _ parameters: [any PostgresEncodable], on connection: Connection)
        throws -> [Appeal]
    {
        try connection.query(
            "SELECT \(columns) FROM appeals ap JOIN applications a ON a.id = ap.application_id WHERE \(condition) ORDER BY ap.decide_by, ap.id",
            parameters
        ).rows.map(decode)
    }
}

/// Whether an appeal may be filed at a level today, and on what terms.
package struct FilingAssessment: Sendable, Equatable {
    package var level: Int
    package var trigger: String
    /// The day the window counts from (the rejection reaching the citizen, the lapse, the order).
    package var base: CivilDate
    /// The last day to file without a reason for delay.
    package var windowEndsOn: CivilDate
    /// The last day a late filing is possible (with a reason), nil when there is no late filing.
    package var lateEndsOn: CivilDate?
    package var isLate: Bool
    package var authority: Authority
}
