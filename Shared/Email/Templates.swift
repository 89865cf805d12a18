import Foundation
import WebPages
import Postgres
import ServiceRuntime
import Synchronization
import Texts

/// A template filled in for one message.
package struct RenderedMessage: Sendable, Equatable {
    package var subject: String
    package var text: String
    package var html: String
    /// The language actually used (English when the asked-for translation is missing).
    package var language: String
}

/// The values a template's placeholders take.
package struct TemplateValues: Sendable {
    package var applicationID: String
    package var service: String
    package var office: String
    package var department: String
    package var reasons: [String]
    package var appealURL: String
    /// `{{rating_links}}`: labelled links, one a line in text, a list of links in HTML.
    package var links: [(label: String, url: String)] = []
    /// More placeholders by name (a journey step's facts: `{{due_on}}`, `{{documents}}`, …).
    package var extra: [String: String] = [:]

    /// The values of one message.
    package init(
        applicationID: String, service: String, office: String, department: String, reasons: [String], appealURL: String
    ) {
        self.applicationID = applicationID
        self.service = service
        self.office = office
        self.department = department
        self.reasons = reasons
        self.appealURL = appealURL
    }
}

/// Why no template could be found (not even the English default): a data problem, not a transient one.
package struct TemplateMissing: Error, CustomStringConvertible, Sendable {
    package var kind: String
    package var channel: String
    package var description: String { "no \(channel) template for \(kind), not even in English" }
}

/// Loads templates (department override, then default; asked-for language, then the fallback, English) and renders them.
/// A missing translation is logged once per process and key, not on every message.
package final class TemplateStore: Sendable {
    private let logger: Logger
    private let reported = Mutex<Set<String>>([])

    /// A store that logs each missing translation once on `logger`.
    package init(logger: Logger) { self.logger = logger }

    /// The template of `kind` for `channel` in `language` (the department's own row, else the default; else English), filled with `values`.
    /// - Throws: `TemplateMissing` when there is no template, not even in English; `PostgresError` from the database.
    package func render(
        kind: String, channel: String, language: String, department: String, values: TemplateValues,
        on connection: Connection
    ) throws -> RenderedMessage {
        let rows = try connection.query(
            """
            SELECT language, subject, body_text, body_html FROM message_templates
            WHERE kind = $1 AND channel = $2 AND language IN ($3, $5) AND (department = $4 OR department IS NULL)
            ORDER BY (language = $3) DESC, (department IS NOT NULL) DESC
            LIMIT 1
            """, [kind, channel, language, department, Language.fallback.code]
        ).rows
        guard let row = rows.first else { throw TemplateMissing(kind: kind, channel: channel) }
        let used = try row.decode(String.self, at: 0)
        if used != language {
            let key = "\(department)/\(kind)/\(channel)/\(language)"
            let first = reported.withLock { $0.insert(key).inserted }
            if first {
                logger.warning(
                    "template translation missing; using English",
                    [
                        "template.kind": kind, "template.channel": channel, "template.language": language,
                        "department": department,
                    ])
            }
        }
        let subject = Self.fill(try row.decode(String.self, at: 1), values, html: false).replacingOccurrences(
            of: "\n", with: " ")
        let text = Self.fill(try row.decode(String.self, at: 2), values, html: false)
        let html =
            try row.decode(String?.self, at: 3).map { Self.fill($0, values, html: true) }
            ?? Self.derivedHTML(try row.decode(String.self, at: 2), values, language: Language.resolve(used))
        return RenderedMessage(subject: subject, text: text, html: html, language: used)
    }

    static func fill(_ template: String, _ values: TemplateValues, html: Bool) -> String {
        func escape(_ value: String) -> String { html ? escapeHTML(value) : value }
        let reasons =
            html
            ? "<ul>" + values.reasons.map { "<li>\(escapeHTML($0))</li>" }.joined() + "</ul>"
            : values.reasons.map { "- " + $0 }.joined(separator: "\n")
        let appeal =
            html ? "<a href=\"\(escapeHTML(values.appealURL))\">\(escapeHTML(values.appealURL))</a>" : values.appealURL
        var filled = template
        if template.contains("{{rating_links}}") {
            let list =
                html
                ? "<ul>"
                    + values.links.map { "<li><a href=\"\(escapeHTML($0.url))\">\(escapeHTML($0.label))</a></li>" }
                    .joined() + "</ul>"
                : values.links.map { "\($0.label): \($0.url)" }.joined(separator: "\n")
            filled = filled.replacingOccurrences(of: "{{rating_links}}", with: list)
        }
        for (name, value) in values.extra.sorted(by: { $0.key < $1.key }) {
            filled = filled.replacingOccurrences(of: "{{\(name)}}", with: escape(value))
        }
        return
            filled
            .replacingOccurrences(of: "{{application_id}}", with: escape(values.applicationID))
            .replacingOccurrences(of: "{{service}}", with: escape(values.service))
            .replacingOccurrences(of: "{{office}}", with: escape(values.office))
            .replacingOccurrences(of: "{{department}}", with: escape(values.department))
            .replacingOccurrences(of: "{{reasons}}", with: reasons)
            .replacingOccurrences(of: "{{appeal_url}}", with: appeal)
    }

    /// HTML from a text template: escaped first, then filled, paragraphs on blank lines; the document carries the
    /// language and its direction (`dir="rtl"` for Urdu), so a mail client lays it out right to left.
    static func derivedHTML(_ textTemplate: String, _ values: TemplateValues, language: Language) -> String {
        let paragraphs = escapeHTML(textTemplate).components(separatedBy: "\n\n").map { paragraph in
            "<p>" + fill(paragraph, values, html: true).replacingOccurrences(of: "\n", with: "<br>\n") + "</p>"
        }
        return
            "<!doctype html>\n<html lang=\"\(language.code)\" dir=\"\(language.direction)\"><head><meta charset=\"utf-8\"></head>"
            + "<body dir=\"\(language.direction)\">\n"
            + paragraphs.joined(separator: "\n") + "\n</body></html>\n"
    }

    /// `text` with the five HTML-special characters escaped, for element content and quoted attribute values.
    package static func escapeHTML(_ text: String) -> String { WebPage.escape(text) }
}
