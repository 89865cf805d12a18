import Foundation
import Migrations
import Postgres
import ServiceRuntime
import Delivery
import Cryptography

/// The operators' command-line tool.
///
///     dakiya-admin migrate [--folder DIR]     apply the database migrations (DAKIYA_DATABASE_URL)
///     dakiya-admin dead-jobs QUEUE [LIMIT]    list the dead jobs of a queue with their last error
///     dakiya-admin department add CODE NAME   create (or rename) a department
///     dakiya-admin department email CODE FROM [REPLY_TO]
///                                             set the department's sender (and reply-to) address for emails
///     dakiya-admin department callback CODE URL
///                                             set the status-callback URL; prints a new signing secret once
///     dakiya-admin key create --department CODE --label TEXT [--kind test|live] [--office CODE]…
///                                             create an API key; the secret is printed once, only its hash is kept
///     dakiya-admin key list                   list keys (prefix, kind, department, offices, state)
///     dakiya-admin key revoke PREFIX          revoke a key at once
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
            case "department" where arguments.count == 4 && arguments[1] == "add":
                try Departments.upsert(code: arguments[2], name: arguments[3], on: try Connection(url: url, applicationName: "dakiya-admin"))
                print("department \(arguments[2]) saved")
            case "department" where (4...5).contains(arguments.count) && arguments[1] == "email":
                guard Normalization.email(arguments[3]) != nil, arguments.count == 4 || Normalization.email(arguments[4]) != nil else {
                    throw UsageError(message: "FROM and REPLY_TO must be email addresses")
                }
                let connection = try Connection(url: url, applicationName: "dakiya-admin")
                guard try connection.query("UPDATE departments SET email_from = $2, email_reply_to = $3 WHERE code = $1",
                                           [arguments[2], arguments[3], arguments.count == 5 ? arguments[4] : nil]).affectedRows == 1 else {
                    throw UsageError(message: "no department \(arguments[2])")
                }
                print("emails for \(arguments[2]) come from \(arguments[3])")
            case "department" where arguments.count == 4 && arguments[1] == "callback":
                guard arguments[3].hasPrefix("https://") || arguments[3].hasPrefix("http://") else {
                    throw UsageError(message: "the callback URL must start with https:// (or http:// for local tests)")
                }
                let secret = "dkcb_" + (try SecureRandom.token())
                let connection = try Connection(url: url, applicationName: "dakiya-admin")
                guard try connection.query("UPDATE departments SET callback_url = $2, callback_secret = $3 WHERE code = $1",
                                           [arguments[2], arguments[3], secret]).affectedRows == 1 else {
                    throw UsageError(message: "no department \(arguments[2])")
                }
                print("callbacks for \(arguments[2]) go to \(arguments[3])")
                print("signing secret (shown once, give it to the portal): \(secret)")
            case "key" where arguments.count >= 2:
                try keyCommand(Array(arguments.dropFirst()), connection: try Connection(url: url, applicationName: "dakiya-admin"))
            default:
                usage()
            }
        } catch let error as UsageError {
            FileHandle.standardError.write(Data("dakiya-admin: \(error.message)\n".utf8))
            exit(64)
        } catch {
            FileHandle.standardError.write(Data("dakiya-admin: \(error)\n".utf8))
            exit(1)
        }
    }

    struct UsageError: Error { var message: String }

    static func usage() -> Never {
        print("usage: dakiya-admin migrate [--folder DIR] | dead-jobs QUEUE [LIMIT] | department add CODE NAME")
        print("       dakiya-admin key create --department CODE --label TEXT [--kind test|live] [--office CODE]... | key list | key revoke PREFIX")
        exit(64)
    }

    static func keyCommand(_ arguments: [String], connection: Connection) throws {
        switch arguments.first {
        case "create":
            var department: String?, label: String?, kind = APIKey.Kind.test, offices: [String] = []
            var index = 1
            while index < arguments.count {
                guard index + 1 < arguments.count else { throw UsageError(message: "\(arguments[index]) needs a value") }
                let value = arguments[index + 1]
                switch arguments[index] {
                case "--department": department = value
                case "--label": label = value
                case "--office": offices.append(value)
                case "--kind":
                    guard let parsed = APIKey.Kind(rawValue: value) else { throw UsageError(message: "--kind must be test or live") }
                    kind = parsed
                default: throw UsageError(message: "unknown option \(arguments[index])")
                }
                index += 2
            }
            guard let department, let label else { throw UsageError(message: "key create needs --department and --label") }
            let (secret, key) = try APIKeys.create(department: department, offices: offices, kind: kind, label: label, on: connection)
            print("created \(key.kind.rawValue) key \(key.prefix) for \(department)\(offices.isEmpty ? "" : " offices " + offices.joined(separator: ","))")
            print("secret (shown once, store it now): \(secret)")
        case "list":
            for key in try APIKeys.list(on: connection) {
                let offices = key.offices.isEmpty ? "all offices" : key.offices.joined(separator: ",")
                print("\(key.prefix)\t\(key.kind.rawValue)\t\(key.department)\t\(offices)\t\(key.revokedAt == nil ? "active" : "revoked")\t\(key.label)")
            }
        case "revoke" where arguments.count == 2:
            guard try APIKeys.revoke(prefix: arguments[1], on: connection) else { throw UsageError(message: "no active key \(arguments[1])") }
            print("revoked \(arguments[1])")
        default:
            usage()
        }
    }
}
