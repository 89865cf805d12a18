/// What the appeals service tells a citizen under the Right to Public Services Act, in every language. A notice
/// goes out on every channel as the body of a delivery (the portal inbox, the `dakiya_appeal_update` WhatsApp
/// template, the `appeal` email template). Dates are filled as DD-MM-YYYY (IST).
package enum NoticeTexts: TextCatalogue {
    /// The three levels: first appeal, second appeal, appeal to the State Commission.
    package static let levels: [Localized] = [
        Localized(
            en: "first appeal", ["mr": "प्रथम अपील", "hi": "प्रथम अपील", "te": "మొదటి అప్పీల్", "ur": "پہلی اپیل"]),
        Localized(
            en: "second appeal",
            ["mr": "द्वितीय अपील", "hi": "द्वितीय अपील", "te": "రెండవ అప్పీల్", "ur": "دوسری اپیل"]),
        Localized(
            en: "appeal to the State Commission",
            [
                "mr": "राज्य सेवा हक्क आयोगाकडे अपील", "hi": "राज्य आयोग में अपील", "te": "రాష్ట్ర కమిషన్‌కు అప్పీల్",
                "ur": "ریاستی کمیشن میں اپیل",
            ]),
    ]
    package static let lastLevel = Localized(
        en: "This was the last level of appeal.",
        [
            "mr": "हा अपिलाचा शेवटचा स्तर होता.", "hi": "यह अपील का अंतिम स्तर था।", "te": "ఇది అప్పీల్ చివరి స్థాయి.",
            "ur": "یہ اپیل کا آخری درجہ تھا۔",
        ])
    /// `{level}`, `{day}`.
    package static let nextLevel = Localized(
        en: "You may file a {level} until {day}.",
        [
            "mr": "तुम्ही {day} पर्यंत {level} दाखल करू शकता.", "hi": "आप {day} तक {level} दायर कर सकते हैं।",
            "te": "మీరు {day} వరకు {level} దాఖలు చేయవచ్చు.", "ur": "آپ {day} تک {level} دائر کر سکتے ہیں۔",
        ])
    /// `{due}`, `{last}`.
    package static let timeLimitLapsed = Localized(
        en:
            "The time limit for your application ended on {due} without a decision. You may file a first appeal until {last}.",
        [
            "mr": "तुमच्या अर्जाची कालमर्यादा {due} रोजी निर्णयाशिवाय संपली. तुम्ही {last} पर्यंत प्रथम अपील दाखल करू शकता.",
            "hi": "आपके आवेदन की समय-सीमा {due} को बिना निर्णय के समाप्त हो गई। आप {last} तक प्रथम अपील दायर कर सकते हैं।",
            "te": "మీ దరఖాస్తు గడువు {due} న నిర్ణయం లేకుండా ముగిసింది. మీరు {last} వరకు మొదటి అప్పీల్ దాఖలు చేయవచ్చు.",
            "ur":
                "آپ کی درخواست کی مقررہ مدت {due} کو بغیر فیصلے کے ختم ہو گئی۔ آپ {last} تک پہلی اپیل دائر کر سکتے ہیں۔",
        ])
    /// `{level}`, `{number}`, `{decide_by}`.
    package static let filed = Localized(
        en: "Your {level} has been filed. Appeal number: {number}. It is to be decided by {decide_by}.",
        [
            "mr": "तुमचे {level} दाखल झाले आहे. अपील क्रमांक: {number}. त्यावर {decide_by} पर्यंत निर्णय होणे आवश्यक आहे.",
            "hi": "आपकी {level} दायर हो गई है। अपील क्रमांक: {number}। इस पर {decide_by} तक निर्णय होना है।",
            "te": "మీ {level} దాఖలైంది. అప్పీల్ సంఖ్య: {number}. దీనిపై {decide_by} లోపు నిర్ణయం తీసుకోవాలి.",
            "ur": "آپ کی {level} دائر ہو گئی ہے۔ اپیل نمبر: {number}۔ اس پر {decide_by} تک فیصلہ ہونا ہے۔",
        ])
    /// `{level}`, `{number}`.
    package static let filedLate = Localized(
        en:
            "Your {level} has been filed after the time allowed. Appeal number: {number}. The authority will decide whether to admit it, considering your reason for the delay.",
        [
            "mr":
                "तुमचे {level} मुदतीनंतर दाखल झाले आहे. अपील क्रमांक: {number}. विलंबाचे तुमचे कारण विचारात घेऊन प्राधिकारी ते दाखल करून घ्यायचे की नाही ते ठरवतील.",
            "hi":
                "आपकी {level} निर्धारित समय के बाद दायर हुई है। अपील क्रमांक: {number}। देरी का आपका कारण देखकर प्राधिकारी तय करेंगे कि इसे स्वीकार करें या नहीं।",
            "te":
                "మీ {level} గడువు తర్వాత దాఖలైంది. అప్పీల్ సంఖ్య: {number}. ఆలస్యానికి మీ కారణాన్ని పరిశీలించి అధికారి దీన్ని స్వీకరించాలో లేదో నిర్ణయిస్తారు.",
            "ur":
                "آپ کی {level} مقررہ وقت کے بعد دائر ہوئی ہے۔ اپیل نمبر: {number}۔ تاخیر کی آپ کی وجہ دیکھ کر مجاز افسر طے کریں گے کہ اسے قبول کیا جائے یا نہیں۔",
        ])
    /// `{number}`, `{reasons}`.
    package static let notAdmitted = Localized(
        en: "Your late appeal {number} was not admitted. Reasons: {reasons}.",
        [
            "mr": "तुमचे विलंबित अपील {number} दाखल करून घेतले गेले नाही. कारणे: {reasons}.",
            "hi": "आपकी विलंबित अपील {number} स्वीकार नहीं की गई। कारण: {reasons}।",
            "te": "మీ ఆలస్యమైన అప్పీల్ {number} స్వీకరించబడలేదు. కారణాలు: {reasons}.",
            "ur": "آپ کی تاخیر سے دائر اپیل {number} قبول نہیں کی گئی۔ وجوہات: {reasons}۔",
        ])
    /// `{number}`, `{when}`.
    package static let hearing = Localized(
        en: "The hearing of your appeal {number} is fixed for {when}. Please attend with your documents.",
        [
            "mr": "तुमच्या अपील {number} ची सुनावणी {when} रोजी ठेवली आहे. कृपया कागदपत्रांसह उपस्थित राहा.",
            "hi": "आपकी अपील {number} की सुनवाई {when} को तय की गई है। कृपया अपने दस्तावेज़ों के साथ उपस्थित हों।",
            "te": "మీ అప్పీల్ {number} విచారణ {when} న నిర్ణయించబడింది. దయచేసి మీ పత్రాలతో హాజరు కాండి.",
            "ur": "آپ کی اپیل {number} کی سماعت {when} کو مقرر کی گئی ہے۔ براہ کرم اپنے کاغذات کے ساتھ حاضر ہوں۔",
        ])
    /// `{number}`, `{deliver_by}`.
    package static let allowed = Localized(
        en:
            "Your appeal {number} has been allowed. The designated officer is directed to provide the service by {deliver_by}.",
        [
            "mr": "तुमचे अपील {number} मान्य झाले आहे. पदनिर्देशित अधिकाऱ्याला {deliver_by} पर्यंत सेवा देण्याचे निर्देश दिले आहेत.",
            "hi": "आपकी अपील {number} स्वीकार कर ली गई है। पदनामित अधिकारी को {deliver_by} तक सेवा देने का निर्देश दिया गया है।",
            "te": "మీ అప్పీల్ {number} ఆమోదించబడింది. నియమిత అధికారి {deliver_by} లోపు సేవ అందించాలని ఆదేశించబడింది.",
            "ur":
                "آپ کی اپیل {number} منظور کر لی گئی ہے۔ نامزد افسر کو {deliver_by} تک خدمت فراہم کرنے کی ہدایت دی گئی ہے۔",
        ])
    /// `{number}`, `{reasons}`.
    package static let dismissed = Localized(
        en: "Your appeal {number} has been dismissed. Reasons: {reasons}.",
        [
            "mr": "तुमचे अपील {number} फेटाळले आहे. कारणे: {reasons}.",
            "hi": "आपकी अपील {number} खारिज कर दी गई है। कारण: {reasons}।",
            "te": "మీ అప్పీల్ {number} తిరస్కరించబడింది. కారణాలు: {reasons}.",
            "ur": "آپ کی اپیل {number} خارج کر دی گئی ہے۔ وجوہات: {reasons}۔",
        ])
    /// `{number}`, `{decide_by}`.
    package static let overdue = Localized(
        en: "Your appeal {number} was not decided by {decide_by}, the date the law sets.",
        [
            "mr": "तुमच्या अपील {number} वर कायद्याने ठरवलेल्या {decide_by} या तारखेपर्यंत निर्णय झाला नाही.",
            "hi": "आपकी अपील {number} पर कानून द्वारा तय तिथि {decide_by} तक निर्णय नहीं हुआ।",
            "te": "మీ అప్పీల్ {number} పై చట్టం నిర్ణయించిన {decide_by} తేదీ లోపు నిర్ణయం తీసుకోలేదు.",
            "ur": "آپ کی اپیل {number} پر قانون کی مقرر کردہ تاریخ {decide_by} تک فیصلہ نہیں ہوا۔",
        ])
    /// `{number}`, `{deliver_by}`.
    package static let directedLapsed = Localized(
        en: "The service directed by the order on appeal {number} was not provided by {deliver_by}.",
        [
            "mr": "अपील {number} वरील आदेशानुसार सेवा {deliver_by} पर्यंत दिली गेली नाही.",
            "hi": "अपील {number} पर आदेश के अनुसार सेवा {deliver_by} तक नहीं दी गई।",
            "te": "అప్పీల్ {number} పై ఆదేశం ప్రకారం సేవ {deliver_by} లోపు అందించబడలేదు.",
            "ur": "اپیل {number} پر حکم کے مطابق خدمت {deliver_by} تک فراہم نہیں کی گئی۔",
        ])

    package static var entries: [(name: String, text: Localized)] {
        levels.enumerated().map { ("level.\($0.offset + 1)", $0.element) } + [
            ("lastLevel", lastLevel), ("nextLevel", nextLevel), ("timeLimitLapsed", timeLimitLapsed), ("filed", filed),
            ("filedLate", filedLate), ("notAdmitted", notAdmitted), ("hearing", hearing), ("allowed", allowed),
            ("dismissed", dismissed), ("overdue", overdue), ("directedLapsed", directedLapsed),
        ]
    }
}
