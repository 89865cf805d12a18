import Cryptography
import Delivery
import Email
import Foundation
import JobContracts
import JobQueue
import Postgres
import ServiceRuntime
import HTTPClient

extension EmailSender {
    /// Sends the rating question of a `rating.ask_email` job: the `rating` email template in the citizen's language
    /// with five links (1 to 5) to the answer page, each carrying the question's token (a new random token a try,
    /// kept as its SHA-256 only). Sent once: a question the relay accepted (its Message-ID kept) is not sent again.
    func askRating(_ job: ClaimedJob) throws {
        let request = try Jobs.ratingAskEmail.payload(of: job)
        try pool.withConnection { connection in
            guard
                let row = try connection.query(
                    """
                    SELECT r.email, r.language, r.department, a.portal_application_id, service_name(r.service_code, r.language),
                           r.office_code, dp.name, dp.email_from, dp.email_reply_to, r.ask_message_id IS NOT NULL, r.is_test
                    FROM service_ratings r JOIN applications a ON a.id = r.application_id JOIN departments dp ON dp.code = r.department
                    WHERE r.id = $1 AND r.channel = 'email'
                    """, [request.ratingID]
                ).first
            else { throw JobError.permanent("no email rating question \(request.ratingID)") }
            guard try !row.decode(Bool.self, at: 9) else { return }  // asked before: never twice
            let recipient = try row.decode(String.self, at: 0)
            let language = try row.decode(String.self, at: 1)
            let token = try SecureRandom.token()
            try connection.query(
                "UPDATE service_ratings SET token_sha256 = $2 WHERE id = $1 AND ask_message_id IS NULL",
                [request.ratingID, PostgresBytes(SHA256.hash(Array(token.utf8)))])
            var values = TemplateValues(
                applicationID: try row.decode(String.self, at: 3), service: try row.decode(String.self, at: 4),
                office: try row.decode(String.self, at: 5), department: try row.decode(String.self, at: 6),
                reasons: [], appealURL: "")
            values.links = (1...5).reversed().map { stars in
                (
                    String(repeating: "★", count: stars) + String(repeating: "☆", count: 5 - stars) + " \(stars)",
                    settings.ratingURL + "/" + token + "?stars=\(stars)"
                )
            }
            let rendered: RenderedMessage
            do {
                rendered = try templates.render(
                    kind: "rating", channel: "email", language: language,
                    department: try row.decode(String.self, at: 2),
                    values: values, on: connection)
            } catch let missing as TemplateMissing {
                throw JobError.permanent(missing.description)
            }
            let messageID = "rating-\(request.ratingID)@dakiya.local"
            let mail = MailMessage(
                from: MailMessage.Address(
                    try row.decode(String?.self, at: 7) ?? settings.defaultFrom,
                    name: try row.decode(String.self, at: 6)),
                to: MailMessage.Address(recipient),
                replyTo: try row.decode(String?.self, at: 8).map { MailMessage.Address($0) },
                subject: rendered.subject, text: rendered.text, html: rendered.html, attachments: [],
                messageID: messageID)
            let smtp = try row.decode(Bool.self, at: 10) ? testClients : clients
            do {
                if let smtp {
                    try smtp.with {
                        try $0.send(from: mail.from.email, to: [recipient], message: MailComposer.compose(mail))
                    }
                }
            } catch let error as SMTPError {
                throw JobError.retryable("SMTP: \(error.message)", code: "smtp_\(error.replyCode)")
            }
            try connection.query(
                "UPDATE service_ratings SET ask_message_id = $2 WHERE id = $1 AND ask_message_id IS NULL",
                [request.ratingID, messageID])
        }
    }
}
