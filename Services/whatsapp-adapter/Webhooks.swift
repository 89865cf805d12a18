import Broadcasts
import Cryptography
import Delivery
import Foundation
import HTTPServer
import JobContracts
import JobQueue
import Postgres
import ServiceRuntime
import WhatsAppGraph

/// Meta's webhooks: the verification handshake, signed event batches stored before the 200, and their
/// processing (statuses onto channel attempts, inbound messages kept) through the job table.
struct WhatsAppWebhooks: Sendable {
    let pool: ConnectionPool
    let queue: JobQueue
    let settings: WhatsAppSettings
    let logger: Logger
    /// From a batch's arrival (stored, 200 answered) to its statuses applied: the webhook lag.
    let lag: Histogram
    /// Delivered, read and failed statuses, counted once each when their batch commits.
    let outcomes: ChannelOutcomes

    init(
        pool: ConnectionPool, queue: JobQueue, settings: WhatsAppSettings, logger: Logger,
        metrics: MetricsRegistry = MetricsRegistry()
    ) {
        self.pool = pool
        self.queue = queue
        self.settings = settings
        self.logger = logger
        outcomes = ChannelOutcomes(channel: "whatsapp", metrics: metrics)
        lag = metrics.histogram(
            "dakiya_whatsapp_webhook_lag_seconds",
            help: "From a webhook batch's arrival (stored before the 200) to its statuses and messages applied.",
            buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300])
    }

    func routes() -> Router {
        var router = Router()
        router.get("/webhooks/whatsapp") { request in
            guard request.query["hub.mode"] == "subscribe", let challenge = request.query["hub.challenge"],
                let token = request.query["hub.verify_token"],
                settings.verifyTokens.contains(where: { constantTimeEquals(Array(token.utf8), Array($0.utf8)) })
            else {
                throw HTTPError(status: 403, detail: "the verify token does not match")
            }
            return Response.text(challenge)
        }
        router.post("/webhooks/whatsapp") { request in
            guard let header = request.header("x-hub-signature-256"), header.hasPrefix("sha256="),
                let signature = Hex.decode(String(header.dropFirst(7))),
                settings.appSecrets.contains(where: {
                    HMAC.isValid(signature, key: Array($0.utf8), message: request.body)
                })
            else {
                throw HTTPError(
                    status: 401, detail: "missing or invalid X-Hub-Signature-256",
                    type: "urn:dakiya:problem:unauthorized")
            }
            // Stored durably, with the job that processes it, in one statement before we answer: nothing Meta sent is lost.
            try pool.withConnection { connection in
                _ = try connection.query(Self.storeStatement, [String(decoding: request.body, as: UTF8.self)])
            }
            return Response(status: 200)
        }
        return router
    }

    /// A webhook batch and its `webhook.process` job.
    static let storeStatement = """
        WITH batch AS (
            INSERT INTO whatsapp_webhook_batches (body) VALUES ($1)
            RETURNING jsonb_build_object('batch_id', id) AS payload, NULL::text AS unique_key),
        \(Jobs.webhookProcess.enqueueClauses("job", priority: 1, from: "batch"))
        SELECT (SELECT count(*) FROM job_notified)
        """

    func process(_ job: ClaimedJob) throws {
        let batchID = try Jobs.webhookProcess.payload(of: job).batchID
        let processed: (waited: Double, fresh: [ChannelAttempts.ProviderStatus])? = try pool.withConnection {
            connection in
            try connection.transaction { tx in
                // Marked processed as it is read: the mark commits with the processing, or neither does.
                guard
                    let row = try tx.query(
                        """
                        UPDATE whatsapp_webhook_batches SET processed_at = now() WHERE id = $1 AND processed_at IS NULL
                        RETURNING body, extract(epoch FROM clock_timestamp() - received_at)::float8
                        """,
                        [batchID]
                    ).first
                else { return nil }
                let body = try row.decode(String.self, at: 0)
                // A body that is not a notification at all is kept (marked processed) and acted on no further.
                let notification = GraphWebhook.parse(Array(body.utf8))
                var statuses: [StatusUpdate] = []
                for change in notification?.entry.flatMap(\.changes) ?? [] {
                    guard let value = change.value else { continue }
                    if change.field == "message_template_status_update"
                        || change.field == "message_template_quality_update"
                    {
                        try keep(template: value, on: tx)
                        continue
                    }
                    guard change.field == "messages" else { continue }
                    statuses += value.statuses.compactMap(StatusUpdate.init)
                    for message in value.messages {
                        try keep(inbound: message, to: value.metadata?.phoneNumberID, on: tx)
                    }
                }  // other fields (account alerts, …) are not ours to act on: ignored
                return (try row.decode(Double.self, at: 1), try apply(statuses, on: tx))
            }
        }
        // Observed once the processing committed (a retried batch is observed by the run that applied it).
        guard let processed else { return }
        lag.observe(max(processed.waited, 0))
        // "sent" is counted by the send itself (accepted).
        for status in processed.fresh where status.state != .sent {
            outcomes.record(
                status.state.rawValue,
                status.state == .failed ? GraphAPIError.reported(status.errorCode).errorClass : "none")
        }
    }

    /// One status object of a webhook.
    struct StatusUpdate {
        var wamid: String
        var status: String
        var errorCode: String?
        var attemptID: Int64?
        /// A broadcast's message (callback data `b:…`), rather than a channel attempt.
        var broadcast: Broadcasts.Status?

        init?(_ status: GraphWebhook.Status) {
            guard ["sent", "delivered", "read", "failed"].contains(status.status) else { return nil }
            wamid = status.id
            self.status = status.status
            errorCode = status.errors?.first.map { String($0.code) }
            broadcast = Broadcasts.Status(
                callbackData: status.bizOpaqueCallbackData, wamid: status.id, status: status.status,
                errorCode: errorCode)
            if let data = status.bizOpaqueCallbackData, data.hasPrefix("attempt:") {
                attemptID = Int64(data.dropFirst(8))
            }
        }
    }

    /// A batch of statuses: matched to their attempts by our callback data (or the wamid) and applied through
    /// `ChannelAttempts.applyProviderStatuses`, whose forward-only moves make a repeated status change nothing (no
    /// second event, callback or count). Returns the statuses that moved an attempt.
    func apply(_ statuses: [StatusUpdate], on tx: Connection) throws -> [ChannelAttempts.ProviderStatus] {
        guard !statuses.isEmpty else { return [] }
        // A broadcast's messages move in one statement of their own (forward only, so a repeat changes nothing).
        try Broadcasts.apply(statuses.compactMap(\.broadcast), on: tx)
        var updates: [StatusUpdate] = []
        var seen = Set<String>()
        for update in statuses where update.broadcast == nil && seen.insert(update.wamid + " " + update.status).inserted
        {
            updates.append(update)
        }
        guard !updates.isEmpty else { return [] }
        let unmatched = updates.filter { $0.attemptID == nil }.map(\.wamid)
        if !unmatched.isEmpty {
            var byWamid: [String: Int64] = [:]
            for row in try tx.query(
                "SELECT provider_message_id, id FROM channel_attempts WHERE provider_message_id = ANY($1)", [unmatched]
            ).rows {
                byWamid[try row.decode(String.self, at: 0)] = try row.decode(Int64.self, at: 1)
            }
            for index in updates.indices where updates[index].attemptID == nil {
                updates[index].attemptID = byWamid[updates[index].wamid]
            }
        }
        // The attempts move through their owner, forward only (the highest status of the batch, then a new failure):
        // a status Meta repeats, or one that arrives after a later one, moves nothing and is not counted again.
        let reported = updates.compactMap { update -> ChannelAttempts.ProviderStatus? in
            guard let attemptID = update.attemptID, let state = AttemptState(rawValue: update.status) else {
                return nil
            }
            let kind = update.errorCode.map {
                GraphAPIError.reported($0).handling == .permanent ? "permanent" : "temporary"
            }
            return ChannelAttempts.ProviderStatus(
                attemptID: attemptID, state: state, providerID: update.wamid,
                failureKind: state == .failed ? kind : nil, errorCode: update.errorCode)
        }
        return try ChannelAttempts.applyProviderStatuses(reported, channel: .whatsapp, queue: queue, on: tx)
    }

    /// A template's new status or quality from Meta's review, kept for the senders (`whatsapp_template_states`); a
    /// pause, a disabling or a red quality is logged as an error: messages with that template now wait or fail.
    func keep(template value: GraphWebhook.Value, on tx: Connection) throws {
        guard let name = value.templateName, let language = value.templateLanguage else { return }
        // Meta writes languages as en_US or mr; our templates are registered by language code.
        let code = String(language.lowercased().split(separator: "_").first ?? "")
        try tx.query(
            """
            INSERT INTO whatsapp_template_states (name, language, status, quality, reason) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (name, language) DO UPDATE SET status = coalesce(excluded.status, whatsapp_template_states.status),
                quality = coalesce(excluded.quality, whatsapp_template_states.quality),
                reason = coalesce(excluded.reason, whatsapp_template_states.reason), updated_at = now()
            """, [name, code, value.event, value.newQualityScore, value.reason])
        if ["PAUSED", "DISABLED"].contains(value.event ?? "") || value.newQualityScore == "RED" {
            logger.error(
                "Meta stopped or downgraded a WhatsApp template: messages using it wait (paused) or fail (disabled)",
                [
                    "whatsapp.template": name, "whatsapp.template_language": code,
                    "whatsapp.template_status": value.event ?? "",
                    "whatsapp.template_quality": value.newQualityScore ?? "",
                ])
        }
    }

    /// One inbound message, kept once by wamid; STOP and START act at once, anything else goes to the conversation.
    func keep(inbound message: GraphWebhook.InboundMessage, to phoneNumberID: String? = nil, on tx: Connection) throws {
        let isNew =
            try tx.query(
                """
                INSERT INTO whatsapp_inbound_messages (wamid, from_number, type, message) VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT (wamid) DO NOTHING RETURNING 1
                """,
                [message.id, message.from, message.type ?? "unknown", PostgresJSON(text: message.raw.json())]
            ).count == 1
        guard isNew else { return }
        if let text = message.text?.body,
            try OptOut.handle(
                text: text, from: message.from, wamid: message.id, to: phoneNumberID, queue: queue, on: tx)
        {
            return
        }
        try Conversation(queue: queue, phoneNumberID: phoneNumberID).handle(
            message, from: message.from, wamid: message.id, on: tx)
    }
}
