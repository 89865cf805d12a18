import Delivery
import Foundation
import HTTPServer
import Postgres
import WebPages

/// The page an email rating question's links open: `GET /rate/{token}?stars=n` shows a form (the rating chosen,
/// an optional comment) and records nothing, so a mail scanner that follows links cannot answer for the citizen;
/// `POST /rate/{token}` keeps the answer once. Server-rendered HTML without JavaScript, in Marathi, Hindi, Telugu or
/// English (the question's language, or `?lang=`); no personal data on it beyond the application number.
struct RatingPage: Sendable {
    let pool: ConnectionPool

    static let words: [String: [String: String]] = [
        "title": [
            "en": "Rate the service", "mr": "सेवेला गुण द्या", "hi": "सेवा को रेटिंग दें", "te": "సేవకు రేటింగ్ ఇవ్వండి",
        ],
        "skip": [
            "en": "Skip to the main content", "mr": "मुख्य मजकुराकडे जा", "hi": "मुख्य सामग्री पर जाएँ",
            "te": "ప్రధాన విషయానికి వెళ్ళండి",
        ],
        "language": ["en": "Language", "mr": "भाषा", "hi": "भाषा", "te": "భాష"],
        "intro": [
            "en": "How was the service for your application {application} ({service})?",
            "mr": "तुमच्या अर्ज {application} ({service}) साठी सेवा कशी होती?",
            "hi": "आपके आवेदन {application} ({service}) के लिए सेवा कैसी रही?",
            "te": "మీ దరఖాస్తు {application} ({service}) కోసం సేవ ఎలా ఉంది?",
        ],
        "rating": ["en": "Your rating", "mr": "तुमचे गुण", "hi": "आपकी रेटिंग", "te": "మీ రేటింగ్"],
        "1": ["en": "1: poor", "mr": "1: वाईट", "hi": "1: खराब", "te": "1: బాగాలేదు"],
        "2": ["en": "2: below expectations", "mr": "2: अपेक्षेपेक्षा कमी", "hi": "2: अपेक्षा से कम", "te": "2: అంచనా కంటే తక్కువ"],
        "3": ["en": "3: acceptable", "mr": "3: ठीक", "hi": "3: ठीक", "te": "3: పరవాలేదు"],
        "4": ["en": "4: good", "mr": "4: चांगली", "hi": "4: अच्छी", "te": "4: బాగుంది"],
        "5": ["en": "5: excellent", "mr": "5: उत्तम", "hi": "5: उत्तम", "te": "5: అద్భుతం"],
        "comment": [
            "en": "Comment (optional, read only by the department)",
            "mr": "अभिप्राय (ऐच्छिक, फक्त विभाग वाचतो)", "hi": "टिप्पणी (वैकल्पिक, केवल विभाग पढ़ता है)",
            "te": "వ్యాఖ్య (ఐచ్ఛికం, విభాగం మాత్రమే చదువుతుంది)",
        ],
        "send": ["en": "Send", "mr": "पाठवा", "hi": "भेजें", "te": "పంపండి"],
        "thanks": [
            "en": "Thank you. Your rating was recorded.", "mr": "धन्यवाद. तुमचे गुण नोंदवले.",
            "hi": "धन्यवाद। आपकी रेटिंग दर्ज हो गई।", "te": "ధన్యవాదాలు. మీ రేటింగ్ నమోదైంది.",
        ],
        "already": [
            "en": "This application was rated already; the first answer stands.",
            "mr": "या अर्जासाठी आधीच गुण दिले आहेत; पहिले उत्तर कायम राहते.",
            "hi": "इस आवेदन के लिए रेटिंग पहले ही दी जा चुकी है; पहला उत्तर मान्य है।",
            "te": "ఈ దరఖాస్తుకు ఇప్పటికే రేటింగ్ ఇచ్చారు; మొదటి సమాధానమే ఉంటుంది.",
        ],
        "unknown": [
            "en": "This link is not one we sent, or it is incomplete.",
            "mr": "ही लिंक आम्ही पाठवलेली नाही, किंवा ती अपूर्ण आहे.",
            "hi": "यह लिंक हमने नहीं भेजा, या यह अधूरा है।", "te": "ఈ లింక్ మేము పంపినది కాదు, లేదా అసంపూర్ణంగా ఉంది.",
        ],
        "choose": [
            "en": "Choose a rating from 1 to 5.", "mr": "1 ते 5 पैकी गुण निवडा.", "hi": "1 से 5 में से रेटिंग चुनें।",
            "te": "1 నుండి 5 లోపు రేటింగ్ ఎంచుకోండి.",
        ],
    ]

    static func word(_ key: String, _ language: String) -> String { words[key]?[language] ?? words[key]?["en"] ?? key }

    func routes(into router: inout Router) {
        router.get("/rate/{token}") { request in try show(request) }
        router.post("/rate/{token}") { request in try answer(request) }
    }

    func language(_ request: Request, question: ServiceRatings.EmailQuestion?) -> String {
        WebPage.language(
            query: request.query["lang"],
            accept: question.map { WebPage.languages.contains($0.language) ? $0.language : "en" }
                ?? request.header("accept-language"))
    }

    func show(_ request: Request) throws -> Response {
        let token = try request.parameter("token")
        let question = try pool.withConnection { try ServiceRatings.emailQuestion(token: token, on: $0) }
        let language = language(request, question: question)
        guard let question else {
            return page(
                language: language, token: token, body: "<p>\(WebPage.escape(Self.word("unknown", language)))</p>",
                status: 404)
        }
        let named = try named(question, token: token, language: language)
        guard named.rating == nil else {
            return page(
                language: language, token: token, body: "<p>\(WebPage.escape(Self.word("already", language)))</p>")
        }
        return page(
            language: language, token: token,
            body: form(named, token: token, language: language, chosen: request.query["stars"].flatMap(Int.init)))
    }

    func answer(_ request: Request) throws -> Response {
        let token = try request.parameter("token")
        let fields = try request.formFields()
        let question = try pool.withConnection { try ServiceRatings.emailQuestion(token: token, on: $0) }
        let language =
            WebPage.languages.contains(fields["lang"] ?? "")
            ? fields["lang"]! : self.language(request, question: question)
        guard let question else {
            return page(
                language: language, token: token, body: "<p>\(WebPage.escape(Self.word("unknown", language)))</p>",
                status: 404)
        }
        guard let stars = fields["rating"].flatMap(Int.init), (1...5).contains(stars) else {
            let named = try named(question, token: token, language: language)
            return page(
                language: language, token: token,
                body: "<p class=\"notice\" role=\"alert\">\(WebPage.escape(Self.word("choose", language)))</p>"
                    + form(named, token: token, language: language, chosen: nil), status: 422)
        }
        let comment = fields["comment"].map { String($0.prefix(1000)) }
        let result = try pool.withConnection {
            try ServiceRatings.answer(token: token, rating: stars, comment: comment, on: $0)
        }
        let key = result == .recorded ? "thanks" : "already"
        return page(
            language: language, token: token,
            body: "<p class=\"notice done\" role=\"status\">\(WebPage.escape(Self.word(key, language)))</p>")
    }

    /// The question with its service named in `language`: read again only when the page is in another language than
    /// the question's.
    func named(_ question: ServiceRatings.EmailQuestion, token: String, language: String) throws
        -> ServiceRatings.EmailQuestion
    {
        guard language != question.language else { return question }
        return try pool.withConnection { try ServiceRatings.emailQuestion(token: token, language: language, on: $0) }
            ?? question
    }

    func form(_ question: ServiceRatings.EmailQuestion, token: String, language: String, chosen: Int?) -> String {
        let intro = Self.word("intro", language).replacingOccurrences(of: "{application}", with: question.applicationID)
            .replacingOccurrences(of: "{service}", with: question.service)
        let options = (1...5).reversed().map { stars in
            """
            <div><input type="radio" id="r\(stars)" name="rating" value="\(stars)"\(chosen == stars ? " checked" : "") required> \
            <label for="r\(stars)" style="display:inline;font-weight:normal">\(WebPage.escape(Self.word(String(stars), language)))</label></div>
            """
        }.joined(separator: "\n")
        return """
            <p>\(WebPage.escape(intro))</p>
            <form method="post" action="/rate/\(WebPage.escape(token))">
            <input type="hidden" name="lang" value="\(language)">
            <fieldset><legend>\(WebPage.escape(Self.word("rating", language)))</legend>
            \(options)
            </fieldset>
            <p><label for="comment">\(WebPage.escape(Self.word("comment", language)))</label>
            <textarea id="comment" name="comment" rows="4" cols="40" maxlength="1000"></textarea></p>
            <p><button type="submit">\(WebPage.escape(Self.word("send", language)))</button></p>
            </form>

            """
    }

    func page(language: String, token: String, body: String, status: Int = 200) -> Response {
        let html = WebPage.document(
            title: Self.word("title", language), language: language,
            switchPath: "/rate/" + (token.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? ""),
            languageLabel: Self.word("language", language), skipLabel: Self.word("skip", language), main: body)
        return Response(
            status: status, body: Array(html.utf8), contentType: "text/html; charset=utf-8",
            headers: [
                ("Cache-Control", "no-store"), ("Content-Language", language), ("Referrer-Policy", "no-referrer"),
            ])
    }
}
