import Foundation
import Postgres

/// One numbered SQL file, e.g. `0001_job_queue.sql`.
package struct Migration: Sendable, Equatable {
    package var version: Int
    package var name: String
    package var sql: String

    /// Migration `version` named `name` with its SQL script.
    package init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// FNV-1a of the SQL text: a changed file that was already applied is refused.
    package var checksum: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in sql.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return String(hash, radix: 16)
    }
}

/// Why migrating failed.
package struct MigrationError: Error, CustomStringConvertible, Sendable {
    package var message: String
    package var description: String { "migration failed: \(message)" }
}

/// Applies numbered SQL files in order, each in its own transaction, recorded in `schema_migrations`.
///
/// A session advisory lock serialises migrators, so several processes may start at once: the first applies
/// the files, the others wait and then find nothing left to do.
package struct Migrator: Sendable {
    package var migrations: [Migration]
    /// The advisory lock key, shared by every Dakiya process.
    static let lockKey: Int64 = 0x64616B69_79616D67  // "dakiyamg"

    /// A migrator of `migrations`, applied in version order.
    package init(migrations: [Migration]) {
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// The migrations shipped with this build (the SQL folder of this module).
    /// - Throws: `MigrationError` when the SQL folder is missing or a file name is not `NNNN_name.sql`.
    package static func bundled() throws -> Migrator {
        guard let folder = Bundle.module.url(forResource: "SQL", withExtension: nil) else {
            throw MigrationError(message: "the SQL folder is missing from the build")
        }
        return try Migrator(folder: folder)
    }

    /// Reads `NNNN_name.sql` files from `folder`.
    /// - Throws: `MigrationError` for a file name that is not `NNNN_name.sql` or two files of one version; a file-system error when the folder cannot be read.
    package init(folder: URL) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }
        var found: [Migration] = []
        for file in names {
            let stem = file.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]) else {
                throw MigrationError(message: "\(file) does not start with a number and an underscore")
            }
            let sql = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            found.append(Migration(version: version, name: String(stem[stem.index(after: underscore)...]), sql: sql))
        }
        let versions = found.map(\.version)
        guard Set(versions).count == versions.count else {
            throw MigrationError(message: "two files share a version number")
        }
        self.init(migrations: found)
    }

    /// Applies what is missing and returns the versions applied now. Throws on a changed or unknown applied migration.
    /// - Throws: `PostgresError` when a migration fails (its transaction rolls back; the ones before it stay).
    @discardableResult
    package func migrate(on connection: Connection) throws -> [Int] {
        try connection.query("SELECT pg_advisory_lock($1)", [Self.lockKey])
        defer { _ = try? connection.query("SELECT pg_advisory_unlock($1)", [Self.lockKey]) }
        try connection.execute(
            script: """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    checksum   text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """)
        var applied: [Int: String] = [:]
        for row in try connection.query("SELECT version, checksum FROM schema_migrations").rows {
            applied[try row.decode(Int.self, at: 0)] = try row.decode(String.self, at: 1)
        }
        var done: [Int] = []
        for migration in migrations {
            if let checksum = applied[migration.version] {
                guard checksum == migration.checksum else {
                    throw MigrationError(
                        message: "migration \(migration.version) (\(migration.name)) changed after it was applied")
                }
                continue
            }
            try connection.transaction { tx in
                try tx.execute(script: migration.sql)
                try tx.query(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    [migration.version, migration.name, migration.checksum])
            }
            done.append(migration.version)
        }
        let known = Set(migrations.map(\.version))
        if let unknown = applied.keys.sorted().first(where: { !known.contains($0) }) {
            throw MigrationError(
                message:
                    "the database has migration \(unknown), which this build does not know: it is older than the database"
            )
        }
        return done
    }
}
