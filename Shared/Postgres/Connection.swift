import CLibpq
import Glibc

/// A named SQL statement that is prepared once per connection and then executed by name.
package struct Statement: Sendable, Hashable {
    package var name: String
    package var sql: String
    /// A statement prepared under `name` on each connection that runs it.
    package init(_ name: String, _ sql: String) {
        self.name = name
        self.sql = sql
    }
}

/// A notification received on a LISTEN channel.
package struct PostgresNotification: Sendable, Equatable {
    package var channel: String
    package var payload: String
    package var backendPID: Int32
}

/// One connection to PostgreSQL.
///
/// Not thread-safe: one thread uses it at a time (the pool hands it to one borrower at a time), which is
/// the invariant that makes the `@unchecked Sendable` safe. Every session runs with TimeZone=UTC so
/// timestamps decode without guessing.
package final class Connection: @unchecked Sendable {
    private var handle: OpaquePointer?
    private var prepared: Set<String> = []
    /// SQL text → name of its automatically prepared statement (bounded; cleared when full).
    private var autoPrepared: [String: String] = [:]
    private static let autoPreparedLimit = 256
    private let url: String
    /// Session settings applied after every (re)connect.
    private let sessionSetup: String
    /// True inside `transaction`, so nested calls join the outer transaction.
    package private(set) var isInTransaction = false

    /// Connects with a `postgres://` or `postgresql://` URL (libpq's own URI syntax, e.g.
    /// `postgresql:///dakiya?host=/path/to/socket&port=55432`). Throws `connectionFailed`.
    /// - Throws: `PostgresError` (`invalidURL`, `connectionFailed`) when the server cannot be reached with `url`.
    package init(url: String, applicationName: String = "dakiya", statementTimeout: Duration? = nil) throws {
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
            throw PostgresError(.invalidURL, "the connection URL must start with postgres:// or postgresql://")
        }
        self.url = url
        var setup =
            "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET extra_float_digits = 3; SET application_name = '\(applicationName.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })'; SET idle_in_transaction_session_timeout = '60s'; SET plan_cache_mode = force_generic_plan; SET jit = off"
        // No JIT: its compile time (seconds for a statement the planner thinks costly, like a broadcast's fan-out of
        // 5,000 recipients: 4.2 s of 4.4) never pays back on statements that run in milliseconds.
        if let statementTimeout { setup += "; SET statement_timeout = \(Int(statementTimeout.seconds * 1000))" }
        self.sessionSetup = setup
        try connect()
    }

    deinit { if let handle { PQfinish(handle) } }

    private func connect() throws {
        if let handle { PQfinish(handle) }
        prepared.removeAll()
        autoPrepared.removeAll()
        isInTransaction = false
        handle = PQconnectdb(url)
        guard let handle, PQstatus(handle) == CONNECTION_OK else {
            let detail = handle.map { Self.text(PQerrorMessage($0)) } ?? "out of memory"
            if let handle { PQfinish(handle) }
            self.handle = nil
            throw PostgresError(.connectionFailed, "could not connect to PostgreSQL", serverMessage: detail)
        }
        PQsetNoticeProcessor(handle, { _, _ in }, nil)  // notices are not errors; libpq would print them to stderr
        let result = PQexec(handle, sessionSetup)
        defer { PQclear(result) }
        if PQresultStatus(result) != PGRES_COMMAND_OK {
            throw error(from: result, fallback: "session setup failed")
        }
    }

    /// True while the socket to the server is usable.
    package var isConnected: Bool { handle.map { PQstatus($0) == CONNECTION_OK } ?? false }

    /// Drops the current session (if any) and connects again. Prepared statements are prepared again on use.
    /// - Throws: `PostgresError` (`connectionFailed`) when the server cannot be reached.
    package func reconnect() throws { try connect() }

    /// The server process id of this session (useful in tests and `pg_stat_activity`).
    package var backendPID: Int32 { handle.map { PQbackendPID($0) } ?? 0 }

    // MARK: Queries

    /// Runs `sql` with `parameters` bound as `$1…$n` and returns the rows. The statement is prepared on this
    /// connection the first time its text is seen and executed by name afterwards (parse and plan once).
    /// - Throws: `PostgresError` from the server (with its SQLSTATE) or for a lost connection.
    @discardableResult
    package func query(_ sql: String, _ parameters: [any PostgresEncodable] = []) throws -> QueryResult {
        let handle = try liveHandle()
        let name: String
        if let known = autoPrepared[sql] {
            name = known
        } else {
            if autoPrepared.count >= Self.autoPreparedLimit {
                for stale in autoPrepared.values { _ = try? check(PQexec(handle, "DEALLOCATE \(stale)")) }
                autoPrepared.removeAll()
            }
            name = "dakiya_q\(autoPreparedCounter)"
            autoPreparedCounter += 1
            _ = try check(PQprepare(handle, name, sql, 0, nil))
            autoPrepared[sql] = name
        }
        let result = try withBoundParameters(parameters) { count, values, lengths, formats in
            PQexecPrepared(handle, name, count, values, lengths, formats, 0)
        }
        return try check(result)
    }

    private var autoPreparedCounter = 0

    /// Runs a prepared statement, preparing it on this connection first if needed.
    /// - Throws: `PostgresError` from the server (with its SQLSTATE) or for a lost connection.
    @discardableResult
    package func query(_ statement: Statement, _ parameters: [any PostgresEncodable] = []) throws -> QueryResult {
        let handle = try liveHandle()
        if !prepared.contains(statement.name) {
            let result = PQprepare(handle, statement.name, statement.sql, 0, nil)
            _ = try check(result)
            prepared.insert(statement.name)
        }
        let result = try withBoundParameters(parameters) { count, values, lengths, formats in
            PQexecPrepared(handle, statement.name, count, values, lengths, formats, 0)
        }
        return try check(result)
    }

    /// Runs `body` with each statement planned for its own parameters (`plan_cache_mode = force_custom_plan`),
    /// then goes back to the session's generic plans. For statements on tables that start empty and grow large
    /// (a broadcast's messages): a generic plan made while the table was empty stays a sequential scan on that
    /// connection for ever. The planning costs a fraction of a millisecond, fine for a statement per batch.
    /// - Throws: `PostgresError` from the database, or what `body` throws.
    package func withCustomPlans<T>(_ body: () throws -> T) throws -> T {
        try execute(script: "SET plan_cache_mode = force_custom_plan")
        defer { try? execute(script: "SET plan_cache_mode = force_generic_plan") }
        return try body()
    }

    /// Runs one or more statements that take no parameters (DDL, migrations, `LISTEN`).
    /// - Throws: `PostgresError` from the server (with its SQLSTATE) or for a lost connection.
    package func execute(script sql: String) throws {
        let handle = try liveHandle()
        _ = try check(PQexec(handle, sql))
    }

    /// Runs `body` in a transaction: COMMIT when it returns, ROLLBACK when it throws.
    /// Nested calls join the outer transaction.
    /// - Throws: whatever `body` throws (after the rollback), or `PostgresError` from BEGIN or COMMIT.
    package func transaction<T>(_ body: (Connection) throws -> T) throws -> T {
        if isInTransaction { return try body(self) }
        try execute(script: "BEGIN")
        isInTransaction = true
        do {
            let value = try body(self)
            isInTransaction = false
            try execute(script: "COMMIT")
            return value
        } catch {
            isInTransaction = false
            if isConnected { try? execute(script: "ROLLBACK") }
            throw error
        }
    }

    // MARK: LISTEN / NOTIFY

    /// Starts listening on `channel` (quoted as an identifier, so any name is safe).
    /// - Throws: `PostgresError` from the server or for a lost connection.
    package func listen(_ channel: String) throws {
        let handle = try liveHandle()
        guard let quoted = PQescapeIdentifier(handle, channel, channel.utf8.count) else {
            throw PostgresError(.protocolViolation, "could not quote the channel name")
        }
        defer { PQfreemem(quoted) }
        try execute(script: "LISTEN " + Self.text(quoted))
    }

    /// Returns the notifications that arrive within `timeout` (empty when none did). Returns as soon as at
    /// least one is there. Throws `connectionLost` when the server goes away.
    /// - Throws: `PostgresError` for a lost connection.
    package func waitForNotifications(timeout: Duration) throws -> [PostgresNotification] {
        let handle = try liveHandle()
        var received = drainNotifications(handle)
        if !received.isEmpty { return received }
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        guard descriptor.fd >= 0 else { throw PostgresError(.connectionLost, "the connection has no socket") }
        let milliseconds = Int32(max(0, min(Double(Int32.max), timeout.seconds * 1000)))
        let ready = poll(&descriptor, 1, milliseconds)
        if ready < 0 && errno != EINTR { throw PostgresError(.connectionLost, "poll failed on the connection socket") }
        if ready > 0 {
            if PQconsumeInput(handle) == 0 || PQstatus(handle) != CONNECTION_OK {
                throw PostgresError(
                    .connectionLost, "the server closed the connection",
                    serverMessage: Self.text(PQerrorMessage(handle)))
            }
            received = drainNotifications(handle)
        }
        return received
    }

    private func drainNotifications(_ handle: OpaquePointer) -> [PostgresNotification] {
        var out: [PostgresNotification] = []
        while let notice = PQnotifies(handle) {
            out.append(
                PostgresNotification(
                    channel: Self.text(notice.pointee.relname),
                    payload: Self.text(notice.pointee.extra),
                    backendPID: notice.pointee.be_pid))
            PQfreemem(notice)
        }
        return out
    }

    // MARK: COPY

    /// Streams `rows` to `copySQL` (a `COPY … FROM STDIN` statement) in text format, 64 KiB at a time: a lazy
    /// sequence is never held whole. Returns the row count.
    /// - Throws: `PostgresError` (`copyFailed`) when the server refuses a row, or for a lost connection.
    @discardableResult
    package func copy<Rows: Sequence>(_ copySQL: String, rows: Rows) throws -> Int where Rows.Element == [String?] {
        let handle = try liveHandle()
        let start = PQexec(handle, copySQL)
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            _ = try check(start); throw PostgresError(.copyFailed, "COPY did not start")
        }
        PQclear(start)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 16)
        func flush() throws {
            guard !buffer.isEmpty else { return }
            let sent = buffer.withUnsafeBufferPointer { pointer in
                pointer.withMemoryRebound(to: CChar.self) { PQputCopyData(handle, $0.baseAddress, Int32($0.count)) }
            }
            guard sent == 1 else {
                throw PostgresError(
                    .copyFailed, "sending COPY data failed", serverMessage: Self.text(PQerrorMessage(handle)))
            }
            buffer.removeAll(keepingCapacity: true)
        }
        for row in rows {
            for (index, field) in row.enumerated() {
                if index > 0 { buffer.append(0x09) }
                guard let field else { buffer.append(contentsOf: [0x5C, 0x4E]); continue }
                for byte in field.utf8 {
                    switch byte {
                    case 0x5C: buffer.append(contentsOf: [0x5C, 0x5C])
                    case 0x09: buffer.append(contentsOf: [0x5C, 0x74])
                    case 0x0A: buffer.append(contentsOf: [0x5C, 0x6E])
                    case 0x0D: buffer.append(contentsOf: [0x5C, 0x72])
                    default: buffer.append(byte)
                    }
                }
            }
            buffer.append(0x0A)
            if buffer.count >= 1 << 16 { try flush() }
        }
        try flush()
        guard PQputCopyEnd(handle, nil) == 1 else { throw PostgresError(.copyFailed, "ending COPY failed") }
        var last: QueryResult?
        while let result = PQgetResult(handle) { last = try check(result) }
        return last?.affectedRows ?? 0
    }

    // MARK: Checking

    private func liveHandle() throws -> OpaquePointer {
        guard let handle else { throw PostgresError(.connectionLost, "the connection is closed") }
        return handle
    }

    /// The one funnel that turns a libpq result into a value or a thrown `PostgresError`.
    private func check(_ result: OpaquePointer?) throws -> QueryResult {
        guard let result else {
            throw PostgresError(
                isConnected ? .protocolViolation : .connectionLost, "no result from the server",
                serverMessage: handle.map { Self.text(PQerrorMessage($0)) })
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN:
            return QueryResult(result)
        default:
            let failure = error(from: result, fallback: "the statement failed")
            PQclear(result)
            throw failure
        }
    }

    private func error(from result: OpaquePointer?, fallback: String) -> PostgresError {
        func field(_ code: Character) -> String? {
            guard let result, let pointer = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return Self.text(pointer)
        }
        let sqlState = field("C")
        let lost = !isConnected
        var failure = PostgresError(
            lost ? .connectionLost : .server, lost ? "the connection to the server was lost" : fallback,
            sqlState: sqlState, serverMessage: field("M") ?? handle.map { Self.text(PQerrorMessage($0)) })
        failure.constraint = field("n")
        failure.table = field("t")
        failure.column = field("c")
        if let sqlState, sqlState.hasPrefix("08") || sqlState.hasPrefix("57P") { failure.code = .connectionLost }
        return failure
    }

    static func text(_ pointer: UnsafePointer<CChar>?) -> String {
        guard let pointer else { return "" }
        return String(validatingCString: pointer)
            ?? String(decoding: UnsafeRawBufferPointer(start: pointer, count: strlen(pointer)), as: UTF8.self)
    }
    static func text(_ pointer: UnsafeMutablePointer<CChar>?) -> String { text(UnsafePointer(pointer)) }
}

/// Calls `body` with C arrays for the bound parameters; the memory lives only for the call. A text parameter
/// holding NUL is refused (`invalidParameter`): libpq passes text as a C string, so it would be cut short there and
/// stored truncated. PostgreSQL's text cannot hold NUL at all.
private func withBoundParameters<R>(
    _ parameters: [any PostgresEncodable],
    _ body: (Int32, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> R
) throws -> R {
    if parameters.isEmpty { return body(0, nil, nil, nil) }
    var storage: [UnsafeMutablePointer<CChar>?] = []
    var lengths: [Int32] = []
    var formats: [Int32] = []
    storage.reserveCapacity(parameters.count)
    defer { for pointer in storage { free(pointer) } }
    for (index, parameter) in parameters.enumerated() {
        switch parameter.postgresBind {
        case .null:
            storage.append(nil); lengths.append(0); formats.append(0)
        case .text(let text):
            guard !text.utf8.contains(0) else {
                throw PostgresError(
                    .invalidParameter, "parameter $\(index + 1) holds a NUL character, which text cannot store")
            }
            guard let copy = strdup(text) else {
                throw PostgresError(.invalidParameter, "out of memory copying parameter $\(index + 1)")
            }
            storage.append(copy); lengths.append(0); formats.append(0)
        case .binary(let bytes):
            guard let raw = malloc(max(1, bytes.count)) else {
                throw PostgresError(.invalidParameter, "out of memory copying parameter $\(index + 1)")
            }
            let pointer = raw.assumingMemoryBound(to: CChar.self)  // freed with free() above
            bytes.withUnsafeBytes { source in
                if let base = source.baseAddress { raw.copyMemory(from: base, byteCount: source.count) }
            }
            storage.append(pointer); lengths.append(Int32(bytes.count)); formats.append(1)
        }
    }
    return storage.withUnsafeBufferPointer { values in
        values.withMemoryRebound(to: UnsafePointer<CChar>?.self) { constValues in
            lengths.withUnsafeBufferPointer { lengthPointer in
                formats.withUnsafeBufferPointer { formatPointer in
                    body(
                        Int32(parameters.count), constValues.baseAddress, lengthPointer.baseAddress,
                        formatPointer.baseAddress)
                }
            }
        }
    }
}
