import Foundation
import HTTPClient
import HTTPServer
import ServiceRuntime

/// whatsapp-cloud-simulator: a faithful stand-in for Meta's WhatsApp Cloud API (Graph API subset), for
/// `make run` and the tests. It keeps no database: state lives in memory for the life of the process.
@main
struct WhatsAppCloudSimulator {
    static func main() {
        ServiceGroup.blockTerminationSignals()
        do { try HTTPClient.initializeProcess() } catch {  // libcurl's global setup, once, before any thread
            print("whatsapp-cloud-simulator: \(error)")
            exit(1)
        }
        let settings = Settings()
        var configuration = SimulatorConfiguration()
        var webhooks = WebhookConfiguration()
        let port: Int
        let host: String
        var logLevel = Logger.Level.info
        do throws(SettingError) {
            host = try settings.string("DAKIYA_SIM_HOST", default: "127.0.0.1")
            port = try settings.int("DAKIYA_SIM_PORT", default: 8090, in: 0...65_535)
            configuration.accessToken = try settings.string(
                "DAKIYA_SIM_ACCESS_TOKEN", default: configuration.accessToken)
            if let ids = settings.optionalString("DAKIYA_SIM_PHONE_NUMBER_IDS") {
                configuration.phoneNumberIDs = Set(ids.split(separator: ",").map(String.init))
            }
            configuration.messagesPerSecond = Double(try settings.int("DAKIYA_SIM_MPS", default: 80, in: 1...10_000))
            configuration.pairBurst = Double(try settings.int("DAKIYA_SIM_PAIR_BURST", default: 5, in: 1...1000))
            configuration.keepMessages = try settings.int(
                "DAKIYA_SIM_KEEP_MESSAGES", default: 100_000, in: 0...10_000_000)
            configuration.pairInterval = try settings.seconds(
                "DAKIYA_SIM_PAIR_INTERVAL_SECONDS", default: 6, in: 0.001...3600
            ).seconds
            switch settings.optionalString("DAKIYA_SIM_MESSAGING_LIMIT")?.lowercased() {
            case nil, "unlimited": configuration.messagingLimit = nil
            case let level? where ["250", "2000", "10000", "100000"].contains(level):
                configuration.messagingLimit = Int(level)
            default:
                throw SettingError(
                    name: "DAKIYA_SIM_MESSAGING_LIMIT", problem: "expected 250, 2000, 10000, 100000 or unlimited")
            }
            if let threshold = settings.optionalString("DAKIYA_SIM_TEMPLATE_PACING") {
                guard let count = Int(threshold), count >= 0 else {
                    throw SettingError(
                        name: "DAKIYA_SIM_TEMPLATE_PACING",
                        problem: "expected how many of a template's messages go out before pacing holds the rest")
                }
                configuration.pacingThreshold = count
            }
            if let numbers = settings.optionalString("DAKIYA_SIM_NOT_ON_WHATSAPP") {
                configuration.notOnWhatsApp = Set(numbers.split(separator: ",").map { Simulator.digits(String($0)) })
            }
            configuration.publicBaseURL = try settings.string(
                "DAKIYA_SIM_PUBLIC_URL", default: "http://127.0.0.1:\(port)")
            configuration.latency = try settings.seconds("DAKIYA_SIM_LATENCY_SECONDS", default: 0, in: 0...60).seconds
            configuration.errorRate =
                Double(try settings.int("DAKIYA_SIM_ERROR_PERCENT", default: 0, in: 0...100)) / 100
            configuration.timeoutRate =
                Double(try settings.int("DAKIYA_SIM_TIMEOUT_PERCENT", default: 0, in: 0...100)) / 100
            configuration.dropRate = Double(try settings.int("DAKIYA_SIM_DROP_PERCENT", default: 0, in: 0...100)) / 100
            webhooks.url = settings.optionalString("DAKIYA_SIM_WEBHOOK_URL")
            webhooks.appSecret = try settings.string("DAKIYA_SIM_APP_SECRET", default: webhooks.appSecret)
            webhooks.sentDelay = try settings.seconds("DAKIYA_SIM_SENT_DELAY_SECONDS", default: 0.05, in: 0...3600)
                .seconds
            webhooks.deliveredDelay = try settings.seconds(
                "DAKIYA_SIM_DELIVERED_DELAY_SECONDS", default: 0.1, in: 0...3600
            ).seconds
            webhooks.readDelay = try settings.seconds("DAKIYA_SIM_READ_DELAY_SECONDS", default: 0, in: 0...3600).seconds
            webhooks.skipDelivered = try settings.bool("DAKIYA_SIM_SKIP_DELIVERED", default: false)
            webhooks.duplicate = try settings.bool("DAKIYA_SIM_DUPLICATE_WEBHOOKS", default: false)
            webhooks.reorder = try settings.bool("DAKIYA_SIM_REORDER_WEBHOOKS", default: false)
            webhooks.batchLimit = try settings.int("DAKIYA_SIM_WEBHOOK_BATCH", default: 100, in: 1...1000)
            // Like a service's: a benchmark's simulator logs errors only, not each of a million requests.
            logLevel =
                Logger.Level(
                    name: try settings.choice(
                        "DAKIYA_LOG_LEVEL", default: "info", from: Logger.Level.allCases.map(\.name)))
                ?? .info
            if let numbers = settings.optionalString("DAKIYA_SIM_FAIL_ASYNC") {
                webhooks.failAsynchronously = Set(numbers.split(separator: ",").map { Simulator.digits(String($0)) })
            }
        } catch {
            exitForBadSetting("whatsapp-cloud-simulator", error)
        }
        let logger = Logger(service: "whatsapp-cloud-simulator", minimumLevel: logLevel)
        let simulator = Simulator(configuration: configuration, webhooks: webhooks)
        let server = Server(
            configuration: ServerConfiguration(host: host, port: UInt16(port), threads: 8),
            router: SimulatorAPI(simulator: simulator).makeRouter(),
            logger: logger, metrics: MetricsRegistry())
        defer { simulator.webhooks.stop() }
        do {
            try simulator.webhooks.start()
            try ServiceGroup(services: [server], logger: logger).run()
        } catch {
            logger.error("simulator failed to start", ["error": String(describing: error)])
            exit(1)
        }
    }
}
