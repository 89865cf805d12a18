import Broadcasts
import Email
import HTTPClient
import Foundation
import JobContracts
import JobQueue
import Postgres

extension EmailSender {
    /// Sends a range of a broadcast's emails (`broadcast.send` on the email queue): takes the range's pending messages
    /// (one statement), sends each in its recipient's language from the department's address, and keeps what
    /// happened (one statement). Each email's Message-ID is derived from the broadcast and the recipient, so one sent
    /// again after a crash carries the same id. A temporary SMTP failure puts the rest back for the job's next run.
    func sendBroadcast(_ job: ClaimedJob) throws {
        let range = try Jobs.broadcastSend.payload(of: job)
        try pool.withConnection { connection in
            guard let (broadcast, messages) = try Broadcasts.start(range, channel: "email", on: connection) else {
                return
            }
            let department = try connection.query(
                "SELECT name, email_from, email_reply_to FROM departments WHERE code = $1", [broadcast.department]
            ).first
            let from = MailMessage.Address(
                try department?.decode(String?.self, at: 1) ?? settings.defaultFrom,
                name: try department?.decode(String.self, at: 0))
            let replyTo = try department?.decode(String?.self, at: 2).map { MailMessage.Address($0) }
            let smtp = broadcast.isTest ? testClients : clients
            var results = BroadcastSendResults()
            var retry: JobError?
            let idPrefix = broadcast.id.uuidString.lowercased()
            for message in messages {
                guard retry == nil else {
                    results.putBack.append(message.seq)
                    continue
                }
                guard let text = broadcast.texts[message.language] ?? broadcast.texts.values.first else {
                    results.skipped.append((message.seq, "no_text"))
                    continue
                }
                let body = BroadcastText.fill(text.body, fields: broadcast.fields, values: message.values)
                let mail = MailMessage(
                    from: from, to: MailMessage.Address(message.address), replyTo: replyTo,
                    subject: BroadcastText.fill(
                        text.subject ?? broadcast.name, fields: broadcast.fields, values: message.values),
                    text: body, html: Self.html(body, language: message.language),
                    messageID: "broadcast-\(idPrefix)-\(message.seq)@dakiya.local")
                do {
                    if let smtp {
                        try smtp.with {
                            try $0.send(
                                from: mail.from.email, to: [message.address], message: MailComposer.compose(mail))
                        }
                    }
                    results.handedOver.append(
                        (message.seq, smtp == nil ? "test-sink:" + mail.messageID : mail.messageID))
                    sent.increment()
                    outcomes.record("accepted")
                } catch let error as SMTPError {
                    switch error.kind {
                    case .permanent:
                        failed.increment()
                        outcomes.record("failed", "smtp_permanent")
                        results.failed.append((message.seq, "smtp_\(error.replyCode)"))
                    case .temporary:
                        outcomes.record("retried", "smtp_temporary")
                        results.putBack.append(message.seq)
                        retry = JobError.retryable(
                            "SMTP temporary failure: \(error.message)", code: "smtp_\(error.replyCode)")
                    case .configuration:
                        paused.increment()
                        outcomes.record("held", "configuration")
                        logger.error(
                            "SMTP setting problem: the broadcast's emails wait until it is fixed",
                            ["error": error.message])
                        results.putBack.append(message.seq)
                        retry = JobError.snooze(.seconds(60), "SMTP configuration: \(error.message)")
                    }
                }
            }
            try Broadcasts.record(
                results, broadcastID: range.broadcastID, channel: "email", on: connection)
            if let retry { throw retry }
            try Broadcasts.settle(range, channel: "email", retryAfter: nil, on: connection)
        }
    }

    /// The HTML alternative of a broadcast's text: its paragraphs (blank lines) and line breaks, escaped.
    static func html(_ text: String, language: String) -> String {
        let paragraphs = text.components(separatedBy: "\n\n").map {
            "<p>" + TemplateStore.escapeHTML($0).replacingOccurrences(of: "\n", with: "<br>\n") + "</p>"
        }
        return "<!DOCTYPE html>\n<html lang=\"\(language)\"><body>\n" + paragraphs.joined(separator: "\n")
            + "\n</body></html>\n"
    }
}
