import Foundation
import Postgres
import Testing
import TestSupport

@Suite("Postgres connection")
struct ConnectionTests {
    @Test("values are bound, never spliced, and round-trip with their types")
    func roundTrip() throws {
        let db = try TestDatabase(migrated: false)
        let connection = try db.connect()
        try connection.execute(
            script:
                "CREATE TABLE t (i bigint, s text, b boolean, d double precision, ts timestamptz, raw bytea, doc jsonb, tags text[])"
        )
        let injection = "x'); DROP TABLE t; --"
        let when = Date(timeIntervalSince1970: 1_800_000_000.123456)
        let bytes: [UInt8] = [0, 1, 2, 0xFF, 0x5C, 0x27]
        try connection.query(
            "INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::text[])",
            [
                Int64(42), injection, true, 2.5, when, PostgresBytes(bytes), PostgresJSON(text: "{\"a\": [1, 2]}"),
                ["मराठी", "a\"b", "c,d", "తెలుగు"],
            ])
        try connection.query("INSERT INTO t (s) VALUES ($1)", [Optional<String>.none])
        let rows = try connection.query("SELECT i, s, b, d, ts, raw, doc, tags FROM t ORDER BY i NULLS LAST").rows
        #expect(rows.count == 2)
        let row = try #require(rows.first)
        #expect(try row.decode(Int64.self, at: 0) == 42)
        #expect(try row.decode(String.self, "s") == injection)
        #expect(try row.decode(Bool.self, at: 2))
        #expect(try row.decode(Double.self, at: 3) == 2.5)
        #expect(abs(try row.decode(Date.self, at: 4).timeIntervalSince(when)) < 0.000_001)
        #expect(try row.decode(PostgresBytes.self, at: 5).bytes == bytes)
        #expect(try row.decode(PostgresJSON.self, at: 6).text == "{\"a\": [1, 2]}")
        #expect(try row.decode([String].self, at: 7) == ["मराठी", "a\"b", "c,d", "తెలుగు"])
        #expect(try rows[1].decode(Int64?.self, at: 0) == nil)
        #expect(try rows[1].decode(String?.self, at: 1) == nil)
        #expect(throws: PostgresError.self) { try rows[1].decode(Int64.self, at: 0) }
        #expect(try connection.query("SELECT count(*) FROM t").first?.decode(Int.self, at: 0) == 2)
    }

    @Test("a text parameter holding NUL is refused before it reaches libpq, never stored cut short")
    func nulInText() throws {
        let db = try TestDatabase(migrated: false)
        let connection = try db.connect()
        try connection.execute(script: "CREATE TABLE t (s text, tags text[])")
        for parameters: [any PostgresEncodable] in [["u-1\u{0}zzz", ["a"]], ["u", ["a", "b\u{0}c"]]] {
            let error = #expect(throws: PostgresError.self) {
                try connection.query("INSERT INTO t VALUES ($1, $2::text[])", parameters)
            }
            #expect(error?.code == .invalidParameter)
        }
        #expect(try connection.query("SELECT count(*) FROM t").first?.decode(Int.self, at: 0) == 0)
        #expect(try connection.query("SELECT 1").count == 1, "the connection stays usable")
    }

    @Test("columns with the same name are all readable by position; by name the first wins")
    func repeatedColumnNames() throws {
        let db = try TestDatabase(migrated: false)
        let row = try #require(try db.connect().query("SELECT 1 AS x, 2 AS x, 3 AS y").first)
        #expect(try row.decode(Int.self, at: 1) == 2)
        #expect(try row.decode(Int.self, at: 2) == 3)
        #expect(try row.decode(Int.self, "x") == 1)
        #expect(row.text(at: 0) == "1")
    }

    @Test("errors carry the SQLSTATE and constraint, and their description leaks no values")
    func errorsLeakNoValues() throws {
        let db = try TestDatabase(migrated: false)
        let connection = try db.connect()
        try connection.execute(script: "CREATE TABLE people (mobile text CONSTRAINT people_mobile_key UNIQUE)")
        try connection.query("INSERT INTO people VALUES ($1)", ["+919800000001"])
        let duplicate = #expect(throws: PostgresError.self) {
            try connection.query("INSERT INTO people VALUES ($1)", ["+919800000001"])
        }
        #expect(duplicate?.sqlState == "23505")
        #expect(duplicate?.isUniqueViolation == true)
        #expect(duplicate?.constraint == "people_mobile_key")
        #expect(duplicate?.description.contains("9800000001") == false)
        let badInput = #expect(throws: PostgresError.self) {
            try connection.query("SELECT $1::int", ["secret-aadhaar-1234"])
        }
        #expect(badInput?.sqlState == "22P02")
        #expect(badInput?.description.contains("secret") == false)
        #expect(badInput?.serverMessage?.contains("secret") == true, "the server text stays available for debugging")
        // The connection is still usable after an error.
        #expect(try connection.query("SELECT 1").count == 1)
    }

    @Test("a transaction commits when the body returns and rolls back when it throws")
    func transactions() throws {
        let db = try TestDatabase(migrated: false)
        let connection = try db.connect()
        try connection.execute(script: "CREATE TABLE t (v int)")
        try connection.transaction { _ = try $0.query("INSERT INTO t VALUES (1)") }
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try connection.transaction { tx in
                try tx.query("INSERT INTO t VALUES (2)")
                throw Abort()
            }
        }
        #expect(try connection.query("SELECT array_agg(v) FROM t").first?.decode([Int].self, at: 0) == [1])
        #expect(!connection.isInTransaction)
    }

    @Test("prepared statements are prepared once per connection and reused")
    func preparedStatements() throws {
        let db = try TestDatabase(migrated: false)
        let connection = try db.connect()
        let statement = Statement("add_one", "SELECT $1::int + 1")
        for value in 0..<5 {
            #expect(try connection.query(statement, [value]).first?.decode(Int.self, at: 0) == value + 1)
        }
        let prepared = try connection.query("SELECT count(*) FROM pg_prepared_statements WHERE name = 'add_one'").first?
            .decode(Int.self, at: 0)
        #expect(prepared == 1)
    }

    @Test("LISTEN waits up to its timeout and returns notifications as they arrive")
    func listenWithTimeout() throws {
        let db = try TestDatabase(migrated: false)
        let listener = try db.connect()
        try listener.listen("wake up")
        let started = ContinuousClock.now
        #expect(try listener.waitForNotifications(timeout: .milliseconds(150)).isEmpty)
        #expect(ContinuousClock.now - started >= .milliseconds(140))
        let sender = try db.connect()
        try sender.query("SELECT pg_notify($1, $2)", ["wake up", "payload"])
        let received = try listener.waitForNotifications(timeout: .seconds(5))
        #expect(received.map(\.payload) == ["payload"])
        #expect(received.first?.channel == "wake up")
    }

    @Test("COPY streams rows with tabs, newlines, backslashes and NULLs intact")
    func copyIn() throws {
        let db = try TestDatabase(migrated: false)
        let connection = try db.connect()
        try connection.execute(script: "CREATE TABLE t (a text, b text)")
        let rows: [[String?]] = (0..<5000).map { ["row \($0)\twith\ttabs\nand\\lines", $0 % 2 == 0 ? nil : "हिन्दी"] }
        #expect(try connection.copy("COPY t (a, b) FROM STDIN", rows: rows) == 5000)
        #expect(try connection.query("SELECT count(*) FROM t WHERE b IS NULL").first?.decode(Int.self, at: 0) == 2500)
        #expect(
            try connection.query("SELECT a FROM t WHERE a LIKE 'row 7\t%'").first?.decode(String.self, at: 0)
                == rows[7][0])
    }
}

@Suite("Postgres pool")
struct PoolTests {
    @Test("the pool is bounded: a borrower waits, then times out")
    func bounded() throws {
        let db = try TestDatabase(migrated: false)
        let pool = ConnectionPool(url: db.url, maximumConnections: 2, acquireTimeout: .milliseconds(200))
        let first = try pool.acquire()
        let second = try pool.acquire()
        let timeout = #expect(throws: PostgresError.self) { _ = try pool.acquire() }
        #expect(timeout?.code == .poolTimeout)
        pool.release(first)
        let third = try pool.acquire()
        #expect(pool.openConnections == 2)
        pool.release(second)
        pool.release(third)
        pool.close()
    }

    @Test("a connection killed by the server is replaced: the pool recovers without a restart")
    func reconnectsAfterTermination() throws {
        let db = try TestDatabase(migrated: false)
        let pool = ConnectionPool(url: db.url, maximumConnections: 1)
        let pid = try pool.withConnection { $0.backendPID }
        let admin = try db.connect()
        try admin.query("SELECT pg_terminate_backend($1)", [pid])
        #expect(try eventually { try admin.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1", [pid]).count == 0 })
        let failure = #expect(throws: PostgresError.self) { try pool.withConnection { try $0.query("SELECT 1") } }
        #expect(failure?.isConnectionFailure == true)
        let newPID = try pool.withConnection { connection -> Int32 in
            try connection.query("SELECT 1")
            return connection.backendPID
        }
        #expect(newPID != pid)
    }

    @Test("a bad URL is refused with a clear error")
    func badURL() {
        let error = #expect(throws: PostgresError.self) { _ = try Connection(url: "mysql://nope") }
        #expect(error?.code == .invalidURL)
    }
}
