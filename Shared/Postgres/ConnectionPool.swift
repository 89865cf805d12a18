import ServiceRuntime

/// A bounded pool of connections to one database.
///
/// Borrowers wait (up to `acquireTimeout`) when all connections are out. A connection that comes back
/// broken (the server restarted) is dropped, and the next borrower gets a fresh one, so the pool
/// recovers from a restart without any restart of the service.
package final class ConnectionPool: Sendable {
    private struct State {
        var idle: [Connection] = []
        var open = 0
        var isClosed = false
    }

    package let url: String
    package let maximumConnections: Int
    private let acquireTimeout: Duration
    private let applicationName: String
    private let statementTimeout: Duration?
    private let lock = ConditionLock()
    nonisolated(unsafe) private var state = State()  // guarded by `lock`

    /// A pool of at most `maximumConnections` to `url`; `acquireTimeout` bounds the wait for a free one.
    package init(
        url: String, maximumConnections: Int, acquireTimeout: Duration = .seconds(10),
        applicationName: String = "dakiya", statementTimeout: Duration? = nil
    ) {
        precondition(maximumConnections > 0)
        self.url = url
        self.maximumConnections = maximumConnections
        self.acquireTimeout = acquireTimeout
        self.applicationName = applicationName
        self.statementTimeout = statementTimeout
    }

    /// Lends a connection to `body` and takes it back afterwards.
    /// Throws `poolTimeout` when none frees up in time, `connectionFailed` when the server is unreachable.
    /// - Throws: `PostgresError` (`poolTimeout`, `poolClosed`, `connectionFailed`), or whatever `body` throws.
    package func withConnection<T>(_ body: (Connection) throws -> T) throws -> T {
        let connection = try acquire()
        defer { release(connection) }
        return try body(connection)
    }

    /// Runs `body` in a transaction on a pooled connection.
    /// - Throws: `PostgresError` (`poolTimeout`, `poolClosed`, `connectionFailed`), or whatever `body` throws (after the rollback).
    package func transaction<T>(_ body: (Connection) throws -> T) throws -> T {
        try withConnection { try $0.transaction(body) }
    }

    /// Takes a connection out of the pool; give it back with `release`.
    /// - Throws: `PostgresError` (`poolTimeout`, `poolClosed`, `connectionFailed`).
    package func acquire() throws -> Connection {
        enum Next { case reuse(Connection), create, timedOut, closed }
        let next: Next = lock.withLock {
            let available = lock.wait(
                until: { state.isClosed || !state.idle.isEmpty || state.open < maximumConnections },
                timeout: acquireTimeout)
            if state.isClosed { return .closed }
            guard available else { return .timedOut }
            if let connection = state.idle.popLast() { return .reuse(connection) }
            state.open += 1
            return .create
        }
        switch next {
        case .reuse(let connection):
            if connection.isConnected { return connection }
            do {
                try connection.reconnect()
                return connection
            } catch {
                lock.withLock {
                    state.open -= 1; lock.signal()
                }
                throw error
            }
        case .create:
            do {
                return try Connection(url: url, applicationName: applicationName, statementTimeout: statementTimeout)
            } catch {
                lock.withLock {
                    state.open -= 1; lock.signal()
                }
                throw error
            }
        case .timedOut:
            throw PostgresError(.poolTimeout, "no connection became free within \(acquireTimeout)")
        case .closed:
            throw PostgresError(.poolClosed, "the pool is closed")
        }
    }

    /// Gives a connection back. A broken one, or one left inside a transaction, is dropped.
    package func release(_ connection: Connection) {
        let keep = connection.isConnected && !connection.isInTransaction
        lock.withLock {
            if keep && !state.isClosed {
                state.idle.append(connection)
            } else {
                state.open -= 1
            }
            lock.signal()
        }
    }

    /// Closes idle connections and refuses new borrowers.
    package func close() {
        lock.withLock {
            state.isClosed = true
            state.open -= state.idle.count
            state.idle.removeAll()
            lock.broadcast()
        }
    }

    /// Connections currently open (idle plus lent out).
    package var openConnections: Int { lock.withLock { state.open } }

    /// True when a trivial query succeeds within the pool's timeout: the readiness check.
    package func isReachable() -> Bool {
        (try? withConnection { try $0.query("SELECT 1") }) != nil
    }
}
