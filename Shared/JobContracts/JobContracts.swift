import Foundation
import JobQueue
import WhatsAppGraph

/// The messages between Dakiya's processes, declared once: each queue, each job kind with the queue it goes on and
/// the one payload type it carries. Services talk to each other only through the job table, so this module is the
/// whole of what they agree on; every producer builds its job from a contract and every consumer decodes with it.
/// Where SQL builds a payload itself (`jsonb_build_object` in a statement), a test decodes the jobs it wrote with
/// the contract's payload type (Tests/PortalAdapterTests/ContractTests.swift for the accept and routing statements; the
/// webhook intake tests run every stored batch through `Jobs.webhookProcess`).

/// A queue in the job table: one service's inbox.
package struct Queue: Hashable, Sendable, CustomStringConvertible {
    package let name: String
    package var description: String { name }

    /// dispatcher: routing, fallback, aggregate status, portal events.
    package static let dispatcher = Queue(name: "dispatcher")
    /// whatsapp-adapter: sends, webhook batches, conversation replies and re-sends.
    package static let whatsapp = Queue(name: "whatsapp")
    /// email-adapter: sends.
    package static let email = Queue(name: "email")
    /// portal-adapter: status callbacks to the department.
    package static let portal = Queue(name: "portal")
    /// appeals-service: appeals filed on WhatsApp.
    package static let appeals = Queue(name: "appeals")
    /// dispatcher's broadcast lane: fan-outs, apart from the outcomes' routing.
    package static let broadcast = Queue(name: "broadcast")
    /// whatsapp-adapter's and email-adapter's broadcast lanes: a broadcast's sends, apart from the outcomes'.
    package static let broadcastWhatsApp = Queue(name: "broadcast_whatsapp")
    package static let broadcastEmail = Queue(name: "broadcast_email")

    /// The queue of a delivery channel that sends through an adapter (`whatsapp`, `email`).
    package static func channel(_ channel: String) -> Queue { Queue(name: channel) }
}

/// One kind of job: the queue it goes on, its name in the `kind` column, and its payload type.
package struct JobContract<Payload: Codable & Sendable>: Sendable {
    package let queue: Queue
    package let kind: String

    /// A contract for jobs of `kind` on `queue`.
    package init(queue: Queue, kind: String) {
        self.queue = queue
        self.kind = kind
    }

    /// A job of this kind carrying `payload`.
    /// - Throws: `EncodingError` when the payload cannot be encoded.
    package func job(_ payload: Payload, priority: Int16 = 2, maxAttempts: Int16 = 20, uniqueKey: String? = nil) throws
        -> NewJob
    {
        try NewJob(
            queue: queue.name, kind: kind, encoding: payload, priority: priority, maxAttempts: maxAttempts,
            uniqueKey: uniqueKey)
    }

    /// The payload of a claimed job of this kind (a payload that does not decode fails the job for good).
    /// - Throws: `DecodingError` when the payload does not fit `Payload`.
    package func payload(of job: ClaimedJob) throws -> Payload { try job.decodePayload(Payload.self) }

    /// The same queue and payload under another kind name (a kind's former name, still consumed).
    package func renamed(_ kind: String) -> JobContract { JobContract(queue: queue, kind: kind) }

    /// The same kind on another queue (`channel.send` goes on each channel's own queue).
    package func on(_ queue: Queue) -> JobContract { JobContract(queue: queue, kind: kind) }

    /// The CTEs that enqueue one job of this kind per row of `rows` (columns `payload`, `unique_key`; and `queue`
    /// when `queueFromRows`) inside another statement, waking the queue's idle workers.
    /// `priority` nil: each row's `priority` column.
    package func enqueueClauses(
        _ name: String, priority: Int16? = 2, queueFromRows: Bool = false, runAtFromRows: Bool = false,
        from rows: String
    ) -> String {
        JobQueue.enqueueClauses(
            name, queue: queueFromRows ? nil : queue.name, kind: kind, priority: priority,
            runAtFromRows: runAtFromRows, from: rows)
    }
}

/// An empty payload, for kinds that carry none.
package struct NoPayload: Codable, Sendable, Equatable { package init() {} }

/// Every job kind Dakiya has.
package enum Jobs {
    /// Every queue answers it: a canary that proves a service's job loop runs end to end.
    package static let ping = JobContract<NoPayload>(queue: .dispatcher, kind: "ping")

    /// Route a new delivery to its channels (the portal's accept, an appeal notice).
    package static let deliveryRequested = JobContract<DeliveryRequested>(
        queue: .dispatcher, kind: "delivery.requested")
    /// A channel attempt reached a new state (sent, delivered, read, failed): fallback, aggregate status, events.
    package static let attemptMoved = JobContract<AttemptMoved>(queue: .dispatcher, kind: "attempt.moved")
    /// Several attempts moved at once (one webhook batch of statuses).
    package static let attemptsMoved = JobContract<AttemptsMoved>(queue: .dispatcher, kind: "attempts.moved")
    /// The same two kinds under their names before 2026-11 (`attempt.settled`, `attempts.settled`): the dispatcher
    /// still runs jobs queued by an older build, so an upgrade loses none. Nothing enqueues them any more.
    package static let attemptMovedBeforeRename = attemptMoved.renamed("attempt.settled")
    package static let attemptsMovedBeforeRename = attemptsMoved.renamed("attempts.settled")

    /// Send one channel attempt; on each channel's own queue (`channelSend.on(.whatsapp)`).
    package static let channelSend = JobContract<ChannelSend>(queue: .whatsapp, kind: "channel.send")

    /// POST one stored status event to the department's callback URL.
    package static let callbackDeliver = JobContract<CallbackDeliver>(queue: .portal, kind: "callback.deliver")

    /// Apply one stored batch of WhatsApp webhook statuses and messages.
    package static let webhookProcess = JobContract<WebhookProcess>(queue: .whatsapp, kind: "webhook.process")
    /// A free-form reply inside the citizen's customer-service window (conversations, opt-out confirmations, refused filings).
    package static let conversationReply = JobContract<ConversationReply>(queue: .whatsapp, kind: "conversation.reply")
    /// Send a certificate already delivered to this number again, as a document message.
    package static let certificateResend = JobContract<CertificateResend>(
        queue: .whatsapp, kind: "conversation.resend_certificate")

    /// Send the verification slip that goes beside a digitally signed certificate, once its template went out.
    package static let verificationSlip = JobContract<ChannelSend>(queue: .whatsapp, kind: "verification_slip.send")

    /// Ask the citizen to rate the service, once, after an outcome reached them on WhatsApp.
    package static let ratingAsk = JobContract<RatingAsk>(queue: .whatsapp, kind: "rating.ask")

    /// Ask by email for the rating of a citizen WhatsApp does not reach (the same question as `rating.ask`).
    package static let ratingAskEmail = JobContract<RatingAsk>(queue: .email, kind: "rating.ask_email")

    /// Fetch a file the citizen sent in the chat to answer a shortfall (Graph media), check it and pass it on.
    package static let shortfallFetch = JobContract<ShortfallFetch>(queue: .whatsapp, kind: "shortfall.fetch")

    /// File an appeal the citizen confirmed on WhatsApp.
    package static let appealFile = JobContract<AppealFile>(queue: .appeals, kind: "appeal.file")

    /// Turn a range of a broadcast's recipients into messages, with the sends that carry them (dispatcher).
    package static let broadcastFanOut = JobContract<BroadcastRange>(queue: .broadcast, kind: "broadcast.fanout")
    /// Send a range of a broadcast's messages on one channel; on each channel's broadcast lane
    /// (`broadcast_whatsapp`, `broadcast_email`).
    package static let broadcastSend = JobContract<BroadcastRange>(
        queue: .broadcastWhatsApp, kind: "broadcast.send")
}

/// The job priorities of a broadcast (lower runs first; the job table's are 1 to 4), within the broadcast lanes
/// (queues `broadcast`, `broadcast_whatsapp`, `broadcast_email`, each worked by threads of their own, so a
/// million-row send never stands in front of a certificate): an emergency before every other broadcast, then normal
/// ones, then bulk ones.
package enum BroadcastLane {
    /// The job priority of the lane `emergency`, `normal` or `bulk`.
    package static func priority(_ lane: String) -> Int16 {
        switch lane {
        case "emergency": 1
        case "normal": 3
        default: 4
        }
    }
}

// MARK: Unique keys

/// The unique keys that keep one live job per thing, each written here for Swift and for SQL side by side (a test
/// checks the two give the same key).
package enum UniqueKeys {
    /// `delivery.requested` of a delivery.
    package static func delivery(_ id: UUID) -> String { "delivery:" + id.uuidString.lowercased() }
    /// `delivery(_:)` as a SQL expression over a uuid `column`.
    package static func deliverySQL(_ column: String) -> String { "'delivery:' || \(column)" }
    /// `channel.send` of an attempt.
    package static func attempt(_ id: Int64) -> String { "attempt:\(id)" }
    /// `verification_slip.send` of a WhatsApp attempt.
    package static func slip(_ attemptID: Int64) -> String { "slip:\(attemptID)" }
    /// `attempt(_:)` as a SQL expression over a bigint `column`.
    package static func attemptSQL(_ column: String) -> String { "'attempt:' || \(column)" }
}

// MARK: Payloads

/// `delivery.requested` (dispatcher): route a new delivery to its channels.
package struct DeliveryRequested: Codable, Sendable, Equatable {
    package var deliveryID: UUID
    /// The payload for `deliveryID`.
    package init(deliveryID: UUID) { self.deliveryID = deliveryID }
    enum CodingKeys: String, CodingKey { case deliveryID = "delivery_id" }
}

/// A payload that announces attempts which moved, for the dispatcher to reconcile.
package protocol AttemptAnnouncement: Codable, Sendable {
    /// The attempts announced.
    var attemptIDs: [Int64] { get }
}

/// `attempt.moved` (dispatcher): one attempt moved; reconcile its delivery.
package struct AttemptMoved: Codable, Sendable, Equatable, AttemptAnnouncement {
    package var attemptID: Int64
    package var deliveryID: UUID
    /// The one attempt, as `AttemptAnnouncement` lists it.
    package var attemptIDs: [Int64] { [attemptID] }
    /// The payload for `attemptID` of `deliveryID`.
    package init(attemptID: Int64, deliveryID: UUID) {
        self.attemptID = attemptID
        self.deliveryID = deliveryID
    }
    enum CodingKeys: String, CodingKey { case attemptID = "attempt_id", deliveryID = "delivery_id" }
}

/// `attempts.moved` (dispatcher): the attempts one batch moved (at most 500); reconcile their deliveries.
package struct AttemptsMoved: Codable, Sendable, Equatable, AttemptAnnouncement {
    package var attemptIDs: [Int64]
    /// The payload for `attemptIDs`.
    package init(attemptIDs: [Int64]) { self.attemptIDs = attemptIDs }
    enum CodingKeys: String, CodingKey { case attemptIDs = "attempt_ids" }
}

/// `channel.send` (on the channel's own queue): send this attempt.
package struct ChannelSend: Codable, Sendable, Equatable {
    package var attemptID: Int64
    package var deliveryID: UUID
    package var isTest: Bool
    /// The payload for `attemptID` of `deliveryID`; `isTest` sends to the test sinks.
    package init(attemptID: Int64, deliveryID: UUID, isTest: Bool) {
        self.attemptID = attemptID
        self.deliveryID = deliveryID
        self.isTest = isTest
    }
    enum CodingKeys: String, CodingKey { case attemptID = "attempt_id", deliveryID = "delivery_id", isTest = "is_test" }
}

/// `callback.deliver` (portal): send this event to the department's callback URL.
package struct CallbackDeliver: Codable, Sendable, Equatable {
    package var eventID: UUID
    /// The payload for `eventID`.
    package init(eventID: UUID) { self.eventID = eventID }
    enum CodingKeys: String, CodingKey { case eventID = "event_id" }
}

/// `webhook.process` (whatsapp): process this stored webhook batch.
package struct WebhookProcess: Codable, Sendable, Equatable {
    package var batchID: Int64
    /// The payload for `batchID`.
    package init(batchID: Int64) { self.batchID = batchID }
    enum CodingKeys: String, CodingKey { case batchID = "batch_id" }
}

/// A reply: text, or an interactive message (a list or buttons, typed as the Cloud API shapes it) with `text` as its body.
package struct ConversationReply: Codable, Sendable, Equatable {
    package var to: String
    /// The text; sent as a text message when there is no `interactive` (whose body repeats it).
    package var text: String
    package var interactive: GraphMessage.Interactive?
    /// The sender number (phone-number id) the citizen wrote to; nil: the default number.
    package var from: String?
    /// A reply to `to` with `text`, as an interactive message when one is given, from the number `from` (nil: the default).
    package init(to: String, text: String, interactive: GraphMessage.Interactive? = nil, from: String? = nil) {
        self.to = to
        self.text = text
        self.interactive = interactive
        self.from = from
    }

    enum CodingKeys: String, CodingKey { case to, text, interactive, from }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        to = try container.decode(String.self, forKey: .to)
        text = try container.decode(String.self, forKey: .text)
        from = try container.decodeIfPresent(String.self, forKey: .from)
        // Jobs queued before the typed form carried the interactive object as JSON text.
        if let old = try? container.decodeIfPresent(String.self, forKey: .interactive) {
            interactive = try JSONDecoder().decode(GraphMessage.Interactive.self, from: Data(old.utf8))
        } else {
            interactive = try container.decodeIfPresent(GraphMessage.Interactive.self, forKey: .interactive)
        }
    }

    /// The message this reply goes out as.
    package var message: GraphMessage {
        interactive.map { GraphMessage.interactive(to: to, $0) } ?? GraphMessage.text(to: to, text)
    }
}

/// `conversation.resend_certificate` (whatsapp): send a delivered certificate again as a document.
package struct CertificateResend: Codable, Sendable, Equatable {
    package var to: String
    package var deliveryID: UUID
    package var from: String?
    /// The certificate of `deliveryID` to `to`, from the number `from` (nil: the default).
    package init(to: String, deliveryID: UUID, from: String? = nil) {
        self.to = to
        self.deliveryID = deliveryID
        self.from = from
    }
}

/// `broadcast.fanout` (dispatcher) and `broadcast.send` (a channel's queue): the recipients `fromSeq ..< toSeq` of a
/// broadcast (on the send's queue's channel).
package struct BroadcastRange: Codable, Sendable, Equatable {
    package var broadcastID: UUID
    package var fromSeq: Int
    package var toSeq: Int
    /// Recipients `fromSeq ..< toSeq` of `broadcastID`.
    package init(broadcastID: UUID, fromSeq: Int, toSeq: Int) {
        self.broadcastID = broadcastID
        self.fromSeq = fromSeq
        self.toSeq = toSeq
    }
    enum CodingKeys: String, CodingKey { case broadcastID = "broadcast_id", fromSeq = "from_seq", toSeq = "to_seq" }
}

/// `rating.ask` (whatsapp): the rating question of `service_ratings` row `ratingID`.
package struct RatingAsk: Codable, Sendable, Equatable {
    package var ratingID: Int64
    /// The question recorded as row `ratingID`.
    package init(ratingID: Int64) { self.ratingID = ratingID }
    enum CodingKeys: String, CodingKey { case ratingID = "rating_id" }
}

/// `shortfall.fetch` (whatsapp): fetch, check and keep the file of a shortfall reply, then tell the portal and the citizen.
package struct ShortfallFetch: Codable, Sendable, Equatable {
    package var replyID: Int64
    /// The reply recorded as row `replyID` of `shortfall_replies`.
    package init(replyID: Int64) { self.replyID = replyID }
    enum CodingKeys: String, CodingKey { case replyID = "reply_id" }
}

/// `appeal.file` (appeals): file the appeal a citizen confirmed in the chat.
package struct AppealFile: Codable, Sendable, Equatable {
    package var applicationID: String
    /// The citizen's number, +E.164: the application must belong to it.
    package var mobile: String
    package var grounds: String
    package var language: String
    /// An appeal on `applicationID` from `mobile` with its grounds, in the citizen's language.
    package init(applicationID: String, mobile: String, grounds: String, language: String) {
        self.applicationID = applicationID
        self.mobile = mobile
        self.grounds = grounds
        self.language = language
    }
    enum CodingKeys: String, CodingKey { case applicationID = "application_id", mobile, grounds, language }
}
