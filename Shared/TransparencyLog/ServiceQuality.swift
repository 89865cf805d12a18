import Foundation

/// Right to Public Services compliance and delivery quality computed from log entries alone (no personal data,
/// no database): what `dakiya-audit replay` prints, and what a test compares with the database's own figures.
package struct ServiceQuality: Sendable, Equatable, Codable {
    /// The figures of one department, service and office.
    package struct Office: Sendable, Equatable, Codable {
        package var department: String
        package var service: String
        package var office: String
        /// Outcomes accepted, by decision.
        package var outcomes: [String: Int] = [:]
        /// Time limits ended: met in time, lapsed (whether or not met late afterwards), and of those lapsed, met late.
        package var timeLimitsMet = 0
        package var timeLimitsLapsed = 0
        package var timeLimitsMetLate = 0
        /// Appeals filed, by level, and appeals marked overdue.
        package var appealsFiled: [String: Int] = [:]
        package var appealsOverdue = 0
        /// Citizens' ratings of the service (`rating.answered`), by stars ("1" … "5").
        package var ratings: [String: Int] = [:]
        /// The mean rating; nil without any.
        package var meanRating: Double? {
            let count = ratings.values.reduce(0, +)
            return count == 0
                ? nil : Double(ratings.map { (Int($0.key) ?? 0) * $0.value }.reduce(0, +)) / Double(count)
        }

        /// All outcomes, whatever the decision.
        package var outcomeCount: Int { outcomes.values.reduce(0, +) }
        /// Time limits met in time, as a share of those that ended; nil when none ended.
        package var withinTimeLimit: Double? {
            timeLimitsMet + timeLimitsLapsed == 0
                ? nil : Double(timeLimitsMet) / Double(timeLimitsMet + timeLimitsLapsed)
        }
        /// Appeals filed (all levels) per 1,000 outcomes; nil without outcomes.
        package var appealsPerThousand: Double? {
            outcomeCount == 0 ? nil : Double(appealsFiled.values.reduce(0, +)) * 1000 / Double(outcomeCount)
        }
    }

    /// Delivery to the citizen on one channel: deliveries the channel was used for, and how many reached the
    /// citizen (delivered or read) within 10 s, 1 h and 1 day of the outcome's acceptance.
    package struct Channel: Sendable, Equatable, Codable {
        package var attempted = 0
        package var within10Seconds = 0
        package var within1Hour = 0
        package var within1Day = 0
    }

    /// Entries read, by type.
    package var entries: [String: Int] = [:]
    /// Keyed by "department/service/office".
    package var offices: [String: Office] = [:]
    package var channels: [String: Channel] = [:]

    /// An empty report.
    package init() {}

    /// The report of `entries` (canonical JSON log entries, in log order).
    /// - Throws: `Malformed` when an entry is not a typed JSON object.
    package init(entries: [[UInt8]]) throws {
        // Per delivery: when its outcome was accepted; per delivery and channel: first reached the citizen.
        var accepted: [String: Date] = [:]
        var reached: [String: [String: Date]] = [:]
        var used: [String: Set<String>] = [:]
        let instants = ISO8601DateFormatter()
        instants.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for (index, entry) in entries.enumerated() {
            guard let object = try? JSONSerialization.jsonObject(with: Data(entry)) as? [String: Any],
                let type = object["type"] as? String
            else { throw Malformed(index: index) }
            self.entries[type, default: 0] += 1
            let at = (object["at"] as? String).flatMap(instants.date(from:))
            func office(_ update: (inout Office) -> Void) {
                guard let department = object["department"] as? String, let service = object["service"] as? String,
                    let code = object["office"] as? String
                else { return }
                let key = "\(department)/\(service)/\(code)"
                var figures = offices[key] ?? Office(department: department, service: service, office: code)
                update(&figures)
                offices[key] = figures
            }
            switch type {
            case "outcome.accepted":
                office { $0.outcomes[object["decision"] as? String ?? "", default: 0] += 1 }
                if let delivery = object["delivery"] as? String, let at { accepted[delivery] = at }
            case "channel.state":
                guard let delivery = object["delivery"] as? String, let channel = object["channel"] as? String else {
                    break
                }
                used[channel, default: []].insert(delivery)
                if let state = object["state"] as? String, state == "delivered" || state == "read", let at,
                    reached[channel]?[delivery].map({ at < $0 }) ?? true
                {
                    reached[channel, default: [:]][delivery] = at
                }
            case "clock.met" where object["kind"] as? String == "time_limit":
                office { $0.timeLimitsMet += 1 }
            case "clock.lapsed" where object["kind"] as? String == "time_limit":
                office { $0.timeLimitsLapsed += 1 }
            case "clock.met_late":
                office { $0.timeLimitsMetLate += 1 }
            case "appeal.filed":
                office { $0.appealsFiled[String(object["level"] as? Int ?? 0), default: 0] += 1 }
            case "appeal.overdue":
                office { $0.appealsOverdue += 1 }
            case "rating.answered":
                if let stars = object["rating"] as? Int, (1...5).contains(stars) {
                    office { $0.ratings[String(stars), default: 0] += 1 }
                }
            default:
                break
            }
        }
        for (channel, deliveries) in used {
            var figures = Channel()
            for delivery in deliveries {
                // A delivery whose acceptance is before the replayed range cannot be timed: left out.
                guard let start = accepted[delivery] else { continue }
                figures.attempted += 1
                guard let end = reached[channel]?[delivery] else { continue }
                let seconds = end.timeIntervalSince(start)
                if seconds <= 10 { figures.within10Seconds += 1 }
                if seconds <= 3600 { figures.within1Hour += 1 }
                if seconds <= 86_400 { figures.within1Day += 1 }
            }
            channels[channel] = figures
        }
    }

    /// An entry that is not a typed JSON object.
    package struct Malformed: Error, Sendable, Equatable {
        /// Its position among the entries given.
        package var index: Int
    }

    /// The report as text, for a person.
    package var text: String {
        func percent(_ part: Int, _ whole: Int) -> String {
            whole == 0 ? "-" : String(format: "%.1f%%", Double(part) * 100 / Double(whole))
        }
        var lines = [
            "Entries by type: "
                + entries.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        ]
        lines.append("")
        lines.append("Right to Public Services, by department / service / office:")
        for (key, office) in offices.sorted(by: { $0.key < $1.key }) {
            let outcomes = office.outcomes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            let ended = office.timeLimitsMet + office.timeLimitsLapsed
            lines.append(
                "  \(key): outcomes \(office.outcomeCount)"
                    + (outcomes.isEmpty ? "" : " (\(outcomes.joined(separator: ", ")))")
                    + "; within the time limit \(percent(office.timeLimitsMet, ended)) of \(ended) ended"
                    + " (lapsed \(office.timeLimitsLapsed), of which met late \(office.timeLimitsMetLate))"
                    + "; appeals \(office.appealsFiled.values.reduce(0, +))"
                    + (office.appealsPerThousand.map { String(format: " (%.1f per 1,000 outcomes)", $0) } ?? "")
                    + ", overdue \(office.appealsOverdue)"
                    + (office.meanRating.map {
                        String(format: "; rated %d times, mean %.2f of 5", office.ratings.values.reduce(0, +), $0)
                    } ?? ""))
        }
        lines.append("")
        lines.append("Delivered to the citizen after the decision, by channel:")
        for (channel, figures) in channels.sorted(by: { $0.key < $1.key }) {
            lines.append(
                "  \(channel): \(figures.attempted) deliveries; within 10 s \(percent(figures.within10Seconds, figures.attempted)), "
                    + "1 h \(percent(figures.within1Hour, figures.attempted)), 1 day \(percent(figures.within1Day, figures.attempted))"
            )
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
