import Foundation
import Postgres

/// The standard dashboard's numbers (issue 17): the same measures for every office of the hierarchy, for a day, a
/// week, a month or a financial year, beside the period before, and for each office directly below, ranked.
///
/// The numbers come from `dashboard_counts` (migration 0026): row triggers note what changed, and `refresh` (run by
/// appeals-service, one instance at a time) recomputes the facts of the changed applications and applies the
/// difference to the sums per office, day and month. A page reads at most 31 day rows or 24 month rows per office;
/// a village's day or week sums the facts of its (few hundred) applications.
package enum Dashboard {
    /// The refresher's lock: one instance at a time applies changes.
    static let lockKey: Int64 = 0x6461_6B69_6461_7368  // "dakidash"

    /// Applies the changes noted since the last refresh (or rebuilds every count when the office hierarchy changed),
    /// `batch` changes per transaction, until caught up or `maximumSteps` transactions. Returns the changes applied;
    /// nil when another instance holds the refresher's lock.
    /// - Throws: `PostgresError` from the database.
    @discardableResult
    package static func refresh(batch: Int = 5_000, maximumSteps: Int = 100, on connection: Connection) throws -> Int? {
        var total = 0
        for _ in 0..<maximumSteps {
            let taken: Int? = try connection.transaction { tx in
                guard
                    try tx.query("SELECT pg_try_advisory_xact_lock($1)", [lockKey]).first?.decode(Bool.self, at: 0)
                        == true
                else { return nil }
                return try tx.query("SELECT dashboard_refresh($1)", [batch]).first?.decode(Int.self, at: 0) ?? 0
            }
            guard let taken else { return total == 0 ? nil : total }
            total += taken
            if taken < batch { break }
        }
        return total
    }

    /// The changes waiting for the refresher.
    /// - Throws: `PostgresError` from the database.
    package static func backlog(on connection: Connection) throws -> Int {
        try connection.query("SELECT count(*) FROM dashboard_changes").first?.decode(Int.self, at: 0) ?? 0
    }

    // MARK: Periods

    /// The length of the period a page shows.
    package enum Period: String, CaseIterable, Sendable, Codable {
        case day, week, month, year
    }

    /// The days of one period, first and last included. A week runs Monday to Sunday; a year is the financial year,
    /// 1 April to 31 March.
    package struct Window: Sendable, Equatable, Codable {
        package var period: Period
        package var first: CivilDate
        package var last: CivilDate

        /// The period of kind `period` that contains `day`.
        package init(_ period: Period, containing day: CivilDate) {
            self.period = period
            let (year, month, _) = day.components
            switch period {
            case .day:
                first = day
                last = day
            case .week:
                first = day.adding(days: 1 - day.isoWeekday)
                last = first.adding(days: 6)
            case .month:
                first = CivilDate(year: year, month: month, day: 1)!
                last =
                    (month == 12
                    ? CivilDate(year: year + 1, month: 1, day: 1)! : CivilDate(year: year, month: month + 1, day: 1)!)
                    .adding(days: -1)
            case .year:
                let start = month >= 4 ? year : year - 1
                first = CivilDate(year: start, month: 4, day: 1)!
                last = CivilDate(year: start + 1, month: 3, day: 31)!
            }
        }

        /// The period just before this one.
        package var previous: Window { Window(period, containing: first.adding(days: -1)) }
        /// The period just after this one.
        package var next: Window { Window(period, containing: last.adding(days: 1)) }
        /// Month sums serve months and years; day sums serve days and weeks.
        var grain: String { period == .month || period == .year ? "m" : "d" }
    }

    // MARK: Values

    /// What a page shows for one measure: a number, nothing (no data), or suppressed (a count from 1 to 9 that
    /// could point at a person).
    package struct Value: Sendable, Equatable, Encodable {
        package var value: Double?
        package var suppressed: Bool

        /// A value as shown.
        package init(value: Double?, suppressed: Bool) {
            self.value = value
            self.suppressed = suppressed
        }

        /// No data.
        package static let none = Value(value: nil, suppressed: false)
        /// Suppressed.
        package static let hidden = Value(value: nil, suppressed: true)

        /// A count: suppressed from 1 to 9.
        package static func count(_ n: Int) -> Value {
            (1...9).contains(n) ? .hidden : Value(value: Double(n), suppressed: false)
        }

        /// `numerator` per `scale` of `denominator`, to one decimal: none without a denominator, suppressed when
        /// either count is from 1 to 9.
        package static func rate(_ numerator: Int, _ denominator: Int, scale: Double) -> Value {
            guard denominator > 0 else { return .none }
            guard !(1...9).contains(denominator), !(1...9).contains(numerator) else { return .hidden }
            return Value(
                value: (Double(numerator) * scale / Double(denominator) * 10).rounded() / 10, suppressed: false)
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(value, forKey: .value)
            try container.encode(suppressed, forKey: .suppressed)
        }
        enum Keys: String, CodingKey { case value, suppressed }
    }

    /// How a measure is counted: its unit decides how the page writes it.
    package enum Unit: String, Sendable, Encodable {
        case count, percent, days, per1000 = "per_1000", rupees
    }

    /// The measures, in the order the pages list them, with their units. Channel measures follow for each channel
    /// (`whatsapp_outcomes`, …).
    package static let measures: [(id: String, unit: Unit)] =
        [
            ("received", .count), ("disposed", .count), ("within_limit_percent", .percent),
            ("pending_within_limit", .count), ("pending_past_limit", .count),
            ("pending_past_limit_1_7_days", .count), ("pending_past_limit_8_30_days", .count),
            ("pending_past_limit_31_90_days", .count), ("pending_past_limit_over_90_days", .count),
            ("median_days", .days), ("p90_days", .days), ("rejection_percent", .percent),
            ("first_appeals_per_1000", .per1000), ("second_appeals_per_1000", .per1000),
            ("commission_appeals_per_1000", .per1000), ("overdue_appeals", .count), ("penalties", .count),
            ("penalty_rupees", .rupees), ("outcomes", .count), ("reached_10s_percent", .percent),
            ("reached_1h_percent", .percent), ("reached_1d_percent", .percent), ("delivery_failures", .count),
        ]
        + channels.dropFirst().flatMap { channel in
            [
                ("\(channel)_outcomes", Unit.count), ("\(channel)_reached_10s_percent", .percent),
                ("\(channel)_reached_1h_percent", .percent), ("\(channel)_reached_1d_percent", .percent),
                ("\(channel)_failures", .count),
            ]
        }
    /// The channels in the counts' key order (0: any channel).
    package static let channels = ["any", "portal", "whatsapp", "email"]
    /// The age bands of applications pending past their time limit: days past the due day.
    package static let pendingBands: [(id: String, days: ClosedRange<Int>)] = [
        ("pending_past_limit_1_7_days", 1...7), ("pending_past_limit_8_30_days", 8...30),
        ("pending_past_limit_31_90_days", 31...90), ("pending_past_limit_over_90_days", 91...Int.max),
    ]
    /// The measures that describe the day the page is read (pending applications), not the chosen period.
    package static let currentOnly: Set<String> = Set(
        ["pending_within_limit", "pending_past_limit"] + pendingBands.map(\.id))

    /// The scalar columns of `dashboard_counts`, in order, as measure and key.
    static let scalarColumns: [(String, Int)] = [
        ("received", 0), ("disposed", 0), ("rejected", 0), ("timed", 0), ("within_limit", 0), ("appeals", 1),
        ("appeals", 2), ("appeals", 3), ("appeals_overdue", 0), ("penalties", 0), ("penalty_rupees", 0),
    ]

    /// The sums of one office over one period: measure → key → n.
    struct Sums {
        var counts: [String: [Int: Int]] = [:]
        func n(_ measure: String, _ key: Int = 0) -> Int { counts[measure]?[key] ?? 0 }
        func total(_ measure: String) -> Int { counts[measure]?.values.reduce(0, +) ?? 0 }
    }

    /// Every measure of one office: the period's sums, and the pending applications by due day (as of `today`).
    static func values(_ sums: Sums, open: [CivilDate: Int], today: CivilDate) -> [String: Value] {
        var values: [String: Value] = [:]
        let disposed = sums.n("disposed")
        values["received"] = .count(sums.n("received"))
        values["disposed"] = .count(disposed)
        values["within_limit_percent"] = .rate(sums.n("within_limit"), sums.n("timed"), scale: 100)
        values["rejection_percent"] = .rate(sums.n("rejected"), disposed, scale: 100)
        let past = open.filter { $0.key < today }
        values["pending_within_limit"] = .count(open.filter { $0.key >= today }.values.reduce(0, +))
        values["pending_past_limit"] = .count(past.values.reduce(0, +))
        for band in pendingBands {
            values[band.id] = .count(past.filter { band.days.contains($0.key.days(to: today)) }.values.reduce(0, +))
        }
        let histogram = sums.counts["disposal_days"] ?? [:]
        let timed = histogram.values.reduce(0, +)
        values["median_days"] = percentile(0.5, of: histogram, count: timed)
        values["p90_days"] = percentile(0.9, of: histogram, count: timed)
        for (level, id) in [(1, "first"), (2, "second"), (3, "commission")] {
            values["\(id)_appeals_per_1000"] = .rate(sums.n("appeals", level), disposed, scale: 1000)
        }
        values["overdue_appeals"] = .count(sums.total("appeals_overdue"))
        let penalties = sums.n("penalties")
        values["penalties"] = .count(penalties)
        values["penalty_rupees"] =
            (1...9).contains(penalties) ? .hidden : Value(value: Double(sums.n("penalty_rupees")), suppressed: false)
        for (key, channel) in channels.enumerated() {
            let prefix = key == 0 ? "" : channel + "_"
            let outcomes = sums.n("outcomes", key)
            values[prefix + "outcomes"] = .count(outcomes)
            for within in ["10s", "1h", "1d"] {
                values[prefix + "reached_\(within)_percent"] = .rate(
                    sums.n("reached_" + within, key), outcomes, scale: 100)
            }
            values[key == 0 ? "delivery_failures" : prefix + "failures"] = .count(sums.n("failed", key))
        }
        return values
    }

    /// The nearest-rank percentile `p` of a histogram of days: suppressed below 10 values.
    static func percentile(_ p: Double, of histogram: [Int: Int], count: Int) -> Value {
        guard count > 0 else { return .none }
        guard count >= 10 else { return .hidden }
        let rank = Int((p * Double(count)).rounded(.up))
        var seen = 0
        for (days, n) in histogram.sorted(by: { $0.key < $1.key }) {
            seen += n
            if seen >= rank { return Value(value: Double(days), suppressed: false) }
        }
        return .none
    }

    // MARK: The report

    /// One office below the page's office, with its measures for the period and its rank.
    package struct Child: Sendable, Encodable {
        package var office: Offices.Office
        /// 1 for the best share disposed within the time limit; nil when that share is unknown or suppressed.
        package var rank: Int?
        package var values: [String: Value]
    }

    /// Everything one page shows.
    package struct Report: Sendable {
        package var office: Offices.Office
        /// From the root down to the office.
        package var path: [Offices.Office]
        package var window: Window
        package var today: CivilDate
        /// When the refresher last caught up.
        package var refreshedAt: Date?
        package var current: [String: Value]
        package var previous: [String: Value]
        /// Ranked: best share within the time limit first, then the unranked in name order.
        package var children: [Child]
    }

    /// The report for office `code` over `window`, its offices below ranked, named in `language`; nil when there is
    /// no such office. Pending applications are counted as of `today`.
    /// - Throws: `PostgresError` from the database.
    package static func report(
        office code: String, window: Window, today: CivilDate, language: String, on connection: Connection
    ) throws -> Report? {
        guard let office = try Offices.find(code, language: language, on: connection) else { return nil }
        let children = try Offices.children(of: code, language: language, on: connection)
        let previousWindow = window.previous
        var sums: [String: (current: Sums, previous: Sums)] = [:]
        var open: [String: [CivilDate: Int]] = [:]
        func add(_ place: String, current: Bool, _ measure: String, _ key: Int, _ n: Int) {
            if current {
                sums[place, default: (Sums(), Sums())].current.counts[measure, default: [:]][key, default: 0] += n
            } else {
                sums[place, default: (Sums(), Sums())].previous.counts[measure, default: [:]][key, default: 0] += n
            }
        }
        // Villages have no day rows: a day or a week sums the facts of their applications.
        let small = window.grain == "m" ? [] : ([office] + children).filter { $0.type == .village }.map(\.code)
        for place in small {
            for row in try connection.query(
                "SELECT day, measure, key, n FROM dashboard_fact_sums($1, $2::date, $3::date)",
                [place, previousWindow.first, window.last]
            ).rows {
                let day = try row.decode(CivilDate.self, at: 0), measure = try row.decode(String.self, at: 1)
                let key = try row.decode(Int.self, at: 2), n = try row.decode(Int.self, at: 3)
                if measure == "open_due" {
                    open[place, default: [:]][day, default: 0] += n
                } else {
                    add(place, current: day >= window.first, measure, key, n)
                }
            }
        }
        // Every other office: its day or month rows.
        let rolled = ([code] + children.map(\.code)).filter { !small.contains($0) }
        for row in try connection.query(
            """
            SELECT office_code, period >= $4::date, received, disposed, rejected, timed, within_limit, appeals_1, appeals_2,
                   appeals_3, appeals_overdue, penalties, penalty_rupees, outcomes, reached_10s, reached_1h, reached_1d, failed,
                   disposal_days::text
            FROM dashboard_counts WHERE office_code = ANY ($1) AND grain = $2::"char" AND period BETWEEN $3::date AND $5::date
            """, [rolled, window.grain, previousWindow.first, window.first, window.last]
        ).rows {
            let place = try row.decode(String.self, at: 0), current = try row.decode(Bool.self, at: 1)
            for (index, (measure, key)) in Self.scalarColumns.enumerated() {
                add(place, current: current, measure, key, try row.decode(Int.self, at: 2 + index))
            }
            for (index, measure) in ["outcomes", "reached_10s", "reached_1h", "reached_1d", "failed"].enumerated() {
                for (key, n) in try row.decode([Int].self, at: 13 + index).enumerated() {
                    add(place, current: current, measure, key, n)
                }
            }
            let histogram = try JSONDecoder().decode(
                [String: Int].self, from: Data(try row.decode(String.self, at: 18).utf8))
            for (days, n) in histogram {
                if let days = Int(days) { add(place, current: current, "disposal_days", days, n) }
            }
        }
        for row in try connection.query(
            "SELECT office_code, due_on, n FROM dashboard_pending WHERE office_code = ANY ($1) AND n <> 0", [rolled]
        ).rows {
            open[try row.decode(String.self, at: 0), default: [:]][try row.decode(CivilDate.self, at: 1)] =
                try row.decode(Int.self, at: 2)
        }
        let refreshed = try connection.query("SELECT refreshed_at FROM dashboard_state").first?.decode(
            Date?.self, at: 0)
        var ranked = children.map { child in
            Child(
                office: child, rank: nil,
                values: values(sums[child.code]?.current ?? Sums(), open: open[child.code] ?? [:], today: today))
        }
        ranked.sort { a, b in
            let x = a.values["within_limit_percent"]?.value, y = b.values["within_limit_percent"]?.value
            switch (x, y) {
            case (let x?, let y?) where x != y: return x > y
            case (.some, nil): return true
            case (nil, .some): return false
            default:
                let p = a.values["received"]?.value ?? 0, q = b.values["received"]?.value ?? 0
                return p != q ? p > q : a.office.name < b.office.name
            }
        }
        var rank = 0, last: Double? = nil
        for index in ranked.indices {
            guard let share = ranked[index].values["within_limit_percent"]?.value else { continue }
            if share != last { rank = index + 1 }
            last = share
            ranked[index].rank = rank
        }
        let own = sums[code] ?? (Sums(), Sums())
        var previous = values(own.previous, open: [:], today: today)
        for id in currentOnly { previous[id] = Value.none }
        return Report(
            office: office, path: try Offices.path(to: code, language: language, on: connection), window: window,
            today: today, refreshedAt: refreshed,
            current: values(own.current, open: open[code] ?? [:], today: today), previous: previous, children: ranked)
    }

    /// The root of the hierarchy (the state), where `/dashboard` leads.
    /// - Throws: `PostgresError` from the database.
    package static func root(on connection: Connection) throws -> String? {
        try connection.query(
            "SELECT code FROM offices WHERE parent_code IS NULL AND type = 'state' ORDER BY code LIMIT 1"
        )
        .first?.decode(String.self, at: 0)
    }
}
