import Cryptography
import Foundation
import Postgres
import ServiceRuntime
import Synchronization
import TestSupport
import Testing
import TransparencyLog
import TransparencyLogStore

@Suite("Log integrator (real PostgreSQL)", .serialized)
struct IntegratorTests {
    /// Queues each entry as its own row, or `rows` as rows of several entries (as one domain statement does).
    static func queue(_ entries: [String], on connection: Connection) throws {
        try queue(rows: entries.map { [$0] }, on: connection)
    }

    static func queue(rows: [[String]], on connection: Connection) throws {
        for row in rows {
            try connection.query(
                "INSERT INTO log_queue (entries) SELECT array_agg(convert_to(e, 'UTF8') ORDER BY n) FROM unnest($1::text[]) WITH ORDINALITY AS u(e, n)",
                [row])
        }
    }

    static func logged(_ connection: Connection) throws -> [(index: Int, entry: [UInt8], leaf: [UInt8])] {
        try connection.query("SELECT idx, entry, leaf_hash FROM log_entries ORDER BY idx").rows.map {
            (
                try $0.decode(Int.self, at: 0), try $0.decode(PostgresBytes.self, at: 1).bytes,
                try $0.decode(PostgresBytes.self, at: 2).bytes
            )
        }
    }

    @Test("waiting entries get contiguous indexes in queue order, the root and a signed checkpoint that verify")
    func integrates() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        let signer = try LogSigner.stored(origin: "dakiya.test/log", on: connection)
        #expect(
            try LogSigner.stored(origin: "dakiya.test/log", on: try db.connect()).verifier.publicKey
                == signer.verifier.publicKey, "every process signs with the one kept key")
        #expect(try LogIntegrator.integrate(signer: signer, on: connection) == nil, "nothing waits: no checkpoint")

        // Rows of several entries (one statement's) keep their order inside the row.
        try Self.queue(rows: [[0, 1], [2], [3, 4]].map { $0.map { #"{"n":\#($0)}"# } }, on: connection)
        let firstBatch = try #require(try LogIntegrator.integrate(signer: signer, on: connection))
        #expect(firstBatch.added == 5)
        let first = firstBatch.checkpoint
        #expect(first.size == 5)
        try Self.queue((5..<8).map { #"{"n":\#($0)}"# }, on: connection)
        #expect(try LogIntegrator.integrate(limit: 2, signer: signer, on: connection)?.checkpoint.size == 7)
        let last = try #require(try LogIntegrator.integrate(limit: 2, signer: signer, on: connection)).checkpoint
        #expect(last.size == 8)

        let entries = try Self.logged(connection)
        #expect(entries.map(\.index) == Array(0..<8))
        #expect(entries.map { String(decoding: $0.entry, as: UTF8.self) } == (0..<8).map { #"{"n":\#($0)}"# })
        #expect(entries.allSatisfy { $0.leaf == Merkle.leafHash($0.entry) })
        let tree = MerkleTree(leafHashes: entries.map(\.leaf))
        #expect(last.root == tree.root(size: 8))
        #expect(first.root == tree.root(size: 5))
        #expect(
            Merkle.verifyConsistency(
                size1: 5, root1: first.root, size2: 8, root2: last.root,
                proof: tree.consistencyProof(from: 5, to: 8)))
        let note = try #require(try StoredLog.latestNote(on: connection))
        let verified = try SignedNote.verify(note, key: try #require(NoteKey(verifierKey: signer.verifier.verifierKey)))
        #expect(Checkpoint(body: verified) == last)
        #expect(try connection.query("SELECT count(*) FROM log_queue").first?.decode(Int.self, at: 0) == 0)
        #expect(try connection.query("SELECT count(*) FROM log_checkpoints").first?.decode(Int.self, at: 0) == 3)
    }

    @Test(
        "logged entries and checkpoints cannot be changed, deleted or truncated (DKL01) by any role; the services' role lacks the privileges (42501)"
    )
    func appendOnly() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        let signer = try LogSigner.stored(origin: "dakiya.test/log", on: connection)
        try Self.queue([#"{"n":0}"#], on: connection)
        try LogIntegrator.integrate(signer: signer, on: connection)
        for statement in [
            "UPDATE log_entries SET entry = '\\x7b7d'", "DELETE FROM log_entries", "TRUNCATE log_entries",
            "UPDATE log_checkpoints SET note = 'forged'", "DELETE FROM log_checkpoints", "TRUNCATE log_checkpoints",
        ] {
            do {
                try connection.query(statement)
                Issue.record("\(statement) was allowed")
            } catch let error as PostgresError {
                // TRUNCATE of checkpoints meets the cosignatures' foreign key first (0A000): refused either way.
                #expect(["DKL01", "0A000"].contains(error.sqlState), "\(statement): \(error)")
            }
        }
        #expect(try Self.logged(connection).count == 1)

        // The services' role does not even hold the privileges (migration 0020), while it may queue entries.
        try connection.execute(script: "SET ROLE dakiya_service")
        for statement in [
            "UPDATE log_entries SET entry = '\\x7b7d'", "DELETE FROM log_entries", "TRUNCATE log_entries",
            "DELETE FROM log_checkpoints", "UPDATE log_tiles SET root = root", "DELETE FROM log_cosignatures",
        ] {
            do {
                try connection.query(statement)
                Issue.record("\(statement) was allowed to the services' role")
            } catch let error as PostgresError {
                #expect(error.sqlState == "42501", "\(statement): \(error)")
            }
        }
        try Self.queue([#"{"n":1}"#], on: connection)
        #expect(try LogIntegrator.integrate(signer: signer, on: connection)?.checkpoint.size == 2, "and integrate them")
        try connection.execute(script: "RESET ROLE")
    }

    @Test("two integrators at once, and one killed mid-batch: indexes stay contiguous, none twice, the root holds")
    func concurrentAndCrashed() throws {
        let db = try TestDatabase()
        let setup = try db.connect()
        let signer = try LogSigner.stored(origin: "dakiya.test/log", on: setup)
        try Self.queue((0..<400).map { #"{"n":\#($0)}"# }, on: setup)

        // A batch cut short: its transaction took the state lock and wrote entries, then its session died.
        let doomed = try db.connect()
        try doomed.execute(script: "BEGIN")
        try doomed.query("SELECT size FROM log_state FOR UPDATE")
        try doomed.query(
            "INSERT INTO log_entries (idx, entry, leaf_hash, queued_at) VALUES (0, '\\x00', decode(repeat('00', 32), 'hex'), now())"
        )
        try setup.query("SELECT pg_terminate_backend($1)", [Int(doomed.backendPID)])

        let errors = Mutex<[String]>([])
        let threads = try (0..<2).map { worker in
            try OwnedThread(name: "integrator-\(worker)") {
                do {
                    let connection = try db.connect()
                    while try LogIntegrator.integrate(limit: 37, signer: signer, on: connection) != nil {}
                } catch {
                    errors.withLock { $0.append(String(describing: error)) }
                }
            }
        }
        threads.forEach { $0.join() }
        let failures = errors.withLock { $0 }
        #expect(failures.isEmpty, "\(failures)")
        let entries = try Self.logged(setup)
        #expect(entries.map(\.index) == Array(0..<400), "contiguous from 0, none twice, the killed batch left nothing")
        #expect(Set(entries.map { String(decoding: $0.entry, as: UTF8.self) }).count == 400)
        let state = try #require(try setup.query("SELECT size, root FROM log_state").first)
        #expect(try state.decode(Int.self, at: 0) == 400)
        #expect(
            try state.decode(PostgresBytes.self, at: 1).bytes
                == MerkleTree(leafHashes: entries.map(\.leaf)).root(size: 400))
    }
}

@Suite("Log entries written by SQL")
struct SQLEntryTests {
    @Test("dakiya_log_entry writes the same bytes as CanonicalJSON: names in order, strings escaped as RFC 8785")
    func sqlMatchesSwift() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        let values: [String] = [
            "plain", "quote \" backslash \\ slash /", "line\nfeed\ttab\r\u{8}\u{c}", "\u{1}\u{1f}\u{7f}",
            "मराठी اردو తెలుగు", "emoji 😀 and € and ﬁ", "",
        ]
        for (index, value) in values.enumerated() {
            let sql = try #require(
                try connection.query(
                    """
                    SELECT dakiya_log_entry(jsonb_build_object('v', 1, 'type', 't', 'text', $1::text, 'n', $2::bigint,
                                                               'none', NULL, 'yes', true))
                    """, [value, index - 3]
                ).first?.decode(PostgresBytes.self, at: 0).bytes)
            let swift = try CanonicalJSON.object([
                "v": .integer(1), "type": .string("t"), "text": .string(value), "n": .integer(Int64(index - 3)),
                "none": .null, "yes": .bool(true),
            ]).bytes()
            #expect(
                sql == swift, "\(String(decoding: sql, as: UTF8.self)) vs \(String(decoding: swift, as: UTF8.self))")
        }
        let time = try connection.query("SELECT dakiya_log_time('2026-11-27 10:15:30.123456+05:30')").first?.decode(
            String.self, at: 0)
        #expect(time == "2026-11-27T04:45:30.123Z")
    }

    @Test(
        "the queue refuses a row with no entry, an empty or NULL entry, or one too long for an entry bundle, and keeps good rows; the entry helpers are inlined"
    )
    func queueRefusesBadEntries() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        for bad in [
            "ARRAY[]::bytea[]", "ARRAY['\\x7b'::bytea]", "ARRAY[NULL::bytea]", "ARRAY['{}'::bytea, NULL]",
            "ARRAY[convert_to(repeat('x', 65536), 'UTF8')]",
        ] {
            let error = #expect(throws: PostgresError.self, "\(bad)") {
                try connection.query("INSERT INTO log_queue (entries) VALUES (\(bad))")
            }
            #expect(error?.constraint == "log_queue_entries_check", "\(bad): \(String(describing: error))")
        }
        try connection.query(
            "INSERT INTO log_queue (entries) VALUES (ARRAY['{}'::bytea, convert_to(repeat('x', 65535), 'UTF8')])")
        #expect(try connection.query("SELECT count(*) FROM log_queue").first?.decode(Int.self, at: 0) == 1)
        // The per-entry helpers are STABLE like their bodies, so the planner inlines them into the hot statements
        // (declared IMMUTABLE around to_char and convert_to they ran through the SQL-function executor per entry).
        let volatility = try connection.query(
            "SELECT string_agg(proname || '=' || provolatile::text, ',' ORDER BY proname) FROM pg_proc WHERE proname IN ('dakiya_log_time', 'dakiya_log_commitment')"
        ).first?.decode(String.self, at: 0)
        #expect(volatility == "dakiya_log_commitment=s,dakiya_log_time=s")
    }
}

@Suite("Signing keys announced in the log")
struct SigningKeyTests {
    @Test("a key is announced once (key.added) and retired once with a reason from the list (key.retired)")
    func announceAndRetire() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        let signer = try LogSigner.stored(origin: "dakiya.test/log", on: connection)
        let key = signer.verifier.verifierKey
        #expect(try SigningKeys.announce(verifierKey: key, purpose: .log, on: connection))
        #expect(try !SigningKeys.announce(verifierKey: key, purpose: .log, on: connection), "once per key")
        #expect(try SigningKeys.retire(verifierKey: key, reason: .rotated, on: connection))
        #expect(try !SigningKeys.retire(verifierKey: key, reason: .rotated, on: connection), "once")
        #expect(try !SigningKeys.retire(verifierKey: "unknown+00000000+AA==", reason: .compromised, on: connection))
        #expect(try SigningKeys.list(on: connection) == [.init(verifierKey: key, purpose: "log", retired: true)])

        let integration = try #require(try LogIntegrator.integrate(signer: signer, on: connection))
        #expect(integration.added == 2)
        let entries = try IntegratorTests.logged(connection).map { String(decoding: $0.entry, as: UTF8.self) }
        #expect(entries.count == 2)
        #expect(entries[0].hasPrefix(#"{"at":""#) && entries[0].contains(#""key":"\#(key)""#), "\(entries[0])")
        #expect(entries[0].hasSuffix(#""purpose":"log","type":"key.added","v":1}"#), "\(entries[0])")
        #expect(
            entries[1].hasSuffix(#""purpose":"log","reason":"rotated","type":"key.retired","v":1}"#), "\(entries[1])")
        #expect(entries.allSatisfy { CanonicalJSON.isCanonical(Array($0.utf8)) })
    }
}
