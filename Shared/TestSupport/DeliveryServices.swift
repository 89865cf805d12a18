import Foundation

/// The delivery path as real processes for a test: the Cloud API simulator, portal-adapter, dispatcher,
/// whatsapp-adapter and email-adapter (to `smtp`), against one test database as the services' role, each on a
/// free port. Stopped (SIGTERM, then waited for) when the value goes away.
package final class DeliveryServices: @unchecked Sendable {
    package let portalPort: UInt16, whatsappPort: UInt16, simulatorPort: UInt16
    package let simulator: ChildProcess
    /// portal-adapter, dispatcher, whatsapp-adapter, email-adapter, in that order.
    package let services: [ChildProcess]
    package var portal: String { "http://127.0.0.1:\(portalPort)" }
    package var simulatorBase: String { "http://127.0.0.1:\(simulatorPort)" }

    /// Starts them. `common` is added to every service's settings, `simulatorSettings` to the simulator's; the
    /// dispatcher seals with this portal-adapter's verification page (`/v`) in the QR.
    /// - Throws: when the database's service URL cannot be made or a process cannot start.
    package init(
        db: TestDatabase, smtp: SMTPSink, common: [String: String] = [:], simulatorSettings: [String: String] = [:]
    ) throws {
        portalPort = freePort()
        whatsappPort = freePort()
        simulatorPort = freePort()
        simulator = try ChildProcess(
            "whatsapp-cloud-simulator",
            environment: [
                "DAKIYA_SIM_PORT": String(simulatorPort),
                "DAKIYA_SIM_WEBHOOK_URL": "http://127.0.0.1:\(whatsappPort)/webhooks/whatsapp",
                "DAKIYA_SIM_PAIR_INTERVAL_SECONDS": "0.01",
            ].merging(simulatorSettings) { $1 })
        let shared = ["DAKIYA_DATABASE_URL": try db.serviceURL(), "DAKIYA_JOB_POLL_SECONDS": "0.5"].merging(common) {
            $1
        }
        services = [
            try ChildProcess(
                "portal-adapter", environment: shared.merging(["DAKIYA_HTTP_PORT": String(portalPort)]) { $1 }),
            try ChildProcess(
                "dispatcher",
                environment: shared.merging([
                    "DAKIYA_HTTP_PORT": String(freePort()), "DAKIYA_VERIFY_URL": "http://127.0.0.1:\(portalPort)/v",
                ]) { $1 }),
            try ChildProcess(
                "whatsapp-adapter",
                environment: shared.merging([
                    "DAKIYA_HTTP_PORT": String(whatsappPort),
                    "DAKIYA_WHATSAPP_GRAPH_URL": "http://127.0.0.1:\(simulatorPort)",
                    "DAKIYA_WHATSAPP_PAIR_INTERVAL_SECONDS": "0.01",
                ]) { $1 }),
            try ChildProcess(
                "email-adapter",
                environment: shared.merging([
                    "DAKIYA_HTTP_PORT": String(freePort()), "DAKIYA_SMTP_URL": smtp.url, "DAKIYA_SMTP_TLS": "off",
                ]) { $1 }),
        ]
    }

    deinit {
        for process in services + [simulator] { process.send(SIGTERM) }
        for process in services + [simulator] { _ = process.waitForExit(timeout: .seconds(20)) }
    }
}
