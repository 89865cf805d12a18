import ServiceRuntime

/// An error from PostgreSQL or from this wrapper.
///
/// `description` is safe to log: it names the SQLSTATE and, where the server gave them, the constraint,
/// table and column (identifiers only), but never the server's message text, which can quote values.
package struct PostgresError: Error, CustomStringConvertible, Sendable, TemporaryUnavailability {
    /// What went wrong, extensible.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        package var rawValue: String
        /// A code named `rawValue`.
        package init(_ rawValue: String) { self.rawValue = rawValue }
        package var description: String { rawValue }

        package static let invalidURL = Code("invalid_url")
        package static let connectionFailed = Code("connection_failed")
        package static let connectionLost = Code("connection_lost")
        package static let server = Code("server_error")
        package static let decoding = Code("decoding_failed")
        package static let poolTimeout = Code("pool_timeout")
        package static let poolClosed = Code("pool_closed")
        package static let copyFailed = Code("copy_failed")
        package static let protocolViolation = Code("protocol_violation")
        package static let invalidParameter = Code("invalid_parameter")
    }

    package var code: Code
    /// The five-character SQLSTATE, when the server sent one.
    package var sqlState: String?
    package var constraint: String?
    package var table: String?
    package var column: String?
    /// Our own explanation; never contains values.
    package var message: String
    /// The server's text, which may quote values: for debugging only, never logged by `description`.
    package var serverMessage: String?

    /// An error of `code` with our own `message` (never values), and what the server said when it said it.
    package init(_ code: Code, _ message: String, sqlState: String? = nil, serverMessage: String? = nil) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.serverMessage = serverMessage
    }

    package var description: String {
        var text = "PostgreSQL \(code): \(message)"
        if let sqlState { text += " [SQLSTATE \(sqlState)]" }
        if let constraint { text += " constraint=\(constraint)" }
        if let table { text += " table=\(table)" }
        if let column { text += " column=\(column)" }
        return text
    }

    /// True when the connection is gone (server restarted, network cut): the caller may retry on a new one.
    package var isConnectionFailure: Bool {
        code == .connectionLost || code == .connectionFailed
            || sqlState?.hasPrefix("08") == true || sqlState == "57P01" || sqlState == "57P02" || sqlState == "57P03"
    }

    /// The database is down, restarting, out of connections or too slow for now: a caller may retry later.
    package var isTemporarilyUnavailable: Bool {
        isConnectionFailure || code == .poolTimeout || code == .poolClosed
            || sqlState == "53300" || sqlState == "57014" || sqlState == "55P03" || isSerializationFailure
    }

    /// 23505: a unique constraint was violated.
    package var isUniqueViolation: Bool { sqlState == "23505" }
    /// 40001 or 40P01: the transaction may succeed if run again.
    package var isSerializationFailure: Bool { sqlState == "40001" || sqlState == "40P01" }
}
