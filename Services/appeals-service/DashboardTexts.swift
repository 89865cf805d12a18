/// The dashboard's words and its "how this is counted" notes in Marathi, Hindi, Telugu and English (a missing one
/// shows the English). The JSON carries the same definitions.
enum DashboardTexts {
    static func word(_ key: String, _ language: String) -> String {
        guard let entry = words[key] else { return key }
        return entry[language] ?? entry["en"] ?? key
    }

    /// The short name of a measure; a channel's measure is named after the channel.
    static func name(_ id: String, _ language: String) -> String {
        for channel in ["portal", "whatsapp", "email"] where id.hasPrefix(channel + "_") {
            let base = String(id.dropFirst(channel.count + 1))
            return word("channel_" + channel, language) + ": "
                + name(base == "failures" ? "delivery_failures" : base, language)
        }
        return word("m_" + id, language)
    }

    /// The definition of a measure ("how this is counted").
    static func definition(_ id: String, _ language: String) -> String {
        for channel in ["portal", "whatsapp", "email"] where id.hasPrefix(channel + "_") {
            let base = String(id.dropFirst(channel.count + 1))
            return definition(base == "failures" ? "delivery_failures" : base, language) + " "
                + word("d_channel_" + channel, language)
        }
        if id.hasPrefix("pending_past_limit_") { return word("d_pending_band", language) }
        return word("d_" + id, language)
    }

    static let words: [String: [String: String]] = [
        "language": ["en": "Language", "mr": "भाषा", "hi": "भाषा", "te": "భాష"],
        "skip": [
            "en": "Skip to the main content", "mr": "मुख्य मजकुराकडे जा", "hi": "मुख्य सामग्री पर जाएँ",
            "te": "ప్రధాన విషయానికి వెళ్ళండి",
        ],
        "title": [
            "en": "public services dashboard", "mr": "लोकसेवा डॅशबोर्ड", "hi": "लोक सेवा डैशबोर्ड",
            "te": "ప్రజా సేవల డాష్‌బోర్డ్",
        ],
        "path": ["en": "Where you are", "mr": "तुम्ही येथे आहात", "hi": "आप यहाँ हैं", "te": "మీరు ఇక్కడ ఉన్నారు"],
        "period": ["en": "Period", "mr": "कालावधी", "hi": "अवधि", "te": "కాలం"],
        "period_day": ["en": "Day", "mr": "दिवस", "hi": "दिन", "te": "రోజు"],
        "period_week": [
            "en": "Week (Monday to Sunday)", "mr": "आठवडा (सोमवार ते रविवार)", "hi": "सप्ताह (सोमवार से रविवार)",
            "te": "వారం (సోమవారం నుండి ఆదివారం)",
        ],
        "period_month": ["en": "Month", "mr": "महिना", "hi": "महीना", "te": "నెల"],
        "period_year": [
            "en": "Financial year (April to March)", "mr": "आर्थिक वर्ष (एप्रिल ते मार्च)",
            "hi": "वित्तीय वर्ष (अप्रैल से मार्च)", "te": "ఆర్థిక సంవత్సరం (ఏప్రిల్ నుండి మార్చి)",
        ],
        "on": ["en": "A date in the period", "mr": "कालावधीतील एक तारीख", "hi": "अवधि की कोई तारीख", "te": "కాలంలోని ఒక తేదీ"],
        "show": ["en": "Show", "mr": "दाखवा", "hi": "दिखाएँ", "te": "చూపించు"],
        "previous_period": ["en": "Previous period", "mr": "मागील कालावधी", "hi": "पिछली अवधि", "te": "మునుపటి కాలం"],
        "next_period": ["en": "Next period", "mr": "पुढील कालावधी", "hi": "अगली अवधि", "te": "తదుపరి కాలం"],
        "this_period": ["en": "This period", "mr": "हा कालावधी", "hi": "यह अवधि", "te": "ఈ కాలం"],
        "change": ["en": "Change", "mr": "बदल", "hi": "बदलाव", "te": "మార్పు"],
        "measure": ["en": "Measure", "mr": "निर्देशांक", "hi": "माप", "te": "కొలమానం"],
        "showing": ["en": "Showing", "mr": "दाखवत आहे", "hi": "दिखाया जा रहा है", "te": "చూపిస్తున్నది"],
        "to": ["en": "to", "mr": "ते", "hi": "से", "te": "నుండి"],
        "refreshed": [
            "en": "Numbers brought up to date at", "mr": "आकडे अद्ययावत केल्याची वेळ",
            "hi": "आँकड़े अद्यतन करने का समय", "te": "సంఖ్యలు నవీకరించిన సమయం",
        ],
        "pending_as_of": [
            "en": "Pending applications are counted as of today,", "mr": "प्रलंबित अर्ज आजच्या दिवशी मोजले आहेत,",
            "hi": "लंबित आवेदन आज की स्थिति में गिने गए हैं,", "te": "పెండింగ్ దరఖాస్తులు ఈ రోజు నాటికి లెక్కించబడ్డాయి,",
        ],
        "summary": ["en": "The measures", "mr": "निर्देशांक", "hi": "माप", "te": "కొలమానాలు"],
        "suppressed": ["en": "fewer than 10", "mr": "10 पेक्षा कमी", "hi": "10 से कम", "te": "10 కంటే తక్కువ"],
        "no_data": ["en": "no data", "mr": "माहिती नाही", "hi": "आँकड़े नहीं", "te": "సమాచారం లేదు"],
        "not_for_period": [
            "en": "counted for today only", "mr": "फक्त आजसाठी मोजले", "hi": "केवल आज के लिए गिना गया",
            "te": "ఈ రోజుకు మాత్రమే లెక్కించబడింది",
        ],
        "children": [
            "en": "Offices and areas below", "mr": "खालील कार्यालये व क्षेत्रे", "hi": "नीचे के कार्यालय और क्षेत्र", "te": "దిగువ కార్యాలయాలు, ప్రాంతాలు",
        ],
        "no_children": [
            "en": "No offices or areas are listed below this one.", "mr": "याखाली कोणतेही कार्यालय किंवा क्षेत्र नाही.",
            "hi": "इसके नीचे कोई कार्यालय या क्षेत्र नहीं है।", "te": "దీని కింద కార్యాలయాలు లేదా ప్రాంతాలు లేవు.",
        ],
        "rank": ["en": "Rank", "mr": "क्रमांक", "hi": "क्रम", "te": "ర్యాంక్"],
        "office": ["en": "Office or area", "mr": "कार्यालय किंवा क्षेत्र", "hi": "कार्यालय या क्षेत्र", "te": "కార్యాలయం లేదా ప్రాంతం"],
        "rank_note": [
            "en":
                "Ranked by the share disposed within the time limit; offices whose share is unknown or suppressed are not ranked.",
            "mr": "कालमर्यादेत निकाली काढलेल्या अर्जांच्या टक्केवारीनुसार क्रम; टक्केवारी अज्ञात किंवा लपवलेली असलेल्या कार्यालयांना क्रम नाही.",
            "hi": "समय-सीमा में निपटाए गए आवेदनों के प्रतिशत के अनुसार क्रम; जिनका प्रतिशत अज्ञात या छिपाया गया है उन्हें क्रम नहीं दिया गया।",
            "te": "గడువులోగా పరిష్కరించిన శాతం ప్రకారం ర్యాంక్; శాతం తెలియని లేదా దాచిన కార్యాలయాలకు ర్యాంక్ లేదు.",
        ],
        "chart_children": [
            "en": "Share disposed within the time limit, by office or area",
            "mr": "कालमर्यादेत निकाली काढलेले अर्ज (%), कार्यालय/क्षेत्रानुसार",
            "hi": "समय-सीमा में निपटाए गए आवेदन (%), कार्यालय/क्षेत्र के अनुसार",
            "te": "గడువులోగా పరిష్కరించినవి (%), కార్యాలయం/ప్రాంతం వారీగా",
        ],
        "chart_pending": [
            "en": "Applications pending past the time limit, by days past the due day",
            "mr": "कालमर्यादा उलटून प्रलंबित अर्ज, देय दिवसानंतरच्या दिवसांनुसार",
            "hi": "समय-सीमा के बाद लंबित आवेदन, नियत दिन के बाद के दिनों के अनुसार",
            "te": "గడువు దాటి పెండింగ్‌లో ఉన్న దరఖాస్తులు, గడువు తేదీ తర్వాతి రోజుల వారీగా",
        ],
        "chart_delivery": [
            "en": "Outcomes that reached the citizen, by channel and time after the decision",
            "mr": "नागरिकापर्यंत पोहोचलेले निर्णय, माध्यम व निर्णयानंतरच्या वेळेनुसार",
            "hi": "नागरिक तक पहुँचे निर्णय, माध्यम और निर्णय के बाद के समय के अनुसार",
            "te": "పౌరునికి చేరిన నిర్ణయాలు, మాధ్యమం, నిర్ణయం తర్వాతి సమయం వారీగా",
        ],
        "chart_table_note": [
            "en": "The same numbers are in the table below the chart.", "mr": "हेच आकडे आलेखाखालील तक्त्यात आहेत.",
            "hi": "यही आँकड़े चार्ट के नीचे की तालिका में हैं।", "te": "ఇవే సంఖ్యలు చార్ట్ క్రింది పట్టికలో ఉన్నాయి.",
        ],
        "band": ["en": "Days past the due day", "mr": "देय दिवसानंतरचे दिवस", "hi": "नियत दिन के बाद के दिन", "te": "గడువు తర్వాతి రోజులు"],
        "applications": ["en": "Applications", "mr": "अर्ज", "hi": "आवेदन", "te": "దరఖాస్తులు"],
        "channel": ["en": "Channel", "mr": "माध्यम", "hi": "माध्यम", "te": "మాధ్యమం"],
        "channel_any": ["en": "Any channel", "mr": "कोणतेही माध्यम", "hi": "कोई भी माध्यम", "te": "ఏదైనా మాధ్యమం"],
        "channel_portal": ["en": "Portal", "mr": "पोर्टल", "hi": "पोर्टल", "te": "పోర్టల్"],
        "channel_whatsapp": ["en": "WhatsApp", "mr": "व्हॉट्सॲप", "hi": "व्हाट्सऐप", "te": "వాట్సాప్"],
        "channel_email": ["en": "Email", "mr": "ईमेल", "hi": "ईमेल", "te": "ఈమెయిల్"],
        "within_10s": ["en": "within 10 s", "mr": "10 सेकंदांत", "hi": "10 सेकंड में", "te": "10 సెకన్లలో"],
        "within_1h": ["en": "within 1 hour", "mr": "1 तासात", "hi": "1 घंटे में", "te": "1 గంటలో"],
        "within_1d": ["en": "within 1 day", "mr": "1 दिवसात", "hi": "1 दिन में", "te": "1 రోజులో"],
        "definitions": [
            "en": "How this is counted", "mr": "हे कसे मोजले जाते", "hi": "यह कैसे गिना जाता है", "te": "ఇది ఎలా లెక్కించబడుతుంది",
        ],
        "downloads": [
            "en": "The same numbers as data", "mr": "हेच आकडे डेटा स्वरूपात", "hi": "यही आँकड़े डेटा के रूप में", "te": "ఇవే సంఖ్యలు డేటాగా",
        ],
        "json": ["en": "JSON", "mr": "JSON", "hi": "JSON", "te": "JSON"],
        "csv": ["en": "CSV (spreadsheet)", "mr": "CSV (स्प्रेडशीट)", "hi": "CSV (स्प्रेडशीट)", "te": "CSV (స్ప్రెడ్‌షీట్)"],
        "days": ["en": "days", "mr": "दिवस", "hi": "दिन", "te": "రోజులు"],
        "band_1_7": ["en": "1–7 days", "mr": "1–7 दिवस", "hi": "1–7 दिन", "te": "1–7 రోజులు"],
        "band_8_30": ["en": "8–30 days", "mr": "8–30 दिवस", "hi": "8–30 दिन", "te": "8–30 రోజులు"],
        "band_31_90": ["en": "31–90 days", "mr": "31–90 दिवस", "hi": "31–90 दिन", "te": "31–90 రోజులు"],
        "band_over_90": ["en": "over 90 days", "mr": "90 पेक्षा जास्त दिवस", "hi": "90 से अधिक दिन", "te": "90 రోజులకు పైగా"],
        "bad_period": [
            "en": "Choose a period: day, week, month or year.", "mr": "कालावधी निवडा: दिवस, आठवडा, महिना किंवा वर्ष.",
            "hi": "अवधि चुनें: दिन, सप्ताह, महीना या वर्ष।", "te": "కాలం ఎంచుకోండి: రోజు, వారం, నెల లేదా సంవత్సరం.",
        ],
        "bad_date": [
            "en": "Give the date as YYYY-MM-DD, for example 2026-11-27.", "mr": "तारीख YYYY-MM-DD अशी द्या, उदा. 2026-11-27.",
            "hi": "तारीख YYYY-MM-DD के रूप में दें, जैसे 2026-11-27।", "te": "తేదీని YYYY-MM-DD గా ఇవ్వండి, ఉదా. 2026-11-27.",
        ],
        "unknown_office": [
            "en": "There is no office or area with this code.", "mr": "या कोडचे कोणतेही कार्यालय किंवा क्षेत्र नाही.",
            "hi": "इस कोड का कोई कार्यालय या क्षेत्र नहीं है।", "te": "ఈ కోడ్‌తో కార్యాలయం లేదా ప్రాంతం లేదు.",
        ],
        "note_title": ["en": "About these numbers", "mr": "या आकड्यांविषयी", "hi": "इन आँकड़ों के बारे में", "te": "ఈ సంఖ్యల గురించి"],
        "note_suppression": [
            "en":
                "No personal data is shown. A count from 1 to 9 is shown as “fewer than 10”, and a share, rate or number of days worked out from such a count is not shown, so that no one can be recognised from it.",
            "mr":
                "कोणतीही वैयक्तिक माहिती दाखवली जात नाही. 1 ते 9 ही संख्या “10 पेक्षा कमी” अशी दाखवली जाते, आणि अशा संख्येवरून काढलेली टक्केवारी, दर किंवा दिवस दाखवले जात नाहीत, जेणेकरून कोणालाही ओळखता येऊ नये.",
            "hi":
                "कोई व्यक्तिगत जानकारी नहीं दिखाई जाती। 1 से 9 की संख्या “10 से कम” दिखाई जाती है, और ऐसी संख्या से निकाला गया प्रतिशत, दर या दिन नहीं दिखाए जाते, ताकि किसी की पहचान न हो सके।",
            "te":
                "వ్యక్తిగత సమాచారం ఏదీ చూపబడదు. 1 నుండి 9 వరకు ఉన్న సంఖ్య “10 కంటే తక్కువ”గా చూపబడుతుంది, అటువంటి సంఖ్య నుండి లెక్కించిన శాతం, రేటు లేదా రోజులు చూపబడవు, తద్వారా ఎవరినీ గుర్తించలేరు.",
        ],
        "note_place": [
            "en":
                "An application counts for its office and, when the department named it, its village, and for every office and area above them (once each). Days are in India Standard Time. Test applications are not counted. Applications from an office missing from the office list count nowhere until it is added.",
            "mr":
                "अर्ज त्याच्या कार्यालयासाठी आणि विभागाने गाव दिले असल्यास त्या गावासाठी, तसेच त्यांच्या वरील प्रत्येक कार्यालय व क्षेत्रासाठी (प्रत्येकी एकदा) मोजला जातो. दिवस भारतीय प्रमाण वेळेनुसार आहेत. चाचणी अर्ज मोजले जात नाहीत. कार्यालय सूचीत नसलेल्या कार्यालयाचे अर्ज ते जोडेपर्यंत कुठेही मोजले जात नाहीत.",
            "hi":
                "आवेदन अपने कार्यालय के लिए और, यदि विभाग ने गाँव बताया है, उस गाँव के लिए, तथा उनके ऊपर के हर कार्यालय और क्षेत्र के लिए (हर एक में एक बार) गिना जाता है। दिन भारतीय मानक समय में हैं। परीक्षण आवेदन नहीं गिने जाते। कार्यालय सूची में न होने वाले कार्यालय के आवेदन उसे जोड़े जाने तक कहीं नहीं गिने जाते।",
            "te":
                "దరఖాస్తు దాని కార్యాలయానికి, శాఖ గ్రామాన్ని పేర్కొంటే ఆ గ్రామానికి, వాటి పైన ఉన్న ప్రతి కార్యాలయం, ప్రాంతానికి (ఒక్కొక్కసారి) లెక్కించబడుతుంది. రోజులు భారత ప్రామాణిక సమయంలో ఉంటాయి. పరీక్షా దరఖాస్తులు లెక్కించబడవు. కార్యాలయ జాబితాలో లేని కార్యాలయపు దరఖాస్తులు దానిని చేర్చే వరకు ఎక్కడా లెక్కించబడవు.",
        ],
        // Measure names.
        "m_received": ["en": "Applications received", "mr": "प्राप्त अर्ज", "hi": "प्राप्त आवेदन", "te": "అందిన దరఖాస్తులు"],
        "m_disposed": ["en": "Applications disposed", "mr": "निकाली काढलेले अर्ज", "hi": "निपटाए गए आवेदन", "te": "పరిష్కరించిన దరఖాస్తులు"],
        "m_within_limit_percent": [
            "en": "Disposed within the time limit (%)", "mr": "कालमर्यादेत निकाली (%)", "hi": "समय-सीमा में निपटाए गए (%)",
            "te": "గడువులోగా పరిష్కరించినవి (%)",
        ],
        "m_pending_within_limit": [
            "en": "Pending, within the time limit", "mr": "प्रलंबित, कालमर्यादेत", "hi": "लंबित, समय-सीमा के भीतर",
            "te": "పెండింగ్, గడువులోపు",
        ],
        "m_pending_past_limit": [
            "en": "Pending past the time limit", "mr": "कालमर्यादा उलटून प्रलंबित", "hi": "समय-सीमा के बाद लंबित",
            "te": "గడువు దాటి పెండింగ్",
        ],
        "m_pending_past_limit_1_7_days": [
            "en": "Past the limit by 1–7 days", "mr": "कालमर्यादेनंतर 1–7 दिवस", "hi": "समय-सीमा के बाद 1–7 दिन",
            "te": "గడువు దాటి 1–7 రోజులు",
        ],
        "m_pending_past_limit_8_30_days": [
            "en": "Past the limit by 8–30 days", "mr": "कालमर्यादेनंतर 8–30 दिवस", "hi": "समय-सीमा के बाद 8–30 दिन",
            "te": "గడువు దాటి 8–30 రోజులు",
        ],
        "m_pending_past_limit_31_90_days": [
            "en": "Past the limit by 31–90 days", "mr": "कालमर्यादेनंतर 31–90 दिवस", "hi": "समय-सीमा के बाद 31–90 दिन",
            "te": "గడువు దాటి 31–90 రోజులు",
        ],
        "m_pending_past_limit_over_90_days": [
            "en": "Past the limit by over 90 days", "mr": "कालमर्यादेनंतर 90 पेक्षा जास्त दिवस",
            "hi": "समय-सीमा के बाद 90 से अधिक दिन", "te": "గడువు దాటి 90 రోజులకు పైగా",
        ],
        "m_median_days": [
            "en": "Median days to disposal", "mr": "निकालासाठी मध्य दिवस", "hi": "निपटान के माध्य दिन", "te": "పరిష్కారానికి మధ్యస్థ రోజులు",
        ],
        "m_p90_days": [
            "en": "Days to disposal, 90th percentile", "mr": "निकालासाठी दिवस, 90 वे शततमक", "hi": "निपटान के दिन, 90वाँ प्रतिशतक",
            "te": "పరిష్కారానికి రోజులు, 90వ శతాంశం",
        ],
        "m_rejection_percent": ["en": "Rejected (%)", "mr": "नामंजूर (%)", "hi": "अस्वीकृत (%)", "te": "తిరస్కరించినవి (%)"],
        "m_first_appeals_per_1000": [
            "en": "First appeals per 1,000 disposals", "mr": "प्रति 1,000 निकालांमागे प्रथम अपील",
            "hi": "प्रति 1,000 निपटानों पर प्रथम अपील", "te": "ప్రతి 1,000 పరిష్కారాలకు మొదటి అప్పీళ్లు",
        ],
        "m_second_appeals_per_1000": [
            "en": "Second appeals per 1,000 disposals", "mr": "प्रति 1,000 निकालांमागे द्वितीय अपील",
            "hi": "प्रति 1,000 निपटानों पर द्वितीय अपील", "te": "ప్రతి 1,000 పరిష్కారాలకు రెండవ అప్పీళ్లు",
        ],
        "m_commission_appeals_per_1000": [
            "en": "Appeals to the Commission per 1,000 disposals", "mr": "प्रति 1,000 निकालांमागे आयोगाकडे अपील",
            "hi": "प्रति 1,000 निपटानों पर आयोग को अपील", "te": "ప్రతి 1,000 పరిష్కారాలకు కమిషన్‌కు అప్పీళ్లు",
        ],
        "m_overdue_appeals": [
            "en": "Appeals that became overdue", "mr": "मुदत उलटलेली अपिले", "hi": "समय-सीमा पार कर गई अपीलें",
            "te": "గడువు దాటిన అప్పీళ్లు",
        ],
        "m_penalties": ["en": "Penalties imposed", "mr": "लादलेले दंड", "hi": "लगाए गए दंड", "te": "విధించిన జరిమానాలు"],
        "m_penalty_rupees": [
            "en": "Penalties imposed (₹)", "mr": "लादलेले दंड (₹)", "hi": "लगाए गए दंड (₹)", "te": "విధించిన జరిమానాలు (₹)",
        ],
        "m_outcomes": [
            "en": "Outcomes sent to citizens", "mr": "नागरिकांना पाठवलेले निर्णय", "hi": "नागरिकों को भेजे गए निर्णय",
            "te": "పౌరులకు పంపిన నిర్ణయాలు",
        ],
        "m_reached_10s_percent": [
            "en": "Reached the citizen within 10 seconds (%)", "mr": "10 सेकंदांत नागरिकापर्यंत पोहोचले (%)",
            "hi": "10 सेकंड में नागरिक तक पहुँचे (%)", "te": "10 సెకన్లలో పౌరునికి చేరినవి (%)",
        ],
        "m_reached_1h_percent": [
            "en": "Reached the citizen within 1 hour (%)", "mr": "1 तासात नागरिकापर्यंत पोहोचले (%)",
            "hi": "1 घंटे में नागरिक तक पहुँचे (%)", "te": "1 గంటలో పౌరునికి చేరినవి (%)",
        ],
        "m_reached_1d_percent": [
            "en": "Reached the citizen within 1 day (%)", "mr": "1 दिवसात नागरिकापर्यंत पोहोचले (%)",
            "hi": "1 दिन में नागरिक तक पहुँचे (%)", "te": "1 రోజులో పౌరునికి చేరినవి (%)",
        ],
        "m_delivery_failures": [
            "en": "Delivery failures", "mr": "पोहोचवण्यात अपयश", "hi": "पहुँचाने में विफलता", "te": "చేరవేత వైఫల్యాలు",
        ],
        // Definitions.
        "d_received": [
            "en":
                "Applications whose time limit started in the period: the day the portal reported the application complete (for an application Dakiya heard of only with its outcome, the day it heard of it).",
            "mr": "ज्यांची कालमर्यादा या कालावधीत सुरू झाली असे अर्ज: पोर्टलने अर्ज पूर्ण झाल्याचे कळवले तो दिवस (फक्त निर्णयासोबत कळलेल्या अर्जासाठी, तो कळल्याचा दिवस).",
            "hi":
                "वे आवेदन जिनकी समय-सीमा इस अवधि में शुरू हुई: जिस दिन पोर्टल ने आवेदन पूर्ण होने की सूचना दी (केवल निर्णय के साथ ज्ञात आवेदन के लिए, उसके ज्ञात होने का दिन)।",
            "te": "ఈ కాలంలో గడువు ప్రారంభమైన దరఖాస్తులు: పోర్టల్ దరఖాస్తు పూర్తయిందని తెలిపిన రోజు (నిర్ణయంతో మాత్రమే తెలిసిన దరఖాస్తుకు, అది తెలిసిన రోజు).",
        ],
        "d_disposed": [
            "en": "Applications whose first decision (approved or rejected) the department recorded in the period.",
            "mr": "ज्या अर्जांचा पहिला निर्णय (मंजूर किंवा नामंजूर) विभागाने या कालावधीत नोंदवला.",
            "hi": "वे आवेदन जिनका पहला निर्णय (स्वीकृत या अस्वीकृत) विभाग ने इस अवधि में दर्ज किया।",
            "te": "ఈ కాలంలో శాఖ మొదటి నిర్ణయం (ఆమోదం లేదా తిరస్కరణ) నమోదు చేసిన దరఖాస్తులు.",
        ],
        "d_within_limit_percent": [
            "en":
                "Of the applications disposed in the period that had a notified time limit, the share decided on or before the due day. The due day counts working days or calendar days as the service's notification says, with the office's holidays and any extension or pause declared for it.",
            "mr":
                "या कालावधीत निकाली काढलेल्या आणि अधिसूचित कालमर्यादा असलेल्या अर्जांपैकी देय दिवशी किंवा त्यापूर्वी निर्णय झालेल्यांची टक्केवारी. देय दिवस सेवेच्या अधिसूचनेप्रमाणे कामाचे किंवा कॅलेंडर दिवस मोजून, कार्यालयाच्या सुट्ट्या आणि जाहीर मुदतवाढ किंवा स्थगिती धरून ठरतो.",
            "hi":
                "इस अवधि में निपटाए गए और अधिसूचित समय-सीमा वाले आवेदनों में से नियत दिन या उससे पहले निर्णीत आवेदनों का प्रतिशत। नियत दिन सेवा की अधिसूचना के अनुसार कार्य दिवस या कैलेंडर दिवस गिनकर, कार्यालय की छुट्टियों और घोषित विस्तार या रोक सहित तय होता है।",
            "te":
                "ఈ కాలంలో పరిష్కరించిన, ప్రకటిత గడువు ఉన్న దరఖాస్తులలో గడువు రోజున లేదా అంతకు ముందు నిర్ణయించిన వాటి శాతం. గడువు రోజు సేవ ప్రకటన ప్రకారం పని రోజులు లేదా క్యాలెండర్ రోజులతో, కార్యాలయ సెలవులు, ప్రకటించిన పొడిగింపు లేదా నిలుపుదలతో లెక్కించబడుతుంది.",
        ],
        "d_pending_within_limit": [
            "en":
                "Applications with a time limit and no decision yet whose due day is today or later, counted as of today whatever the period.",
            "mr": "कालमर्यादा असलेले, अद्याप निर्णय न झालेले आणि देय दिवस आज किंवा नंतर असलेले अर्ज; कालावधी कोणताही असो, आजच्या दिवशी मोजलेले.",
            "hi": "समय-सीमा वाले, अभी तक अनिर्णीत आवेदन जिनका नियत दिन आज या बाद में है; अवधि चाहे जो हो, आज की स्थिति में गिने गए।",
            "te": "గడువు ఉండి ఇంకా నిర్ణయం కాని, గడువు రోజు ఈ రోజు లేదా తర్వాత ఉన్న దరఖాస్తులు; కాలం ఏదైనా, ఈ రోజు నాటికి లెక్కించినవి.",
        ],
        "d_pending_past_limit": [
            "en":
                "Applications with a time limit and no decision yet whose due day has passed, counted as of today whatever the period.",
            "mr": "कालमर्यादा असलेले, अद्याप निर्णय न झालेले आणि देय दिवस उलटून गेलेले अर्ज; कालावधी कोणताही असो, आजच्या दिवशी मोजलेले.",
            "hi": "समय-सीमा वाले, अभी तक अनिर्णीत आवेदन जिनका नियत दिन बीत चुका है; अवधि चाहे जो हो, आज की स्थिति में गिने गए।",
            "te": "గడువు ఉండి ఇంకా నిర్ణయం కాని, గడువు రోజు దాటిన దరఖాస్తులు; కాలం ఏదైనా, ఈ రోజు నాటికి లెక్కించినవి.",
        ],
        "d_pending_band": [
            "en": "Applications pending past the time limit, by how many calendar days ago the due day was.",
            "mr": "कालमर्यादा उलटून प्रलंबित अर्ज, देय दिवस किती कॅलेंडर दिवसांपूर्वी होता त्यानुसार.",
            "hi": "समय-सीमा के बाद लंबित आवेदन, नियत दिन कितने कैलेंडर दिन पहले था उसके अनुसार।",
            "te": "గడువు దాటి పెండింగ్‌లో ఉన్న దరఖాస్తులు, గడువు రోజు ఎన్ని క్యాలెండర్ రోజుల క్రితమో దాని ప్రకారం.",
        ],
        "d_median_days": [
            "en":
                "Of the applications disposed in the period, the middle number of calendar days from received to the decision (nearest rank).",
            "mr": "या कालावधीत निकाली काढलेल्या अर्जांच्या प्राप्तीपासून निर्णयापर्यंतच्या कॅलेंडर दिवसांचे मधले मूल्य.",
            "hi": "इस अवधि में निपटाए गए आवेदनों के प्राप्ति से निर्णय तक के कैलेंडर दिनों का मध्य मान।",
            "te": "ఈ కాలంలో పరిష్కరించిన దరఖాస్తులకు అందిన రోజు నుండి నిర్ణయం వరకు క్యాలెండర్ రోజుల మధ్యస్థ విలువ.",
        ],
        "d_p90_days": [
            "en":
                "Nine in ten of the applications disposed in the period were decided within this many calendar days of being received.",
            "mr": "या कालावधीत निकाली काढलेल्या दहापैकी नऊ अर्जांचा निर्णय प्राप्तीनंतर इतक्या कॅलेंडर दिवसांत झाला.",
            "hi": "इस अवधि में निपटाए गए दस में से नौ आवेदनों का निर्णय प्राप्ति के इतने कैलेंडर दिनों में हुआ।",
            "te": "ఈ కాలంలో పరిష్కరించిన ప్రతి పదింటిలో తొమ్మిది దరఖాస్తులు అందిన తర్వాత ఇన్ని క్యాలెండర్ రోజుల్లో నిర్ణయించబడ్డాయి.",
        ],
        "d_rejection_percent": [
            "en": "Of the applications disposed in the period, the share whose first decision was a rejection.",
            "mr": "या कालावधीत निकाली काढलेल्या अर्जांपैकी ज्यांचा पहिला निर्णय नामंजूर होता त्यांची टक्केवारी.",
            "hi": "इस अवधि में निपटाए गए आवेदनों में से जिनका पहला निर्णय अस्वीकृति था उनका प्रतिशत।",
            "te": "ఈ కాలంలో పరిష్కరించిన దరఖాస్తులలో మొదటి నిర్ణయం తిరస్కరణ అయిన వాటి శాతం.",
        ],
        "d_first_appeals_per_1000": [
            "en":
                "First appeals filed in the period (by the citizen, through the portal, WhatsApp or email, or automatically where the state files them), per 1,000 applications disposed in the period.",
            "mr":
                "या कालावधीत दाखल प्रथम अपिले (नागरिकाने पोर्टल, व्हॉट्सॲप किंवा ईमेलद्वारे, किंवा राज्य स्वतः दाखल करते तेथे आपोआप), या कालावधीत निकाली काढलेल्या प्रति 1,000 अर्जांमागे.",
            "hi":
                "इस अवधि में दायर प्रथम अपीलें (नागरिक द्वारा पोर्टल, व्हाट्सऐप या ईमेल से, या जहाँ राज्य स्वयं दायर करता है वहाँ स्वतः), इस अवधि में निपटाए गए प्रति 1,000 आवेदनों पर।",
            "te":
                "ఈ కాలంలో దాఖలైన మొదటి అప్పీళ్లు (పౌరుడు పోర్టల్, వాట్సాప్ లేదా ఈమెయిల్ ద్వారా, లేదా రాష్ట్రం స్వయంగా దాఖలు చేసే చోట స్వయంచాలకంగా), ఈ కాలంలో పరిష్కరించిన ప్రతి 1,000 దరఖాస్తులకు.",
        ],
        "d_second_appeals_per_1000": [
            "en": "Second appeals filed in the period, per 1,000 applications disposed in the period.",
            "mr": "या कालावधीत दाखल द्वितीय अपिले, या कालावधीत निकाली काढलेल्या प्रति 1,000 अर्जांमागे.",
            "hi": "इस अवधि में दायर द्वितीय अपीलें, इस अवधि में निपटाए गए प्रति 1,000 आवेदनों पर।",
            "te": "ఈ కాలంలో దాఖలైన రెండవ అప్పీళ్లు, ఈ కాలంలో పరిష్కరించిన ప్రతి 1,000 దరఖాస్తులకు.",
        ],
        "d_commission_appeals_per_1000": [
            "en":
                "Appeals to the Right to Public Services Commission filed in the period, per 1,000 applications disposed in the period.",
            "mr": "या कालावधीत लोकसेवा हक्क आयोगाकडे दाखल अपिले, या कालावधीत निकाली काढलेल्या प्रति 1,000 अर्जांमागे.",
            "hi": "इस अवधि में लोक सेवा अधिकार आयोग को दायर अपीलें, इस अवधि में निपटाए गए प्रति 1,000 आवेदनों पर।",
            "te": "ఈ కాలంలో ప్రజా సేవల హక్కు కమిషన్‌కు దాఖలైన అప్పీళ్లు, ఈ కాలంలో పరిష్కరించిన ప్రతి 1,000 దరఖాస్తులకు.",
        ],
        "d_overdue_appeals": [
            "en":
                "Appeals of any level whose authority did not decide by the deadline, counted on the day the deadline passed.",
            "mr": "ज्या अपिलांचा निर्णय प्राधिकाऱ्याने मुदतीत दिला नाही अशी कोणत्याही स्तरावरील अपिले, मुदत उलटली त्या दिवशी मोजलेली.",
            "hi": "किसी भी स्तर की वे अपीलें जिनका निर्णय प्राधिकारी ने समय-सीमा तक नहीं दिया, समय-सीमा बीतने के दिन गिनी गईं।",
            "te": "అధికారి గడువులోగా నిర్ణయించని ఏ స్థాయి అప్పీళ్లైనా, గడువు దాటిన రోజున లెక్కించినవి.",
        ],
        "d_penalties": [
            "en":
                "Penalties an appellate authority imposed on an officer in the period, for delay or refusal without reason.",
            "mr": "या कालावधीत अपील प्राधिकाऱ्याने अधिकाऱ्यावर विलंब किंवा विनाकारण नकारासाठी लादलेले दंड.",
            "hi": "इस अवधि में अपीलीय प्राधिकारी द्वारा अधिकारी पर देरी या बिना कारण इनकार के लिए लगाए गए दंड।",
            "te": "ఈ కాలంలో అప్పీలు అధికారి ఆలస్యం లేదా కారణం లేని తిరస్కరణకు అధికారిపై విధించిన జరిమానాలు.",
        ],
        "d_penalty_rupees": [
            "en": "The total in rupees of those penalties (not shown when fewer than 10 were imposed).",
            "mr": "त्या दंडांची एकूण रक्कम रुपयांत (10 पेक्षा कमी दंड असल्यास दाखवली जात नाही).",
            "hi": "उन दंडों की कुल राशि रुपयों में (10 से कम दंड होने पर नहीं दिखाई जाती)।",
            "te": "ఆ జరిమానాల మొత్తం రూపాయల్లో (10 కంటే తక్కువ అయితే చూపబడదు).",
        ],
        "d_outcomes": [
            "en":
                "Applications disposed in the period whose decision Dakiya set out to deliver to the citizen on at least one channel.",
            "mr": "या कालावधीत निकाली काढलेले अर्ज ज्यांचा निर्णय डाकियाने किमान एका माध्यमातून नागरिकाला पोहोचवण्यास सुरुवात केली.",
            "hi": "इस अवधि में निपटाए गए वे आवेदन जिनका निर्णय डाकिया ने कम से कम एक माध्यम से नागरिक तक पहुँचाना शुरू किया।",
            "te": "ఈ కాలంలో పరిష్కరించిన, నిర్ణయాన్ని డాకియా కనీసం ఒక మాధ్యమంలో పౌరునికి చేర్చడం ప్రారంభించిన దరఖాస్తులు.",
        ],
        "d_reached_10s_percent": [
            "en":
                "Of those outcomes, the share that reached the citizen within 10 seconds of the department recording the decision: on WhatsApp when Meta reported it delivered, by email when the citizen's mail server accepted it, on the portal when it was placed in the citizen's inbox.",
            "mr":
                "त्या निर्णयांपैकी विभागाने निर्णय नोंदवल्यापासून 10 सेकंदांत नागरिकापर्यंत पोहोचलेल्यांची टक्केवारी: व्हॉट्सॲपवर मेटाने पोहोचल्याचे कळवले तेव्हा, ईमेलवर नागरिकाच्या मेल सर्व्हरने स्वीकारले तेव्हा, पोर्टलवर नागरिकाच्या इनबॉक्समध्ये ठेवले तेव्हा.",
            "hi":
                "उन निर्णयों में से विभाग द्वारा निर्णय दर्ज करने के 10 सेकंड के भीतर नागरिक तक पहुँचे निर्णयों का प्रतिशत: व्हाट्सऐप पर जब मेटा ने पहुँचने की सूचना दी, ईमेल पर जब नागरिक के मेल सर्वर ने स्वीकार किया, पोर्टल पर जब नागरिक के इनबॉक्स में रखा गया।",
            "te":
                "ఆ నిర్ణయాలలో శాఖ నిర్ణయం నమోదు చేసిన 10 సెకన్లలో పౌరునికి చేరిన వాటి శాతం: వాట్సాప్‌లో మెటా చేరిందని తెలిపినప్పుడు, ఈమెయిల్‌లో పౌరుని మెయిల్ సర్వర్ స్వీకరించినప్పుడు, పోర్టల్‌లో పౌరుని ఇన్‌బాక్స్‌లో ఉంచినప్పుడు.",
        ],
        "d_reached_1h_percent": [
            "en": "The same, within 1 hour of the decision.", "mr": "तसेच, निर्णयानंतर 1 तासात.",
            "hi": "इसी प्रकार, निर्णय के 1 घंटे के भीतर।", "te": "అదే విధంగా, నిర్ణయం తర్వాత 1 గంటలో.",
        ],
        "d_reached_1d_percent": [
            "en": "The same, within 1 day (24 hours) of the decision.", "mr": "तसेच, निर्णयानंतर 1 दिवसात (24 तास).",
            "hi": "इसी प्रकार, निर्णय के 1 दिन (24 घंटे) के भीतर।", "te": "అదే విధంగా, నిర్ణయం తర్వాత 1 రోజులో (24 గంటలు).",
        ],
        "d_delivery_failures": [
            "en":
                "Outcomes that reached the citizen on no channel and failed on at least one (for a channel: failed on that channel).",
            "mr": "कोणत्याही माध्यमातून नागरिकापर्यंत न पोहोचलेले आणि किमान एका माध्यमात अयशस्वी झालेले निर्णय (माध्यमासाठी: त्या माध्यमात अयशस्वी).",
            "hi": "वे निर्णय जो किसी भी माध्यम से नागरिक तक नहीं पहुँचे और कम से कम एक में विफल हुए (माध्यम के लिए: उस माध्यम में विफल)।",
            "te": "ఏ మాధ్యమంలోనూ పౌరునికి చేరక, కనీసం ఒకదానిలో విఫలమైన నిర్ణయాలు (మాధ్యమానికి: ఆ మాధ్యమంలో విఫలమైనవి).",
        ],
        "d_channel_portal": [
            "en": "Counted on the portal alone.", "mr": "फक्त पोर्टलवर मोजलेले.", "hi": "केवल पोर्टल पर गिना गया।",
            "te": "పోర్టల్‌లో మాత్రమే లెక్కించబడింది.",
        ],
        "d_channel_whatsapp": [
            "en": "Counted on WhatsApp alone.", "mr": "फक्त व्हॉट्सॲपवर मोजलेले.", "hi": "केवल व्हाट्सऐप पर गिना गया।",
            "te": "వాట్సాప్‌లో మాత్రమే లెక్కించబడింది.",
        ],
        "d_channel_email": [
            "en": "Counted on email alone.", "mr": "फक्त ईमेलवर मोजलेले.", "hi": "केवल ईमेल पर गिना गया।",
            "te": "ఈమెయిల్‌లో మాత్రమే లెక్కించబడింది.",
        ],
    ]
}
