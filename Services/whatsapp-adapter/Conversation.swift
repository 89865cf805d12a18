import Appeals
import Delivery
import Foundation
import JobContracts
import JobQueue
import Postgres
import ServiceRuntime
import Texts
import WhatsAppGraph

/// The citizen's conversation inside the 24-hour window: a language once, then a menu.
/// Replies go out through `conversation.reply` jobs, in the same transaction as the state they follow from.
struct Conversation {
    let queue: JobQueue
    /// The sender number the citizen wrote to: replies come from it.
    var phoneNumberID: String? = nil

    /// Handles one inbound message (not STOP/START) from `number` (digits, as Meta sends it).
    func handle(_ message: GraphWebhook.InboundMessage, from number: String, wamid: String, on tx: Connection) throws {
        let mobile = "+" + number
        let text = message.text?.body.trimmingCharacters(in: .whitespacesAndNewlines)
        // A list or button reply carries our id; a template's quick-reply button carries its payload.
        let choice = message.choice
        let row = try tx.query(
            "SELECT language, state FROM whatsapp_conversations WHERE number = $1 FOR UPDATE", [number]
        ).first
        var language = try row?.decode(String?.self, at: 0)
        let state = try row?.decode(String.self, at: 1) ?? "menu"
        var replies: [ConversationReply] = []

        if language == nil,
            message.media != nil
                || choice.map({ $0.hasPrefix("appeal:") || $0.hasPrefix("rate:") || $0.hasPrefix("shortfall:") })
                    == true,
            let known = try Citizens.language(mobile: mobile, on: tx)
        {
            // A tap on a rejection's "File an appeal" button, on a rating or on a shortfall's "Send documents", or a
            // file: the citizen is known, so their registered language serves.
            language = known
            try save(number, language: known, state: "menu", on: tx)
        }
        if language == nil {
            if let picked = Self.pickLanguage(choice: choice, text: text) {
                language = picked
                try save(number, language: picked, state: "menu", on: tx)
                replies.append(menu(to: mobile, language: picked))
            } else {
                try save(number, language: nil, state: "menu", on: tx)
                replies.append(languageQuestion(to: mobile))
            }
            try send(replies, wamid: wamid, on: tx)
            return
        }
        let lang = Language.resolve(language).code
        // A digit picks a menu entry only at the menu; while we wait for an application number, text is that number.
        let digit = state == "menu" ? text : nil
        if let flow = message.interactive?.flowReply {
            // A finished Flow: kept once and passed to the department; the citizen is told where it went.
            if let kept = try FlowSubmissions.record(
                wamid: wamid, mobile: mobile, responseJSON: flow.responseJSON, language: lang, queue: queue, on: tx)
            {
                let text =
                    if let service = kept.serviceName, let department = kept.departmentName {
                        JourneyTexts.flowSent(lang, ["service": service, "department": department])
                    } else {
                        JourneyTexts.flowReceived(lang)
                    }
                replies.append(ConversationReply(to: mobile, text: text))
            }
        } else if try shortfallStep(
            message, state: state, choice: choice, text: text, number: number, language: lang, wamid: wamid,
            replies: &replies, on: tx)
        {
            // handled by the shortfall's answer
        } else if try ratingStep(
            state: state, choice: choice, text: text, number: number, language: lang, replies: &replies, on: tx)
        {
            // handled by the rating steps
        } else if try appealStep(
            state: state, choice: choice, text: text, digit: digit, number: number, language: lang, wamid: wamid,
            replies: &replies, on: tx)
        {
            // handled by the appeal steps
        } else if try findStep(
            state: state, choice: choice, text: text, digit: digit, number: number, language: lang, wamid: wamid,
            replies: &replies, on: tx)
        {
            // handled by the service finder
        } else if choice == "menu:track" || digit == "1" {
            try save(number, language: lang, state: "awaiting_application_id", on: tx)
            replies.append(ConversationReply(to: mobile, text: WhatsAppTexts.askApplication(lang)))
        } else if state == "awaiting_application_id", choice == nil, let text, !text.isEmpty {
            try save(number, language: lang, state: "menu", on: tx)
            replies.append(
                ConversationReply(to: mobile, text: try status(of: text, for: mobile, language: lang, on: tx)))
            replies.append(menu(to: mobile, language: lang))
        } else if choice == "menu:certificates" || digit == "2" {
            replies.append(try certificates(for: mobile, language: lang, on: tx))
        } else if let id = choice, id.hasPrefix("cert:") {
            if let delivery = UUID(uuidString: String(id.dropFirst(5))),
                try ownsCertificate(delivery, mobile: mobile, on: tx)
            {
                try queue.enqueue(
                    try Jobs.certificateResend.job(
                        CertificateResend(to: mobile, deliveryID: delivery, from: phoneNumberID), priority: 1,
                        uniqueKey: "resend:\(wamid)"), on: tx)
            } else {
                replies.append(menu(to: mobile, language: lang))
            }
        } else if choice == "menu:help" || digit == "4" {
            replies.append(ConversationReply(to: mobile, text: WhatsAppTexts.helpText(lang)))
        } else if let id = choice, id.hasPrefix("lang:"), let picked = Self.pickLanguage(choice: id, text: nil) {
            try save(number, language: picked, state: "menu", on: tx)
            replies.append(menu(to: mobile, language: picked))
        } else {
            replies.append(menu(to: mobile, language: lang))  // unknown input gets the menu, never silence
        }
        try send(replies, wamid: wamid, on: tx)
    }

    /// The language a citizen picked: a list reply (`lang:<code>`), its number in the list, its name or its code.
    static func pickLanguage(choice: String?, text: String?) -> String? {
        if let choice, choice.hasPrefix("lang:") { return Language.named(String(choice.dropFirst(5)))?.code }
        guard let text else { return nil }
        if let number = Int(text), Language.all.indices.contains(number - 1) { return Language.all[number - 1].code }
        return Language.all.first { $0.nativeName.lowercased() == text.lowercased() || $0.code == text.lowercased() }?
            .code
    }

    func save(_ number: String, language: String?, state: String, on tx: Connection) throws {
        try tx.query(
            """
            INSERT INTO whatsapp_conversations (number, language, state) VALUES ($1, $2, $3)
            ON CONFLICT (number) DO UPDATE SET language = excluded.language, state = excluded.state, draft = NULL, updated_at = now()
            """, [number, language, state])
    }

    /// The draft kept with the conversation (an appeal's, a search's, a rating's) as `type`; nil when there is none
    /// or it is another step's.
    /// - Throws: `PostgresError` from the database.
    func draft<Draft: Decodable>(_ number: String, as type: Draft.Type, on tx: Connection) throws -> Draft? {
        guard
            let json = try tx.query("SELECT draft FROM whatsapp_conversations WHERE number = $1", [number]).first?
                .decode(PostgresJSON?.self, at: 0)
        else { return nil }
        return try? json.decode(type)
    }

    func send(_ replies: [ConversationReply], wamid: String, on tx: Connection) throws {
        for (index, var reply) in replies.enumerated() {
            reply.from = reply.from ?? phoneNumberID
            try queue.enqueue(
                try Jobs.conversationReply.job(reply, priority: 1, uniqueKey: "reply:\(wamid):\(index)"), on: tx)
        }
    }

    /// The list of languages, asked in all of them at once (the citizen's language is not known yet).
    func languageQuestion(to mobile: String) -> ConversationReply {
        let question = Language.all.map { WhatsAppTexts.chooseLanguage($0.code) }.joined(separator: " / ")
        return ConversationReply(
            to: mobile, text: question,
            interactive: .list(
                body: question, button: "Language", section: "Language",
                rows: Language.all.map { ("lang:" + $0.code, $0.nativeName) }))
    }

    func menu(to mobile: String, language: String) -> ConversationReply {
        let (body, button) = (WhatsAppTexts.menuBody(language), WhatsAppTexts.menuButton(language))
        return ConversationReply(
            to: mobile, text: body,
            interactive: .list(
                body: body, button: button, section: button,
                rows: [
                    ("menu:track", WhatsAppTexts.track(language)),
                    ("menu:certificates", WhatsAppTexts.certificates(language)),
                    ("menu:appeal", WhatsAppTexts.appeal(language)), ("menu:help", WhatsAppTexts.help(language)),
                    ("menu:find", WhatsAppTexts.find(language)),
                ]))
    }

    /// The status of an application, only if it belongs to a citizen with this mobile number.
    func status(of raw: String, for mobile: String, language: String, on tx: Connection) throws -> String {
        let applicationID = Normalization.applicationID(raw)
        guard applicationID.count <= 128,
            let outcome = try CitizenViews.latestOutcome(applicationID: applicationID, mobile: mobile, on: tx)
        else { return WhatsAppTexts.notFound(language) }
        let decision = outcome.decision
        let date = String(PostgresTimestamp.format(outcome.at).prefix(10))
        // The id echoed back is the normalised one we found in our records, not the citizen's raw text.
        return WhatsAppTexts.statusLine(
            language,
            [
                "application": applicationID,
                "decision": (WhatsAppTexts.decisions[decision] ?? JourneyTexts.steps[decision])?(language) ?? decision,
                "date": date,
            ])
    }

    func certificates(for mobile: String, language: String, on tx: Connection) throws -> ConversationReply {
        let (certificates, body) = (WhatsAppTexts.certificates(language), WhatsAppTexts.certificatesBody(language))
        let delivered = try CitizenViews.whatsappCertificates(mobile: mobile, on: tx)
        guard !delivered.isEmpty else {
            return ConversationReply(to: mobile, text: WhatsAppTexts.noCertificates(language))
        }
        let items = delivered.map { ("cert:" + $0.deliveryID.uuidString.lowercased(), $0.applicationID) }
        return ConversationReply(
            to: mobile, text: body,
            interactive: .list(body: body, button: certificates, section: certificates, rows: items))
    }

    /// Only certificates already delivered to this number may be re-sent to it.
    func ownsCertificate(_ deliveryID: UUID, mobile: String, on tx: Connection) throws -> Bool {
        try CitizenViews.hasWhatsAppCertificate(deliveryID: deliveryID, mobile: mobile, on: tx)
    }
}
