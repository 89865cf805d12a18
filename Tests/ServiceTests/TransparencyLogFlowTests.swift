import Appeals
import Cryptography
import Foundation
import HTTPClient
import JobQueue
import Postgres
import ServiceRuntime
import TestSupport
import Testing
import TransparencyLog

/// The transparency log as an auditor meets it: the real dispatcher signing and serving it, a witness run by
/// `dakiya-audit witness serve`, and `dakiya-audit` checking, replaying and proving from the outside.
@Suite("Transparency log across services, a witness and the auditor's tool", .serialized)
struct TransparencyLogFlowTests {
    static func admin(_ arguments: [String], url: String) throws -> String {
        let process = try ChildProcess("dakiya-admin", arguments: arguments, environment: ["DAKIYA_DATABASE_URL": url])
        #expect(process.waitForExit(timeout: .seconds(20)) == 0, "\(process.outputText)")
        return process.outputText
    }

    static func audit(_ arguments: [String]) throws -> (status: Int32?, output: String) {
        let process = try ChildProcess("dakiya-audit", arguments: arguments)
        let status = process.waitForExit(timeout: .seconds(30))
        return (status, process.outputText)
    }

    @Test(
        "witness cosignatures gate publication; replay's report equals the database's own figures; an offline proof shows an entry is an application's; deletion and reordering are caught"
    )
    func auditorsView() throws {
        let db = try TestDatabase()
        _ = try Self.admin(["department", "add", "REVENUE", "Revenue"], url: db.url)
        _ = try Self.admin(["catalogue", "import", "--sample"], url: db.url)
        let created = try Self.admin(
            ["key", "create", "--department", "REVENUE", "--label", "portal", "--kind", "live", "--scope", "citizens"],
            url: db.url)
        let secret = try #require(
            created.split(separator: "\n").first { $0.hasPrefix("secret") }?.split(separator: " ").last.map(String.init)
        )
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("tlog-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: temporary) }

        // The log's key is set, so the witness can be told it before the dispatcher starts.
        let logKey = try Ed25519PrivateKey()
        let logVerifier = NoteKey(name: "dakiya.local/log", publicKey: try logKey.publicKey().rawRepresentation)
        let witnessPort = freePort()
        let witness = try ChildProcess(
            "dakiya-audit",
            arguments: [
                "witness", "serve", "--name", "audit.test/witness", "--key-file", temporary.path + "/witness.key",
                "--log", logVerifier.verifierKey, "--listen", "127.0.0.1:\(witnessPort)", "--state",
                temporary.path + "/witness",
            ])
        #expect(eventually { witness.outputText.contains(" key: ") }, "\(witness.outputText)")
        let witnessKey = try #require(
            witness.outputText.split(separator: "\n").first { $0.contains(" key: ") }?.split(separator: " ").last
                .flatMap { NoteKey(verifierKey: String($0)) })

        let portalPort = freePort(), dispatcherPort = freePort()
        let environment = ["DAKIYA_DATABASE_URL": try db.serviceURL(), "DAKIYA_LOG_LEVEL": "warning"]
        let portal = try ChildProcess(
            "portal-adapter", environment: environment.merging(["DAKIYA_HTTP_PORT": String(portalPort)]) { $1 })
        let dispatcher = try ChildProcess(
            "dispatcher",
            environment: environment.merging([
                "DAKIYA_HTTP_PORT": String(dispatcherPort),
                "DAKIYA_LOG_SIGNING_KEY": Base64URL.encode(logKey.rawRepresentation),
                "DAKIYA_LOG_WITNESSES": "http://127.0.0.1:\(witnessPort) \(witnessKey.verifierKey)",
                "DAKIYA_LOG_WITNESS_SECONDS": "0.2",
            ]) { $1 })
        let client = try HTTPClient()
        let base = "http://127.0.0.1:\(portalPort)", log = "http://127.0.0.1:\(dispatcherPort)/log"
        #expect(eventually { (try? client.send(HTTPClientRequest(url: base + "/readyz")))?.status == 200 })
        #expect(
            eventually {
                (try? client.send(HTTPClientRequest(url: "http://127.0.0.1:\(dispatcherPort)/readyz")))?.status == 200
            },
            "\(dispatcher.outputText)")
        let auth = ("Authorization", "Bearer \(secret)")
        #expect(
            try client.send(
                .json(
                    "PUT", base + "/v1/citizens/c-1", body: #"{"mobile": "+919812345678", "language": "mr"}"#,
                    headers: [auth])
            ).status == 200)
        // Four outcomes at Haveli; a fifth application only has a clock.
        for (id, decision) in [("A1", "approved"), ("A2", "approved"), ("A3", "approved"), ("A4", "rejected")] {
            let reasons = decision == "rejected" ? #", "reasons": ["income proof missing"]"# : ""
            let response = try client.send(
                .json(
                    "POST", base + "/v1/applications/\(id)/outcome",
                    body:
                        #"{"citizen": "c-1", "decision": "\#(decision)"\#(reasons), "service": "INCOME", "office": "HAVELI"}"#,
                    headers: [auth, ("Idempotency-Key", id)]))
            #expect(response.status == 202, "\(response.text)")
        }
        let connection = try db.connect()
        try connection.query(
            """
            INSERT INTO applications (portal_application_id, department, service_code, office_code, citizen_id)
            SELECT 'A5', 'REVENUE', 'INCOME', 'HAVELI', id FROM citizens WHERE portal_user_id = 'c-1'
            """)
        // Right to Public Services events, kept by the appeals desk: A1 met in time, A5 lapsed, A4's appeal overdue.
        let desk = AppealsDesk(queue: JobQueue())
        let now = Date()
        for id in ["A1", "A5"] {
            _ = try connection.transaction { tx in
                try desk.startClock(
                    application: try #require(try AppealableApplication.find(portalID: id, on: tx)),
                    completedAt: now.addingTimeInterval(-2 * 86_400), bandValue: nil, isTest: false, actor: "portal",
                    now: now, on: tx)
            }
        }
        // The rejection must have reached the citizen (the portal channel's inbox) before it can be appealed.
        #expect(
            eventually(timeout: .seconds(20)) {
                (try? connection.query(
                    """
                    SELECT count(*) FROM deliveries d JOIN applications a ON a.id = d.application_id
                    WHERE a.portal_application_id = 'A4' AND d.first_delivered_at IS NOT NULL
                    """
                ).first?.decode(Int.self, at: 0)) == 1
            })
        _ = try desk.file(
            portalID: "A4",
            AppealsDesk.Filing(
                level: 1, grounds: "Income proof was attached.", delayReason: nil, via: "api", isTest: false,
                actor: "citizen"), now: now, on: connection)
        let report = try desk.sweep(now: now.addingTimeInterval(40 * 86_400), on: connection)
        #expect(report.met == 1 && report.lapsed == 1 && report.overdue == 1, "\(report)")

        // Every entry integrated, and the published checkpoint (cosigned by the witness) covers them all.
        var published = ""
        #expect(
            eventually(timeout: .seconds(20)) {
                let waiting =
                    (try? connection.query("SELECT count(*) FROM log_queue").first?.decode(Int.self, at: 0)) ?? 1
                let size = (try? connection.query("SELECT size FROM log_state").first?.decode(Int.self, at: 0)) ?? 0
                published = (try? client.send(HTTPClientRequest(url: log + "/checkpoint")))?.text ?? ""
                return waiting == 0 && size > 0 && published.contains("\n\(size)\n")
                    && published.contains("\u{2014} audit.test/witness ")
            }, "\(published)\n\(dispatcher.outputText)\n\(witness.outputText)")
        let checked = try Self.audit([
            "checkpoint", log, "--key", logVerifier.verifierKey, "--witness", witnessKey.verifierKey, "--state",
            temporary.path + "/auditor",
        ])
        #expect(
            checked.status == 0
                && checked.output.contains("cosigned by 1 of 1 witnesses (1 required): audit.test/witness"),
            "\(checked.output)")
        let stranger = NoteKey(
            name: "other.test/witness", publicKey: try Ed25519PrivateKey().publicKey().rawRepresentation,
            type: NoteKey.cosignatureV1)
        let short = try Self.audit([
            "checkpoint", log, "--key", logVerifier.verifierKey, "--witness", witnessKey.verifierKey, "--witness",
            stranger.verifierKey, "--quorum", "2", "--state", temporary.path + "/auditor",
        ])
        #expect(
            short.status == 2 && short.output.contains("1 valid witness cosignature(s) of the 2 required"),
            "\(short.output)")

        // The report from the log alone equals what the database computes from its own tables.
        let replayed = try Self.audit(["replay", log, "--key", logVerifier.verifierKey, "--format", "json"])
        #expect(replayed.status == 0, "\(replayed.output)")
        let quality = try JSONDecoder().decode(ServiceQuality.self, from: Data(replayed.output.utf8))
        let haveli = try #require(quality.offices["REVENUE/INCOME/HAVELI"], "\(quality)")
        let decisions = try connection.query(
            """
            SELECT d.decision, count(*) FROM deliveries d JOIN applications a ON a.id = d.application_id
            WHERE NOT d.is_test AND d.decision IN ('approved', 'rejected') AND a.office_code = 'HAVELI' GROUP BY d.decision
            """
        ).rows.map { (try $0.decode(String.self, at: 0), try $0.decode(Int.self, at: 1)) }
        #expect(
            haveli.outcomes == Dictionary(uniqueKeysWithValues: decisions)
                && haveli.outcomes == ["approved": 3, "rejected": 1])
        let clocks = try #require(
            try connection.query(
                "SELECT count(*) FILTER (WHERE state = 'met'), count(*) FILTER (WHERE state = 'lapsed') FROM application_clocks WHERE NOT is_test"
            ).first)
        #expect(haveli.timeLimitsMet == (try clocks.decode(Int.self, at: 0)) && haveli.timeLimitsMet == 1)
        #expect(haveli.timeLimitsLapsed == (try clocks.decode(Int.self, at: 1)) && haveli.timeLimitsLapsed == 1)
        #expect(haveli.withinTimeLimit == 0.5)
        let appeals = try #require(
            try connection.query("SELECT count(*), count(overdue_at) FROM appeals WHERE NOT is_test").first)
        let filed = try appeals.decode(Int.self, at: 0), overdue = try appeals.decode(Int.self, at: 1)
        #expect(haveli.appealsFiled == ["1": filed] && haveli.appealsOverdue == overdue && overdue == 1)
        #expect(haveli.appealsPerThousand == 250)
        let portalFigures = try #require(
            try connection.query(
                """
                SELECT count(*), count(*) FILTER (WHERE coalesce(ca.delivered_at, ca.read_at) <= d.created_at + interval '10 seconds')
                FROM channel_attempts ca JOIN deliveries d ON d.id = ca.delivery_id
                WHERE ca.channel = 'portal' AND NOT d.is_test AND d.decision IN ('approved', 'rejected')
                """
            ).first)
        #expect(quality.channels["portal"]?.attempted == (try portalFigures.decode(Int.self, at: 0)))
        #expect(quality.channels["portal"]?.within10Seconds == (try portalFigures.decode(Int.self, at: 1)))
        #expect(quality.channels["portal"]?.attempted == 4)
        let text = try Self.audit(["replay", log, "--key", logVerifier.verifierKey])
        #expect(
            text.output.contains(
                "REVENUE/INCOME/HAVELI: outcomes 4 (approved 3, rejected 1); within the time limit 50.0% of 2 ended"),
            "\(text.output)")
        #expect(!text.output.contains("A1") && !text.output.contains("income proof"), "no personal data")

        // An offline proof of A1's outcome: checked without the log, and shown to be A1's with its salt.
        struct Page: Decodable { var entries: [String] }
        let entries = try JSONDecoder().decode(
            Page.self, from: Data(try client.send(HTTPClientRequest(url: log + "/entries?start=0&count=1000")).body)
        ).entries.map { String(decoding: Data(base64Encoded: $0) ?? Data(), as: UTF8.self) }
        let salt = try #require(
            try connection.query("SELECT log_salt FROM applications WHERE portal_application_id = 'A1'").first?
                .decode(PostgresBytes.self, at: 0).bytes)
        let commitment = SHA256.hexDigest(salt + Array("A1".utf8))
        let index = try #require(
            entries.firstIndex { $0.contains(commitment) && $0.contains(#""type":"outcome.accepted""#) })
        let bundle = try client.send(HTTPClientRequest(url: log + "/proof/bundle?index=\(index)"))
        #expect(bundle.status == 200 && bundle.text.hasPrefix("c2sp.org/tlog-proof@v1\nextra "), "\(bundle.text)")
        let proofFile = temporary.path + "/a1.tlog-proof"
        try Data(bundle.body).write(to: URL(fileURLWithPath: proofFile))
        let proved = try Self.audit([
            "prove", proofFile, "--key", logVerifier.verifierKey, "--witness", witnessKey.verifierKey,
            "--application", "A1", "--salt", Hex.encode(salt),
        ])
        #expect(proved.status == 0 && proved.output.contains("the entry is application A1's"), "\(proved.output)")
        let notMine = try Self.audit([
            "prove", proofFile, "--key", logVerifier.verifierKey, "--application", "A2", "--salt", Hex.encode(salt),
        ])
        #expect(notMine.status == 2 && notMine.output.contains("not application A2's"), "\(notMine.output)")
        let forged = bundle.text.replacingOccurrences(of: "index \(index)\n", with: "index \(index + 1)\n")
        try Data(forged.utf8).write(to: URL(fileURLWithPath: proofFile))
        let refused = try Self.audit(["prove", proofFile, "--key", logVerifier.verifierKey])
        #expect(refused.status == 2 && refused.output.contains("is not in the log"), "\(refused.output)")

        // Tampering with the stored log is caught by the replay: two entries swapped, then one deleted.
        dispatcher.send(SIGKILL)
        _ = dispatcher.waitForExit(timeout: .seconds(10))
        let restarted = try ChildProcess(
            "dispatcher",
            environment: environment.merging([
                "DAKIYA_HTTP_PORT": String(dispatcherPort),
                "DAKIYA_LOG_SIGNING_KEY": Base64URL.encode(logKey.rawRepresentation),
            ]) { $1 })
        #expect(
            eventually {
                (try? client.send(HTTPClientRequest(url: "http://127.0.0.1:\(dispatcherPort)/readyz")))?.status == 200
            },
            "\(restarted.outputText)")
        try connection.execute(
            script: """
                ALTER TABLE log_entries DISABLE TRIGGER log_entries_append_only;
                UPDATE log_entries SET entry = CASE idx WHEN 1 THEN (SELECT entry FROM log_entries WHERE idx = 2)
                                                        ELSE (SELECT entry FROM log_entries WHERE idx = 1) END
                WHERE idx IN (1, 2);
                """)
        let reordered = try Self.audit(["replay", log, "--key", logVerifier.verifierKey])
        #expect(reordered.status == 2 && reordered.output.contains("the log was altered"), "\(reordered.output)")
        try connection.execute(script: "DELETE FROM log_entries WHERE idx = (SELECT max(idx) FROM log_entries)")
        let deleted = try Self.audit(["replay", log, "--key", logVerifier.verifierKey])
        #expect(deleted.status == 2 && deleted.output.contains("REFUSED"), "\(deleted.output)")
        for process in [portal, restarted, witness] { process.send(SIGTERM) }
        #expect(portal.waitForExit(timeout: .seconds(20)) == 0)
        #expect(witness.waitForExit(timeout: .seconds(20)) == 0)
    }

    @Test(
        "kill -9 of the dispatcher while it integrates a large batch: no gap, no duplicate index, the next one continues"
    )
    func integratorKilled() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        let queued = 100_000
        let total = queued + 1  // and the dispatcher's key.added
        try connection.query(
            """
            INSERT INTO log_queue (entries)
            SELECT array_agg(convert_to('{"n":' || g || ',"type":"test.entry","v":1}', 'UTF8') ORDER BY g)
            FROM generate_series(0, $1 - 1) g GROUP BY g / 5
            """, [queued])
        let environment = [
            "DAKIYA_DATABASE_URL": try db.serviceURL(), "DAKIYA_HTTP_PORT": "0", "DAKIYA_LOG_LEVEL": "warning",
        ]
        let first = try ChildProcess("dispatcher", environment: environment)
        // Killed while its integrating statement runs (seen in pg_stat_activity), after at least one batch.
        #expect(
            eventually(timeout: .seconds(60)) {
                let running =
                    (try? connection.query(
                        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%INSERT INTO log_entries%' AND state = 'active' AND pid <> pg_backend_pid()"
                    ).first?.decode(Int.self, at: 0)) ?? 0
                let size = (try? connection.query("SELECT size FROM log_state").first?.decode(Int.self, at: 0)) ?? 0
                return running > 0 && size > 0
            }, "\(first.outputText)")
        first.send(SIGKILL)
        #expect(first.waitForExit(timeout: .seconds(10)) != nil)
        let killedAt = try connection.query("SELECT size FROM log_state").first?.decode(Int.self, at: 0) ?? 0
        #expect(killedAt > 0 && killedAt < total, "killed mid-log: \(killedAt) of \(total)")
        let second = try ChildProcess("dispatcher", environment: environment)
        var size = 0
        #expect(
            eventually(timeout: .seconds(90)) {
                size = (try? connection.query("SELECT size FROM log_state").first?.decode(Int.self, at: 0)) ?? 0
                return size == total
            }, "\(size) of \(total) after the restart\n\(second.outputText)")
        let check = try #require(
            try connection.query(
                "SELECT count(*), count(DISTINCT idx), min(idx), max(idx), count(DISTINCT entry) FROM log_entries"
            ).first)
        #expect(try check.decode(Int.self, at: 0) == total && check.decode(Int.self, at: 1) == total)
        #expect(try check.decode(Int.self, at: 2) == 0 && check.decode(Int.self, at: 3) == total - 1)
        #expect(try check.decode(Int.self, at: 4) == total, "each entry once")
        let leaves = try connection.query("SELECT leaf_hash FROM log_entries ORDER BY idx").rows.map {
            try $0.decode(PostgresBytes.self, at: 0).bytes
        }
        let root = try connection.query("SELECT root FROM log_checkpoints WHERE size = $1", [total]).first?.decode(
            PostgresBytes.self, at: 0
        ).bytes
        #expect(root == MerkleTree(leafHashes: leaves).root(size: total))
        second.send(SIGTERM)
        #expect(second.waitForExit(timeout: .seconds(20)) == 0)
    }
}
