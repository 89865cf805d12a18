import Delivery
import Foundation
import JobContracts
import JobQueue
import Postgres
import ServiceRuntime
import Texts
import WhatsAppGraph

/// Filing an appeal in the conversation: which application (from the menu, or straight from the rejection's
/// "File an appeal" button), the grounds, a summary to confirm, then the hand-over to the appeals service
/// through the job table. The acknowledgement with the appeal number comes from there, on every channel.
extension Conversation {
    struct AppealDraft: Codable {
        var applicationID: String
        var grounds: String?
        enum CodingKeys: String, CodingKey { case applicationID = "application_id", grounds }
    }

    /// Handles the appeal steps; returns false when the message is not part of them.
    func appealStep(
        state: String, choice: String?, text: String?, digit: String?, number: String, language: String, wamid: String,
        replies: inout [ConversationReply], on tx: Connection
    ) throws -> Bool {
        let mobile = "+" + number
        if choice == "menu:appeal" || digit == "3" {
            try save(number, language: language, state: "appeal_application", on: tx)
            replies.append(ConversationReply(to: mobile, text: WhatsAppTexts.appealAskApplication(language)))
            return true
        }
        if let choice, choice.hasPrefix("appeal:"), !["appeal:confirm", "appeal:cancel"].contains(choice) {
            try chooseApplication(
                String(choice.dropFirst(7)), number: number, language: language, replies: &replies, on: tx)
            return true
        }
        switch state {
        case "appeal_application" where choice == nil && !(text ?? "").isEmpty:
            try chooseApplication(text ?? "", number: number, language: language, replies: &replies, on: tx)
            return true
        case "appeal_grounds" where choice == nil && !(text ?? "").isEmpty:
            let grounds = text ?? ""
            guard grounds.count <= 1000 else {
                replies.append(ConversationReply(to: mobile, text: WhatsAppTexts.appealGroundsTooLong(language)))
                return true
            }
            guard var draft = try draft(number, as: AppealDraft.self, on: tx) else { return false }
            draft.grounds = grounds
            try save(number, language: language, state: "appeal_confirm", draft: draft, on: tx)
            let summary = WhatsAppTexts.appealSummary(
                language, ["application": draft.applicationID, "grounds": Self.quotable(grounds)])
            replies.append(
                ConversationReply(
                    to: mobile, text: summary,
                    interactive: .buttons(
                        body: summary,
                        [
                            ("appeal:confirm", WhatsAppTexts.appealConfirm(language)),
                            ("appeal:cancel", WhatsAppTexts.appealCancel(language)),
                        ])))
            return true
        case "appeal_confirm" where choice == "appeal:confirm":
            guard let draft = try draft(number, as: AppealDraft.self, on: tx), let grounds = draft.grounds else {
                return false
            }
            try queue.enqueue(
                try Jobs.appealFile.job(
                    AppealFile(
                        applicationID: draft.applicationID, mobile: mobile, grounds: grounds, language: language),
                    priority: 1, uniqueKey: "appeal-file:\(wamid)"), on: tx)
            try save(number, language: language, state: "menu", on: tx)
            replies.append(ConversationReply(to: mobile, text: WhatsAppTexts.appealFiling(language)))
            return true
        case "appeal_confirm" where choice == "appeal:cancel":
            try save(number, language: language, state: "menu", on: tx)
            replies.append(ConversationReply(to: mobile, text: WhatsAppTexts.appealCancelled(language)))
            replies.append(menu(to: mobile, language: language))
            return true
        default:
            return false
        }
    }

    /// Moves to the grounds when the application belongs to this number; otherwise says so and shows the menu.
    func chooseApplication(
        _ raw: String, number: String, language: String, replies: inout [ConversationReply], on tx: Connection
    ) throws {
        let mobile = "+" + number
        let applicationID = Normalization.applicationID(raw)
        let owned = try CitizenViews.owns(applicationID: applicationID, mobile: mobile, on: tx)
        guard owned, applicationID.count <= 128 else {
            try save(number, language: language, state: "menu", on: tx)
            replies.append(ConversationReply(to: mobile, text: WhatsAppTexts.notFound(language)))
            replies.append(menu(to: mobile, language: language))
            return
        }
        try save(
            number, language: language, state: "appeal_grounds", draft: AppealDraft(applicationID: applicationID),
            on: tx)
        replies.append(
            ConversationReply(to: mobile, text: WhatsAppTexts.appealAskGrounds(language)))
    }

    /// Moves to `state` keeping `draft` (an appeal's or a search's) with the conversation.
    func save<Draft: Encodable>(
        _ number: String, language: String, state: String, draft: Draft, on tx: Connection
    ) throws {
        try tx.query(
            "UPDATE whatsapp_conversations SET state = $2, language = $3, draft = $4::jsonb, updated_at = now() WHERE number = $1",
            [number, state, language, try PostgresJSON(encoding: draft)])
    }

    /// Citizen text shown back in a summary: WhatsApp formatting marks and control characters removed,
    /// whitespace collapsed, at most 300 characters, so it reads as a quotation and cannot restyle our message.
    static func quotable(_ text: String) -> String {
        let plain = String(
            String.UnicodeScalarView(
                text.unicodeScalars.filter {
                    !"*_~`«»".unicodeScalars.contains($0) && !CharacterSet.controlCharacters.contains($0) || $0 == "\n"
                }))
        let collapsed = plain.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return collapsed.count > 300 ? String(collapsed.prefix(300)) + "…" : collapsed
    }
}
