/// Everything the WhatsApp conversation says, in every language: the menu, tracking, certificates, the appeal steps,
/// STOP and START, and a refused filing. (The outcome messages themselves are Meta-approved templates, registered
/// per language in the `whatsapp_templates` table.)
package enum WhatsAppTexts: TextCatalogue {
    package static let chooseLanguage = Localized(
        en: "Choose your language",
        ["mr": "भाषा निवडा", "hi": "भाषा चुनें", "te": "భాష ఎంచుకోండి", "ur": "اپنی زبان منتخب کریں"])
    package static let menuBody = Localized(
        en: "How can we help you?",
        [
            "mr": "आम्ही तुमची कशी मदत करू?", "hi": "हम आपकी कैसे मदद करें?", "te": "మేము మీకు ఎలా సహాయం చేయగలం?",
            "ur": "ہم آپ کی کیا مدد کر سکتے ہیں؟",
        ])
    package static let menuButton = Localized(en: "Menu", ["mr": "मेनू", "hi": "मेनू", "te": "మెనూ", "ur": "مینو"])
    package static let track = Localized(
        en: "Track an application",
        ["mr": "अर्जाची स्थिती", "hi": "आवेदन की स्थिति", "te": "దరఖాస్తు స్థితి", "ur": "درخواست کی صورتحال"])
    package static let certificates = Localized(
        en: "My certificates",
        ["mr": "माझी प्रमाणपत्रे", "hi": "मेरे प्रमाणपत्र", "te": "నా ధృవీకరణ పత్రాలు", "ur": "میرے سرٹیفکیٹ"])
    package static let appeal = Localized(
        en: "File an appeal",
        ["mr": "अपील दाखल करा", "hi": "अपील दायर करें", "te": "అప్పీల్ దాఖలు", "ur": "اپیل دائر کریں"])
    package static let help = Localized(en: "Help", ["mr": "मदत", "hi": "सहायता", "te": "సహాయం", "ur": "مدد"])
    package static let askApplication = Localized(
        en: "Please send your application number.",
        [
            "mr": "कृपया तुमचा अर्ज क्रमांक पाठवा.", "hi": "कृपया अपना आवेदन क्रमांक भेजें।",
            "te": "దయచేసి మీ దరఖాస్తు సంఖ్యను పంపండి.", "ur": "براہ کرم اپنی درخواست کا نمبر بھیجیں۔",
        ])
    package static let notFound = Localized(
        en: "We found no application with that number for this mobile number.",
        [
            "mr": "या मोबाईल क्रमांकासाठी त्या क्रमांकाचा अर्ज आढळला नाही.",
            "hi": "इस मोबाइल नंबर के लिए उस क्रमांक का कोई आवेदन नहीं मिला।",
            "te": "ఈ మొబైల్ నంబర్‌కు ఆ సంఖ్యతో దరఖాస్తు కనబడలేదు.",
            "ur": "اس موبائل نمبر کے لیے اس نمبر کی کوئی درخواست نہیں ملی۔",
        ])
    package static let noCertificates = Localized(
        en: "No certificates have been sent to this number yet.",
        [
            "mr": "या क्रमांकावर अद्याप कोणतेही प्रमाणपत्र पाठवलेले नाही.", "hi": "इस नंबर पर अभी तक कोई प्रमाणपत्र नहीं भेजा गया है।",
            "te": "ఈ నంబర్‌కు ఇంకా ఏ ధృవీకరణ పత్రం పంపలేదు.", "ur": "اس نمبر پر ابھی تک کوئی سرٹیفکیٹ نہیں بھیجا گیا۔",
        ])
    package static let certificatesBody = Localized(
        en: "Choose a certificate to receive it again.",
        [
            "mr": "पुन्हा मिळवण्यासाठी प्रमाणपत्र निवडा.", "hi": "दोबारा पाने के लिए प्रमाणपत्र चुनें।",
            "te": "మళ్లీ పొందడానికి ధృవీకరణ పత్రాన్ని ఎంచుకోండి.", "ur": "دوبارہ حاصل کرنے کے لیے سرٹیفکیٹ منتخب کریں۔",
        ])
    package static let helpText = Localized(
        en: "Choose an option from the menu. Reply STOP to stop WhatsApp messages.",
        [
            "mr": "मेनूमधून पर्याय निवडा. WhatsApp संदेश थांबवण्यासाठी STOP पाठवा.",
            "hi": "मेनू से विकल्प चुनें। WhatsApp संदेश रोकने के लिए STOP भेजें।",
            "te": "మెనూ నుండి ఎంపికను ఎంచుకోండి. WhatsApp సందేశాలు ఆపడానికి STOP పంపండి.",
            "ur": "مینو سے کوئی اختیار منتخب کریں۔ WhatsApp پیغامات روکنے کے لیے STOP بھیجیں۔",
        ])
    /// `{application}`, `{decision}` (one of the decision words), `{date}`.
    package static let statusLine = Localized(
        en: "Application {application}: {decision} on {date}.",
        [
            "mr": "अर्ज {application}: {decision}, दिनांक {date}.", "hi": "आवेदन {application}: {decision}, दिनांक {date}।",
            "te": "దరఖాస్తు {application}: {decision}, తేదీ {date}.",
            "ur": "درخواست {application}: {decision}، تاریخ {date}۔",
        ])
    /// The decision words of the status line, by decision.
    package static let decisions: [String: Localized] = [
        "approved": Localized(
            en: "approved", ["mr": "मंजूर", "hi": "स्वीकृत", "te": "ఆమోదించబడింది", "ur": "منظور"]),
        "rejected": Localized(
            en: "rejected", ["mr": "नामंजूर", "hi": "अस्वीकृत", "te": "తిరస్కరించబడింది", "ur": "نامنظور"]),
        "other": Localized(
            en: "updated", ["mr": "नवीन माहिती", "hi": "नई जानकारी", "te": "కొత్త సమాచారం", "ur": "نئی معلومات"]),
    ]

    // MARK: The appeal steps

    package static let appealAskApplication = Localized(
        en: "Which application do you want to appeal? Please send its application number.",
        [
            "mr": "कोणत्या अर्जाविरुद्ध अपील करायचे आहे? कृपया त्याचा अर्ज क्रमांक पाठवा.",
            "hi": "किस आवेदन के विरुद्ध अपील करनी है? कृपया उसका आवेदन क्रमांक भेजें।",
            "te": "ఏ దరఖాస్తుపై అప్పీల్ చేయాలి? దయచేసి దాని దరఖాస్తు సంఖ్యను పంపండి.",
            "ur": "آپ کس درخواست کے خلاف اپیل کرنا چاہتے ہیں؟ براہ کرم اس کی درخواست کا نمبر بھیجیں۔",
        ])
    package static let appealAskGrounds = Localized(
        en: "Please write the grounds of your appeal in one message (up to 1,000 characters).",
        [
            "mr": "कृपया अपिलाची कारणे एका संदेशात लिहा (१,००० अक्षरांपर्यंत).",
            "hi": "कृपया अपील के आधार एक संदेश में लिखें (1,000 अक्षरों तक)।",
            "te": "దయచేసి మీ అప్పీల్ కారణాలను ఒకే సందేశంలో రాయండి (1,000 అక్షరాల వరకు).",
            "ur": "براہ کرم اپنی اپیل کی وجوہات ایک پیغام میں لکھیں (1,000 حروف تک)۔",
        ])
    package static let appealGroundsTooLong = Localized(
        en: "That is longer than 1,000 characters. Please send shorter grounds.",
        [
            "mr": "हे १,००० अक्षरांपेक्षा मोठे आहे. कृपया थोडक्यात कारणे पाठवा.",
            "hi": "यह 1,000 अक्षरों से लंबा है। कृपया संक्षेप में आधार भेजें।",
            "te": "ఇది 1,000 అక్షరాల కంటే ఎక్కువ. దయచేసి క్లుప్తంగా పంపండి.",
            "ur": "یہ 1,000 حروف سے زیادہ ہے۔ براہ کرم مختصر وجوہات بھیجیں۔",
        ])
    /// `{application}`, `{grounds}`.
    package static let appealSummary = Localized(
        en: "Appeal against the decision on application {application}.\nGrounds: «{grounds}»\nShall we file it?",
        [
            "mr": "अर्ज {application} वरील निर्णयाविरुद्ध अपील.\nकारणे: «{grounds}»\nअपील दाखल करायचे का?",
            "hi": "आवेदन {application} पर निर्णय के विरुद्ध अपील।\nआधार: «{grounds}»\nक्या अपील दायर करें?",
            "te": "దరఖాస్తు {application} పై నిర్ణయానికి వ్యతిరేకంగా అప్పీల్.\nకారణాలు: «{grounds}»\nఅప్పీల్ దాఖలు చేయాలా?",
            "ur": "درخواست {application} پر فیصلے کے خلاف اپیل۔\nوجوہات: «{grounds}»\nکیا اپیل دائر کی جائے؟",
        ])
    package static let appealConfirm = Localized(
        en: "File appeal",
        ["mr": "अपील दाखल करा", "hi": "अपील दायर करें", "te": "అప్పీల్ దాఖలు", "ur": "اپیل دائر کریں"])
    package static let appealCancel = Localized(
        en: "Cancel", ["mr": "रद्द करा", "hi": "रद्द करें", "te": "రద్దు చేయి", "ur": "منسوخ کریں"])
    package static let appealFiling = Localized(
        en: "Your appeal is being filed. You will receive the acknowledgement with the appeal number shortly.",
        [
            "mr": "तुमचे अपील दाखल होत आहे. अपील क्रमांकासह पोच तुम्हाला लवकरच मिळेल.",
            "hi": "आपकी अपील दायर की जा रही है। अपील क्रमांक के साथ पावती आपको जल्द मिलेगी।",
            "te": "మీ అప్పీల్ దాఖలవుతోంది. అప్పీల్ సంఖ్యతో రసీదు త్వరలో మీకు అందుతుంది.",
            "ur": "آپ کی اپیل دائر کی جا رہی ہے۔ اپیل نمبر کے ساتھ رسید آپ کو جلد ملے گی۔",
        ])
    package static let appealCancelled = Localized(
        en: "The appeal was not filed.",
        [
            "mr": "अपील दाखल केले नाही.", "hi": "अपील दायर नहीं की गई।", "te": "అప్పీల్ దాఖలు కాలేదు.",
            "ur": "اپیل دائر نہیں کی گئی۔",
        ])
    /// Answered by the appeals service when it refuses a filing from the chat, followed by the rule's detail.
    package static let appealRefused = Localized(
        en: "Your appeal could not be filed:",
        [
            "mr": "तुमचे अपील दाखल होऊ शकले नाही:", "hi": "आपकी अपील दायर नहीं हो सकी:", "te": "మీ అప్పీల్ దాఖలు కాలేదు:",
            "ur": "آپ کی اپیل دائر نہیں ہو سکی:",
        ])
    package static let appealLateHint = Localized(
        en: "A late appeal needs a reason for the delay: please file it on the portal's appeal page.",
        [
            "mr": "विलंबित अपिलासाठी विलंबाचे कारण आवश्यक आहे: कृपया पोर्टलच्या अपील पानावर दाखल करा.",
            "hi": "विलंबित अपील के लिए देरी का कारण आवश्यक है: कृपया पोर्टल के अपील पृष्ठ पर दायर करें।",
            "te": "ఆలస్యమైన అప్పీల్‌కు ఆలస్యానికి కారణం అవసరం: దయచేసి పోర్టల్ అప్పీల్ పేజీలో దాఖలు చేయండి.",
            "ur": "تاخیر سے دائر اپیل کے لیے تاخیر کی وجہ ضروری ہے: براہ کرم اسے پورٹل کے اپیل صفحے پر دائر کریں۔",
        ])

    // MARK: STOP and START

    /// The words that stop or restart WhatsApp messages, in every language (matched after trimming and lower-casing).
    package static let stopWords: Set<String> = [
        "stop", "unsubscribe", "थांबवा", "बंद करा", "बंद", "रोकें", "रोको", "ఆపు", "ఆపండి", "روکیں", "بند کریں", "بند",
    ]
    package static let startWords: Set<String> = [
        "start", "subscribe", "सुरू करा", "सुरू", "शुरू", "शुरू करें", "ప్రారంభించు", "ప్రారంభం", "شروع کریں", "شروع",
    ]
    package static let stopped = Localized(
        en:
            "You will no longer get messages from us on WhatsApp. Your outcomes and certificates stay in your portal inbox and email. Reply START to get them here again.",
        [
            "mr":
                "यापुढे तुम्हाला आमच्याकडून WhatsApp वर संदेश येणार नाहीत. तुमचे निकाल आणि प्रमाणपत्रे पोर्टल इनबॉक्स आणि ईमेलवर मिळत राहतील. पुन्हा सुरू करण्यासाठी START पाठवा.",
            "hi":
                "अब आपको WhatsApp पर हमारे संदेश नहीं मिलेंगे। आपके परिणाम और प्रमाणपत्र पोर्टल इनबॉक्स और ईमेल पर मिलते रहेंगे। फिर से पाने के लिए START भेजें।",
            "te":
                "ఇకపై మీకు WhatsApp లో మా సందేశాలు రావు. మీ ఫలితాలు, ధృవీకరణ పత్రాలు పోర్టల్ ఇన్‌బాక్స్ మరియు ఇమెయిల్‌లో అందుతూనే ఉంటాయి. మళ్లీ పొందడానికి START పంపండి.",
            "ur":
                "اب آپ کو WhatsApp پر ہمارے پیغامات نہیں ملیں گے۔ آپ کے نتائج اور سرٹیفکیٹ پورٹل اِن باکس اور ای میل پر ملتے رہیں گے۔ دوبارہ حاصل کرنے کے لیے START بھیجیں۔",
        ])
    package static let started = Localized(
        en:
            "Welcome back: you will get your application outcomes and certificates here on WhatsApp. Reply STOP at any time to stop.",
        [
            "mr": "पुन्हा स्वागत आहे: तुमच्या अर्जांचे निकाल आणि प्रमाणपत्रे तुम्हाला येथे WhatsApp वर मिळतील. थांबवण्यासाठी कधीही STOP पाठवा.",
            "hi": "फिर से स्वागत है: आपके आवेदनों के परिणाम और प्रमाणपत्र आपको यहाँ WhatsApp पर मिलेंगे। रोकने के लिए कभी भी STOP भेजें।",
            "te": "మళ్లీ స్వాగతం: మీ దరఖాస్తుల ఫలితాలు, ధృవీకరణ పత్రాలు మీకు ఇక్కడ WhatsApp లో అందుతాయి. ఆపడానికి ఎప్పుడైనా STOP పంపండి.",
            "ur":
                "دوبارہ خوش آمدید: آپ کی درخواستوں کے نتائج اور سرٹیفکیٹ آپ کو یہاں WhatsApp پر ملیں گے۔ روکنے کے لیے کسی بھی وقت STOP بھیجیں۔",
        ])

    package static var entries: [(name: String, text: Localized)] {
        [
            ("chooseLanguage", chooseLanguage), ("menuBody", menuBody), ("menuButton", menuButton), ("track", track),
            ("certificates", certificates), ("appeal", appeal), ("help", help), ("askApplication", askApplication),
            ("notFound", notFound), ("noCertificates", noCertificates), ("certificatesBody", certificatesBody),
            ("helpText", helpText), ("statusLine", statusLine), ("appealAskApplication", appealAskApplication),
            ("appealAskGrounds", appealAskGrounds), ("appealGroundsTooLong", appealGroundsTooLong),
            ("appealSummary", appealSummary), ("appealConfirm", appealConfirm), ("appealCancel", appealCancel),
            ("appealFiling", appealFiling), ("appealCancelled", appealCancelled), ("appealRefused", appealRefused),
            ("appealLateHint", appealLateHint), ("stopped", stopped), ("started", started),
        ] + decisions.sorted { $0.key < $1.key }.map { ("decision." + $0.key, $0.value) }
    }
}
