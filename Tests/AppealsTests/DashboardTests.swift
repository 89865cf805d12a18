import Appeals
import Foundation
import Postgres
import TestSupport
import Testing

@Suite("Standard dashboard")
struct DashboardTests {
    typealias F = AppealsFixture

    @Test("periods: a week runs Monday to Sunday, a year is the financial year, and each has the one before it")
    func windows() {
        let day = F.day("2026-11-27")  // a Friday
        let week = Dashboard.Window(.week, containing: day)
        #expect(week.first == F.day("2026-11-23") && week.last == F.day("2026-11-29"))
        #expect(week.previous.first == F.day("2026-11-16"))
        let month = Dashboard.Window(.month, containing: day)
        #expect(month.first == F.day("2026-11-01") && month.last == F.day("2026-11-30"))
        #expect(Dashboard.Window(.month, containing: F.day("2026-12-31")).last == F.day("2026-12-31"))
        #expect(Dashboard.Window(.month, containing: F.day("2024-02-10")).last == F.day("2024-02-29"))
        let year = Dashboard.Window(.year, containing: day)
        #expect(year.first == F.day("2026-04-01") && year.last == F.day("2027-03-31"))
        #expect(Dashboard.Window(.year, containing: F.day("2026-03-31")).first == F.day("2025-04-01"))
        #expect(year.previous.first == F.day("2025-04-01") && year.next.first == F.day("2027-04-01"))
    }

    /// A live month of Haveli: 60 applications (half from the Wagholi cluster's villages), clocks of 15 days,
    /// decisions in time, late and never, rejections, appeals, a penalty, and their deliveries on three channels.
    static func haveli() throws -> F {
        let f = try F(isTest: false)
        try Offices.importCSV(try Offices.maharashtraSample(), on: f.connection)
        // The first refresh builds the (empty) counts: everything below flows in as noted changes.
        #expect(try Dashboard.refresh(on: f.connection) == 0)
        let villages = ["V-HAVELI-WAGHOLI", "V-HAVELI-LONIKAND", "V-HAVELI-KESNAND"]
        for i in 0..<60 {
            let id = "H\(i)"
            let application = try f.application(id)
            if i % 2 == 0 {
                try f.connection.query(
                    "UPDATE applications SET village_code = $2 WHERE portal_application_id = $1",
                    [id, villages[i / 2 % 3]])
            }
            // Received on 1..20 November; due 15 calendar days later.
            let received = F.day("2026-11-01").adding(days: i % 20)
            _ = try f.connection.transaction { tx in
                try f.desk.startClock(
                    application: application, completedAt: F.noon(received), bandValue: nil, isTest: false,
                    actor: "test", now: F.noon(received), on: tx)
            }
            // 0-39 decided (every 4th late, every 5th rejected); 40-59 still pending.
            guard i < 40 else { continue }
            let decided = received.adding(days: i % 4 == 0 ? 18 : i % 15)
            try f.outcome(id, i % 5 == 0 ? "rejected" : "approved", deliveredOn: decided)
            let delivery = try f.connection.query(
                "SELECT d.id FROM deliveries d JOIN applications a ON a.id = d.application_id WHERE a.portal_application_id = $1",
                [id]
            ).first!.decode(UUID.self, at: 0)
            let decidedAt = F.noon(decided)
            // The portal in the second; WhatsApp delivered after 5 s, 2 h or never (failed); email accepted after 30 s.
            try f.connection.query(
                """
                INSERT INTO channel_attempts (delivery_id, channel, state, delivered_at, sent_at, failed_at)
                VALUES ($1, 'portal', 'delivered', $2::timestamptz + interval '1 second', NULL, NULL),
                       ($1, 'whatsapp', $3, CASE WHEN $3 = 'delivered' THEN $2::timestamptz + $4::interval END, $2, CASE WHEN $3 = 'failed' THEN $2 END),
                       ($1, 'email', 'sent', NULL, $2::timestamptz + interval '30 seconds', NULL)
                """,
                [delivery, decidedAt, i % 7 == 0 ? "failed" : "delivered", i % 3 == 0 ? "2 hours" : "5 seconds"])
        }
        // Appeals against the rejections filed so far, and a penalty.
        for i in stride(from: 0, to: 40, by: 5) {
            let received = F.day("2026-11-01").adding(days: i % 20)
            let decided = received.adding(days: i % 4 == 0 ? 18 : i % 15)
            if decided < F.day("2026-11-27") {
                _ = try f.file("H\(i)", level: 1, on: decided.adding(days: 1).description)
            }
        }
        return f
    }

    /// The same measure counted straight from the domain tables, for every office under `office` (and villages).
    static func placed(_ office: String) -> String {
        """
        (SELECT a.id FROM applications a WHERE EXISTS (SELECT 1 FROM office_ancestors oa WHERE oa.ancestor_code = '\(office)'
            AND oa.office_code IN (a.office_code, a.village_code)))
        """
    }

    @Test(
        "the counts kept by the refresher equal what the domain tables give for the same office and period, at every level, and a rebuild gives the same counts"
    )
    func countsMatchTheDatabase() throws {
        let f = try Self.haveli()
        let c = f.connection
        #expect(try Dashboard.refresh(on: c)! > 200, "each insert and update noted a change")
        #expect(try Dashboard.backlog(on: c) == 0)
        let today = F.day("2026-11-27")
        let month = Dashboard.Window(.month, containing: today)
        func count(_ sql: String) throws -> Int { try c.query(sql).first?.decode(Int.self, at: 0) ?? -1 }
        // Month rows for every office; a week of day rows, and of a village's facts.
        let week = Dashboard.Window(.week, containing: F.day("2026-11-10"))
        for (office, window) in [
            ("MH", month), ("D-PUNE", month), ("T-HAVELI", month), ("C-HAVELI-1", month), ("HAVELI", month),
            ("V-HAVELI-WAGHOLI", month), ("T-HAVELI", week), ("C-HAVELI-1", week), ("V-HAVELI-WAGHOLI", week),
        ] {
            let first = window.first.description, last = window.last.description
            let report = try #require(
                try Dashboard.report(office: office, window: window, today: today, language: "en", on: c))
            let apps = Self.placed(office)
            let received = try count(
                """
                SELECT count(*) FROM application_clocks ac WHERE ac.kind = 'time_limit' AND ac.application_id IN \(apps)
                AND ac.started_on BETWEEN '\(first)' AND '\(last)'
                """)
            #expect(report.current["received"] == .count(received), "\(office) \(window.period) received")
            let disposed = try count(
                """
                SELECT count(DISTINCT d.application_id) FROM deliveries d WHERE d.application_id IN \(apps)
                AND d.decision IN ('approved', 'rejected') AND (d.created_at AT TIME ZONE 'Asia/Kolkata')::date BETWEEN '\(first)' AND '\(last)'
                """)
            #expect(report.current["disposed"] == .count(disposed), "\(office) \(window.period) disposed")
            let within = try count(
                """
                SELECT count(*) FROM deliveries d JOIN application_clocks ac ON ac.application_id = d.application_id AND ac.kind = 'time_limit'
                WHERE d.application_id IN \(apps) AND d.decision IN ('approved', 'rejected')
                AND (d.created_at AT TIME ZONE 'Asia/Kolkata')::date <= ac.due_on
                AND (d.created_at AT TIME ZONE 'Asia/Kolkata')::date BETWEEN '\(first)' AND '\(last)'
                """)
            // Every application here has a time limit: disposed with one = disposed. From 1 to 9: suppressed.
            let share =
                (1...9).contains(within) || (1...9).contains(disposed)
                ? Dashboard.Value.hidden
                : Dashboard.Value(value: (Double(within) * 1000 / Double(disposed)).rounded() / 10, suppressed: false)
            #expect(report.current["within_limit_percent"] == share, "\(office) \(window.period) within the limit")
            let median = try count(
                """
                SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY (d.created_at AT TIME ZONE 'Asia/Kolkata')::date - ac.started_on)
                FROM deliveries d JOIN application_clocks ac ON ac.application_id = d.application_id AND ac.kind = 'time_limit'
                WHERE d.application_id IN \(apps) AND d.decision IN ('approved', 'rejected')
                AND (d.created_at AT TIME ZONE 'Asia/Kolkata')::date BETWEEN '\(first)' AND '\(last)'
                """)
            #expect(
                report.current["median_days"]
                    == ((1...9).contains(disposed)
                        ? .hidden : Dashboard.Value(value: Double(median), suppressed: false)),
                "\(office) \(window.period) median days")
            let pastDue = try count(
                """
                SELECT count(*) FROM application_clocks ac WHERE ac.kind = 'time_limit' AND ac.application_id IN \(apps)
                AND ac.due_on < '2026-11-27' AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.application_id = ac.application_id
                AND d.decision IN ('approved', 'rejected'))
                """)
            #expect(
                report.current["pending_past_limit"] == .count(pastDue),
                "\(office) \(window.period) pending past the limit")
            let whatsapp1h = try count(
                """
                SELECT count(*) FROM channel_attempts ca JOIN deliveries d ON d.id = ca.delivery_id
                WHERE d.application_id IN \(apps) AND ca.channel = 'whatsapp' AND ca.delivered_at <= d.created_at + interval '1 hour'
                AND (d.created_at AT TIME ZONE 'Asia/Kolkata')::date BETWEEN '\(first)' AND '\(last)'
                """)
            let whatsapp = try count(
                """
                SELECT count(*) FROM channel_attempts ca JOIN deliveries d ON d.id = ca.delivery_id
                WHERE d.application_id IN \(apps) AND ca.channel = 'whatsapp'
                AND (d.created_at AT TIME ZONE 'Asia/Kolkata')::date BETWEEN '\(first)' AND '\(last)'
                """)
            #expect(
                report.current["whatsapp_reached_1h_percent"]
                    == (whatsapp1h < 10 || whatsapp < 10
                        ? .hidden
                        : Dashboard.Value(
                            value: (Double(whatsapp1h) * 1000 / Double(whatsapp)).rounded() / 10, suppressed: false)),
                "\(office) \(window.period) WhatsApp within an hour")
            let appeals = try count(
                "SELECT count(*) FROM appeals WHERE level = 1 AND application_id IN \(apps) AND filed_on BETWEEN '\(first)' AND '\(last)'"
            )
            #expect(
                report.current["first_appeals_per_1000"]
                    == ((1...9).contains(appeals)
                        ? .hidden
                        : Dashboard.Value(
                            value: (Double(appeals) * 10_000 / Double(disposed)).rounded() / 10, suppressed: false)),
                "\(office) \(window.period) first appeals")
        }
        // Sixty applications in Haveli: the state, the district, the taluka see them all; the cluster its villages'.
        let state = try #require(try Dashboard.report(office: "MH", window: month, today: today, language: "mr", on: c))
        #expect(state.current["received"]?.value == 60)
        #expect(state.children.first?.office.code == "D-PUNE" && state.children.first?.rank == 1)
        #expect(state.children.first { $0.office.code == "D-YAVATMAL" }?.rank == nil, "no data, no rank")
        #expect(state.path.map(\.code) == ["MH"] && state.office.name == "महाराष्ट्र")
        let taluka = try #require(
            try Dashboard.report(office: "T-HAVELI", window: month, today: today, language: "en", on: c))
        #expect(taluka.children.contains { $0.office.code == "C-HAVELI-1" && $0.values["received"]?.value == 30 })
        #expect(taluka.path.map(\.code) == ["MH", "D-PUNE", "T-HAVELI"])
        // The month before: nothing; pending is counted for today only.
        #expect(
            taluka.previous["received"]?.value == 0 && taluka.previous["pending_past_limit"] == Dashboard.Value.none)

        // Later changes flow in: a pending application decided, a WhatsApp delivery that failed now delivered.
        try f.outcome("H45", "approved", deliveredOn: F.day("2026-11-26"))
        try c.query(
            "UPDATE channel_attempts SET state = 'delivered', delivered_at = sent_at + interval '3 seconds', failed_at = NULL WHERE channel = 'whatsapp' AND state = 'failed'"
        )
        try Dashboard.refresh(on: c)
        let after = try #require(
            try Dashboard.report(office: "T-HAVELI", window: month, today: today, language: "en", on: c))
        #expect(after.current["disposed"]?.value == (taluka.current["disposed"]?.value ?? 0) + 1)
        #expect(after.current["whatsapp_failures"] == .count(0))

        // A rebuild from the facts gives exactly the counts the refresher kept.
        let kept = try c.query(
            Self.nonZeroCounts
        ).rows.map { try $0.decode(String.self, at: 0) }
        try c.query("UPDATE dashboard_state SET rebuild_needed = true")
        try Dashboard.refresh(on: c)
        let rebuilt = try c.query(
            Self.nonZeroCounts
        ).rows.map { try $0.decode(String.self, at: 0) }
        #expect(kept.count > 100 && kept == rebuilt)
    }

    /// Every count row with something in it (the refresher leaves rows whose changes cancelled out), and the pending.
    static let nonZeroCounts = """
        SELECT c::text FROM dashboard_counts c
        WHERE (received, disposed, rejected, timed, within_limit, appeals_1, appeals_2, appeals_3, appeals_overdue, penalties, penalty_rupees)
              <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
           OR outcomes <> '{0,0,0,0}' OR reached_10s <> '{0,0,0,0}' OR reached_1h <> '{0,0,0,0}' OR reached_1d <> '{0,0,0,0}'
           OR failed <> '{0,0,0,0}' OR disposal_days <> '{}'
        UNION ALL SELECT p::text FROM dashboard_pending p WHERE n <> 0
        ORDER BY 1
        """

    @Test("counts from 1 to 9 and whatever is worked out from them are suppressed; zero and ten are shown")
    func suppression() throws {
        let f = try Self.haveli()
        try Dashboard.refresh(on: f.connection)
        let today = F.day("2026-11-27")
        let month = Dashboard.Window(.month, containing: today)
        // Wagholi has 10 applications: shown; of them fewer than 10 were decided this month: suppressed.
        let village = try #require(
            try Dashboard.report(
                office: "V-HAVELI-WAGHOLI", window: month, today: today, language: "en", on: f.connection))
        #expect(village.current["received"] == .count(10) && village.current["received"]?.value == 10)
        let disposed = village.current["disposed"]!
        #expect(disposed.suppressed == (1...9).contains(Int(disposed.value ?? 5)))
        if disposed.suppressed {
            #expect(village.current["rejection_percent"] == .hidden && village.current["median_days"] == .hidden)
        }
        #expect(Dashboard.Value.count(0) == Dashboard.Value(value: 0, suppressed: false))
        #expect(Dashboard.Value.count(9) == .hidden && Dashboard.Value.count(10).value == 10)
        #expect(Dashboard.Value.rate(5, 100, scale: 100) == .hidden, "a small numerator could be one person")
        #expect(Dashboard.Value.rate(50, 8, scale: 100) == .hidden)
        #expect(Dashboard.Value.rate(0, 0, scale: 100) == Dashboard.Value.none)
        #expect(Dashboard.Value.rate(25, 40, scale: 1000).value == 625)
        // A test application never counts.
        let test = try F(isTest: true)
        try Offices.importCSV(try Offices.maharashtraSample(), on: test.connection)
        try test.application("T1")
        try test.outcome("T1", "approved", deliveredOn: today)
        try Dashboard.refresh(on: test.connection)
        #expect(
            try test.connection.query("SELECT count(*) FROM dashboard_applications").first?.decode(Int.self, at: 0) == 0
        )
    }
}
