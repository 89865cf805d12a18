import Delivery
import Foundation
import JobContracts
import JobQueue
import Postgres

/// STOP and START from citizens, in English, Marathi, Hindi and Telugu.
enum OptOut {

    static let stopWords: Set<String> = ["stop", "unsubscribe", "थांबवा", "बंद करा", "बंद", "रोकें", "रोको", "ఆపు", "ఆపండి"]
    static let startWords: Set<String> = ["start", "subscribe", "सुरू करा", "सुरू", "शुरू", "शुरू करें", "ప్రారంభించు", "ప్రారంభం"]

    enum Command { case stop, start }

    static func command(in text: String) -> Command? {
        let normalized = text.trimmingCharacters(in: .whitespacesAndNewlines.union(.punctuationCharacters)).lowercased()
        if stopWords.contains(normalized) { return .stop }
        if startWords.contains(normalized) { return .start }
        return nil
    }

    static let confirmations: [Command: [String: String]] = [
        .stop: [
            "en":
                "You will no longer get messages from us on WhatsApp. Your outcomes and certificates stay in your portal inbox and email. Reply START to get them here again.",
            "mr":
                "यापुढे तुम्हाला आमच्याकडून WhatsApp वर संदेश येणार नाहीत. तुमचे निकाल आणि प्रमाणपत्रे पोर्टल इनबॉक्स आणि ईमेलवर मिळत राहतील. पुन्हा सुरू करण्यासाठी START पाठवा.",
            "hi":
                "अब आपको WhatsApp पर हमारे संदेश नहीं मिलेंगे। आपके परिणाम और प्रमाणपत्र पोर्टल इनबॉक्स और ईमेल पर मिलते रहेंगे। फिर से पाने के लिए START भेजें।",
            "te": "ఇకపై మీకు WhatsApp లో మా సందేశాలు రావు. మీ ఫలితాలు, ధృవీకరణ పత్రాలు పోర్టల్ ఇన్‌బాక్స్ మరియు ఇమెయిల్‌లో అందుతూనే ఉంటాయి. మళ్లీ పొందడానికి START పంపండి.",
        ],
        .start: [
            "en":
                "Welcome back: you will get your application outcomes and certificates here on WhatsApp. Reply STOP at any time to stop.",
            "mr": "पुन्हा स्वागत आहे: तुमच्या अर्जांचे निकाल आणि प्रमाणपत्रे तुम्हाला येथे WhatsApp वर मिळतील. थांबवण्यासाठी कधीही STOP पाठवा.",
            "hi": "फिर से स्वागत है: आपके आवेदनों के परिणाम और प्रमाणपत्र आपको यहाँ WhatsApp पर मिलेंगे। रोकने के लिए कभी भी STOP भेजें।",
            "te": "మళ్లీ స్వాగతం: మీ దరఖాస్తుల ఫలితాలు, ధృవీకరణ పత్రాలు మీకు ఇక్కడ WhatsApp లో అందుతాయి. ఆపడానికి ఎప్పుడైనా STOP పంపండి.",
        ],
    ]

    /// Records the opt-out or opt-in for the citizen with this number (time and source kept) and queues the
    /// confirmation, in the caller's transaction. Returns false when `text` is neither STOP nor START.
    @discardableResult
    static func handle(
        text: String, from number: String, wamid: String, to phoneNumberID: String? = nil, queue: JobQueue,
        on tx: Connection
    ) throws -> Bool {
        guard let command = command(in: text) else { return false }
        let mobile = "+" + number
        let citizens = try tx.query("SELECT id, language FROM citizens WHERE mobile = $1", [mobile]).rows
        for citizen in citizens {
            try tx.query(
                "INSERT INTO citizen_consents (citizen_id, channel, granted, source, recorded_at) VALUES ($1, 'whatsapp', $2, $3, now())",
                [
                    try citizen.decode(Int64.self, at: 0), command == .start,
                    command == .stop ? "whatsapp:STOP" : "whatsapp:START",
                ])
        }
        let language = try citizens.first?.decode(String.self, at: 1) ?? "en"
        let text = confirmations[command]?[language] ?? confirmations[command]?["en"] ?? ""
        try queue.enqueue(
            try Jobs.conversationReply.job(
                ConversationReply(to: mobile, text: text, from: phoneNumberID), priority: 1,
                uniqueKey: "reply:\(wamid)"), on: tx)
        return true
    }
}
