import Appeals
import Foundation
import HTTPServer
import Postgres
import WebPages

/// The standard dashboard (issue 17): one public page per office of the hierarchy at `/dashboard/{office}`, the same
/// numbers as JSON (`data.json`) and CSV (`data.csv`), for a day, a week, a month or a financial year beside the
/// period before, with the offices below ranked. No personal data; counts from 1 to 9 suppressed. Server-rendered
/// HTML with inline SVG charts (each also a table), no JavaScript, in Marathi, Hindi, Telugu and English.
struct DashboardPage: Sendable {
    let pool: ConnectionPool
    /// The time now (tests move it).
    var now: @Sendable () -> Date = { Date() }

    func routes(into router: inout Router) {
        router.get("/dashboard") { request in try root(request) }
        router.get("/dashboard/{office}") { request in try html(request) }
        router.get("/dashboard/{office}/data.json") { request in try json(request) }
        router.get("/dashboard/{office}/data.csv") { request in try csv(request) }
    }

    /// What a request asks for: the office, the period, the language.
    struct Query {
        var office: String
        var window: Dashboard.Window
        var language: String
        var today: CivilDate

        /// The address of this page (or of its `data.json`/`data.csv` with `suffix`) for `window`.
        func path(_ window: Dashboard.Window? = nil, suffix: String = "", office: String? = nil, lang: Bool = true)
            -> String
        {
            let window = window ?? self.window
            return
                "/dashboard/\(DashboardPage.pathSegment(office ?? self.office))\(suffix)?period=\(window.period.rawValue)&on=\(window.first)"
                + (lang ? "&lang=\(language)" : "")
        }
    }

    /// The request's query, or the problem with it (naming the parameter). The data files (`data`) speak English
    /// unless `lang` names another language, and refuse an unknown `lang` or an empty `on`; the page follows the
    /// browser's languages and reads an empty date as today (a form sent without one).
    func query(_ request: Request, data: Bool = false) throws -> Query {
        let language: String
        if data {
            if let lang = request.query["lang"], !WebPage.languages.contains(lang) {
                throw HTTPError.badRequest("lang must be one of en, mr, hi, te", field: "lang")
            }
            if request.query["on"] == "" {
                throw HTTPError.badRequest(DashboardTexts.word("bad_date", "en"), field: "on")
            }
            language = request.query["lang"] ?? "en"
        } else {
            language = WebPage.language(query: request.query["lang"], accept: request.header("accept-language"))
        }
        let today = CivilDate(now())
        guard let period = Dashboard.Period(rawValue: request.query["period"] ?? "month") else {
            throw HTTPError.badRequest(DashboardTexts.word("bad_period", "en"), field: "period")
        }
        var day = today
        if let on = request.query["on"], !on.isEmpty {
            guard let parsed = CivilDate(on), parsed.components.year >= 2000, parsed.components.year <= 2100 else {
                throw HTTPError.badRequest(DashboardTexts.word("bad_date", "en"), field: "on")
            }
            day = parsed
        }
        return Query(
            office: try request.parameter("office"), window: Dashboard.Window(period, containing: day),
            language: language, today: today)
    }

    func report(_ query: Query) throws -> Dashboard.Report {
        guard
            let report = try pool.withConnection({ connection in
                try Dashboard.report(
                    office: query.office, window: query.window, today: query.today, language: query.language,
                    on: connection)
            })
        else { throw HTTPError.notFound(DashboardTexts.word("unknown_office", "en")) }
        return report
    }

    static let headers: [(String, String)] = [
        ("Cache-Control", "public, max-age=30"), ("X-Content-Type-Options", "nosniff"),
        ("Content-Security-Policy", HTMLPage.contentSecurityPolicy), ("Referrer-Policy", "no-referrer"),
    ]

    // MARK: Routes

    func root(_ request: Request) throws -> Response {
        guard let root = try pool.withConnection({ try Dashboard.root(on: $0) }) else {
            throw HTTPError.notFound("No office list has been imported yet (dakiya-admin offices import).")
        }
        var location = "/dashboard/" + Self.pathSegment(root)
        let kept = ["period", "on", "lang"].compactMap { name in
            request.query[name].map { name + "=" + Self.pathSegment($0) }
        }
        if !kept.isEmpty { location += "?" + kept.joined(separator: "&") }
        return Response(status: 303, headers: [("Location", location), ("Cache-Control", "no-store")])
    }

    func html(_ request: Request) throws -> Response {
        let language = WebPage.language(query: request.query["lang"], accept: request.header("accept-language"))
        let query: Query
        do {
            query = try self.query(request)
        } catch let error as HTTPError {
            let key = error.errors.first?.field == "period" ? "bad_period" : "bad_date"
            return page(
                title: DashboardTexts.word("title", language), language: language, path: request.path,
                main: "<p class=\"notice\" role=\"alert\">\(WebPage.escape(DashboardTexts.word(key, language)))</p>\n",
                status: 400)
        }
        let report: Dashboard.Report
        do {
            report = try self.report(query)
        } catch let error as HTTPError where error.status == 404 {
            return page(
                title: DashboardTexts.word("title", language), language: language, path: request.path,
                main:
                    "<p class=\"notice\" role=\"alert\">\(WebPage.escape(DashboardTexts.word("unknown_office", language)))</p>\n",
                status: 404)
        }
        return page(
            title: report.office.name + ": " + DashboardTexts.word("title", language), language: language,
            path: query.path(lang: false), main: DashboardHTML(query: query, report: report).main)
    }

    func page(title: String, language: String, path: String, main: String, status: Int = 200) -> Response {
        HTMLPage.response(
            WebPage.document(
                title: title, language: language, switchPath: path,
                languageLabel: DashboardTexts.word("language", language),
                skipLabel: DashboardTexts.word("skip", language), main: main, extraCSS: DashboardHTML.css),
            language: language, status: status, cache: "public, max-age=30")
    }

    // MARK: Data

    struct Period: Encodable {
        var kind: String
        var first: String
        var last: String
        init(_ window: Dashboard.Window) {
            kind = window.period.rawValue
            first = window.first.description
            last = window.last.description
        }
    }

    struct Measure: Encodable {
        var id: String
        var name: String
        var unit: String
        var definition: String
        @Null var value: Double?
        var suppressed: Bool
        var previous: Dashboard.Value
        /// False for pending applications, counted as of today whatever the period.
        var forPeriod: Bool

        enum CodingKeys: String, CodingKey {
            case id, name, unit, definition, value, suppressed, previous
            case forPeriod = "for_period"
        }
    }

    struct Child: Encodable {
        var code: String
        var type: String
        var name: String
        @Null var rank: Int?
        var measures: [String: Dashboard.Value]
    }

    struct Document: Encodable {
        var office: Child
        var path: [String]
        var language: String
        var period: Period
        var previousPeriod: Period
        var pendingAsOf: String
        @Null var refreshedAt: Date?
        var measures: [Measure]
        var children: [Child]
        var notes: [String]

        enum CodingKeys: String, CodingKey {
            case office, path, language, period, measures, children, notes
            case previousPeriod = "previous_period", pendingAsOf = "pending_as_of", refreshedAt = "refreshed_at"
        }
    }

    /// The JSON and CSV speak English unless `lang` asks otherwise.
    func json(_ request: Request) throws -> Response {
        let query = try self.query(request, data: true)
        let report = try self.report(query)
        let language = query.language
        let document = Document(
            office: Child(
                code: report.office.code, type: report.office.type.rawValue, name: report.office.name, rank: nil,
                measures: report.current),
            path: report.path.map(\.code), language: language, period: Period(report.window),
            previousPeriod: Period(report.window.previous), pendingAsOf: report.today.description,
            refreshedAt: report.refreshedAt,
            measures: Dashboard.measures.map { measure in
                let value = report.current[measure.id] ?? .none
                return Measure(
                    id: measure.id, name: DashboardTexts.name(measure.id, language), unit: measure.unit.rawValue,
                    definition: DashboardTexts.definition(measure.id, language), value: value.value,
                    suppressed: value.suppressed, previous: report.previous[measure.id] ?? .none,
                    forPeriod: !Dashboard.currentOnly.contains(measure.id))
            },
            children: report.children.map { child in
                Child(
                    code: child.office.code, type: child.office.type.rawValue, name: child.office.name,
                    rank: child.rank,
                    measures: child.values)
            },
            notes: [DashboardTexts.word("note_suppression", language), DashboardTexts.word("note_place", language)])
        return try Response.json(document, headers: Self.headers)
    }

    func csv(_ request: Request) throws -> Response {
        let query = try self.query(request, data: true)
        let report = try self.report(query)
        var lines = ["office_code,office_name,period,first_day,last_day,measure,unit,value,suppressed"]
        func add(
            _ office: Offices.Office, _ label: String, _ window: Dashboard.Window, _ values: [String: Dashboard.Value]
        ) {
            for measure in Dashboard.measures {
                let value = values[measure.id] ?? .none
                if label == "previous", Dashboard.currentOnly.contains(measure.id) { continue }
                lines.append(
                    [
                        Self.cell(office.code), Self.cell(office.name), label, window.first.description,
                        window.last.description, measure.id, measure.unit.rawValue,
                        value.value.map(Self.number) ?? "", value.suppressed ? "true" : "false",
                    ].joined(separator: ","))
            }
        }
        add(report.office, "current", report.window, report.current)
        add(report.office, "previous", report.window.previous, report.previous)
        for child in report.children { add(child.office, "current", report.window, child.values) }
        var response = Response(
            body: Array((lines.joined(separator: "\r\n") + "\r\n").utf8), contentType: "text/csv; charset=utf-8")
        response.headers +=
            Self.headers + [
                (
                    "Content-Disposition",
                    "attachment; filename=\"dashboard-\(Self.fileSafe(report.office.code))-\(report.window.period.rawValue)-\(report.window.first).csv\""
                )
            ]
        return response
    }

    /// A number as the data files write it: whole numbers without a decimal point.
    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    /// A CSV cell (RFC 4180), never read as a formula by a spreadsheet.
    static func cell(_ text: String) -> String {
        var text = text
        if let first = text.first, "=+-@\t\r".contains(first) { text = "'" + text }
        return text.contains(where: { ",\"\r\n".contains($0) })
            ? "\"" + text.replacingAll("\"", with: "\"\"") + "\"" : text
    }

    /// `text` percent-encoded for a path segment or a query value (letters, digits, '-' and '_' kept).
    static func pathSegment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(["-", "_"])) ?? ""
    }

    static func fileSafe(_ code: String) -> String {
        String(code.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") ? $0 : "_" })
    }
}
