import Delivery
import Email
import Foundation
import HTTPClient
import JobContracts
import JobQueue
import Postgres
import ServiceRuntime
import Texts

/// Email settings, validated at start.
struct EmailSettings: Sendable {
    var smtp: SMTPConfiguration
    /// Where deliveries made with test API keys go; nil: they are not sent at all (recorded as sent to the test sink).
    var testSMTP: SMTPConfiguration?
    var defaultFrom: String
    /// `{application_id}` is replaced; the rejection email links here for the appeal.
    var appealURL: String
    /// The rating page of the portal-adapter: the question's links are `<ratingURL>/<token>?stars=<n>`.
    var ratingURL: String = "http://127.0.0.1:8080/rate"

    static func load(_ settings: Settings) throws(SettingError) -> EmailSettings {
        let mode =
            SMTPTLSMode(
                rawValue: try settings.choice(
                    "DAKIYA_SMTP_TLS", default: "required", from: SMTPTLSMode.allCases.map(\.rawValue))) ?? .required
        let timeout = try settings.seconds("DAKIYA_SMTP_TIMEOUT_SECONDS", default: 30, in: 1...600)
        func url(_ name: String, default value: String?) throws(SettingError) -> String? {
            guard let url = settings.optionalString(name) ?? value else { return nil }
            guard url.hasPrefix("smtp://") || url.hasPrefix("smtps://") else {
                throw SettingError(name: name, problem: "expected an smtp:// or smtps:// URL")
            }
            return url
        }
        let main = try url("DAKIYA_SMTP_URL", default: "smtp://127.0.0.1:8025") ?? ""
        let smtp = SMTPConfiguration(
            url: main, tlsMode: mode, username: settings.optionalString("DAKIYA_SMTP_USERNAME"),
            password: settings.optionalString("DAKIYA_SMTP_PASSWORD"),
            caFile: settings.optionalString("DAKIYA_SMTP_CA_FILE"),
            timeout: timeout)
        var test: SMTPConfiguration?
        if let testURL = try url("DAKIYA_SMTP_TEST_URL", default: nil) {
            test = SMTPConfiguration(url: testURL, tlsMode: mode, caFile: smtp.caFile, timeout: timeout)
        }
        let from = try settings.string("DAKIYA_EMAIL_FROM", default: "no-reply@dakiya.local")
        guard Normalization.email(from) != nil else {
            throw SettingError(name: "DAKIYA_EMAIL_FROM", problem: "expected an email address")
        }
        var loaded = EmailSettings(
            smtp: smtp, testSMTP: test, defaultFrom: from,
            appealURL: try settings.string(
                "DAKIYA_APPEAL_URL", default: "https://aaplesarkar.example.gov.in/appeal?application={application_id}"))
        let rating = try settings.string("DAKIYA_RATING_URL", default: "http://127.0.0.1:8080/rate")
        guard rating.hasPrefix("https://") || rating.hasPrefix("http://"), !rating.hasSuffix("/") else {
            throw SettingError(
                name: "DAKIYA_RATING_URL", problem: "expected the portal-adapter's rating page, https://…/rate")
        }
        loaded.ratingURL = rating
        return loaded
    }
}

/// Sends one email channel attempt. At-least-once jobs, at-most-once email per attempt: an attempt already
/// sent (or failed, or skipped) is never sent again; the Message-ID is derived from the attempt, so even a
/// crash between the SMTP acceptance and our commit gives the receiving server the same id twice.
final class EmailSender: Sendable {
    let pool: ConnectionPool
    let queue: JobQueue
    let settings: EmailSettings
    let templates: TemplateStore
    let logger: Logger
    /// One pool per SMTP server (the real one, and the test sink for test-key deliveries).
    let clients: ReusePool<SMTPClient>
    let testClients: ReusePool<SMTPClient>?
    let sent, failed, paused: Counter
    let outcomes: ChannelOutcomes

    init(pool: ConnectionPool, queue: JobQueue, settings: EmailSettings, logger: Logger, metrics: MetricsRegistry) {
        self.pool = pool
        self.queue = queue
        self.settings = settings
        self.templates = TemplateStore(logger: logger)
        self.logger = logger
        clients = ReusePool { try SMTPClient(configuration: settings.smtp) }
        testClients = settings.testSMTP.map { test in ReusePool { try SMTPClient(configuration: test) } }
        outcomes = ChannelOutcomes(channel: "email", metrics: metrics)
        sent = metrics.counter("dakiya_email_sent_total", help: "Emails accepted by the SMTP server.")
        failed = metrics.counter("dakiya_email_failed_total", help: "Emails refused for good (SMTP 5xx).")
        paused = metrics.counter(
            "dakiya_email_configuration_errors_total", help: "Sends put off because of an SMTP setting (auth, TLS).")
    }

    struct Context {
        var attemptID: Int64
        var deliveryID: UUID
        var state: String
        var decision: String
        /// A journey step's name and facts (decision `step`).
        var step: String? = nil
        var stepDetail: [String: String] = [:]
        var reasons: [String]
        var language: String
        var isTest: Bool
        var documentID: Int64?
        var applicationID: String
        var service: String
        var office: String
        var department: String
        var departmentName: String
        var emailFrom: String?
        var replyTo: String?
        var recipient: String?
    }

    func handle(_ job: ClaimedJob) throws {
        let request = try Jobs.channelSend.payload(of: job)
        try pool.withConnection { connection in
            guard let context = try load(request.attemptID, on: connection) else {
                throw JobError.permanent("channel attempt \(request.attemptID) not found")
            }
            guard ["queued", "sending"].contains(context.state) else { return }  // already settled: never send twice
            guard let recipient = context.recipient else {
                try finish(
                    context, state: .failed, failureKind: "permanent", code: "no_email",
                    text: "the citizen has no email address", on: connection)
                outcomes.record("failed", "no_address")
                return
            }
            guard try ChannelAttempts.markSending(attemptID: context.attemptID, channel: .email, on: connection) else {
                return  // handed over or finished meanwhile: never send twice
            }
            let message = try compose(context, recipient: recipient, on: connection)
            let messageID = message.messageID
            do {
                let pool = context.isTest ? testClients : clients
                if let pool {
                    try pool.with {
                        try $0.send(from: message.from.email, to: [recipient], message: MailComposer.compose(message))
                    }
                }
                try finish(
                    context, state: .sent, providerID: pool == nil ? "test-sink:" + messageID : messageID,
                    on: connection)
                sent.increment()
                outcomes.record("accepted")
            } catch let error as SMTPError {
                let attemptLogger = logger.with([
                    "delivery.id": context.deliveryID.uuidString.lowercased(), "attempt.id": String(context.attemptID),
                    "smtp.reply": String(error.replyCode),
                ])
                switch error.kind {
                case .permanent:
                    failed.increment()
                    outcomes.record("failed", "smtp_permanent")
                    attemptLogger.warning("email refused for good", ["error": error.message])
                    try finish(
                        context, state: .failed, failureKind: "permanent", code: "smtp_\(error.replyCode)",
                        text: error.message, on: connection)
                case .temporary:
                    if job.attempt >= job.maxAttempts {
                        try finish(
                            context, state: .failed, failureKind: "temporary", code: "smtp_\(error.replyCode)",
                            text: error.message, on: connection)
                        outcomes.record("failed", "smtp_temporary")
                        return
                    }
                    outcomes.record("retried", "smtp_temporary")
                    throw JobError.retryable(
                        "SMTP temporary failure: \(error.message)", code: "smtp_\(error.replyCode)")
                case .configuration:
                    paused.increment()
                    outcomes.record("held", "configuration")
                    attemptLogger.error("SMTP setting problem: emails wait until it is fixed", ["error": error.message])
                    throw JobError.snooze(.seconds(60), "SMTP configuration: \(error.message)")
                }
            }
        }
    }

    func load(_ attemptID: Int64, on connection: Connection) throws -> Context? {
        guard
            let row = try connection.query(
                """
                SELECT ca.id, ca.delivery_id, ca.state, d.decision, d.reasons, d.language, d.is_test, d.document_id,
                       a.portal_application_id, service_name(a.service_code, d.language), a.office_code, a.department, dp.name, dp.email_from, dp.email_reply_to, c.email,
                       d.step, d.step_detail
                FROM channel_attempts ca JOIN deliveries d ON d.id = ca.delivery_id JOIN applications a ON a.id = d.application_id
                JOIN departments dp ON dp.code = a.department JOIN citizens c ON c.id = a.citizen_id
                WHERE ca.id = $1 AND ca.channel = 'email'
                """, [attemptID]
            ).first
        else { return nil }
        var context = Context(
            attemptID: try row.decode(Int64.self, at: 0), deliveryID: try row.decode(UUID.self, at: 1),
            state: try row.decode(String.self, at: 2),
            decision: try row.decode(String.self, at: 3), reasons: try row.decode([String].self, at: 4),
            language: try row.decode(String.self, at: 5),
            isTest: try row.decode(Bool.self, at: 6), documentID: try row.decode(Int64?.self, at: 7),
            applicationID: try row.decode(String.self, at: 8),
            service: try row.decode(String.self, at: 9), office: try row.decode(String.self, at: 10),
            department: try row.decode(String.self, at: 11),
            departmentName: try row.decode(String.self, at: 12), emailFrom: try row.decode(String?.self, at: 13),
            replyTo: try row.decode(String?.self, at: 14), recipient: try row.decode(String?.self, at: 15))
        context.step = try row.decode(String?.self, at: 16)
        context.stepDetail = try row.decode(PostgresJSON?.self, at: 17)?.decode([String: String].self) ?? [:]
        return context
    }

    func compose(_ context: Context, recipient: String, on connection: Connection) throws -> MailMessage {
        var attachments: [MailMessage.Attachment] = []
        var verification: (url: String, signed: Bool)?
        if context.documentID != nil,
            let document = try connection.query(
                """
                SELECT coalesce(d.document_file_name, doc.file_name), doc.media_type, doc.content,
                       s.verification_url, s.signed_original, slip.file_name, slip.content
                FROM deliveries d JOIN documents doc ON doc.id = d.document_id
                LEFT JOIN certificate_seals s ON s.delivery_id = d.id
                LEFT JOIN documents slip ON slip.id = s.slip_document_id AND slip.purged_at IS NULL
                WHERE d.id = $1
                """, [context.deliveryID]
            ).first
        {
            attachments.append(
                MailMessage.Attachment(
                    fileName: try document.decode(String.self, at: 0),
                    mediaType: try document.decode(String.self, at: 1),
                    bytes: try document.decode(PostgresBytes.self, at: 2).bytes))
            // A digitally signed certificate comes unchanged: its seal travels beside it, on the verification slip.
            if let slipName = try document.decode(String?.self, at: 5) {
                attachments.append(
                    MailMessage.Attachment(
                        fileName: slipName, mediaType: "application/pdf",
                        bytes: try document.decode(PostgresBytes.self, at: 6).bytes))
            }
            if let url = try document.decode(String?.self, at: 3) {
                verification = (url, try document.decode(Bool.self, at: 4))
            }
        }
        let kind =
            context.decision == "step"
            ? "step_" + (context.step ?? "")
            : ["rejected", "other", "appeal"].contains(context.decision)
                ? context.decision : attachments.isEmpty ? "approved" : "certificate_issued"
        var values = TemplateValues(
            applicationID: context.applicationID, service: context.service, office: context.office,
            department: context.departmentName, reasons: context.reasons,
            appealURL: settings.appealURL.replacingOccurrences(
                of: "{application_id}",
                with: context.applicationID.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)
                    ?? context.applicationID))
        values.extra = context.stepDetail
        let rendered: RenderedMessage
        do {
            rendered = try templates.render(
                kind: kind, channel: "email", language: context.language, department: context.department,
                values: values, on: connection)
        } catch let missing as TemplateMissing {
            throw JobError.permanent(missing.description)
        }
        var text = rendered.text, html = rendered.html
        if let verification {
            // Where to check the certificate: the address its QR holds, as a line of text and a link.
            let line = (verification.signed ? SealTexts.signed : SealTexts.stamped)(
                rendered.language, ["url": verification.url])
            text += "\n\n" + line + "\n"
            let escapedURL = TemplateStore.escapeHTML(verification.url)
            let paragraph =
                "<p>"
                + TemplateStore.escapeHTML(line).replacingOccurrences(
                    of: escapedURL, with: "<a href=\"\(escapedURL)\">\(escapedURL)</a>") + "</p>\n"
            if let end = html.range(of: "</body>", options: .backwards) {
                html.insert(contentsOf: paragraph, at: end.lowerBound)
            } else {
                html += paragraph
            }
        }
        let messageID =
            "attempt-\(context.attemptID).\(context.deliveryID.uuidString.lowercased().prefix(8))@dakiya.local"
        return MailMessage(
            from: MailMessage.Address(context.emailFrom ?? settings.defaultFrom, name: context.departmentName),
            to: MailMessage.Address(recipient), replyTo: context.replyTo.map { MailMessage.Address($0) },
            subject: rendered.subject, text: text, html: html, attachments: attachments,
            messageID: messageID)
    }

    /// Records the final state and tells the dispatcher, in one transaction.
    func finish(
        _ context: Context, state: AttemptState, providerID: String? = nil, failureKind: String? = nil,
        code: String? = nil,
        text: String? = nil,
        on connection: Connection
    ) throws {
        try ChannelAttempts.finish(
            attemptID: context.attemptID, deliveryID: context.deliveryID, state: state, providerID: providerID,
            failureKind: failureKind, code: code, text: text, queue: queue, on: connection)
    }
}
