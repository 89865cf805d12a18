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

    @Test("an outcome submitted to the portal adapter is routed by the dispatcher to the inbox and the queued channels")
    func outcomeIsRouted() throws {
        let db = try TestDatabase()
        _ = try run(["department", "add", "REV", "Revenue and Forest"], url: db.url)
        let created = try run(
            [
                "key", "create", "--department", "REV", "--label", "aaple sarkar", "--kind", "test", "--scope",
                "citizens",
            ], url: db.url)
        let secret = try #require(
            created.split(separator: "\n").first { $0.hasPrefix("secret") }?.split(separator: " ").last.map(String.init)
        )
        #expect(
            try run(["key", "list"], url: db.url).contains("REV\tall offices\toutcomes,citizens\tactive\taaple sarkar"))

        let portalPort = freePort()
        let portal = try ChildProcess(
            "portal-adapter", environment: ["DAKIYA_DATABASE_URL": db.url, "DAKIYA_HTTP_PORT": String(portalPort)])
        let dispatcherPort = freePort()
        let dispatcher = try ChildProcess(
            "dispatcher", environment: ["DAKIYA_DATABASE_URL": db.url, "DAKIYA_HTTP_PORT": String(dispatcherPort)])
        let base = "http://127.0.0.1:\(portalPort)"
        let client = try HTTPClient()
        let auth = ("Authorization", "Bearer \(secret)")
        #expect(
            eventually { (try? client.send(HTTPClientRequest(url: base + "/readyz")))?.status == 200 },
            "\(portal.outputText)")

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
                return note.contains("\n1\n")
            }, "\(note)\n\(dispatcher.outputText)")
        let key = try #require(
            NoteKey(
                verifierKey: try client.send(HTTPClientRequest(url: log + "/key")).text
                    .trimmingCharacters(in: .newlines)))
        let checkpoint = try #require(Checkpoint(body: try SignedNote.verify(note, key: key).body))
        #expect(checkpoint.origin == "dakiya.local/log")
        struct Page: Decodable { var start: Int; var entries: [String] }
        let page = try JSONDecoder().decode(
            Page.self, from: Data(try client.send(HTTPClientRequest(url: log + "/entries?start=0")).body))
        let entries = page.entries.compactMap { Data(base64Encoded: $0).map(Array.init) }
        #expect(entries.count == 1)
        #expect(String(decoding: entries.first ?? [], as: UTF8.self).contains(#""type":"outcome.accepted""#))
        #expect(Merkle.root(entries.map(Merkle.leafHash)[...]) == checkpoint.root)
        struct Proof: Decodable { var proof: [String] }
        let proof = try JSONDecoder().decode(
            Proof.self,
            from: Data(try client.send(HTTPClientRequest(url: log + "/proof/inclusion?index=0&size=1")).body))
        #expect(
            Merkle.verifyInclusion(
                leafHash: Merkle.leafHash(entries[0]), index: 0, size: 1,
                proof: proof.proof.compactMap { Data(base64Encoded: $0).map(Array.init) }, root: checkpoint.root))
        #expect(try client.send(HTTPClientRequest(url: log + "/proof/inclusion?index=1&size=1")).status == 422)
        #expect(try client.send(HTTPClientRequest(url: log + "/proof/inclusion?index=0&size=9")).status == 404)
        #expect(try client.send(HTTPClientRequest(url: log + "/entries?start=-1")).status == 400)
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
        let common = ["DAKIYA_DATABASE_URL": db.url, "DAKIYA_JOB_POLL_SECONDS": "0.5"]
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
