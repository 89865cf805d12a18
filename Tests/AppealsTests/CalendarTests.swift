import Appeals
import Foundation
import Testing

@Suite("Deadline calendar")
struct CalendarTests {
    func day(_ text: String) throws -> CivilDate { try #require(CivilDate(text)) }

    @Test("civil dates round-trip, know their weekday and take the IST day of an instant")
    func civilDates() throws {
        let date = try day("2026-01-02")
        #expect(date.description == "2026-01-02")
        #expect(date.isoWeekday == 5, "2 January 2026 is a Friday")
        #expect(try day("2024-02-29").adding(days: 1).description == "2024-03-01")
        #expect(CivilDate("2025-02-29") == nil)
        #expect(CivilDate("2025-1-02") == nil)
        // 18:29:59 UTC is 23:59:59 IST the same day; 18:30 UTC is already the next day in India.
        let evening = try #require(ISO8601DateFormatter().date(from: "2026-01-02T18:29:59Z"))
        #expect(CivilDate(evening) == date)
        #expect(CivilDate(evening.addingTimeInterval(1)) == date.adding(days: 1))
        #expect(
            CivilDate(date.endOfDay) == date
                && CivilDate(date.endOfDay.addingTimeInterval(0.01)) == date.adding(days: 1))
        #expect(date.indianFormat == "02-01-2026")
    }

    @Test("calendar days count every day after the start")
    func calendarDays() throws {
        let calendar = DeadlineCalendar()
        #expect(calendar.due(from: try day("2026-01-05"), days: 15, unit: .calendar) == (try day("2026-01-20")))
        #expect(calendar.due(from: try day("2026-01-31"), days: 30, unit: .calendar) == (try day("2026-03-02")))
    }

    @Test("working days skip weekly days off, holidays and paused days")
    func workingDays() throws {
        let start = try day("2026-01-02")  // a Friday
        #expect(DeadlineCalendar().due(from: start, days: 7, unit: .working) == (try day("2026-01-13")))
        let holiday = DeadlineCalendar(holidays: [try day("2026-01-07")])
        #expect(
            holiday.due(from: start, days: 7, unit: .working) == (try day("2026-01-14")), "the holiday does not count")
        #expect(
            holiday.due(from: start, days: 7, unit: .calendar) == (try day("2026-01-09")),
            "calendar days ignore holidays")
        var paused = holiday
        paused.extensions = [.init(kind: .pause, period: try day("2026-01-08")...(try day("2026-01-09")))]
        #expect(
            paused.due(from: start, days: 7, unit: .working) == (try day("2026-01-16")),
            "paused days do not count either")
        #expect(paused.due(from: start, days: 7, unit: .calendar) == (try day("2026-01-11")))
    }

    @Test("an extension adds its days to clocks running during it, and only to those")
    func extensions() throws {
        let start = try day("2026-01-05")
        let during = DeadlineCalendar(extensions: [
            .init(kind: .extend, period: try day("2026-01-10")...(try day("2026-01-12")), extraDays: 10)
        ])
        #expect(during.due(from: start, days: 15, unit: .calendar) == (try day("2026-01-30")))
        let onDueDay = DeadlineCalendar(extensions: [
            .init(kind: .extend, period: try day("2026-01-20")...(try day("2026-01-25")), extraDays: 10)
        ])
        #expect(
            onDueDay.due(from: start, days: 15, unit: .calendar) == (try day("2026-01-30")),
            "in force on the last day still extends")
        let after = DeadlineCalendar(extensions: [
            .init(kind: .extend, period: try day("2026-01-21")...(try day("2026-01-25")), extraDays: 10)
        ])
        #expect(
            after.due(from: start, days: 15, unit: .calendar) == (try day("2026-01-20")),
            "an extension after the clock ended changes nothing")
        let before = DeadlineCalendar(extensions: [
            .init(kind: .extend, period: try day("2026-01-01")...(try day("2026-01-05")), extraDays: 10)
        ])
        #expect(
            before.due(from: start, days: 15, unit: .calendar) == (try day("2026-01-20")),
            "one that ended on the start day changes nothing")
    }
}
