import Foundation

/// What every page people open shares (the verification page, the officers' desk, the dashboards): the language
/// chosen from the address or the browser, HTML escaping, and one accessible document frame (WCAG 2.1 AA: the
/// language declared, a skip link, a language switch, visible focus, colours of at least 4.5:1 contrast, a layout
/// that works on a phone) around a page's own main content. Plain HTML and CSS: no JavaScript.
package enum WebPage {
    /// The languages the pages are written in, in the order the switch shows them; Marathi first.
    package static let languages = ["mr", "hi", "te", "en"]
    /// Each language's name in itself.
    package static let languageNames = ["mr": "मराठी", "hi": "हिन्दी", "te": "తెలుగు", "en": "English"]

    /// The page's language: `?lang=`, else the first of the browser's languages (`Accept-Language`) among
    /// `available`, else Marathi.
    package static func language(query: String?, accept: String?, available: [String] = languages) -> String {
        if let query, available.contains(query) { return query }
        for part in (accept ?? "").split(separator: ",") {
            let tag = part.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
            if let code = tag.split(separator: "-").first.map(String.init), available.contains(code) { return code }
        }
        return available.contains("mr") ? "mr" : available.first ?? "en"
    }

    /// `text` safe in HTML element content and double-quoted attribute values.
    package static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// The shared style: readable type for Devanagari and Telugu, visible focus, accessible colours.
    static let css = """
        body{font-family:"Noto Sans","Noto Sans Devanagari","Noto Sans Telugu",sans-serif;margin:0 auto;max-width:60rem;padding:1rem;color:#1a1a1a;background:#fff;line-height:1.5}
        a{color:#0b4f9c}a:focus,button:focus,input:focus,select:focus,textarea:focus{outline:3px solid #b35900;outline-offset:2px}
        .skip{position:absolute;left:-999rem}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem}
        nav ul{list-style:none;padding:0;display:flex;gap:1rem;flex-wrap:wrap}
        button{font-size:1rem;padding:.5rem 1rem;background:#0b4f9c;color:#fff;border:0;border-radius:.25rem;cursor:pointer}
        label{display:block;font-weight:bold}input,select,textarea{font-size:1rem;padding:.4rem;max-width:100%}
        table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #767676;padding:.4rem;text-align:left;vertical-align:top}
        caption{text-align:left;font-weight:bold;padding:.4rem 0}
        .notice{border:3px solid #a4161a;background:#fdeeee;padding:.75rem;border-radius:.5rem}
        .overdue{color:#a4161a;font-weight:bold}.done{border-color:#1b6e20;background:#eef7ee}
        dt{font-weight:bold}dd{margin:0 0 .5rem 0}fieldset{border:1px solid #767676;margin:.5rem 0}
        @media (max-width:40rem){table,thead,tbody,tr,th,td{display:block}thead{position:absolute;left:-999rem}td{border:0}tr{border-bottom:1px solid #767676;padding:.5rem 0}}
        """

    /// A whole HTML document: `title`, the language switch (each link keeps `switchPath`, a path with its query
    /// minus `lang`), an optional line of `navigation` (already HTML), and `main` (already HTML). `extraCSS` is
    /// added to the shared style.
    package static func document(
        title: String, language: String, switchPath: String = "", languageLabel: String, skipLabel: String,
        navigation: String = "", main: String, extraCSS: String = ""
    ) -> String {
        let separator = switchPath.contains("?") ? "&" : "?"
        let switcher = languages.map { code in
            let href = escape(switchPath + separator + "lang=" + code)
            return code == language
                ? "<li><a href=\"\(href)\" aria-current=\"true\" lang=\"\(code)\">\(languageNames[code]!)</a></li>"
                : "<li><a href=\"\(href)\" lang=\"\(code)\" hreflang=\"\(code)\">\(languageNames[code]!)</a></li>"
        }.joined()
        return """
            <!DOCTYPE html>
            <html lang="\(language)">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title))</title>
            <style>
            \(css)
            \(extraCSS)
            </style>
            </head>
            <body>
            <a class="skip" href="#main">\(escape(skipLabel))</a>
            <header>
            <nav aria-label="\(escape(languageLabel))"><ul>\(switcher)</ul></nav>
            \(navigation)<h1>\(escape(title))</h1>
            </header>
            <main id="main">
            \(main)</main>
            </body>
            </html>

            """
    }
}
