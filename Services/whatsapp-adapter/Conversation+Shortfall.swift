import Appeals
import JobContracts
import Delivery
import Foundation
import Postgres
import Texts
import WhatsAppGraph

/// What the conversation keeps while the citizen answers a shortfall.
struct ShortfallDraft: Codable {
    var shortfallID: Int64
    enum CodingKeys: String, CodingKey { case shortfallID = "shortfall_id" }
}

extension Conversation {
    /// A shortfall answered in the chat. A tap on the step's "Send documents" (`shortfall:<step delivery>`) asks for
    /// the files; a photo or a document (with or without that tap) answers the citizen's open shortfall, the latest
    /// one when there are several: it is fetched and checked by a `shortfall.fetch` job, which acknowledges it; while
    /// the conversation waits for the answer, text is part of it and `0` ends it. Returns false when the message is
    /// none of these.
    func shortfallStep(
        _ message: GraphWebhook.InboundMessage, state: String, choice: String?, text: String?, number: String,
        language: String, wamid: String, replies: inout [ConversationReply], on tx: Connection
    ) throws -> Bool {
        let mobile = "+" + number
        let now = Date()
        let today = CivilDate(now)
        if let choice, choice.hasPrefix("shortfall:") {
            guard let step = UUID(uuidString: String(choice.dropFirst("shortfall:".count))),
                let open = try Shortfalls.latestOpen(mobile: mobile, stepDelivery: step, today: today, on: tx)
            else {
                replies.append(ConversationReply(to: mobile, text: JourneyTexts.noShortfall(language)))
                return true
            }
            try save(
                number, language: language, state: "shortfall_reply", draft: ShortfallDraft(shortfallID: open.id),
                on: tx)
            replies.append(
                ConversationReply(
                    to: mobile,
                    text: JourneyTexts.shortfallAsk(
                        language,
                        ["documents": open.documents.joined(separator: "; "), "reply_by": open.replyBy.indianFormat])))
            return true
        }
        let waiting = state == "shortfall_reply" ? try draft(number, as: ShortfallDraft.self, on: tx) : nil
        if let media = message.media, let kind = message.type {
            guard
                let open = try Shortfalls.latestOpen(
                    mobile: mobile, shortfallID: waiting?.shortfallID, today: today, on: tx)
            else {
                replies.append(ConversationReply(to: mobile, text: JourneyTexts.noShortfall(language)))
                return true
            }
            guard kind == "document" || kind == "image" else {
                // Audio, video and stickers are not documents an office can take.
                replies.append(
                    ConversationReply(
                        to: mobile,
                        text: JourneyTexts.shortfallRefused(
                            language, ["reason": JourneyTexts.refusals["type"]?(language) ?? ""])))
                return true
            }
            try Shortfalls.recordReply(
                Shortfalls.IncomingReply(
                    shortfallID: open.id, wamid: wamid, mobile: mobile, kind: kind, mediaID: media.id,
                    declaredType: media.mimeType, fileName: media.filename.map { String($0.prefix(200)) }),
                queue: queue, now: now, on: tx)
            if let caption = media.caption?.trimmingCharacters(in: .whitespacesAndNewlines), !caption.isEmpty {
                // A caption is the citizen's words about the file: it goes to the office as a text of the answer.
                try Shortfalls.recordReply(
                    Shortfalls.IncomingReply(
                        shortfallID: open.id, wamid: wamid + ":caption", mobile: mobile, kind: "text",
                        text: String(caption.prefix(4096))), queue: queue, now: now, on: tx)
            }
            return true  // the acknowledgement follows the fetch
        }
        guard let waiting, choice == nil, let text, !text.isEmpty else { return false }
        if text == "0" || ["done", "skip", "menu"].contains(text.lowercased()) {
            try save(number, language: language, state: "menu", on: tx)
            replies.append(menu(to: mobile, language: language))
            return true
        }
        guard
            let open = try Shortfalls.latestOpen(
                mobile: mobile, shortfallID: waiting.shortfallID, today: today, on: tx)
        else {
            try save(number, language: language, state: "menu", on: tx)
            replies.append(ConversationReply(to: mobile, text: JourneyTexts.noShortfall(language)))
            replies.append(menu(to: mobile, language: language))
            return true
        }
        try Shortfalls.recordReply(
            Shortfalls.IncomingReply(
                shortfallID: open.id, wamid: wamid, mobile: mobile, kind: "text", text: String(text.prefix(4096))),
            queue: queue, now: now, on: tx)
        replies.append(
            ConversationReply(
                to: mobile,
                text: JourneyTexts.shortfallReceived(
                    language, ["file": JourneyTexts.yourMessage(language), "application": open.applicationID])))
        return true
    }
}
