import Foundation

/// The delivery path as real processes for a test: the Cloud API simulator, portal-adapter, dispatcher,
/// whatsapp-adapter and email-adapter (to `smtp`), against one test database as the services' role, each on a
/// free port. Stopped (SIGTERM, then waited for) when the value goes away.
package final class DeliveryServices: @unchecked Sendable {
    package let portalPort: UInt16, whatsappPort: UInt16, simulatorPort: UInt16
    package let simulator: ChildProcess
    /// portal-adapter, dispatcher, whatsapp-adapter, email-adapter, in that order.
    package private(set) var services: [ChildProcess]
    /// Each service's environment, by its place in `services`.
    private let environments: [[String: String]]
    private static let names = ["portal-adapter", "dispatcher", "whatsapp-adapter", "email-adapter"]
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
        environments = [
            shared.merging(["DAKIYA_HTTP_PORT": String(portalPort)]) { $1 },
            shared.merging([
                "DAKIYA_HTTP_PORT": String(freePort()), "DAKIYA_VERIFY_URL": "http://127.0.0.1:\(portalPort)/v",
            ]) { $1 },
            shared.merging([
                "DAKIYA_HTTP_PORT": String(whatsappPort),
                "DAKIYA_WHATSAPP_GRAPH_URL": "http://127.0.0.1:\(simulatorPort)",
                "DAKIYA_WHATSAPP_PAIR_INTERVAL_SECONDS": "0.01",
            ]) { $1 },
            shared.merging([
                "DAKIYA_HTTP_PORT": String(freePort()), "DAKIYA_SMTP_URL": smtp.url, "DAKIYA_SMTP_TLS": "off",
                "DAKIYA_RATING_URL": "http://127.0.0.1:\(portalPort)/rate",
            ]) { $1 },
        ]
        services = try zip(Self.names, environments).map { try ChildProcess($0, environment: $1) }
    }

    /// Kills service `name` with SIGKILL (nothing it held in memory survives) and starts it again with the same
    /// settings; returns the new process.
    /// - Throws: when `name` is not one of the services or the process cannot start.
    @discardableResult
    package func killAndRestart(_ name: String) throws -> ChildProcess {
        guard let index = Self.names.firstIndex(of: name) else {
            throw TestEnvironmentError(message: "no service \(name)")
        }
        services[index].send(SIGKILL)
        _ = services[index].waitForExit(timeout: .seconds(10))
        services[index] = try ChildProcess(name, environment: environments[index])
        return services[index]
    }

    deinit {
        for process in services + [simulator] { process.send(SIGTERM) }
        for process in services + [simulator] { _ = process.waitForExit(timeout: .seconds(20)) }
    }
}
