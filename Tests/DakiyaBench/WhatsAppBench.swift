import Appeals
import Delivery
import Foundation
import HTTPClient
import Postgres
import ServiceRuntime
import TestSupport

/// WhatsApp through the real services: API → dispatcher → whatsapp-adapter → simulator (1,000 msg/s for one
/// sender) → status webhooks → whatsapp-adapter → dispatcher.
struct WhatsAppBench {
    let url: String
    let binaries: URL
    let seconds: Int
    /// Whether the services write the transparency log (off: what delivery costs without it, for the ratio).
    var transparencyLog = true
    /// Whether the dashboard's counts are kept (off: its triggers disabled, for the ratio; the refresher runs in both).
    var dashboard = true
    /// Whether every completed job is copied to job_history (`dakiya.job_history = 'all'`, as every job was before
    /// migration 0030), for the cost of that copy; off: the default, only jobs that needed a retry.
    var everyJobInHistory = false
    /// Whether to print the statements that cost the most per message.
    var detail = false
    /// pgbench, for the same-run ceiling (nil: no ceiling printed).
    var pgbench: String?

    /// What a run measured, for comparing runs.
    struct Figures {
        var messagesPerSecond: Double
        var postgresCPUPerMessage: Double
        /// Every process's CPU per message: the services and PostgreSQL.
        var cpuPerMessage: Double
        /// The CPU of appeals-service's database sessions per message: the dashboard's refresher.
        var refresherCPUPerMessage: Double
        /// Changes noted for the dashboard per message (its triggers' inserts).
        var notesPerMessage: Double
        /// From an entry's queueing to the signed checkpoint that covers it, p50 and p99 in seconds (log on only).
        var checkpointLag: (p50: Double, p99: Double)?
        /// WAL bytes per message (the whole cluster's, over the measured run).
        var walBytesPerMessage: Double = 0
    }

    @discardableResult
    func run() throws -> Figures {
        let connection = try Connection(url: url)
        let name = try connection.query("SELECT current_database()").first!.decode(String.self, at: 0)
        if !transparencyLog {
            try connection.execute(script: "ALTER DATABASE \"\(name)\" SET dakiya.transparency_log = off")
        }
        if everyJobInHistory {
            try connection.execute(script: "ALTER DATABASE \"\(name)\" SET dakiya.job_history = 'all'")
        }
        try Departments.upsert(code: "WA", name: "WhatsApp Benchmark", on: connection)
        let key = try APIKeys.create(department: "WA", kind: .live, label: "bench", on: connection).secret
        let citizens = 1500 * (seconds + 2) + 4000  // the API accepts faster than the 1,000/s the pipeline is asked for
        try connection.query(
            """
            WITH c AS (
                INSERT INTO citizens (portal_user_id, mobile, language)
                SELECT 'wa-' || g, '+9170' || lpad(g::text, 8, '0'), 'en' FROM generate_series(1, $1) g RETURNING id)
            INSERT INTO citizen_consents (citizen_id, channel, granted, source, recorded_at) SELECT id, 'whatsapp', true, 'bench', now() FROM c
            """, [citizens])
        try Self.addHistory(deliveries: Self.historyDeliveries, on: connection)
        // The office the outcomes name, in a hierarchy as a state's would be: the dashboard's refresher spreads each
        // change over four levels.
        try connection.execute(
            script: """
                INSERT INTO offices (code, state, calendar, name, type, parent_code) VALUES
                    ('AP', 'AP', 'MH', 'Andhra Pradesh', 'state', NULL), ('D-GUNTUR', 'AP', 'MH', 'Guntur district', 'district', 'AP'),
                    ('T-GUNTUR', 'AP', 'MH', 'Guntur mandal', 'taluka', 'D-GUNTUR'), ('Guntur', 'AP', 'MH', 'Guntur tahsil office', 'tahsil_office', 'T-GUNTUR')
                ON CONFLICT DO NOTHING
                """)
        try Offices.rebuildAncestors(on: connection)
        if dashboard {
            try Dashboard.refresh(on: connection)  // the counts of the history, before the run
        } else {
            try connection.execute(
                script: Self.dashboardTriggers.map { "ALTER TABLE \($0.table) DISABLE TRIGGER \($0.trigger);" }.joined()
                    + "UPDATE dashboard_state SET rebuild_needed = false; DELETE FROM dashboard_changes;")
        }
        let since =
            try connection.query("SELECT coalesce(max(id), 0) FROM channel_attempts").first?.decode(Int64.self, at: 0)
            ?? 0
        let portalPort = freePort(), whatsappPort = freePort(), simulatorPort = freePort()
        var common = ["DAKIYA_DATABASE_URL": url, "DAKIYA_LOG_LEVEL": "error"]
        // Worker tuning to try (the services' defaults otherwise).
        for name in ["DAKIYA_WORKER_BUSY_CLAIM_SECONDS", "DAKIYA_DASHBOARD_REFRESH_SECONDS"] {
            common[name] = ProcessInfo.processInfo.environment[name]
        }
        let simulator = try start(
            "whatsapp-cloud-simulator",
            [
                "DAKIYA_SIM_PORT": String(simulatorPort), "DAKIYA_SIM_MPS": "1000",
                "DAKIYA_SIM_WEBHOOK_URL": "http://127.0.0.1:\(whatsappPort)/webhooks/whatsapp",
                "DAKIYA_SIM_SENT_DELAY_SECONDS": "0", "DAKIYA_SIM_DELIVERED_DELAY_SECONDS": "0.05",
                "DAKIYA_LOG_LEVEL": "error",
            ])
        let portal = try start(
            "portal-adapter",
            common.merging(["DAKIYA_HTTP_PORT": String(portalPort), "DAKIYA_HTTP_THREADS": "16"]) { $1 })
        let dispatcher = try start(
            "dispatcher", common.merging(["DAKIYA_HTTP_PORT": "0", "DAKIYA_WORKER_CONCURRENCY": "16"]) { $1 })
        let whatsapp = try start(
            "whatsapp-adapter",
            common.merging([
                "DAKIYA_HTTP_PORT": String(whatsappPort),
                "DAKIYA_WHATSAPP_GRAPH_URL": "http://127.0.0.1:\(simulatorPort)", "DAKIYA_WHATSAPP_MPS": "1000",
                "DAKIYA_WORKER_CONCURRENCY": "32", "DAKIYA_HTTP_THREADS": "16",
            ]) { $1 })
        let appeals = try start(
            "appeals-service", common.merging(["DAKIYA_HTTP_PORT": "0"]) { $1 })
        let processes = [simulator, portal, dispatcher, whatsapp, appeals]
        defer { for process in processes { kill(process.processIdentifier, SIGTERM); process.waitUntilExit() } }
        let base = "http://127.0.0.1:\(portalPort)"
        let probe = try HTTPClient()
        for _ in 0..<200 where (try? probe.send(HTTPClientRequest(url: base + "/readyz")))?.status != 200 {
            usleep(50_000)
        }
        for _ in 0..<200
        where (try? probe.send(HTTPClientRequest(url: "http://127.0.0.1:\(whatsappPort)/readyz")))?.status != 200 {
            usleep(50_000)
        }

        // Warm-up (not measured): a running gateway has history in its tables and statistics on them; an empty
        // database plans its first queries for empty tables.
        let warm = try submit(base: base, key: key, perSecond: nil, first: 1, duration: 2)
        _ = try waitUntilProcessed(atLeast: warm.count, since: since, on: connection)
        // Every run starts from the same state whatever is switched on: the history's hint bits set and its statistics
        // taken (otherwise autovacuum does it during one run and not another), and no checkpoint pending.
        try connection.execute(script: "VACUUM ANALYZE")
        try connection.execute(script: "CHECKPOINT")
        // PostgreSQL's CPU by whose sessions spent it (the services' pools are open by now), the rest being the
        // server's own processes (WAL writer, checkpointer, autovacuum) and sessions opened during the run. The
        // dashboard's refresher works in appeals-service's sessions: their CPU is its cost.
        let sessions = try connection.query(
            """
            SELECT pid, CASE WHEN backend_type = 'client backend' THEN coalesce(nullif(application_name, ''), 'unnamed client')
                             ELSE backend_type END
            FROM pg_stat_activity WHERE pid <> pg_backend_pid()
            """
        ).rows.map { (pid: try $0.decode(Int32.self, at: 0), name: try $0.decode(String.self, at: 1)) }
        let sessionsBefore = sessions.map { Self.cpuSeconds(pid: $0.pid) }
        let notesQuery = "SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = 'dashboard_changes'"
        let notesBefore = try connection.query(notesQuery).first?.decode(Int.self, at: 0) ?? 0

        // Throughput: as fast as the API accepts, for the run time; then until every message is sent and its statuses processed.
        let work = DatabaseWork(url: url)
        try work.resetStatements()
        let workBefore = try work.snapshot()
        let cpuBefore = processes.map { Self.cpuSeconds(pid: $0.processIdentifier) }.reduce(0, +)
        let perProcessBefore = processes.map { Self.cpuSeconds(pid: $0.processIdentifier) }
        let postgresBefore = Self.postgresCPU()
        let loggedBefore = try connection.query("SELECT size FROM log_state").first?.decode(Int.self, at: 0) ?? 0
        let started = MonotonicTime.now()
        let submitted = try submit(base: base, key: key, perSecond: nil, first: warm.count + 1, duration: seconds)
        let sent =
            try waitUntilProcessed(atLeast: warm.count + submitted.count, since: since, on: connection) - warm.count
        let elapsed = MonotonicTime.now().duration(since: started).seconds
        let cpu = processes.map { Self.cpuSeconds(pid: $0.processIdentifier) }.reduce(0, +) - cpuBefore
        let perProcess = zip(processes, perProcessBefore).map { Self.cpuSeconds(pid: $0.0.processIdentifier) - $0.1 }
        let postgres = Self.postgresCPU() - postgresBefore
        var bySession: [String: Double] = [:]
        for (session, before) in zip(sessions, sessionsBefore) {
            bySession[session.name, default: 0] += Self.cpuSeconds(pid: session.pid) - before
        }
        let refresher = bySession["appeals-service"] ?? 0
        usleep(600_000)  // the statistics a backend reports at most every 0.5 s
        let workAfter = try work.snapshot()
        let statements = try work.statements()
        let notes = (try connection.query(notesQuery).first?.decode(Int.self, at: 0) ?? 0) - notesBefore
        // The log's lag: from an entry's queueing (its domain transaction) to the checkpoint that first covers it
        // (signed in the transaction that gave the entry its index), over the entries of the measured run.
        usleep(1_500_000)
        let lag = try connection.query(
            """
            SELECT count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM integrated_at - queued_at)),
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM integrated_at - queued_at))
            FROM log_entries WHERE idx >= $1
            """, [loggedBefore]
        ).first
        let logged = try lag?.decode(Int.self, at: 0) ?? 0
        let checkpointLag =
            logged > 0 ? (try lag!.decode(Double.self, at: 1), try lag!.decode(Double.self, at: 2)) : nil
        print(
            String(
                format:
                    "WhatsApp deliveries through API → dispatcher → adapter → simulator (1,000 msg/s) with statuses processed, transparency log %@, dashboard counts %@, %@ in job history: %d of %d in %.1f s = %.0f msg/s",
                transparencyLog ? "on" : "off", dashboard ? "kept" : "off",
                everyJobInHistory ? "every job" : "retried jobs only", sent, submitted.count, elapsed,
                Double(sent) / elapsed))
        let names = ["simulator", "portal-adapter", "dispatcher", "whatsapp-adapter", "appeals-service"]
        let perMessage = 1000 / Double(max(sent, 1))
        print(
            String(
                format: "  CPU ms per message: %.2f in all = our services %.2f + the simulator %.2f + PostgreSQL %.2f",
                (cpu + postgres) * perMessage, (cpu - perProcess[0]) * perMessage, perProcess[0] * perMessage,
                postgres * perMessage))
        print(
            "    by process: "
                + zip(names, perProcess).map { String(format: "%@ %.2f", $0.0, $0.1 * perMessage) }
                .joined(separator: ", ")
                + String(
                    format:
                        ", PostgreSQL %.2f (of which appeals-service's sessions, the dashboard's refresher, %.2f); %.1f dashboard changes noted per message",
                    postgres * perMessage, refresher * perMessage, Double(notes) / Double(max(sent, 1))))
        let named = bySession.values.reduce(0, +)
        print(
            "    PostgreSQL by session: "
                + bySession.sorted { $0.value > $1.value }.filter { $0.value * perMessage >= 0.005 }
                .map { String(format: "%@ %.2f", $0.key, $0.value * perMessage) }.joined(separator: ", ")
                + String(format: ", other (sessions opened during the run) %.2f", (postgres - named) * perMessage))
        try work.report(from: workBefore, to: workAfter, messages: sent, statements: statements, detail: detail)
        if let pgbench {
            // The ceiling's batches are as big as ours were: the status merge's rows per call in this run.
            let merges = statements.filter { $0.query.contains("channel_state_rank(status)") }
            let calls = merges.map(\.calls).reduce(0, +)
            let batch = calls > 0 ? max(1, Int((merges.map(\.rows).reduce(0, +) / calls).rounded())) : 8
            let ceiling = try WhatsAppCeiling(url: url, pgbench: pgbench, seconds: min(seconds, 30), batch: batch).run()
            print(
                String(
                    format:
                        "  same-run SQL ceiling (pgbench, 8 clients: the accept, then per %d messages a claim, a send mark and two status merges): %.0f msg/s; ours = %.2f of it (target ≥ 0.70)",
                    batch, ceiling, Double(sent) / elapsed / max(ceiling, 1)))
        }
        if let checkpointLag {
            print(
                String(
                    format:
                        "  transparency log: %d entries (%.1f per message), checkpoint lag p50 %.2f s, p99 %.2f s (target p99 ≤ 2 s)",
                    logged, Double(logged) / Double(max(sent, 1)), checkpointLag.0, checkpointLag.1))
        } else if transparencyLog {
            print("  transparency log: no entries were logged during the run")
        }

        // Latency: 100 outcomes a second; from the 202 to the attempt recorded as sent (the "sent" webhook processed).
        let steady = try submit(
            base: base, key: key, perSecond: 100, first: warm.count + submitted.count + 1, duration: min(seconds, 5))
        usleep(3_000_000)
        let latency = try Self.sentLatency(steady, on: connection)
        print(
            String(
                format:
                    "WhatsApp accept → sent at 100 msg/s (%d of %d): p50 %.1f ms, p99 %.1f ms (target p99 ≤ 100 ms)",
                latency.count, steady.count, latency.p50, latency.p99))
        return Figures(
            messagesPerSecond: Double(sent) / elapsed, postgresCPUPerMessage: postgres / Double(max(sent, 1)),
            cpuPerMessage: (cpu + postgres) / Double(max(sent, 1)),
            refresherCPUPerMessage: refresher / Double(max(sent, 1)),
            notesPerMessage: Double(notes) / Double(max(sent, 1)),
            checkpointLag: checkpointLag,
            walBytesPerMessage: (workAfter.walBytes - workBefore.walBytes) / Double(max(sent, 1)))
    }

    /// From each outcome's accept (application id → µs since the epoch) to its WhatsApp attempt recorded as sent:
    /// how many were, and the p50 and p99 in milliseconds.
    static func sentLatency(_ accepted: [String: Int64], on connection: Connection) throws -> (
        count: Int, p50: Double, p99: Double
    ) {
        var samples: [Double] = []
        for (application, acceptedAt) in accepted {
            if let sentAt = try connection.query(
                """
                SELECT ca.sent_at FROM channel_attempts ca JOIN deliveries d ON d.id = ca.delivery_id JOIN applications a ON a.id = d.application_id
                WHERE a.portal_application_id = $1 AND ca.channel = 'whatsapp'
                """, [application]
            ).first?.decode(Date?.self, at: 0) {
                samples.append((sentAt.timeIntervalSince1970 * 1e6 - Double(acceptedAt)) / 1000)
            }
        }
        samples.sort()
        func percentile(_ p: Double) -> Double {
            samples.isEmpty ? .nan : samples[min(samples.count - 1, Int(Double(samples.count) * p))]
        }
        return (samples.count, percentile(0.5), percentile(0.99))
    }

    /// The triggers that note changes for the dashboard (migration 0026).
    static let dashboardTriggers: [(table: String, trigger: String)] = [
        ("applications", "dashboard_applications_changed"), ("application_clocks", "dashboard_clocks_changed"),
        ("deliveries", "dashboard_deliveries_added"), ("channel_attempts", "dashboard_attempts_added"),
        ("channel_attempts", "dashboard_attempts_changed"), ("appeals", "dashboard_appeals_changed"),
        ("appeal_penalties", "dashboard_penalties_added"),
    ]

    /// How many earlier deliveries the database holds before the run: a few hours of a state's WhatsApp traffic.
    static let historyDeliveries = 200_000

    /// A gateway that has been running: earlier citizens, applications, idempotency keys, delivered WhatsApp
    /// outcomes with their attempts and history. On empty tables the planner prefers sequential
    /// scans, which grow slower with every row the run adds; a real deployment never plans for empty tables.
    static func addHistory(deliveries count: Int, on connection: Connection) throws {
        try connection.execute(script: "SET synchronous_commit = off")
        try connection.query(
            """
            WITH c AS (
                INSERT INTO citizens (portal_user_id, mobile, language)
                SELECT 'past-' || g, '+9180' || lpad(g::text, 8, '0'), 'en' FROM generate_series(1, $1) g RETURNING id, portal_user_id),
            a AS (
                INSERT INTO applications (portal_application_id, department, service_code, office_code, citizen_id, created_at, updated_at)
                SELECT 'PAST-' || substr(portal_user_id, 6), 'WA', 'Income', 'Guntur', id, now() - interval '1 day', now() - interval '1 day'
                FROM c RETURNING id, portal_application_id),
            k AS (
                INSERT INTO idempotency_keys (department, key, request_hash, response_status, response_body, created_at)
                SELECT 'WA', portal_application_id, '\\x00', 202, '{}', now() - interval '1 day' FROM a),
            d AS (
                INSERT INTO deliveries (id, application_id, is_test, decision, language, requested_channels, status, first_delivered_at, idempotency_key, created_at, updated_at)
                SELECT gen_random_uuid(), id, false, 'approved', 'en', '{whatsapp}', 'delivered', now() - interval '1 day', portal_application_id,
                       now() - interval '1 day', now() - interval '1 day'
                FROM a RETURNING id, application_id),
            h AS (
                INSERT INTO application_history (application_id, event, actor, detail, at)
                SELECT application_id, 'delivered', 'dispatcher', jsonb_build_object('delivery_id', id::text), now() - interval '1 day' FROM d),
            ca AS (
                INSERT INTO channel_attempts (delivery_id, channel, state, provider_message_id, queued_at, sending_at, sent_at, delivered_at, read_at, created_at, updated_at)
                SELECT id, 'whatsapp', 'read', 'wamid.past-' || id, now() - interval '1 day', now() - interval '1 day', now() - interval '1 day',
                       now() - interval '1 day', now() - interval '1 day', now() - interval '1 day', now() - interval '1 day'
                FROM d)
            SELECT 1
            """, [count])
        try connection.execute(script: "RESET synchronous_commit")
        try connection.execute(script: "VACUUM ANALYZE")
    }

    /// Waits (at most 2 minutes) until `count` WhatsApp attempts with ids above `since` (the history's) are sent
    /// and every webhook batch is processed; returns how many are sent.
    func waitUntilProcessed(atLeast count: Int, since: Int64, on connection: Connection) throws -> Int {
        let deadline = MonotonicTime.now().advanced(by: .seconds(120))
        var sent = 0
        while MonotonicTime.now() < deadline {
            sent =
                try connection.query(
                    """
                    SELECT count(*) FROM channel_attempts WHERE channel = 'whatsapp' AND state IN ('sent', 'delivered', 'read') AND id > $1
                    """, [since]
                ).first?.decode(Int.self, at: 0) ?? 0
            let unprocessed =
                try connection.query("SELECT count(*) FROM whatsapp_webhook_batches WHERE processed_at IS NULL").first?
                .decode(Int.self, at: 0) ?? 0
            if sent >= count && unprocessed == 0 { break }
            usleep(100_000)
        }
        return sent
    }

    /// Posts outcomes for citizens wa-<first>…; at `perSecond` (nil: as fast as 8 threads go) for `duration` seconds.
    /// Returns application id → accept time (µs since the epoch).
    func submit(base: String, key: String, perSecond: Int?, first: Int, duration: Int) throws -> [String: Int64] {
        let accepted = LockedMap()
        let next = LockedCounter()
        let deadline = MonotonicTime.now().advanced(by: .seconds(Int64(duration)))
        let start = MonotonicTime.now()
        let threadCount = perSecond == nil ? 8 : 1
        let threads = try (0..<threadCount).map { index in
            try OwnedThread(name: "wa-\(index)") {
                guard let client = try? HTTPClient() else { return }
                while MonotonicTime.now() < deadline {
                    let n = next.next() - 1 + first
                    if let perSecond {
                        let due = start.advanced(by: .milliseconds(Int64((n - first) * 1000 / perSecond)))
                        while MonotonicTime.now() < due { usleep(200) }
                    }
                    let application = "WA-\(n)"
                    let body =
                        #"{"citizen": "wa-\#(n)", "decision": "approved", "service": "Income", "office": "Guntur", "channels": ["whatsapp"]}"#
                    if let response = try? client.send(
                        .json(
                            "POST", base + "/v1/applications/\(application)/outcome", body: body,
                            headers: [("Authorization", "Bearer \(key)"), ("Idempotency-Key", application)])),
                        response.status == 202
                    {
                        accepted.set(application, Timestamp.nowMicroseconds())
                    }
                }
            }
        }
        for thread in threads { thread.join() }
        return accepted.all
    }

    func start(_ name: String, _ environment: [String: String]) throws -> Process {
        try startExecutable(name, in: binaries, environment: environment)
    }

    /// CPU seconds of every postgres process (the server's share of the work), from /proc.
    static func postgresCPU() -> Double {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            ((try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? "").hasPrefix("postgres")
        }.map(cpuSeconds).reduce(0, +)
    }

    /// User plus system CPU seconds of a process, from /proc.
    static func cpuSeconds(pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

final class LockedMap: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: Int64] = [:]
    func set(_ key: String, _ value: Int64) { lock.lock(); values[key] = value; lock.unlock() }
    var all: [String: Int64] { lock.lock(); defer { lock.unlock() }; return values }
}
