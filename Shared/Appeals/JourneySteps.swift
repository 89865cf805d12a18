import Delivery
import Foundation
import JobContracts
import JobQueue
import Postgres
import Texts

/// A step of an application's journey before its outcome, as the portal reports it.
package enum JourneyStep: String, Sendable, CaseIterable, Codable {
    case received
    case underScrutiny = "under_scrutiny"
    case documentsNeeded = "documents_needed"
    case paymentDue = "payment_due"
    case appointment

    /// The kind of its WhatsApp and email templates.
    package var templateKind: String { "step_" + rawValue }

    /// The names of its facts, in the order its WhatsApp template takes them after the application and the service.
    package var parameterNames: [String] {
        switch self {
        case .received: ["received_on", "time_limit", "due_on", "officer"]
        case .underScrutiny: []
        case .documentsNeeded: ["documents", "reply_by"]
        case .paymentDue: ["amount", "pay_at", "pay_by"]
        case .appointment: ["visit", "when", "place"]
        }
    }
}

/// What the portal said about a step: the application (as an outcome names it), the step and its facts.
package struct StepReport: Sendable {
    package var applicationID: String
    package var department: String
    package var service: String
    package var office: String
    package var village: String?
    /// The citizen's portal user id.
    package var citizen: String
    /// The offices the key covers; empty for every office.
    package var offices: [String]
    package var apiKeyID: Int64
    package var isTest: Bool
    /// Who reported it, for the application's history (`api:<key prefix>`).
    package var actor: String
    package var step: JourneyStep
    /// Nil: the citizen's registered language.
    package var language: String?
    /// Nil: every channel the citizen can be reached on.
    package var channels: [String]?
    /// received: when the office received the application (the time limit starts the next day), and the band value
    /// for services whose time limit depends on one.
    package var receivedAt: Date?
    package var bandValue: Decimal?
    /// documents_needed: what is missing and the last day to reply.
    package var documents: [String] = []
    package var replyBy: CivilDate?
    /// payment_due: the amount in rupees (a decimal, two places at most), where to pay and the last day.
    package var amount: Decimal?
    package var payAt: String?
    package var payBy: CivilDate?
    /// appointment: `appointment` or `site_visit`, when and where.
    package var visit: String?
    package var at: Date?
    package var place: String?

    /// A report of `step` for an application by a department's key; the step's facts are set after.
    package init(
        applicationID: String, department: String, service: String, office: String, village: String?,
        citizen: String, offices: [String], apiKeyID: Int64, isTest: Bool, actor: String, step: JourneyStep,
        language: String?, channels: [String]?
    ) {
        self.applicationID = applicationID
        self.department = department
        self.service = service
        self.office = office
        self.village = village
        self.citizen = citizen
        self.offices = offices
        self.apiKeyID = apiKeyID
        self.isTest = isTest
        self.actor = actor
        self.step = step
        self.language = language
        self.channels = channels
    }
}

/// The application's journey: each step is recorded as a delivery to the citizen (decision `step`), with what it
/// causes in the same transaction: "received" starts the time limit's clock (the clock call stays for corrections),
/// "documents needed" opens a shortfall the citizen can answer in the chat and holds the clock by the state's rule.
package enum JourneySteps {
    /// What recording a step did.
    package struct Recorded: Sendable, Equatable {
        package var deliveryID: UUID
        /// The facts the citizen is told, by name.
        package var detail: [String: String]
        /// received: the time limit's clock as it now runs.
        package var clock: AppealsDesk.ClockView?
        /// documents_needed: the shortfall opened.
        package var shortfallID: Int64?
    }

    /// Records `report` as a delivery with its dispatcher job, inside the caller's transaction (`tx`).
    /// - Throws: `AppealRefusal` (unknown citizen 422, an application outside the key 404, another citizen's 422, a
    ///   service with no catalogue rule 422, an ended clock 409) with nothing written; `PostgresError`.
    package static func record(
        _ report: StepReport, deliveryID: UUID, desk: AppealsDesk, queue: JobQueue, now: Date, on tx: Connection
    ) throws -> Recorded {
        guard
            let citizen = try tx.query(
                "SELECT id, language FROM citizens WHERE portal_user_id = $1", [report.citizen]
            ).first
        else {
            throw AppealRefusal(
                422, "unknown_citizen",
                "no citizen \(report.citizen): register them with PUT /v1/citizens/{portalUserId} first",
                field: "citizen")
        }
        let citizenID = try citizen.decode(Int64.self, at: 0)
        let recorded = try Applications.record(
            Applications.Report(
                applicationID: report.applicationID, department: report.department, service: report.service,
                office: report.office, citizenID: citizenID, offices: report.offices, village: report.village),
            on: tx)
        guard let recorded, recorded.department == report.department else {
            throw AppealRefusal(404, "unknown_application", "no application \(report.applicationID) for this API key")
        }
        guard recorded.citizenID == citizenID else {
            throw AppealRefusal(
                422, "other_citizen", "application \(report.applicationID) belongs to another citizen",
                field: "citizen")
        }
        guard let application = try AppealableApplication.find(portalID: report.applicationID, on: tx, lock: true)
        else {
            throw AppealRefusal(404, "unknown_application", "no application \(report.applicationID) for this API key")
        }
        let registered = try citizen.decode(String.self, at: 1)
        let language = Language.resolve(report.language ?? registered).code
        var detail: [String: String] = [:]
        var clock: AppealsDesk.ClockView?
        switch report.step {
        case .received:
            let started: AppealsDesk.ClockView
            do {
                started = try desk.startClock(
                    application: application, completedAt: report.receivedAt ?? now, bandValue: report.bandValue,
                    isTest: report.isTest, actor: report.actor, now: now, on: tx)
            } catch var refusal as AppealRefusal {
                // The clock call's field names, as this request names them.
                refusal.field = refusal.field.map {
                    ["service_code": "service", "completed_at": "received_at", "band_value": "band_value"][$0] ?? $0
                }
                throw refusal
            }
            clock = started
            detail = [
                "received_on": started.startedOn.indianFormat,
                "time_limit":
                    (started.dayUnit == DayUnit.working.rawValue ? JourneyTexts.workingDays : JourneyTexts.days)(
                        language, ["days": String(started.timeLimitDays)]),
                "due_on": started.dueOn.indianFormat,
                "officer": try designatedOfficer(applicationID: application.id, language: language, on: tx),
            ]
        case .underScrutiny:
            break
        case .documentsNeeded:
            detail = [
                "documents": report.documents.joined(separator: "; "),
                "reply_by": report.replyBy.map(\.indianFormat) ?? "",
            ]
        case .paymentDue:
            detail = [
                "amount": "₹" + Self.rupees(report.amount ?? 0), "pay_at": report.payAt ?? "",
                "pay_by": report.payBy.map(\.indianFormat) ?? "",
            ]
        case .appointment:
            detail = [
                "visit": JourneyTexts.visits[report.visit ?? "appointment"]?(language) ?? report.visit ?? "",
                "when": AppealNotice.formatInstant(report.at ?? now), "place": report.place ?? "",
            ]
        }
        try tx.query(
            """
            INSERT INTO deliveries (id, application_id, api_key_id, is_test, decision, reasons, language, requested_channels, step, step_detail)
            VALUES ($1, $2, $3, $4, 'step', '{}', $5, $6::text[], $7, $8::jsonb)
            """,
            [
                deliveryID, application.id, report.apiKeyID, report.isTest, language, report.channels,
                report.step.rawValue, try PostgresJSON(encoding: detail),
            ])
        try queue.enqueue(
            try Jobs.deliveryRequested.job(
                DeliveryRequested(deliveryID: deliveryID), priority: 1, uniqueKey: UniqueKeys.delivery(deliveryID)),
            on: tx)
        try ApplicationHistory.record(
            applicationID: application.id, event: "step_" + report.step.rawValue, actor: report.actor,
            detail: ["delivery_id": deliveryID.uuidString.lowercased()], at: now, on: tx)
        var shortfallID: Int64?
        if report.step == .documentsNeeded, let replyBy = report.replyBy {
            shortfallID = try Shortfalls.open(
                application: application, deliveryID: deliveryID, documents: report.documents, replyBy: replyBy,
                isTest: report.isTest, actor: report.actor, now: now, on: tx)
        }
        return Recorded(deliveryID: deliveryID, detail: detail, clock: clock, shortfallID: shortfallID)
    }

    /// The designated officer of the application's clock rule, named in `language` with their office.
    static func designatedOfficer(applicationID: Int64, language: String, on tx: Connection) throws -> String {
        try tx.query(
            """
            SELECT officer_role_name(r.do_role, $2) || coalesce(', ' || coalesce(
                       (SELECT n.name FROM office_names n WHERE n.office_code = coalesce(r.do_office, a.office_code) AND n.language = $2),
                       (SELECT nullif(o.name, '') FROM offices o WHERE o.code = coalesce(r.do_office, a.office_code))), '')
            FROM application_clocks ac JOIN service_rules r ON r.id = ac.rule_id JOIN applications a ON a.id = ac.application_id
            WHERE ac.application_id = $1 AND ac.kind = 'time_limit'
            """, [applicationID, language]
        ).first?.decode(String?.self, at: 0) ?? ""
    }

    /// `1,234.50` in the Indian grouping (lakhs and crores: 12,34,567.00).
    package static func rupees(_ amount: Decimal) -> String {
        let paise = NSDecimalNumber(decimal: amount * 100).int64Value
        let whole = String(paise / 100)
        var grouped = String(whole.suffix(3))
        var rest = whole.dropLast(3)
        while !rest.isEmpty {
            grouped = String(rest.suffix(2)) + "," + grouped
            rest = rest.dropLast(2)
        }
        return grouped + "." + String(format: "%02lld", paise % 100)
    }
}

/// Shortfalls: what the office asked for, and the citizen's answer in the chat. Opening one holds the time limit,
/// answering it restarts or resumes the limit, both by the state's rule (`appeal_state_settings.shortfall_clock`).
package enum Shortfalls {
    /// An open shortfall as the chat sees it.
    package struct Open: Sendable, Equatable, Codable {
        package var id: Int64
        package var applicationID: String
        package var documents: [String]
        package var replyBy: CivilDate
        package var language: String
    }

    /// Opens a shortfall for the step's delivery (superseding one still open) and holds the time limit when the
    /// state's rule says so.
    static func open(
        application: AppealableApplication, deliveryID: UUID, documents: [String], replyBy: CivilDate, isTest: Bool,
        actor: String, now: Date, on tx: Connection
    ) throws -> Int64 {
        try tx.query(
            "UPDATE application_shortfalls SET state = 'superseded' WHERE application_id = $1 AND state = 'open'",
            [application.id])
        let id = try tx.query(
            """
            INSERT INTO application_shortfalls (application_id, delivery_id, documents, reply_by, is_test) VALUES ($1, $2, $3::text[], $4::date, $5)
            RETURNING id
            """, [application.id, deliveryID, documents, replyBy, isTest]
        ).first!.decode(Int64.self, at: 0)
        guard try rule(state: application.state, on: tx) != "continue" else { return id }
        let held = try tx.query(
            """
            UPDATE application_clocks SET held_on = $2::date
            WHERE application_id = $1 AND kind = 'time_limit' AND state = 'running' AND held_on IS NULL RETURNING due_on
            """, [application.id, CivilDate(now)]
        ).first
        if let held {
            try ApplicationHistory.record(
                applicationID: application.id, event: "clock_held", actor: actor,
                detail: [
                    "held_on": CivilDate(now).description, "due_on": try held.decode(CivilDate.self, at: 0).description,
                ],
                at: now, on: tx)
        }
        return id
    }

    /// The state's rule (`restart`, `pause` or `continue`; `restart` where the state set none) as a SQL expression over
    /// `state`, an expression naming the state.
    static func ruleSQL(state: String) -> String {
        "coalesce((SELECT shortfall_clock FROM appeal_state_settings WHERE state = \(state)), 'restart')"
    }

    /// The state's rule: `restart`, `pause` or `continue`.
    static func rule(state: String, on tx: Connection) throws -> String {
        try tx.query("SELECT \(ruleSQL(state: "$1"))", [state]).first?.decode(String.self, at: 0) ?? "restart"
    }

    /// Whether the delivery `d` decided the application of the held clock `clock` while it was held (a decision on or
    /// after the day of the hold), as a SQL condition.
    static func decidedWhileHeld(delivery d: String, clock: String) -> String {
        """
        \(d).application_id = \(clock).application_id AND \(d).decision IN ('approved', 'rejected')
        AND (\(d).created_at AT TIME ZONE 'Asia/Kolkata')::date >= \(clock).held_on
        """
    }

    /// The open shortfall of an application of the citizen with this mobile number, the latest first; answered
    /// ones stay open to more files until their reply-by day has passed (IST).
    /// - Throws: `PostgresError` from the database.
    package static func latestOpen(
        mobile: String, shortfallID: Int64? = nil, stepDelivery: UUID? = nil, today: CivilDate,
        on connection: Connection
    ) throws -> Open? {
        guard
            let row = try connection.query(
                """
                SELECT s.id, a.portal_application_id, s.documents, s.reply_by, d.language
                FROM application_shortfalls s JOIN applications a ON a.id = s.application_id JOIN citizens c ON c.id = a.citizen_id
                JOIN deliveries d ON d.id = s.delivery_id
                WHERE c.mobile = $1 AND s.state IN ('open', 'answered') AND s.reply_by >= $2::date AND ($3::bigint IS NULL OR s.id = $3)
                  AND ($4::uuid IS NULL OR s.delivery_id = $4)
                ORDER BY s.opened_at DESC LIMIT 1
                """, [mobile, today, shortfallID, stepDelivery]
            ).first
        else { return nil }
        return Open(
            id: try row.decode(Int64.self, at: 0), applicationID: try row.decode(String.self, at: 1),
            documents: try row.decode([String].self, at: 2), replyBy: try row.decode(CivilDate.self, at: 3),
            language: try row.decode(String.self, at: 4))
    }

    /// Marks the shortfall answered (once) and moves a held time limit by the state's rule: `restart` counts the whole
    /// limit again from `now`'s day, `pause` adds the working days it was held. Returns the new due day when it moved.
    /// - Throws: `PostgresError` from the database.
    package static func answered(_ shortfallID: Int64, actor: String, now: Date, on tx: Connection) throws -> CivilDate?
    {
        guard
            let applicationID = try tx.query(
                """
                UPDATE application_shortfalls SET state = 'answered', answered_at = $2 WHERE id = $1 AND state = 'open' RETURNING application_id
                """, [shortfallID, now]
            ).first?.decode(Int64.self, at: 0)
        else { return nil }
        return try release(applicationID: applicationID, on: CivilDate(now), actor: actor, now: now, on: tx)
    }

    /// Held time limits on which the office decided (approved or rejected) while the citizen owed documents: each
    /// is released as if the shortfall had been answered on the day of the decision, so the decision is judged by the
    /// state's rule (`restart`: the limit had not begun, the decision is in time; `pause`: in time when the days
    /// counted before the hold were within the limit) instead of waiting, held, for an answer that will not come.
    /// Returns how many were released. Run by the deadline sweep.
    /// - Throws: `PostgresError` from the database.
    static func releaseDecided(limit: Int, now: Date, on connection: Connection) throws -> Int {
        let decided = try connection.query(
            """
            SELECT ac.application_id, min(d.created_at)
            FROM application_clocks ac JOIN deliveries d ON \(decidedWhileHeld(delivery: "d", clock: "ac"))
            WHERE ac.state = 'running' AND ac.kind = 'time_limit' AND ac.held_on IS NOT NULL
            GROUP BY ac.application_id ORDER BY ac.application_id LIMIT $1
            """, [limit]
        ).rows
        var released = 0
        for row in decided {
            let decidedOn = CivilDate(try row.decode(Date.self, at: 1))
            try connection.transaction { tx in
                if try release(
                    applicationID: try row.decode(Int64.self, at: 0), on: decidedOn, actor: "appeals-service",
                    now: now, on: tx) != nil
                {
                    released += 1
                }
            }
        }
        return released
    }

    /// Releases the held time limit of an application as of `day` (the answer's or the decision's) by the state's
    /// rule, with its history row; nil when no clock was held.
    static func release(applicationID: Int64, on day: CivilDate, actor: String, now: Date, on tx: Connection) throws
        -> CivilDate?
    {
        guard
            let row = try tx.query(
                """
                SELECT ac.id, ac.held_on, ac.started_on, ac.due_on, ac.time_limit_days, ac.day_unit, a.portal_application_id
                FROM application_clocks ac JOIN applications a ON a.id = ac.application_id
                WHERE ac.application_id = $1 AND ac.kind = 'time_limit' AND ac.state = 'running' AND ac.held_on IS NOT NULL
                FOR UPDATE OF ac
                """, [applicationID]
            ).first,
            let application = try AppealableApplication.find(portalID: try row.decode(String.self, at: 6), on: tx)
        else { return nil }
        let heldOn = try row.decode(CivilDate.self, at: 1)
        let oldDue = try row.decode(CivilDate.self, at: 3)
        let unit = DayUnit(rawValue: try row.decode(String.self, at: 5)) ?? .working
        let calendar = try DeadlineCalendar.load(
            state: application.state, office: application.office, service: application.service, on: tx)
        let due: CivilDate
        let event: String
        if try rule(state: application.state, on: tx) == "pause" {
            var held = 0
            var counted = heldOn
            while counted < day {
                counted = counted.adding(days: 1)
                if calendar.counts(counted, unit: unit) { held += 1 }
            }
            due = calendar.due(from: oldDue, days: held, unit: unit)
            event = "clock_resumed"
        } else {
            due = calendar.due(from: day, days: try row.decode(Int.self, at: 4), unit: unit)
            event = "clock_restarted"
        }
        try tx.query(
            "UPDATE application_clocks SET held_on = NULL, due_on = $2::date, started_on = CASE WHEN $3 THEN $4::date ELSE started_on END WHERE id = $1",
            [try row.decode(Int64.self, at: 0), due, event == "clock_restarted", day])
        try ApplicationHistory.record(
            applicationID: applicationID, event: event, actor: actor,
            detail: [
                "started_on": (event == "clock_restarted" ? day : try row.decode(CivilDate.self, at: 2)).description,
                "due_on": due.description,
            ], at: now, on: tx)
        return due
    }
}
