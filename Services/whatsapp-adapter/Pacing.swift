import Foundation
import Postgres
import ServiceRuntime
import Synchronization

/// A sender number's throughput: a token per message.
protocol SenderBudget: Sendable {
    /// Takes a token if there is one; otherwise returns how long until there will be.
    func take() -> Duration?
    /// Empties the bucket and puts it `seconds` in debt: the provider said we were too fast.
    func drain(seconds: Double)
}

/// A token bucket on the monotonic clock: `rate` tokens a second, at most `capacity` saved up.
final class TokenBucket: SenderBudget {
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

/// A number's token bucket kept in PostgreSQL (`whatsapp_sender_take`, migration 0032), shared by every instance of
/// the adapter: Meta counts the number's messages, not each process's. Each instance takes a block of a twentieth of
/// a second's tokens at a time and spends it within a quarter of a second (after that the rest is dropped, never
/// saved up), so what all instances send in any stretch of time stays within the one bucket's rate and burst, with
/// one database call per block: 20 a second per number at full rate, whatever the rate.
final class SharedTokenBucket: SenderBudget {
    private struct Block { var tokens = 0; var takenAt = -Double.infinity }
    let number: String
    let rate: Double
    let capacity: Double
    let blockSize: Int
    private let pool: ConnectionPool
    private let block = Mutex(Block())
    private let logger: Logger?

    init(number: String, rate: Double, capacity: Double, pool: ConnectionPool, logger: Logger? = nil) {
        self.number = number
        self.rate = rate
        self.capacity = capacity
        blockSize = max(1, min(Int(capacity), Int(rate / 20)))
        self.pool = pool
        self.logger = logger
    }

    private static func now() -> Double { Double(MonotonicTime.now().nanoseconds) / 1e9 }

    func take() -> Duration? {
        let spent = block.withLock { block -> Bool in
            guard block.tokens > 0, Self.now() - block.takenAt < 0.25 else { return false }
            block.tokens -= 1
            return true
        }
        if spent { return nil }
        do {
            let row = try pool.withConnection {
                try $0.query(
                    "SELECT granted, wait_seconds FROM whatsapp_sender_take($1, $2, $3, $4)",
                    [number, rate, capacity, blockSize]
                ).first
            }
            let granted = try row?.decode(Int.self, at: 0) ?? 0
            if granted > 0 {
                let takenAt = Self.now()
                block.withLock { block in
                    block.tokens = (takenAt - block.takenAt < 0.25 ? block.tokens : 0) + granted - 1
                    block.takenAt = takenAt
                }
                return nil
            }
            let wait = try row?.decode(Double.self, at: 1) ?? 0.05
            return .milliseconds(Int64(max(1, (wait * 1000).rounded(.up))))
        } catch {
            // No database, no sending: the caller puts the message off and tries again.
            logger?.warning("sender budget not read", ["error": String(describing: error)])
            return .milliseconds(250)
        }
    }

    func drain(seconds: Double) {
        block.withLock { $0 = Block() }
        do {
            try pool.withConnection {
                _ = try $0.query("SELECT whatsapp_sender_drain($1, $2, $3)", [number, rate, seconds])
            }
        } catch {
            logger?.warning("sender budget not drained", ["error": String(describing: error)])
        }
    }
}

/// Pacing for one sender number: its throughput, and the pair limit per recipient.
final class Pacer: Sendable {
    let sender: any SenderBudget
    private let pairs = Mutex<[String: TokenBucket]>([:])
    private let pairRate: Double
    private let pairBurst: Double

    /// The pair interval is kept with a margin (a tenth of it, at least 0.25 s or the interval itself when shorter):
    /// Meta counts arrivals and we count departures, and a first message that took longer on the way than a later
    /// one would otherwise arrive too soon after it (131056).
    /// `shared`: the number's bucket in the database (every instance's); without it, a bucket of this process alone.
    init(
        messagesPerSecond: Double, pairBurst: Double = 3, pairInterval: Double = 6,
        shared: (number: String, pool: ConnectionPool, logger: Logger?)? = nil
    ) {
        let capacity = max(1, messagesPerSecond / 10)
        sender =
            shared.map {
                SharedTokenBucket(
                    number: $0.number, rate: messagesPerSecond, capacity: capacity, pool: $0.pool, logger: $0.logger)
            } ?? TokenBucket(rate: messagesPerSecond, capacity: capacity)
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
