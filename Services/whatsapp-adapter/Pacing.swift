import Foundation
import ServiceRuntime
import Synchronization

/// A token bucket on the monotonic clock: `rate` tokens a second, at most `capacity` saved up.
final class TokenBucket: Sendable {
    private struct State { var tokens: Double; var updated: Double }
    let rate: Double
    let capacity: Double
    private let state: Mutex<State>
    private let now: @Sendable () -> Double

    init(
        rate: Double, capacity: Double,
        now: @escaping @Sendable () -> Double = { Double(MonotonicTime.now().nanoseconds) / 1e9 }
    ) {
        self.rate = rate
        self.capacity = capacity
        self.now = now
        state = Mutex(State(tokens: capacity, updated: now()))
    }

    /// Takes a token if there is one; otherwise returns how long until there will be.
    func take() -> Duration? {
        let time = now()
        return state.withLock { state in
            state.tokens = min(capacity, state.tokens + (time - state.updated) * rate)
            state.updated = time
            if state.tokens >= 1 - 1e-9 {  // clock arithmetic in floating point leaves residue
                state.tokens -= 1
                return nil
            }
            return .milliseconds(Int64(((1 - state.tokens) / rate * 1000).rounded(.up)))
        }
    }

    /// Empties the bucket and puts it `seconds` in debt: the provider said we were too fast.
    func drain(seconds: Double) {
        state.withLock {
            $0.tokens = -seconds * rate; $0.updated = now()
        }
    }
}

/// Pacing for one sender number: its throughput, and the pair limit per recipient.
final class Pacer: Sendable {
    let sender: TokenBucket
    private let pairs = Mutex<[String: TokenBucket]>([:])
    private let pairRate: Double
    private let pairBurst: Double

    /// The pair interval is kept with a margin (a tenth of it, at least 0.25 s or the interval itself when shorter):
    /// Meta counts arrivals and we count departures, and a first message that took longer on the way than a later
    /// one would otherwise arrive too soon after it (131056).
    init(messagesPerSecond: Double, pairBurst: Double = 3, pairInterval: Double = 6) {
        sender = TokenBucket(rate: messagesPerSecond, capacity: max(1, messagesPerSecond / 10))
        self.pairRate = 1 / (pairInterval + max(pairInterval / 10, min(0.25, pairInterval)))
        self.pairBurst = pairBurst
    }

    /// Waits (on this owned thread) up to `maximumWait` for the sender's token; returns false when it did not get one.
    func waitForSender(maximumWait: Duration = .seconds(2)) -> Bool {
        let deadline = MonotonicTime.now().advanced(by: maximumWait)
        while true {
            guard let wait = sender.take() else { return true }
            if MonotonicTime.now().advanced(by: wait) > deadline { return false }
            let (seconds, attoseconds) = wait.components
            var spec = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
            nanosleep(&spec, nil)
        }
    }

    /// Takes the recipient's pair token, or returns how long to put their message off.
    func takePair(_ recipient: String) -> Duration? {
        let bucket = pairs.withLock { buckets in
            if let bucket = buckets[recipient] { return bucket }
            let bucket = TokenBucket(rate: pairRate, capacity: pairBurst)
            if buckets.count > 100_000 { buckets.removeAll() }  // bounded: an evicted recipient just gets a fresh burst
            buckets[recipient] = bucket
            return bucket
        }
        return bucket.take()
    }
}
