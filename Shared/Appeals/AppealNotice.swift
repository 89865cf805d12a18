import Delivery
import Foundation
import JobContracts
import JobQueue
import Postgres
import Texts

/// What the appeals service tells a citizen. Each notice goes through the dispatcher like an outcome, on
/// the citizen's channels and in their language; the text is composed here from the notice's facts.
package enum AppealNotice: Sendable, Equatable {
    /// The time limit passed with no decision: a first appeal is open until `lastDay`.
    case timeLimitLapsed(dueOn: CivilDate, lastDay: CivilDate)
    /// An appeal was filed (acknowledgement), to be decided by `decideBy`.
    case filed(number: String, level: Int, decideBy: CivilDate)
    /// A late appeal was filed; the authority decides whether to admit it.
    case filedLate(number: String, level: Int)
    /// The authority did not admit a late appeal.
    case notAdmitted(number: String, reasons: [String])
    /// A hearing was fixed.
    case hearing(number: String, at: Date)
    /// Allowed: the designated officer must deliver by `deliverBy`.
    case allowed(number: String, deliverBy: CivilDate)
    /// Dismissed with reasons; the next level is open until `nextLastDay` (nil at the last level).
    case dismissed(number: String, reasons: [String], nextLevel: Int?, nextLastDay: CivilDate?)
    /// The authority missed its deadline; the next level is open until `nextLastDay` (nil at the last level).
    case overdue(number: String, decideBy: CivilDate, nextLevel: Int?, nextLastDay: CivilDate?)
    /// The officer did not deliver as the order directed; the next level is open until `nextLastDay`.
    case directedLapsed(number: String, deliverBy: CivilDate, nextLevel: Int?, nextLastDay: CivilDate?)

    /// The short name of the notice (kept on the delivery).
    package var kind: String {
        switch self {
        case .timeLimitLapsed: "time_limit_lapsed"
        case .filed: "appeal_filed"
        case .filedLate: "appeal_filed_late"
        case .notAdmitted: "appeal_not_admitted"
        case .hearing: "hearing_scheduled"
        case .allowed: "appeal_allowed"
        case .dismissed: "appeal_dismissed"
        case .overdue: "appeal_overdue"
        case .directedLapsed: "directed_delivery_lapsed"
        }
    }

    static func levelName(_ level: Int, _ language: String) -> String {
        NoticeTexts.levels[min(max(level, 1), 3) - 1](language)
    }

    /// The notice in `language` (any of `Language.all`; English for an unknown code), dates as DD-MM-YYYY in IST.
    package func text(language: String) -> String {
        let l = Language.resolve(language).code
        func name(_ level: Int) -> String { Self.levelName(level, l) }
        func next(_ level: Int?, _ day: CivilDate?) -> String {
            guard let level, let day else { return NoticeTexts.lastLevel(l) }
            return NoticeTexts.nextLevel(l, ["level": name(level), "day": day.indianFormat])
        }
        func reasons(_ list: [String]) -> String { list.joined(separator: "; ") }
        switch self {
        case .timeLimitLapsed(let due, let last):
            return NoticeTexts.timeLimitLapsed(l, ["due": due.indianFormat, "last": last.indianFormat])
        case .filed(let number, let level, let decideBy):
            return NoticeTexts.filed(
                l, ["level": name(level), "number": number, "decide_by": decideBy.indianFormat])
        case .filedLate(let number, let level):
            return NoticeTexts.filedLate(l, ["level": name(level), "number": number])
        case .notAdmitted(let number, let list):
            return NoticeTexts.notAdmitted(l, ["number": number, "reasons": reasons(list)])
        case .hearing(let number, let at):
            return NoticeTexts.hearing(l, ["number": number, "when": Self.formatInstant(at)])
        case .allowed(let number, let deliverBy):
            return NoticeTexts.allowed(l, ["number": number, "deliver_by": deliverBy.indianFormat])
        case .dismissed(let number, let list, let level, let day):
            return NoticeTexts.dismissed(l, ["number": number, "reasons": reasons(list)]) + " " + next(level, day)
        case .overdue(let number, let decideBy, let level, let day):
            return NoticeTexts.overdue(l, ["number": number, "decide_by": decideBy.indianFormat]) + " "
                + next(level, day)
        case .directedLapsed(let number, let deliverBy, let level, let day):
            return NoticeTexts.directedLapsed(l, ["number": number, "deliver_by": deliverBy.indianFormat]) + " "
                + next(level, day)
        }
    }

    /// `DD-MM-YYYY HH:MM` in IST.
    static func formatInstant(_ instant: Date) -> String {
        let day = CivilDate(instant)
        let seconds = Int(floor(instant.timeIntervalSince1970)) + CivilDate.istOffsetSeconds - day.dayNumber * 86_400
        return day.indianFormat + String(format: " %02d:%02d IST", seconds / 3600, (seconds % 3600) / 60)
    }

    /// Records the notice as a delivery to the application's citizen in their language, with its dispatcher
    /// job, inside the caller's transaction. `document` (an order PDF) goes like a certificate.
    /// - Throws: `PostgresError` from the database.
    @discardableResult
    package func send(
        applicationID: Int64, appealID: Int64?, document: Int64? = nil, isTest: Bool, queue: JobQueue,
        on connection: Connection
    ) throws -> UUID {
        let language =
            try connection.query(
                "SELECT c.language FROM applications a JOIN citizens c ON c.id = a.citizen_id WHERE a.id = $1",
                [applicationID]
            ).first?.decode(String.self, at: 0) ?? "mr"
        let deliveryID = UUID.timeOrdered()
        try connection.query(
            """
            INSERT INTO deliveries (id, application_id, is_test, decision, reasons, language, document_id, appeal_id, notice)
            VALUES ($1, $2, $3, 'appeal', $4::text[], $5, $6, $7, $8)
            """, [deliveryID, applicationID, isTest, [text(language: language)], language, document, appealID, kind])
        try queue.enqueue(
            try Jobs.deliveryRequested.job(
                DeliveryRequested(deliveryID: deliveryID), priority: 1,
                uniqueKey: UniqueKeys.delivery(deliveryID)), on: connection)
        return deliveryID
    }
}

/// The application's history: one row per state change.
package enum ApplicationHistory {
    /// One state change of an application, with its appeal's number when it concerns an appeal.
    package struct Entry: Sendable {
        package var event: String
        package var appealNumber: String?
        package var actor: String
        package var detail: [String: String]
        package var at: Date
    }

    /// The application's history, oldest first.
    /// - Throws: `PostgresError` from the database.
    package static func list(applicationID: Int64, on connection: Connection) throws -> [Entry] {
        try connection.query(
            """
            SELECT h.event, ap.appeal_number, h.actor, h.detail, h.at FROM application_history h LEFT JOIN appeals ap ON ap.id = h.appeal_id
            WHERE h.application_id = $1 ORDER BY h.id
            """, [applicationID]
        ).rows.map { row in
            Entry(
                event: try row.decode(String.self, at: 0), appealNumber: try row.decode(String?.self, at: 1),
                actor: try row.decode(String.self, at: 2),
                detail: (try? row.decode(PostgresJSON.self, at: 3).decode([String: String].self)) ?? [:],
                at: try row.decode(Date.self, at: 4))
        }
    }

    /// Records one state change of the application (and of an appeal, when given), inside the caller's transaction.
    /// A Right to Public Services clock or appeal event also queues its transparency-log entry in the same statement
    /// (`LoggedEvent`).
    /// - Throws: `PostgresError` from the database.
    package static func record(
        applicationID: Int64, appealID: Int64? = nil, event: String, actor: String, detail: [String: String] = [:],
        at: Date, on connection: Connection
    ) throws {
        guard let logged = LoggedEvent(event: event, detail: detail) else {
            try connection.query(
                """
                INSERT INTO application_history (application_id, appeal_id, event, actor, detail, at) VALUES ($1, $2, $3, $4, $5::jsonb, $6)
                """, [applicationID, appealID, event, actor, try PostgresJSON(encoding: detail), at])
            return
        }
        try connection.query(
            """
            WITH h AS (
                INSERT INTO application_history (application_id, appeal_id, event, actor, detail, at) VALUES ($1, $2, $3, $4, $5::jsonb, $6))
            INSERT INTO log_queue (entries)
            SELECT ARRAY[dakiya_log_entry($7::jsonb || jsonb_build_object(
                       'v', 1, 'at', dakiya_log_time($6), 'application', dakiya_log_commitment(a.log_salt, a.portal_application_id),
                       'department', a.department, 'service', a.service_code, 'office', a.office_code)
                       || coalesce((SELECT jsonb_build_object('level', ap.level) FROM appeals ap WHERE ap.id = $2), '{}'))]
            FROM applications a
            WHERE a.id = $1 AND dakiya_log_on()
              -- Test traffic stays out of the public log: an appeal's own flag, else the application's time limit's.
              AND NOT coalesce((SELECT is_test FROM appeals WHERE id = $2),
                               (SELECT is_test FROM application_clocks WHERE application_id = $1 AND kind = 'time_limit'), false)
            """,
            [
                applicationID, appealID, event, actor, try PostgresJSON(encoding: detail), at,
                try PostgresJSON(encoding: logged.fields),
            ])
    }
}

/// A clock or appeal event as the transparency log carries it: its type and the few facts an auditor needs, never
/// names, numbers, reasons or addresses (an appeal is told apart by its application and level, not its number).
/// The statement adds the version, the time, the application's salted commitment, its department, service and
/// office, and the appeal's level.
package struct LoggedEvent: Sendable, Equatable {
    /// A log value: text, a whole number or a truth value.
    package enum Value: Sendable, Equatable, Encodable {
        case text(String)
        case number(Int)
        case flag(Bool)

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .text(let text): try container.encode(text)
            case .number(let number): try container.encode(number)
            case .flag(let flag): try container.encode(flag)
            }
        }
    }

    /// The entry's type, e.g. `clock.lapsed`.
    package var type: String
    /// The members of the entry, `type` among them.
    package var fields: [String: Value]

    /// What each history event becomes in the log (nil: not logged): its type and which detail members it keeps.
    static let types: [String: (type: String, kept: [String])] = [
        "clock_started": ("clock.started", ["kind", "started_on", "due_on", "time_limit_days", "day_unit"]),
        "clock_corrected": ("clock.corrected", ["started_on", "due_on"]),
        // A shortfall held the time limit, and the citizen's answer restarted it or resumed it (the state's rule).
        "clock_held": ("clock.held", ["held_on", "due_on"]),
        "clock_restarted": ("clock.restarted", ["started_on", "due_on"]),
        "clock_resumed": ("clock.resumed", ["due_on"]),
        "time_limit_met": ("clock.met", ["kind", "due_on"]),
        "time_limit_met_late": ("clock.met_late", ["due_on", "decided_on"]),
        "time_limit_lapsed": ("clock.lapsed", ["due_on"]),
        "directed_delivery_lapsed": ("clock.lapsed", ["due_on"]),
        "appeal_filed": ("appeal.filed", ["trigger", "via", "late", "decide_by"]),
        "appeal_admitted": ("appeal.admitted", []),
        "appeal_not_admitted": ("appeal.not_admitted", []),
        "hearing_scheduled": ("appeal.hearing", ["hearing_at"]),
        "appeal_decided": ("appeal.decision", ["decision"]),
        "penalty_imposed": ("appeal.penalty", ["officer_role", "officer_office", "amount"]),
        "appeal_overdue": ("appeal.overdue", ["decide_by", "authority_role", "authority_office"]),
    ]

    /// The log entry of history `event` with its `detail`; nil when the event is not logged.
    package init?(event: String, detail: [String: String]) {
        guard let mapping = Self.types[event] else { return nil }
        type = mapping.type
        var fields: [String: Value] = ["type": .text(mapping.type)]
        for name in mapping.kept {
            guard let value = detail[name] else { continue }
            switch name {
            case "time_limit_days", "amount": fields[name] = Int(value).map(Value.number) ?? .text(value)
            case "late": fields[name] = .flag(value == "true")
            default: fields[name] = .text(value)
            }
        }
        // Which clock: a time limit unless the detail says otherwise (the directed-delivery clock of an allowed appeal).
        if mapping.type.hasPrefix("clock.") {
            let kind = event == "directed_delivery_lapsed" ? "directed" : detail["kind"] ?? "time_limit"
            fields["kind"] = .text(kind == "directed" ? "directed_delivery" : kind)
        }
        self.fields = fields
    }
}
