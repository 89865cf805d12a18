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
    /// paced by its number's throughput like every other message, in groups, and keeps the wamids (one statement).
    /// Each message carries `b:<broadcast>:<seq>` as its callback data, so its statuses find it even when the answer
    /// that carried the wamid was lost. A message refused for good fails with Meta's code; one held back by a limit
    /// (throughput, pair rate) goes back to pending and the job runs again later; one whose answer never came is
    /// sent again only after `Broadcasts.unansweredResend` without a status.
    func sendBroadcast(_ job: ClaimedJob) throws {
        let range = try Jobs.broadcastSend.payload(of: job)
        try pool.withConnection { connection in
            guard let (broadcast, messages) = try Broadcasts.start(range, channel: "whatsapp", on: connection) else {
                return
            }
            var results = BroadcastSendResults()
            guard let template = broadcast.whatsappTemplate else {
                results.skipped = messages.map { ($0.seq, "no_whatsapp_template") }
                try Broadcasts.record(results, broadcastID: range.broadcastID, channel: "whatsapp", on: connection)
                try Broadcasts.settle(range, channel: "whatsapp", retryAfter: nil, on: connection)
                return
            }
            guard let base = broadcast.isTest ? settings.testGraphURL : settings.graphURL else {
                results.skipped = messages.map { ($0.seq, "test_key_no_test_endpoint") }
                try Broadcasts.record(results, broadcastID: range.broadcastID, channel: "whatsapp", on: connection)
                try Broadcasts.settle(range, channel: "whatsapp", retryAfter: nil, on: connection)
                return
            }
            // Meta's review: a paused template's messages wait for it to be reinstated, a disabled one's fail.
            var stopped: [String: String] = [:]
            for row in try connection.query(
                "SELECT language, status FROM whatsapp_template_states WHERE name = $1 AND status IN ('PAUSED', 'DISABLED')",
                [template]
            ).rows {
                stopped[try row.decode(String.self, at: 0)] = try row.decode(String.self, at: 1)
            }
            let from = broadcastNumber(for: broadcast.department, range: range)
            let pacing = pacer(for: from)
            var retryAfter: Duration?
            func holdBack(_ seq: Int, for wait: Duration) {
                results.putBack.append(seq)
                retryAfter = min(retryAfter ?? wait, wait)
            }
            let url = base + "/\(settings.version)/\(from)/messages"
            // Sent in groups of a tenth of a second's throughput, each group as its tokens come: a steady stream at
            // the number's rate rather than a job's worth at once.
            let group = max(1, Int((settings.numberRates[from] ?? settings.messagesPerSecond) / 10))
            // The portfolio's messaging limit, less the share left to outcomes: a citizen with no place waits, pending,
            // for one (places free as the moving 24 hours move on), unless the broadcast expires first.
            let overLimit =
                broadcast.isTest
                ? [] : try takeReach(messages.map(\.address), budget: settings.broadcastReach, on: connection)
            if !overLimit.isEmpty {
                logger.warning(
                    "the WhatsApp messaging limit is reached: broadcast messages wait for places",
                    [
                        "broadcast.id": range.broadcastID.uuidString.lowercased(),
                        "messages": String(messages.filter { overLimit.contains($0.address) }.count),
                    ])
            }
            var ready: [(seq: Int, request: HTTPClientRequest)] = []
            var unanswered = 0
            var senderBusy = false
            // The pair limit is not taken ahead for a broadcast: it writes to a citizen once, and the rare one who had
            // another message seconds before gets 131056, held back and sent again (3 statements a message saved).
            var paced = false
            for message in messages {
                guard !overLimit.contains(message.address) else {
                    holdBack(message.seq, for: Self.reachWait)
                    continue
                }
                switch stopped[message.language] {
                case "DISABLED":
                    results.failed.append((message.seq, "132016"))
                    continue
                case "PAUSED":
                    holdBack(message.seq, for: Self.reachWait)
                    continue
                default: break
                }
                // Template pacing: once Meta holds messages of this template for quality assessment, the rest of the
                // range waits, and goes a group at a time until the template's quality is known.
                guard !paced else {
                    holdBack(message.seq, for: Self.pacingWait)
                    continue
                }
                // Once the number's throughput has made one message wait too long, the rest wait for the job's next run.
                guard !senderBusy, pacing.waitForSender() else {
                    senderBusy = true
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
                ready.append(
                    (
                        message.seq,
                        .json("POST", url, body: body, headers: [("Authorization", "Bearer \(token(for: from))")])
                    ))
                if ready.count >= group {
                    let sent = try send(ready, into: &results, pacing: pacing, from: from)
                    unanswered += sent.unanswered
                    for (seq, wait) in sent.heldBack { holdBack(seq, for: wait) }
                    ready.removeAll()
                    if sent.heldForQuality > 0 {
                        paced = true
                        logger.warning(
                            "Meta holds this template's messages for quality assessment: the broadcast goes a group at a time",
                            [
                                "broadcast.id": range.broadcastID.uuidString.lowercased(),
                                "whatsapp.template": template,
                                "messages": String(sent.heldForQuality),
                            ])
                    }
                }
            }
            let sent = try send(ready, into: &results, pacing: pacing, from: from)
            unanswered += sent.unanswered
            for (seq, wait) in sent.heldBack { holdBack(seq, for: wait) }
            try Broadcasts.record(
                results, broadcastID: range.broadcastID, channel: "whatsapp", on: connection)
            if unanswered > 0 {
                logger.warning(
                    "broadcast messages had no answer: sent again only if no status comes for them",
                    ["broadcast.id": range.broadcastID.uuidString.lowercased(), "messages": String(unanswered)])
            }
            try Broadcasts.settle(range, channel: "whatsapp", retryAfter: retryAfter, on: connection)
        }
    }

    /// How long a broadcast message refused by the messaging limit, or whose template Meta paused, waits before its
    /// range tries again.
    static let reachWait = Duration.seconds(300)
    /// How long the rest of a range waits once Meta paces its template (holds messages for quality assessment).
    static let pacingWait = Duration.seconds(60)

    /// The number a range of a broadcast goes out from: one of the broadcast numbers, by range (so each recipient
    /// always hears from the same one, and the ranges share the numbers evenly), else the department's.
    func broadcastNumber(for department: String, range: BroadcastRange) -> String {
        let numbers = settings.broadcastNumbers
        guard !numbers.isEmpty else { return number(for: department) }
        return numbers[(range.fromSeq / Broadcasts.sendChunk) % numbers.count]
    }

    /// Sends a group of a broadcast's messages at once and sorts the answers into `results`; returns how many had
    /// no answer, and those held back by a limit with how long.
    private func send(
        _ outgoing: [(seq: Int, request: HTTPClientRequest)], into results: inout BroadcastSendResults,
        pacing: Pacer, from: String
    ) throws -> (unanswered: Int, heldBack: [(Int, Duration)], heldForQuality: Int) {
        guard !outgoing.isEmpty else { return (0, [], 0) }
        let responses = try multiClients.with { $0.send(outgoing.map(\.request)) }
        var unanswered = 0
        var heldForQuality = 0
        var heldBack: [(Int, Duration)] = []
        func holdBack(_ seq: Int, for wait: Duration) { heldBack.append((seq, wait)) }
        for (item, response) in zip(outgoing, responses) {
            do {
                // Held for quality assessment is still handed over: its statuses (sent, or failed 132015) follow.
                let answer = try Self.accepted(response.get())
                results.handedOver.append((item.seq, answer.wamid))
                if answer.held { heldForQuality += 1 }
                accepted.increment()
                outcomes.record("accepted")
            } catch let error as GraphAPIError where error.code == 131048 {
                // Meta's limit on what the portfolio may send (its messaging limit, or spam): the message waits.
                outcomes.record("retried", "messaging_limit")
                reachRefused.increment()
                holdBack(item.seq, for: Self.reachWait)
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
        return (unanswered, heldBack, heldForQuality)
    }
}
