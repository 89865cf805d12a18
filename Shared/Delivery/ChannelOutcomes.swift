import ServiceRuntime
import Synchronization

/// Delivery outcomes by channel and error class, one counter family for every channel:
/// `dakiya_channel_outcomes_total{channel, outcome, error_class}`.
///
/// The outcomes: `accepted` (the provider took the message), `delivered` and `read` (the provider says so),
/// `failed` (for good), `retried` (a temporary failure; the job runs again), `throttled` (the provider asked us to
/// slow down), `held` (a setting or account problem: sending waits), `skipped` (nothing to send: a test key without
/// a test endpoint). The error class is a small fixed set (never a raw code or text) so the series stay few:
/// `none`, `transport`, `server`, `throughput`, `pair_limit`, `refused`, `configuration`, `no_address`,
/// `test_endpoint`, `smtp_permanent`, `smtp_temporary`, `messaging_limit` (WhatsApp's portfolio limit on new users).
package final class ChannelOutcomes: Sendable {
    package static let name = "dakiya_channel_outcomes_total"
    let metrics: MetricsRegistry
    let channel: String
    /// The series made so far, by outcome and class: a send finds its counter here instead of having the registry
    /// render and look up its labels every time.
    private let counters = Mutex<[String: Counter]>([:])

    /// The counters of `channel` (`whatsapp`, `email`) in `metrics`.
    package init(channel: String, metrics: MetricsRegistry) {
        self.metrics = metrics
        self.channel = channel
    }

    /// Counts a message that ended an attempt step as `outcome` with `errorClass`.
    package func record(_ outcome: String, _ errorClass: String = "none") {
        let counter = counters.withLock { counters in
            let key = outcome + " " + errorClass
            if let counter = counters[key] { return counter }
            let counter = metrics.counter(
                Self.name, help: "Delivery outcomes by channel, outcome and error class.",
                labels: ["channel": channel, "outcome": outcome, "error_class": errorClass])
            counters[key] = counter
            return counter
        }
        counter.increment()
    }
}
