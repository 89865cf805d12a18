import Foundation
import WebPages

/// The verification page's words in Marathi, Hindi, Telugu and English, and the page itself: plain HTML that
/// works without JavaScript, with the language declared, a heading per part, the verdict in words (never colour
/// alone) and colours of at least 4.5:1 contrast.
enum VerificationTexts {
    static let words: [String: [String: String]] = [
        "skip": [
            "en": "Skip to the main content", "mr": "मुख्य मजकुराकडे जा", "hi": "मुख्य सामग्री पर जाएँ",
            "te": "ప్రధాన విషయానికి వెళ్ళండి",
        ],
        "title": [
            "en": "Certificate verification", "mr": "प्रमाणपत्र पडताळणी", "hi": "प्रमाणपत्र सत्यापन",
            "te": "ధృవీకరణ పత్రం తనిఖీ",
        ],
        "valid": [
            "en": "Genuine and valid", "mr": "खरे आणि वैध प्रमाणपत्र", "hi": "असली और वैध प्रमाणपत्र",
            "te": "నిజమైనది, చెల్లుబాటు అవుతుంది",
        ],
        "revoked": [
            "en": "Revoked: no longer valid", "mr": "रद्द केलेले: आता वैध नाही", "hi": "रद्द: अब वैध नहीं",
            "te": "రద్దు చేయబడింది: ఇకపై చెల్లదు",
        ],
        "not_genuine": [
            "en": "Not a certificate we issued", "mr": "हे आम्ही दिलेले प्रमाणपत्र नाही",
            "hi": "यह हमारे द्वारा जारी प्रमाणपत्र नहीं है", "te": "ఇది మేము జారీ చేసిన ధృవీకరణ పత్రం కాదు",
        ],
        "issued_by": ["en": "Issued by", "mr": "जारी करणारा विभाग", "hi": "जारी करने वाला विभाग", "te": "జారీ చేసిన శాఖ"],
        "document_type": ["en": "Document", "mr": "दस्तऐवज", "hi": "दस्तावेज़", "te": "పత్రం"],
        "certificate_id": [
            "en": "Certificate number", "mr": "प्रमाणपत्र क्रमांक", "hi": "प्रमाणपत्र संख्या", "te": "ధృవీకరణ పత్రం సంఖ్య",
        ],
        "issued_on": ["en": "Issued on", "mr": "दिनांक", "hi": "जारी करने की तिथि", "te": "జారీ తేదీ"],
        "log_index": [
            "en": "Public record entry", "mr": "सार्वजनिक नोंद क्रमांक", "hi": "सार्वजनिक अभिलेख प्रविष्टि",
            "te": "పబ్లిక్ రికార్డు నమోదు",
        ],
        "revoked_at": ["en": "Revoked on", "mr": "रद्द केल्याचा दिनांक", "hi": "रद्द करने की तिथि", "te": "రద్దు తేదీ"],
        "reason": ["en": "Reason", "mr": "कारण", "hi": "कारण", "te": "కారణం"],
        "check_heading": ["en": "Check a PDF", "mr": "PDF तपासा", "hi": "PDF जाँचें", "te": "PDF తనిఖీ చేయండి"],
        "check_help": [
            "en": "Choose the certificate's PDF file: we tell you whether it is exactly a certificate we delivered.",
            "mr": "प्रमाणपत्राची PDF फाईल निवडा: ती आम्ही दिलेले प्रमाणपत्रच आहे का ते आम्ही सांगू.",
            "hi": "प्रमाणपत्र की PDF फ़ाइल चुनें: हम बताएँगे कि क्या यह ठीक वही प्रमाणपत्र है जो हमने दिया था।",
            "te": "ధృవీకరణ పత్రం PDF ఫైల్‌ను ఎంచుకోండి: అది మేము ఇచ్చిన పత్రమేనా అని చెబుతాము.",
        ],
        "file": ["en": "PDF file", "mr": "PDF फाईल", "hi": "PDF फ़ाइल", "te": "PDF ఫైల్"],
        "check": ["en": "Check", "mr": "तपासा", "hi": "जाँचें", "te": "తనిఖీ చేయండి"],
        "language": ["en": "Language", "mr": "भाषा", "hi": "भाषा", "te": "భాష"],
        "scan_help": [
            "en": "Scan the QR code printed on a certificate to verify it, or check its PDF below.",
            "mr": "प्रमाणपत्र तपासण्यासाठी त्यावरील QR कोड स्कॅन करा, किंवा खाली त्याची PDF तपासा.",
            "hi": "प्रमाणपत्र सत्यापित करने के लिए उस पर छपा QR कोड स्कैन करें, या नीचे उसकी PDF जाँचें।",
            "te": "ధృవీకరించడానికి పత్రంపై ఉన్న QR కోడ్‌ను స్కాన్ చేయండి, లేదా కింద దాని PDF తనిఖీ చేయండి.",
        ],
        "reason_issued_in_error": [
            "en": "issued in error", "mr": "चुकीने दिले गेले", "hi": "गलती से जारी", "te": "పొరపాటున జారీ చేయబడింది",
        ],
        "reason_superseded": [
            "en": "replaced by a newer certificate", "mr": "नवीन प्रमाणपत्राने बदलले", "hi": "नए प्रमाणपत्र से बदला गया",
            "te": "కొత్త పత్రంతో భర్తీ చేయబడింది",
        ],
        "reason_cancelled_by_order": [
            "en": "cancelled by an order", "mr": "आदेशाने रद्द", "hi": "आदेश द्वारा रद्द", "te": "ఉత్తర్వు ద్వారా రద్దు",
        ],
        "reason_fraud": ["en": "obtained by fraud", "mr": "फसवणुकीने मिळवले", "hi": "धोखाधड़ी से प्राप्त", "te": "మోసంతో పొందబడింది"],
        "not_genuine_help": [
            "en": "Do not accept this document. If you were given it as a certificate, tell the issuing office.",
            "mr": "हा दस्तऐवज स्वीकारू नका. प्रमाणपत्र म्हणून दिला असल्यास संबंधित कार्यालयाला कळवा.",
            "hi": "यह दस्तावेज़ स्वीकार न करें। यदि यह प्रमाणपत्र के रूप में दिया गया है, तो जारी करने वाले कार्यालय को बताएँ।",
            "te": "ఈ పత్రాన్ని అంగీకరించవద్దు. ఇది ధృవీకరణ పత్రంగా ఇవ్వబడితే, జారీ చేసిన కార్యాలయానికి తెలియజేయండి.",
        ],
    ]

    static func word(_ key: String, _ language: String) -> String { words[key]?[language] ?? words[key]?["en"] ?? key }

    static func page(_ verdict: Verification.Verdict?, language: String) -> String {
        let w = { (key: String) in WebPage.escape(word(key, language)) }
        var body = ""
        if let verdict {
            let (key, css, mark) =
                switch verdict.state {
                case .valid: ("valid", "valid", "✔")
                case .revoked: ("revoked", "revoked", "✖")
                case .notGenuine: ("not_genuine", "forged", "✖")
                }
            body += "<section class=\"verdict \(css)\" aria-labelledby=\"verdict\">\n"
            body += "<h2 id=\"verdict\"><span aria-hidden=\"true\">\(mark)</span> \(w(key))</h2>\n"
            if verdict.state == .notGenuine {
                body += "<p>\(w("not_genuine_help"))</p>\n"
            } else {
                body += "<dl>\n"
                let rows: [(String, String?)] = [
                    ("issued_by", verdict.issuedBy), ("document_type", verdict.documentType),
                    ("certificate_id", verdict.certificateID), ("issued_on", verdict.issuedOn),
                    ("log_index", verdict.logIndex.map(String.init)),
                    ("revoked_at", verdict.revokedAt.map(Verification.day)),
                    ("reason", verdict.revocationReason.map { word("reason_" + $0, language) }),
                ]
                for (label, value) in rows {
                    if let value { body += "<dt>\(w(label))</dt><dd>\(WebPage.escape(value))</dd>\n" }
                }
                body += "</dl>\n"
            }
            body += "</section>\n"
        } else {
            body += "<p>\(w("scan_help"))</p>\n"
        }
        body += """
            <section aria-labelledby="check">
            <h2 id="check">\(w("check_heading"))</h2>
            <p id="check-help">\(w("check_help"))</p>
            <form method="post" action="/v/check?lang=\(language)" enctype="multipart/form-data">
            <label for="pdf">\(w("file"))</label>
            <input id="pdf" name="pdf" type="file" accept="application/pdf" required aria-describedby="check-help">
            <button type="submit">\(w("check"))</button>
            </form>
            </section>

            """
        return WebPage.document(
            title: word("title", language), language: language, languageLabel: word("language", language),
            skipLabel: word("skip", language), main: body,
            extraCSS: """
                body{max-width:40rem}
                .verdict{border:3px solid;padding:1rem;margin:1rem 0;border-radius:.5rem}
                .valid{border-color:#1b6e20;background:#eef7ee}.revoked,.forged{border-color:#a4161a;background:#fdeeee}
                .valid h2{color:#1b6e20}.revoked h2,.forged h2{color:#a4161a}
                """)
    }
}
