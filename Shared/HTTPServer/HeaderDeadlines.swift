import Glibc
import ServiceRuntime

/// Closes connections whose request header does not arrive in time (slowloris: one header line every few
/// seconds keeps an idle timeout from ever firing). A connection gets a deadline when it opens and again after
/// each response; the deadline is cleared once a request's header is complete. A thread of ours checks once a
/// second and shuts the overdue sockets down, so libmicrohttpd sees the end of the stream and closes them.
///
/// libmicrohttpd tells us a connection is closed (and forgets it here, under the lock) before it closes the
/// socket, so a socket shut down here is always still the connection's own, never a reused descriptor.
final class HeaderDeadlines: @unchecked Sendable {
    private struct Entry {
        var socket: Int32
        var deadline: MonotonicTime?
    }

    private let timeout: Duration
    private let closedCounter: Counter
    private let lock = ConditionLock()
    private var entries: [UInt: Entry] = [:]  // guarded by lock; keyed by the connection's address
    private var stopping = false  // guarded by lock

    init(timeout: Duration, closed: Counter) {
        self.timeout = timeout
        self.closedCounter = closed
    }

    private static func key(_ connection: OpaquePointer) -> UInt {
        UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(connection)))
    }

    func opened(_ connection: OpaquePointer, socket: Int32) {
        let deadline = MonotonicTime.now().advanced(by: timeout)
        lock.withLock { entries[Self.key(connection)] = Entry(socket: socket, deadline: deadline) }
    }

    func closed(_ connection: OpaquePointer) {
        lock.withLock { _ = entries.removeValue(forKey: Self.key(connection)) }
    }

    func headerArrived(_ connection: OpaquePointer) {
        lock.withLock { entries[Self.key(connection)]?.deadline = nil }
    }

    /// After a response: the next request's header is due within the timeout (this also bounds idle keep-alive).
    func awaitHeader(_ connection: OpaquePointer) {
        let deadline = MonotonicTime.now().advanced(by: timeout)
        lock.withLock { entries[Self.key(connection)]?.deadline = deadline }
    }

    /// Checks once a second until `stop`.
    func run() {
        while true {
            let keepGoing: Bool = lock.withLock {
                _ = lock.wait(until: { stopping }, timeout: .seconds(1))
                guard !stopping else { return false }
                let now = MonotonicTime.now()
                var closed = 0
                for (key, entry) in entries {
                    guard let deadline = entry.deadline, deadline < now, entry.socket >= 0 else { continue }
                    shutdown(entry.socket, Int32(SHUT_RDWR))
                    entries[key]?.deadline = nil
                    closed += 1
                }
                if closed > 0 { closedCounter.increment(by: Double(closed)) }
                return true
            }
            if !keepGoing { return }
        }
    }

    func stop() {
        lock.withLock {
            stopping = true
            lock.broadcast()
        }
    }
}
