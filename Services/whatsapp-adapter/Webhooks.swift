import Cryptography
import Delivery
import Foundation
import HTTPServer
import JobQueue
import Postgres
import ServiceRuntime

/// Meta's webhooks: the verification handshake, signed event batches stored before the 200, and their
/// processing (statuses onto channel attempts, inbound messages kept) through the job table.
struct WhatsAppWebhooks: Sendable {
    static let processKind = "webhook.process"
    let pool: ConnectionPool
    let queue: JobQueue
    let settings: WhatsAppSettings
    let logger: Logger

    func routes() -> Router {
        var router = Router()
        router.get("/webhooks/whatsapp") { request in
            guard request.query["hub.mode"] == "subscribe", let challenge = request.query["hub.challenge"],
                  let token = request.query["hub.verify_token"],
                  constantTimeEquals(Array(token.utf8), Array(settings.verifyToken.utf8)) else {
                throw HTTPError(status: 403, detail: "the verify token does not match")
            }
            return Response.text(challenge)
        }
        router.post("/webhooks/whatsapp") { request in
            guard let header = request.header("x-hub-signature-256"), header.hasPrefix("sha256="),
                  let signature = Hex.decode(String(header.dropFirst(7))),
                  HMAC.isValid(signature, key: Array(settings.appSecret.utf8), message: request.body) else {
                throw HTTPError(status: 401, detail: "missing or invalid X-Hub-Signature-256", type: "urn:dakiya:problem:unauthorized")
            }
            // Stored durably (with the job that processes it) before we answer, so nothing Meta sent is lost.
            try pool.transaction { tx in
                let id = try tx.query("INSERT INTO whatsapp_webhook_batches (body) VALUES ($1) RETURNING id",
                                      [String(decoding: request.body, as: UTF8.self)]).first?.decode(Int64.self, at: 0) ?? 0
                try queue.enqueue(NewJob(queue: "whatsapp", kind: Self.processKind, payload: PostgresJSON(text: "{\"batch_id\":\(id)}"), priority: 1), on: tx)
            }
            return Response(status: 200)
        }
        return router
    }

    func process(_ job: ClaimedJob) throws {
        struct Payload: Decodable { var batch_id: Int64 }
        let batchID = try job.decodePayload(Payload.self).batch_id
        try pool.withConnection { connection in
            try connection.transaction { tx in
                guard let body = try tx.query("SELECT body FROM whatsapp_webhook_batches WHERE id = $1 AND processed_at IS NULL FOR UPDATE", [batchID])
                    .first?.decode(String.self, at: 0) else { return }
                let object = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
                for entry in object["entry"] as? [[String: Any]] ?? [] {
                    for change in entry["changes"] as? [[String: Any]] ?? [] where change["field"] as? String == "messages" {
                        guard let value = change["value"] as? [String: Any] else { continue }
                        for status in value["statuses"] as? [[String: Any]] ?? [] { try apply(status: status, on: tx) }
                        let number = (value["metadata"] as? [String: Any])?["phone_number_id"] as? String
                        for message in value["messages"] as? [[String: Any]] ?? [] { try keep(inbound: message, to: number, on: tx) }
                    }   // other fields (template updates, account alerts, …) are not ours to act on: ignored
                }
                try tx.query("UPDATE whatsapp_webhook_batches SET processed_at = now() WHERE id = $1", [batchID])
            }
        }
    }

    /// One status: deduplicated by (wamid, status), matched by our callback data (or the wamid), merged forward only.
    func apply(status: [String: Any], on tx: Connection) throws {
        guard let wamid = status["id"] as? String, let name = status["status"] as? String, ["sent", "delivered", "read", "failed"].contains(name) else { return }
        let errorCode = ((status["errors"] as? [[String: Any]])?.first?["code"] as? Int).map(String.init)
        var attemptID: Int64?
        if let data = status["biz_opaque_callback_data"] as? String, data.hasPrefix("attempt:") { attemptID = Int64(data.dropFirst(8)) }
        if attemptID == nil {
            attemptID = try tx.query("SELECT id FROM channel_attempts WHERE provider_message_id = $1", [wamid]).first?.decode(Int64.self, at: 0)
        }
        let isNew = try tx.query("""
            INSERT INTO whatsapp_status_events (wamid, status, attempt_id, error_code) VALUES ($1, $2, $3, $4)
            ON CONFLICT DO NOTHING RETURNING 1
            """, [wamid, name, attemptID, errorCode]).count == 1
        guard isNew, let attemptID else { return }
        let failureKind = errorCode.map { GraphAPIError(code: Int($0) ?? -1, message: "", httpStatus: 0).handling == .permanent ? "permanent" : "temporary" }
        let moved = try tx.query("""
            UPDATE channel_attempts SET
                state = $2, provider_message_id = coalesce(provider_message_id, $3), updated_at = now(),
                sent_at = CASE WHEN $2 = 'sent' THEN coalesce(sent_at, now()) ELSE coalesce(sent_at, CASE WHEN $2 IN ('delivered', 'read') THEN now() END) END,
                delivered_at = CASE WHEN $2 IN ('delivered', 'read') THEN coalesce(delivered_at, now()) ELSE delivered_at END,
                read_at = CASE WHEN $2 = 'read' THEN now() ELSE read_at END,
                failed_at = CASE WHEN $2 = 'failed' THEN now() ELSE failed_at END,
                failure_kind = CASE WHEN $2 = 'failed' THEN $4 ELSE failure_kind END,
                error_code = CASE WHEN $2 = 'failed' THEN $5 ELSE error_code END
            WHERE id = $1 AND channel = 'whatsapp' AND CASE
                WHEN $2 = 'failed' THEN state IN ('queued', 'sending', 'sent')
                ELSE state NOT IN ('failed', 'skipped') AND channel_state_rank(state) < channel_state_rank($2) END
            RETURNING delivery_id
            """, [attemptID, name, wamid, failureKind, errorCode]).first
        if let deliveryID = try moved?.decode(UUID.self, at: 0) {
            try DeliveryJobs.announceSettled(attemptID: attemptID, deliveryID: deliveryID, queue: queue, on: tx)
        }
    }

    /// One inbound message, kept once by wamid; STOP and START act at once, anything else goes to the conversation.
    func keep(inbound message: [String: Any], to phoneNumberID: String? = nil, on tx: Connection) throws {
        guard let wamid = message["id"] as? String else { return }
        let json = (try? JSONSerialization.data(withJSONObject: message)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        let isNew = try tx.query("""
            INSERT INTO whatsapp_inbound_messages (wamid, from_number, type, message) VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT (wamid) DO NOTHING RETURNING 1
            """, [wamid, message["from"] as? String, message["type"] as? String ?? "unknown", PostgresJSON(text: json)]).count == 1
        guard isNew, let from = message["from"] as? String else { return }
        if let text = (message["text"] as? [String: Any])?["body"] as? String, try OptOut.handle(text: text, from: from, wamid: wamid, to: phoneNumberID, queue: queue, on: tx) {
            return
        }
        try Conversation(queue: queue, phoneNumberID: phoneNumberID).handle(message, from: from, wamid: wamid, on: tx)
    }
}
