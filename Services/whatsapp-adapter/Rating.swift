import Delivery
import Foundation
import JobContracts
import JobQueue
import Postgres
import ServiceRuntime
import Texts
import WhatsAppGraph

extension WhatsAppSender {
    /// Sends the rating question of a `rating.ask` job: the `dakiya_rating_request` template in the citizen's
    /// language, the application and the service in its body, and five quick-reply buttons whose payloads are
    /// `rate:<question id>:<1…5>`. Sent once: a question that went out (its wamid kept) is not sent again.
    func askRating(_ job: ClaimedJob) throws {
        let request = try Jobs.ratingAsk.payload(of: job)
        try pool.withConnection { connection in
            guard
                let row = try connection.query(
                    """
                    SELECT r.mobile, r.language, r.department, a.portal_application_id, service_name(r.service_code, r.language),
                           t.name, t.quick_reply_buttons, r.ask_wamid IS NOT NULL, r.is_test
                    FROM service_ratings r JOIN applications a ON a.id = r.application_id
                    LEFT JOIN whatsapp_templates t ON t.kind = 'rating' AND t.language = r.language
                    WHERE r.id = $1
                    """, [request.ratingID]
                ).first
            else { throw JobError.permanent("no rating question \(request.ratingID)") }
            guard try !row.decode(Bool.self, at: 7) else { return }  // asked before: never twice
            let language = try row.decode(String.self, at: 1)
            guard let template = try row.decode(String?.self, at: 5) else {
                throw JobError.permanent("no WhatsApp template registered for rating in \(language)")
            }
            let buttons = min(try row.decode(Int?.self, at: 6) ?? 0, 5)
            let mobile = try row.decode(String.self, at: 0)
            let from = number(for: try row.decode(String.self, at: 2))
            guard let base = try row.decode(Bool.self, at: 8) ? settings.testGraphURL : settings.graphURL else {
                return
            }
            if let wait = try pacer(for: from).takePairs([mobile], on: connection).first ?? nil {
                throw JobError.snooze(wait, "pair limit for this citizen")
            }
            var components: [GraphMessage.Template.Component] = [
                .init(
                    type: "body",
                    parameters: [try row.decode(String.self, at: 3), try row.decode(String.self, at: 4)].map {
                        .text(Self.cleanParameter($0))
                    })
            ]
            components += (0..<buttons).map { .quickReply(index: $0, payload: "rate:\(request.ratingID):\($0 + 1)") }
            let body = try GraphMessage.template(
                to: mobile, GraphMessage.Template(name: template, language: language, components: components),
                callbackData: "rating:\(request.ratingID)"
            ).json()
            let wamid = try send(body, from: from, base: base, attempt: job.attempt)
            try connection.query(
                "UPDATE service_ratings SET ask_wamid = $2 WHERE id = $1 AND ask_wamid IS NULL",
                [request.ratingID, wamid])
        }
    }
}

extension Conversation {
    /// The rating steps: a tap on one of the question's buttons (`rate:<id>:<n>`) keeps the rating once and asks for
    /// an optional comment; the next text is the comment (`0` or "skip" declines). Returns false when the message is
    /// not part of them. The comment's text is never logged.
    func ratingStep(
        state: String, choice: String?, text: String?, number: String, language: String,
        replies: inout [ConversationReply], on tx: Connection
    ) throws -> Bool {
        let mobile = "+" + number
        if let choice, choice.hasPrefix("rate:") {
            let parts = choice.split(separator: ":")
            guard parts.count == 3, let id = Int64(parts[1]), let stars = Int(parts[2]) else { return false }
            switch try ServiceRatings.answer(id: id, rating: stars, mobile: mobile, on: tx) {
            case .recorded:
                try save(number, language: language, state: "rating_comment", draft: RatingDraft(ratingID: id), on: tx)
                replies.append(ConversationReply(to: mobile, text: WhatsAppTexts.ratingThanks(language)))
            case .alreadyRated:
                replies.append(ConversationReply(to: mobile, text: WhatsAppTexts.ratingAlready(language)))
            case .notAsked:
                replies.append(menu(to: mobile, language: language))
            }
            return true
        }
        guard state == "rating_comment", choice == nil, let text, !text.isEmpty else { return false }
        let draft = try draft(number, as: RatingDraft.self, on: tx)
        try save(number, language: language, state: "menu", on: tx)
        if ["0", "skip", "no"].contains(text.lowercased()) || draft == nil {
            replies.append(menu(to: mobile, language: language))
        } else if let draft {
            try ServiceRatings.comment(id: draft.ratingID, text: text, mobile: mobile, on: tx)
            replies.append(ConversationReply(to: mobile, text: WhatsAppTexts.ratingCommentThanks(language)))
        }
        return true
    }

    /// The question being commented on, kept with the conversation.
    struct RatingDraft: Codable {
        var ratingID: Int64
        enum CodingKeys: String, CodingKey { case ratingID = "rating_id" }
    }
}
