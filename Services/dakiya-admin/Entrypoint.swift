import Foundation
import JobQueue
import Migrations
import Postgres
import ServiceRuntime
import Delivery
import Cryptography
import Appeals
import SealRegistry
import TransparencyLogStore

/// The operators' command-line tool.
///
///     dakiya-admin migrate [--folder DIR]     apply the database migrations (DAKIYA_DATABASE_URL)
///     dakiya-admin dead-jobs                  dead jobs per queue
///     dakiya-admin dead-jobs QUEUE [LIMIT]    list the dead jobs of a queue with their last error
///     dakiya-admin dead-jobs requeue QUEUE (--id ID… | --kind KIND | --all) --reason TEXT [--by NAME]
///                                             put dead jobs back to work as new jobs; the reason is recorded
///     dakiya-admin jobs stuck [MINUTES]       running jobs past their lease or running longer than MINUTES (10)
///     dakiya-admin jobs waiting [QUEUE [LIMIT]]
///                                             the ready jobs that have waited longest
///     dakiya-admin department add CODE NAME   create (or rename) a department
///     dakiya-admin department ratings CODE on|off
///                                             ask citizens to rate the service once an outcome reaches them on WhatsApp
///     dakiya-admin ratings [--days N]         the ratings of the last N days (30) per service and office, as CSV
///     dakiya-admin department email CODE FROM [REPLY_TO]
///                                             set the department's sender (and reply-to) address for emails
///     dakiya-admin department callback CODE URL
///                                             set the status-callback URL; prints a new signing secret once
///     dakiya-admin department callback-secret rotate CODE [HOURS]
///                                             a new signing secret; the previous one also signs for HOURS (72)
///     dakiya-admin department callback-secret end-overlap CODE
///                                             only the current secret signs from now on
///     dakiya-admin key create --department CODE --label TEXT [--kind test|live] [--office CODE]… [--scope citizens]
///                                             create an API key; the secret is printed once, only its hash is kept
///     dakiya-admin key list                   list keys (prefix, kind, department, offices, state)
///     dakiya-admin key revoke PREFIX          revoke a key at once
///     dakiya-admin catalogue import FILE|--sample
///                                             import a service catalogue CSV (or the whole Maharashtra sample: rules,
///                                             roles, documents and service details)
///     dakiya-admin catalogue roles|documents FILE
///                                             import officer roles or documents named in every language
///     dakiya-admin catalogue details FILE     import services' fees, documents, links to apply, Flows and synonyms
///     dakiya-admin catalogue search TEXT [--language CODE]
///                                             find services as the WhatsApp "Find a service" does
///     dakiya-admin offices import FILE|--sample
///     dakiya-admin offices locations FILE|--sample
///                                             import the office hierarchy CSV (or the Maharashtra sample: Pune, Yavatmal)
///     dakiya-admin offices list [CODE]        the offices under CODE (or the roots), with their types
///     dakiya-admin officer-key create --role ROLE --office CODE --name TEXT
///                                             create an officer key (acts for that role at that office); printed once
///     dakiya-admin officer-key revoke PREFIX  revoke an officer key
///     dakiya-admin holiday add CALENDAR YYYY-MM-DD NAME
///                                             add a holiday to a calendar (MH by default for every office)
///     dakiya-admin extension add STATE pause|extend FROM TO DAYS REASON [--office CODE] [--service CODE]
///                                             declare a time-limit extension (election, calamity)
///     dakiya-admin auto-appeal STATE on|off   file first appeals automatically when a time limit lapses
///     dakiya-admin shortfall-clock STATE restart|pause|continue
///                                             the state's rule for the time limit while a shortfall is open
///     dakiya-admin overdue                    overdue appeals per authority and office
///     dakiya-admin signing-key list           the keys that sign for the gateway (log, seals), as announced in the log
///     dakiya-admin signing-key retire VERIFIER_KEY rotated|compromised|withdrawn
///                                             retire a key (logged as key.retired)
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
                print(
                    applied.isEmpty
                        ? "database is up to date"
                        : "applied migrations \(applied.map(String.init).joined(separator: ", "))")
            case "dead-jobs", "jobs":
                try jobsCommand(arguments, connection: try Connection(url: url, applicationName: "dakiya-admin"))
            case "department" where arguments.count == 4 && arguments[1] == "add":
                try Departments.upsert(
                    code: arguments[2], name: arguments[3],
                    on: try Connection(url: url, applicationName: "dakiya-admin"))
                print("department \(arguments[2]) saved")
            case "department"
            where arguments.count == 4 && arguments[1] == "ratings" && ["on", "off"].contains(arguments[3]):
                let changed = try Connection(url: url, applicationName: "dakiya-admin").query(
                    "UPDATE departments SET ask_ratings = $2 WHERE code = $1", [arguments[2], arguments[3] == "on"]
                ).affectedRows
                guard changed == 1 else { throw UsageError(message: "no department \(arguments[2])") }
                print(
                    "department \(arguments[2]): citizens are \(arguments[3] == "on" ? "" : "not ")asked to rate the service after an outcome reaches them on WhatsApp"
                )
            case "ratings" where arguments.count == 1 || (arguments.count == 3 && arguments[1] == "--days"):
                // The auditor's export: per service and office, questions asked, answers and their spread; no comment text.
                guard let days = arguments.count == 3 ? Int(arguments[2]) : 30, (1...3660).contains(days) else {
                    throw UsageError(message: "--days takes a whole number from 1 to 3660")
                }
                let now = Date()
                let lines = try ServiceRatings.summary(
                    from: now.addingTimeInterval(-Double(days) * 86_400), to: now,
                    on: try Connection(url: url, applicationName: "dakiya-admin"))
                print("service,office,asked,answered,mean,rated_1,rated_2,rated_3,rated_4,rated_5,with_comment")
                for line in lines {
                    let mean = line.mean.map { String(format: "%.2f", $0) } ?? ""
                    print(
                        ([line.service, line.office, String(line.asked), String(line.answered), mean]
                            + line.counts.map(String.init) + [String(line.comments)]).joined(separator: ","))
                }
            case "department" where (4...5).contains(arguments.count) && arguments[1] == "email":
                guard Normalization.email(arguments[3]) != nil,
                    arguments.count == 4 || Normalization.email(arguments[4]) != nil
                else {
                    throw UsageError(message: "FROM and REPLY_TO must be email addresses")
                }
                let connection = try Connection(url: url, applicationName: "dakiya-admin")
                guard
                    try connection.query(
                        "UPDATE departments SET email_from = $2, email_reply_to = $3 WHERE code = $1",
                        [arguments[2], arguments[3], arguments.count == 5 ? arguments[4] : nil]
                    ).affectedRows == 1
                else {
                    throw UsageError(message: "no department \(arguments[2])")
                }
                print("emails for \(arguments[2]) come from \(arguments[3])")
            case "department" where arguments.count == 4 && arguments[1] == "callback":
                guard arguments[3].hasPrefix("https://") || arguments[3].hasPrefix("http://") else {
                    throw UsageError(message: "the callback URL must start with https:// (or http:// for local tests)")
                }
                let secret = try CallbackSecrets.generate()
                let connection = try Connection(url: url, applicationName: "dakiya-admin")
                guard
                    try connection.query(
                        "UPDATE departments SET callback_url = $2, callback_secret = $3 WHERE code = $1",
                        [arguments[2], arguments[3], secret]
                    ).affectedRows == 1
                else {
                    throw UsageError(message: "no department \(arguments[2])")
                }
                print("callbacks for \(arguments[2]) go to \(arguments[3])")
                print("signing secret (shown once, give it to the portal): \(secret)")
            case "department"
            where arguments.count >= 4 && arguments[1] == "callback-secret" && arguments[2] == "rotate":
                let hours = arguments.count == 5 ? Int(arguments[4]) : 72
                guard let hours, (0...720).contains(hours), arguments.count <= 5 else {
                    throw UsageError(message: "the overlap is a number of hours from 0 to 720 (default 72)")
                }
                let connection = try Connection(url: url, applicationName: "dakiya-admin")
                guard
                    let secret = try CallbackSecrets.rotate(
                        department: arguments[3], overlapHours: hours, on: connection)
                else {
                    throw UsageError(
                        message: "no department \(arguments[3]) with a callback (set one with department callback)")
                }
                print("new signing secret (shown once, give it to the portal): \(secret)")
                print(
                    hours > 0
                        ? "callbacks carry both signatures (v1=new,v1=previous) for \(hours) hours; end sooner with department callback-secret end-overlap \(arguments[3])"
                        : "the previous secret no longer signs")
            case "department"
            where arguments.count == 4 && arguments[1] == "callback-secret" && arguments[2] == "end-overlap":
                guard
                    try CallbackSecrets.endOverlap(
                        department: arguments[3], on: try Connection(url: url, applicationName: "dakiya-admin"))
                else { throw UsageError(message: "no department \(arguments[3])") }
                print("callbacks for \(arguments[3]) are signed with the current secret only")
            case "catalogue", "offices", "officer-key", "holiday", "extension", "auto-appeal", "shortfall-clock",
                "overdue":
                try appealsCommand(arguments, connection: try Connection(url: url, applicationName: "dakiya-admin"))
            case "signing-key" where arguments.count == 2 && arguments[1] == "list":
                let keys = try SigningKeys.list(on: try Connection(url: url, applicationName: "dakiya-admin"))
                if keys.isEmpty { print("no signing keys yet (the dispatcher announces the log's key when it starts)") }
                for key in keys {
                    print("\(key.purpose)\t\(key.retired ? "retired" : "active")\t\(key.verifierKey)")
                }
            case "signing-key" where arguments.count == 4 && arguments[1] == "retire":
                guard let reason = SigningKeys.RetirementReason(rawValue: arguments[3]) else {
                    throw UsageError(message: "the reason must be rotated, compromised or withdrawn")
                }
                // A seal key is retired in the seal registry too (the department's next seal makes a new key).
                let connection = try Connection(url: url, applicationName: "dakiya-admin")
                let retired =
                    arguments[2].hasPrefix("seal/")
                    ? try SealRegistry.retire(verifierKey: arguments[2], reason: reason, on: connection)
                    : try SigningKeys.retire(verifierKey: arguments[2], reason: reason, on: connection)
                guard retired else { throw UsageError(message: "no active signing key \(arguments[2])") }
                print("signing key retired (\(reason.rawValue)); the log records it")
            case "key" where arguments.count >= 2:
                try keyCommand(
                    Array(arguments.dropFirst()), connection: try Connection(url: url, applicationName: "dakiya-admin"))
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

    /// `dead-jobs` (summary, list, requeue) and `jobs` (stuck, waiting).
    static func jobsCommand(_ arguments: [String], connection: Connection) throws {
        let queue = JobQueue()
        func number(_ text: String, _ name: String) throws -> Int {
            guard let value = Int(text), value > 0 else {
                throw UsageError(message: "\(name) must be a positive number")
            }
            return value
        }
        switch (arguments[0], arguments.count > 1 ? arguments[1] : nil) {
        case ("dead-jobs", nil):
            let counts = try queue.deadCounts(on: connection)
            if counts.isEmpty { print("no dead jobs") }
            for entry in counts {
                print("\(entry.queue)\t\(entry.dead) dead\tnewest \(ISO8601DateFormatter().string(from: entry.newest))")
            }
        case ("dead-jobs", "requeue"?):
            // dead-jobs requeue QUEUE (--id ID... | --kind KIND | --all) --reason TEXT [--by NAME]
            guard arguments.count >= 3 else { usage() }
            var ids: [Int64] = [], kind: String?, all = false, reason: String?
            var by = ProcessInfo.processInfo.environment["USER"].flatMap { $0.isEmpty ? nil : $0 } ?? "operator"
            var rest = arguments.dropFirst(3).makeIterator()
            while let option = rest.next() {
                if option == "--all" {
                    all = true
                    continue
                }
                guard let value = rest.next() else { throw UsageError(message: "\(option) needs a value") }
                switch option {
                case "--id":
                    guard let id = Int64(value) else { throw UsageError(message: "--id must be a job id") }
                    ids.append(id)
                case "--kind": kind = value
                case "--reason": reason = value
                case "--by": by = value
                default: throw UsageError(message: "unknown option \(option)")
                }
            }
            guard [!ids.isEmpty, kind != nil, all].filter({ $0 }).count == 1 else {
                throw UsageError(message: "say which dead jobs: --id ID (repeatable), --kind KIND or --all")
            }
            guard let reason, !reason.trimmingCharacters(in: .whitespaces).isEmpty, reason.count <= 500 else {
                throw UsageError(message: "--reason is required (why the jobs can succeed now; at most 500 characters)")
            }
            let selection: JobQueue.DeadSelection = all ? .all : kind.map { .kind($0) } ?? .ids(ids)
            let result = try queue.requeueDead(
                queue: arguments[2], selection, reason: reason, by: String(by.prefix(100)), on: connection)
            if result.requeued.isEmpty && result.alreadyQueued.isEmpty {
                print("no dead jobs in the \(arguments[2]) queue match (a job already requeued is not requeued again)")
            }
            for pair in result.requeued { print("dead job \(pair.dead) requeued as job \(pair.new)") }
            for dead in result.alreadyQueued {
                print("dead job \(dead): a live job with its unique key is already queued; recorded, nothing added")
            }
            if !result.requeued.isEmpty || !result.alreadyQueued.isEmpty {
                print(
                    "\(result.requeued.count) requeued, \(result.alreadyQueued.count) already queued; reason recorded")
            }
        case ("dead-jobs", let name?):
            let limit = arguments.count > 2 ? try number(arguments[2], "LIMIT") : 50
            let dead = try queue.deadJobs(queue: name, limit: limit, on: connection)
            if dead.isEmpty { print("no dead jobs in the \(name) queue") }
            for job in dead {
                let text = job.error?.text ?? ""
                let error =
                    (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["error"] as? String
                    ?? text
                print("\(job.id)\t\(job.kind)\tattempt \(job.attempt)\t\(error)")
            }
        case ("jobs", "stuck"?):
            let minutes = arguments.count > 2 ? try number(arguments[2], "MINUTES") : 10
            let stuck = try queue.stuckJobs(runningLongerThan: .seconds(minutes * 60), on: connection)
            if stuck.isEmpty { print("no stuck jobs (none running longer than \(minutes) min or past its lease)") }
            for job in stuck {
                print(
                    "\(job.id)\t\(job.queue)\t\(job.kind)\tattempt \(job.attempt)\t\(job.worker ?? "-")\t"
                        + String(format: "running %.0f s", job.runningSeconds)
                        + (job.leaseExpired ? "\tlease expired (the rescuer takes it back)" : ""))
            }
        case ("jobs", "waiting"?):
            let name = arguments.count > 2 ? arguments[2] : nil
            let limit = arguments.count > 3 ? try number(arguments[3], "LIMIT") : 20
            let waiting = try queue.oldestWaiting(queue: name, limit: limit, on: connection)
            if waiting.isEmpty { print("no jobs waiting" + (name.map { " in the \($0) queue" } ?? "")) }
            for job in waiting {
                print(
                    "\(job.id)\t\(job.queue)\t\(job.kind)\tattempt \(job.attempt)\t"
                        + String(format: "waiting %.1f s", job.waitingSeconds))
            }
        default:
            usage()
        }
    }

    static func usage() -> Never {
        print("usage: dakiya-admin migrate [--folder DIR] | department add CODE NAME")
        print(
            "       dakiya-admin dead-jobs | dead-jobs QUEUE [LIMIT] | dead-jobs requeue QUEUE (--id ID... | --kind KIND | --all) --reason TEXT [--by NAME]"
        )
        print("       dakiya-admin jobs stuck [MINUTES] | jobs waiting [QUEUE [LIMIT]]")
        print("       dakiya-admin department email CODE FROM [REPLY_TO] | department callback CODE URL")
        print("       dakiya-admin department ratings CODE on|off | ratings [--days N]")
        print(
            "       dakiya-admin department callback-secret rotate CODE [HOURS] | department callback-secret end-overlap CODE"
        )
        print(
            "       dakiya-admin key create --department CODE --label TEXT [--kind test|live] [--office CODE]... [--scope citizens] | key list | key revoke PREFIX"
        )
        print(
            "       dakiya-admin offices import FILE|--sample | offices locations FILE|--sample | offices list [CODE]")
        print(
            "       dakiya-admin catalogue import FILE|--sample | catalogue roles|documents|details FILE | catalogue search TEXT [--language CODE]"
        )
        print(
            "       dakiya-admin officer-key create --role ROLE --office CODE --name TEXT | officer-key revoke PREFIX")
        print(
            "       dakiya-admin holiday add CALENDAR DATE NAME | extension add STATE pause|extend FROM TO DAYS REASON [--office CODE] [--service CODE]"
        )
        print(
            "       dakiya-admin auto-appeal STATE on|off | shortfall-clock STATE restart|pause|continue | overdue")
        print("       dakiya-admin signing-key list | signing-key retire VERIFIER_KEY rotated|compromised|withdrawn")
        exit(64)
    }

    static func keyCommand(_ arguments: [String], connection: Connection) throws {
        switch arguments.first {
        case "create":
            var department: String?, label: String?, kind = APIKey.Kind.test, offices: [String] = [],
                scopes: [APIKey.Scope] = [.outcomes]
            var index = 1
            while index < arguments.count {
                guard index + 1 < arguments.count else {
                    throw UsageError(message: "\(arguments[index]) needs a value")
                }
                let value = arguments[index + 1]
                switch arguments[index] {
                case "--department": department = value
                case "--label": label = value
                case "--office": offices.append(value)
                case "--scope":
                    guard let scope = APIKey.Scope(rawValue: value) else {
                        throw UsageError(message: "--scope must be outcomes or citizens")
                    }
                    scopes.append(scope)
                case "--kind":
                    guard let parsed = APIKey.Kind(rawValue: value) else {
                        throw UsageError(message: "--kind must be test or live")
                    }
                    kind = parsed
                default: throw UsageError(message: "unknown option \(arguments[index])")
                }
                index += 2
            }
            guard let department, let label else {
                throw UsageError(message: "key create needs --department and --label")
            }
            let (secret, key) = try APIKeys.create(
                department: department, offices: offices, kind: kind, label: label, scopes: scopes, on: connection)
            print(
                "created \(key.kind.rawValue) key \(key.prefix) for \(department)\(offices.isEmpty ? "" : " offices " + offices.joined(separator: ","))"
                    + " scopes " + key.scopes.map(\.rawValue).joined(separator: ","))
            print("secret (shown once, store it now): \(secret)")
        case "list":
            let keys = try APIKeys.list(on: connection)
            if keys.isEmpty { print("no API keys yet: dakiya-admin key create --department CODE --label TEXT") }
            for key in keys {
                let offices = key.offices.isEmpty ? "all offices" : key.offices.joined(separator: ",")
                print(
                    "\(key.prefix)\t\(key.kind.rawValue)\t\(key.department)\t\(offices)\t\(key.scopes.map(\.rawValue).joined(separator: ","))\t\(key.revokedAt == nil ? "active" : "revoked")\t\(key.label)"
                )
            }
        case "revoke" where arguments.count == 2:
            guard try APIKeys.revoke(prefix: arguments[1], on: connection) else {
                throw UsageError(message: "no active key \(arguments[1])")
            }
            print("revoked \(arguments[1])")
        default:
            usage()
        }
    }

    static func options(_ arguments: ArraySlice<String>) throws -> [String: String] {
        var values: [String: String] = [:]
        var index = arguments.startIndex
        while index < arguments.endIndex {
            guard arguments[index].hasPrefix("--"), index + 1 < arguments.endIndex else {
                throw UsageError(message: "expected --option VALUE at \(arguments[index])")
            }
            values[String(arguments[index].dropFirst(2))] = arguments[index + 1]
            index += 2
        }
        return values
    }

    static func appealsCommand(_ arguments: [String], connection: Connection) throws {
        switch (arguments[0], arguments.count > 1 ? arguments[1] : "") {
        case ("catalogue", "import") where arguments.count == 3:
            do {
                if arguments[2] == "--sample" {
                    let imported = try ServiceDetails.importMaharashtraSample(on: connection)
                    print(
                        "imported \(imported.rules) catalogue rules, \(imported.roles) officer roles, \(imported.documents) documents, details of \(imported.services) services"
                    )
                } else {
                    let text = try String(contentsOfFile: arguments[2], encoding: .utf8)
                    print("imported \(try Catalogue.importCSV(text, on: connection)) catalogue rules")
                }
            } catch let error as CatalogueError {
                throw UsageError(message: "catalogue not imported: \(error)")
            }
        case ("catalogue", "roles"), ("catalogue", "documents"), ("catalogue", "details"):
            guard arguments.count == 3 else {
                throw UsageError(message: "usage: dakiya-admin catalogue \(arguments[1]) FILE")
            }
            let text = try String(contentsOfFile: arguments[2], encoding: .utf8)
            do {
                switch arguments[1] {
                case "roles":
                    print(
                        "imported \(try ServiceDetails.importNamed(text, into: .roles, on: connection)) officer roles")
                case "documents":
                    print(
                        "imported \(try ServiceDetails.importNamed(text, into: .documents, on: connection)) documents")
                default: print("imported details of \(try ServiceDetails.importDetails(text, on: connection)) services")
                }
            } catch let error as CatalogueError {
                throw UsageError(message: "catalogue \(arguments[1]) not imported: \(error)")
            }
        case ("catalogue", "search")
        where arguments.count == 3 || (arguments.count == 5 && arguments[3] == "--language"):
            let language = arguments.count == 5 ? arguments[4] : "en"
            let found = try ServiceFinder.search(arguments[2], language: language, limit: 10, on: connection)
            if found.matches.isEmpty { print("no service like \"\(arguments[2])\"") }
            if found.nearest && !found.matches.isEmpty { print("nothing matched; the nearest:") }
            for match in found.matches {
                let limit =
                    match.timeLimitDays.map { "\($0) \(match.unit == .working ? "working days" : "days")" } ?? ""
                print("\(match.code)\t\(String(format: "%.2f", match.score))\t\(match.name)\t\(limit)")
            }
            if found.total > found.matches.count { print("… \(found.total) in all") }
        case ("offices", "import") where arguments.count == 3:
            let text =
                arguments[2] == "--sample"
                ? try Offices.maharashtraSample() : try String(contentsOfFile: arguments[2], encoding: .utf8)
            do {
                print("imported \(try Offices.importCSV(text, on: connection)) offices and places")
                if arguments[2] == "--sample" {
                    let located = try Offices.importLocations(try Offices.maharashtraSampleLocations(), on: connection)
                    print("located \(located) of them (approximate sample locations)")
                }
            } catch let error as CatalogueError {
                throw UsageError(message: "offices not imported: \(error)")
            }
        case ("offices", "locations") where arguments.count == 3:
            let text =
                arguments[2] == "--sample"
                ? try Offices.maharashtraSampleLocations() : try String(contentsOfFile: arguments[2], encoding: .utf8)
            do {
                print("located \(try Offices.importLocations(text, on: connection)) offices and places")
            } catch let error as CatalogueError {
                throw UsageError(message: "locations not imported: \(error)")
            }
        case ("offices", "list") where arguments.count <= 3:
            let rows = try connection.query(
                """
                SELECT o.code, o.type, o.name, (SELECT count(*) FROM offices c WHERE c.parent_code = o.code) FROM offices o
                WHERE o.parent_code IS NOT DISTINCT FROM $1 ORDER BY o.type, o.code
                """, [arguments.count == 3 ? arguments[2] : nil]
            ).rows
            if rows.isEmpty {
                print(
                    arguments.count == 3
                        ? "nothing under \(arguments[2])" : "no offices yet: dakiya-admin offices import --sample")
            }
            for row in rows {
                print(
                    "\(try row.decode(String.self, at: 0))\t\(try row.decode(String.self, at: 1))\t\(try row.decode(String.self, at: 2))\t\(try row.decode(Int.self, at: 3)) under it"
                )
            }
        case ("officer-key", "create"):
            let values = try options(arguments[2...])
            guard let role = values["role"], let office = values["office"], let name = values["name"] else {
                throw UsageError(message: "officer-key create needs --role, --office and --name")
            }
            let (secret, key) = try OfficerKeys.create(role: role, office: office, officerName: name, on: connection)
            print("created officer key \(key.prefix) for \(role) at \(office)")
            print("secret (shown once, store it now): \(secret)")
        case ("officer-key", "revoke") where arguments.count == 3:
            guard try OfficerKeys.revoke(prefix: arguments[2], on: connection) else {
                throw UsageError(message: "no active officer key \(arguments[2])")
            }
            print("revoked \(arguments[2])")
        case ("holiday", "add") where arguments.count == 5:
            guard let day = CivilDate(arguments[3]) else { throw UsageError(message: "the date must be YYYY-MM-DD") }
            try connection.query("INSERT INTO calendars (code) VALUES ($1) ON CONFLICT DO NOTHING", [arguments[2]])
            try connection.query(
                "INSERT INTO holidays (calendar, day, name) VALUES ($1, $2::date, $3) ON CONFLICT (calendar, day) DO UPDATE SET name = excluded.name",
                [arguments[2], day, arguments[4]])
            print("holiday \(day) added to calendar \(arguments[2])")
        case ("extension", "add") where arguments.count >= 8:
            guard ["pause", "extend"].contains(arguments[3]), let from = CivilDate(arguments[4]),
                let to = CivilDate(arguments[5]), from <= to,
                let days = Int(arguments[6]), days >= 0, arguments[3] == "pause" || days > 0
            else {
                throw UsageError(
                    message:
                        "extension add STATE pause|extend FROM TO DAYS REASON: dates as YYYY-MM-DD (FROM <= TO), DAYS > 0 for extend"
                )
            }
            let values = try options(arguments[8...])
            try connection.query(
                """
                INSERT INTO time_limit_extensions (state, office_code, service_code, kind, starts_on, ends_on, extra_days, reason)
                VALUES ($1, $2, $3, $4, $5::date, $6::date, $7, $8)
                """, [arguments[2], values["office"], values["service"], arguments[3], from, to, days, arguments[7]])
            print(
                "\(arguments[3]) from \(from) to \(to) recorded for \(arguments[2]); running clocks move at the next deadline sweep"
            )
        case ("auto-appeal", "on"), ("auto-appeal", "off"):
            throw UsageError(message: "auto-appeal STATE on|off")
        case ("auto-appeal", _) where arguments.count == 3 && ["on", "off"].contains(arguments[2]):
            try connection.query(
                """
                INSERT INTO appeal_state_settings (state, auto_first_appeal) VALUES ($1, $2) ON CONFLICT (state) DO UPDATE SET auto_first_appeal = excluded.auto_first_appeal
                """, [arguments[1], arguments[2] == "on"])
            print("automatic first appeals for \(arguments[1]): \(arguments[2])")
        case ("shortfall-clock", _)
        where arguments.count == 3 && ["restart", "pause", "continue"].contains(arguments[2])
            && arguments[1].range(of: "^[A-Z]{2}$", options: .regularExpression) != nil:
            try connection.query(
                """
                INSERT INTO appeal_state_settings (state, shortfall_clock) VALUES ($1, $2) ON CONFLICT (state) DO UPDATE SET shortfall_clock = excluded.shortfall_clock
                """, [arguments[1], arguments[2]])
            let said = [
                "restart": "restarts, whole, from the day the citizen answers",
                "pause": "stops while it is open and resumes with the days that were left",
                "continue": "keeps running",
            ]
            print("while a shortfall is open in \(arguments[1]), the time limit \(said[arguments[2]]!)")
        case ("shortfall-clock", _):
            throw UsageError(
                message: "shortfall-clock STATE restart|pause|continue (STATE: two capital letters, e.g. MH)")
        case ("overdue", _):
            let groups = try AppealsDesk.overdue(office: nil, today: CivilDate(Date()), on: connection)
            if groups.isEmpty { print("no overdue appeals") }
            for group in groups {
                print(
                    "\(group.authority.office)\t\(group.authority.role)\t\(group.numbers.count) overdue\toldest due \(group.oldest)\t\(group.numbers.joined(separator: ","))"
                )
            }
        default:
            usage()
        }
    }
}
