/// The officers' desk's words in Marathi, Hindi, Telugu and English (a missing one shows the English).
enum DeskTexts {
    static let words: [String: [String: String]] = [
        "language": ["en": "Language", "mr": "भाषा", "hi": "भाषा", "te": "భాష"],
        "skip": [
            "en": "Skip to the main content", "mr": "मुख्य मजकुराकडे जा", "hi": "मुख्य सामग्री पर जाएँ",
            "te": "ప్రధాన విషయానికి వెళ్ళండి",
        ],
        "desk_title": [
            "en": "Appeals desk", "mr": "अपील कक्ष", "hi": "अपील डेस्क", "te": "అప్పీళ్ల డెస్క్",
        ],
        "sign_in_title": [
            "en": "Appeals desk: sign in", "mr": "अपील कक्ष: प्रवेश", "hi": "अपील डेस्क: प्रवेश",
            "te": "అప్పీళ్ల డెస్క్: ప్రవేశం",
        ],
        "sign_in_help": [
            "en": "Sign in with the officer key your office gave you. It acts for your role at your office only.",
            "mr": "तुमच्या कार्यालयाने दिलेल्या अधिकारी किल्लीने प्रवेश करा. ती फक्त तुमच्या कार्यालयातील तुमच्या पदासाठी चालते.",
            "hi": "अपने कार्यालय द्वारा दी गई अधिकारी कुंजी से प्रवेश करें। यह केवल आपके कार्यालय में आपके पद के लिए काम करती है।",
            "te": "మీ కార్యాలయం ఇచ్చిన అధికారి కీతో ప్రవేశించండి. ఇది మీ కార్యాలయంలో మీ పదవికి మాత్రమే పనిచేస్తుంది.",
        ],
        "officer_key": ["en": "Officer key", "mr": "अधिकारी किल्ली", "hi": "अधिकारी कुंजी", "te": "అధికారి కీ"],
        "sign_in": ["en": "Sign in", "mr": "प्रवेश करा", "hi": "प्रवेश करें", "te": "ప్రవేశించండి"],
        "sign_out": ["en": "Sign out", "mr": "बाहेर पडा", "hi": "बाहर निकलें", "te": "నిష్క్రమించండి"],
        "sign_in_refused": [
            "en": "That officer key is not valid (unknown, mistyped or revoked).",
            "mr": "ही अधिकारी किल्ली वैध नाही (अज्ञात, चुकीची टाइप केलेली किंवा रद्द).",
            "hi": "यह अधिकारी कुंजी मान्य नहीं है (अज्ञात, गलत टाइप की गई या रद्द)।",
            "te": "ఈ అధికారి కీ చెల్లదు (తెలియనిది, తప్పుగా టైప్ చేసినది లేదా రద్దు చేసినది).",
        ],
        "refused_title": ["en": "Refused", "mr": "नाकारले", "hi": "अस्वीकृत", "te": "తిరస్కరించబడింది"],
        "csrf_refused": [
            "en": "This form did not come from your own desk page, so nothing was done. Open the desk again and retry.",
            "mr": "हा फॉर्म तुमच्या कक्षाच्या पानावरून आलेला नाही, म्हणून काहीही केले नाही. कक्ष पुन्हा उघडा आणि पुन्हा प्रयत्न करा.",
            "hi": "यह फ़ॉर्म आपके डेस्क पेज से नहीं आया, इसलिए कुछ नहीं किया गया। डेस्क फिर से खोलें और दोबारा प्रयास करें।",
            "te": "ఈ ఫారం మీ డెస్క్ పేజీ నుండి రాలేదు, కాబట్టి ఏమీ చేయలేదు. డెస్క్‌ను మళ్ళీ తెరిచి మళ్ళీ ప్రయత్నించండి.",
        ],
        "signed_in_as": ["en": "Signed in as", "mr": "प्रवेश केलेले:", "hi": "प्रवेश:", "te": "ప్రవేశించినవారు:"],
        "no_appeals": [
            "en": "No open appeals are before you.", "mr": "तुमच्यासमोर कोणतेही प्रलंबित अपील नाही.",
            "hi": "आपके सामने कोई लंबित अपील नहीं है।", "te": "మీ ముందు పెండింగ్ అప్పీళ్లు లేవు.",
        ],
        "appeals_caption": [
            "en": "Open appeals before you, overdue first", "mr": "तुमच्यासमोरील प्रलंबित अपील, मुदत संपलेली आधी",
            "hi": "आपके सामने लंबित अपीलें, समय-सीमा पार वाली पहले",
            "te": "మీ ముందు ఉన్న పెండింగ్ అప్పీళ్లు, గడువు దాటినవి ముందు",
        ],
        "appeal_number": ["en": "Appeal", "mr": "अपील क्रमांक", "hi": "अपील क्रमांक", "te": "అప్పీల్ సంఖ్య"],
        "application": ["en": "Application", "mr": "अर्ज", "hi": "आवेदन", "te": "దరఖాస్తు"],
        "level": ["en": "Level", "mr": "स्तर", "hi": "स्तर", "te": "స్థాయి"],
        "level_1": ["en": "First appeal", "mr": "प्रथम अपील", "hi": "प्रथम अपील", "te": "మొదటి అప్పీల్"],
        "level_2": ["en": "Second appeal", "mr": "द्वितीय अपील", "hi": "द्वितीय अपील", "te": "రెండవ అప్పీల్"],
        "level_3": [
            "en": "Appeal to the Commission", "mr": "आयोगाकडे अपील", "hi": "आयोग में अपील", "te": "కమిషన్‌కు అప్పీల్",
        ],
        "filed_on": ["en": "Filed on", "mr": "दाखल दिनांक", "hi": "दायर तिथि", "te": "దాఖలు తేదీ"],
        "decide_by": ["en": "Decide by", "mr": "निर्णयाची मुदत", "hi": "निर्णय की अंतिम तिथि", "te": "నిర్ణయ గడువు"],
        "days_left": ["en": "Days left", "mr": "उरलेले दिवस", "hi": "शेष दिन", "te": "మిగిలిన రోజులు"],
        "overdue": ["en": "Overdue by", "mr": "मुदत संपून", "hi": "समय-सीमा पार", "te": "గడువు దాటి"],
        "status": ["en": "Status", "mr": "स्थिती", "hi": "स्थिति", "te": "స్థితి"],
        "status_awaiting_admission": [
            "en": "Awaiting admission", "mr": "दाखल करून घेणे बाकी", "hi": "स्वीकृति लंबित", "te": "ప్రవేశం పెండింగ్",
        ],
        "status_pending": ["en": "Pending", "mr": "प्रलंबित", "hi": "लंबित", "te": "పెండింగ్"],
        "status_hearing_scheduled": [
            "en": "Hearing fixed", "mr": "सुनावणी निश्चित", "hi": "सुनवाई तय", "te": "విచారణ నిర్ణయించబడింది",
        ],
    ]

    static func word(_ key: String, _ language: String) -> String { words[key]?[language] ?? words[key]?["en"] ?? key }
}
