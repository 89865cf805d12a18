import Foundation

/// A language citizens are served in. The set is data: the `languages` table (migration 0015) lists the codes a
/// citizen, a delivery or a template may carry, with each one's script direction; this type mirrors those rows
/// for the texts composed in code, and a test checks that the two agree and that every text has every language.
/// Adding a language is a migration row, its rows in the template tables, and its entries in the catalogues of
/// `Texts` (WhatsApp conversation, appeal notices): nothing else changes.
package struct Language: Hashable, Sendable, Codable, RawRepresentable {
    /// ISO 639-1 code, as WhatsApp's template languages and the `lang` attribute use it.
    package let code: String
    /// The language's name in itself, as a citizen picks it from a list.
    package let nativeName: String
    package let isRightToLeft: Bool

    /// A language with its ISO 639-1 `code`, its name in itself, and its direction.
    package init(code: String, nativeName: String, isRightToLeft: Bool = false) {
        self.code = code
        self.nativeName = nativeName
        self.isRightToLeft = isRightToLeft
    }

    /// The language with this code, when it is one of ours.
    package init?(rawValue: String) {
        guard let known = Language.named(rawValue) else { return nil }
        self = known
    }

    /// The code (`RawRepresentable`, so the language travels as its code in JSON and SQL).
    package var rawValue: String { code }

    /// `rtl` or `ltr`, for the HTML `dir` attribute.
    package var direction: String { isRightToLeft ? "rtl" : "ltr" }

    package static let en = Language(code: "en", nativeName: "English")
    package static let mr = Language(code: "mr", nativeName: "मराठी")
    package static let hi = Language(code: "hi", nativeName: "हिन्दी")
    package static let te = Language(code: "te", nativeName: "తెలుగు")
    /// Urdu, read by many citizens in Maharashtra, written right to left.
    package static let ur = Language(code: "ur", nativeName: "اردو", isRightToLeft: true)
    package static let english = en
    /// The declared fallback: a text missing in a language is given in English (and the template tables fall back the
    /// same way).
    package static let fallback = english

    /// Every language, in the order a citizen is offered them (the `languages` table's `position`).
    package static let all: [Language] = [en, mr, hi, te, ur]

    /// The codes, for an error message: "en, mr, hi, te, ur".
    package static var codeList: String { all.map(\.code).joined(separator: ", ") }

    /// The language with `code`, or nil when it is not one of ours.
    package static func named(_ code: String) -> Language? { all.first { $0.code == code } }

    /// A new citizen's language when the portal gives none (Maharashtra's: the `citizens.language` column's default).
    package static let stateDefault = mr

    /// The language with `code`, or the fallback (English) for nil or an unknown code.
    package static func resolve(_ code: String?) -> Language { code.flatMap(named) ?? fallback }
}

/// One text in every language, English required. Placeholders are `{name}`, filled by `callAsFunction`; a missing
/// translation gives the English text (never a trap).
package struct Localized: Sendable {
    package let texts: [String: String]

    /// `en` is the fallback every other language falls back to; `others` maps a language code to its text.
    package init(en: String, _ others: [String: String]) {
        var texts = others
        texts[Language.fallback.code] = en
        self.texts = texts
    }

    /// The text in `language` (English when it has none), placeholders filled from `values`.
    package func callAsFunction(_ language: String, _ values: [String: String] = [:]) -> String {
        let template = texts[language] ?? texts[Language.fallback.code] ?? ""
        guard !values.isEmpty else { return template }
        // One pass over the template: a value that itself contains `{name}` (a citizen's grounds) stays as written.
        var out = ""
        var rest = template[...]
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            if let close = rest[open...].firstIndex(of: "}"),
                let value = values[String(rest[rest.index(after: open)..<close])]
            {
                out += value
                rest = rest[rest.index(after: close)...]
            } else {
                out += "{"
                rest = rest[rest.index(after: open)...]
            }
        }
        return out + rest
    }

    /// The languages this text is written in.
    package var languages: Set<String> { Set(texts.keys) }
}

/// A catalogue of texts for one channel or purpose: listed so a test can check every text has every language.
package protocol TextCatalogue {
    /// Every text of the catalogue, by a name for the test's report.
    static var entries: [(name: String, text: Localized)] { get }
}
