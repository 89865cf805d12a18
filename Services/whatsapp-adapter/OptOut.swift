import Delivery
import Foundation
import JobContracts
import JobQueue
import Postgres
import Texts

/// STOP and START from citizens, in each language's words (`WhatsAppTexts.stopWords`, `startWords`).
enum OptOut {

    enum Command { case stop, start }

    static func command(in text: String) -> Command? {
        let normalized = text.trimmingCharacters(in: .whitespacesAndNewlines.union(.punctuationCharacters)).lowercased()
        if WhatsAppTexts.stopWords.contains(normalized) { return .stop }
        if WhatsAppTexts.startWords.contains(normalized) { return .start }
        return nil
    }

    /// Records the opt-out or opt-in for the citizen with this number (time and source kept) and queues the
    /// confirmation, in the caller's transaction. Returns false when `text` is neither STOP nor START.
    @discardableResult
    static func handle(
        text: String, from number: String, wamid: String, to phoneNumberID: String? = nil, queue: JobQueue,
        on tx: Connection
    ) throws -> Bool {
        guard let command = command(in: text) else { return false }
        let mobile = "+" + number
        let registered = try Citizens.recordConsent(
            mobile: mobile, channel: .whatsapp, granted: command == .start,
            source: command == .stop ? "whatsapp:STOP" : "whatsapp:START", on: tx)
        // The language the citizen chose in this chat, else the one the portal registered.
        let chosen = try tx.query("SELECT language FROM whatsapp_conversations WHERE number = $1", [number]).first?
            .decode(String?.self, at: 0)
        let language = Language.resolve(chosen ?? registered).code
        let text = command == .stop ? WhatsAppTexts.stopped(language) : WhatsAppTexts.started(language)
        try queue.enqueue(
            try Jobs.conversationReply.job(
                ConversationReply(to: mobile, text: text, from: phoneNumberID), priority: 1,
                uniqueKey: "reply:\(wamid)"), on: tx)
        return true
    }
}
