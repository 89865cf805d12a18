import Synchronization

/// Prometheus text-format metrics: counters, gauges and histograms, each with a fixed label set.
package final class MetricsRegistry: Sendable {
    private struct Family {
        var help: String
        var type: String
        var series: [String: any MetricSeries] = [:]  // keyed by rendered label set
    }

    private let families = Mutex<[String: Family]>([:])

    /// An empty registry.
    package init() {}

    /// The counter `name` with `labels`, created on first use.
    package func counter(_ name: String, help: String, labels: [String: String] = [:]) -> Counter {
        series(name, help: help, type: "counter", labels: labels) { Counter(name: name, labels: $0) }
    }

    /// The gauge `name` with `labels`, created on first use.
    package func gauge(_ name: String, help: String, labels: [String: String] = [:]) -> Gauge {
        series(name, help: help, type: "gauge", labels: labels) { Gauge(name: name, labels: $0) }
    }

    /// The histogram `name` with `labels` and upper bucket bounds, created on first use.
    package func histogram(
        _ name: String, help: String, labels: [String: String] = [:],
        buckets: [Double] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    ) -> Histogram {
        series(name, help: help, type: "histogram", labels: labels) {
            Histogram(name: name, labels: $0, buckets: buckets)
        }
    }

    private func series<M: MetricSeries>(
        _ name: String, help: String, type: String, labels: [String: String], make: (String) -> M
    ) -> M {
        let rendered = Self.render(labels)
        return families.withLock { families in
            var family = families[name] ?? Family(help: help, type: type)
            precondition(family.type == type, "metric \(name) registered as \(family.type) and \(type)")
            if let existing = family.series[rendered] as? M { return existing }
            let created = make(rendered)
            family.series[rendered] = created
            families[name] = family
            return created
        }
    }

    /// The whole registry in the Prometheus text exposition format (version 0.0.4).
    package func exposition() -> String {
        let snapshot = families.withLock { $0 }
        var out = ""
        for name in snapshot.keys.sorted() {
            let family = snapshot[name]!
            out += "# HELP \(name) \(family.help)\n# TYPE \(name) \(family.type)\n"
            for key in family.series.keys.sorted() { out += family.series[key]!.render() }
        }
        return out
    }

    static func render(_ labels: [String: String]) -> String {
        guard !labels.isEmpty else { return "" }
        // Looked up on every observation (a series is found by its rendered labels): a value with nothing to escape,
        // nearly all of them, is copied as it is.
        var out = "{"
        for key in labels.keys.sorted() {
            if out.utf8.count > 1 { out += "," }
            let value = labels[key]!
            out += key
            out += "=\""
            if value.utf8.contains(where: {
                $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n")
            }) {
                out += value.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"").replacingAll(
                    "\n", with: "\\n")
            } else {
                out += value
            }
            out += "\""
        }
        return out + "}"
    }
}

protocol MetricSeries: Sendable {
    func render() -> String
}

/// A value that only goes up.
package final class Counter: MetricSeries {
    private let name: String
    private let labels: String
    private let value = Mutex<Double>(0)

    init(name: String, labels: String) { self.name = name; self.labels = labels }

    /// Adds `amount` (1 by default; never negative).
    package func increment(by amount: Double = 1) { value.withLock { $0 += amount } }
    package var current: Double { value.withLock { $0 } }
    func render() -> String { "\(name)\(labels) \(formatMetric(current))\n" }
}

/// A value that goes up and down.
package final class Gauge: MetricSeries {
    private let name: String
    private let labels: String
    private let value = Mutex<Double>(0)

    init(name: String, labels: String) { self.name = name; self.labels = labels }

    /// Sets the value.
    package func set(_ newValue: Double) { value.withLock { $0 = newValue } }
    /// Adds `amount` (negative to subtract).
    package func add(_ amount: Double) { value.withLock { $0 += amount } }
    package var current: Double { value.withLock { $0 } }
    func render() -> String { "\(name)\(labels) \(formatMetric(current))\n" }
}

/// Observations counted into cumulative buckets, with their sum and count.
package final class Histogram: MetricSeries {
    private struct State { var counts: [UInt64]; var sum: Double = 0; var count: UInt64 = 0 }
    private let name: String
    private let labels: String
    private let bounds: [Double]
    private let state: Mutex<State>

    init(name: String, labels: String, buckets: [Double]) {
        self.name = name
        self.labels = labels
        self.bounds = buckets.sorted()
        self.state = Mutex(State(counts: Array(repeating: 0, count: buckets.count)))
    }

    /// Counts `value` into every bucket it fits and into the sum and count.
    package func observe(_ value: Double) {
        state.withLock { state in
            if let index = bounds.firstIndex(where: { value <= $0 }) { state.counts[index] += 1 }
            state.sum += value
            state.count += 1
        }
    }

    package var count: UInt64 { state.withLock { $0.count } }

    func render() -> String {
        let snapshot = state.withLock { $0 }
        let inner = labels.isEmpty ? "" : String(labels.dropFirst().dropLast()) + ","
        var out = ""
        var cumulative: UInt64 = 0
        for (index, bound) in bounds.enumerated() {
            cumulative += snapshot.counts[index]
            out += "\(name)_bucket{\(inner)le=\"\(formatMetric(bound))\"} \(cumulative)\n"
        }
        out += "\(name)_bucket{\(inner)le=\"+Inf\"} \(snapshot.count)\n"
        out += "\(name)_sum\(labels) \(formatMetric(snapshot.sum))\n\(name)_count\(labels) \(snapshot.count)\n"
        return out
    }
}

func formatMetric(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return String(value)
}

extension String {
    /// Replaces every occurrence of `target` (Foundation-free).
    package func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        return split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
