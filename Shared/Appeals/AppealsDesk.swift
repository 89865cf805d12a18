import Delivery
import Foundation
import JobQueue
import Postgres

/// The appeals service's rules in one place: the application clock, filing at each level, the authority's
/// steps (admission, hearing, decision, penalty) and the deadline sweeps. Every method takes `now`, so
/// tests move days without sleeping; every state change writes one history row and, when the citizen
/// should know, a notice through the dispatcher, in the same transaction.
package struct AppealsDesk: Sendable {
    package var queue: JobQueue

    /// A desk that enqueues the notices and jobs its decisions cause on `queue`.
    package init(queue: JobQueue) { self.queue = queue }

    // MARK: The application clock

    /// The clock on an application as the API shows it.
    package struct ClockView: Sendable, Equatable, Codable {
        package var kind: String
        package var startedOn: CivilDate
        package var timeLimitDays: Int
        package var dayUnit: String
        package var dueOn: CivilDate
        package var state: String
        enum CodingKeys: String, CodingKey {
            case kind, startedOn = "started_on", timeLimitDays = "time_limit_days", dayUnit = "day_unit", dueOn =
                "due_on", state
        }
    }

    /// Starts (or corrects, while it runs) the time limit of an application from the time it became
    /// complete, under the catalogue rule in force that day. Throws AppealRefusal when the service is not in
    /// the catalogue or the clock has already ended.
    /// - Throws: `AppealRefusal` when the service is not in the catalogue or the clock has ended; `PostgresError` from the database.
    package func startClock(
        application: AppealableApplication, completedAt: Date, bandValue: Decimal?, isTest: Bool, actor: String,
        now: Date,
        on tx: Connection
    ) throws -> ClockView {
        let started = CivilDate(completedAt)
        guard
            let rule = try Catalogue.rule(
                service: application.service, office: application.office, on: started, bandValue: bandValue, on: tx)
        else {
            throw AppealRefusal(
                422, "service_not_in_catalogue",
                "no catalogue rule for service \(application.service) at office \(application.office) on \(started)"
                    + (bandValue == nil ? " (the service may need band_value)" : " for that band value"),
                field: "service_code")
        }
        let calendar = try DeadlineCalendar.load(
            state: application.state, office: application.office, service: application.service, on: tx)
        let due = calendar.due(from: started, days: rule.timeLimitDays, unit: rule.unit)
        try tx.query(
            "UPDATE applications SET completed_at = $2, band_value = $3::numeric, updated_at = now() WHERE id = $1",
            [application.id, completedAt, bandValue.map { "\($0)" }])
        if let existing = try tx.query(
            "SELECT started_on, due_on, state FROM application_clocks WHERE application_id = $1 AND kind = 'time_limit' FOR UPDATE",
            [application.id]
        ).first {
            let state = try existing.decode(String.self, at: 2)
            if try existing.decode(CivilDate.self, at: 0) == started && existing.decode(CivilDate.self, at: 1) == due {
                return ClockView(
                    kind: "time_limit", startedOn: started, timeLimitDays: rule.timeLimitDays,
                    dayUnit: rule.unit.rawValue, dueOn: due, state: state)
            }
            guard state == "running" else {
                throw AppealRefusal(
                    409, "clock_ended",
                    "the time limit of this application has already \(state == "met" ? "been met" : "lapsed")",
                    field: "completed_at")
            }
            try tx.query(
                "UPDATE application_clocks SET started_on = $2, due_on = $3, rule_id = $4, time_limit_days = $5, day_unit = $6 WHERE application_id = $1 AND kind = 'time_limit'",
                [application.id, started, due, rule.id, rule.timeLimitDays, rule.unit.rawValue])
            try ApplicationHistory.record(
                applicationID: application.id, event: "clock_corrected", actor: actor,
                detail: ["started_on": started.description, "due_on": due.description], at: now, on: tx)
        } else {
            try tx.query(
                """
                INSERT INTO application_clocks (application_id, kind, rule_id, started_on, time_limit_days, day_unit, due_on, is_test)
                VALUES ($1, 'time_limit', $2, $3::date, $4, $5, $6::date, $7)
                """, [application.id, rule.id, started, rule.timeLimitDays, rule.unit.rawValue, due, isTest])
            try ApplicationHistory.record(
                applicationID: application.id, event: "clock_started", actor: actor,
                detail: [
                    "started_on": started.description, "due_on": due.description,
                    "time_limit_days": String(rule.timeLimitDays),
                    "day_unit": rule.unit.rawValue,
                ], at: now, on: tx)
        }
        return ClockView(
            kind: "time_limit", startedOn: started, timeLimitDays: rule.timeLimitDays, dayUnit: rule.unit.rawValue,
            dueOn: due, state: "running")
    }

    /// The one rule for an outcome that meets a clock, as SQL over a delivery row `delivery`: a time limit is met by an
    /// approval or a rejection, a directed-delivery clock only by an approval after the order; either way only when it
    /// was recorded on or before the due day (in IST). A later outcome is late: the clock lapses.
    static func meetsClock(delivery d: String, kind: String, clockCreatedAt: String, dueOn: String) -> String {
        """
        \(d).decision IN ('approved', 'rejected') AND (\(kind) = 'time_limit' OR (\(d).decision = 'approved' AND \(d).created_at >= \(clockCreatedAt)))
        AND (\(d).created_at AT TIME ZONE 'Asia/Kolkata')::date <= \(dueOn)
        """
    }

    /// The clocks of an application, with "met" shown as soon as an outcome is recorded on or before the due day.
    /// An outcome after the due day does not meet the time limit: the clock lapses (the sweep tells the citizen and
    /// their appeal rights from the lapse stand).
    /// Given `today`, a running clock past its due day with no timely outcome shows `lapsed` at once (the sweep records
    /// the lapse and tells the citizen within its interval).
    /// - Throws: `PostgresError` from the database.
    package func clocks(applicationID: Int64, today: CivilDate? = nil, on connection: Connection) throws -> [ClockView]
    {
        try connection.query(
            """
            SELECT ac.kind, ac.started_on, ac.time_limit_days, ac.day_unit, ac.due_on,
                   CASE WHEN ac.state = 'running' AND EXISTS (SELECT 1 FROM deliveries d WHERE d.application_id = ac.application_id
                        AND \(Self.meetsClock(delivery: "d", kind: "ac.kind", clockCreatedAt: "ac.created_at", dueOn: "ac.due_on")))
                        THEN 'met'
                        -- Decided while held: the sweep releases it by the state's rule; under restart the decision
                        -- is in time, under pause the sweep's release judges it (held until then).
                        WHEN ac.state = 'running' AND ac.held_on IS NOT NULL
                          AND EXISTS (SELECT 1 FROM deliveries d WHERE \(Shortfalls.decidedWhileHeld(delivery: "d", clock: "ac")))
                          AND \(Shortfalls.ruleSQL(state: "(SELECT dp.state FROM applications a JOIN departments dp ON dp.code = a.department WHERE a.id = ac.application_id)")) = 'restart'
                        THEN 'met'
                        WHEN ac.state = 'running' AND ac.held_on IS NOT NULL THEN 'held'
                        WHEN ac.state = 'running' AND ac.due_on < $2::date THEN 'lapsed'
                        ELSE ac.state END
            FROM application_clocks ac WHERE ac.application_id = $1 ORDER BY ac.id
            """, [applicationID, today]
        ).rows.map { row in
            ClockView(
                kind: try row.decode(String.self, at: 0), startedOn: try row.decode(CivilDate.self, at: 1),
                timeLimitDays: try row.decode(Int.self, at: 2),
                dayUnit: try row.decode(String.self, at: 3), dueOn: try row.decode(CivilDate.self, at: 4),
                state: try row.decode(String.self, at: 5))
        }
    }

    // MARK: Filing

    /// What the law allows at `level` for this application today. Throws AppealRefusal naming the rule
    /// (approved application, previous level still pending, window closed, …).
    /// - Throws: `AppealRefusal` naming the rule that refuses the filing; `PostgresError` from the database.
    package func assess(_ application: AppealableApplication, level: Int, now: Date, on connection: Connection) throws
        -> (FilingAssessment, AppealRule)
    {
        let today = CivilDate(now)
        guard (1...3).contains(level) else {
            throw AppealRefusal(422, "unknown_level", "level must be 1, 2 or 3", field: "level")
        }
        guard let rule = try AppealRule.load(state: application.state, level: level, on: connection) else {
            throw AppealRefusal(
                422, "no_appeal_level", "\(application.state) has no appeal at level \(level)", field: "level")
        }
        if let existing = try connection.query(
            "SELECT appeal_number FROM appeals WHERE application_id = $1 AND level = $2", [application.id, level]
        ).first {
            throw AppealRefusal(
                409, "appeal_exists", "appeal \(try existing.decode(String.self, at: 0)) at this level already exists")
        }
        let serviceRule = try self.serviceRule(for: application, on: connection)
        var base: CivilDate, end: CivilDate, trigger: String
        let authority: Authority
        if level == 1 {
            authority = serviceRule.firstAppellate
            let outcome = try connection.query(
                """
                SELECT decision, first_delivered_at FROM deliveries WHERE application_id = $1 AND decision IN ('approved', 'rejected')
                ORDER BY created_at DESC LIMIT 1
                """, [application.id]
            ).first
            if let outcome, try outcome.decode(String.self, at: 0) == "approved" {
                throw AppealRefusal(
                    422, "application_approved", "the application was approved; there is nothing to appeal")
            } else if let outcome {
                guard let delivered = try outcome.decode(Date?.self, at: 1) else {
                    throw AppealRefusal(422, "rejection_not_delivered", "the rejection has not reached the citizen yet")
                }
                base = CivilDate(delivered)
                trigger = "rejection"
            } else if let clock = try connection.query(
                "SELECT due_on, state FROM application_clocks WHERE application_id = $1 AND kind = 'time_limit'",
                [application.id]
            ).first {
                let due = try clock.decode(CivilDate.self, at: 0)
                guard try clock.decode(String.self, at: 1) == "lapsed" || due < today else {
                    throw AppealRefusal(
                        422, "time_limit_running",
                        "the time limit runs until \(due); a first appeal is possible after a rejection or after that day"
                    )
                }
                base = due
                trigger = "lapse"
            } else {
                throw AppealRefusal(
                    422, "no_appealable_event", "the application has neither a rejection nor a registered time limit")
            }
            end = base.adding(days: rule.fileDays)
        } else {
            authority =
                level == 2 ? serviceRule.secondAppellate : Authority(role: "COMMISSION", office: application.state)
            guard
                let previous = try Appeal.query(
                    where: "ap.application_id = $1 AND ap.level = $2", [application.id, level - 1], on: connection
                ).first
            else {
                throw AppealRefusal(
                    422, "previous_level_missing", "a level \(level) appeal needs a level \(level - 1) appeal first",
                    field: "level")
            }
            switch previous.status {
            case "decided" where previous.decision == "allowed":
                guard
                    let clock = try connection.query(
                        "SELECT due_on, state FROM application_clocks WHERE appeal_id = $1 AND kind = 'directed'",
                        [previous.id]
                    ).first
                else {
                    throw AppealRefusal(
                        422, "directed_delivery_running",
                        "the order on appeal \(previous.number) directed the service to be provided")
                }
                let due = try clock.decode(CivilDate.self, at: 0), state = try clock.decode(String.self, at: 1)
                let met =
                    try connection.query(
                        "SELECT 1 FROM deliveries WHERE application_id = $1 AND decision = 'approved'", [application.id]
                    ).first != nil
                if met || state == "met" {
                    throw AppealRefusal(
                        422, "service_provided", "the service was provided after appeal \(previous.number)")
                }
                guard state == "lapsed" || due < today else {
                    throw AppealRefusal(
                        422, "directed_delivery_running",
                        "the order on appeal \(previous.number) gives the officer until \(due) to provide the service")
                }
                base = due
                trigger = "non_compliance"
                end = base.adding(days: rule.fileDays)
            case "decided", "not_admitted":
                base = previous.decidedOn ?? previous.filedOn
                trigger = "order"
                end = base.adding(days: rule.fileDays)
            default:
                guard today > previous.decideBy else {
                    throw AppealRefusal(
                        422, "previous_appeal_pending",
                        "appeal \(previous.number) is to be decided by \(previous.decideBy); a level \(level) appeal is possible after its order or after that day"
                    )
                }
                trigger = "no_order"
                end = Self.noOrderWindowEnd(after: previous, rule: rule)
                base = end.adding(days: -rule.fileDays)
            }
        }
        let lateEnd = rule.lateDays.map { base.adding(days: $0) }
        if today > end {
            guard let lateEnd, today <= lateEnd else {
                throw AppealRefusal(422, "filing_window_closed", "the last day to file was \(lateEnd ?? end)")
            }
        }
        return (
            FilingAssessment(
                level: level, trigger: trigger, base: base, windowEndsOn: end, lateEndsOn: lateEnd, isLate: today > end,
                authority: authority), rule
        )
    }

    func serviceRule(for application: AppealableApplication, on connection: Connection) throws -> ServiceRule {
        if let ruleID = try connection.query(
            "SELECT rule_id FROM application_clocks WHERE application_id = $1 AND kind = 'time_limit'", [application.id]
        )
        .first?.decode(Int64?.self, at: 0),
            let rule = try Catalogue.rule(id: ruleID, office: application.office, on: connection)
        {
            return rule
        }
        let day = CivilDate(application.completedAt ?? application.createdAt)
        guard
            let rule = try Catalogue.rule(
                service: application.service, office: application.office, on: day, bandValue: application.bandValue,
                on: connection)
        else {
            throw AppealRefusal(
                422, "service_not_in_catalogue",
                "service \(application.service) at office \(application.office) is not in the catalogue")
        }
        return rule
    }

    /// A filing request.
    package struct Filing: Sendable {
        package var level: Int
        package var grounds: String
        package var relief: String?
        package var delayReason: String?
        package var via: String
        package var isTest: Bool
        package var actor: String
        /// An appeal as filed: its level, grounds, the relief sought, the reason for a delay, the channel it came by, whether it is a test, and who filed it.
        package init(
            level: Int, grounds: String, relief: String? = nil, delayReason: String? = nil, via: String, isTest: Bool,
            actor: String
        ) {
            self.level = level
            self.grounds = grounds
            self.relief = relief
            self.delayReason = delayReason
            self.via = via
            self.isTest = isTest
            self.actor = actor
        }
    }

    /// Files an appeal: one appeal per application and level (a concurrent second filing is 409), an
    /// appeal number, the decision deadline, a history row and the acknowledgement on every channel.
    /// `department` and `offices` limit the filing to an API key's scope (empty offices: every office); an application
    /// outside it is answered like one that does not exist.
    /// - Throws: `AppealRefusal` naming the rule that refuses the filing (409 for a second filing at the level); `PostgresError` from the database.
    package func file(
        portalID: String, _ filing: Filing, department: String? = nil, offices: [String] = [], mobile: String? = nil,
        now: Date,
        on connection: Connection
    ) throws -> Appeal {
        try connection.transaction { tx in
            guard let application = try AppealableApplication.find(portalID: portalID, on: tx, lock: true) else {
                throw AppealRefusal(404, "unknown_application", "no application \(portalID)")
            }
            if let department,
                application.department != department || !(offices.isEmpty || offices.contains(application.office))
            {
                throw AppealRefusal(404, "unknown_application", "no application \(portalID) for this API key")
            }
            if let mobile, application.citizenMobile != mobile {
                throw AppealRefusal(404, "unknown_application", "no application \(portalID) for this number")
            }
            let (assessment, rule) = try assess(application, level: filing.level, now: now, on: tx)
            let delayReason = filing.delayReason?.trimmingCharacters(in: .whitespacesAndNewlines)
            if assessment.isLate && (delayReason ?? "").isEmpty {
                throw AppealRefusal(
                    422, "late_reason_required",
                    "the window closed on \(assessment.windowEndsOn); a late appeal up to \(assessment.lateEndsOn.map(\.description) ?? "-") needs a reason for the delay",
                    field: "delay_reason")
            }
            return try record(
                application, assessment, rule: rule, filing: filing, delayReason: assessment.isLate ? delayReason : nil,
                now: now, on: tx)
        }
    }

    /// Inserts an assessed appeal with its number and decision deadline, its history row and the acknowledgement.
    func record(
        _ application: AppealableApplication, _ assessment: FilingAssessment, rule: AppealRule, filing: Filing,
        delayReason: String?,
        now: Date, on tx: Connection
    ) throws -> Appeal {
        let today = CivilDate(now)
        let calendar = try DeadlineCalendar.load(
            state: application.state, office: application.office, service: application.service, on: tx)
        let decideBy = calendar.due(from: today, days: rule.decideDays, unit: rule.unit)
        let sequence = try tx.query("SELECT nextval('appeal_number_seq')").first?.decode(Int64.self, at: 0) ?? 0
        let number =
            "RTS-\(application.state)-\(filing.level)-\(today.components.year)-" + String(format: "%06lld", sequence)
        guard
            let id = try tx.query(
                """
                INSERT INTO appeals (appeal_number, application_id, level, trigger, authority_role, authority_office, filed_at, filed_on, filed_via,
                                     grounds, relief, delay_reason, window_ends_on, is_late, decide_by, status, is_test)
                VALUES ($1, $2, $3::smallint, $4, $5, $6, $7, $8::date, $9, $10, $11, $12, $13::date, $14, $15::date, $16, $17)
                ON CONFLICT (application_id, level) DO NOTHING
                RETURNING id
                """,
                [
                    number, application.id, filing.level, assessment.trigger, assessment.authority.role,
                    assessment.authority.office, now, today,
                    filing.via, filing.grounds, filing.relief, delayReason, assessment.windowEndsOn, assessment.isLate,
                    decideBy,
                    assessment.isLate ? "awaiting_admission" : "pending", filing.isTest,
                ]
            ).first?.decode(Int64.self, at: 0)
        else {
            throw AppealRefusal(409, "appeal_exists", "an appeal at this level already exists")
        }
        try ApplicationHistory.record(
            applicationID: application.id, appealID: id, event: "appeal_filed", actor: filing.actor,
            detail: [
                "appeal_number": number, "level": String(filing.level), "trigger": assessment.trigger,
                "via": filing.via,
                "late": String(assessment.isLate), "decide_by": decideBy.description,
            ], at: now, on: tx)
        let notice: AppealNotice =
            assessment.isLate
            ? .filedLate(number: number, level: filing.level)
            : .filed(number: number, level: filing.level, decideBy: decideBy)
        try notice.send(applicationID: application.id, appealID: id, isTest: filing.isTest, queue: queue, on: tx)
        return try reload(number, on: tx)
    }

    func reload(_ number: String, on tx: Connection) throws -> Appeal {
        guard let appeal = try Appeal.find(number: number, on: tx) else {
            throw AppealRefusal(404, "unknown_appeal", "no appeal \(number)")
        }
        return appeal
    }

    // MARK: The authority's steps

    /// Loads an open appeal for `officer`, locked: 404 unknown or before another authority (one answer, so numbers
    /// cannot be probed), 409 closed.
    func openAppeal(_ number: String, for officer: Authority, on tx: Connection) throws -> Appeal {
        guard let appeal = try Appeal.find(number: number, on: tx, lock: true) else {
            throw AppealRefusal(404, "unknown_appeal", "no appeal \(number)")
        }
        guard appeal.authority == officer else {
            throw AppealRefusal(404, "unknown_appeal", "no appeal \(number) before you")
        }
        guard appeal.isOpen else {
            throw AppealRefusal(409, "appeal_closed", "appeal \(number) is closed (\(appeal.status))")
        }
        return appeal
    }

    /// Admits a late appeal or refuses it with reasons.
    /// - Throws: `AppealRefusal` when the appeal is not late, already decided, or not this authority's; `PostgresError` from the database.
    package func admit(
        number: String, officer: Authority, admit: Bool, reasons: [String], actor: String, now: Date,
        on connection: Connection
    ) throws -> Appeal {
        try connection.transaction { tx in
            let appeal = try openAppeal(number, for: officer, on: tx)
            guard appeal.status == "awaiting_admission" else {
                throw AppealRefusal(409, "already_admitted", "appeal \(number) is not awaiting admission")
            }
            if admit {
                try tx.query("UPDATE appeals SET status = 'pending' WHERE id = $1", [appeal.id])
                try ApplicationHistory.record(
                    applicationID: appeal.applicationID, appealID: appeal.id, event: "appeal_admitted", actor: actor,
                    at: now, on: tx)
                try AppealNotice.filed(number: number, level: appeal.level, decideBy: appeal.decideBy)
                    .send(
                        applicationID: appeal.applicationID, appealID: appeal.id, isTest: appeal.isTest, queue: queue,
                        on: tx)
            } else {
                guard !reasons.isEmpty else {
                    throw AppealRefusal(422, "reasons_required", "refusing admission needs reasons", field: "reasons")
                }
                try tx.query(
                    "UPDATE appeals SET status = 'not_admitted', decision_reasons = $2::text[], decided_at = $3, decided_on = $4::date WHERE id = $1",
                    [appeal.id, reasons, now, CivilDate(now)])
                try ApplicationHistory.record(
                    applicationID: appeal.applicationID, appealID: appeal.id, event: "appeal_not_admitted",
                    actor: actor,
                    detail: ["reasons": reasons.joined(separator: "; ")], at: now, on: tx)
                try AppealNotice.notAdmitted(number: number, reasons: reasons)
                    .send(
                        applicationID: appeal.applicationID, appealID: appeal.id, isTest: appeal.isTest, queue: queue,
                        on: tx)
            }
            return try reload(number, on: tx)
        }
    }

    /// Fixes a hearing (in the future); the citizen is told.
    /// - Throws: `AppealRefusal` when the appeal is not open or the hearing is not in the future; `PostgresError` from the database.
    package func scheduleHearing(
        number: String, officer: Authority, at hearing: Date, actor: String, now: Date, on connection: Connection
    ) throws -> Appeal {
        try connection.transaction { tx in
            let appeal = try openAppeal(number, for: officer, on: tx)
            guard appeal.status != "awaiting_admission" else {
                throw AppealRefusal(409, "admission_pending", "admit the late appeal \(number) first")
            }
            guard hearing > now else {
                throw AppealRefusal(422, "hearing_in_past", "the hearing must be in the future", field: "hearing_at")
            }
            try tx.query(
                "UPDATE appeals SET status = 'hearing_scheduled', hearing_at = $2 WHERE id = $1", [appeal.id, hearing])
            try ApplicationHistory.record(
                applicationID: appeal.applicationID, appealID: appeal.id, event: "hearing_scheduled", actor: actor,
                detail: ["hearing_at": AppealNotice.formatInstant(hearing)], at: now, on: tx)
            try AppealNotice.hearing(number: number, at: hearing).send(
                applicationID: appeal.applicationID, appealID: appeal.id, isTest: appeal.isTest, queue: queue, on: tx)
            return try reload(number, on: tx)
        }
    }

    /// An order PDF to deliver with a decision.
    package struct OrderDocument: Sendable {
        package var fileName: String
        package var bytes: [UInt8]
        /// An order as a PDF with the file name the citizen sees.
        package init(fileName: String, bytes: [UInt8]) {
            self.fileName = fileName
            self.bytes = bytes
        }
    }

    /// Records the decision: allowed (the designated officer must deliver within `directedDays`, a new
    /// clock) or dismissed with reasons; the order PDF, when given, goes to the citizen like a certificate.
    /// - Throws: `AppealRefusal` when the appeal is not open, not this authority's, or the decision lacks what it needs; `PostgresError` from the database.
    package func decide(
        number: String, officer: Authority, allowed: Bool, reasons: [String], directedDays: Int?, order: OrderDocument?,
        actor: String, now: Date, on connection: Connection
    ) throws -> Appeal {
        try connection.transaction { tx in
            let appeal = try openAppeal(number, for: officer, on: tx)
            guard appeal.status != "awaiting_admission" else {
                throw AppealRefusal(409, "admission_pending", "admit the late appeal \(number) first")
            }
            if !allowed && reasons.isEmpty {
                throw AppealRefusal(422, "reasons_required", "a dismissal needs reasons", field: "reasons")
            }
            if allowed {
                guard let days = directedDays, (1...365).contains(days) else {
                    throw AppealRefusal(
                        422, "directed_days_required",
                        "an allowed appeal directs the officer to deliver within 1 to 365 days", field: "directed_days")
                }
            }
            var documentID: Int64?
            if let order {
                // Orders are kept for good: they are part of the appeal's record.
                documentID = try Documents.store(order.bytes, fileName: order.fileName, retentionDays: nil, on: tx)
            }
            let today = CivilDate(now)
            try tx.query(
                """
                UPDATE appeals SET status = 'decided', decision = $2, decision_reasons = $3::text[], directed_days = $4, decided_at = $5, decided_on = $6::date,
                       order_document_id = $7
                WHERE id = $1
                """,
                [
                    appeal.id, allowed ? "allowed" : "dismissed", reasons, allowed ? directedDays : nil, now, today,
                    documentID,
                ])
            try ApplicationHistory.record(
                applicationID: appeal.applicationID, appealID: appeal.id, event: "appeal_decided", actor: actor,
                detail: ["decision": allowed ? "allowed" : "dismissed", "reasons": reasons.joined(separator: "; ")],
                at: now, on: tx)
            let notice: AppealNotice
            if allowed, let days = directedDays {
                guard let application = try AppealableApplication.find(portalID: appeal.portalApplicationID, on: tx)
                else { throw AppealRefusal(404, "unknown_application", "") }
                let calendar = try DeadlineCalendar.load(
                    state: application.state, office: application.office, service: application.service, on: tx)
                let due = calendar.due(from: today, days: days, unit: .calendar)
                try tx.query(
                    """
                    INSERT INTO application_clocks (application_id, kind, appeal_id, started_on, time_limit_days, day_unit, due_on, is_test)
                    VALUES ($1, 'directed', $2, $3::date, $4, 'calendar', $5::date, $6)
                    """, [appeal.applicationID, appeal.id, today, days, due, appeal.isTest])
                try ApplicationHistory.record(
                    applicationID: appeal.applicationID, appealID: appeal.id, event: "clock_started", actor: actor,
                    detail: ["kind": "directed", "due_on": due.description], at: now, on: tx)
                notice = .allowed(number: number, deliverBy: due)
            } else {
                let next = try nextLevel(after: appeal, base: today, on: tx)
                notice = .dismissed(
                    number: number, reasons: reasons, nextLevel: next?.level, nextLastDay: next?.lastDay)
            }
            try notice.send(
                applicationID: appeal.applicationID, appealID: appeal.id, document: documentID, isTest: appeal.isTest,
                queue: queue, on: tx)
            return try reload(number, on: tx)
        }
    }

    /// The next level and its last filing day counted from `base` (an order or a missed deadline).
    func nextLevel(after appeal: Appeal, base: CivilDate, noOrder: Bool = false, on connection: Connection) throws -> (
        level: Int, lastDay: CivilDate
    )? {
        guard appeal.level < 3,
            let state = try connection.query(
                "SELECT d.state FROM applications a JOIN departments d ON d.code = a.department WHERE a.id = $1",
                [appeal.applicationID]
            ).first?.decode(String.self, at: 0),
            let rule = try AppealRule.load(state: state, level: appeal.level + 1, on: connection)
        else { return nil }
        return (
            appeal.level + 1,
            noOrder ? Self.noOrderWindowEnd(after: appeal, rule: rule) : base.adding(days: rule.fileDays)
        )
    }

    /// The last day to file at `rule`'s level when the level below gave no order: a set number of days after
    /// that appeal was filed (Maharashtra's second appeal: 45), or else `file_days` after its decision day.
    static func noOrderWindowEnd(after previous: Appeal, rule: AppealRule) -> CivilDate {
        rule.noOrderFileDays.map { previous.filedOn.adding(days: $0) } ?? previous.decideBy.adding(days: rule.fileDays)
    }

    /// A penalty the authority imposes on an officer, within the state's range.
    package struct Penalty: Sendable, Codable, Equatable {
        package var officerRole: String
        package var officerOffice: String
        package var amount: Int
        package var reason: String
        package var imposedAt: Date
        enum CodingKeys: String, CodingKey {
            case officerRole = "officer_role", officerOffice = "officer_office", amount, reason, imposedAt =
                "imposed_at"
        }
    }

    /// Records a penalty on an admitted appeal (decided or not); the designated officer by default.
    /// - Throws: `AppealRefusal` when the penalty is outside the state's range, not after a decision, or already imposed; `PostgresError` from the database.
    package func imposePenalty(
        number: String, officer: Authority, on penalized: Authority?, amount: Int, reason: String, actor: String,
        now: Date,
        on connection: Connection
    ) throws -> Penalty {
        try connection.transaction { tx in
            guard let appeal = try Appeal.find(number: number, on: tx, lock: true) else {
                throw AppealRefusal(404, "unknown_appeal", "no appeal \(number)")
            }
            guard appeal.authority == officer else {
                throw AppealRefusal(404, "unknown_appeal", "no appeal \(number) before you")
            }
            guard !["awaiting_admission", "not_admitted"].contains(appeal.status) else {
                throw AppealRefusal(409, "not_admitted", "appeal \(number) has not been admitted")
            }
            guard let application = try AppealableApplication.find(portalID: appeal.portalApplicationID, on: tx),
                let rule = try AppealRule.load(state: application.state, level: appeal.level, on: tx)
            else { throw AppealRefusal(404, "unknown_application", "") }
            guard rule.penaltyRange.contains(amount) else {
                throw AppealRefusal(
                    422, "penalty_out_of_range",
                    "a penalty is between Rs \(rule.penaltyRange.lowerBound) and Rs \(rule.penaltyRange.upperBound)",
                    field: "amount")
            }
            let target = try penalized ?? serviceRule(for: application, on: tx).designatedOfficer
            try tx.query(
                """
                INSERT INTO appeal_penalties (appeal_id, officer_role, officer_office, amount, reason, imposed_by, imposed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
                """, [appeal.id, target.role, target.office, amount, reason, actor, now])
            try ApplicationHistory.record(
                applicationID: appeal.applicationID, appealID: appeal.id, event: "penalty_imposed", actor: actor,
                detail: [
                    "officer_role": target.role, "officer_office": target.office, "amount": String(amount),
                    "reason": reason,
                ], at: now, on: tx)
            return Penalty(
                officerRole: target.role, officerOffice: target.office, amount: amount, reason: reason, imposedAt: now)
        }
    }

    // MARK: Deadlines

    /// What one sweep did.
    package struct SweepReport: Sendable, Equatable {
        package var lapsed = 0
        package var met = 0
        package var overdue = 0
        package var autoFiled = 0
        package var extended = 0
        /// Lapsed time limits whose outcome came later, recorded as met late.
        package var metLate = 0
        /// Time limits held for a shortfall on which the office decided: released by the state's rule as of the
        /// decision's day.
        package var released = 0
        /// An empty report.
        package init() {}
    }

    /// Ends clocks whose due day has passed: met when the outcome is recorded, otherwise lapsed (the
    /// citizen is told and, where the state files first appeals itself, one is filed); then marks appeals
    /// whose authority missed its deadline overdue and tells the citizen about the next level. Extensions
    /// declared since a deadline was computed move it first.
    /// - Throws: `PostgresError` from the database.
    package func sweep(now: Date, limit: Int = 500, on connection: Connection) throws -> SweepReport {
        var report = SweepReport()
        let today = CivilDate(now)
        // A decision while a shortfall held the clock releases it first, so the loop below can judge it.
        report.released = try Shortfalls.releaseDecided(limit: limit, now: now, on: connection)
        let clocks = try connection.query(
            "SELECT id FROM application_clocks WHERE state = 'running' AND due_on < $1::date AND held_on IS NULL ORDER BY due_on, id LIMIT $2",
            [today, limit]
        ).rows.map { try $0.decode(Int64.self, at: 0) }
        for clockID in clocks {
            try connection.transaction { tx in try endClock(clockID, now: now, report: &report, on: tx) }
        }
        let appeals = try connection.query(
            """
            SELECT id FROM appeals WHERE status IN ('awaiting_admission', 'pending', 'hearing_scheduled') AND overdue_at IS NULL AND decide_by < $1::date
            ORDER BY decide_by, id LIMIT $2
            """, [today, limit]
        ).rows.map { try $0.decode(Int64.self, at: 0) }
        for appealID in appeals {
            try connection.transaction { tx in try markOverdue(appealID, now: now, report: &report, on: tx) }
        }
        report.metLate = try recordLateService(now: now, limit: limit, on: connection)
        return report
    }

    /// Lapsed time limits whose outcome has since been recorded: each is marked met late once, with its history
    /// row (and so its log entry), in one statement per clock.
    func recordLateService(now: Date, limit: Int, on connection: Connection) throws -> Int {
        let late = try connection.query(
            """
            SELECT ac.id, ac.application_id, ac.due_on, min(d.created_at)
            FROM application_clocks ac JOIN deliveries d ON d.application_id = ac.application_id
            WHERE ac.state = 'lapsed' AND ac.kind = 'time_limit' AND ac.met_late_at IS NULL
              AND d.decision IN ('approved', 'rejected')
            GROUP BY ac.id ORDER BY ac.id LIMIT $1
            """, [limit]
        ).rows
        var count = 0
        for row in late {
            let clockID = try row.decode(Int64.self, at: 0)
            try connection.transaction { tx in
                guard
                    try tx.query(
                        "UPDATE application_clocks SET met_late_at = $2 WHERE id = $1 AND met_late_at IS NULL RETURNING 1",
                        [clockID, now]
                    ).first != nil
                else { return }
                try ApplicationHistory.record(
                    applicationID: try row.decode(Int64.self, at: 1), event: "time_limit_met_late",
                    actor: "appeals-service",
                    detail: [
                        "due_on": try row.decode(CivilDate.self, at: 2).description,
                        "decided_on": CivilDate(try row.decode(Date.self, at: 3)).description,
                    ], at: now, on: tx)
                count += 1
            }
        }
        return count
    }

    func endClock(_ clockID: Int64, now: Date, report: inout SweepReport, on tx: Connection) throws {
        let today = CivilDate(now)
        guard
            let row = try tx.query(
                """
                SELECT ac.application_id, ac.kind, ac.started_on, ac.time_limit_days, ac.day_unit, ac.due_on, ac.appeal_id, ac.is_test, ac.created_at,
                       a.portal_application_id
                FROM application_clocks ac JOIN applications a ON a.id = ac.application_id
                WHERE ac.id = $1 AND ac.state = 'running' FOR UPDATE OF ac SKIP LOCKED
                """, [clockID]
            ).first
        else { return }
        let applicationID = try row.decode(Int64.self, at: 0), kind = try row.decode(String.self, at: 1)
        let isTest = try row.decode(Bool.self, at: 7)
        guard let application = try AppealableApplication.find(portalID: try row.decode(String.self, at: 9), on: tx)
        else { return }
        let calendar = try DeadlineCalendar.load(
            state: application.state, office: application.office, service: application.service, on: tx)
        let due = calendar.due(
            from: try row.decode(CivilDate.self, at: 2), days: try row.decode(Int.self, at: 3),
            unit: DayUnit(rawValue: try row.decode(String.self, at: 4)) ?? .calendar)
        if due != (try row.decode(CivilDate.self, at: 5)) {
            try tx.query("UPDATE application_clocks SET due_on = $2::date WHERE id = $1", [clockID, due])
            if due >= today { report.extended += 1; return }
        }
        let outcome = try tx.query(
            """
            SELECT 1 FROM deliveries d WHERE d.application_id = $1
              AND \(Self.meetsClock(delivery: "d", kind: "$2::text", clockCreatedAt: "$3::timestamptz", dueOn: "$4::date"))
            LIMIT 1
            """, [applicationID, kind, try row.decode(Date.self, at: 8), due]
        ).first
        if outcome != nil {
            try tx.query("UPDATE application_clocks SET state = 'met' WHERE id = $1", [clockID])
            try ApplicationHistory.record(
                applicationID: applicationID, appealID: try row.decode(Int64?.self, at: 6), event: "time_limit_met",
                actor: "appeals-service",
                detail: ["kind": kind, "due_on": due.description], at: now, on: tx)
            report.met += 1
            return
        }
        try tx.query("UPDATE application_clocks SET state = 'lapsed', lapsed_at = $2 WHERE id = $1", [clockID, now])
        report.lapsed += 1
        if kind == "time_limit" {
            try ApplicationHistory.record(
                applicationID: applicationID, event: "time_limit_lapsed", actor: "appeals-service",
                detail: ["due_on": due.description], at: now, on: tx)
            let rule = try AppealRule.load(state: application.state, level: 1, on: tx)
            try AppealNotice.timeLimitLapsed(dueOn: due, lastDay: due.adding(days: rule?.fileDays ?? 30))
                .send(applicationID: applicationID, appealID: nil, isTest: isTest, queue: queue, on: tx)
            let automatic =
                try tx.query(
                    "SELECT auto_first_appeal FROM appeal_state_settings WHERE state = $1", [application.state]
                ).first?.decode(Bool.self, at: 0) ?? false
            if automatic,
                try tx.query("SELECT 1 FROM appeals WHERE application_id = $1 AND level = 1", [applicationID]).first
                    == nil
            {
                // Same transaction: the lapse and the automatic appeal commit together.
                try fileAutomatically(application, due: due, isTest: isTest, now: now, on: tx)
                report.autoFiled += 1
            }
        } else if let appealID = try row.decode(Int64?.self, at: 6),
            let appeal = try Appeal.query(where: "ap.id = $1", [appealID], on: tx).first
        {
            try ApplicationHistory.record(
                applicationID: applicationID, appealID: appealID, event: "directed_delivery_lapsed",
                actor: "appeals-service",
                detail: ["due_on": due.description], at: now, on: tx)
            let next = try nextLevel(after: appeal, base: due, on: tx)
            try AppealNotice.directedLapsed(
                number: appeal.number, deliverBy: due, nextLevel: next?.level, nextLastDay: next?.lastDay
            )
            .send(applicationID: applicationID, appealID: appealID, isTest: isTest, queue: queue, on: tx)
        }
    }

    func fileAutomatically(
        _ application: AppealableApplication, due: CivilDate, isTest: Bool, now: Date, on tx: Connection
    ) throws {
        guard let rule = try AppealRule.load(state: application.state, level: 1, on: tx) else { return }
        let assessment = FilingAssessment(
            level: 1, trigger: "lapse", base: due, windowEndsOn: due.adding(days: rule.fileDays), lateEndsOn: nil,
            isLate: false, authority: try serviceRule(for: application, on: tx).firstAppellate)
        let filing = Filing(
            level: 1, grounds: "Filed automatically: the time limit ended on \(due) without a decision.", via: "auto",
            isTest: isTest,
            actor: "appeals-service")
        _ = try record(application, assessment, rule: rule, filing: filing, delayReason: nil, now: now, on: tx)
    }

    func markOverdue(_ appealID: Int64, now: Date, report: inout SweepReport, on tx: Connection) throws {
        // Locked first and re-checked under the lock, so two sweeps never mark one appeal overdue (or notify) twice.
        guard
            try tx.query(
                """
                SELECT 1 FROM appeals WHERE id = $1 AND overdue_at IS NULL AND status IN ('awaiting_admission', 'pending', 'hearing_scheduled')
                FOR UPDATE SKIP LOCKED
                """, [appealID]
            ).first != nil,
            let appeal = try Appeal.query(where: "ap.id = $1", [appealID], on: tx).first,
            let application = try AppealableApplication.find(portalID: appeal.portalApplicationID, on: tx),
            let rule = try AppealRule.load(state: application.state, level: appeal.level, on: tx)
        else { return }
        let calendar = try DeadlineCalendar.load(
            state: application.state, office: application.office, service: application.service, on: tx)
        let decideBy = calendar.due(from: appeal.filedOn, days: rule.decideDays, unit: rule.unit)
        if decideBy != appeal.decideBy {
            try tx.query("UPDATE appeals SET decide_by = $2::date WHERE id = $1", [appealID, decideBy])
            if decideBy >= CivilDate(now) { report.extended += 1; return }
        }
        try tx.query("UPDATE appeals SET overdue_at = $2 WHERE id = $1", [appealID, now])
        try ApplicationHistory.record(
            applicationID: appeal.applicationID, appealID: appealID, event: "appeal_overdue", actor: "appeals-service",
            detail: [
                "decide_by": decideBy.description, "authority_role": appeal.authority.role,
                "authority_office": appeal.authority.office,
            ],
            at: now, on: tx)
        let next = try nextLevel(after: appeal, base: decideBy, noOrder: true, on: tx)
        try AppealNotice.overdue(
            number: appeal.number, decideBy: decideBy, nextLevel: next?.level, nextLastDay: next?.lastDay
        )
        .send(applicationID: appeal.applicationID, appealID: appealID, isTest: appeal.isTest, queue: queue, on: tx)
        report.overdue += 1
    }
}

extension AppealsDesk {
    /// Open appeals past their decision day, grouped by authority (role and office); one office or all.
    /// - Throws: `PostgresError` from the database.
    package static func overdue(office: String?, today: CivilDate, on connection: Connection) throws -> [(
        authority: Authority, numbers: [String], oldest: CivilDate
    )] {
        try connection.query(
            """
            SELECT authority_role, authority_office, array_agg(appeal_number ORDER BY decide_by, id), min(decide_by)
            FROM appeals
            WHERE status IN ('awaiting_admission', 'pending', 'hearing_scheduled') AND (overdue_at IS NOT NULL OR decide_by < $2::date)
              AND ($1::text IS NULL OR authority_office = $1)
            GROUP BY authority_role, authority_office ORDER BY authority_office, authority_role
            """, [office, today]
        ).rows.map { row in
            (
                Authority(role: try row.decode(String.self, at: 0), office: try row.decode(String.self, at: 1)),
                try row.decode([String].self, at: 2), try row.decode(CivilDate.self, at: 3)
            )
        }
    }
}
