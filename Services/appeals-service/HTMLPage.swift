import Foundation
import HTTPServer

/// What the appeals service's pages (the desk, the dashboard) answer with: the HTML, its language, and headers that
/// keep it out of frames and forbid scripts and foreign content.
enum HTMLPage {
    /// No scripts, no foreign content, forms only to ourselves, never framed.
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"

    /// `html` as a response in `language`, cached as `cache` says.
    static func response(_ html: String, language: String, status: Int = 200, cache: String) -> Response {
        Response(
            status: status, body: Array(html.utf8), contentType: "text/html; charset=utf-8",
            headers: [
                ("Cache-Control", cache), ("Content-Language", language), ("X-Frame-Options", "DENY"),
                ("X-Content-Type-Options", "nosniff"), ("Content-Security-Policy", contentSecurityPolicy),
                ("Referrer-Policy", "no-referrer"),
            ])
    }

    /// A time as the pages write it, in Indian time: 2026-03-09 11:30 IST.
    static func time(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 19_800)
        formatter.dateFormat = "yyyy-MM-dd HH:mm 'IST'"
        return formatter.string(from: date)
    }
}

/// An optional property that a synthesized encoder writes as JSON null when absent (instead of leaving the key out),
/// so a document's shape does not depend on its data.
@propertyWrapper
struct Null<Value: Encodable>: Encodable {
    var wrappedValue: Value?

    init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}
