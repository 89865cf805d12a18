import Appeals
import Delivery
import Foundation
import JobQueue
import Postgres
import Testing

/// The journey's steps against the database: "received" starts the time limit, a shortfall holds it (the sweep does
/// not lapse a held clock), and the citizen's answer restarts or resumes it by the state's rule.
@Suite("Journey steps and the time limit")
struct JourneyStepsTests {
    func report(_ fixture: AppealsFixture, _ id: String, _ step: JourneyStep) -> StepReport {
        StepReport(
            applicationID: id, department: "REVENUE", service: "INCOME", office: "HAVELI", village: nil, citizen: "u1",
            offices: [], apiKeyID: fixture.keyID, isTest: true, actor: "test", step: step, language: nil, channels: nil)
    }

    /// Received on `received`, a shortfall raised on `raised` and answered on `answered`: the clock after each.
    func run(rule: String, received: String, raised: String, answered: String) throws -> (
        started: AppealsDesk.ClockView, held: AppealsDesk.ClockView, after: AppealsDesk.ClockView, moved: CivilDate?
    ) {
        let fixture = try AppealsFixture()
        try fixture.connection.query("UPDATE appeal_state_settings SET shortfall_clock = $1 WHERE state = 'MH'", [rule])
        var start = report(fixture, "J-1", .received)
        start.receivedAt = AppealsFixture.noon(received)
        let recorded = try JourneySteps.record(
            start, deliveryID: UUID(), desk: fixture.desk, queue: JobQueue(), now: AppealsFixture.noon(received),
            on: fixture.connection)
        let started = try #require(recorded.clock)
        var shortfall = report(fixture, "J-1", .documentsNeeded)
        shortfall.documents = ["Ration card"]
        shortfall.replyBy = AppealsFixture.day(answered).adding(days: 30)
        let opened = try JourneySteps.record(
            shortfall, deliveryID: UUID(), desk: fixture.desk, queue: JobQueue(), now: AppealsFixture.noon(raised),
            on: fixture.connection)
        let application = try #require(try AppealableApplication.find(portalID: "J-1", on: fixture.connection))
        // Long after the due day, the sweep leaves a held clock alone.
        if rule != "continue" {
            let swept = try fixture.desk.sweep(
                now: AppealsFixture.noon(answered).addingTimeInterval(90 * 86_400), on: fixture.connection)
            #expect(swept.lapsed == 0)
        }
        let held = try #require(
            try fixture.desk.clocks(
                applicationID: application.id, today: AppealsFixture.day(answered), on: fixture.connection
            )
            .first)
        let moved = try Shortfalls.answered(
            try #require(opened.shortfallID), actor: "test", now: AppealsFixture.noon(answered), on: fixture.connection)
        // Answered twice (a second file): the clock moves once.
        #expect(
            try Shortfalls.answered(
                opened.shortfallID!, actor: "test", now: AppealsFixture.noon(answered), on: fixture.connection)
                == nil)
        let after = try #require(
            try fixture.desk.clocks(
                applicationID: application.id, today: AppealsFixture.day(answered), on: fixture.connection
            )
            .first)
        return (started, held, after, moved)
    }

    @Test("Maharashtra (restart): the whole time limit counts again from the answer")
    func restart() throws {
        let clock = try run(rule: "restart", received: "2026-11-02", raised: "2026-11-05", answered: "2026-11-10")
        #expect(clock.started.dueOn == AppealsFixture.day("2026-11-17"), "INCOME: 15 calendar days")
        #expect(clock.held.state == "held")
        #expect(clock.after.state == "running")
        #expect(clock.after.startedOn == AppealsFixture.day("2026-11-10"))
        #expect(clock.after.dueOn == AppealsFixture.day("2026-11-25"))
        #expect(clock.moved == AppealsFixture.day("2026-11-25"))
    }

    @Test("pause: the days the shortfall was open are added to the due day")
    func pause() throws {
        let clock = try run(rule: "pause", received: "2026-11-02", raised: "2026-11-05", answered: "2026-11-10")
        #expect(clock.held.state == "held")
        #expect(clock.after.startedOn == AppealsFixture.day("2026-11-02"))
        #expect(clock.after.dueOn == AppealsFixture.day("2026-11-22"), "17th + the 5 days held (6th to 10th)")
    }

    @Test("continue: a shortfall does not touch the time limit")
    func continues() throws {
        let clock = try run(rule: "continue", received: "2026-11-02", raised: "2026-11-05", answered: "2026-11-10")
        #expect(clock.held.state == "running")
        #expect(clock.moved == nil)
        #expect(clock.after.dueOn == AppealsFixture.day("2026-11-17"))
    }

    /// Received on the 2nd (INCOME: 15 calendar days, due the 17th), documents asked for on the 5th and never sent, the
    /// office decides on `decided`: the clock after the sweep of the next day.
    func decidedWhileHeld(rule: String, decided: String) throws -> (
        shown: String, swept: AppealsDesk.SweepReport, after: AppealsDesk.ClockView, history: [String]
    ) {
        let fixture = try AppealsFixture()
        try fixture.connection.query("UPDATE appeal_state_settings SET shortfall_clock = $1 WHERE state = 'MH'", [rule])
        var start = report(fixture, "J-3", .received)
        start.receivedAt = AppealsFixture.noon("2026-11-02")
        _ = try JourneySteps.record(
            start, deliveryID: UUID(), desk: fixture.desk, queue: JobQueue(), now: AppealsFixture.noon("2026-11-02"),
            on: fixture.connection)
        var shortfall = report(fixture, "J-3", .documentsNeeded)
        shortfall.documents = ["Ration card"]
        shortfall.replyBy = AppealsFixture.day("2026-12-31")
        _ = try JourneySteps.record(
            shortfall, deliveryID: UUID(), desk: fixture.desk, queue: JobQueue(),
            now: AppealsFixture.noon("2026-11-05"),
            on: fixture.connection)
        try fixture.outcome("J-3", "rejected", deliveredOn: AppealsFixture.day(decided))
        let application = try #require(try AppealableApplication.find(portalID: "J-3", on: fixture.connection))
        let dayAfter = AppealsFixture.day(decided).adding(days: 1)
        let shown = try #require(
            try fixture.desk.clocks(applicationID: application.id, today: dayAfter, on: fixture.connection).first)
        let swept = try fixture.desk.sweep(now: AppealsFixture.noon(dayAfter), on: fixture.connection)
        // A second sweep finds nothing more to release.
        #expect(try fixture.desk.sweep(now: AppealsFixture.noon(dayAfter), on: fixture.connection).released == 0)
        let after = try #require(
            try fixture.desk.clocks(applicationID: application.id, today: dayAfter, on: fixture.connection).first)
        return (shown.state, swept, after, try fixture.history("J-3"))
    }

    @Test(
        "restart: a decision while the citizen owes documents is in time, even after the due day before the hold; the sweep releases the clock and records it met"
    )
    func decidedWhileHeldRestart() throws {
        let clock = try decidedWhileHeld(rule: "restart", decided: "2026-11-25")
        #expect(clock.shown == "met", "shown met before the sweep: under restart the limit had not begun")
        #expect(clock.swept.released == 1 && clock.swept.met == 0 && clock.swept.lapsed == 0)
        #expect(clock.after.state == "met")
        #expect(clock.after.startedOn == AppealsFixture.day("2026-11-25"))
        #expect(clock.after.dueOn == AppealsFixture.day("2026-12-10"))
        #expect(clock.history.suffix(2) == ["clock_held", "clock_restarted"])
    }

    @Test(
        "pause: a decision while held is judged with the days held added to the due day"
    )
    func decidedWhileHeldPause() throws {
        // Held from the 5th to the 25th: 20 days added to the 17th give the 7th of December; the sweep of the 26th
        // releases the clock, which runs on until its due day.
        let inTime = try decidedWhileHeld(rule: "pause", decided: "2026-11-25")
        #expect(inTime.shown == "held", "pause: judged once the sweep has added the held days")
        #expect(inTime.swept.released == 1 && inTime.swept.lapsed == 0)
        #expect(inTime.after.dueOn == AppealsFixture.day("2026-12-07"))
        #expect(inTime.after.state == "met")
        #expect(inTime.history.last == "clock_resumed")
        #expect(
            inTime.swept.met == 0, "met is recorded on the due day, as for any clock (the view shows it at once)")
    }

    @Test("a second shortfall supersedes the open one; received again with the same day changes nothing")
    func supersede() throws {
        let fixture = try AppealsFixture()
        var start = report(fixture, "J-2", .received)
        start.receivedAt = AppealsFixture.noon("2026-11-02")
        for _ in 0..<2 {
            _ = try JourneySteps.record(
                start, deliveryID: UUID(), desk: fixture.desk, queue: JobQueue(),
                now: AppealsFixture.noon("2026-11-02"), on: fixture.connection)
        }
        #expect(
            try fixture.connection.query(
                "SELECT count(*) FROM application_history WHERE event IN ('clock_started', 'clock_corrected')"
            ).first?.decode(Int.self, at: 0) == 1)
        var shortfall = report(fixture, "J-2", .documentsNeeded)
        shortfall.documents = ["Ration card"]
        shortfall.replyBy = AppealsFixture.day("2026-12-01")
        for _ in 0..<2 {
            _ = try JourneySteps.record(
                shortfall, deliveryID: UUID(), desk: fixture.desk, queue: JobQueue(),
                now: AppealsFixture.noon("2026-11-04"), on: fixture.connection)
        }
        let states = try fixture.connection.query("SELECT state FROM application_shortfalls ORDER BY id").rows.map {
            try $0.decode(String.self, at: 0)
        }
        #expect(states == ["superseded", "open"])
        #expect(JourneySteps.rupees(Decimal(string: "1234567.5")!) == "12,34,567.50")
        #expect(JourneySteps.rupees(Decimal(string: "34")!) == "34.00")
    }
}
