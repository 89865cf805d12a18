import Delivery
import Foundation
import JobContracts
import JobQueue
import Postgres
import ServiceRuntime

/// The citizen's conversation inside the 24-hour window: a language once, then a menu.
/// Replies go out through `conversation.reply` jobs, in the same transaction as the state they follow from.
struct Conversation {
    let queue: JobQueue
    /// The sender number the citizen wrote to: replies come from it.
    var phoneNumberID: String? = nil

    static let languages: [(id: String, title: String)] = [
        ("en", "English"), ("mr", "मराठी"), ("hi", "हिन्दी"), ("te", "తెలుగు"),
    ]

    struct Texts: Sendable {
        var menuBody, menuButton, track, certificates, appeal, help, askApplication, notFound, noCertificates,
            certificatesBody, helpText: String
        var statusLine: @Sendable (String, String, String) -> String  // application, decision, date
    }

    static let texts: [String: Texts] = [
        "en": Texts(
            menuBody: "How can we help you?", menuButton: "Menu", track: "Track an application",
            certificates: "My certificates",
            appeal: "File an appeal", help: "Help", askApplication: "Please send your application number.",
            notFound: "We found no application with that number for this mobile number.",
            noCertificates: "No certificates have been sent to this number yet.",
            certificatesBody: "Choose a certificate to receive it again.",
            helpText: "Choose an option from the menu. Reply STOP to stop WhatsApp messages.",
            statusLine: { "Application \($0): \($1) on \($2)." }),
        "mr": Texts(
            menuBody: "आम्ही तुमची कशी मदत करू?", menuButton: "मेनू", track: "अर्जाची स्थिती", certificates: "माझी प्रमाणपत्रे",
            appeal: "अपील दाखल करा", help: "मदत", askApplication: "कृपया तुमचा अर्ज क्रमांक पाठवा.",
            notFound: "या मोबाईल क्रमांकासाठी त्या क्रमांकाचा अर्ज आढळला नाही.", noCertificates: "या क्रमांकावर अद्याप कोणतेही प्रमाणपत्र पाठवलेले नाही.",
            certificatesBody: "पुन्हा मिळवण्यासाठी प्रमाणपत्र निवडा.", helpText: "मेनूमधून पर्याय निवडा. WhatsApp संदेश थांबवण्यासाठी STOP पाठवा.",
            statusLine: { "अर्ज \($0): \($1), दिनांक \($2)." }),
        "hi": Texts(
            menuBody: "हम आपकी कैसे मदद करें?", menuButton: "मेनू", track: "आवेदन की स्थिति", certificates: "मेरे प्रमाणपत्र",
            appeal: "अपील दायर करें", help: "सहायता", askApplication: "कृपया अपना आवेदन क्रमांक भेजें।",
            notFound: "इस मोबाइल नंबर के लिए उस क्रमांक का कोई आवेदन नहीं मिला।",
            noCertificates: "इस नंबर पर अभी तक कोई प्रमाणपत्र नहीं भेजा गया है।",
            certificatesBody: "दोबारा पाने के लिए प्रमाणपत्र चुनें।", helpText: "मेनू से विकल्प चुनें। WhatsApp संदेश रोकने के लिए STOP भेजें।",
            statusLine: { "आवेदन \($0): \($1), दिनांक \($2)।" }),
        "te": Texts(
            menuBody: "మేము మీకు ఎలా సహాయం చేయగలం?", menuButton: "మెనూ", track: "దరఖాస్తు స్థితి", certificates: "నా ధృవీకరణ పత్రాలు",
            appeal: "అప్పీల్ దాఖలు", help: "సహాయం", askApplication: "దయచేసి మీ దరఖాస్తు సంఖ్యను పంపండి.",
            notFound: "ఈ మొబైల్ నంబర్‌కు ఆ సంఖ్యతో దరఖాస్తు కనబడలేదు.", noCertificates: "ఈ నంబర్‌కు ఇంకా ఏ ధృవీకరణ పత్రం పంపలేదు.",
            certificatesBody: "మళ్లీ పొందడానికి ధృవీకరణ పత్రాన్ని ఎంచుకోండి.", helpText: "మెనూ నుండి ఎంపికను ఎంచుకోండి. WhatsApp సందేశాలు ఆపడానికి STOP పంపండి.",
            statusLine: { "దరఖాస్తు \($0): \($1), తేదీ \($2)." }),
    ]

    static let decisions: [String: [String: String]] = [
        "approved": ["en": "approved", "mr": "मंजूर", "hi": "स्वीकृत", "te": "ఆమోదించబడింది"],
        "rejected": ["en": "rejected", "mr": "नामंजूर", "hi": "अस्वीकृत", "te": "తిరస్కరించబడింది"],
        "other": ["en": "updated", "mr": "नवीन माहिती", "hi": "नई जानकारी", "te": "కొత్త సమాచారం"],
    ]

    /// Handles one inbound message (not STOP/START) from `number` (digits, as Meta sends it).
    func handle(_ message: [String: Any], from number: String, wamid: String, on tx: Connection) throws {
        let mobile = "+" + number
        let text = ((message["text"] as? [String: Any])?["body"] as? String)?.trimmingCharacters(
            in: .whitespacesAndNewlines)
        let interactive = message["interactive"] as? [String: Any]
        // A list or button reply carries our id; a template's quick-reply button carries its payload.
        let choice =
            ((interactive?["list_reply"] ?? interactive?["button_reply"]) as? [String: Any])?["id"] as? String
            ?? (message["button"] as? [String: Any])?["payload"] as? String
        let row = try tx.query(
            "SELECT language, state FROM whatsapp_conversations WHERE number = $1 FOR UPDATE", [number]
        ).first
        var language = try row?.decode(String?.self, at: 0)
        let state = try row?.decode(String.self, at: 1) ?? "menu"
        var replies: [ConversationReply] = []

        if language == nil, let choice, choice.hasPrefix("appeal:"),
            let known = try tx.query(
                "SELECT language FROM citizens WHERE mobile = $1 ORDER BY updated_at DESC LIMIT 1", [mobile]
            ).first?.decode(String.self, at: 0)
        {
            // A tap on a rejection's "File an appeal" button: the citizen is known, so their registered language serves.
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
        let lang = language ?? "en"
        let t = Self.texts[lang] ?? Self.texts["en"]!
        // A digit picks a menu entry only at the menu; while we wait for an application number, text is that number.
        let digit = state == "menu" ? text : nil
        if try appealStep(
            state: state, choice: choice, text: text, digit: digit, number: number, language: lang, wamid: wamid,
            replies: &replies, on: tx)
        {
            // handled by the appeal steps
        } else if choice == "menu:track" || digit == "1" {
            try save(number, language: lang, state: "awaiting_application_id", on: tx)
            replies.append(ConversationReply(to: mobile, text: t.askApplication))
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
            replies.append(ConversationReply(to: mobile, text: t.helpText))
        } else if let id = choice, id.hasPrefix("lang:"), let picked = Self.pickLanguage(choice: id, text: nil) {
            try save(number, language: picked, state: "menu", on: tx)
            replies.append(menu(to: mobile, language: picked))
        } else {
            replies.append(menu(to: mobile, language: lang))  // unknown input gets the menu, never silence
        }
        try send(replies, wamid: wamid, on: tx)
    }

    static func pickLanguage(choice: String?, text: String?) -> String? {
        if let choice, choice.hasPrefix("lang:") { return languages.first { "lang:" + $0.id == choice }?.id }
        guard let text else { return nil }
        if let number = Int(text), (1...4).contains(number) { return languages[number - 1].id }
        return languages.first { $0.title.lowercased() == text.lowercased() || $0.id == text.lowercased() }?.id
    }

    func save(_ number: String, language: String?, state: String, on tx: Connection) throws {
        try tx.query(
            """
            INSERT INTO whatsapp_conversations (number, language, state) VALUES ($1, $2, $3)
            ON CONFLICT (number) DO UPDATE SET language = excluded.language, state = excluded.state, draft = NULL, updated_at = now()
            """, [number, language, state])
    }

    func send(_ replies: [ConversationReply], wamid: String, on tx: Connection) throws {
        for (index, var reply) in replies.enumerated() {
            reply.from = reply.from ?? phoneNumberID
            try queue.enqueue(
                try Jobs.conversationReply.job(reply, priority: 1, uniqueKey: "reply:\(wamid):\(index)"), on: tx)
        }
    }

    func languageQuestion(to mobile: String) -> ConversationReply {
        let rows = Self.languages.map { "{\"id\":\"lang:\($0.id)\",\"title\":\(JSONText.quoted($0.title))}" }.joined(
            separator: ",")
        return ConversationReply(
            to: mobile, text: "Choose your language / भाषा निवडा / भाषा चुनें / భాష ఎంచుకోండి",
            interactive: "{\"type\":\"list\",\"body\":{\"text\":\"Choose your language / भाषा निवडा / भाषा चुनें / భాష ఎంచుకోండి\"},"
                + "\"action\":{\"button\":\"Language\",\"sections\":[{\"title\":\"Language\",\"rows\":[\(rows)]}]}}")
    }

    func menu(to mobile: String, language: String) -> ConversationReply {
        let t = Self.texts[language] ?? Self.texts["en"]!
        let rows = [
            ("menu:track", t.track), ("menu:certificates", t.certificates), ("menu:appeal", t.appeal),
            ("menu:help", t.help),
        ]
        .map { "{\"id\":\"\($0.0)\",\"title\":\(JSONText.quoted(String($0.1.prefix(24))))}" }.joined(separator: ",")
        return ConversationReply(
            to: mobile, text: t.menuBody,
            interactive: "{\"type\":\"list\",\"body\":{\"text\":\(JSONText.quoted(t.menuBody))},"
                + "\"action\":{\"button\":\(JSONText.quoted(t.menuButton)),\"sections\":[{\"title\":\(JSONText.quoted(t.menuButton)),\"rows\":[\(rows)]}]}}"
        )
    }

    /// The status of an application, only if it belongs to a citizen with this mobile number.
    func status(of raw: String, for mobile: String, language: String, on tx: Connection) throws -> String {
        let t = Self.texts[language] ?? Self.texts["en"]!
        let applicationID = Normalization.applicationID(raw)
        guard applicationID.count <= 128,
            let row = try tx.query(
                """
                SELECT d.decision, d.created_at FROM applications a JOIN citizens c ON c.id = a.citizen_id
                JOIN deliveries d ON d.application_id = a.id
                WHERE a.portal_application_id = $1 AND c.mobile = $2 ORDER BY d.created_at DESC LIMIT 1
                """, [applicationID, mobile]
            ).first
        else { return t.notFound }
        let decision = try row.decode(String.self, at: 0)
        let date = String(PostgresTimestamp.format(try row.decode(Date.self, at: 1)).prefix(10))
        // The id echoed back is the normalised one we found in our records, not the citizen's raw text.
        return t.statusLine(applicationID, Self.decisions[decision]?[language] ?? decision, date)
    }

    func certificates(for mobile: String, language: String, on tx: Connection) throws -> ConversationReply {
        let t = Self.texts[language] ?? Self.texts["en"]!
        let rows = try tx.query(
            """
            SELECT d.id, a.portal_application_id FROM deliveries d JOIN applications a ON a.id = d.application_id JOIN citizens c ON c.id = a.citizen_id
            JOIN channel_attempts ca ON ca.delivery_id = d.id AND ca.channel = 'whatsapp' AND ca.state IN ('sent', 'delivered', 'read')
            WHERE c.mobile = $1 AND d.document_id IS NOT NULL ORDER BY d.created_at DESC LIMIT 10
            """, [mobile]
        ).rows
        guard !rows.isEmpty else { return ConversationReply(to: mobile, text: t.noCertificates) }
        let items = try rows.map { row in
            "{\"id\":\"cert:\(try row.decode(UUID.self, at: 0).uuidString.lowercased())\",\"title\":\(JSONText.quoted(String(try row.decode(String.self, at: 1).prefix(24))))}"
        }.joined(separator: ",")
        return ConversationReply(
            to: mobile, text: t.certificatesBody,
            interactive: "{\"type\":\"list\",\"body\":{\"text\":\(JSONText.quoted(t.certificatesBody))},"
                + "\"action\":{\"button\":\(JSONText.quoted(t.certificates.prefix(20).description)),\"sections\":[{\"title\":\(JSONText.quoted(String(t.certificates.prefix(24)))),\"rows\":[\(items)]}]}}"
        )
    }

    /// Only certificates already delivered to this number may be re-sent to it.
    func ownsCertificate(_ deliveryID: UUID, mobile: String, on tx: Connection) throws -> Bool {
        try tx.query(
            """
            SELECT 1 FROM deliveries d JOIN applications a ON a.id = d.application_id JOIN citizens c ON c.id = a.citizen_id
            JOIN channel_attempts ca ON ca.delivery_id = d.id AND ca.channel = 'whatsapp' AND ca.state IN ('sent', 'delivered', 'read')
            WHERE d.id = $1 AND c.mobile = $2 AND d.document_id IS NOT NULL
            """, [deliveryID, mobile]
        ).count == 1
    }
}
