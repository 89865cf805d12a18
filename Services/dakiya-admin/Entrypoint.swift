import Foundation
import Migrations
import Postgres
import ServiceRuntime

/// The operators' command-line tool.
///
///     dakiya-admin migrate [--folder DIR]     apply the database migrations (DAKIYA_DATABASE_URL)
///     dakiya-admin dead-jobs QUEUE [LIMIT]    list the dead jobs of a queue with their last error
@main
struct DakiyaAdmin {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let settings = Settings()
        let url: String
        do { url = try settings.databaseURL("DAKIYA_DATABASE_URL") } catch { exitForBadSetting("dakiya-admin", error) }
        do {
            switch arguments.first {
            case "migrate":
                let migrator: Migrator
                if arguments.count == 3, arguments[1] == "--folder" {
                    migrator = try Migrator(folder: URL(fileURLWithPath: arguments[2]))
                } else {
                    migrator = try Migrator.bundled()
                }
                let connection = try Connection(url: url, applicationName: "dakiya-admin")
                let applied = try migrator.migrate(on: connection)
                print(applied.isEmpty ? "database is up to date" : "applied migrations \(applied.map(String.init).joined(separator: ", "))")
            case "dead-jobs" where arguments.count >= 2:
                let connection = try Connection(url: url, applicationName: "dakiya-admin")
                let rows = try connection.query("""
                    SELECT id, kind, attempt, finished_at, coalesce(last_error->>'error', '') FROM job_history
                    WHERE queue = $1 AND state = 'dead' ORDER BY finished_at DESC LIMIT $2
                    """, [arguments[1], arguments.count > 2 ? Int(arguments[2]) ?? 50 : 50]).rows
                for row in rows {
                    print("\(try row.decode(Int64.self, at: 0))\t\(try row.decode(String.self, at: 1))\tattempt \(try row.decode(Int.self, at: 2))\t\(try row.decode(String.self, at: 4))")
                }
            default:
                print("usage: dakiya-admin migrate [--folder DIR] | dead-jobs QUEUE [LIMIT]")
                exit(64)
            }
        } catch {
            FileHandle.standardError.write(Data("dakiya-admin: \(error)\n".utf8))
            exit(1)
        }
    }
}
