import Broadcasts
import Foundation
import HTTPClient
import JobContracts
import JobQueue
import Postgres
import WhatsAppGraph

extension WhatsAppSender {
    /// Sends a range of a broadcast's WhatsApp messages (`broadcast.send`): takes the range's pending messages (one
    /// statement), sends each as the broadcast's approved template with the recipient's values as its body parameters,
    /// paced by the department's number like every other message, all at once, and keeps the wamids (one statement).
    /// Each message carries `b:<broadcast>:<seq>` as its callback data, so its statuses find it even when the answer
    /// that carried the wamid was lost. A message refused for good fails with Meta's code; one held back by a limit
    /// (throughput, pair rate) goes back to pending and the job runs again later; one whose answer never came is
    /// sent again only after `Broadcasts.unansweredResend` without a status.
    func sendBroadcast(_ job: ClaimedJob) throws {
        let range = try Jobs.broadcastSend.payload(of: job)
        try pool.withConnection { connection in
            guard let broadcast = try Broadcasts.header(range.broadcastID, on: connection) else {
                throw JobError.permanent("broadcast \(range.broadcastID) not found")
            }
            let messages = try Broadcasts.take(range, channel: "whatsapp", on: connection)
            guard !messages.isEmpty else {
                try Broadcasts.finishIfDone(range.broadcastID, on: connection)
                return
            }
            var results = BroadcastSendResults()
            guard let template = broadcast.whatsappTemplate else {
                results.skipped = messages.map { ($0.seq, "no_whatsapp_template") }
                try Broadcasts.record(
                    results, broadcastID: range.broadcastID, channel: "whatsapp", sentOnHandover: false,
                    on: connection)
                return
            }
            guard let base = broadcast.isTest ? settings.testGraphURL : settings.graphURL else {
                results.skipped = messages.map { ($0.seq, "test_key_no_test_endpoint") }
                try Broadcasts.record(
                    results, broadcastID: range.broadcastID, channel: "whatsapp", sentOnHandover: false,
                    on: connection)
                return
            }
            let from = number(for: broadcast.department)
            let pacing = pacer(for: from)
            var retryAfter: Duration?
            func holdBack(_ seq: Int, for wait: Duration) {
                results.putBack.append(seq)
                retryAfter = min(retryAfter ?? wait, wait)
            }
            var outgoing: [(seq: Int, request: HTTPClientRequest)] = []
            let url = base + "/\(settings.version)/\(from)/messages"
            for (message, pairWait) in zip(messages, try pacing.takePairs(messages.map(\.address), on: connection)) {
                if let pairWait {
                    holdBack(message.seq, for: pairWait)
                    continue
                }
                guard pacing.waitForSender() else {
                    holdBack(message.seq, for: .milliseconds(500))
                    continue
                }
                let body = try GraphMessage.template(
                    to: message.address,
                    GraphMessage.Template(
                        name: template, language: message.language,
                        components: broadcast.fields.isEmpty
                            ? []
                            : [.init(type: "body", parameters: message.values.map { .text(Self.cleanParameter($0)) })]
                    ),
                    callbackData: Broadcasts.callbackData(broadcastID: range.broadcastID, seq: message.seq)
                ).json()
                outgoing.append(
                    (
                        message.seq,
                        .json("POST", url, body: body, headers: [("Authorization", "Bearer \(token(for: from))")])
                    ))
            }
            let responses = outgoing.isEmpty ? [] : try multiClients.with { $0.send(outgoing.map(\.request)) }
            var unanswered = 0
            for (item, response) in zip(outgoing, responses) {
                do {
                    results.handedOver.append((item.seq, try Self.wamid(from: response.get())))
                    accepted.increment()
                    outcomes.record("accepted")
                } catch let error as GraphAPIError {
                    outcomes.record(error.handling == .permanent ? "failed" : "retried", error.errorClass)
                    switch error.handling {
                    case .permanent:
                        failed.increment()
                        results.failed.append((item.seq, String(error.code)))
                    case .snoozeSender(let delay):
                        pacing.sender.drain(seconds: delay.seconds)
                        holdBack(item.seq, for: delay)
                    case .snoozeRecipient:
                        holdBack(item.seq, for: .seconds(10))
                    case .configuration:
                        paused.increment()
                        logger.error(
                            "WhatsApp configuration problem: the broadcast waits until it is fixed",
                            ["whatsapp.error_code": String(error.code), "whatsapp.phone_number_id": from])
                        holdBack(item.seq, for: .seconds(60))
                    case .retryable:
                        holdBack(item.seq, for: .seconds(2))
                    }
                } catch {
                    // No answer (a timeout, a dropped connection): Meta may have the message. It stays sending; its
                    // status, if it went, will say so before anyone sends it again.
                    unanswered += 1
                }
            }
            try Broadcasts.record(
                results, broadcastID: range.broadcastID, channel: "whatsapp", sentOnHandover: false, on: connection)
            if unanswered > 0 {
                throw JobError.snooze(
                    .seconds(Int64(Broadcasts.unansweredResend) + 1),
                    "\(unanswered) broadcast messages had no answer; sent again only if no status comes")
            }
            if let retryAfter { throw JobError.snooze(retryAfter, "broadcast messages held back by a limit") }
        }
    }
}
