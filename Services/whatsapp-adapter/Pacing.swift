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
/// the adapter: Meta counts the number's messages, not each process's. Each instance takes a block of a tenth of a
/// second's tokens at a time and spends it within a quarter of a second (after that the rest is dropped, never saved
/// up), so what all instances send in any stretch of time stays within the one bucket's rate and burst (two blocks)
/// plus that quarter second. When the bucket has no block, the instance's threads wait on the time the database
/// named (at least half a block's), not on the database: at most 20 calls a second per instance and number, whatever
/// the rate and however many threads wait.
final class SharedTokenBucket: SenderBudget {
    private struct Block { var tokens = 0; var takenAt = -Double.infinity; var notBefore = -Double.infinity }
    let number: String
    let rate: Double
    let capacity: Double
    let blockSize: Int
    private let pool: ConnectionPool
    private let block = Mutex(Block())
    private let fetching = Mutex(())
    private let logger: Logger?

    /// `burst`: a block (a tenth of a second's tokens); the bucket holds two, so that a call that comes a little
    /// late does not find the bucket full and the rate lost.
    init(number: String, rate: Double, burst: Double, pool: ConnectionPool, logger: Logger? = nil) {
        self.number = number
        self.rate = rate
        blockSize = max(1, Int(burst))
        capacity = Double(2 * blockSize)
        self.pool = pool
        self.logger = logger
    }

    private static func now() -> Double { Double(MonotonicTime.now().nanoseconds) / 1e9 }

    func take() -> Duration? {
        if let local = takeLocally() { return local }
        // One thread of the instance asks the database at a time; the others find its block when they get here.
        return fetching.withLock { _ in
            if let local = takeLocally() { return local }
            return takeFromDatabase()
        }
    }

    /// A token of the block in hand (`.some(nil)`), the wait the database named (`.some(wait)`), or nil: ask it.
    private func takeLocally() -> Duration?? {
        let now = Self.now()
        return block.withLock { block -> Duration?? in
            if block.tokens > 0, now - block.takenAt < 0.25 {
                block.tokens -= 1
                return .some(nil)
            }
            if now < block.notBefore { return .some(Self.duration(block.notBefore - now)) }
            return .none
        }
    }

    private func takeFromDatabase() -> Duration? {
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
            // Until the whole block can be there (a grant is all or none): this instance's threads wait on that, not
            // on the database; and no sooner than half a block's time (another instance may take it first), so an
            // instance calls the database at most 20 times a second for a number, however many threads wait.
            let wait = max(try row?.decode(Double.self, at: 1) ?? 0.05, Double(blockSize) / rate / 2)
            block.withLock { $0.notBefore = Self.now() + wait }
            return Self.duration(wait)
        } catch {
            // No database, no sending: the caller puts the message off and tries again.
            logger?.warning("sender budget not read", ["error": String(describing: error)])
            return .milliseconds(250)
        }
    }

    private static func duration(_ seconds: Double) -> Duration {
        .milliseconds(Int64(max(1, (seconds * 1000).rounded(.up))))
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
    /// The number, when its buckets are the database's (every instance's): the pair buckets are then
    /// `whatsapp_pair_budgets` (migration 0034), taken on the caller's connection.
    private let sharedNumber: String?
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
                    number: $0.number, rate: messagesPerSecond, burst: capacity, pool: $0.pool, logger: $0.logger)
            } ?? TokenBucket(rate: messagesPerSecond, capacity: capacity)
        self.sharedNumber = shared?.number
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

    /// Takes each recipient's pair token (a recipient listed twice takes two), in one statement on `connection` when
    /// the buckets are shared; for each, nil when taken or how long to put their message off.
    /// - Throws: `PostgresError` from the database.
    func takePairs(_ recipients: [String], on connection: Connection) throws -> [Duration?] {
        guard let number = sharedNumber else { return recipients.map(takePair) }
        guard !recipients.isEmpty else { return [] }
        var waits = [Duration?](repeating: nil, count: recipients.count)
        for row in try connection.query(
            "SELECT n, wait_seconds FROM whatsapp_pair_take($1, $2, $3, $4)",
            [recipients.map { _ in number }, recipients, pairRate, pairBurst]
        ).rows {
            let wait = try row.decode(Double.self, at: 1)
            waits[try row.decode(Int.self, at: 0) - 1] =
                wait > 0 ? .milliseconds(Int64((wait * 1000).rounded(.up))) : nil
        }
        return waits
    }

    /// Takes the recipient's pair token from this process's bucket, or returns how long to put their message off.
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
