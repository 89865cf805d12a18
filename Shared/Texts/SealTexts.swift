/// What an email says about a sealed certificate, in every language: where to check it. A stamped certificate
/// carries its QR on the first page; a digitally signed one comes unchanged, with a verification slip beside it.
package enum SealTexts: TextCatalogue {
    /// `{url}`: the verification address the seal's QR holds.
    package static let stamped = Localized(
        en:
            "This certificate carries a QR seal. To check that it is genuine and still valid, scan the code or open {url}",
        [
            "mr": "या प्रमाणपत्रावर QR मुद्रा आहे. ते खरे आणि अजूनही वैध आहे हे तपासण्यासाठी कोड स्कॅन करा किंवा {url} उघडा",
            "hi": "इस प्रमाणपत्र पर QR मुहर है। यह असली और अभी भी वैध है, यह जाँचने के लिए कोड स्कैन करें या {url} खोलें",
            "te": "ఈ ధృవపత్రంపై QR ముద్ర ఉంది. ఇది నిజమైనదేనా, ఇంకా చెల్లుబాటులో ఉందా అని తనిఖీ చేయడానికి కోడ్‌ను స్కాన్ చేయండి లేదా {url} తెరవండి",
            "ur":
                "اس سرٹیفکیٹ پر QR مہر ہے۔ یہ اصلی اور اب بھی درست ہے، یہ جانچنے کے لیے کوڈ اسکین کریں یا {url} کھولیں",
        ])
    /// `{url}`: the verification address the slip's QR holds.
    package static let signed = Localized(
        en:
            "This certificate is digitally signed and comes exactly as the department signed it, with a verification slip beside it. To check that it is genuine and still valid, scan the slip's code or open {url}",
        [
            "mr":
                "हे प्रमाणपत्र डिजिटल स्वाक्षरीत आहे आणि विभागाने स्वाक्षरी केल्याप्रमाणेच, सोबत पडताळणी पत्रकासह पाठवले आहे. ते खरे आणि अजूनही वैध आहे हे तपासण्यासाठी पत्रकावरील कोड स्कॅन करा किंवा {url} उघडा",
            "hi":
                "यह प्रमाणपत्र डिजिटल रूप से हस्ताक्षरित है और विभाग ने जैसा हस्ताक्षर किया वैसा ही, साथ में सत्यापन पर्ची के साथ भेजा गया है। यह असली और अभी भी वैध है, यह जाँचने के लिए पर्ची का कोड स्कैन करें या {url} खोलें",
            "te":
                "ఈ ధృవపత్రం డిజిటల్‌గా సంతకం చేయబడింది, శాఖ సంతకం చేసినట్లే, ధృవీకరణ పత్రంతో పాటు పంపబడింది. ఇది నిజమైనదేనా, ఇంకా చెల్లుబాటులో ఉందా అని తనిఖీ చేయడానికి పత్రంపై ఉన్న కోడ్‌ను స్కాన్ చేయండి లేదా {url} తెరవండి",
            "ur":
                "یہ سرٹیفکیٹ ڈیجیٹل طور پر دستخط شدہ ہے اور محکمے کے دستخط کے مطابق، تصدیقی پرچی کے ساتھ بھیجا گیا ہے۔ یہ اصلی اور اب بھی درست ہے، یہ جانچنے کے لیے پرچی کا کوڈ اسکین کریں یا {url} کھولیں",
        ])

    package static var entries: [(name: String, text: Localized)] { [("stamped", stamped), ("signed", signed)] }
}
