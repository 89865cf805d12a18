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
        "no_such_appeal": [
            "en": "No such appeal is before you.", "mr": "असे कोणतेही अपील तुमच्यासमोर नाही.", "hi": "ऐसी कोई अपील आपके सामने नहीं है।",
            "te": "అటువంటి అప్పీల్ మీ ముందు లేదు.",
        ],
        "appeal_title": ["en": "Appeal", "mr": "अपील", "hi": "अपील", "te": "అప్పీల్"],
        "the_appeal": ["en": "The appeal", "mr": "अपील", "hi": "अपील", "te": "అప్పీల్"],
        "back_to_list": [
            "en": "Back to the appeals before you", "mr": "तुमच्यासमोरील अपिलांकडे परत", "hi": "आपके सामने की अपीलों पर वापस",
            "te": "మీ ముందు ఉన్న అప్పీళ్లకు తిరిగి",
        ],
        "not_done": ["en": "Not done:", "mr": "केले नाही:", "hi": "नहीं किया गया:", "te": "చేయలేదు:"],
        "hearing_at": ["en": "Hearing", "mr": "सुनावणी", "hi": "सुनवाई", "te": "విచారణ"],
        "grounds": ["en": "Grounds", "mr": "अपिलाची कारणे", "hi": "अपील के आधार", "te": "అప్పీల్ కారణాలు"],
        "relief": ["en": "Relief sought", "mr": "मागितलेली दाद", "hi": "माँगी गई राहत", "te": "కోరిన ఉపశమనం"],
        "delay_reason": ["en": "Reason for the delay", "mr": "विलंबाचे कारण", "hi": "देरी का कारण", "te": "ఆలస్యానికి కారణం"],
        "decision": ["en": "Decision", "mr": "निर्णय", "hi": "निर्णय", "te": "నిర్ణయం"],
        "reasons": ["en": "Reasons", "mr": "कारणे", "hi": "कारण", "te": "కారణాలు"],
        "decision_allowed": ["en": "Allowed", "mr": "मान्य", "hi": "स्वीकृत", "te": "అనుమతించబడింది"],
        "decision_dismissed": ["en": "Dismissed", "mr": "फेटाळले", "hi": "खारिज", "te": "కొట్టివేయబడింది"],
        "decision_approved": ["en": "Approved", "mr": "मंजूर", "hi": "स्वीकृत", "te": "ఆమోదించబడింది"],
        "decision_rejected": ["en": "Rejected", "mr": "नामंजूर", "hi": "अस्वीकृत", "te": "తిరస్కరించబడింది"],
        "decision_other": ["en": "Other outcome", "mr": "इतर निकाल", "hi": "अन्य परिणाम", "te": "ఇతర ఫలితం"],
        "outcomes": [
            "en": "What the citizen was told", "mr": "नागरिकाला काय कळवले", "hi": "नागरिक को क्या बताया गया", "te": "పౌరునికి ఏమి తెలియజేయబడింది",
        ],
        "no_outcome": [
            "en": "No outcome was recorded.", "mr": "कोणताही निकाल नोंदलेला नाही.", "hi": "कोई परिणाम दर्ज नहीं है।",
            "te": "ఏ ఫలితమూ నమోదు కాలేదు.",
        ],
        "decided_at": ["en": "decided", "mr": "निर्णय", "hi": "निर्णय", "te": "నిర్ణయం"],
        "delivered_at": ["en": "reached the citizen", "mr": "नागरिकापर्यंत पोहोचले", "hi": "नागरिक तक पहुँचा", "te": "పౌరునికి చేరింది"],
        "not_delivered": [
            "en": "not yet received by the citizen", "mr": "नागरिकाला अजून मिळालेले नाही", "hi": "नागरिक को अभी नहीं मिला",
            "te": "పౌరునికి ఇంకా అందలేదు",
        ],
        "history": ["en": "The application's history", "mr": "अर्जाचा इतिहास", "hi": "आवेदन का इतिहास", "te": "దరఖాస్తు చరిత్ర"],
        "when": ["en": "When", "mr": "केव्हा", "hi": "कब", "te": "ఎప్పుడు"],
        "what": ["en": "What happened", "mr": "काय झाले", "hi": "क्या हुआ", "te": "ఏమి జరిగింది"],
        "admit_heading": [
            "en": "Admit the late appeal", "mr": "विलंबित अपील दाखल करून घ्या", "hi": "देर से आई अपील स्वीकार करें",
            "te": "ఆలస్యమైన అప్పీల్‌ను స్వీకరించండి",
        ],
        "admit_question": [
            "en": "Is the reason for the delay sufficient?", "mr": "विलंबाचे कारण पुरेसे आहे का?", "hi": "क्या देरी का कारण पर्याप्त है?",
            "te": "ఆలస్యానికి కారణం సరిపోతుందా?",
        ],
        "admit_yes": [
            "en": "Yes: admit the appeal", "mr": "होय: अपील दाखल करून घ्या", "hi": "हाँ: अपील स्वीकार करें", "te": "అవును: అప్పీల్‌ను స్వీకరించండి",
        ],
        "admit_no": ["en": "No: do not admit it", "mr": "नाही: दाखल करून घेऊ नका", "hi": "नहीं: स्वीकार न करें", "te": "కాదు: స్వీకరించవద్దు"],
        "reasons_one_per_line": [
            "en": "Reasons, one per line", "mr": "कारणे, प्रत्येक ओळीत एक", "hi": "कारण, हर पंक्ति में एक", "te": "కారణాలు, ఒక్కో పంక్తిలో ఒకటి",
        ],
        "record": ["en": "Record", "mr": "नोंदवा", "hi": "दर्ज करें", "te": "నమోదు చేయండి"],
        "hearing_heading": ["en": "Fix a hearing", "mr": "सुनावणी निश्चित करा", "hi": "सुनवाई तय करें", "te": "విచారణను నిర్ణయించండి"],
        "fix_hearing": ["en": "Fix the hearing", "mr": "सुनावणी निश्चित करा", "hi": "सुनवाई तय करें", "te": "విచారణను నిర్ణయించండి"],
        "decide_heading": ["en": "Decide the appeal", "mr": "अपिलावर निर्णय द्या", "hi": "अपील पर निर्णय दें", "te": "అప్పీల్‌పై నిర్ణయించండి"],
        "directed_days": [
            "en": "If allowed: days the designated officer has to deliver", "mr": "मान्य असल्यास: पदनिर्देशित अधिकाऱ्याला सेवा देण्यासाठी दिवस",
            "hi": "स्वीकृत होने पर: नामित अधिकारी को सेवा देने के दिन", "te": "అనుమతిస్తే: నియమిత అధికారి సేవ అందించడానికి రోజులు",
        ],
        "order_pdf": [
            "en": "The order (PDF, optional)", "mr": "आदेश (PDF, ऐच्छिक)", "hi": "आदेश (PDF, वैकल्पिक)", "te": "ఉత్తర్వు (PDF, ఐచ్ఛికం)",
        ],
        "record_decision": ["en": "Record the decision", "mr": "निर्णय नोंदवा", "hi": "निर्णय दर्ज करें", "te": "నిర్ణయాన్ని నమోదు చేయండి"],
        "penalty_heading": ["en": "Record a penalty", "mr": "दंड नोंदवा", "hi": "दंड दर्ज करें", "te": "జరిమానాను నమోదు చేయండి"],
        "amount": ["en": "Amount (rupees)", "mr": "रक्कम (रुपये)", "hi": "राशि (रुपये)", "te": "మొత్తం (రూపాయలు)"],
        "reason": ["en": "Reason", "mr": "कारण", "hi": "कारण", "te": "కారణం"],
        "record_penalty": ["en": "Record the penalty", "mr": "दंड नोंदवा", "hi": "दंड दर्ज करें", "te": "జరిమానాను నమోదు చేయండి"],
        "hearing_invalid": [
            "en": "Give the hearing's date and time.", "mr": "सुनावणीची तारीख आणि वेळ द्या.", "hi": "सुनवाई की तारीख और समय दें।",
            "te": "విచారణ తేదీ మరియు సమయం ఇవ్వండి.",
        ],
        "decision_missing": [
            "en": "Choose allowed or dismissed.", "mr": "मान्य किंवा फेटाळले निवडा.", "hi": "स्वीकृत या खारिज चुनें।",
            "te": "అనుమతించబడింది లేదా కొట్టివేయబడింది ఎంచుకోండి.",
        ],
        "penalty_invalid": [
            "en": "Give the amount in whole rupees and a reason (up to 2,000 characters).",
            "mr": "रक्कम पूर्ण रुपयांत आणि कारण (2,000 अक्षरांपर्यंत) द्या.", "hi": "राशि पूरे रुपयों में और कारण (2,000 अक्षरों तक) दें।",
            "te": "మొత్తాన్ని పూర్తి రూపాయలలో మరియు కారణాన్ని (2,000 అక్షరాల వరకు) ఇవ్వండి.",
        ],
        "done_admission": [
            "en": "The admission was recorded.", "mr": "दाखल करण्याचा निर्णय नोंदवला.", "hi": "स्वीकृति दर्ज की गई।",
            "te": "ప్రవేశ నిర్ణయం నమోదైంది.",
        ],
        "done_hearing": [
            "en": "The hearing was fixed; the citizen is told.", "mr": "सुनावणी निश्चित झाली; नागरिकाला कळवले जात आहे.",
            "hi": "सुनवाई तय हुई; नागरिक को बताया जा रहा है।", "te": "విచారణ నిర్ణయించబడింది; పౌరునికి తెలియజేయబడుతోంది.",
        ],
        "done_decision": [
            "en": "The decision was recorded; the citizen is told.", "mr": "निर्णय नोंदवला; नागरिकाला कळवले जात आहे.",
            "hi": "निर्णय दर्ज हुआ; नागरिक को बताया जा रहा है।", "te": "నిర్ణయం నమోదైంది; పౌరునికి తెలియజేయబడుతోంది.",
        ],
        "done_penalty": [
            "en": "The penalty was recorded.", "mr": "दंड नोंदवला.", "hi": "दंड दर्ज किया गया।", "te": "జరిమానా నమోదైంది.",
        ],
        "event_clock_started": [
            "en": "Application complete: the time limit started", "mr": "अर्ज पूर्ण: कालमर्यादा सुरू", "hi": "आवेदन पूर्ण: समय-सीमा शुरू",
            "te": "దరఖాస్తు పూర్తి: గడువు ప్రారంభమైంది",
        ],
        "event_appeal_filed": ["en": "Appeal filed", "mr": "अपील दाखल", "hi": "अपील दायर", "te": "అప్పీల్ దాఖలైంది"],
        "event_appeal_admitted": [
            "en": "Appeal admitted", "mr": "अपील दाखल करून घेतले", "hi": "अपील स्वीकार", "te": "అప్పీల్ స్వీకరించబడింది",
        ],
        "event_hearing_scheduled": ["en": "Hearing fixed", "mr": "सुनावणी निश्चित", "hi": "सुनवाई तय", "te": "విచారణ నిర్ణయించబడింది"],
        "event_appeal_decided": ["en": "Appeal decided", "mr": "अपिलावर निर्णय", "hi": "अपील पर निर्णय", "te": "అప్పీల్‌పై నిర్ణయం"],
        "event_penalty_imposed": ["en": "Penalty imposed", "mr": "दंड लावला", "hi": "दंड लगाया", "te": "జరిమానా విధించబడింది"],
        "event_time_limit_met": [
            "en": "Decided within the time limit", "mr": "कालमर्यादेत निर्णय", "hi": "समय-सीमा में निर्णय", "te": "గడువులో నిర్ణయం",
        ],
        "event_time_limit_lapsed": [
            "en": "Time limit lapsed without a decision", "mr": "निर्णयाशिवाय कालमर्यादा संपली", "hi": "बिना निर्णय समय-सीमा समाप्त",
            "te": "నిర్ణయం లేకుండా గడువు ముగిసింది",
        ],
        "event_appeal_overdue": [
            "en": "Appeal overdue", "mr": "अपिलाची मुदत संपली", "hi": "अपील की समय-सीमा पार", "te": "అప్పీల్ గడువు దాటింది",
        ],
        "cluster_title": ["en": "Cluster desk", "mr": "समूह कक्ष", "hi": "समूह डेस्क", "te": "క్లస్టర్ డెస్క్"],
        "cluster_caption": [
            "en": "Applications of your villages past their time limit without a decision, longest first",
            "mr": "तुमच्या गावांचे कालमर्यादा संपलेले, निर्णय न झालेले अर्ज, सर्वात जुने आधी",
            "hi": "आपके गाँवों के समय-सीमा पार, बिना निर्णय वाले आवेदन, सबसे पुराने पहले", "te": "మీ గ్రామాల గడువు దాటిన, నిర్ణయం లేని దరఖాస్తులు, పాతవి ముందు",
        ],
        "cluster_none": [
            "en": "No application of your villages is past its time limit.", "mr": "तुमच्या गावांचा कोणताही अर्ज कालमर्यादेबाहेर नाही.",
            "hi": "आपके गाँवों का कोई आवेदन समय-सीमा से बाहर नहीं है।", "te": "మీ గ్రామాల దరఖాస్తులేవీ గడువు దాటలేదు.",
        ],
        "village": ["en": "Village", "mr": "गाव", "hi": "गाँव", "te": "గ్రామం"],
        "service": ["en": "Service", "mr": "सेवा", "hi": "सेवा", "te": "సేవ"],
        "due_on": ["en": "Due on", "mr": "मुदत", "hi": "नियत तिथि", "te": "గడువు తేదీ"],
        "days_past": ["en": "Days past", "mr": "उलटलेले दिवस", "hi": "बीते दिन", "te": "దాటిన రోజులు"],
        "rule_admission_pending": [
            "mr": "निर्णयापूर्वी विलंबित अपील दाखल करून घ्यावे लागेल.", "hi": "निर्णय से पहले देर से आई अपील स्वीकार करनी होगी।",
            "te": "నిర్ణయానికి ముందు ఆలస్యమైన అప్పీల్‌ను స్వీకరించాలి.",
        ],
        "rule_already_admitted": [
            "mr": "हे अपील दाखल करण्याच्या प्रतीक्षेत नाही.", "hi": "यह अपील स्वीकृति की प्रतीक्षा में नहीं है।", "te": "ఈ అప్పీల్ ప్రవేశం కోసం వేచి లేదు.",
        ],
        "rule_appeal_closed": [
            "mr": "हे अपील बंद झाले आहे; त्यावर पुन्हा निर्णय देता येत नाही.", "hi": "यह अपील बंद हो चुकी है; इस पर फिर से निर्णय नहीं दिया जा सकता।",
            "te": "ఈ అప్పీల్ ముగిసింది; దానిపై మళ్ళీ నిర్ణయించలేరు.",
        ],
        "rule_not_admitted": ["mr": "हे अपील दाखल करून घेतलेले नाही.", "hi": "यह अपील स्वीकार नहीं की गई है।", "te": "ఈ అప్పీల్ స్వీకరించబడలేదు."],
        "rule_hearing_in_past": [
            "mr": "सुनावणी भविष्यातील वेळेत असावी.", "hi": "सुनवाई भविष्य के समय पर होनी चाहिए।", "te": "విచారణ భవిష్యత్ సమయంలో ఉండాలి.",
        ],
        "rule_reasons_required": [
            "mr": "फेटाळणे किंवा दाखल करण्यास नकार देण्यासाठी कारणे द्यावी लागतात.", "hi": "खारिज करने या स्वीकृति से इनकार के लिए कारण देने होते हैं।",
            "te": "కొట్టివేయడానికి లేదా ప్రవేశం నిరాకరించడానికి కారణాలు ఇవ్వాలి.",
        ],
        "rule_directed_days_required": [
            "mr": "मान्य अपिलात पदनिर्देशित अधिकाऱ्याने किती दिवसांत (1 ते 365) सेवा द्यावी ते द्या.",
            "hi": "स्वीकृत अपील में नामित अधिकारी को सेवा देने के दिन (1 से 365) दें।",
            "te": "అనుమతించిన అప్పీల్‌లో నియమిత అధికారి సేవ అందించాల్సిన రోజులు (1 నుండి 365) ఇవ్వండి.",
        ],
        "rule_penalty_out_of_range": [
            "mr": "दंड राज्याने ठरवलेल्या मर्यादेत असावा", "hi": "दंड राज्य द्वारा तय सीमा में होना चाहिए", "te": "జరిమానా రాష్ట్రం నిర్ణయించిన పరిధిలో ఉండాలి",
        ],
        "rule_unknown_appeal": ["mr": "असे अपील तुमच्यासमोर नाही.", "hi": "ऐसी कोई अपील आपके सामने नहीं है।", "te": "అటువంటి అప్పీల్ మీ ముందు లేదు."],
    ]

    static func word(_ key: String, _ language: String) -> String { words[key]?[language] ?? words[key]?["en"] ?? key }

    /// A refused rule in the page's language: the rule's own English words in English, else the translation of the
    /// rule (with the English detail after it when the detail carries figures), else the English words.
    static func refusal(_ rule: String, detail: String, _ language: String) -> String {
        guard language != "en", let text = words["rule_" + rule]?[language] else { return detail }
        return detail.contains(where: \.isNumber) && rule == "penalty_out_of_range" ? "\(text) (\(detail))." : text
    }
}
