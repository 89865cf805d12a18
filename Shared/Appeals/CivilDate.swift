import Foundation
import Postgres

/// A day on the Indian calendar (IST, UTC+05:30, no daylight saving): the unit every RTS period counts in.
package struct CivilDate: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    /// Days since 1970-01-01.
    package var dayNumber: Int

    /// The day `dayNumber` days after 1970-01-01.
    package init(dayNumber: Int) { self.dayNumber = dayNumber }

    /// The date `year-month-day`; nil when there is no such day.
    package init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1, day <= Self.daysIn(month: month, year: year) else { return nil }
        // Days from civil (Howard Hinnant's algorithm).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        dayNumber = era * 146_097 + doe - 719_468
    }

    /// Parses `YYYY-MM-DD`.
    package init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// The IST day that contains `instant`.
    package init(_ instant: Date) {
        let seconds = Int(floor(instant.timeIntervalSince1970)) + Self.istOffsetSeconds
        dayNumber = Int(floor(Double(seconds) / 86_400))
    }

    static let istOffsetSeconds = 19_800

    package var components: (year: Int, month: Int, day: Int) {
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// ISO weekday: 1 = Monday … 7 = Sunday.
    package var isoWeekday: Int { ((dayNumber % 7 + 7 + 3) % 7) + 1 }

    /// The day `days` later (earlier when negative).
    package func adding(days: Int) -> CivilDate { CivilDate(dayNumber: dayNumber + days) }

    /// Days from `self` to `other` (positive when `other` is later).
    package func days(to other: CivilDate) -> Int { other.dayNumber - dayNumber }

    /// The last instant of this day in IST, for "by the end of the day" comparisons.
    package var endOfDay: Date {
        Date(timeIntervalSince1970: Double((dayNumber + 1) * 86_400 - Self.istOffsetSeconds) - 0.000_001)
    }

    /// `YYYY-MM-DD`.
    package var description: String {
        let (y, m, d) = components
        return String(format: "%04d-%02d-%02d", y, m, d)
    }

    /// `DD-MM-YYYY`, as dates are written to citizens in India.
    package var indianFormat: String {
        let (y, m, d) = components
        return String(format: "%02d-%02d-%04d", d, m, y)
    }

    package static func < (lhs: CivilDate, rhs: CivilDate) -> Bool { lhs.dayNumber < rhs.dayNumber }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    package init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = CivilDate(text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "expected a date as YYYY-MM-DD"))
        }
        self = date
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension CivilDate: PostgresEncodable, PostgresDecodable {
    /// Bound as `YYYY-MM-DD` text; cast with `$n::date` where the type is not inferred.
    package var postgresBind: PostgresBind { .text(description) }
    package static func decode(postgresText text: String?) -> CivilDate? { text.flatMap { CivilDate($0) } }
}
