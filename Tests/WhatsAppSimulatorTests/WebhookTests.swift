import Cryptography
import Foundation
import HTTPClient
import HTTPServer
import ServiceRuntime
import Synchronization
import Testing
import TestSupport
@testable import WhatsAppCloudSimulator

/// Our side of the webhook: checks X-Hub-Signature-256 over the raw body and records what arrives.
final class WebhookReceiver: Sendable {
    struct Delivery: Sendable { var body: [UInt8]; var signatureValid: Bool; var answered: Int }
    let server: Server
    private let log: Log

    final class Log: Sendable {
        let secret: String
        let deliveries = Mutex<[Delivery]>([])
        let failuresLeft: Mutex<Int>
        let slowFirst: Mutex<Duration?>
        init(secret: String, failFirst: Int, slowFirst: Duration?) {
            self.secret = secret; failuresLeft = Mutex(failFirst); self.slowFirst = Mutex(slowFirst)
        }
    }

    /// `slowFirst`: the first POST is answered only after that long (what is due meanwhile piles up).
    init(secret: String = "dev-app-secret", failFirst: Int = 0, slowFirst: Duration? = nil) throws {
        let log = Log(secret: secret, failFirst: failFirst, slowFirst: slowFirst)
        self.log = log
        var router = Router()
        router.post("/webhook") { request in
            if let pause = log.slowFirst.withLock({ value -> Duration? in
                defer { value = nil }; return value
            }) {
                Thread.sleep(forTimeInterval: pause.seconds)
            }
            let header = request.header("x-hub-signature-256") ?? ""
            let valid =
                header.hasPrefix("sha256=")
                && Hex.decode(String(header.dropFirst(7))).map {
                    HMAC.isValid($0, key: Array(log.secret.utf8), message: request.body)
                } == true
            let status = log.failuresLeft.withLock { left -> Int in
                if !valid { return 401 }
                if left > 0 { left -= 1; return 500 }
                return 200
            }
            log.deliveries.withLock { $0.append(Delivery(body: request.body, signatureValid: valid, answered: status)) }
            return Response(status: status)
        }
        server = Server(
            configuration: ServerConfiguration(port: 0, threads: 2), router: router,
            logger: Logger(service: "receiver", sink: .capturing()),
            metrics: MetricsRegistry())
        try server.start()
    }

    deinit { server.stop() }

    var url: String { "http://127.0.0.1:\(server.port)/webhook" }
    var deliveries: [Delivery] { log.deliveries.withLock { $0 } }

    /// How many statuses each accepted POST carried.
    var statusesPerPost: [Int] {
        deliveries.filter { $0.answered == 200 }.map { delivery in
            let value =
                ((((try? JSONSerialization.jsonObject(with: Data(delivery.body))) as? [String: Any])?["entry"]
                as? [[String: Any]])?.first?["changes"] as? [[String: Any]])?.first?["value"] as? [String: Any]
            return (value?["statuses"] as? [[String: Any]])?.count ?? 0
        }
    }

    /// The statuses accepted (200), in arrival order, as (wamid, status, callback data).
    var statuses: [(String, String, String?)] {
        deliveries.filter { $0.answered == 200 }.flatMap { delivery -> [(String, String, String?)] in
            guard let object = try? JSONSerialization.jsonObject(with: Data(delivery.body)) as? [String: Any],
                let entry = (object["entry"] as? [[String: Any]])?.first,
                let change = (entry["changes"] as? [[String: Any]])?.first,
                let value = change["value"] as? [String: Any], let statuses = value["statuses"] as? [[String: Any]]
            else { return [] }
            return statuses.map {
                ($0["id"] as? String ?? "", $0["status"] as? String ?? "", $0["biz_opaque_callback_data"] as? String)
            }
        }
    }
}

@Suite("WhatsApp simulator webhooks", .serialized)
struct WebhookTests {
    func simulator(_ webhooks: WebhookConfiguration) throws -> (Server, Simulator) {
        let simulator = Simulator(configuration: SimulatorConfiguration(), webhooks: webhooks)
        let server = Server(
            configuration: ServerConfiguration(port: 0, threads: 2),
            router: SimulatorAPI(simulator: simulator).makeRouter(),
            logger: Logger(service: "sim", sink: .capturing()), metrics: MetricsRegistry())
        try server.start()
        try simulator.webhooks.start()
        return (server, simulator)
    }

    func send(_ server: Server, to: String = "+919800000001", callbackData: String = "attempt-42") throws -> String {
        let body =
            #"{"messaging_product": "whatsapp", "to": "\#(to)", "type": "template", "biz_opaque_callback_data": "\#(callbackData)", "template": {"name": "dakiya_outcome_approved", "language": {"code": "en"}, "components": [{"type": "body", "parameters": [{"type": "text", "text": "A1"}, {"type": "text", "text": "Income"}]}]}}"#
        let response = try HTTPClient().send(
            .json(
                "POST", "http://127.0.0.1:\(server.port)/v23.0/100000000000001/messages", body: body,
                headers: [("Authorization", "Bearer dev-token")]))
        struct Accepted: Decodable { struct Message: Decodable { var id: String }; var messages: [Message] }
        return try #require(try JSONDecoder().decode(Accepted.self, from: Data(response.body)).messages.first?.id)
    }

    func wait(_ condition: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() && ContinuousClock.now < deadline { usleep(20_000) }
        return condition()
    }

    @Test("statuses arrive signed, with the callback data; a webhook answered 500 is retried")
    func statusSequence() throws {
        let receiver = try WebhookReceiver(failFirst: 1)
        var configuration = WebhookConfiguration()
        configuration.url = receiver.url
        configuration.readDelay = 0.15
        configuration.retryBase = 0.05
        let (server, sim) = try simulator(configuration)
        defer { sim.webhooks.stop(); server.stop() }
        let wamid = try send(server)
        #expect(wait { receiver.statuses.count == 3 })
        // The refused "sent" comes back after a backoff, possibly after "delivered": retries reorder, as with Meta.
        #expect(receiver.statuses.map(\.1).sorted() == ["delivered", "read", "sent"])
        #expect(receiver.statuses.allSatisfy { $0.0 == wamid && $0.2 == "attempt-42" })
        #expect(receiver.deliveries.allSatisfy { $0.signatureValid })
        #expect(receiver.deliveries.first?.answered == 500, "the first delivery was refused and retried")
        #expect(receiver.deliveries.count == 4)
    }

    @Test("without failures the statuses arrive in order sent → delivered → read")
    func inOrder() throws {
        let receiver = try WebhookReceiver()
        var configuration = WebhookConfiguration()
        configuration.url = receiver.url
        configuration.readDelay = 0.15
        let (server, sim) = try simulator(configuration)
        defer { sim.webhooks.stop(); server.stop() }
        _ = try send(server)
        #expect(wait { receiver.statuses.count == 3 })
        #expect(receiver.statuses.map(\.1) == ["sent", "delivered", "read"])
    }

    @Test("faults on demand: delivered skipped, duplicates, reversed order, and an asynchronous 131026 failure")
    func faults() throws {
        let receiver = try WebhookReceiver()
        var configuration = WebhookConfiguration()
        configuration.url = receiver.url
        configuration.skipDelivered = true
        configuration.readDelay = 0.1
        configuration.duplicate = true
        configuration.failAsynchronously = ["919800000007"]
        let (server, sim) = try simulator(configuration)
        defer { sim.webhooks.stop(); server.stop() }
        let first = try send(server)
        let failing = try send(server, to: "+919800000007")
        #expect(wait { receiver.statuses.count == 6 })
        #expect(
            receiver.statuses.filter { $0.0 == first }.map(\.1) == ["sent", "read", "read"],
            "no delivered, the last one twice")
        #expect(receiver.statuses.filter { $0.0 == failing }.map(\.1) == ["sent", "failed", "failed"])
        let failedBody = try #require(
            receiver.deliveries.last { String(decoding: $0.body, as: UTF8.self).contains("\"failed\"") })
        #expect(String(decoding: failedBody.body, as: UTF8.self).contains("\"code\":131026"))
        // Every status webhook, the failed one included, is a WebhookPayload of Meta's OpenAPI document.
        let bodies = receiver.deliveries.map { String(decoding: $0.body, as: UTF8.self) }
        let checked = try GraphOpenAPI.check(bodies, schema: "WebhookPayload")
        #expect(checked.count == bodies.count && checked.allSatisfy { $0 == "ok" }, "\(checked)")

        let reordering = try WebhookReceiver()
        var reversed = WebhookConfiguration()
        reversed.url = reordering.url
        reversed.reorder = true
        let (server2, sim2) = try simulator(reversed)
        defer { sim2.webhooks.stop(); server2.stop() }
        _ = try send(server2)
        #expect(wait { reordering.statuses.count == 2 })
        #expect(reordering.statuses.map(\.1) == ["delivered", "sent"])
    }

    @Test("statuses due together go in one webhook, up to the batch limit, in Meta's WebhookPayload shape")
    func batching() throws {
        let receiver = try WebhookReceiver(slowFirst: .milliseconds(400))
        var configuration = WebhookConfiguration()
        configuration.url = receiver.url
        configuration.sentDelay = 0.1
        configuration.deliveredDelay = 0.2
        configuration.batchLimit = 5
        let (server, sim) = try simulator(configuration)
        defer { sim.webhooks.stop(); server.stop() }
        let wamids = try (0..<12).map { try send(server, to: "+9198000001\(10 + $0)", callbackData: "attempt:\($0)") }
        #expect(wait { receiver.statuses.count == 24 })
        usleep(200_000)
        #expect(receiver.statuses.count == 24, "each status once")
        for wamid in wamids { #expect(receiver.statuses.filter { $0.0 == wamid }.map(\.1) == ["sent", "delivered"]) }
        let sizes = receiver.statusesPerPost
        #expect(sizes.allSatisfy { $0 >= 1 && $0 <= 5 }, "\(sizes)")
        #expect(sizes.contains(5) && sizes.count < 24, "statuses that were due together were batched: \(sizes)")
        let bodies = receiver.deliveries.map { String(decoding: $0.body, as: UTF8.self) }
        let checked = try GraphOpenAPI.check(bodies, schema: "WebhookPayload")
        #expect(checked.count == bodies.count && checked.allSatisfy { $0 == "ok" }, "\(checked)")
    }

    @Test("an inbound citizen message is delivered as a signed messages webhook and opens the window")
    func inbound() throws {
        let receiver = try WebhookReceiver()
        var configuration = WebhookConfiguration()
        configuration.url = receiver.url
        let (server, sim) = try simulator(configuration)
        defer { sim.webhooks.stop(); server.stop() }
        let response = try HTTPClient().send(
            .json(
                "POST", "http://127.0.0.1:\(server.port)/_sim/inbound",
                body: #"{"from": "+919800000001", "text": "नमस्कार", "name": "Asha"}"#))
        #expect(response.status == 202)
        #expect(wait { receiver.deliveries.count == 1 })
        let body = String(decoding: try #require(receiver.deliveries.first).body, as: UTF8.self)
        #expect(body.contains("\"from\":\"919800000001\""))
        #expect(body.contains("\"type\":\"text\",\"text\":{\"body\":\"नमस्कार\"}"))
        #expect(body.contains("\"profile\":{\"name\":\"Asha\"}"))
        #expect(receiver.deliveries.first?.signatureValid == true)
        let text =
            #"{"messaging_product": "whatsapp", "to": "+919800000001", "type": "text", "text": {"body": "menu"}}"#
        #expect(
            try HTTPClient().send(
                .json(
                    "POST", "http://127.0.0.1:\(server.port)/v23.0/100000000000001/messages", body: text,
                    headers: [("Authorization", "Bearer dev-token")])
            ).status == 200, "the window is open now")
    }
}
