import Appeals
import Cryptography
import Foundation
import Postgres
import Testing
import TestSupport
import TransparencyLog

/// Every period of the Maharashtra defaults at its boundary days: the last valid day and the first invalid one.
@Suite("Appeal periods at their boundaries", .serialized)
struct DeadlineTests {
    typealias F = AppealsFixture

    @Test(
        "first appeal on a rejection: day 30 on time, day 31 late with a reason, day 90 the last late day, day 91 closed"
    )
    func firstAppealAfterRejection() throws {
        let f = try F()
        let delivered = F.day("2026-01-05")
        for id in ["R30", "R31", "R90", "R91"] {
            try f.application(id)
            try f.outcome(id, "rejected", deliveredOn: delivered)
        }
        let onTime = try f.file("R30", level: 1, on: "2026-02-04")
        #expect(onTime.status == "pending" && !onTime.isLate && onTime.trigger == "rejection")
        #expect(onTime.windowEndsOn == F.day("2026-02-04"))
        #expect(onTime.decideBy == F.day("2026-03-06"), "decided within 30 days of filing")
        #expect(onTime.authority == f.haveliFAA)
        #expect(onTime.number.hasPrefix("RTS-MH-1-2026-"))

        #expect(f.refusal { try f.file("R31", level: 1, on: "2026-02-05") }?.rule == "late_reason_required")
        #expect(f.refusal { try f.file("R31", level: 1, on: "2026-02-05") }?.field == "delay_reason")
        let late = try f.file("R31", level: 1, on: "2026-02-05", delayReason: "I was in hospital.")
        #expect(late.status == "awaiting_admission" && late.isLate)
        #expect(try f.file("R90", level: 1, on: "2026-04-05", delayReason: "Flood in the village.").isLate)
        #expect(
            f.refusal { try f.file("R91", level: 1, on: "2026-04-06", delayReason: "Any reason.") }?.rule
                == "filing_window_closed")
        #expect(try f.notices("R30") == ["appeal_filed"])
        #expect(try f.notices("R31") == ["appeal_filed_late"])
        #expect(try f.notices("R91").isEmpty, "a refused filing writes nothing")
        #expect(try f.history("R30") == ["appeal_filed"])
    }

    @Test("the time limit lapses the day after the due day; the first appeal runs 30 days from the due day")
    func lapse() throws {
        let f = try F()
        let application = try f.application("L1")
        let clock = try f.connection.transaction { tx in
            try f.desk.startClock(
                application: application, completedAt: F.noon("2026-01-05"), bandValue: nil, isTest: true,
                actor: "test", now: F.noon("2026-01-05"), on: tx)
        }
        #expect(clock.dueOn == F.day("2026-01-20") && clock.timeLimitDays == 15 && clock.dayUnit == "calendar")
        #expect(f.refusal { try f.file("L1", level: 1, on: "2026-01-20") }?.rule == "time_limit_running")
        #expect(
            try f.desk.sweep(now: F.noon("2026-01-20"), on: f.connection).lapsed == 0,
            "the due day itself is still in time")
        #expect(try f.desk.sweep(now: F.noon("2026-01-21"), on: f.connection).lapsed == 1)
        #expect(try f.desk.sweep(now: F.noon("2026-01-22"), on: f.connection).lapsed == 0, "a lapse is recorded once")
        #expect(try f.notices("L1") == ["time_limit_lapsed"])
        let text = try #require(
            try f.connection.query("SELECT reasons[1] FROM deliveries WHERE notice = 'time_limit_lapsed'").first?
                .decode(String.self, at: 0))
        #expect(
            text.contains("20-01-2026") && text.contains("19-02-2026"),
            "Marathi notice with the due day and the last day to appeal: \(text)")
        let appeal = try f.file("L1", level: 1, on: "2026-02-19")
        #expect(appeal.trigger == "lapse" && !appeal.isLate)
        try f.application("L2")
        _ = try f.connection.transaction { tx in
            try f.desk.startClock(
                application: try AppealableApplication.find(portalID: "L2", on: tx)!, completedAt: F.noon("2026-01-05"),
                bandValue: nil, isTest: true, actor: "test", now: F.noon("2026-01-05"), on: tx)
        }
        _ = try f.desk.sweep(now: F.noon("2026-01-21"), on: f.connection)
        #expect(f.refusal { try f.file("L2", level: 1, on: "2026-02-20") }?.rule == "late_reason_required")
        #expect(try f.history("L1") == ["clock_started", "time_limit_lapsed", "appeal_filed"])
    }

    @Test("a clock met by its outcome never lapses")
    func met() throws {
        let f = try F()
        let application = try f.application("M1")
        _ = try f.connection.transaction { tx in
            try f.desk.startClock(
                application: application, completedAt: F.noon("2026-01-05"), bandValue: nil, isTest: true,
                actor: "test", now: F.noon("2026-01-05"), on: tx)
        }
        try f.outcome("M1", "approved", deliveredOn: F.day("2026-01-19"))
        #expect(try f.desk.clocks(applicationID: application.id, on: f.connection).first?.state == "met")
        let report = try f.desk.sweep(now: F.noon("2026-01-25"), on: f.connection)
        #expect(report.met == 1 && report.lapsed == 0)
        #expect(try f.history("M1") == ["clock_started", "time_limit_met"])
        #expect(f.refusal { try f.file("M1", level: 1, on: "2026-01-25") }?.rule == "application_approved")
    }

    @Test("working days across a holiday and a pause declared while the clock runs")
    func workingDaysWithHolidayAndExtension() throws {
        let f = try F()
        try f.connection.query("INSERT INTO holidays (calendar, day, name) VALUES ('MH', '2026-01-07', 'Test holiday')")
        let application = try f.application("W1", service: "BIRTH_REG", office: "ZP-YAVATMAL")
        let clock = try f.connection.transaction { tx in
            try f.desk.startClock(
                application: application, completedAt: F.noon("2026-01-02"), bandValue: nil, isTest: true,
                actor: "test", now: F.noon("2026-01-02"), on: tx)
        }
        #expect(
            clock.dueOn == F.day("2026-01-14"),
            "7 working days from Friday 2 January, skipping the weekend and the holiday")
        try f.connection.query(
            """
            INSERT INTO time_limit_extensions (state, kind, starts_on, ends_on, reason) VALUES ('MH', 'pause', '2026-01-08', '2026-01-09', 'Local body elections')
            """)
        let report = try f.desk.sweep(now: F.noon("2026-01-15"), on: f.connection)
        #expect(report.lapsed == 0 && report.extended == 1)
        #expect(try f.desk.clocks(applicationID: application.id, on: f.connection).first?.dueOn == F.day("2026-01-16"))
        #expect(try f.desk.sweep(now: F.noon("2026-01-16"), on: f.connection).lapsed == 0, "last valid day")
        #expect(try f.desk.sweep(now: F.noon("2026-01-17"), on: f.connection).lapsed == 1, "first day past it")
    }

    @Test(
        "second appeal: after the first's order (30 days, no late filing) or without one (day 31 to day 45 after filing)"
    )
    func secondAppeal() throws {
        let f = try F()
        for id in ["S1", "S2", "S3", "S4", "S5"] {
            try f.application(id)
            try f.outcome(id, "rejected", deliveredOn: F.day("2026-01-05"))
            _ = try f.file(id, level: 1, on: "2026-01-10")
        }
        #expect(
            f.refusal { try f.file("S1", level: 2, on: "2026-02-09") }?.rule == "previous_appeal_pending",
            "the first appeal's last decision day")
        let noOrder = try f.file("S1", level: 2, on: "2026-02-10")
        #expect(
            noOrder.trigger == "no_order" && noOrder.windowEndsOn == F.day("2026-02-24")
                && noOrder.authority == f.haveliSAA)
        #expect(noOrder.decideBy == F.day("2026-03-27"), "decided within 45 days")
        #expect(try !f.file("S2", level: 2, on: "2026-02-24").isLate)
        #expect(
            f.refusal { try f.file("S3", level: 2, on: "2026-02-25", delayReason: "x") }?.rule == "filing_window_closed"
        )

        for id in ["S4", "S5"] {
            let application = try #require(try AppealableApplication.find(portalID: id, on: f.connection))
            let number = try #require(try Appeal.all(applicationID: application.id, on: f.connection).first?.number)
            _ = try f.desk.decide(
                number: number, officer: f.haveliFAA, allowed: false, reasons: ["income above the limit"],
                directedDays: nil, order: nil,
                actor: "test", now: F.noon("2026-01-20"), on: f.connection)
        }
        let afterOrder = try f.file("S4", level: 2, on: "2026-02-19")
        #expect(afterOrder.trigger == "order" && afterOrder.windowEndsOn == F.day("2026-02-19"))
        #expect(
            f.refusal { try f.file("S5", level: 2, on: "2026-02-20", delayReason: "x") }?.rule == "filing_window_closed"
        )
    }

    @Test("third appeal to the Commission: 60 days from the second's order or from its missed deadline")
    func thirdAppeal() throws {
        let f = try F()
        for id in ["T1", "T2", "T3", "T4"] {
            try f.application(id)
            try f.outcome(id, "rejected", deliveredOn: F.day("2026-01-05"))
            let first = try f.file(id, level: 1, on: "2026-01-10")
            _ = try f.desk.decide(
                number: first.number, officer: f.haveliFAA, allowed: false, reasons: ["no"], directedDays: nil,
                order: nil, actor: "t",
                now: F.noon("2026-01-20"), on: f.connection)
            _ = try f.file(id, level: 2, on: "2026-01-25")
        }
        for id in ["T1", "T2"] {
            let second = try #require(
                try Appeal.query(where: "a.portal_application_id = $1 AND ap.level = 2", [id], on: f.connection).first)
            _ = try f.desk.decide(
                number: second.number, officer: f.haveliSAA, allowed: false, reasons: ["no"], directedDays: nil,
                order: nil, actor: "t",
                now: F.noon("2026-03-01"), on: f.connection)
        }
        let commission = try f.file("T1", level: 3, on: "2026-04-30")
        #expect(
            commission.authority == Authority(role: "COMMISSION", office: "MH")
                && commission.decideBy == F.day("2026-07-29"))
        #expect(f.refusal { try f.file("T2", level: 3, on: "2026-05-01") }?.rule == "filing_window_closed")
        // No order: the second appeal filed 25 January is due 11 March; the Commission window runs to 10 May.
        #expect(f.refusal { try f.file("T3", level: 3, on: "2026-03-11") }?.rule == "previous_appeal_pending")
        #expect(try f.file("T3", level: 3, on: "2026-05-10").trigger == "no_order")
        #expect(f.refusal { try f.file("T4", level: 3, on: "2026-05-11") }?.rule == "filing_window_closed")
    }

    @Test(
        "an authority that misses its day is overdue the day after; the citizen hears about the next level, and the last level says so"
    )
    func overdue() throws {
        let f = try F()
        try f.application("O1")
        try f.outcome("O1", "rejected", deliveredOn: F.day("2026-01-05"))
        let first = try f.file("O1", level: 1, on: "2026-01-10")
        #expect(try f.desk.sweep(now: F.noon("2026-02-09"), on: f.connection).overdue == 0)
        #expect(try f.desk.sweep(now: F.noon("2026-02-10"), on: f.connection).overdue == 1)
        #expect(try f.desk.sweep(now: F.noon("2026-02-11"), on: f.connection).overdue == 0, "once")
        let text = try #require(
            try f.connection.query(
                "SELECT reasons[1] FROM deliveries WHERE notice = 'appeal_overdue' AND language = 'mr'"
            ).first?.decode(String.self, at: 0))
        #expect(text.contains(first.number) && text.contains("24-02-2026") && text.contains("द्वितीय अपील"), "\(text)")
        #expect(
            try AppealsDesk.overdue(office: "HAVELI", today: F.day("2026-02-11"), on: f.connection).first?.numbers == [
                first.number
            ])
        let second = try f.file("O1", level: 2, on: "2026-02-12")
        _ = try f.desk.sweep(now: second.decideBy.adding(days: 1).endOfDay.addingTimeInterval(-3600), on: f.connection)
        let third = try f.file("O1", level: 3, on: second.decideBy.adding(days: 2).description)
        _ = try f.desk.sweep(now: F.noon(third.decideBy.adding(days: 1)), on: f.connection)
        let last = try #require(
            try f.connection.query(
                "SELECT reasons[1] FROM deliveries WHERE notice = 'appeal_overdue' ORDER BY created_at DESC LIMIT 1"
            ).first?.decode(String.self, at: 0))
        #expect(last.contains("अपिलाचा शेवटचा स्तर"), "\(last)")
        #expect(try f.notices("O1").filter { $0 == "appeal_overdue" }.count == 3)
    }

    @Test("where the state files first appeals itself, the lapse files one: notice and acknowledgement, once")
    func automaticFirstAppeal() throws {
        let f = try F(autoAppeal: true)
        let application = try f.application("H1")
        _ = try f.connection.transaction { tx in
            try f.desk.startClock(
                application: application, completedAt: F.noon("2026-01-05"), bandValue: nil, isTest: true,
                actor: "test", now: F.noon("2026-01-05"), on: tx)
        }
        #expect(try f.desk.sweep(now: F.noon("2026-01-21"), on: f.connection).autoFiled == 1)
        #expect(try f.desk.sweep(now: F.noon("2026-01-22"), on: f.connection).autoFiled == 0)
        let appeal = try #require(try Appeal.all(applicationID: application.id, on: f.connection).first)
        #expect(
            appeal.filedVia == "auto" && appeal.trigger == "lapse" && appeal.status == "pending"
                && appeal.authority == f.haveliFAA)
        #expect(appeal.decideBy == F.day("2026-02-20"))
        #expect(try f.notices("H1") == ["appeal_filed", "time_limit_lapsed"])
        #expect(try f.history("H1") == ["clock_started", "time_limit_lapsed", "appeal_filed"])
    }

    @Test("an allowed appeal starts a clock; when the officer does not deliver, the citizen may go to the next level")
    func directedDeliveryLapses() throws {
        let f = try F()
        try f.application("N1")
        try f.outcome("N1", "rejected", deliveredOn: F.day("2026-01-05"))
        let first = try f.file("N1", level: 1, on: "2026-01-10")
        _ = try f.desk.decide(
            number: first.number, officer: f.haveliFAA, allowed: true, reasons: [], directedDays: 10, order: nil,
            actor: "t",
            now: F.noon("2026-01-15"), on: f.connection)
        #expect(f.refusal { try f.file("N1", level: 2, on: "2026-01-25") }?.rule == "directed_delivery_running")
        #expect(try f.desk.sweep(now: F.noon("2026-01-26"), on: f.connection).lapsed == 1)
        #expect(try f.notices("N1").suffix(2) == ["appeal_allowed", "directed_delivery_lapsed"])
        let second = try f.file("N1", level: 2, on: "2026-02-24")
        #expect(second.trigger == "non_compliance" && second.windowEndsOn == F.day("2026-02-24"))
    }

    @Test(
        "decision periods in working days (a state setting) skip weekends, holidays and a pause; overdue the first working day after"
    )
    func workingDayDecisionPeriod() throws {
        let f = try F()
        try f.connection.query(
            "UPDATE appeal_rules SET day_unit = 'working', decide_days = 10 WHERE state = 'MH' AND level = 1")
        try f.connection.query("INSERT INTO holidays (calendar, day, name) VALUES ('MH', '2026-01-26', 'Republic Day')")
        try f.application("K1")
        try f.outcome("K1", "rejected", deliveredOn: F.day("2026-01-05"))
        // Filed Friday 16 January: 10 working days are 19–23, 27–30 January (26th a holiday) and 2 February.
        let appeal = try f.file("K1", level: 1, on: "2026-01-16")
        #expect(appeal.decideBy == F.day("2026-02-02"))
        try f.connection.query(
            """
            INSERT INTO time_limit_extensions (state, kind, starts_on, ends_on, reason) VALUES ('MH', 'pause', '2026-01-29', '2026-01-30', 'Cyclone warning')
            """)
        #expect(
            try f.desk.sweep(now: F.noon("2026-02-03"), on: f.connection).overdue == 0,
            "the pause moved the day to 4 February")
        #expect(
            try Appeal.all(
                applicationID: try #require(try AppealableApplication.find(portalID: "K1", on: f.connection)).id,
                on: f.connection
            ).first?.decideBy
                == F.day("2026-02-04"))
        #expect(try f.desk.sweep(now: F.noon("2026-02-04"), on: f.connection).overdue == 0, "last valid day")
        #expect(try f.desk.sweep(now: F.noon("2026-02-05"), on: f.connection).overdue == 1, "first day past it")
    }
}

@Suite("Late outcomes")
struct LateOutcomeTests {
    typealias F = AppealsFixture

    @Test(
        "an outcome after the due day does not meet the time limit: the clock lapses, the citizen is told, and the first appeal runs from the lapse"
    )
    func lateOutcomeLapses() throws {
        let f = try F()
        let application = try f.application("L1")
        _ = try f.connection.transaction { tx in
            try f.desk.startClock(
                application: application, completedAt: F.noon("2026-01-05"), bandValue: nil, isTest: true,
                actor: "test", now: F.noon("2026-01-05"), on: tx)
        }
        // Income certificate: 15 days, due 2026-01-20. The outcome comes on the 27th, before any sweep ran.
        try f.outcome("L1", "approved", deliveredOn: F.day("2026-01-27"))
        #expect(try f.desk.clocks(applicationID: application.id, on: f.connection).first?.state == "running", "not met")
        #expect(
            try f.desk.clocks(applicationID: application.id, today: F.day("2026-01-27"), on: f.connection).first?.state
                == "lapsed",
            "past its due day with no timely outcome, even before the sweep")
        let report = try f.desk.sweep(now: F.noon("2026-01-28"), on: f.connection)
        #expect(report.met == 0 && report.lapsed == 1 && report.metLate == 1)
        #expect(try f.desk.clocks(applicationID: application.id, on: f.connection).first?.state == "lapsed")
        #expect(
            try f.history("L1") == ["clock_started", "time_limit_lapsed", "time_limit_met_late"],
            "the lapse stands, and the late service is recorded too")
        // An outcome on the due day itself is in time.
        let onTime = try f.application("L2")
        _ = try f.connection.transaction { tx in
            try f.desk.startClock(
                application: onTime, completedAt: F.noon("2026-01-05"), bandValue: nil, isTest: true, actor: "test",
                now: F.noon("2026-01-05"), on: tx)
        }
        try f.outcome("L2", "approved", deliveredOn: F.day("2026-01-20"))
        #expect(try f.desk.clocks(applicationID: onTime.id, on: f.connection).first?.state == "met")
    }
}

@Suite("Clock and appeal events in the transparency log", .serialized)
struct LoggedEventTests {
    typealias F = AppealsFixture

    /// The entries waiting in the log's queue, in queue order.
    static func queued(_ f: F) throws -> [String] {
        try f.connection.query(
            "SELECT convert_from(u.e, 'UTF8') FROM log_queue q, unnest(q.entries) WITH ORDINALITY AS u(e, n) ORDER BY q.id, u.n"
        ).rows.map { try $0.decode(String.self, at: 0) }
    }

    @Test(
        "a lapse, the late outcome, an appeal and its decision are logged in order, as canonical JSON without names, numbers or reasons"
    )
    func lapseToDecision() throws {
        let f = try F(isTest: false)
        let application = try f.application("LOG-1")
        _ = try f.connection.transaction { tx in
            try f.desk.startClock(
                application: application, completedAt: F.noon("2026-01-05"), bandValue: nil, isTest: false,
                actor: "test", now: F.noon("2026-01-05"), on: tx)
        }
        #expect(try f.desk.sweep(now: F.noon("2026-01-21"), on: f.connection).lapsed == 1)
        try f.outcome("LOG-1", "rejected", deliveredOn: F.day("2026-01-23"))
        #expect(try f.desk.sweep(now: F.noon("2026-01-24"), on: f.connection).metLate == 1)
        #expect(try f.desk.sweep(now: F.noon("2026-01-25"), on: f.connection).metLate == 0, "met late once")
        let appeal = try f.file("LOG-1", level: 1, on: "2026-01-30")
        _ = try f.desk.decide(
            number: appeal.number, officer: f.haveliFAA, allowed: false, reasons: ["Secret reason of the officer"],
            directedDays: nil, order: nil, actor: "t", now: F.noon("2026-02-10"), on: f.connection)
        #expect(
            try f.history("LOG-1") == [
                "clock_started", "time_limit_lapsed", "time_limit_met_late", "appeal_filed", "appeal_decided",
            ])

        let entries = try Self.queued(f)
        let objects = try entries.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(
            objects.map { $0["type"] as? String } == [
                "clock.started", "clock.lapsed", "clock.met_late", "appeal.filed", "appeal.decision",
            ], "\(entries)")
        let salt = try #require(
            try f.connection.query("SELECT log_salt FROM applications WHERE portal_application_id = 'LOG-1'").first?
                .decode(PostgresBytes.self, at: 0).bytes)
        let commitment = SHA256.hexDigest(salt + Array("LOG-1".utf8))
        for object in objects {
            #expect(object["application"] as? String == commitment)
            #expect(object["department"] as? String == "REVENUE" && object["service"] as? String == "INCOME")
            #expect(object["office"] as? String == "HAVELI" && object["v"] as? Int == 1)
        }
        #expect(objects[0]["kind"] as? String == "time_limit" && objects[0]["time_limit_days"] as? Int == 15)
        #expect(objects[1]["due_on"] as? String == "2026-01-20")
        #expect(objects[2]["decided_on"] as? String == "2026-01-23")
        #expect(objects[3]["level"] as? Int == 1 && objects[3]["late"] as? Bool == false)
        #expect(objects[4]["decision"] as? String == "dismissed" && objects[4]["level"] as? Int == 1)
        for entry in entries {
            #expect(!entry.contains("LOG-1") && !entry.contains("RTS-") && !entry.contains("Secret"), "\(entry)")
            #expect(!entry.contains("documents were complete"), "no grounds: \(entry)")
            #expect(CanonicalJSON.isCanonical(Array(entry.utf8)), "RFC 8785: \(entry)")
        }
    }

    @Test("test traffic stays out of the log; with the log switched off nothing is queued")
    func testTrafficAndSwitch() throws {
        let f = try F()
        try f.application("T-1")
        try f.outcome("T-1", "rejected", deliveredOn: F.day("2026-01-05"))
        _ = try f.file("T-1", level: 1, on: "2026-01-10")
        #expect(try Self.queued(f).isEmpty)

        let live = try F(isTest: false)
        try live.connection.execute(script: "SET dakiya.transparency_log = off")
        try live.application("OFF-1")
        try live.outcome("OFF-1", "rejected", deliveredOn: F.day("2026-01-05"))
        _ = try live.file("OFF-1", level: 1, on: "2026-01-10")
        #expect(try live.history("OFF-1") == ["appeal_filed"])
        #expect(try Self.queued(live).isEmpty)
        try live.connection.execute(script: "RESET dakiya.transparency_log")
        try live.application("ON-1")
        try live.outcome("ON-1", "rejected", deliveredOn: F.day("2026-01-05"))
        _ = try live.file("ON-1", level: 1, on: "2026-01-10")
        #expect(try Self.queued(live).count == 1)
    }
}
