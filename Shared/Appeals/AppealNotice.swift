import Delivery
import Foundation
import JobContracts
import JobQueue
import Postgres

/// What the appeals service tells a citizen. Each notice goes through the dispatcher like an outcome, on
/// the citizen's channels and in their language; the text is composed here from the notice's facts.
package enum AppealNotice: Sendable, Equatable {
    /// The time limit passed with no decision: a first appeal is open until `lastDay`.
    case timeLimitLapsed(dueOn: CivilDate, lastDay: CivilDate)
    /// An appeal was filed (acknowledgement), to be decided by `decideBy`.
    case filed(number: String, level: Int, decideBy: CivilDate)
    /// A late appeal was filed; the authority decides whether to admit it.
    case filedLate(number: String, level: Int)
    /// The authority did not admit a late appeal.
    case notAdmitted(number: String, reasons: [String])
    /// A hearing was fixed.
    case hearing(number: String, at: Date)
    /// Allowed: the designated officer must deliver by `deliverBy`.
    case allowed(number: String, deliverBy: CivilDate)
    /// Dismissed with reasons; the next level is open until `nextLastDay` (nil at the last level).
    case dismissed(number: String, reasons: [String], nextLevel: Int?, nextLastDay: CivilDate?)
    /// The authority missed its deadline; the next level is open until `nextLastDay` (nil at the last level).
    case overdue(number: String, decideBy: CivilDate, nextLevel: Int?, nextLastDay: CivilDate?)
    /// The officer did not deliver as the order directed; the next level is open until `nextLastDay`.
    case directedLapsed(number: String, deliverBy: CivilDate, nextLevel: Int?, nextLastDay: CivilDate?)

    /// The short name of the notice (kept on the delivery).
    package var kind: String {
        switch self {
        case .timeLimitLapsed: "time_limit_lapsed"
        case .filed: "appeal_filed"
        case .filedLate: "appeal_filed_late"
        case .notAdmitted: "appeal_not_admitted"
        case .hearing: "hearing_scheduled"
        case .allowed: "appeal_allowed"
        case .dismissed: "appeal_dismissed"
        case .overdue: "appeal_overdue"
        case .directedLapsed: "directed_delivery_lapsed"
        }
    }

    static func levelName(_ level: Int, _ language: String) -> String {
        let names: [String: [String]] = [
            "en": ["first appeal", "second appeal", "appeal to the State Commission"],
            "mr": ["प्रथम अपील", "द्वितीय अपील", "राज्य सेवा हक्क आयोगाकडे अपील"],
            "hi": ["प्रथम अपील", "द्वितीय अपील", "राज्य आयोग में अपील"],
            "te": ["మొదటి అప్పీల్", "రెండవ అప్పీల్", "రాష్ట్ర కమిషన్‌కు అప్పీల్"],
        ]
        let list = names[language] ?? names["en"]!
        return list[min(max(level, 1), 3) - 1]
    }

    /// The notice in `language` (en, mr, hi or te; English otherwise), dates as DD-MM-YYYY in IST.
    package func text(language: String) -> String {
        let l = ["en", "mr", "hi", "te"].contains(language) ? language : "en"
        func name(_ level: Int) -> String { Self.levelName(level, l) }
        func next(_ level: Int?, _ day: CivilDate?) -> String {
            guard let level, let day else {
                return [
                    "en": "This was the last level of appeal.", "mr": "हा अपिलाचा शेवटचा स्तर होता.",
                    "hi": "यह अपील का अंतिम स्तर था।", "te": "ఇది అప్పీల్ చివరి స్థాయి.",
                ][l]!
            }
            return [
                "en": "You may file a \(name(level)) until \(day.indianFormat).",
                "mr": "तुम्ही \(day.indianFormat) पर्यंत \(name(level)) दाखल करू शकता.",
                "hi": "आप \(day.indianFormat) तक \(name(level)) दायर कर सकते हैं।",
                "te": "మీరు \(day.indianFormat) వరకు \(name(level)) దాఖలు చేయవచ్చు.",
            ][l]!
        }
        func reasons(_ list: [String]) -> String { list.joined(separator: "; ") }
        switch self {
        case .timeLimitLapsed(let due, let last):
            return [
                "en":
                    "The time limit for your application ended on \(due.indianFormat) without a decision. You may file a first appeal until \(last.indianFormat).",
                "mr":
                    "तुमच्या अर्जाची कालमर्यादा \(due.indianFormat) रोजी निर्णयाशिवाय संपली. तुम्ही \(last.indianFormat) पर्यंत प्रथम अपील दाखल करू शकता.",
                "hi":
                    "आपके आवेदन की समय-सीमा \(due.indianFormat) को बिना निर्णय के समाप्त हो गई। आप \(last.indianFormat) तक प्रथम अपील दायर कर सकते हैं।",
                "te": "మీ దరఖాస్తు గడువు \(due.indianFormat) న నిర్ణయం లేకుండా ముగిసింది. మీరు \(last.indianFormat) వరకు మొదటి అప్పీల్ దాఖలు చేయవచ్చు.",
            ][l]!
        case .filed(let number, let level, let decideBy):
            return [
                "en":
                    "Your \(name(level)) has been filed. Appeal number: \(number). It is to be decided by \(decideBy.indianFormat).",
                "mr":
                    "तुमचे \(name(level)) दाखल झाले आहे. अपील क्रमांक: \(number). त्यावर \(decideBy.indianFormat) पर्यंत निर्णय होणे आवश्यक आहे.",
                "hi": "आपकी \(name(level)) दायर हो गई है। अपील क्रमांक: \(number)। इस पर \(decideBy.indianFormat) तक निर्णय होना है।",
                "te": "మీ \(name(level)) దాఖలైంది. అప్పీల్ సంఖ్య: \(number). దీనిపై \(decideBy.indianFormat) లోపు నిర్ణయం తీసుకోవాలి.",
            ][l]!
        case .filedLate(let number, let level):
            return [
                "en":
                    "Your \(name(level)) has been filed after the time allowed. Appeal number: \(number). The authority will decide whether to admit it, considering your reason for the delay.",
                "mr":
                    "तुमचे \(name(level)) मुदतीनंतर दाखल झाले आहे. अपील क्रमांक: \(number). विलंबाचे तुमचे कारण विचारात घेऊन प्राधिकारी ते दाखल करून घ्यायचे की नाही ते ठरवतील.",
                "hi":
                    "आपकी \(name(level)) निर्धारित समय के बाद दायर हुई है। अपील क्रमांक: \(number)। देरी का आपका कारण देखकर प्राधिकारी तय करेंगे कि इसे स्वीकार करें या नहीं।",
                "te": "మీ \(name(level)) గడువు తర్వాత దాఖలైంది. అప్పీల్ సంఖ్య: \(number). ఆలస్యానికి మీ కారణాన్ని పరిశీలించి అధికారి దీన్ని స్వీకరించాలో లేదో నిర్ణయిస్తారు.",
            ][l]!
        case .notAdmitted(let number, let list):
            return [
                "en": "Your late appeal \(number) was not admitted. Reasons: \(reasons(list)).",
                "mr": "तुमचे विलंबित अपील \(number) दाखल करून घेतले गेले नाही. कारणे: \(reasons(list)).",
                "hi": "आपकी विलंबित अपील \(number) स्वीकार नहीं की गई। कारण: \(reasons(list))।",
                "te": "మీ ఆలస్యమైన అప్పీల్ \(number) స్వీకరించబడలేదు. కారణాలు: \(reasons(list)).",
            ][l]!
        case .hearing(let number, let at):
            let when = Self.formatInstant(at)
            return [
                "en": "The hearing of your appeal \(number) is fixed for \(when). Please attend with your documents.",
                "mr": "तुमच्या अपील \(number) ची सुनावणी \(when) रोजी ठेवली आहे. कृपया कागदपत्रांसह उपस्थित राहा.",
                "hi": "आपकी अपील \(number) की सुनवाई \(when) को तय की गई है। कृपया अपने दस्तावेज़ों के साथ उपस्थित हों।",
                "te": "మీ అప్పీల్ \(number) విచారణ \(when) న నిర్ణయించబడింది. దయచేసి మీ పత్రాలతో హాజరు కాండి.",
            ][l]!
        case .allowed(let number, let deliverBy):
            return [
                "en":
                    "Your appeal \(number) has been allowed. The designated officer is directed to provide the service by \(deliverBy.indianFormat).",
                "mr": "तुमचे अपील \(number) मान्य झाले आहे. पदनिर्देशित अधिकाऱ्याला \(deliverBy.indianFormat) पर्यंत सेवा देण्याचे निर्देश दिले आहेत.",
                "hi": "आपकी अपील \(number) स्वीकार कर ली गई है। पदनामित अधिकारी को \(deliverBy.indianFormat) तक सेवा देने का निर्देश दिया गया है।",
                "te": "మీ అప్పీల్ \(number) ఆమోదించబడింది. నియమిత అధికారి \(deliverBy.indianFormat) లోపు సేవ అందించాలని ఆదేశించబడింది.",
            ][l]!
        case .dismissed(let number, let list, let level, let day):
            return
                ([
                    "en": "Your appeal \(number) has been dismissed. Reasons: \(reasons(list)).",
                    "mr": "तुमचे अपील \(number) फेटाळले आहे. कारणे: \(reasons(list)).",
                    "hi": "आपकी अपील \(number) खारिज कर दी गई है। कारण: \(reasons(list))।",
                    "te": "మీ అప్పీల్ \(number) తిరస్కరించబడింది. కారణాలు: \(reasons(list)).",
                ][l]!) + " " + next(level, day)
        case .overdue(let number, let decideBy, let level, let day):
            return
                ([
                    "en": "Your appeal \(number) was not decided by \(decideBy.indianFormat), the date the law sets.",
                    "mr": "तुमच्या अपील \(number) वर कायद्याने ठरवलेल्या \(decideBy.indianFormat) या तारखेपर्यंत निर्णय झाला नाही.",
                    "hi": "आपकी अपील \(number) पर कानून द्वारा तय तिथि \(decideBy.indianFormat) तक निर्णय नहीं हुआ।",
                    "te": "మీ అప్పీల్ \(number) పై చట్టం నిర్ణయించిన \(decideBy.indianFormat) తేదీ లోపు నిర్ణయం తీసుకోలేదు.",
                ][l]!) + " " + next(level, day)
        case .directedLapsed(let number, let deliverBy, let level, let day):
            return
                ([
                    "en":
                        "The service directed by the order on appeal \(number) was not provided by \(deliverBy.indianFormat).",
                    "mr": "अपील \(number) वरील आदेशानुसार सेवा \(deliverBy.indianFormat) पर्यंत दिली गेली नाही.",
                    "hi": "अपील \(number) पर आदेश के अनुसार सेवा \(deliverBy.indianFormat) तक नहीं दी गई।",
                    "te": "అప్పీల్ \(number) పై ఆదేశం ప్రకారం సేవ \(deliverBy.indianFormat) లోపు అందించబడలేదు.",
                ][l]!) + " " + next(level, day)
        }
    }

    /// `DD-MM-YYYY HH:MM` in IST.
    static func formatInstant(_ instant: Date) -> String {
        let day = CivilDate(instant)
        let seconds = Int(floor(instant.timeIntervalSince1970)) + CivilDate.istOffsetSeconds - day.dayNumber * 86_400
        return day.indianFormat + String(format: " %02d:%02d IST", seconds / 3600, (seconds % 3600) / 60)
    }

    /// Records the notice as a delivery to the application's citizen in their language, with its dispatcher
    /// job, inside the caller's transaction. `document` (an order PDF) goes like a certificate.
    @discardableResult
    package func send(
        applicationID: Int64, appealID: Int64?, document: Int64? = nil, isTest: Bool, queue: JobQueue,
        on connection: Connection
    ) throws -> UUID {
        let language =
            try connection.query(
                "SELECT c.language FROM applications a JOIN citizens c ON c.id = a.citizen_id WHERE a.id = $1",
                [applicationID]
            ).first?.decode(String.self, at: 0) ?? "mr"
        let deliveryID = UUID()
        try connection.query(
            """
            INSERT INTO deliveries (id, application_id, is_test, decision, reasons, language, document_id, appeal_id, notice)
            VALUES ($1, $2, $3, 'appeal', $4::text[], $5, $6, $7, $8)
            """, [deliveryID, applicationID, isTest, [text(language: language)], language, document, appealID, kind])
        try queue.enqueue(
            try Jobs.deliveryRequested.job(
                DeliveryRequested(deliveryID: deliveryID), priority: 1,
                uniqueKey: "delivery:\(deliveryID.uuidString.lowercased())"), on: connection)
        return deliveryID
    }
}

/// The application's history: one row per state change.
package enum ApplicationHistory {
    package static func record(
        applicationID: Int64, appealID: Int64? = nil, event: String, actor: String, detail: [String: String] = [:],
        at: Date, on connection: Connection
    ) throws {
        try connection.query(
            """
            INSERT INTO application_history (application_id, appeal_id, event, actor, detail, at) VALUES ($1, $2, $3, $4, $5::jsonb, $6)
            """, [applicationID, appealID, event, actor, try PostgresJSON(encoding: detail), at])
    }
}
