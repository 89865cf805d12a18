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
    /// Most statuses in one POST. Like Meta, statuses due together go in one webhook (Meta: up to 1,000,
    /// batching not guaranteed); at a low rate each status goes alone, so batching adds no delay.
    var batchLimit = 100
}

/// Delivers webhook payloads in due-time order on a thread it owns, retrying with backoff.
final class WebhookSender: @unchecked Sendable {  // mutable state is guarded by `lock`
    struct Pending {
        enum Content {
            /// One status object, batched with the other statuses of its sender number that are due.
            case status(phoneNumberID: String, object: String)
            /// A whole payload (an inbound message, or a batch being retried).
            case body([UInt8])

            var status: (number: String, object: String)? {
                if case .status(let number, let object) = self { return (number, object) }
                return nil
            }
        }
        var due: MonotonicTime
        var content: Content
        var attempt: Int
    }

    let configuration: WebhookConfiguration
    private let lock = ConditionLock()
    private var pending: [Pending] = []
    private var stopping = false
    private var thread: OwnedThread?

    init(configuration: WebhookConfiguration) { self.configuration = configuration }

    func start() throws {
        guard configuration.url != nil else { return }
        thread = try OwnedThread(name: "webhooks") { [self] in loop() }
    }

    func stop() {
        lock.withLock {
            stopping = true; lock.broadcast()
        }
        thread?.join()
    }

    /// The signature header value Meta sends: `sha256=` and the hex HMAC of the raw body with the app secret.
    static func signature(_ body: [UInt8], secret: String) -> String {
        "sha256=" + Hex.encode(HMAC.sha256(key: Array(secret.utf8), message: body))
    }

    /// Schedules the status sequence for an accepted message.
    func scheduleStatuses(
        wamid: String, phoneNumberID: String, recipient: String, callbackData: String?, failWith code: Int? = nil
    ) {
        guard configuration.url != nil else { return }
        var statuses: [(String, Double)] = [("sent", configuration.sentDelay)]
        if let code {
            // A held message dropped by Meta: failed, with the code that says why (no sent before it).
            enqueue([
                (
                    configuration.sentDelay,
                    .status(
                        phoneNumberID: phoneNumberID,
                        object: statusObject(
                            wamid: wamid, status: "failed", recipient: recipient, callbackData: callbackData,
                            errorCode: code))
                )
            ])
            return
        }
        if configuration.failAsynchronously.contains(recipient) {
            statuses.append(("failed", configuration.deliveredDelay))
        } else {
            if !configuration.skipDelivered { statuses.append(("delivered", configuration.deliveredDelay)) }
            if configuration.readDelay > 0 { statuses.append(("read", configuration.readDelay)) }
        }
        if configuration.reorder {
            statuses = statuses.reversed().enumerated().map { ($0.element.0, statuses[$0.offset].1) }
        }
        var items: [(Double, Pending.Content)] = statuses.map { status, delay in
            (
                delay,
                .status(
                    phoneNumberID: phoneNumberID,
                    object: statusObject(wamid: wamid, status: status, recipient: recipient, callbackData: callbackData)
                )
            )
        }
        if configuration.duplicate, let last = items.last { items.append((last.0 + 0.01, last.1)) }
        enqueue(items)
    }

    /// Schedules an inbound message from a citizen; `content` is the message's type and its object, as JSON members.
    func scheduleInbound(from: String, name: String, content: String, phoneNumberID: String) -> String {
        let wamid = "wamid.IN" + Base64URL.encode((try? SecureRandom.bytes(12)) ?? [])
        let value =
            "{\"messaging_product\":\"whatsapp\",\"metadata\":{\"display_phone_number\":\"912000000000\",\"phone_number_id\":\(JSONText.quoted(phoneNumberID))},"
            + "\"contacts\":[{\"profile\":{\"name\":\(JSONText.quoted(name))},\"wa_id\":\(JSONText.quoted(from))}],"
            + "\"messages\":[{\"from\":\(JSONText.quoted(from)),\"id\":\(JSONText.quoted(wamid)),\"timestamp\":\"\(Self.unixNow())\",\(content)}]}"
        enqueue([(0, .body(envelope(value)))])
        return wamid
    }

    /// Schedules a change of another field than `messages` (a template's status or quality), `value` its JSON.
    func scheduleTemplateUpdate(field: String, value: String) {
        guard configuration.url != nil else { return }
        enqueue([(0, .body(envelope(value, field: field)))])
    }

    private func statusObject(
        wamid: String, status: String, recipient: String, callbackData: String?, errorCode: Int = 131026
    ) -> String {
        var object =
            "{\"id\":\(JSONText.quoted(wamid)),\"status\":\"\(status)\",\"timestamp\":\"\(Self.unixNow())\",\"recipient_id\":\(JSONText.quoted(recipient))"
        if let callbackData { object += ",\"biz_opaque_callback_data\":\(JSONText.quoted(callbackData))" }
        if status == "sent" {
            object +=
                ",\"pricing\":{\"billable\":true,\"pricing_model\":\"PMP\",\"category\":\"utility\",\"type\":\"regular\"}"
        }
        if status == "failed" && errorCode == 132015 {
            object +=
                ",\"errors\":[{\"code\":132015,\"title\":\"Template is paused\",\"message\":\"Template is paused\",\"error_data\":{\"details\":\"The message was held for quality assessment and the template was paused\"}}]"
        } else if status == "failed" {
            object +=
                ",\"errors\":[{\"code\":131026,\"title\":\"Message undeliverable\",\"message\":\"Message undeliverable\",\"error_data\":{\"details\":\"The recipient is not a WhatsApp user\"}}]"
        }
        return object + "}"
    }

    /// One webhook carrying several statuses of one sender number.
    private func statusesPayload(_ objects: [String], phoneNumberID: String) -> [UInt8] {
        envelope(
            "{\"messaging_product\":\"whatsapp\",\"metadata\":{\"display_phone_number\":\"912000000000\",\"phone_number_id\":\(JSONText.quoted(phoneNumberID))},"
                + "\"statuses\":[" + objects.joined(separator: ",") + "]}")
    }

    private func envelope(_ value: String, field: String = "messages") -> [UInt8] {
        Array(
            ("{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\(JSONText.quoted(configuration.businessAccountID)),"
                + "\"time\":\(Self.unixNow()),\"changes\":[{\"value\":\(value),\"field\":\"\(field)\"}]}]}").utf8)
    }

    private func enqueue(_ items: [(Double, Pending.Content)]) {
        let now = MonotonicTime.now()
        lock.withLock {
            for (delay, content) in items {
                pending.append(
                    Pending(due: now.advanced(by: .milliseconds(Int64(delay * 1000))), content: content, attempt: 0))
            }
            lock.broadcast()
        }
    }

    /// The next payload to POST: a whole body that is due, or every due status of one sender number (up to the
    /// batch limit), in due order. Waits until something is due; nil when stopping. Call with `lock` held.
    private func nextDue() -> (body: [UInt8], attempt: Int)? {
        while !stopping {
            guard let first = pending.indices.min(by: { pending[$0].due < pending[$1].due }) else {
                _ = lock.wait(until: { stopping || !pending.isEmpty }, timeout: nil)
                continue
            }
            let wait = pending[first].due.duration(since: MonotonicTime.now())
            guard wait == .zero else {
                _ = lock.wait(until: { stopping }, timeout: wait)
                continue
            }
            guard let number = pending[first].content.status?.number else {
                let item = pending.remove(at: first)
                guard case .body(let body) = item.content else { continue }
                return (body, item.attempt)
            }
            let now = MonotonicTime.now()
            let due = pending.indices.filter { pending[$0].due <= now && pending[$0].content.status?.number == number }
                .sorted { (pending[$0].due, $0) < (pending[$1].due, $1) }.prefix(configuration.batchLimit)
            let objects = due.compactMap { pending[$0].content.status?.object }
            for index in due.sorted(by: >) { pending.remove(at: index) }
            return (statusesPayload(objects, phoneNumberID: number), 0)
        }
        return nil
    }

    private func loop() {
        guard let url = configuration.url,
            let client = try? HTTPClient(configuration: HTTPClientConfiguration(timeout: .seconds(10)))
        else { return }
        while true {
            guard let (body, attempt) = lock.withLock({ nextDue() }) else { return }
            let status =
                (try? client.send(
                    HTTPClientRequest(
                        method: "POST", url: url,
                        headers: [("X-Hub-Signature-256", Self.signature(body, secret: configuration.appSecret))],
                        body: .bytes(body, contentType: "application/json"))))?.status ?? 0
            if status != 200 {
                guard attempt + 1 < configuration.maximumAttempts else { continue }  // Meta gives up too (after 7 days)
                let due = MonotonicTime.now().advanced(
                    by: .milliseconds(Int64(configuration.retryBase * 1000 * pow(2, Double(attempt)))))
                lock.withLock { pending.append(Pending(due: due, content: .body(body), attempt: attempt + 1)) }
            }
        }
    }

    static func unixNow() -> Int64 { Timestamp.nowMicroseconds() / 1_000_000 }
}
