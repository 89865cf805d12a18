/// What the application's journey tells a citizen besides its templates: the steps' names (as the chat's "track my
/// application" shows the latest), the kinds of visit, and the answers to a shortfall's reply in the chat.
package enum JourneyTexts: TextCatalogue {
    /// The steps as a status, by step name.
    package static let steps: [String: Localized] = [
        "received": Localized(
            en: "received", ["mr": "प्राप्त", "hi": "प्राप्त", "te": "అందింది", "ur": "موصول"]),
        "under_scrutiny": Localized(
            en: "under scrutiny", ["mr": "छाननी सुरू", "hi": "जाँच जारी", "te": "పరిశీలనలో ఉంది", "ur": "جانچ جاری"]),
        "documents_needed": Localized(
            en: "documents needed",
            ["mr": "कागदपत्रे आवश्यक", "hi": "दस्तावेज़ आवश्यक", "te": "పత్రాలు అవసరం", "ur": "دستاویزات درکار"]),
        "payment_due": Localized(
            en: "payment due", ["mr": "शुल्क भरणे बाकी", "hi": "भुगतान बाकी", "te": "చెల్లింపు బాకీ", "ur": "ادائیگی باقی"]),
        "appointment": Localized(
            en: "appointment fixed",
            ["mr": "भेट निश्चित", "hi": "भेंट तय", "te": "అపాయింట్‌మెంట్ ఖరారు", "ur": "ملاقات طے"]),
    ]
    /// The kinds of visit of the appointment step.
    package static let visits: [String: Localized] = [
        "appointment": Localized(
            en: "Appointment at the office",
            ["mr": "कार्यालयात भेट", "hi": "कार्यालय में भेंट", "te": "కార్యాలయంలో అపాయింట్‌మెంట్", "ur": "دفتر میں ملاقات"]),
        "site_visit": Localized(
            en: "Site visit", ["mr": "स्थळ पाहणी", "hi": "स्थल निरीक्षण", "te": "స్థల పరిశీలన", "ur": "موقع کا معائنہ"]),
    ]
    /// A WhatsApp Flow finished: `{service}`, `{department}`.
    package static let flowSent = Localized(
        en:
            "Your form for {service} was sent to {department}. They will write to you here with your application number.",
        [
            "mr": "{service} साठीचा तुमचा अर्ज {department} यांच्याकडे पाठवला आहे. ते तुमच्या अर्ज क्रमांकासह येथे कळवतील.",
            "hi": "{service} के लिए आपका फ़ॉर्म {department} को भेज दिया गया है। वे आपके आवेदन क्रमांक के साथ यहाँ सूचित करेंगे।",
            "te": "{service} కోసం మీ ఫారం {department}కు పంపబడింది. వారు మీ దరఖాస్తు సంఖ్యతో ఇక్కడ తెలియజేస్తారు.",
            "ur":
                "{service} کے لیے آپ کا فارم {department} کو بھیج دیا گیا ہے۔ وہ آپ کے درخواست نمبر کے ساتھ یہاں اطلاع دیں گے۔",
        ])
    /// A finished Flow that is not one of ours.
    package static let flowReceived = Localized(
        en: "Your form was received.",
        ["mr": "तुमचा अर्ज मिळाला.", "hi": "आपका फ़ॉर्म मिल गया।", "te": "మీ ఫారం అందింది.", "ur": "آپ کا فارم موصول ہو گیا۔"])
    /// A time limit counted in calendar days, and in working days: `{days}`.
    package static let days = Localized(
        en: "{days} days", ["mr": "{days} दिवस", "hi": "{days} दिन", "te": "{days} రోజులు", "ur": "{days} دن"])
    package static let workingDays = Localized(
        en: "{days} working days",
        ["mr": "{days} कामकाजाचे दिवस", "hi": "{days} कार्य दिवस", "te": "{days} పని దినాలు", "ur": "{days} کام کے دن"])
    /// After the citizen taps "Send documents": `{documents}`, `{reply_by}`.
    package static let shortfallAsk = Localized(
        en:
            "Please send {documents} as a photo or a PDF here, by {reply_by}. You may also type a message. Send 0 when you have finished.",
        [
            "mr": "कृपया {documents} फोटो किंवा PDF म्हणून येथे {reply_by} पर्यंत पाठवा. तुम्ही संदेशही लिहू शकता. पूर्ण झाल्यावर 0 पाठवा.",
            "hi": "कृपया {documents} फ़ोटो या PDF के रूप में यहाँ {reply_by} तक भेजें। आप संदेश भी लिख सकते हैं। पूरा होने पर 0 भेजें।",
            "te": "దయచేసి {documents}ను ఫోటో లేదా PDFగా ఇక్కడ {reply_by} లోపు పంపండి. మీరు సందేశం కూడా రాయవచ్చు. పూర్తయ్యాక 0 పంపండి.",
            "ur":
                "براہ کرم {documents} تصویر یا PDF کے طور پر یہاں {reply_by} تک بھیجیں۔ آپ پیغام بھی لکھ سکتے ہیں۔ مکمل ہونے پر 0 بھیجیں۔",
        ])
    /// A file or a text reached the office: `{application}`, `{file}`.
    package static let shortfallReceived = Localized(
        en: "Received: {file}, for application {application}. It has been sent to the office.",
        [
            "mr": "प्राप्त झाले: {file}, अर्ज {application} साठी. ते कार्यालयाकडे पाठवले आहे.",
            "hi": "प्राप्त हुआ: {file}, आवेदन {application} के लिए। इसे कार्यालय को भेज दिया गया है।",
            "te": "అందింది: {file}, దరఖాస్తు {application} కోసం. దీన్ని కార్యాలయానికి పంపాము.",
            "ur": "موصول ہوا: {file}، درخواست {application} کے لیے۔ اسے دفتر کو بھیج دیا گیا ہے۔",
        ])
    /// What the acknowledgement names for a typed reply.
    package static let yourMessage = Localized(
        en: "your message", ["mr": "तुमचा संदेश", "hi": "आपका संदेश", "te": "మీ సందేశం", "ur": "آپ کا پیغام"])
    /// A file that cannot be taken: `{reason}`.
    package static let shortfallRefused = Localized(
        en: "This file could not be accepted: {reason}. Please send a PDF, JPEG or PNG.",
        [
            "mr": "ही फाइल स्वीकारता आली नाही: {reason}. कृपया PDF, JPEG किंवा PNG पाठवा.",
            "hi": "यह फ़ाइल स्वीकार नहीं की जा सकी: {reason}। कृपया PDF, JPEG या PNG भेजें।",
            "te": "ఈ ఫైల్‌ను స్వీకరించలేకపోయాము: {reason}. దయచేసి PDF, JPEG లేదా PNG పంపండి.",
            "ur": "یہ فائل قبول نہیں کی جا سکی: {reason}۔ براہ کرم PDF، JPEG یا PNG بھیجیں۔",
        ])
    /// Why a file was refused, by reason code.
    package static let refusals: [String: Localized] = [
        "type": Localized(
            en: "this kind of file is not accepted",
            [
                "mr": "या प्रकारची फाइल स्वीकारली जात नाही", "hi": "इस प्रकार की फ़ाइल स्वीकार नहीं की जाती",
                "te": "ఈ రకమైన ఫైల్ అంగీకరించబడదు", "ur": "اس قسم کی فائل قبول نہیں کی جاتی",
            ]),
        "size": Localized(
            en: "it is larger than {limit}",
            [
                "mr": "ती {limit} पेक्षा मोठी आहे", "hi": "यह {limit} से बड़ी है", "te": "ఇది {limit} కంటే పెద్దది",
                "ur": "یہ {limit} سے بڑی ہے",
            ]),
        "scan": Localized(
            en: "the virus check flagged it",
            [
                "mr": "व्हायरस तपासणीत ती संशयास्पद आढळली", "hi": "वायरस जाँच में यह संदिग्ध पाई गई",
                "te": "వైరస్ తనిఖీలో ఇది అనుమానాస్పదంగా తేలింది", "ur": "وائرس کی جانچ میں یہ مشکوک پائی گئی",
            ]),
        "damaged": Localized(
            en: "it did not arrive whole",
            [
                "mr": "ती पूर्ण मिळाली नाही", "hi": "यह पूरी नहीं पहुँची", "te": "ఇది పూర్తిగా అందలేదు",
                "ur": "یہ پوری نہیں پہنچی",
            ]),
    ]
    /// The citizen sent a file with no open shortfall.
    package static let noShortfall = Localized(
        en: "We are not waiting for any document from you. Files sent here are not kept.",
        [
            "mr": "आम्ही तुमच्याकडून कोणत्याही कागदपत्राची वाट पाहत नाही. येथे पाठवलेल्या फाइल्स ठेवल्या जात नाहीत.",
            "hi": "हम आपसे किसी दस्तावेज़ की प्रतीक्षा नहीं कर रहे हैं। यहाँ भेजी गई फ़ाइलें रखी नहीं जातीं।",
            "te": "మేము మీ నుండి ఏ పత్రం కోసం ఎదురుచూడటం లేదు. ఇక్కడ పంపిన ఫైళ్ళు ఉంచబడవు.",
            "ur": "ہم آپ سے کسی دستاویز کا انتظار نہیں کر رہے۔ یہاں بھیجی گئی فائلیں رکھی نہیں جاتیں۔",
        ])
    /// The time limit after a shortfall's answer: `{due}`.
    package static let clockRestarted = Localized(
        en: "The time limit now runs to {due}.",
        [
            "mr": "कालमर्यादा आता {due} पर्यंत आहे.", "hi": "समय-सीमा अब {due} तक है।", "te": "గడువు ఇప్పుడు {due} వరకు.",
            "ur": "مقررہ مدت اب {due} تک ہے۔",
        ])

    package static var entries: [(name: String, text: Localized)] {
        steps.sorted { $0.key < $1.key }.map { ("step." + $0.key, $0.value) }
            + visits.sorted { $0.key < $1.key }.map { ("visit." + $0.key, $0.value) }
            + refusals.sorted { $0.key < $1.key }.map { ("refusal." + $0.key, $0.value) }
            + [
                ("shortfallAsk", shortfallAsk), ("shortfallReceived", shortfallReceived), ("yourMessage", yourMessage),
                ("shortfallRefused", shortfallRefused), ("noShortfall", noShortfall),
                ("clockRestarted", clockRestarted), ("days", days), ("workingDays", workingDays),
                ("flowSent", flowSent), ("flowReceived", flowReceived),
            ]
    }
}
