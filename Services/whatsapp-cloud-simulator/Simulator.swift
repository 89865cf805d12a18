import Cryptography
import Foundation
import HTTPServer
import ServiceRuntime
import Synchronization

/// A template as registered with Meta: its languages, body parameter count and whether it has a document header.
struct TemplateSpec: Codable, Sendable {
    var languages: [String]
    var bodyParameters: Int
    var documentHeader: Bool
    /// Quick-reply buttons the template has (their payloads are set per message).
    var quickReplyButtons: Int?
    enum CodingKeys: String, CodingKey {
        case languages, bodyParameters = "body_parameters", documentHeader = "document_header", quickReplyButtons =
            "quick_reply_buttons"
    }
}

/// How the simulator behaves; every rule Meta enforces that our adapter must cope with is a setting here.
struct SimulatorConfiguration: Sendable {
    var accessToken = "dev-token"
    var phoneNumberIDs: Set<String> = ["100000000000001"]
    /// Messages per second per sender number (130429 above it).
    var messagesPerSecond = 80.0
    /// Pair limit: a burst of this many messages to one recipient, then one per `pairInterval` seconds (131056).
    var pairBurst = 5.0
    var pairInterval = 6.0
    /// Accepted messages kept whole (the oldest go first past it; the counts keep every one): a million-message
    /// benchmark kept them all, 1 GB.
    var keepMessages = 100_000
    /// The business portfolio's messaging limit: unique users its numbers may start conversations with (templates
    /// outside the user's 24-hour window) in a moving 24 hours; nil: unlimited. Meta documents no code for passing
    /// it: the simulator answers as for its other portfolio-wide limit, 131048.
    var messagingLimit: Int?
    /// Template pacing: a template's first this-many messages go out; later ones are held for quality assessment
    /// (answered `held_for_quality_assessment`, no status yet) until its quality is known (`POST /_sim/templates/…`):
    /// released if it is approved, failed with 132015 if it was paused. nil: no pacing.
    var pacingThreshold: Int?
    /// Recipients (digits) that are not on WhatsApp (131026).
    var notOnWhatsApp: Set<String> = []
    /// Where download URLs point (this server's own address).
    var publicBaseURL = "http://127.0.0.1:8090"
    var templates: [String: TemplateSpec] = SimulatorConfiguration.defaultTemplates
    /// Faults on sends, by fraction of requests (0…1): added latency, 500 answers (131000), timeouts (no answer
    /// for 30 s) and connections dropped without an answer.
    var latency = 0.0
    var errorRate = 0.0
    var timeoutRate = 0.0
    var dropRate = 0.0

    static let defaultTemplates: [String: TemplateSpec] = [
        "dakiya_certificate_issued": TemplateSpec(
            languages: ["en", "mr", "hi", "te", "ur"], bodyParameters: 2, documentHeader: true),
        "dakiya_outcome_approved": TemplateSpec(
            languages: ["en", "mr", "hi", "te", "ur"], bodyParameters: 2, documentHeader: false),
        "dakiya_outcome_rejected": TemplateSpec(
            languages: ["en", "mr", "hi", "te", "ur"], bodyParameters: 3, documentHeader: false, quickReplyButtons: 1),
        "dakiya_outcome_update": TemplateSpec(
            languages: ["en", "mr", "hi", "te", "ur"], bodyParameters: 3, documentHeader: false),
        "dakiya_appeal_update": TemplateSpec(
            languages: ["en", "mr", "hi", "te", "ur"], bodyParameters: 3, documentHeader: false),
        "dakiya_appeal_order": TemplateSpec(
            languages: ["en", "mr", "hi", "te", "ur"], bodyParameters: 3, documentHeader: true),
        "dakiya_verification_slip": TemplateSpec(
            languages: ["en", "mr", "hi", "te", "ur"], bodyParameters: 2, documentHeader: true),
        // The rating question: the application and the service, five quick-reply buttons (1 to 5).
        "dakiya_rating_request": TemplateSpec(
            languages: ["en", "mr", "hi", "te", "ur"], bodyParameters: 2, documentHeader: false, quickReplyButtons: 5),
        // The application's journey: received (application, service, received on, time limit, due on, officer),
        // under scrutiny, documents needed (with a "Send documents" button), payment due, appointment or site visit.
        "dakiya_application_received": TemplateSpec(
            languages: ["en", "mr", "hi", "te", "ur"], bodyParameters: 6, documentHeader: false),
        "dakiya_application_scrutiny": TemplateSpec(
            languages: ["en", "mr", "hi", "te", "ur"], bodyParameters: 2, documentHeader: false),
        "dakiya_documents_needed": TemplateSpec(
            languages: ["en", "mr", "hi", "te", "ur"], bodyParameters: 4, documentHeader: false, quickReplyButtons: 1),
        "dakiya_payment_due": TemplateSpec(
            languages: ["en", "mr", "hi", "te", "ur"], bodyParameters: 5, documentHeader: false),
        "dakiya_appointment": TemplateSpec(
            languages: ["en", "mr", "hi", "te", "ur"], bodyParameters: 5, documentHeader: false),
        // Broadcasts: a weather advisory (district, advice) and an emergency alert (event, headline, instruction).
        "dakiya_weather_alert": TemplateSpec(
            languages: ["en", "mr", "hi", "te", "ur"], bodyParameters: 2, documentHeader: false),
        "dakiya_emergency_alert": TemplateSpec(
            languages: ["en", "mr", "hi", "te", "ur"], bodyParameters: 3, documentHeader: false),
    ]
}

/// A Graph API error, in Meta's shape.
struct GraphError: Error {
    var httpStatus: Int
    var code: Int
    var message: String
    var details: String

    var response: Response {
        let fbtrace = String(UInt64.random(in: 1...UInt64.max), radix: 36)
        let body =
            "{\"error\":{\"message\":\(JSONText.quoted("(#\(code)) \(message)")),\"type\":\"OAuthException\",\"code\":\(code),"
            + "\"error_data\":{\"messaging_product\":\"whatsapp\",\"details\":\(JSONText.quoted(details))},\"fbtrace_id\":\"A\(fbtrace)\"}}"
        return Response(status: httpStatus, body: Array(body.utf8), contentType: "application/json")
    }

    static func invalidParameter(_ details: String) -> GraphError {
        GraphError(httpStatus: 400, code: 100, message: "Invalid parameter", details: details)
    }
}

/// One message the simulator accepted, as a test or the control endpoint sees it.
struct AcceptedMessage: Codable, Sendable {
    var id: String
    var phoneNumberID: String
    var to: String
    var type: String
    var body: String
    enum CodingKeys: String, CodingKey { case id, phoneNumberID = "phone_number_id", to, type, body }
}

/// The simulator's state: media, customer-service windows, rate buckets and what was sent.
final class Simulator: Sendable {
    struct Media: Sendable { var mimeType: String; var bytes: [UInt8]; var sha256: String; var phoneNumberID: String }
    struct Bucket: Sendable { var tokens: Double; var updated: Double }
    struct HeldMessage: Sendable {
        var wamid: String, phoneNumberID: String, recipient: String, callbackData: String?, template: String
    }
    struct State: Sendable {
        var media: [String: Media] = [:]
        var lastInbound: [String: Double] = [:]
        var senderBuckets: [String: Bucket] = [:]
        var pairBuckets: [String: Bucket] = [:]
        /// The last `keepMessages` accepted (for tests and `/_sim/messages`); the counts below cover every one.
        var accepted: [AcceptedMessage] = []
        var acceptedTotal = 0
        var recipients: Set<String> = []
        /// When the first and the last message were accepted (the simulator's clock, seconds).
        var firstAcceptedAt: Double?
        var lastAcceptedAt: Double?
        /// Messages accepted in each second since the first: [0] counts those of the first second.
        var acceptedPerSecond: [Int] = []
        /// The portfolio's moving 24 hours: when each user was last reached outside their window, and the same in
        /// order of time (`reachHead` is the first entry still inside, or stale).
        var reached: [String: Double] = [:]
        var reachLog: [(at: Double, waID: String)] = []
        var reachHead = 0
        /// Templates' review state as Meta would report it: status (APPROVED, PAUSED, DISABLED) and quality
        /// (UNKNOWN, GREEN, YELLOW, RED), by name; messages sent with each; messages held by pacing.
        var templateStatus: [String: String] = [:]
        var templateQuality: [String: String] = [:]
        var templateSends: [String: Int] = [:]
        var held: [HeldMessage] = []
        /// Rate-limit answers given, by error code (130429, 131056).
        var rateLimited: [Int: Int] = [:]
    }

    let configuration: SimulatorConfiguration
    let webhooks: WebhookSender
    /// Seconds on a clock tests can move.
    let now: @Sendable () -> Double
    private let state = Mutex(State())

    static let documentTypes: Set<String> = [
        "application/pdf", "text/plain", "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "image/jpeg",
        "image/png",
    ]

    init(
        configuration: SimulatorConfiguration, webhooks: WebhookConfiguration = WebhookConfiguration(),
        now: @escaping @Sendable () -> Double = { Double(Timestamp.nowMicroseconds()) / 1e6 }
    ) {
        self.configuration = configuration
        self.webhooks = WebhookSender(configuration: webhooks)
        self.now = now
    }

    var acceptedMessages: [AcceptedMessage] { state.withLock { $0.accepted } }

    /// How many times the simulator answered a rate limit with `code` (130429 throughput, 131056 pair limit).
    func rateLimited(_ code: Int) -> Int { state.withLock { $0.rateLimited[code] ?? 0 } }

    /// Counts for a load test (`GET /_sim/stats`): messages accepted, to how many recipients, over what time, and
    /// the rate-limit answers given.
    struct Stats: Encodable {
        var accepted: Int, recipients: Int
        var firstAcceptedAt: Double?, lastAcceptedAt: Double?
        /// Messages accepted in each second since the first (a rate's steady part and its dips, not just its mean).
        var acceptedPerSecond: [Int]
        var rateLimited: [String: Int]
        enum CodingKeys: String, CodingKey {
            case accepted, recipients, firstAcceptedAt = "first_accepted_at", lastAcceptedAt = "last_accepted_at"
            case acceptedPerSecond = "accepted_per_second", rateLimited = "rate_limited"
        }
    }
    var stats: Stats {
        state.withLock {
            Stats(
                accepted: $0.acceptedTotal, recipients: $0.recipients.count,
                firstAcceptedAt: $0.firstAcceptedAt, lastAcceptedAt: $0.lastAcceptedAt,
                acceptedPerSecond: $0.acceptedPerSecond,
                rateLimited: Dictionary(uniqueKeysWithValues: $0.rateLimited.map { (String($0.key), $0.value) }))
        }
    }

    /// A citizen wrote to us: their 24-hour customer-service window opens.
    func recordInbound(from: String) { state.withLock { $0.lastInbound[Self.digits(from)] = now() } }

    func authorize(_ request: Request) throws {
        guard request.header("authorization") == "Bearer \(configuration.accessToken)" else {
            throw GraphError(
                httpStatus: 401, code: 190, message: "Invalid OAuth access token - Cannot parse access token",
                details: "the access token is missing, malformed or expired")
        }
    }

    func senderExists(_ phoneNumberID: String) throws {
        guard configuration.phoneNumberIDs.contains(phoneNumberID) else {
            throw GraphError(
                httpStatus: 400, code: 100, message: "Unsupported post request",
                details:
                    "Object with ID '\(phoneNumberID)' does not exist, cannot be loaded due to missing permissions, or does not support this operation"
            )
        }
    }

    // MARK: Media

    func upload(phoneNumberID: String, mimeType: String, bytes: [UInt8]) throws -> String {
        guard Self.documentTypes.contains(mimeType) else {
            throw GraphError(
                httpStatus: 400, code: 131053, message: "Media upload error",
                details: "Unsupported file type \(mimeType)")
        }
        if mimeType == "application/pdf" && !bytes.starts(with: Array("%PDF-".utf8)) {
            throw GraphError(
                httpStatus: 400, code: 131053, message: "Media upload error",
                details: "The file's content does not match its type application/pdf")
        }
        let id = String(UInt64.random(in: 100_000_000_000_000...999_999_999_999_999))
        let media = Media(
            mimeType: mimeType, bytes: bytes, sha256: SHA256.hexDigest(bytes), phoneNumberID: phoneNumberID)
        state.withLock { $0.media[id] = media }
        return id
    }

    func media(_ id: String) -> Media? { state.withLock { $0.media[id] } }

    /// A file a citizen sent to `phoneNumberID`: kept as media the business can fetch (any type: what a citizen may
    /// send is not what a business may upload). Returns its media id.
    func receive(mimeType: String, bytes: [UInt8], phoneNumberID: String) -> String {
        let id = String(UInt64.random(in: 100_000_000_000_000...999_999_999_999_999))
        let media = Media(
            mimeType: mimeType, bytes: bytes, sha256: SHA256.hexDigest(bytes), phoneNumberID: phoneNumberID)
        state.withLock { $0.media[id] = media }
        return id
    }

    // MARK: Messages

    /// Applies Meta's rules to a send request and returns the wamid, or throws Meta's error.
    func send(phoneNumberID: String, body: [UInt8]) throws -> (
        wamid: String, to: String, waID: String, status: String
    ) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw GraphError.invalidParameter("The request body is not a JSON object")
        }
        guard object["messaging_product"] as? String == "whatsapp" else {
            throw GraphError.invalidParameter("messaging_product must be whatsapp")
        }
        guard let to = object["to"] as? String, !Self.digits(to).isEmpty else {
            throw GraphError.invalidParameter("The parameter to is required.")
        }
        // Meta's documented pitfall: without "+" the business number's country code (91 here) is prepended.
        let waID = to.hasPrefix("+") ? Self.digits(to) : "91" + Self.digits(to)
        let type = object["type"] as? String ?? "text"
        guard let payload = object[type] as? [String: Any] else {
            throw GraphError.invalidParameter("The parameter \(type) is required.")
        }

        try takeToken(phoneNumberID: phoneNumberID, recipient: waID)
        if configuration.notOnWhatsApp.contains(waID) {
            throw GraphError(
                httpStatus: 400, code: 131026, message: "Message Undeliverable",
                details: "Unable to deliver message: the recipient is not a WhatsApp user or has not accepted the terms"
            )
        }
        switch type {
        case "template":
            try checkTemplate(payload)
            try checkTemplateStatus(payload["name"] as? String ?? "")
            try takeReach(waID)
        case "text", "document", "interactive", "image":
            let opened = state.withLock { $0.lastInbound[waID] }
            guard let opened, now() - opened < 24 * 3600 else {
                throw GraphError(
                    httpStatus: 400, code: 131047, message: "Re-engagement message",
                    details:
                        "Message failed to send because more than 24 hours have passed since the customer last replied to this number."
                )
            }
            if type == "interactive" { try Self.checkInteractive(payload) }
            if type == "document", let id = payload["id"] as? String, media(id) == nil {
                throw GraphError(
                    httpStatus: 400, code: 131053, message: "Media upload error", details: "Media id \(id) not found")
            }
        default:
            throw GraphError.invalidParameter("Unsupported message type \(type)")
        }
        let wamid = "wamid." + Base64URL.encode(try SecureRandom.bytes(18))
        let accepted = AcceptedMessage(
            id: wamid, phoneNumberID: phoneNumberID, to: waID, type: type, body: String(decoding: body, as: UTF8.self))
        let at = now()
        state.withLock {
            $0.accepted.append(accepted)
            $0.acceptedTotal += 1
            $0.recipients.insert(waID)
            // Trimmed a tenth at a time past the limit, so an append is not a shift of the whole array.
            if $0.accepted.count > configuration.keepMessages + configuration.keepMessages / 10 {
                $0.accepted.removeFirst($0.accepted.count - configuration.keepMessages)
            }
            $0.firstAcceptedAt = $0.firstAcceptedAt ?? at
            $0.lastAcceptedAt = at
            let second = Int(at - ($0.firstAcceptedAt ?? at))
            if $0.acceptedPerSecond.count <= second {
                $0.acceptedPerSecond.append(
                    contentsOf: repeatElement(0, count: second + 1 - $0.acceptedPerSecond.count))
            }
            $0.acceptedPerSecond[second] += 1
        }
        let callbackData = object["biz_opaque_callback_data"] as? String
        if type == "template", let name = payload["name"] as? String, holdForQuality(name) {
            state.withLock {
                $0.held.append(
                    HeldMessage(
                        wamid: wamid, phoneNumberID: phoneNumberID, recipient: waID, callbackData: callbackData,
                        template: name))
            }
            return (wamid, to, waID, "held_for_quality_assessment")
        }
        webhooks.scheduleStatuses(
            wamid: wamid, phoneNumberID: phoneNumberID, recipient: waID, callbackData: callbackData)
        return (wamid, to, waID, "accepted")
    }

    /// Meta's limits on an interactive message (131009 when one is broken): a list has at most 10 rows in all, titles
    /// of at most 24 characters, descriptions of 72 and distinct ids; at most 3 reply buttons of 20; a Flow names its
    /// id or name, message version "3" and a button text. Characters are Unicode code points, as JSON Schema counts.
    static func checkInteractive(_ payload: [String: Any]) throws {
        func invalid(_ details: String) -> GraphError {
            GraphError(httpStatus: 400, code: 131009, message: "Parameter value is not valid", details: details)
        }
        func length(_ value: Any?) -> Int { (value as? String)?.unicodeScalars.count ?? 0 }
        let action = payload["action"] as? [String: Any] ?? [:]
        switch payload["type"] as? String {
        case "list":
            let sections = action["sections"] as? [[String: Any]] ?? []
            let rows = sections.flatMap { $0["rows"] as? [[String: Any]] ?? [] }
            guard !rows.isEmpty, rows.count <= 10 else { throw invalid("A list has 1 to 10 rows in all.") }
            guard length(action["button"]) <= 20 else { throw invalid("The list button is longer than 20 characters.") }
            guard Set(rows.compactMap { $0["id"] as? String }).count == rows.count else {
                throw invalid("Row ids must be unique.")
            }
            for row in rows {
                guard length(row["title"]) >= 1, length(row["title"]) <= 24 else {
                    throw invalid("A row title is 1 to 24 characters.")
                }
                guard length(row["description"]) <= 72 else {
                    throw invalid("A row description is at most 72 characters.")
                }
            }
        case "button":
            let buttons = action["buttons"] as? [[String: Any]] ?? []
            guard (1...3).contains(buttons.count) else { throw invalid("1 to 3 reply buttons.") }
            for button in buttons where length((button["reply"] as? [String: Any])?["title"]) > 20 {
                throw invalid("A button title is at most 20 characters.")
            }
        case "flow":
            let parameters = action["parameters"] as? [String: Any] ?? [:]
            guard action["name"] as? String == "flow", parameters["flow_message_version"] as? String == "3",
                (parameters["flow_id"] != nil) != (parameters["flow_name"] != nil), length(parameters["flow_cta"]) >= 1
            else {
                throw invalid("A Flow message needs flow_message_version 3, a flow_cta and a flow_id or flow_name.")
            }
        default:
            throw invalid("Unsupported interactive type \(payload["type"] as? String ?? "none").")
        }
    }

    // MARK: Template review

    /// A paused template is 132015, a disabled one 132016 (Meta's answers for templates stopped for quality).
    private func checkTemplateStatus(_ name: String) throws {
        switch state.withLock({ $0.templateStatus[name] }) {
        case "PAUSED":
            throw GraphError(
                httpStatus: 400, code: 132015, message: "Template is paused",
                details: "The template \(name) is paused because of low quality; it cannot be sent.")
        case "DISABLED":
            throw GraphError(
                httpStatus: 400, code: 132016, message: "Template has been disabled",
                details: "The template \(name) was paused too many times and is permanently disabled.")
        default: return
        }
    }

    /// Counts a message of template `name`; true when pacing holds it (its quality is not known yet and the first
    /// `pacingThreshold` went out already).
    private func holdForQuality(_ name: String) -> Bool {
        guard let threshold = configuration.pacingThreshold else { return false }
        return state.withLock { state in
            state.templateSends[name, default: 0] += 1
            let quality = state.templateQuality[name] ?? "UNKNOWN"
            return quality == "UNKNOWN" && state.templateSends[name, default: 0] > threshold
        }
    }

    /// What Meta's review decides about a template (`POST /_sim/templates/{name}`): its status and quality change,
    /// the business is told by webhook (`message_template_status_update`, `message_template_quality_update`), and
    /// the messages pacing held are released (approved, quality known) or failed with 132015 (paused, disabled).
    /// - Throws: `GraphError` for a template the simulator does not know or a status or quality it does not.
    func review(template name: String, status: String?, quality: String?) throws {
        guard let spec = configuration.templates[name] else {
            throw GraphError.invalidParameter("no template \(name)")
        }
        if let status, !["APPROVED", "PAUSED", "DISABLED"].contains(status) {
            throw GraphError.invalidParameter("status is APPROVED, PAUSED or DISABLED")
        }
        if let quality, !["GREEN", "YELLOW", "RED", "UNKNOWN"].contains(quality) {
            throw GraphError.invalidParameter("quality is GREEN, YELLOW, RED or UNKNOWN")
        }
        let (previousQuality, released) = state.withLock { state -> (String, [HeldMessage]) in
            let previous = state.templateQuality[name] ?? "UNKNOWN"
            if let status { state.templateStatus[name] = status }
            if let quality { state.templateQuality[name] = quality }
            let stopped = ["PAUSED", "DISABLED"].contains(state.templateStatus[name] ?? "APPROVED")
            let known = (state.templateQuality[name] ?? "UNKNOWN") != "UNKNOWN"
            guard stopped || known else { return (previous, []) }
            let released = state.held.filter { $0.template == name }
            state.held.removeAll { $0.template == name }
            return (previous, released)
        }
        let stopped = ["PAUSED", "DISABLED"].contains(state.withLock { $0.templateStatus[name] } ?? "APPROVED")
        // A stable id for the template, as Meta gives each one (from its name: the same in every run).
        let templateID =
            name.utf8.reduce(UInt64(1_469_598_103)) { ($0 &* 1_099_511_628_211) ^ UInt64($1) } % 1_000_000_000_000
        for language in spec.languages {
            if let status {
                webhooks.scheduleTemplateUpdate(
                    field: "message_template_status_update",
                    value:
                        "{\"event\":\"\(status)\",\"message_template_id\":\(templateID),\"message_template_name\":\(JSONText.quoted(name)),\"message_template_language\":\(JSONText.quoted(language)),\"reason\":\(status == "APPROVED" ? "null" : "\"LOW_QUALITY\"")}"
                )
            }
            if let quality, quality != previousQuality {
                webhooks.scheduleTemplateUpdate(
                    field: "message_template_quality_update",
                    value:
                        "{\"previous_quality_score\":\"\(previousQuality)\",\"new_quality_score\":\"\(quality)\",\"message_template_id\":\(templateID),\"message_template_name\":\(JSONText.quoted(name)),\"message_template_language\":\(JSONText.quoted(language))}"
                )
            }
        }
        for message in released {
            webhooks.scheduleStatuses(
                wamid: message.wamid, phoneNumberID: message.phoneNumberID, recipient: message.recipient,
                callbackData: message.callbackData, failWith: stopped ? 132015 : nil)
        }
    }

    /// Messages pacing holds now.
    var heldCount: Int { state.withLock { $0.held.count } }

    private func checkTemplate(_ template: [String: Any]) throws {
        let name = template["name"] as? String ?? ""
        let language = (template["language"] as? [String: Any])?["code"] as? String ?? ""
        guard let spec = configuration.templates[name], spec.languages.contains(language) else {
            throw GraphError(
                httpStatus: 404, code: 132001, message: "Template name does not exist in the translation",
                details: "template name (\(name)) does not exist in \(language)")
        }
        let components = template["components"] as? [[String: Any]] ?? []
        let body = components.first { $0["type"] as? String == "body" }?["parameters"] as? [[String: Any]] ?? []
        guard body.count == spec.bodyParameters else {
            throw GraphError(
                httpStatus: 400, code: 132000,
                message: "Number of parameters does not match the expected number of params",
                details:
                    "body: number of localizable_params (\(body.count)) does not match the expected number of params (\(spec.bodyParameters))"
            )
        }
        for parameter in body {
            let text = parameter["text"] as? String ?? ""
            if text.isEmpty || text.contains("\n") || text.contains("\t") || text.contains("     ") {
                throw GraphError.invalidParameter(
                    "Param text cannot have new-line/tab characters or more than 4 consecutive spaces, and cannot be empty"
                )
            }
        }
        for button in components where button["type"] as? String == "button" {
            let parameters = button["parameters"] as? [[String: Any]] ?? []
            guard button["sub_type"] as? String == "quick_reply", let index = Int(button["index"] as? String ?? ""),
                index >= 0, index < (spec.quickReplyButtons ?? 0),
                parameters.count == 1, parameters[0]["type"] as? String == "payload",
                !((parameters[0]["payload"] as? String) ?? "").isEmpty
            else {
                throw GraphError(
                    httpStatus: 400, code: 132000,
                    message: "Number of parameters does not match the expected number of params",
                    details:
                        "button: the template has \(spec.quickReplyButtons ?? 0) quick-reply buttons, each with one payload parameter"
                )
            }
        }
        let header = components.first { $0["type"] as? String == "header" }?["parameters"] as? [[String: Any]] ?? []
        if spec.documentHeader {
            guard header.count == 1, header[0]["type"] as? String == "document",
                let document = header[0]["document"] as? [String: Any]
            else {
                throw GraphError(
                    httpStatus: 400, code: 132000,
                    message: "Number of parameters does not match the expected number of params",
                    details: "header: expected one document parameter")
            }
            if let id = document["id"] as? String {
                guard let media = media(id) else {
                    throw GraphError(
                        httpStatus: 400, code: 131053, message: "Media upload error",
                        details: "Media id \(id) not found")
                }
                guard media.mimeType == "application/pdf" else {
                    throw GraphError(
                        httpStatus: 400, code: 131053, message: "Media upload error",
                        details: "Template document headers must be PDF")
                }
            } else if document["link"] == nil {
                throw GraphError.invalidParameter("document needs an id or a link")
            }
        } else if !header.isEmpty {
            throw GraphError(
                httpStatus: 400, code: 132000,
                message: "Number of parameters does not match the expected number of params",
                details: "header: the template has no header parameters")
        }
    }

    /// The portfolio's messaging limit (131048 past it): a template to a user outside their customer-service window
    /// takes a place in the moving 24 hours unless the user already has one.
    private func takeReach(_ waID: String) throws {
        guard let limit = configuration.messagingLimit else { return }
        let time = now()
        let failure: GraphError? = state.withLock { state in
            if let opened = state.lastInbound[waID], time - opened < 24 * 3600 { return nil }
            while state.reachHead < state.reachLog.count, state.reachLog[state.reachHead].at <= time - 24 * 3600 {
                let old = state.reachLog[state.reachHead]
                if state.reached[old.waID] == old.at { state.reached[old.waID] = nil }
                state.reachHead += 1
            }
            if state.reachHead > 100_000 {
                state.reachLog.removeFirst(state.reachHead)
                state.reachHead = 0
            }
            if let at = state.reached[waID], time - at < 24 * 3600 { return nil }
            guard state.reached.count < limit else {
                state.rateLimited[131048, default: 0] += 1
                return GraphError(
                    httpStatus: 400, code: 131048, message: "Spam rate limit hit",
                    details:
                        "Message failed to send because there are restrictions on how many messages can be sent from this phone number: the business portfolio's messaging limit (\(limit) unique users in 24 hours) is reached."
                )
            }
            state.reached[waID] = time
            state.reachLog.append((time, waID))
            return nil
        }
        if let failure { throw failure }
    }

    /// Throughput per sender (130429) and the pair limit per recipient (131056), as token buckets.
    private func takeToken(phoneNumberID: String, recipient: String) throws {
        let time = now()
        let configuration = self.configuration
        let failure: GraphError? = state.withLock { state in
            func refill(_ bucket: Bucket?, capacity: Double, perSecond: Double) -> Bucket {
                guard var bucket else { return Bucket(tokens: capacity, updated: time) }
                bucket.tokens = min(capacity, bucket.tokens + (time - bucket.updated) * perSecond)
                bucket.updated = time
                return bucket
            }
            var sender = refill(
                state.senderBuckets[phoneNumberID], capacity: configuration.messagesPerSecond,
                perSecond: configuration.messagesPerSecond)
            let pairKey = phoneNumberID + ":" + recipient
            var pair = refill(
                state.pairBuckets[pairKey], capacity: configuration.pairBurst, perSecond: 1 / configuration.pairInterval
            )
            defer { state.senderBuckets[phoneNumberID] = sender; state.pairBuckets[pairKey] = pair }
            guard sender.tokens >= 1 else {
                state.rateLimited[130429, default: 0] += 1
                return GraphError(
                    httpStatus: 400, code: 130429, message: "Rate limit hit",
                    details: "Cloud API message throughput has been reached.")
            }
            guard pair.tokens >= 1 else {
                state.rateLimited[131056, default: 0] += 1
                return GraphError(
                    httpStatus: 400, code: 131056, message: "(Business Account, Consumer Account) pair rate limit hit",
                    details:
                        "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time."
                )
            }
            sender.tokens -= 1
            pair.tokens -= 1
            return nil
        }
        if let failure { throw failure }
    }

    static func digits(_ text: String) -> String { text.filter { $0.isASCII && $0.isNumber } }
}
