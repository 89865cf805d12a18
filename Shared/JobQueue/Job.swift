import Foundation
import Postgres

/// A job to enqueue. Keep `payload` small: big bodies live in their own tables and the payload names them.
package struct NewJob: Sendable {
    package var queue: String
    package var kind: String
    package var payload: PostgresJSON
    /// 1 (first) to 4 (last); 2 by default.
    package var priority: Int16
    /// Earliest start; nil means now.
    package var runAt: Date?
    package var maxAttempts: Int16
    /// Enqueueing the same key twice on a queue, while the first job is live, gives one job.
    package var uniqueKey: String?
    /// Groups jobs for per-key rate limits (a sender number, a provider account).
    package var rateKey: String?

    /// A job for `queue` of `kind` with its payload; `runAt` nil runs it at once, `uniqueKey` makes a second live one with the same key a no-op.
    package init(
        queue: String, kind: String, payload: PostgresJSON = PostgresJSON(text: "{}"), priority: Int16 = 2,
        runAt: Date? = nil, maxAttempts: Int16 = 20, uniqueKey: String? = nil, rateKey: String? = nil
    ) {
        self.queue = queue
        self.kind = kind
        self.payload = payload
        self.priority = priority
        self.runAt = runAt
        self.maxAttempts = maxAttempts
        self.uniqueKey = uniqueKey
        self.rateKey = rateKey
    }

    /// A job whose payload is `value` encoded as JSON.
    /// - Throws: `EncodingError` when `value` cannot be encoded.
    package init<T: Encodable>(
        queue: String, kind: String, encoding value: T, priority: Int16 = 2, runAt: Date? = nil,
        maxAttempts: Int16 = 20, uniqueKey: String? = nil, rateKey: String? = nil
    ) throws {
        self.init(
            queue: queue, kind: kind, payload: try PostgresJSON(encoding: value), priority: priority, runAt: runAt,
            maxAttempts: maxAttempts, uniqueKey: uniqueKey, rateKey: rateKey)
    }
}

/// A job a worker holds: its attempt number is the fencing token for completing or failing it.
package struct ClaimedJob: Sendable, Equatable {
    package var id: Int64
    package var queue: String
    package var kind: String
    /// 1 on the first run; counted at claim.
    package var attempt: Int16
    package var maxAttempts: Int16
    package var payload: PostgresJSON
    package var rateKey: String?
    package var uniqueKey: String?
    package var createdAt: Date
    /// The claim that holds the job: the `worker_id` the claim wrote, which its heartbeats and settlement must show.
    /// A worker gives every claim an id of its own. With only the worker and the attempt as the fence, a claim lost
    /// with a failed-over primary (an asynchronous standby never received it) would be made again by the same
    /// worker with the same attempt number, and the settlement of the lost claim, still being retried, would
    /// complete the new one before its handler ran (seen in make failover-test: deliveries left pending).
    package var holder: String

    /// A job as claimed (tests build their own).
    package init(
        id: Int64, queue: String, kind: String, attempt: Int16, maxAttempts: Int16, payload: PostgresJSON,
        rateKey: String? = nil, uniqueKey: String? = nil, createdAt: Date = Date(), holder: String = ""
    ) {
        self.id = id
        self.queue = queue
        self.kind = kind
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.payload = payload
        self.rateKey = rateKey
        self.uniqueKey = uniqueKey
        self.createdAt = createdAt
        self.holder = holder
    }

    /// Decodes the payload into `type`. Throws a permanent `JobError` when it does not fit.
    /// - Throws: `DecodingError` when the payload does not fit `type`.
    package func decodePayload<T: Decodable>(_ type: T.Type) throws -> T {
        do { return try payload.decode(type) } catch {
            throw JobError.permanent("payload is not a valid \(T.self)")
        }
    }
}

/// What a handler throws to say how the queue should treat a failure.
///
/// Any other error a handler throws counts as retryable.
package struct JobError: Error, CustomStringConvertible, Sendable {
    /// How the queue treats the failure.
    package enum Kind: Sendable, Equatable {
        /// Try again after a backoff, while attempts remain.
        case retryable
        /// Do not try again: the job goes dead with this error kept.
        case permanent
        /// A provider said "try later": run again after `delay` without spending an attempt.
        case snooze(Duration)
    }

    package var kind: Kind
    /// Safe to log and to store: no personal data.
    package var message: String
    /// A machine-readable code (a provider error code, for example).
    package var code: String?

    /// Try again after the backoff while attempts remain.
    package static func retryable(_ message: String, code: String? = nil) -> JobError {
        JobError(kind: .retryable, message: message, code: code)
    }
    /// Never try again: the job goes dead with this error kept.
    package static func permanent(_ message: String, code: String? = nil) -> JobError {
        JobError(kind: .permanent, message: message, code: code)
    }
    /// Run again after `delay` without spending an attempt (a provider said "try later").
    package static func snooze(_ delay: Duration, _ message: String = "try later") -> JobError {
        JobError(kind: .snooze(delay), message: message)
    }

    package var description: String { code.map { "\(message) (\($0))" } ?? message }
}

/// Backoff for retryable failures: `base × 2^(attempt-1)`, capped, with ±`jitter` spread.
package struct RetryPolicy: Sendable {
    package var base: Duration
    package var cap: Duration
    /// 0.25 spreads each delay over ±25 %.
    package var jitter: Double

    /// A policy starting at `base`, doubling, capped at `cap`, spread by ±`jitter`.
    package init(base: Duration = .seconds(2), cap: Duration = .seconds(3600), jitter: Double = 0.25) {
        self.base = base
        self.cap = cap
        self.jitter = jitter
    }

    /// The delay before the run after failed attempt `attempt` (1-based).
    package func delay(afterAttempt attempt: Int16, random: Double = Double.random(in: 0..<1)) -> Duration {
        let exponent = Double(max(0, Int(attempt) - 1))
        let raw = min(cap.seconds, base.seconds * pow(2, min(exponent, 40)))
        let spread = 1 + jitter * (2 * random - 1)
        return .milliseconds(Int64(max(0, raw * spread) * 1000))
    }
}

/// Where the queue's "now" comes from. Production uses the database clock (nil); tests move time by hand.
package protocol JobClock: Sendable {
    /// The current time, or nil for the database's `now()`.
    func now() -> Date?
}

/// The database's own clock: one clock for every process, whatever their hosts think the time is.
package struct DatabaseClock: JobClock {
    /// The database's clock.
    package init() {}
    /// Nil: statements use the database's `now()`.
    package func now() -> Date? { nil }
}
