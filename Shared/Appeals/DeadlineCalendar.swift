import Postgres

/// How a period counts its days.
package enum DayUnit: String, Sendable, Codable, CaseIterable {
    /// Every day counts.
    case calendar
    /// Weekly days off and holidays do not count.
    case working
}

/// The calendar a clock runs on: weekly days off and holidays (for working days), and the time-limit
/// extensions in force (elections, calamities) that pause clocks or add days to them.
package struct DeadlineCalendar: Sendable, Equatable {
    /// A declared change to deadlines: a pause (days inside the period do not count) or an extension (extra days).
    package struct Extension: Sendable, Equatable {
        /// Pause or extend.
        package enum Kind: String, Sendable { case pause, extend }
        package var kind: Kind
        package var period: ClosedRange<CivilDate>
        package var extraDays: Int
        /// An extension of `kind` over `period`, adding `extraDays` when it extends.
        package init(kind: Kind, period: ClosedRange<CivilDate>, extraDays: Int = 0) {
            self.kind = kind
            self.period = period
            self.extraDays = extraDays
        }
    }

    /// ISO weekdays off (1 = Monday … 7 = Sunday).
    package var weeklyOff: Set<Int>
    package var holidays: Set<CivilDate>
    package var extensions: [Extension]

    /// A calendar with weekly days off (ISO weekdays, 6 and 7: Saturday and Sunday), holidays and extensions.
    package init(weeklyOff: Set<Int> = [6, 7], holidays: Set<CivilDate> = [], extensions: [Extension] = []) {
        self.weeklyOff = weeklyOff
        self.holidays = holidays
        self.extensions = extensions
    }

    /// True when `day` is a working day (not a weekly day off, not a holiday).
    package func isWorkingDay(_ day: CivilDate) -> Bool {
        !weeklyOff.contains(day.isoWeekday) && !holidays.contains(day)
    }

    /// The last day of a period of `days` that starts counting the day after `start`.
    ///
    /// Days inside a 'pause' extension do not count; working-day periods skip days off and holidays. Each
    /// 'extend' extension whose period overlaps the running clock adds its extra days (counted the same way).
    package func due(from start: CivilDate, days: Int, unit: DayUnit) -> CivilDate {
        var remaining = max(days, 0)
        var day = start
        var applied = Set<Int>()
        while true {
            while remaining > 0 {
                day = day.adding(days: 1)
                if counts(day, unit: unit) { remaining -= 1 }
            }
            // Extensions in force at any point of the clock so far extend it once each.
            for (index, item) in extensions.enumerated() where item.kind == .extend && !applied.contains(index) {
                if item.period.lowerBound <= day && item.period.upperBound > start {
                    applied.insert(index)
                    remaining += item.extraDays
                }
            }
            if remaining == 0 { return day }
        }
    }

    func counts(_ day: CivilDate, unit: DayUnit) -> Bool {
        if extensions.contains(where: { $0.kind == .pause && $0.period.contains(day) }) { return false }
        return unit == .calendar || isWorkingDay(day)
    }

    /// The calendar of an office (or its state's, when the office is not listed) with the extensions in
    /// force for the service there.
    /// - Throws: `PostgresError` from the database.
    package static func load(state: String, office: String, service: String?, on connection: Connection) throws
        -> DeadlineCalendar
    {
        let calendarCode =
            try connection.query("SELECT calendar FROM offices WHERE code = $1", [office]).first?.decode(
                String.self, at: 0) ?? state
        let weeklyOff =
            try connection.query("SELECT weekly_off FROM calendars WHERE code = $1", [calendarCode]).first?.decode(
                [Int].self, at: 0) ?? [6, 7]
        let holidays = try connection.query("SELECT day FROM holidays WHERE calendar = $1", [calendarCode]).rows.map {
            try $0.decode(CivilDate.self, at: 0)
        }
        let extensions = try connection.query(
            """
            SELECT kind, starts_on, ends_on, extra_days FROM time_limit_extensions
            WHERE state = $1 AND (office_code IS NULL OR office_code = $2) AND (service_code IS NULL OR service_code = $3)
            ORDER BY id
            """, [state, office, service]
        ).rows.map { row in
            Extension(
                kind: Extension.Kind(rawValue: try row.decode(String.self, at: 0)) ?? .pause,
                period: try row.decode(CivilDate.self, at: 1)...(try row.decode(CivilDate.self, at: 2)),
                extraDays: try row.decode(Int.self, at: 3))
        }
        return DeadlineCalendar(weeklyOff: Set(weeklyOff), holidays: Set(holidays), extensions: extensions)
    }
}
