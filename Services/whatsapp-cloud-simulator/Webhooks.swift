import Cryptography
import Foundation
import HTTPClient
import ServiceRuntime

/// How the simulator calls back, like Meta: signed POSTs, status sequences with delays, at-least-once delivery.
struct WebhookConfiguration: Sendable {
    var url: String?
    var appSecret = "dev-app-secret"
    var businessAccountID = "200000000000001"
    /// Delays after the send for sent, delivered and read (read only when > 0).
    var sentDelay = 0.05, deliveredDelay = 0.10, readDelay = 0.0
    var skipDelivered = false
    var duplicate = false
    var reorder = false
    /// Recipients (digits) whose messages are accepted and then fail asynchronously with 131026.
    var failAsynchronously: Set<String> = []
    /// Retries after a non-200 answer, with doubling delays from this one.
    var retryBase = 0.2
    var maximumAttempts = 8
}

/// Delivers webhook payloads in due-time order on a thread it owns, retrying with backoff.
final class WebhookSender: @unchecked Sendable {   // mutable state is guarded by `lock`
    struct Pending { var due: MonotonicTime; var body: [UInt8]; var attempt: Int }

    let configuration: WebhookConfiguration
    private let lock = ConditionLock()
    private var pending: [Pending] = []
    private var stopping = false
    private var thread: OwnedThread?

    init(configuration: WebhookConfiguration) { self.configuration = configuration }

    func start() {
        guard configuration.url != nil else { return }
        thread = OwnedThread(name: "webhooks") { [self] in loop() }
    }

    func stop() {
        lock.withLock { stopping = true; lock.broadcast() }
        thread?.join()
    }

    /// The signature header value Meta sends: `sha256=` and the hex HMAC of the raw body with the app secret.
    static func signature(_ body: [UInt8], secret: String) -> String {
        "sha256=" + Hex.encode(HMAC.sha256(key: Array(secret.utf8), message: body))
    }

    /// Schedules the status sequence for an accepted message.
    func scheduleStatuses(wamid: String, phoneNumberID: String, recipient: String, callbackData: String?) {
        guard configuration.url != nil else { return }
        var statuses: [(String, Double)] = [("sent", configuration.sentDelay)]
        if configuration.failAsynchronously.contains(recipient) {
            statuses.append(("failed", configuration.deliveredDelay))
        } else {
            if !configuration.skipDelivered { statuses.append(("delivered", configuration.deliveredDelay)) }
            if configuration.readDelay > 0 { statuses.append(("read", configuration.readDelay)) }
        }
        if configuration.reorder { statuses = statuses.reversed().enumerated().map { ($0.element.0, statuses[$0.offset].1) } }
        var bodies: [(Double, [UInt8])] = statuses.map { status, delay in
            (delay, statusPayload(wamid: wamid, status: status, phoneNumberID: phoneNumberID, recipient: recipient, callbackData: callbackData))
        }
        if configuration.duplicate, let last = bodies.last { bodies.append((last.0 + 0.01, last.1)) }
        enqueue(bodies)
    }

    /// Schedules an inbound message from a citizen; `content` is the message's type and its object, as JSON members.
    func scheduleInbound(from: String, name: String, content: String, phoneNumberID: String) -> String {
        let wamid = "wamid.IN" + Base64URL.encode((try? SecureRandom.bytes(12)) ?? [])
        let value = "{\"messaging_product\":\"whatsapp\",\"metadata\":{\"display_phone_number\":\"912000000000\",\"phone_number_id\":\(JSONText.quoted(phoneNumberID))},"
            + "\"contacts\":[{\"profile\":{\"name\":\(JSONText.quoted(name))},\"wa_id\":\(JSONText.quoted(from))}],"
            + "\"messages\":[{\"from\":\(JSONText.quoted(from)),\"id\":\(JSONText.quoted(wamid)),\"timestamp\":\"\(Self.unixNow())\",\(content)}]}"
        enqueue([(0, envelope(value))])
        return wamid
    }

    private func statusPayload(wamid: String, status: String, phoneNumberID: String, recipient: String, callbackData: String?) -> [UInt8] {
        var object = "{\"id\":\(JSONText.quoted(wamid)),\"status\":\"\(status)\",\"timestamp\":\"\(Self.unixNow())\",\"recipient_id\":\(JSONText.quoted(recipient))"
        if let callbackData { object += ",\"biz_opaque_callback_data\":\(JSONText.quoted(callbackData))" }
        if status == "sent" { object += ",\"pricing\":{\"billable\":true,\"pricing_model\":\"PMP\",\"category\":\"utility\",\"type\":\"regular\"}" }
        if status == "failed" {
            object += ",\"errors\":[{\"code\":131026,\"title\":\"Message undeliverable\",\"message\":\"Message undeliverable\",\"error_data\":{\"details\":\"The recipient is not a WhatsApp user\"}}]"
        }
        object += "}"
        let value = "{\"messaging_product\":\"whatsapp\",\"metadata\":{\"display_phone_number\":\"912000000000\",\"phone_number_id\":\(JSONText.quoted(phoneNumberID))},\"statuses\":[\(object)]}"
        return envelope(value)
    }

    private func envelope(_ value: String) -> [UInt8] {
        Array(("{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\(JSONText.quoted(configuration.businessAccountID)),"
            + "\"changes\":[{\"value\":\(value),\"field\":\"messages\"}]}]}").utf8)
    }

    private func enqueue(_ bodies: [(Double, [UInt8])]) {
        let now = MonotonicTime.now()
        lock.withLock {
            for (delay, body) in bodies { pending.append(Pending(due: now.advanced(by: .milliseconds(Int64(delay * 1000))), body: body, attempt: 0)) }
            lock.broadcast()
        }
    }

    private func loop() {
        guard let url = configuration.url, let client = try? HTTPClient(configuration: HTTPClientConfiguration(timeout: .seconds(10))) else { return }
        while true {
            let next: Pending? = lock.withLock {
                while !stopping {
                    if let index = pending.indices.min(by: { pending[$0].due < pending[$1].due }) {
                        let wait = pending[index].due.duration(since: MonotonicTime.now())
                        if wait == .zero { return pending.remove(at: index) }
                        _ = lock.wait(until: { stopping }, timeout: wait)
                    } else {
                        _ = lock.wait(until: { stopping || !pending.isEmpty }, timeout: nil)
                    }
                }
                return nil
            }
            guard var item = next else { return }
            let status = (try? client.send(HTTPClientRequest(method: "POST", url: url, headers: [("X-Hub-Signature-256", Self.signature(item.body, secret: configuration.appSecret))],
                                                             body: .bytes(item.body, contentType: "application/json"))))?.status ?? 0
            if status != 200 {
                item.attempt += 1
                guard item.attempt < configuration.maximumAttempts else { continue }   // Meta gives up too (after 7 days)
                item.due = MonotonicTime.now().advanced(by: .milliseconds(Int64(configuration.retryBase * 1000 * pow(2, Double(item.attempt - 1)))))
                lock.withLock { pending.append(item) }
            }
        }
    }

    static func unixNow() -> Int64 { Timestamp.nowMicroseconds() / 1_000_000 }
}
