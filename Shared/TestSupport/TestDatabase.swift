import Foundation
import JobQueue
import Migrations
import Postgres
import ServiceRuntime
import Synchronization

/// Why a test could not get its database.
package struct TestEnvironmentError: Error, CustomStringConvertible {
    package var message: String
    package init(message: String) { self.message = message }
    package var description: String { message }
}

/// A private database per test, copied from a migrated template, dropped afterwards.
///
/// `make test` points `DAKIYA_TEST_DATABASE_URL` at the private cluster's `postgres` database. When it is
/// missing the test fails (it never skips): a test that needs PostgreSQL and cannot reach it is a failure.
package final class TestDatabase: Sendable {
    /// The URL of this test's own database.
    package let url: String
    package let name: String
    private let adminURL: String

    private static let template = Mutex<String?>(nil)
    private static let templateLock = ConditionLock()
    private static let counter = Mutex(0)

    /// The admin URL from the environment, or a thrown error that says how to run the tests.
    package static func adminURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["DAKIYA_TEST_DATABASE_URL"], !url.isEmpty else {
            throw TestEnvironmentError(
                message: "DAKIYA_TEST_DATABASE_URL is not set: run the tests with `make test`, which starts PostgreSQL")
        }
        return url
    }

    /// Creates a fresh, migrated database for one test.
    package init(migrated: Bool = true) throws {
        adminURL = try Self.adminURL()
        let number = Self.counter.withLock {
            $0 += 1; return $0
        }
        name = "dakiya_t\(getpid())_\(number)"
        let admin = try Connection(url: adminURL, applicationName: "dakiya-tests")
        if migrated {
            let template = try Self.migratedTemplate(admin: admin)
            try admin.execute(script: "CREATE DATABASE \(name) TEMPLATE \(template)")
        } else {
            try admin.execute(script: "CREATE DATABASE \(name)")
        }
        url = Self.replaceDatabase(in: adminURL, with: name)
    }

    deinit {
        if let admin = try? Connection(url: adminURL, applicationName: "dakiya-tests") {
            try? admin.execute(script: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        }
    }

    /// Keeps every completed job in `job_history` (`dakiya.job_history = 'all'`), for tests that read the history
    /// as the record of what ran; sessions opened after this call see it. By default only jobs that needed more
    /// than one attempt are kept.
    package func keepEveryJobInHistory() throws {
        try Connection(url: adminURL, applicationName: "dakiya-tests").execute(
            script: "ALTER DATABASE \(name) SET dakiya.job_history = 'all'")
    }

    /// A connection to this test's database.
    package func connect() throws -> Connection { try Connection(url: url, applicationName: "dakiya-tests") }

    /// The login role the services use in tests: a member of `dakiya_service`, as `make run`'s `dakiya` is.
    package static let serviceRole = "dakiya_test_service"

    /// This database's URL for the services: the same database as `serviceRole` (no owner rights, no superuser),
    /// so the services run in tests with the privileges they have in a deployment.
    /// - Throws: `PostgresError` when the role cannot be made.
    package func serviceURL() throws -> String {
        try Self.serviceRoleReady.withLock { ready in
            if !ready {
                let admin = try Connection(url: adminURL, applicationName: "dakiya-tests")
                try admin.execute(
                    script: """
                        DO $$ BEGIN
                            CREATE ROLE \(Self.serviceRole) LOGIN IN ROLE dakiya_service;
                        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
                        END $$
                        """)
                ready = true
            }
        }
        guard let query = url.firstIndex(of: "?") else { return url + "?user=\(Self.serviceRole)" }
        let parameters = url[url.index(after: query)...].split(separator: "&").filter { !$0.hasPrefix("user=") }
        return String(url[...query]) + (parameters + ["user=\(Self.serviceRole)"]).joined(separator: "&")
    }

    private static let serviceRoleReady = Mutex(false)

    /// A pool for this test's database.
    package func pool(size: Int = 4) -> ConnectionPool { ConnectionPool(url: url, maximumConnections: size) }

    private static func migratedTemplate(admin: Connection) throws -> String {
        try templateLock.withLock {
            if let name = template.withLock({ $0 }) { return name }
            let name = "dakiya_t\(getpid())_template"
            try dropStale(admin: admin)
            try admin.execute(script: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            try admin.execute(script: "CREATE DATABASE \(name)")
            do {
                let connection = try Connection(url: replaceDatabase(in: try adminURL(), with: name))
                try Migrator.bundled().migrate(on: connection)
            }
            template.withLock { $0 = name }
            return name
        }
    }

    /// Drops the test databases (and templates) of test processes that are no longer running: a run killed before
    /// its cleanup would otherwise leave them in the private cluster for ever. Returns the names dropped.
    /// - Throws: `PostgresError` from the database.
    @discardableResult
    package static func dropStale(admin: Connection) throws -> [String] {
        var dropped: [String] = []
        for row in try admin.query("SELECT datname FROM pg_database WHERE datname ~ '^dakiya_t[0-9]+_'").rows {
            let name = try row.decode(String.self, at: 0)
            guard let pid = Int32(name.dropFirst("dakiya_t".count).prefix { $0.isNumber }), pid != getpid() else {
                continue
            }
            // Signal 0 only asks whether the process exists; ESRCH: it does not (or the pid is out of range).
            guard kill(pid, 0) == -1, errno == ESRCH else { continue }
            try admin.execute(script: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            dropped.append(name)
        }
        return dropped
    }

    /// `postgresql:///old?host=…` → `postgresql:///new?host=…` (libpq URI form with the database in the path).
    package static func replaceDatabase(in url: String, with database: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let afterScheme = url[schemeEnd.upperBound...]
        let pathStart = afterScheme.firstIndex(of: "/") ?? afterScheme.endIndex
        let queryStart = afterScheme[pathStart...].firstIndex(of: "?") ?? afterScheme.endIndex
        return String(url[..<schemeEnd.upperBound]) + afterScheme[..<pathStart] + "/" + database
            + afterScheme[queryStart...]
    }
}

extension TestDatabase {
    /// Waits until the server process `pid` (a connection's `backendPID`) waits on a lock, as the database itself
    /// reports it (`pg_stat_activity.wait_event_type = 'Lock'`): a race test then knows the second party is blocked
    /// behind the first, rather than hoping a fixed sleep was long enough.
    /// - Throws: `TestEnvironmentError` when it is not blocked within `timeout`; `PostgresError` from the database.
    package func waitUntilBlocked(_ pid: Int32, timeout: Duration = .seconds(10)) throws {
        let observer = try connect()
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try observer.query(
                "SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'", [Int(pid)]
            ).count == 1 {
                return
            }
            usleep(2_000)
        }
        throw TestEnvironmentError(message: "backend \(pid) did not block on a lock within \(timeout)")
    }
}

extension TestDatabase {
    /// Waits until a job worker of `queue` is idle: it holds the queue's idle lock (the advisory lock
    /// `(JobQueue.idleLockClass, hashtext(queue))`), which it takes only after a claim found nothing.
    /// - Throws: `TestEnvironmentError` when no worker goes idle within `timeout`; `PostgresError` from the database.
    package func waitUntilIdle(queue: String, timeout: Duration = .seconds(10)) throws {
        let observer = try connect()
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try observer.query(
                """
                SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND mode = 'ExclusiveLock'
                  AND classid::bigint = $2 AND objid::bigint = (hashtext($1)::bigint & 4294967295)
                """, [queue, Int(JobQueue.idleLockClass)]
            ).count >= 1 {
                return
            }
            usleep(2_000)
        }
        throw TestEnvironmentError(message: "no worker of \(queue) went idle within \(timeout)")
    }
}
