import Cryptography
import Foundation
import HTTPClient
import Postgres
import Testing
import WhatsAppGraph
import TestSupport
import TransparencyLog

/// The outcome path across real processes: admin tool → portal-adapter → PostgreSQL → dispatcher.
@Suite("Outcome flow across services")
struct OutcomeFlowTests {
    func run(_ arguments: [String], url: String) throws -> String {
        let process = try ChildProcess("dakiya-admin", arguments: arguments, environment: ["DAKIYA_DATABASE_URL": url])
        #expect(process.waitForExit(timeout: .seconds(20)) == 0, "\(process.outputText)")
        return process.outputText
    }

    @Test(
        "dakiya-admin's usage names every command it has, and an empty list says so instead of printing nothing")
    func adminToolSpeaks() throws {
        let db = try TestDatabase()
        let help = try ChildProcess("dakiya-admin", arguments: [], environment: ["DAKIYA_DATABASE_URL": db.url])
        #expect(help.waitForExit(timeout: .seconds(20)) == 64)
        for command in [
            "migrate", "dead-jobs", "department add", "department email", "department callback", "key create",
            "key list", "key revoke", "offices import", "offices list", "catalogue import", "officer-key create",
            "officer-key revoke", "holiday add", "extension add", "auto-appeal", "shortfall-clock", "overdue",
            "signing-key list",
            "signing-key retire", "dead-jobs requeue", "jobs stuck", "jobs waiting",
        ] {
            #expect(help.outputText.contains(command), "the usage lacks \(command)")
        }
        for (arguments, said) in [
            (["key", "list"], "no API keys yet"), (["dead-jobs", "whatsapp"], "no dead jobs in the whatsapp queue"),
            (["overdue"], "no overdue appeals"), (["signing-key", "list"], "no signing keys yet"),
            (["offices", "list"], "no offices yet"), (["dead-jobs"], "no dead jobs"),
            (["jobs", "stuck"], "no stuck jobs"), (["jobs", "waiting"], "no jobs waiting"),
            (
                ["dead-jobs", "requeue", "email", "--all", "--reason", "relay fixed"],
                "no dead jobs in the email queue match"
            ),
        ] {
            #expect(try run(arguments, url: db.url).contains(said), "\(arguments)")
        }
        // A requeue names its reason, and which jobs: refused with the rule otherwise.
        for (arguments, said) in [
            (["dead-jobs", "requeue", "email", "--all"], "--reason is required"),
            (["dead-jobs", "requeue", "email", "--reason", "x"], "say which dead jobs"),
            (["dead-jobs", "requeue", "email", "--id", "x7", "--reason", "x"], "--id must be a job id"),
        ] {
            let refused = try ChildProcess(
                "dakiya-admin", arguments: arguments, environment: ["DAKIYA_DATABASE_URL": db.url])
            #expect(refused.waitForExit(timeout: .seconds(20)) == 64)
            #expect(refused.outputText.contains(said), "\(arguments): \(refused.outputText)")
        }
    }

    @Test("an outcome submitted to the portal adapter is routed by the dispatcher to the inbox and the queued channels")
    func outcomeIsRouted() throws {
        let db = try TestDatabase()
        _ = try run(["department", "add", "REV", "Revenue and Forest"], url: db.url)
        let created = try run(
            [
                "key", "create", "--department", "REV", "--label", "aaple sarkar", "--kind", "live", "--scope",
                "citizens",
            ], url: db.url)
        let secret = try #require(
            created.split(separator: "\n").first { $0.hasPrefix("secret") }?.split(separator: " ").last.map(String.init)
        )
        #expect(
            try run(["key", "list"], url: db.url).contains("REV\tall offices\toutcomes,citizens\tactive\taaple sarkar"))

        let portalPort = freePort()
        let portal = try ChildProcess(
            "portal-adapter",
            environment: ["DAKIYA_DATABASE_URL": try db.serviceURL(), "DAKIYA_HTTP_PORT": String(portalPort)])
        let dispatcherPort = freePort()
        let dispatcher = try ChildProcess(
            "dispatcher",
            environment: ["DAKIYA_DATABASE_URL": try db.serviceURL(), "DAKIYA_HTTP_PORT": String(dispatcherPort)])
        let base = "http://127.0.0.1:\(portalPort)"
        let client = try HTTPClient()
        let auth = ("Authorization", "Bearer \(secret)")
        #expect(
            eventually { (try? client.send(HTTPClientRequest(url: base + "/readyz")))?.status == 200 },
            "\(portal.outputText)")
        // The dispatcher announces its log key (key.added, the log's first entry) before it is ready.
        #expect(
            eventually {
                (try? client.send(HTTPClientRequest(url: "http://127.0.0.1:\(dispatcherPort)/readyz")))?.status == 200
            }, "\(dispatcher.outputText)")

        let citizen = try client.send(
            .json(
                "PUT", base + "/v1/citizens/u-77",
                body:
                    #"{"mobile": "+919812345678", "email": "u77@example.in", "language": "hi", "consents": [{"channel": "whatsapp", "granted": true, "source": "portal-profile"}]}"#,
                headers: [auth]))
        #expect(citizen.status == 200, "\(citizen.text)")
        let outcome = try client.send(
            .json(
                "POST", base + "/v1/applications/MH-INC-0001/outcome",
                body: #"{"citizen": "u-77", "decision": "approved", "service": "INCOME_CERT", "office": "HAVELI"}"#,
                headers: [auth, ("Idempotency-Key", "flow-1")]))
        #expect(outcome.status == 202, "\(outcome.text)")
        let location = try #require(outcome.header("location"))
        var status = ""
        #expect(
            eventually {
                status = (try? client.send(HTTPClientRequest(url: base + location, headers: [auth])))?.text ?? ""
                return status.contains("\"status\":\"in_progress\"")
            }, "\(status)\n\(dispatcher.outputText)")
        #expect(status.contains("\"channel\":\"portal\",") || status.contains("\"channel\":\"portal\""))
        #expect(status.contains("\"language\":\"hi\""))
        let jobs = try db.connect().query("SELECT queue FROM jobs WHERE kind = 'channel.send' ORDER BY queue").rows.map
        { try $0.decode(String.self, at: 0) }
        #expect(jobs == ["email", "whatsapp"])

        // The accept's entry reached the transparency log, which the dispatcher signs and serves: an auditor checks
        // the checkpoint with the log's key, recomputes the root from the entries, and proves the entry is in it.
        let log = "http://127.0.0.1:\(dispatcherPort)/log"
        var note = ""
        #expect(
            eventually {
                note = (try? client.send(HTTPClientRequest(url: log + "/checkpoint")))?.text ?? ""
                return note.contains("\n3\n")
            }, "\(note)\n\(dispatcher.outputText)")
        let key = try #require(
            NoteKey(
                verifierKey: try client.send(HTTPClientRequest(url: log + "/key")).text
                    .trimmingCharacters(in: .newlines)))
        let checkpoint = try #require(Checkpoint(body: try SignedNote.verify(note, key: key)))
        #expect(checkpoint.origin == "dakiya.local/log")
        struct Page: Decodable { var start: Int; var entries: [String] }
        let page = try JSONDecoder().decode(
            Page.self, from: Data(try client.send(HTTPClientRequest(url: log + "/entries?start=0")).body))
        let entries = page.entries.compactMap { Data(base64Encoded: $0).map(Array.init) }
        // The log's key, the accept's entry, then the portal inbox's delivery (the routing's): the other channels
        // await adapters.
        #expect(entries.count == 3)
        #expect(String(decoding: entries.first ?? [], as: UTF8.self).contains(#""type":"key.added""#))
        #expect(
            String(decoding: entries.dropFirst().first ?? [], as: UTF8.self).contains(#""type":"outcome.accepted""#))
        #expect(
            String(decoding: entries.last ?? [], as: UTF8.self).contains(#""channel":"portal","delivery":""#),
            "\(entries.map { String(decoding: $0, as: UTF8.self) })")
        #expect(Merkle.root(entries.map(Merkle.leafHash)[...]) == checkpoint.root)
        struct Proof: Decodable { var proof: [String] }
        let proof = try JSONDecoder().decode(
            Proof.self,
            from: Data(try client.send(HTTPClientRequest(url: log + "/proof/inclusion?index=1&size=3")).body))
        #expect(
            Merkle.verifyInclusion(
                leafHash: Merkle.leafHash(entries[1]), index: 1, size: 3,
                proof: proof.proof.compactMap { Data(base64Encoded: $0).map(Array.init) }, root: checkpoint.root))
        #expect(try client.send(HTTPClientRequest(url: log + "/proof/inclusion?index=3&size=3")).status == 422)
        #expect(try client.send(HTTPClientRequest(url: log + "/proof/inclusion?index=0&size=9")).status == 404)
        #expect(try client.send(HTTPClientRequest(url: log + "/entries?start=-1")).status == 400)

        // The auditor's tool, on its own machine: only the URL and the pinned key.
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        func audit(_ arguments: [String]) throws -> (status: Int32?, output: String) {
            let process = try ChildProcess("dakiya-audit", arguments: arguments)
            let status = process.waitForExit(timeout: .seconds(20))
            return (status, process.outputText)
        }
        let first = try audit(["checkpoint", log, "--key", key.verifierKey, "--state", state])
        #expect(first.status == 0 && first.output.contains("first checkpoint seen"), "\(first.output)")
        let second = try client.send(
            .json(
                "POST", base + "/v1/applications/MH-INC-0002/outcome",
                body:
                    #"{"citizen": "u-77", "decision": "rejected", "reasons": ["income proof missing"], "service": "INCOME_CERT", "office": "HAVELI"}"#,
                headers: [auth, ("Idempotency-Key", "flow-2")]))
        #expect(second.status == 202, "\(second.text)")
        #expect(
            eventually {
                (try? client.send(HTTPClientRequest(url: log + "/checkpoint")))?.text.contains("\n5\n") == true
            })
        let grown = try audit(["checkpoint", log, "--key", key.verifierKey, "--state", state])
        #expect(
            grown.status == 0 && grown.output.contains("consistent with the checkpoint seen before (size 3)"),
            "\(grown.output)")
        let replay = try audit(["replay", log, "--key", key.verifierKey])
        #expect(replay.status == 0, "\(replay.output)")
        #expect(
            replay.output.contains(
                "5 entries replayed from index 0 of 5; with the log's tiles they make the signed root"),
            "\(replay.output)")
        #expect(
            replay.output.contains("REV/INCOME_CERT/HAVELI: outcomes 2 (approved 1, rejected 1)"), "\(replay.output)")
        #expect(replay.output.contains("channel.state 2"), "\(replay.output)")
        #expect(!replay.output.contains("MH-INC") && !replay.output.contains("income proof"), "no personal data")

        // A log shown to the auditor that went back, or forked, or was altered, is refused loudly.
        let connection = try db.connect()
        let seed = try #require(
            try connection.query("SELECT seed FROM log_signing_keys").first?.decode(PostgresBytes.self, at: 0).bytes)
        let logKey = try Ed25519PrivateKey(rawRepresentation: seed)
        let stateFile = state + "/dakiya.local_log.checkpoint"
        let ahead = try SignedNote.sign(
            Checkpoint(origin: "dakiya.local/log", size: 6, root: checkpoint.root).body, name: "dakiya.local/log",
            key: logKey)
        try Data(ahead.utf8).write(to: URL(fileURLWithPath: stateFile))
        let rollback = try audit(["checkpoint", log, "--key", key.verifierKey, "--state", state])
        #expect(rollback.status == 2 && rollback.output.contains("ROLLBACK"), "\(rollback.output)")
        let other = try SignedNote.sign(
            Checkpoint(origin: "dakiya.local/log", size: 5, root: checkpoint.root).body, name: "dakiya.local/log",
            key: logKey)
        try Data(other.utf8).write(to: URL(fileURLWithPath: stateFile))
        let fork = try audit(["checkpoint", log, "--key", key.verifierKey, "--state", state])
        #expect(fork.status == 2 && fork.output.contains("FORK"), "\(fork.output)")
        try connection.execute(
            script: """
                ALTER TABLE log_entries DISABLE TRIGGER log_entries_append_only;
                UPDATE log_entries SET entry = convert_to(replace(convert_from(entry, 'UTF8'), 'rejected', 'approved'), 'UTF8') WHERE convert_from(entry, 'UTF8') LIKE '%rejected%';
                """)
        let altered = try audit(["replay", log, "--key", key.verifierKey])
        #expect(altered.status == 2 && altered.output.contains("the log was altered"), "\(altered.output)")
        let wrongKey = try audit([
            "replay", log, "--key",
            NoteKey(name: "dakiya.local/log", publicKey: try Ed25519PrivateKey().publicKey().rawRepresentation)
                .verifierKey,
        ])
        #expect(wrongKey.status == 2 && wrongKey.output.contains("not signed by"), "\(wrongKey.output)")
        portal.send(SIGTERM)
        dispatcher.send(SIGTERM)
        #expect(portal.waitForExit(timeout: .seconds(20)) == 0)
        #expect(dispatcher.waitForExit(timeout: .seconds(20)) == 0)
    }
}

@Suite("WhatsApp flow across services")
struct WhatsAppFlowTests {
    @Test(
        "a certificate travels portal → dispatcher → whatsapp-adapter → simulator, and its webhooks bring the attempt to read"
    )
    func certificateOverWhatsApp() throws {
        let db = try TestDatabase()
        for arguments in [["department", "add", "REV", "Revenue"]] {
            let admin = try ChildProcess(
                "dakiya-admin", arguments: arguments, environment: ["DAKIYA_DATABASE_URL": db.url])
            #expect(admin.waitForExit(timeout: .seconds(20)) == 0)
        }
        let created = try ChildProcess(
            "dakiya-admin",
            arguments: [
                "key", "create", "--department", "REV", "--label", "p", "--kind", "live", "--scope", "citizens",
            ],
            environment: ["DAKIYA_DATABASE_URL": db.url])
        #expect(created.waitForExit(timeout: .seconds(20)) == 0)
        let secret = try #require(
            created.outputText.split(separator: "\n").first { $0.hasPrefix("secret") }?.split(separator: " ").last.map(
                String.init))

        let portalPort = freePort(), whatsappPort = freePort(), simulatorPort = freePort()
        let simulator = try ChildProcess(
            "whatsapp-cloud-simulator",
            environment: [
                "DAKIYA_SIM_PORT": String(simulatorPort),
                "DAKIYA_SIM_WEBHOOK_URL": "http://127.0.0.1:\(whatsappPort)/webhooks/whatsapp",
                "DAKIYA_SIM_READ_DELAY_SECONDS": "0.2",
            ])
        let common = ["DAKIYA_DATABASE_URL": try db.serviceURL(), "DAKIYA_JOB_POLL_SECONDS": "0.5"]
        let portal = try ChildProcess(
            "portal-adapter", environment: common.merging(["DAKIYA_HTTP_PORT": String(portalPort)]) { $1 })
        let dispatcher = try ChildProcess(
            "dispatcher", environment: common.merging(["DAKIYA_HTTP_PORT": String(freePort())]) { $1 })
        let whatsapp = try ChildProcess(
            "whatsapp-adapter",
            environment: common.merging([
                "DAKIYA_HTTP_PORT": String(whatsappPort),
                "DAKIYA_WHATSAPP_GRAPH_URL": "http://127.0.0.1:\(simulatorPort)",
            ]) { $1 })
        let client = try HTTPClient()
        let base = "http://127.0.0.1:\(portalPort)"
        #expect(eventually { (try? client.send(HTTPClientRequest(url: base + "/readyz")))?.status == 200 })
        #expect(
            eventually {
                (try? client.send(HTTPClientRequest(url: "http://127.0.0.1:\(whatsappPort)/readyz")))?.status == 200
            })

        let auth = ("Authorization", "Bearer \(secret)")
        let citizen = try client.send(
            .json(
                "PUT", base + "/v1/citizens/u-5",
                body:
                    #"{"mobile": "9812345678", "language": "te", "consents": [{"channel": "whatsapp", "granted": true, "source": "portal-profile"}]}"#,
                headers: [auth]))
        #expect(citizen.status == 200)
        let pdf = Array("%PDF-1.7\n".utf8) + (0..<30_000).map { UInt8(($0 * 17) % 256) }
        let outcome = try client.send(
            .json(
                "POST", base + "/v1/applications/AP-77/outcome",
                body:
                    #"{"citizen": "u-5", "decision": "approved", "service": "Income", "office": "Guntur", "channels": ["whatsapp"], "certificate": {"file_name": "income.pdf", "content_base64": "\#(Data(pdf).base64EncodedString())"}}"#,
                headers: [auth, ("Idempotency-Key", "wa-1")]))
        #expect(outcome.status == 202, "\(outcome.text)")
        let location = try #require(outcome.header("location"))
        var view = ""
        #expect(
            eventually(timeout: .seconds(20)) {
                view = (try? client.send(HTTPClientRequest(url: base + location, headers: [auth])))?.text ?? ""
                return view.contains("\"state\":\"read\"") && view.contains("\"status\":\"delivered\"")
            }, "\(view)\n\(whatsapp.outputText.suffix(1500))")

        let accepted = try client.send(HTTPClientRequest(url: "http://127.0.0.1:\(simulatorPort)/_sim/messages"))
        struct Accepted: Decodable { var body: String }
        let message = try #require(try JSONDecoder().decode([Accepted].self, from: Data(accepted.body)).first)
        let sent = try JSONDecoder().decode(GraphMessage.self, from: Data(message.body.utf8))
        #expect(sent.template?.name == "dakiya_certificate_issued")
        #expect(sent.template?.language.code == "te")
        let mediaID = try #require(
            sent.template?.components.first { $0.type == "header" }?.parameters.first?.document?.id)
        let download = try client.send(
            HTTPClientRequest(
                url: "http://127.0.0.1:\(simulatorPort)/_sim/media/\(mediaID)/download",
                headers: [("Authorization", "Bearer dev-token")]))
        #expect(download.body == pdf, "the media bytes the citizen gets equal the PDF the portal sent")
        #expect(
            try GraphOpenAPI.check([message.body], schema: "Message") == ["ok"],
            "the certificate template with its document header, as Meta's OpenAPI document describes it")
        for process in [portal, dispatcher, whatsapp, simulator] { process.send(SIGTERM) }
        for process in [portal, dispatcher, whatsapp, simulator] {
            #expect(process.waitForExit(timeout: .seconds(20)) == 0)
        }
        // No phone number, in any form, in any of our services' logs (the simulator is Meta's stand-in, not ours).
        for process in [portal, dispatcher, whatsapp] {
            #expect(!process.outputText.isEmpty)
            for form in ["9812345678", "+919812345678", "919812345678"] {
                #expect(
                    !process.outputText.contains(form),
                    "\(form) in a log line: \(process.outputText.components(separatedBy: "\n").filter { $0.contains(form) }.prefix(3))"
                )
            }
        }
    }
}
