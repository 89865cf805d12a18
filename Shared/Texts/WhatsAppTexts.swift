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

    // Finding a service (the catalogue search).
    package static let find = Localized(
        en: "Find a service",
        ["mr": "सेवा शोधा", "hi": "सेवा खोजें", "te": "సేవను వెతకండి", "ur": "سروس تلاش کریں"])
    package static let findAsk = Localized(
        en: "Type the name of the service you need, for example: income certificate.",
        [
            "mr": "तुम्हाला हवी असलेली सेवा लिहा, उदाहरणार्थ: उत्पन्नाचा दाखला.",
            "hi": "आपको जिस सेवा की ज़रूरत है उसका नाम लिखें, उदाहरण: आय प्रमाणपत्र।",
            "te": "మీకు కావలసిన సేవ పేరు టైప్ చేయండి, ఉదాహరణకు: ఆదాయ ధృవీకరణ పత్రం.",
            "ur": "جس سروس کی ضرورت ہے اس کا نام لکھیں، مثال کے طور پر: آمدنی کا سرٹیفکیٹ۔",
        ])
    /// `{query}`, `{total}`.
    package static let findResults = Localized(
        en: "Services for \"{query}\" ({total}). Choose one to see the documents, fee and time limit.",
        [
            "mr": "\"{query}\" साठी सेवा ({total}). कागदपत्रे, शुल्क व कालमर्यादा पाहण्यासाठी एक निवडा.",
            "hi": "\"{query}\" के लिए सेवाएँ ({total})। दस्तावेज़, शुल्क और समय-सीमा देखने के लिए एक चुनें।",
            "te": "\"{query}\" కోసం సేవలు ({total}). పత్రాలు, రుసుము, గడువు చూడటానికి ఒకటి ఎంచుకోండి.",
            "ur": "\"{query}\" کے لیے سروسز ({total})۔ دستاویزات، فیس اور مدت دیکھنے کے لیے ایک منتخب کریں۔",
        ])
    /// `{query}`.
    package static let findNearest = Localized(
        en: "We found no service called \"{query}\". These are the nearest:",
        [
            "mr": "\"{query}\" नावाची सेवा आढळली नाही. जवळच्या सेवा:",
            "hi": "\"{query}\" नाम की कोई सेवा नहीं मिली। निकटतम सेवाएँ:",
            "te": "\"{query}\" అనే సేవ కనబడలేదు. దగ్గరగా ఉన్నవి:",
            "ur": "\"{query}\" نام کی کوئی سروس نہیں ملی۔ قریب ترین سروسز:",
        ])
    /// `{query}`.
    package static let findNothing = Localized(
        en: "We found no service like \"{query}\". Please try other words, such as the name on the certificate.",
        [
            "mr": "\"{query}\" सारखी सेवा आढळली नाही. कृपया दुसरे शब्द वापरा, उदा. प्रमाणपत्रावरील नाव.",
            "hi": "\"{query}\" जैसी कोई सेवा नहीं मिली। कृपया दूसरे शब्द आज़माएँ, जैसे प्रमाणपत्र पर लिखा नाम।",
            "te": "\"{query}\" లాంటి సేవ కనబడలేదు. దయచేసి వేరే పదాలు ప్రయత్నించండి, ఉదా. ధృవీకరణ పత్రంపై పేరు.",
            "ur": "\"{query}\" جیسی کوئی سروس نہیں ملی۔ براہ کرم دوسرے الفاظ آزمائیں، جیسے سرٹیفکیٹ پر لکھا نام۔",
        ])
    package static let findButton = Localized(
        en: "Services", ["mr": "सेवा", "hi": "सेवाएँ", "te": "సేవలు", "ur": "سروسز"])
    package static let findMore = Localized(
        en: "More results", ["mr": "आणखी सेवा", "hi": "और परिणाम", "te": "మరిన్ని ఫలితాలు", "ur": "مزید نتائج"])
    /// `{from}`, `{to}`, `{total}`.
    package static let findMoreDescription = Localized(
        en: "Services {from}–{to} of {total}",
        [
            "mr": "सेवा {from}–{to}, एकूण {total}", "hi": "सेवाएँ {from}–{to}, कुल {total}",
            "te": "సేవలు {from}–{to}, మొత్తం {total}", "ur": "سروسز {from}–{to}، کل {total}",
        ])
    /// `{days}`.
    package static let daysCalendar = Localized(
        en: "{days} days", ["mr": "{days} दिवस", "hi": "{days} दिन", "te": "{days} రోజులు", "ur": "{days} دن"])
    /// `{days}`.
    package static let daysWorking = Localized(
        en: "{days} working days",
        ["mr": "{days} कामकाजाचे दिवस", "hi": "{days} कार्य दिवस", "te": "{days} పని దినాలు", "ur": "{days} کام کے دن"])
    package static let serviceDocuments = Localized(
        en: "Documents required",
        ["mr": "आवश्यक कागदपत्रे", "hi": "आवश्यक दस्तावेज़", "te": "అవసరమైన పత్రాలు", "ur": "ضروری دستاویزات"])
    package static let serviceNoDocuments = Localized(
        en: "The office will tell you the documents required.",
        [
            "mr": "आवश्यक कागदपत्रे कार्यालय सांगेल.", "hi": "आवश्यक दस्तावेज़ कार्यालय बताएगा।",
            "te": "అవసరమైన పత్రాలను కార్యాలయం తెలియజేస్తుంది.", "ur": "ضروری دستاویزات دفتر بتائے گا۔",
        ])
    package static let serviceFee = Localized(
        en: "Fee", ["mr": "शुल्क", "hi": "शुल्क", "te": "రుసుము", "ur": "فیس"])
    package static let serviceFree = Localized(
        en: "free", ["mr": "निःशुल्क", "hi": "निःशुल्क", "te": "ఉచితం", "ur": "مفت"])
    package static let serviceFeeUnknown = Localized(
        en: "ask the office", ["mr": "कार्यालयात विचारा", "hi": "कार्यालय से पूछें", "te": "కార్యాలయంలో అడగండి", "ur": "دفتر سے پوچھیں"])
    package static let serviceTimeLimit = Localized(
        en: "Time limit", ["mr": "कालमर्यादा", "hi": "समय-सीमा", "te": "గడువు", "ur": "مدت"])
    package static let serviceOfficer = Localized(
        en: "Designated officer",
        ["mr": "पदनिर्देशित अधिकारी", "hi": "पदाभिहित अधिकारी", "te": "నియమిత అధికారి", "ur": "نامزد افسر"])
    package static let serviceFirstAppeal = Localized(
        en: "First appeal", ["mr": "प्रथम अपील", "hi": "प्रथम अपील", "te": "మొదటి అప్పీల్", "ur": "پہلی اپیل"])
    package static let serviceSecondAppeal = Localized(
        en: "Second appeal", ["mr": "द्वितीय अपील", "hi": "द्वितीय अपील", "te": "రెండవ అప్పీల్", "ur": "دوسری اپیل"])
    package static let serviceApply = Localized(
        en: "Apply", ["mr": "अर्ज करा", "hi": "आवेदन करें", "te": "దరఖాస్తు చేయండి", "ur": "درخواست دیں"])
    package static let serviceSample = Localized(
        en: "sample data", ["mr": "नमुना माहिती", "hi": "नमूना जानकारी", "te": "నమూనా సమాచారం", "ur": "نمونہ معلومات"])
    package static let serviceSampleNote = Localized(
        en: "Values marked \"sample data\" are illustrative, not official: check them with the office.",
        [
            "mr": "\"नमुना माहिती\" असे लिहिलेली मूल्ये उदाहरणादाखल आहेत, अधिकृत नाहीत: कार्यालयाकडून खात्री करा.",
            "hi": "\"नमूना जानकारी\" चिह्नित मान उदाहरण हैं, आधिकारिक नहीं: कार्यालय से पुष्टि करें।",
            "te": "\"నమూనా సమాచారం\" అని గుర్తించిన విలువలు ఉదాహరణలు మాత్రమే, అధికారికం కాదు: కార్యాలయంలో నిర్ధారించుకోండి.",
            "ur": "\"نمونہ معلومات\" والی قدریں مثال ہیں، سرکاری نہیں: دفتر سے تصدیق کریں۔",
        ])
    package static let serviceSource = Localized(
        en: "Source", ["mr": "स्रोत", "hi": "स्रोत", "te": "మూలం", "ur": "ماخذ"])
    /// `{service}`.
    package static let serviceFlowBody = Localized(
        en: "You can apply for {service} here in WhatsApp.",
        [
            "mr": "{service} साठी तुम्ही येथे WhatsApp मध्येच अर्ज करू शकता.",
            "hi": "{service} के लिए आप यहीं WhatsApp में आवेदन कर सकते हैं।",
            "te": "{service} కోసం మీరు ఇక్కడే WhatsApp లో దరఖాస్తు చేయవచ్చు.",
            "ur": "{service} کے لیے آپ یہیں WhatsApp میں درخواست دے سکتے ہیں۔",
        ])
    package static let serviceFlowButton = Localized(
        en: "Apply in WhatsApp",
        ["mr": "WhatsApp मध्ये अर्ज करा", "hi": "WhatsApp में आवेदन करें", "te": "WhatsApp లో దరఖాస్తు", "ur": "WhatsApp میں درخواست"])

    // Rating the service.
    package static let ratingThanks = Localized(
        en: "Thank you for your rating. If you wish, write a comment about the service now (or send 0 to skip).",
        [
            "mr": "तुमच्या मूल्यांकनाबद्दल धन्यवाद. हवे असल्यास सेवेबद्दल आता अभिप्राय लिहा (किंवा वगळण्यासाठी 0 पाठवा).",
            "hi": "आपकी रेटिंग के लिए धन्यवाद। चाहें तो अभी सेवा के बारे में टिप्पणी लिखें (या छोड़ने के लिए 0 भेजें)।",
            "te": "మీ రేటింగ్‌కు ధన్యవాదాలు. కావాలంటే సేవ గురించి ఇప్పుడు వ్యాఖ్య రాయండి (లేదా దాటవేయడానికి 0 పంపండి).",
            "ur": "آپ کی درجہ بندی کا شکریہ۔ چاہیں تو ابھی سروس کے بارے میں تبصرہ لکھیں (یا چھوڑنے کے لیے 0 بھیجیں)۔",
        ])
    package static let ratingAlready = Localized(
        en: "This service was already rated for this application: your first rating is kept.",
        [
            "mr": "या अर्जासाठी सेवेचे मूल्यांकन आधीच झाले आहे: तुमचे पहिले मूल्यांकन ठेवले आहे.",
            "hi": "इस आवेदन के लिए सेवा की रेटिंग पहले ही हो चुकी है: आपकी पहली रेटिंग रखी गई है।",
            "te": "ఈ దరఖాస్తుకు సేవ రేటింగ్ ఇప్పటికే ఇవ్వబడింది: మీ మొదటి రేటింగ్ ఉంచబడింది.",
            "ur": "اس درخواست کے لیے سروس کی درجہ بندی پہلے ہو چکی ہے: آپ کی پہلی درجہ بندی رکھی گئی ہے۔",
        ])
    package static let ratingCommentThanks = Localized(
        en: "Thank you: your comment was recorded for the audit of this service.",
        [
            "mr": "धन्यवाद: तुमचा अभिप्राय या सेवेच्या लेखापरीक्षणासाठी नोंदवला गेला.",
            "hi": "धन्यवाद: आपकी टिप्पणी इस सेवा के ऑडिट के लिए दर्ज की गई।",
            "te": "ధన్యవాదాలు: మీ వ్యాఖ్య ఈ సేవ తనిఖీ కోసం నమోదు చేయబడింది.",
            "ur": "شکریہ: آپ کا تبصرہ اس سروس کے آڈٹ کے لیے درج کر لیا گیا۔",
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
            ("appealLateHint", appealLateHint), ("stopped", stopped), ("started", started), ("find", find),
            ("findAsk", findAsk), ("findResults", findResults), ("findNearest", findNearest),
            ("findNothing", findNothing), ("findButton", findButton), ("findMore", findMore),
            ("findMoreDescription", findMoreDescription), ("daysCalendar", daysCalendar), ("daysWorking", daysWorking),
            ("serviceDocuments", serviceDocuments), ("serviceNoDocuments", serviceNoDocuments),
            ("serviceFee", serviceFee), ("serviceFree", serviceFree), ("serviceFeeUnknown", serviceFeeUnknown),
            ("serviceTimeLimit", serviceTimeLimit), ("serviceOfficer", serviceOfficer),
            ("serviceFirstAppeal", serviceFirstAppeal), ("serviceSecondAppeal", serviceSecondAppeal),
            ("serviceApply", serviceApply), ("serviceSample", serviceSample), ("serviceSampleNote", serviceSampleNote),
            ("serviceSource", serviceSource), ("serviceFlowBody", serviceFlowBody),
            ("serviceFlowButton", serviceFlowButton), ("ratingThanks", ratingThanks), ("ratingAlready", ratingAlready),
            ("ratingCommentThanks", ratingCommentThanks),
        ] + decisions.sorted { $0.key < $1.key }.map { ("decision." + $0.key, $0.value) }
    }
}
