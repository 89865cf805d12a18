import Foundation
import HTTPClient
import Postgres
import Testing
import TestSupport

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
        let created = try run(["key", "create", "--department", "REV", "--label", "aaple sarkar", "--kind", "test"], url: db.url)
        let secret = try #require(created.split(separator: "\n").first { $0.hasPrefix("secret") }?.split(separator: " ").last.map(String.init))
        #expect(try run(["key", "list"], url: db.url).contains("REV\tall offices\tactive\taaple sarkar"))

        let portalPort = freePort()
        let portal = try ChildProcess("portal-adapter", environment: ["DAKIYA_DATABASE_URL": db.url, "DAKIYA_HTTP_PORT": String(portalPort)])
        let dispatcher = try ChildProcess("dispatcher", environment: ["DAKIYA_DATABASE_URL": db.url, "DAKIYA_HTTP_PORT": String(freePort())])
        let base = "http://127.0.0.1:\(portalPort)"
        let client = try HTTPClient()
        let auth = ("Authorization", "Bearer \(secret)")
        #expect(eventually { (try? client.send(HTTPClientRequest(url: base + "/readyz")))?.status == 200 }, "\(portal.outputText)")

        let citizen = try client.send(.json("PUT", base + "/v1/citizens/u-77", body: #"{"mobile": "+919812345678", "email": "u77@example.in", "language": "hi", "consents": [{"channel": "whatsapp", "granted": true, "source": "portal-profile"}]}"#, headers: [auth]))
        #expect(citizen.status == 200, "\(citizen.text)")
        let outcome = try client.send(.json("POST", base + "/v1/applications/MH-INC-0001/outcome",
                                            body: #"{"citizen": "u-77", "decision": "approved", "service": "INCOME_CERT", "office": "HAVELI"}"#,
                                            headers: [auth, ("Idempotency-Key", "flow-1")]))
        #expect(outcome.status == 202, "\(outcome.text)")
        let location = try #require(outcome.header("location"))
        var status = ""
        #expect(eventually {
            status = (try? client.send(HTTPClientRequest(url: base + location, headers: [auth])))?.text ?? ""
            return status.contains("\"status\":\"in_progress\"")
        }, "\(status)\n\(dispatcher.outputText)")
        #expect(status.contains("\"channel\":\"portal\",") || status.contains("\"channel\":\"portal\""))
        #expect(status.contains("\"language\":\"hi\""))
        let jobs = try db.connect().query("SELECT queue FROM jobs WHERE kind = 'channel.send' ORDER BY queue").rows.map { try $0.decode(String.self, at: 0) }
        #expect(jobs == ["email", "whatsapp"])
        portal.send(SIGTERM)
        dispatcher.send(SIGTERM)
        #expect(portal.waitForExit(timeout: .seconds(20)) == 0)
        #expect(dispatcher.waitForExit(timeout: .seconds(20)) == 0)
    }
}
