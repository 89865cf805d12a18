import Delivery
import Foundation
import JobContracts
import JobQueue
import Postgres
import ServiceRuntime

/// Filing an appeal in the conversation: which application (from the menu, or straight from the rejection's
/// "File an appeal" button), the grounds, a summary to confirm, then the hand-over to the appeals service
/// through the job table. The acknowledgement with the appeal number comes from there, on every channel.
extension Conversation {
    struct AppealTexts: Sendable {
        var askApplication, askGrounds, groundsTooLong, summary, confirm, cancel, filing, cancelled: String
    }

    static let appealTexts: [String: AppealTexts] = [
        "en": AppealTexts(
            askApplication: "Which application do you want to appeal? Please send its application number.",
            askGrounds: "Please write the grounds of your appeal in one message (up to 1,000 characters).",
            groundsTooLong: "That is longer than 1,000 characters. Please send shorter grounds.",
            summary: "Appeal against the decision on application %@.\nGrounds: «%@»\nShall we file it?",
            confirm: "File appeal", cancel: "Cancel",
            filing: "Your appeal is being filed. You will receive the acknowledgement with the appeal number shortly.",
            cancelled: "The appeal was not filed."),
        "mr": AppealTexts(
            askApplication: "कोणत्या अर्जाविरुद्ध अपील करायचे आहे? कृपया त्याचा अर्ज क्रमांक पाठवा.",
            askGrounds: "कृपया अपिलाची कारणे एका संदेशात लिहा (१,००० अक्षरांपर्यंत).",
            groundsTooLong: "हे १,००० अक्षरांपेक्षा मोठे आहे. कृपया थोडक्यात कारणे पाठवा.",
            summary: "अर्ज %@ वरील निर्णयाविरुद्ध अपील.\nकारणे: «%@»\nअपील दाखल करायचे का?",
            confirm: "अपील दाखल करा", cancel: "रद्द करा",
            filing: "तुमचे अपील दाखल होत आहे. अपील क्रमांकासह पोच तुम्हाला लवकरच मिळेल.",
            cancelled: "अपील दाखल केले नाही."),
        "hi": AppealTexts(
            askApplication: "किस आवेदन के विरुद्ध अपील करनी है? कृपया उसका आवेदन क्रमांक भेजें।",
            askGrounds: "कृपया अपील के आधार एक संदेश में लिखें (1,000 अक्षरों तक)।",
            groundsTooLong: "यह 1,000 अक्षरों से लंबा है। कृपया संक्षेप में आधार भेजें।",
            summary: "आवेदन %@ पर निर्णय के विरुद्ध अपील।\nआधार: «%@»\nक्या अपील दायर करें?",
            confirm: "अपील दायर करें", cancel: "रद्द करें",
            filing: "आपकी अपील दायर की जा रही है। अपील क्रमांक के साथ पावती आपको जल्द मिलेगी।",
            cancelled: "अपील दायर नहीं की गई।"),
        "te": AppealTexts(
            askApplication: "ఏ దరఖాస్తుపై అప్పీల్ చేయాలి? దయచేసి దాని దరఖాస్తు సంఖ్యను పంపండి.",
            askGrounds: "దయచేసి మీ అప్పీల్ కారణాలను ఒకే సందేశంలో రాయండి (1,000 అక్షరాల వరకు).",
            groundsTooLong: "ఇది 1,000 అక్షరాల కంటే ఎక్కువ. దయచేసి క్లుప్తంగా పంపండి.",
            summary: "దరఖాస్తు %@ పై నిర్ణయానికి వ్యతిరేకంగా అప్పీల్.\nకారణాలు: «%@»\nఅప్పీల్ దాఖలు చేయాలా?",
            confirm: "అప్పీల్ దాఖలు", cancel: "రద్దు చేయి",
            filing: "మీ అప్పీల్ దాఖలవుతోంది. అప్పీల్ సంఖ్యతో రసీదు త్వరలో మీకు అందుతుంది.",
            cancelled: "అప్పీల్ దాఖలు కాలేదు."),
    ]

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
        let t = Self.appealTexts[language] ?? Self.appealTexts["en"]!
        if choice == "menu:appeal" || digit == "3" {
            try save(number, language: language, state: "appeal_application", on: tx)
            replies.append(ConversationReply(to: mobile, text: t.askApplication))
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
                replies.append(ConversationReply(to: mobile, text: t.groundsTooLong))
                return true
            }
            guard var draft = try draft(number, on: tx) else { return false }
            draft.grounds = grounds
            try save(number, language: language, state: "appeal_confirm", draft: draft, on: tx)
            let summary = String(format: t.summary, draft.applicationID, Self.quotable(grounds))
            let buttons = [("appeal:confirm", t.confirm), ("appeal:cancel", t.cancel)]
                .map {
                    "{\"type\":\"reply\",\"reply\":{\"id\":\"\($0.0)\",\"title\":\(JSONText.quoted(String($0.1.prefix(20))))}}"
                }.joined(separator: ",")
            replies.append(
                ConversationReply(
                    to: mobile, text: summary,
                    interactive:
                        "{\"type\":\"button\",\"body\":{\"text\":\(JSONText.quoted(summary))},\"action\":{\"buttons\":[\(buttons)]}}"
                ))
            return true
        case "appeal_confirm" where choice == "appeal:confirm":
            guard let draft = try draft(number, on: tx), let grounds = draft.grounds else { return false }
            try queue.enqueue(
                try Jobs.appealFile.job(
                    AppealFile(
                        applicationID: draft.applicationID, mobile: mobile, grounds: grounds, language: language),
                    priority: 1, uniqueKey: "appeal-file:\(wamid)"), on: tx)
            try save(number, language: language, state: "menu", on: tx)
            replies.append(ConversationReply(to: mobile, text: t.filing))
            return true
        case "appeal_confirm" where choice == "appeal:cancel":
            try save(number, language: language, state: "menu", on: tx)
            replies.append(ConversationReply(to: mobile, text: t.cancelled))
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
        let owned =
            try tx.query(
                """
                SELECT 1 FROM applications a JOIN citizens c ON c.id = a.citizen_id WHERE a.portal_application_id = $1 AND c.mobile = $2
                """, [applicationID, mobile]
            ).first != nil
        guard owned, applicationID.count <= 128 else {
            try save(number, language: language, state: "menu", on: tx)
            replies.append(ConversationReply(to: mobile, text: (Self.texts[language] ?? Self.texts["en"]!).notFound))
            replies.append(menu(to: mobile, language: language))
            return
        }
        try save(
            number, language: language, state: "appeal_grounds", draft: AppealDraft(applicationID: applicationID),
            on: tx)
        replies.append(
            ConversationReply(to: mobile, text: (Self.appealTexts[language] ?? Self.appealTexts["en"]!).askGrounds))
    }

    func draft(_ number: String, on tx: Connection) throws -> AppealDraft? {
        try tx.query("SELECT draft FROM whatsapp_conversations WHERE number = $1", [number]).first?.decode(
            PostgresJSON?.self, at: 0)?.decode(AppealDraft.self)
    }

    func save(_ number: String, language: String, state: String, draft: AppealDraft, on tx: Connection) throws {
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
