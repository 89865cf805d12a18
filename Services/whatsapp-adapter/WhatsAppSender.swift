import Appeals
import Delivery
import Foundation
import HTTPClient
import JobContracts
import JobQueue
import Postgres
import ServiceRuntime
import Synchronization
import WhatsAppGraph

/// Graph API settings, validated at start. The defaults point at the local simulator that `make run` starts.
struct WhatsAppSettings: Sendable {
    var graphURL: String
    var version: String
    var phoneNumberID: String
    var accessToken: String
    var appSecret: String
    var verifyToken: String
    /// A changeover's previous values (`…_PREVIOUS`): the webhook signature and the handshake accept them too, and a
    /// number whose token Meta refuses (190) sends with its previous token for a while.
    var previousAppSecret: String?
    var previousVerifyToken: String?
    var previousAccessToken: String?
    /// Where deliveries made with test keys go; nil: they are not sent (the attempt is skipped, saying why).
    var testGraphURL: String?
    /// Messages per second for this sender number (Meta's default tier is 80, up to 1,000).
    var messagesPerSecond = 80.0
    var pairBurst = 3.0
    var pairInterval = 6.0
    /// Departments with their own sender number (phone-number id); the others use `phoneNumberID`.
    var departmentNumbers: [String: String] = [:]
    /// The numbers broadcasts are sent from, shared out by range of recipients (each recipient always hears from the
    /// same one); empty: a broadcast goes from its department's number.
    var broadcastNumbers: [String] = []
    /// Per-number access tokens and throughput, where they differ from the defaults.
    var numberTokens: [String: String] = [:]
    var previousNumberTokens: [String: String] = [:]
    var numberRates: [String: Double] = [:]
    /// The business portfolio's messaging limit: unique users reached by business-initiated messages in a moving 24
    /// hours, shared by every number (Meta's levels 250, 2,000, 10,000, 100,000); nil: unlimited, nothing counted.
    var messagingLimit: Int?
    /// The share of the messaging limit broadcasts leave to outcome deliveries, in percent: a broadcast stops taking
    /// new citizens at `messagingLimit × (100 − reserve) / 100`, so certificates still go out on WhatsApp.
    var outcomeReservePercent = 10
    /// A shortfall's answer in the chat: the largest file taken, and the virus-scan hook (a program and its
    /// arguments, run with the file's path last: exit 0 clean, 1 infected, anything else an error to retry); nil: files
    /// are kept marked not scanned.
    var shortfallMaxBytes = 10 * 1024 * 1024
    var virusScanCommand: [String]?
    /// How long a citizen's files are kept (as certificates are: DAKIYA_DOCUMENT_RETENTION_DAYS).
    var documentRetentionDays = 365

    /// How many unique users broadcasts may reach in 24 hours (nil: unlimited).
    var broadcastReach: Int? { messagingLimit.map { $0 * (100 - outcomeReservePercent) / 100 } }

    /// The app secrets a webhook signature may be made with: the current one, and the previous during a changeover.
    var appSecrets: [String] { [appSecret] + (previousAppSecret.map { [$0] } ?? []) }
    var verifyTokens: [String] { [verifyToken] + (previousVerifyToken.map { [$0] } ?? []) }

    /// The number's current token, and its previous one during a changeover.
    func tokens(for number: String) -> (current: String, previous: String?) {
        if let own = numberTokens[number] { return (own, previousNumberTokens[number]) }
        return (accessToken, previousNumberTokens[number] ?? previousAccessToken)
    }

    /// Every sender number configured, the default first.
    var phoneNumberIDs: [String] {
        [phoneNumberID]
            + Set(departmentNumbers.values).union(broadcastNumbers).subtracting([phoneNumberID]).sorted()
    }

    static func load(_ settings: Settings) throws(SettingError) -> WhatsAppSettings {
        let graph = try settings.string("DAKIYA_WHATSAPP_GRAPH_URL", default: "http://127.0.0.1:8090")
        guard graph.hasPrefix("https://") || graph.hasPrefix("http://") else {
            throw SettingError(name: "DAKIYA_WHATSAPP_GRAPH_URL", problem: "expected an https:// URL")
        }
        let version = try settings.string("DAKIYA_WHATSAPP_API_VERSION", default: "v23.0")
        guard version.hasPrefix("v"), let major = Int(version.dropFirst().split(separator: ".").first ?? ""),
            major >= 23
        else {
            throw SettingError(name: "DAKIYA_WHATSAPP_API_VERSION", problem: "expected v23.0 or later")
        }
        var loaded = WhatsAppSettings(
            graphURL: graph, version: version,
            phoneNumberID: try settings.string("DAKIYA_WHATSAPP_PHONE_NUMBER_ID", default: "100000000000001"),
            accessToken: try settings.string("DAKIYA_WHATSAPP_ACCESS_TOKEN", default: "dev-token"),
            appSecret: try settings.string("DAKIYA_WHATSAPP_APP_SECRET", default: "dev-app-secret"),
            verifyToken: try settings.string("DAKIYA_WHATSAPP_VERIFY_TOKEN", default: "dev-verify-token"),
            testGraphURL: settings.optionalString("DAKIYA_WHATSAPP_TEST_GRAPH_URL"))
        loaded.previousAccessToken = settings.optionalString("DAKIYA_WHATSAPP_ACCESS_TOKEN_PREVIOUS")
        loaded.previousAppSecret = settings.optionalString("DAKIYA_WHATSAPP_APP_SECRET_PREVIOUS")
        loaded.previousVerifyToken = settings.optionalString("DAKIYA_WHATSAPP_VERIFY_TOKEN_PREVIOUS")
        loaded.messagesPerSecond = Double(try settings.int("DAKIYA_WHATSAPP_MPS", default: 80, in: 1...1000))
        switch settings.optionalString("DAKIYA_WHATSAPP_MESSAGING_LIMIT")?.lowercased() {
        case nil, "unlimited": loaded.messagingLimit = nil
        case let level? where ["250", "2000", "10000", "100000"].contains(level): loaded.messagingLimit = Int(level)
        default:
            throw SettingError(
                name: "DAKIYA_WHATSAPP_MESSAGING_LIMIT",
                problem: "expected Meta's messaging limit level: 250, 2000, 10000, 100000 or unlimited")
        }
        loaded.outcomeReservePercent = try settings.int(
            "DAKIYA_WHATSAPP_OUTCOME_RESERVE_PERCENT", default: 10, in: 0...90)
        loaded.pairBurst = Double(try settings.int("DAKIYA_WHATSAPP_PAIR_BURST", default: 3, in: 1...100))
        loaded.pairInterval = try settings.seconds(
            "DAKIYA_WHATSAPP_PAIR_INTERVAL_SECONDS", default: 6, in: 0.001...3600
        ).seconds
        // DAKIYA_WHATSAPP_SENDERS=REVENUE=100000000000002,RDD=100000000000003: a department's own number; each number
        // may have its own token (DAKIYA_WHATSAPP_ACCESS_TOKEN_<id>) and throughput (DAKIYA_WHATSAPP_MPS_<id>).
        for entry in (settings.optionalString("DAKIYA_WHATSAPP_SENDERS") ?? "").split(separator: ",") {
            let parts = entry.split(separator: "=", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard parts.count == 2, !parts[0].isEmpty,
                parts[1].range(of: "^[0-9]{5,32}$", options: .regularExpression) != nil
            else {
                throw SettingError(
                    name: "DAKIYA_WHATSAPP_SENDERS",
                    problem: "expected DEPARTMENT=PHONE_NUMBER_ID pairs separated by commas")
            }
            loaded.departmentNumbers[parts[0]] = parts[1]
        }
        // DAKIYA_WHATSAPP_BROADCAST_NUMBERS=100000000000004,100000000000005: the numbers broadcasts go out from,
        // together (each at its own throughput), so that a million recipients are not bound by one number's rate.
        for number in (settings.optionalString("DAKIYA_WHATSAPP_BROADCAST_NUMBERS") ?? "").split(separator: ",") {
            let number = number.trimmingCharacters(in: .whitespaces)
            guard number.range(of: "^[0-9]{5,32}$", options: .regularExpression) != nil else {
                throw SettingError(
                    name: "DAKIYA_WHATSAPP_BROADCAST_NUMBERS", problem: "expected phone-number ids separated by commas")
            }
            if !loaded.broadcastNumbers.contains(number) { loaded.broadcastNumbers.append(number) }
        }
        loaded.shortfallMaxBytes = try settings.int(
            "DAKIYA_SHORTFALL_MAX_BYTES", default: 10 * 1024 * 1024, in: 1024...(100 * 1024 * 1024))
        loaded.documentRetentionDays = try settings.int("DAKIYA_DOCUMENT_RETENTION_DAYS", default: 365, in: 1...36_500)
        if let command = settings.optionalString("DAKIYA_VIRUS_SCAN_COMMAND") {
            let words = command.split(separator: " ").map(String.init)
            guard let program = words.first, program.hasPrefix("/"),
                FileManager.default.isExecutableFile(atPath: program)
            else {
                throw SettingError(
                    name: "DAKIYA_VIRUS_SCAN_COMMAND",
                    problem:
                        "expected the absolute path of an executable program, then its arguments (e.g. /usr/bin/clamdscan --no-summary)"
                )
            }
            loaded.virusScanCommand = words
        }
        for number in loaded.phoneNumberIDs {
            if let token = settings.optionalString("DAKIYA_WHATSAPP_ACCESS_TOKEN_\(number)") {
                loaded.numberTokens[number] = token
            }
            if let token = settings.optionalString("DAKIYA_WHATSAPP_ACCESS_TOKEN_PREVIOUS_\(number)") {
                loaded.previousNumberTokens[number] = token
            }
            loaded.numberRates[number] = Double(
                try settings.int("DAKIYA_WHATSAPP_MPS_\(number)", default: Int(loaded.messagesPerSecond), in: 1...1000))
        }
        return loaded
    }
}

/// A Graph API error object: `error.code` decides, never the HTTP status (Meta answers rate limits with 400).
struct GraphAPIError: Error, CustomStringConvertible {
    var code: Int
    var message: String
    var httpStatus: Int
    /// Safe to log: the code only. Meta's message text can quote the recipient's number or the message, so it stays
    /// in `message` (kept on the attempt for the department) and never reaches a log line.
    var description: String { "Graph API error \(code) (HTTP \(httpStatus))" }

    enum Handling: Equatable {
        case snoozeSender(Duration)  // the whole number slows down
        case snoozeRecipient  // pair limit: back off this citizen only
        case permanent  // the dispatcher falls back to another channel
        case configuration  // pause and alert; nothing is lost
        case retryable
    }

    var handling: Handling {
        switch code {
        case 130429, 80007, 4: .snoozeSender(.seconds(2))
        case 131056: .snoozeRecipient
        case 131026, 131047, 131048, 131049, 131050, 131051, 131021, 131030, 131053, 132000, 132005, 132007, 132008,
            132012,
            100,
            131008, 131009:
            .permanent
        case 190, 0, 132001, 10, 200, 131031, 368, 133010, 132015, 132016: .configuration
        default: .retryable
        }
    }

    /// The error a status webhook reports (its code only; nil or unreadable: an unknown code, retryable).
    static func reported(_ code: String?) -> GraphAPIError {
        GraphAPIError(code: code.flatMap { Int($0) } ?? -1, message: "", httpStatus: 0)
    }

    /// The error class of `dakiya_channel_outcomes_total`: how the code is handled, not the code itself.
    var errorClass: String {
        switch handling {
        case .snoozeSender: "throughput"
        case .snoozeRecipient: "pair_limit"
        case .permanent: "refused"
        case .configuration: "configuration"
        case .retryable: "server"
        }
    }
}

/// Sends WhatsApp channel attempts as approved utility templates (the only kind allowed outside the
/// customer-service window), the certificate as the template's document header.
final class WhatsAppSender: Sendable {
    let pool: ConnectionPool
    let queue: JobQueue
    let settings: WhatsAppSettings
    let logger: Logger
    /// Pacing per sender number (throughput, and the pair limit between that number and each citizen).
    let pacers: [String: Pacer]
    /// The default number's pacing.
    let pacer: Pacer
    let clients = ReusePool { try HTTPClient(configuration: HTTPClientConfiguration(timeout: .seconds(20))) }
    /// For a batch of sends: its messages go out at once.
    let multiClients = ReusePool {
        try HTTPMultiClient(configuration: HTTPClientConfiguration(timeout: .seconds(20)))
    }
    let accepted, failed, paused: Counter
    /// Messages put off, or sent by another channel, because the portfolio's messaging limit was reached.
    let reachRefused: Counter
    let outcomes: ChannelOutcomes
    /// Per number: until when (µs since the epoch) requests carry the previous token.
    private let tokenFallback = Mutex<[String: Int64]>([:])

    init(pool: ConnectionPool, queue: JobQueue, settings: WhatsAppSettings, logger: Logger, metrics: MetricsRegistry) {
        self.pool = pool
        self.queue = queue
        self.settings = settings
        self.logger = logger
        // The numbers' throughput is shared with every other instance through the database, on connections of its
        // own (a sender waiting for a token never waits for the pool its own job may be holding).
        let budgets = ConnectionPool(
            url: pool.url, maximumConnections: 2, acquireTimeout: .seconds(2),
            applicationName: "whatsapp-sender-budget")
        let pacers = Dictionary(
            uniqueKeysWithValues: settings.phoneNumberIDs.map {
                (
                    $0,
                    Pacer(
                        messagesPerSecond: settings.numberRates[$0] ?? settings.messagesPerSecond,
                        pairBurst: settings.pairBurst, pairInterval: settings.pairInterval,
                        shared: ($0, budgets, logger))
                )
            })
        self.pacers = pacers
        pacer =
            pacers[settings.phoneNumberID]
            ?? Pacer(
                messagesPerSecond: settings.messagesPerSecond, pairBurst: settings.pairBurst,
                pairInterval: settings.pairInterval, shared: (settings.phoneNumberID, budgets, logger))
        outcomes = ChannelOutcomes(channel: "whatsapp", metrics: metrics)
        accepted = metrics.counter("dakiya_whatsapp_accepted_total", help: "Messages the Cloud API accepted.")
        failed = metrics.counter("dakiya_whatsapp_failed_total", help: "Messages refused for good.")
        paused = metrics.counter(
            "dakiya_whatsapp_configuration_errors_total",
            help: "Sends put off because of a token, template or account problem.")
        reachRefused = metrics.counter(
            "dakiya_whatsapp_messaging_limit_refused_total",
            help:
                "Messages to new citizens refused by the portfolio's messaging limit (broadcasts wait; outcomes go by another channel)."
        )
    }

    /// Takes a place in the portfolio's moving 24 hours for each address about to get a business-initiated message,
    /// within `budget` unique users (`whatsapp_reach_take`, one statement); returns the addresses refused. Nil budget
    /// (an unlimited portfolio): nothing is counted and nothing refused.
    func takeReach(_ addresses: [String], budget: Int?, on connection: Connection) throws -> Set<String> {
        guard let budget, !addresses.isEmpty else { return [] }
        let refused = Set(
            try connection.query(
                "SELECT whatsapp_reach_take($1, $2)", [addresses.map(Self.waID), Int64(budget)]
            ).first?.decode([String].self, at: 0) ?? [])
        guard !refused.isEmpty else { return [] }
        reachRefused.increment(by: Double(refused.count))
        return Set(addresses.filter { refused.contains(Self.waID($0)) })
    }

    /// The WhatsApp id Meta makes of a `to`: its digits, with the business number's country code (91) before a number
    /// written without `+`.
    static func waID(_ address: String) -> String {
        let digits = address.filter { $0.isASCII && $0.isNumber }
        return address.hasPrefix("+") ? digits : "91" + digits
    }

    struct Context {
        var attemptID: Int64, deliveryID: UUID, state: String, decision: String, reasons: [String], language: String,
            isTest: Bool
        var documentID: Int64?, applicationID: String, service: String, mobile: String?, department: String
        /// A journey step's name and facts (decision `step`).
        var step: String? = nil
        var stepDetail: [String: String] = [:]
        /// A digitally signed certificate, sealed: its verification slip follows it as a message of its own.
        var hasSlip = false
    }

    /// The number a department sends from, and its pacing.
    func number(for department: String?) -> String {
        department.flatMap { settings.departmentNumbers[$0] } ?? settings.phoneNumberID
    }
    func pacer(for number: String) -> Pacer { pacers[number] ?? pacer }

    /// Sends one `channel.send` job (the batch path with a batch of one).
    func handle(_ job: ClaimedJob) throws {
        if let error = try handle([job])[job.id] { throw error }
    }

    /// Sends a batch of `channel.send` jobs. One statement marks every attempt as sending and loads it (so a status
    /// webhook that beats the response still finds it; an attempt already handed to Meta or settled is skipped:
    /// never send twice), one statement loads the templates, the messages go to the Cloud API at once, and one
    /// statement keeps their wamids. Returns the jobs that did not complete, each with its error.
    func handle(_ jobs: [ClaimedJob]) throws -> [Int64: any Error] {
        var failures: [Int64: any Error] = [:]
        var attemptOf: [Int64: Int64] = [:]
        for job in jobs {
            do { attemptOf[job.id] = try Jobs.channelSend.payload(of: job).attemptID } catch {
                failures[job.id] = error
            }
        }
        return try pool.withConnection { connection in
            let claimed = try claim(Array(Set(attemptOf.values)), on: connection)
            let templates = try loadTemplates(for: claimed.values.filter(\.claimed).map(\.context), on: connection)
            var outgoing: [(job: ClaimedJob, context: Context, from: String, request: HTTPClientRequest)] = []
            var handedOver: [(attemptID: Int64, providerID: String)] = []
            var refused: [(job: ClaimedJob, context: Context, error: GraphAPIError)] = []
            // The pair limit of every message about to go, one statement per sender number (the buckets are every
            // instance's).
            var pairWait: [Int64: Duration] = [:]
            var goingOut: [String: [(job: Int64, mobile: String)]] = [:]
            for job in jobs {
                guard let attemptID = attemptOf[job.id], let (context, isClaimed) = claimed[attemptID], isClaimed,
                    let mobile = context.mobile, (context.isTest ? settings.testGraphURL : settings.graphURL) != nil
                else { continue }
                goingOut[number(for: context.department), default: []].append((job.id, mobile))
            }
            // The portfolio's messaging limit (only a real delivery counts: test keys go to a test endpoint).
            let overLimit = try takeReach(
                jobs.compactMap { job in
                    attemptOf[job.id].flatMap { claimed[$0] }.flatMap {
                        $0.claimed && !$0.context.isTest ? $0.context.mobile : nil
                    }
                }, budget: settings.messagingLimit, on: connection)
            for (from, messages) in goingOut {
                for (message, wait) in zip(
                    messages, try pacer(for: from).takePairs(messages.map(\.mobile), on: connection))
                {
                    pairWait[message.job] = wait
                }
            }
            for job in jobs {
                guard let attemptID = attemptOf[job.id] else { continue }
                guard let (context, isClaimed) = claimed[attemptID] else {
                    failures[job.id] = JobError.permanent("channel attempt \(attemptID) not found")
                    continue
                }
                guard isClaimed else { continue }
                let from = number(for: context.department)
                do {
                    guard let mobile = context.mobile else {
                        try finish(
                            context, state: .failed, failureKind: "permanent", code: "no_mobile",
                            text: "the citizen has no mobile number", on: connection)
                        outcomes.record("failed", "no_address")
                        continue
                    }
                    guard let base = context.isTest ? settings.testGraphURL : settings.graphURL else {
                        // A test key's delivery with no test endpoint: nothing is sent, and the attempt says so and settles,
                        // so the delivery ends like a real one instead of waiting for a webhook that will never come.
                        try finish(
                            context, state: .skipped, code: "test_key_no_test_endpoint",
                            text:
                                "made with a test API key and no test WhatsApp endpoint is set (DAKIYA_WHATSAPP_TEST_GRAPH_URL): nothing was sent",
                            on: connection)
                        outcomes.record("skipped", "test_endpoint")
                        continue
                    }
                    if !context.isTest, overLimit.contains(mobile) {
                        // A certificate does not wait up to a day for a place: it goes by the citizen's other channel.
                        try finish(
                            context, state: .failed, failureKind: "permanent", code: "messaging_limit",
                            text:
                                "the WhatsApp business portfolio has reached its messaging limit (\(settings.messagingLimit ?? 0) citizens in 24 hours)",
                            on: connection)
                        outcomes.record("failed", "messaging_limit")
                        continue
                    }
                    if let wait = pairWait[job.id] {
                        throw JobError.snooze(wait, "pair limit for this citizen")
                    }
                    let message = try templateMessage(
                        context, to: mobile, from: from, base: base, templates: templates, on: connection)
                    outgoing.append(
                        (
                            job, context, from,
                            try pacedRequest(base + "/\(settings.version)/\(from)/messages", json: message, from: from)
                        ))
                } catch let error as GraphAPIError where error.handling == .permanent {
                    refused.append((job, context, error))
                } catch {
                    failures[job.id] = jobError(for: error, attempt: job.attempt, from: from)
                }
            }
            let responses = outgoing.isEmpty ? [] : try multiClients.with { $0.send(outgoing.map(\.request)) }
            for (item, result) in zip(outgoing, responses) {
                do {
                    handedOver.append((item.context.attemptID, try Self.wamid(from: result.get())))
                    accepted.increment()
                    outcomes.record("accepted")
                } catch let error as GraphAPIError where error.handling == .permanent {
                    refused.append((item.job, item.context, error))
                } catch {
                    failures[item.job.id] = jobError(for: error, attempt: item.job.attempt, from: item.from)
                }
            }
            // The wamids first: from here a failure must not send these messages again. A signed certificate's
            // verification slip is asked for in the same transaction, so it follows every certificate that went out.
            let slips = handedOver.compactMap { sent in
                claimed[sent.attemptID].flatMap { $0.context.hasSlip ? $0.context : nil }
            }
            if slips.isEmpty {
                try ChannelAttempts.recordProviderIDs(handedOver, on: connection)
            } else {
                try connection.transaction { tx in
                    try ChannelAttempts.recordProviderIDs(handedOver, on: tx)
                    _ = try queue.enqueue(
                        try slips.map {
                            try Jobs.verificationSlip.job(
                                ChannelSend(attemptID: $0.attemptID, deliveryID: $0.deliveryID, isTest: $0.isTest),
                                uniqueKey: UniqueKeys.slip($0.attemptID))
                        }, on: tx)
                }
            }
            for refusal in refused {
                failed.increment()
                outcomes.record("failed", refusal.error.errorClass)
                logger.warning(
                    "WhatsApp refused the message for good",
                    [
                        "attempt.id": String(refusal.context.attemptID),
                        "whatsapp.error_code": String(refusal.error.code),
                    ])
                do {
                    try finish(
                        refusal.context, state: .failed, failureKind: "permanent", code: String(refusal.error.code),
                        text: refusal.error.message, on: connection)
                } catch {
                    failures[refusal.job.id] = error
                }
            }
            return failures
        }
    }

    /// A free-form text inside the citizen's open window (confirmations and conversation replies). It takes the
    /// citizen's pair token first, as outcomes do: a conversation of quick turns (a search, its list, the chosen
    /// service, its Flow) is put off here rather than sent into Meta's 131056, whose retries came back out of order.
    func reply(_ job: ClaimedJob) throws {
        let reply = try Jobs.conversationReply.payload(of: job)
        // the number the citizen wrote to
        let from = reply.from.flatMap { pacers[$0] == nil ? nil : $0 } ?? settings.phoneNumberID
        if let wait = try pool.withConnection({ try pacer(for: from).takePairs([reply.to], on: $0) }).first ?? nil {
            throw JobError.snooze(wait, "pair limit for this citizen")
        }
        _ = try send(try reply.message.json(), from: from, base: settings.graphURL, attempt: job.attempt)
    }

    /// Posts one message from `from` to the Graph endpoint `base` (paced) and returns its wamid; a failure comes back
    /// as what the queue should do with the job (`jobError`).
    func send(_ json: String, from: String, base: String, attempt: Int16) throws -> String {
        do {
            return try post(base + "/\(settings.version)/\(from)/messages", json: json, from: from)
        } catch {
            throw jobError(for: error, attempt: attempt, from: from)
        }
    }

    /// Sends a certificate already delivered to this number again, as a document message inside the open window (and
    /// a digitally signed certificate's verification slip after it).
    func resend(_ job: ClaimedJob) throws {
        let request = try Jobs.certificateResend.payload(of: job)
        let from = request.from.flatMap { pacers[$0] == nil ? nil : $0 } ?? settings.phoneNumberID
        try pool.withConnection { connection in
            guard
                let row = try connection.query(
                    """
                    SELECT d.document_id, coalesce(d.document_file_name, doc.file_name), s.slip_document_id, slip.file_name
                    FROM deliveries d JOIN documents doc ON doc.id = d.document_id
                    LEFT JOIN certificate_seals s ON s.delivery_id = d.id LEFT JOIN documents slip ON slip.id = s.slip_document_id
                    WHERE d.id = $1
                    """,
                    [request.deliveryID]
                ).first
            else { throw JobError.permanent("delivery not found") }
            // The certificate, and a digitally signed one's verification slip after it.
            var documents = [(try row.decode(Int64.self, at: 0), try row.decode(String.self, at: 1))]
            if let slip = try row.decode(Int64?.self, at: 2), let name = try row.decode(String?.self, at: 3) {
                documents.append((slip, name))
            }
            // A pair token for each document before either goes: a job that sent one and then met the pair limit
            // would send that one again when it runs again.
            let waits = try pacer(for: from).takePairs(documents.map { _ in request.to }, on: connection)
            if let wait = waits.compactMap({ $0 }).max() {
                throw JobError.snooze(wait, "pair limit for this citizen")
            }
            for (documentID, fileName) in documents {
                let mediaID = try mediaID(for: documentID, from: from, base: settings.graphURL, on: connection)
                let body = try GraphMessage.document(
                    to: request.to, GraphMessage.Media(id: mediaID, filename: fileName)
                ).json()
                _ = try send(body, from: from, base: settings.graphURL, attempt: job.attempt)
            }
        }
    }

    /// Sends the verification slip of a digitally signed certificate that went out on an attempt: the
    /// `verification_slip` template, the slip as its document header, the certificate id and the verification
    /// address as its text. Once per attempt: the wamid is kept, and a slip already sent is not sent again.
    func sendSlip(_ job: ClaimedJob) throws {
        let request = try Jobs.verificationSlip.payload(of: job)
        try pool.withConnection { connection in
            guard
                let row = try connection.query(
                    """
                    SELECT c.mobile, d.language, a.department, s.certificate_id, s.verification_url, s.slip_document_id,
                           slip.file_name, t.name, EXISTS (SELECT 1 FROM whatsapp_slip_sends w WHERE w.attempt_id = ca.id)
                    FROM channel_attempts ca JOIN deliveries d ON d.id = ca.delivery_id
                    JOIN applications a ON a.id = d.application_id JOIN citizens c ON c.id = a.citizen_id
                    JOIN certificate_seals s ON s.delivery_id = d.id JOIN documents slip ON slip.id = s.slip_document_id
                    LEFT JOIN whatsapp_templates t ON t.kind = 'verification_slip' AND t.language = d.language
                    WHERE ca.id = $1 AND ca.channel = 'whatsapp'
                    """, [request.attemptID]
                ).first
            else { throw JobError.permanent("no verification slip for attempt \(request.attemptID)") }
            guard try !row.decode(Bool.self, at: 8) else { return }  // sent before: never twice
            guard let mobile = try row.decode(String?.self, at: 0) else {
                throw JobError.permanent("the citizen has no mobile number")
            }
            let language = try row.decode(String.self, at: 1)
            guard let template = try row.decode(String?.self, at: 7) else {
                throw JobError.permanent("no WhatsApp template registered for verification_slip in \(language)")
            }
            let from = number(for: try row.decode(String.self, at: 2))
            guard let base = request.isTest ? settings.testGraphURL : settings.graphURL else { return }
            if let wait = try pacer(for: from).takePairs([mobile], on: connection).first ?? nil {
                throw JobError.snooze(wait, "pair limit for this citizen")
            }
            let certificateID = try row.decode(String.self, at: 3)
            let mediaID = try mediaID(for: try row.decode(Int64.self, at: 5), from: from, base: base, on: connection)
            let body = try GraphMessage.template(
                to: mobile,
                GraphMessage.Template(
                    name: template, language: language,
                    components: [
                        .init(
                            type: "header",
                            parameters: [
                                .document(GraphMessage.Media(id: mediaID, filename: try row.decode(String.self, at: 6)))
                            ]),
                        .init(
                            type: "body",
                            parameters: [certificateID, try row.decode(String?.self, at: 4) ?? certificateID].map {
                                .text(Self.cleanParameter($0))
                            }),
                    ]), callbackData: "slip:\(request.attemptID)"
            ).json()
            let wamid = try send(body, from: from, base: base, attempt: job.attempt)
            try connection.query(
                "INSERT INTO whatsapp_slip_sends (attempt_id, wamid) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                [request.attemptID, wamid])
        }
    }

    /// What the queue should do after a Graph API or transport failure: the one place that maps Meta's
    /// `error.code` classes to snooze, back-off, pause or retry (a permanent refusal of an outcome is settled by the caller).
    func jobError(for error: any Error, attempt: Int16, from number: String? = nil) -> any Error {
        if let error = error as? JobError { return error }
        if let error = error as? HTTPClientError {
            outcomes.record("retried", "transport")
            return JobError.retryable("Graph API not reachable: \(error.code)", code: error.code.rawValue)
        }
        guard let error = error as? GraphAPIError else { return error }
        let code = String(error.code)
        let outcome =
            switch error.handling {
            case .snoozeSender, .snoozeRecipient: "throttled"
            case .permanent: "failed"
            case .configuration: "held"
            case .retryable: "retried"
            }
        outcomes.record(outcome, error.errorClass)
        switch error.handling {
        case .snoozeSender(let delay):
            // the whole number slows down, not just this message
            pacer(for: number ?? settings.phoneNumberID).sender.drain(seconds: delay.seconds)
            return JobError.snooze(delay, "throughput limit (\(code))")
        case .snoozeRecipient:
            return JobError.snooze(
                .seconds(Int64(min(4096, pow(4, Double(max(1, Int(attempt))))))), "pair rate limit (131056)")
        case .permanent:
            failed.increment()
            return JobError.permanent("WhatsApp refused the message (\(code))", code: code)
        case .configuration where error.code == 190 && fallBackToPreviousToken(for: number ?? settings.phoneNumberID):
            return JobError.snooze(.milliseconds(100), "access token refused; trying the previous token")
        case .configuration:
            paused.increment()
            logger.error(
                "WhatsApp configuration problem: sending waits until it is fixed",
                ["whatsapp.error_code": code, "whatsapp.phone_number_id": number ?? settings.phoneNumberID])
            return JobError.snooze(.seconds(60), "configuration (\(code))")
        case .retryable:
            return JobError.retryable("Graph API error \(code)", code: code)
        }
    }

    /// Marks the attempts as sending when they are queued, or sending without a wamid (a run cut short before Meta
    /// answered), and loads what the messages need, in one statement. An attempt that does not exist is missing
    /// from the result; `claimed` is false for one already handed over or settled.
    func claim(_ attemptIDs: [Int64], on connection: Connection) throws -> [Int64: (context: Context, claimed: Bool)] {
        var claimed: [Int64: (context: Context, claimed: Bool)] = [:]
        guard !attemptIDs.isEmpty else { return claimed }
        for row in try connection.query(
            """
            WITH marked AS (\(ChannelAttempts.markSendingStatement(ids: "$1", channel: .whatsapp)))
            SELECT ca.id AS attempt_id, ca.delivery_id, ca.state, d.decision, d.reasons, d.language, d.is_test, d.document_id,
                   a.portal_application_id AS application_id, service_name(a.service_code, d.language) AS service, c.mobile,
                   a.department, d.step, d.step_detail, ca.id IN (SELECT id FROM marked) AS claimed,
                   EXISTS (SELECT 1 FROM certificate_seals s WHERE s.delivery_id = d.id AND s.slip_document_id IS NOT NULL) AS has_slip
            FROM channel_attempts ca JOIN deliveries d ON d.id = ca.delivery_id JOIN applications a ON a.id = d.application_id
            JOIN citizens c ON c.id = a.citizen_id
            WHERE ca.id = ANY($1) AND ca.channel = 'whatsapp'
            """, [attemptIDs]
        ).rows {
            var context = Context(
                attemptID: try row.decode(Int64.self, "attempt_id"),
                deliveryID: try row.decode(UUID.self, "delivery_id"),
                state: try row.decode(String.self, "state"), decision: try row.decode(String.self, "decision"),
                reasons: try row.decode([String].self, "reasons"), language: try row.decode(String.self, "language"),
                isTest: try row.decode(Bool.self, "is_test"), documentID: try row.decode(Int64?.self, "document_id"),
                applicationID: try row.decode(String.self, "application_id"),
                service: try row.decode(String.self, "service"), mobile: try row.decode(String?.self, "mobile"),
                department: try row.decode(String.self, "department"), hasSlip: try row.decode(Bool.self, "has_slip"))
            context.step = try row.decode(String?.self, "step")
            context.stepDetail = try row.decode(PostgresJSON?.self, "step_detail")?.decode([String: String].self) ?? [:]
            claimed[context.attemptID] = (context, try row.decode(Bool.self, "claimed"))
        }
        return claimed
    }

    /// A registered template: its name, parameter count, whether it has a document header, and its quick-reply buttons.
    struct Template {
        var name: String
        var bodyParameters: Int
        var documentHeader: Bool
        var quickReplyButtons: Int
    }

    /// Which template an outcome goes out as.
    static func templateKind(for context: Context) -> String {
        switch context.decision {
        case "step": "step_" + (context.step ?? "")
        case "rejected", "other": context.decision
        case "appeal": context.documentID != nil ? "appeal_order" : "appeal"
        default: context.documentID != nil ? "certificate_issued" : "approved"
        }
    }

    /// The templates these outcomes need, by kind and language, in one statement.
    func loadTemplates(for contexts: [Context], on connection: Connection) throws -> [String: Template] {
        let keys = Array(Set(contexts.map { Self.templateKind(for: $0) + ":" + $0.language }))
        guard !keys.isEmpty else { return [:] }
        var templates: [String: Template] = [:]
        for row in try connection.query(
            """
            SELECT kind || ':' || language, name, body_parameters, document_header, quick_reply_buttons FROM whatsapp_templates
            WHERE kind || ':' || language = ANY($1)
            """, [keys]
        ).rows {
            templates[try row.decode(String.self, at: 0)] = Template(
                name: try row.decode(String.self, at: 1), bodyParameters: try row.decode(Int.self, at: 2),
                documentHeader: try row.decode(Bool.self, at: 3), quickReplyButtons: try row.decode(Int.self, at: 4))
        }
        return templates
    }

    /// The template message for this outcome; uploads the certificate once per number and reuses the media id for 29 days.
    func templateMessage(
        _ context: Context, to mobile: String, from: String? = nil, base: String, templates: [String: Template],
        on connection: Connection
    ) throws -> String {
        let kind = Self.templateKind(for: context)
        guard let template = templates[kind + ":" + context.language] else {
            throw GraphAPIError(
                code: 132001, message: "no WhatsApp template registered for \(kind) in \(context.language)",
                httpStatus: 0)
        }
        var values = [context.applicationID, context.service]
        if let step = context.step.flatMap(JourneyStep.init(rawValue:)) {
            values += step.parameterNames.map { context.stepDetail[$0] ?? "" }
        } else if kind != "approved" && kind != "certificate_issued" {
            values.append(context.reasons.joined(separator: "; "))
        }
        guard values.count == template.bodyParameters else {
            throw GraphAPIError(
                code: 132000, message: "template \(template.name) expects \(template.bodyParameters) parameters",
                httpStatus: 0)
        }
        var components: [GraphMessage.Template.Component] = []
        if template.documentHeader, let documentID = context.documentID {
            let mediaID = try mediaID(for: documentID, from: from ?? settings.phoneNumberID, base: base, on: connection)
            // The name the department gave this delivery's certificate (the same bytes may have gone out under another name).
            let fileName =
                try connection.query(
                    """
                    SELECT coalesce(d.document_file_name, doc.file_name) FROM deliveries d JOIN documents doc ON doc.id = d.document_id WHERE d.id = $1
                    """, [context.deliveryID]
                ).first?.decode(String.self, at: 0) ?? "certificate.pdf"
            components.append(
                .init(type: "header", parameters: [.document(GraphMessage.Media(id: mediaID, filename: fileName))]))
        }
        components.append(.init(type: "body", parameters: values.map { .text(Self.cleanParameter($0)) }))
        if kind == "rejected", template.quickReplyButtons > 0 {
            // The rejection's "File an appeal" button: its payload brings the citizen straight to the appeal steps.
            components.append(.quickReply(index: 0, payload: "appeal:" + context.applicationID))
        }
        if kind == "step_documents_needed", template.quickReplyButtons > 0 {
            // "Send documents": its payload names the shortfall's step, so the chat knows which request it answers.
            components.append(.quickReply(index: 0, payload: "shortfall:" + context.deliveryID.uuidString.lowercased()))
        }
        return try GraphMessage.template(
            to: mobile, GraphMessage.Template(name: template.name, language: context.language, components: components),
            callbackData: "attempt:\(context.attemptID)"
        ).json()
    }

    /// Meta refuses parameters with line breaks, tabs, runs of more than four spaces, or nothing in them.
    static func cleanParameter(_ text: String) -> String {
        var out = ""
        var spaces = 0
        for character in text {
            let mapped: Character = character.isNewline || character == "\t" ? " " : character
            if mapped == " " {
                spaces += 1
                if spaces > 4 { continue }
            } else {
                spaces = 0
            }
            out.append(mapped)
        }
        let trimmed = out.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? "-" : String(trimmed.prefix(1000))
    }

    /// The media id of a document uploaded from `from` to the Graph endpoint `base` (media ids belong to the number
    /// and the endpoint that received the upload: a test endpoint's id is never sent live).
    func mediaID(for documentID: Int64, from: String, base: String, on connection: Connection) throws -> String {
        if let cached = try connection.query(
            """
            SELECT media_id FROM whatsapp_media
            WHERE document_id = $1 AND graph_url = $3 AND phone_number_id = $2 AND uploaded_at > now() - interval '29 days'
            """, [documentID, from, base]
        ).first {
            return try cached.decode(String.self, at: 0)
        }
        guard
            let document = try connection.query(
                "SELECT file_name, media_type, content FROM documents WHERE id = $1 AND purged_at IS NULL", [documentID]
            ).first
        else {
            throw GraphAPIError(code: 131053, message: "the certificate is no longer kept", httpStatus: 0)
        }
        let response = try clients.with { client in
            try client.send(
                HTTPClientRequest(
                    method: "POST", url: base + "/\(settings.version)/\(from)/media",
                    headers: [("Authorization", "Bearer \(token(for: from))")],
                    body: .multipart([
                        MultipartPart(name: "messaging_product", value: "whatsapp"),
                        MultipartPart(name: "type", value: try document.decode(String.self, at: 1)),
                        MultipartPart(
                            name: "file", data: try document.decode(PostgresBytes.self, at: 2).bytes,
                            filename: try document.decode(String.self, at: 0),
                            contentType: try document.decode(String.self, at: 1)),
                    ])))
        }
        struct Uploaded: Decodable { var id: String }
        guard response.status == 200, let uploaded = try? JSONDecoder().decode(Uploaded.self, from: Data(response.body))
        else { throw Self.graphError(response) }
        try connection.query(
            """
            INSERT INTO whatsapp_media (document_id, phone_number_id, media_id, graph_url) VALUES ($1, $2, $3, $4)
            ON CONFLICT (document_id, graph_url, phone_number_id) DO UPDATE SET media_id = excluded.media_id, uploaded_at = now()
            """, [documentID, from, uploaded.id, base])
        return uploaded.id
    }

    /// The token a request from `number` carries: the current one, or, for ten minutes after Meta refused it (190)
    /// while a previous token is configured, the previous one (a changeover whose new token is not in force yet).
    func token(for number: String) -> String {
        let tokens = settings.tokens(for: number)
        guard let previous = tokens.previous,
            let until = tokenFallback.withLock({ $0[number] }), Timestamp.nowMicroseconds() < until
        else { return tokens.current }
        return previous
    }

    /// After a 190 (the token is not valid): true when the number now falls back to its previous token, so the job
    /// is tried again at once instead of waiting for an operator.
    func fallBackToPreviousToken(for number: String) -> Bool {
        guard settings.tokens(for: number).previous != nil else { return false }
        let now = Timestamp.nowMicroseconds()
        let switched = tokenFallback.withLock { fallback -> Bool in
            if let until = fallback[number], now < until { return false }  // the previous token was refused too
            fallback[number] = now + 600 * 1_000_000
            return true
        }
        if switched {
            logger.warning(
                "WhatsApp refused the current access token (190): sending with the previous token for 10 minutes",
                ["whatsapp.phone_number_id": number])
        }
        return switched
    }

    func post(_ url: String, json: String, from number: String) throws -> String {
        let request = try pacedRequest(url, json: json, from: number)
        return try Self.wamid(from: try clients.with { try $0.send(request) })
    }

    /// A Graph API request from `number`, once the number's throughput allows it (else the job is snoozed).
    func pacedRequest(_ url: String, json: String, from number: String) throws -> HTTPClientRequest {
        guard pacer(for: number).waitForSender() else { throw JobError.snooze(.milliseconds(500), "sender throughput") }
        return .json("POST", url, body: json, headers: [("Authorization", "Bearer \(token(for: number))")])
    }

    /// The wamid of a message the Cloud API accepted, or its error.
    static func wamid(from response: HTTPClientResponse) throws -> String { try accepted(response).wamid }

    /// The wamid of a message the Cloud API accepted and whether template pacing holds it
    /// (`message_status` `held_for_quality_assessment`), or its error.
    static func accepted(_ response: HTTPClientResponse) throws -> (wamid: String, held: Bool) {
        struct Accepted: Decodable {
            struct Message: Decodable {
                var id: String
                var messageStatus: String?
                enum CodingKeys: String, CodingKey { case id, messageStatus = "message_status" }
            }
            var messages: [Message]
        }
        guard response.status == 200,
            let message = (try? JSONDecoder().decode(Accepted.self, from: Data(response.body)))?.messages.first
        else {
            throw graphError(response)
        }
        return (message.id, message.messageStatus == "held_for_quality_assessment")
    }

    static func graphError(_ response: HTTPClientResponse) -> GraphAPIError {
        struct Body: Decodable { struct Inner: Decodable { var code: Int; var message: String }; var error: Inner }
        guard let body = try? JSONDecoder().decode(Body.self, from: Data(response.body)) else {
            return GraphAPIError(
                code: response.status >= 500 ? 131000 : -1, message: "HTTP \(response.status) without an error object",
                httpStatus: response.status)
        }
        return GraphAPIError(code: body.error.code, message: body.error.message, httpStatus: response.status)
    }

    func finish(
        _ context: Context, state: AttemptState, failureKind: String? = nil, code: String? = nil, text: String? = nil,
        on connection: Connection
    ) throws {
        try ChannelAttempts.finish(
            attemptID: context.attemptID, deliveryID: context.deliveryID, state: state, failureKind: failureKind,
            code: code, text: text, queue: queue, on: connection)
    }
}
