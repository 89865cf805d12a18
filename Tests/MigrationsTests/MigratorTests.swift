import Foundation
import Migrations
import Postgres
import Testing
import TestSupport

@Suite("Migrations")
struct MigratorTests {
    @Test("migrations apply in order, are recorded, and a second run applies nothing")
    func appliesOnce() throws {
        let db = try TestDatabase(migrated: false)
        let connection = try db.connect()
        let migrator = try Migrator.bundled()
        #expect(try migrator.migrate(on: connection) == migrator.migrations.map(\.version))
        #expect(try migrator.migrate(on: connection).isEmpty)
        let recorded = try connection.query("SELECT array_agg(version ORDER BY version) FROM schema_migrations").first?
            .decode([Int].self, at: 0)
        #expect(recorded == migrator.migrations.map(\.version))
        #expect(try connection.query("SELECT to_regclass('jobs') IS NOT NULL").first?.decode(Bool.self, at: 0) == true)
    }

    @Test(
        "a killed test run's databases are dropped by the next run; a running process's, and this one's, are kept")
    func staleTestDatabases() throws {
        let admin = try Connection(url: try TestDatabase.adminURL())
        // 2147483646 is not a running process (Linux pids stay far below it); pid 1 always runs.
        for name in ["dakiya_t2147483646_template", "dakiya_t2147483646_7", "dakiya_t1_9"] {
            try admin.execute(script: "DROP DATABASE IF EXISTS \(name)")
            try admin.execute(script: "CREATE DATABASE \(name)")
        }
        let mine = try TestDatabase(migrated: false)
        let dropped = try TestDatabase.dropStale(admin: admin)
        // Gone, whoever dropped them: another suite's first database in this process may clean up at the same time.
        let stale = try admin.query(
            "SELECT count(*) FROM pg_database WHERE datname IN ('dakiya_t2147483646_template', 'dakiya_t2147483646_7')")
        #expect(try stale.first?.decode(Int.self, at: 0) == 0)
        #expect(!dropped.contains("dakiya_t1_9") && !dropped.contains(mine.name))
        let left = try admin.query("SELECT datname FROM pg_database WHERE datname IN ('dakiya_t1_9', $1)", [mine.name])
        #expect(left.count == 2)
        try admin.execute(script: "DROP DATABASE dakiya_t1_9")
    }

    @Test("several processes migrating at once apply each file exactly once")
    func concurrentMigrators() throws {
        let db = try TestDatabase(migrated: false)
        let migrator = Migrator(migrations: [
            Migration(version: 1, name: "one", sql: "CREATE TABLE one (v int); SELECT pg_sleep(0.2)"),
            Migration(version: 2, name: "two", sql: "INSERT INTO one VALUES (1)"),
        ])
        let processes = try (0..<4).map { _ in
            try ChildProcess(
                "dakiya-admin", arguments: ["migrate", "--folder", try Self.folder(for: migrator)],
                environment: ["DAKIYA_DATABASE_URL": db.url])
        }
        for process in processes { #expect(process.waitForExit(timeout: .seconds(30)) == 0, "\(process.outputText)") }
        let connection = try db.connect()
        #expect(try connection.query("SELECT count(*) FROM one").first?.decode(Int.self, at: 0) == 1)
        #expect(try connection.query("SELECT count(*) FROM schema_migrations").first?.decode(Int.self, at: 0) == 2)
    }

    @Test("a changed migration that was already applied is refused")
    func changedMigration() throws {
        let db = try TestDatabase(migrated: false)
        let connection = try db.connect()
        try Migrator(migrations: [Migration(version: 1, name: "one", sql: "CREATE TABLE one (v int)")]).migrate(
            on: connection)
        #expect(throws: MigrationError.self) {
            try Migrator(migrations: [Migration(version: 1, name: "one", sql: "CREATE TABLE one (v bigint)")]).migrate(
                on: connection)
        }
    }

    static func folder(for migrator: Migrator) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "dakiya-migrations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for migration in migrator.migrations {
            try migration.sql.write(
                to: folder.appendingPathComponent(String(format: "%04d_%@.sql", migration.version, migration.name)),
                atomically: true, encoding: .utf8)
        }
        return folder.path
    }
}
