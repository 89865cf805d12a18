import Appeals
import Foundation
import HTTPServer
import Postgres
import ServiceRuntime
import WebPages

/// The officers' desk under /desk: an officer signs in with their officer key (turned into a session cookie:
/// HttpOnly, SameSite=Strict, Secure behind TLS) and sees the appeals before their role and office, overdue ones
/// first, with the days left to decide. Every form carries a CSRF token bound to the session and the form's purpose.
/// Server-rendered HTML without JavaScript, in Marathi, Hindi, Telugu and English.
struct OfficerDesk: Sendable {
    let pool: ConnectionPool
    let logger: Logger
    /// The time now (tests move it).
    var now: @Sendable () -> Date = { Date() }
    /// Mark the cookie Secure even when the request does not say it came over TLS.
    var secureCookies = false

    static let cookie = "dakiya_desk"

    func routes(into router: inout Router) {
        router.get("/desk") { request in try appeals(request) }
        router.get("/desk/sign-in") { request in signInPage(request, problem: nil, status: 200) }
        router.post("/desk/sign-in") { request in try signIn(request) }
        router.post("/desk/sign-out") { request in try signOut(request) }
        router.get("/desk/appeals/{number}") { request in
            let done = request.query["done"].flatMap(Action.init(rawValue:))
            return try appeal(
                request, notice: done.map { (DeskTexts.word("done_" + $0.rawValue, language(request)), false) })
        }
        for action in Action.allCases {
            router.post("/desk/appeals/{number}/\(action.rawValue)") { request in try act(action, request) }
        }
    }

    /// What an officer can do to an appeal from its page, each a form of its own.
    enum Action: String, CaseIterable {
        case admission, hearing, decision, penalty
    }

    /// Where the desk's pages are reached from, and the largest order PDF the decision form takes.
    var desk: AppealsDesk? = nil
    var maximumOrderBytes = 10 * 1024 * 1024

    func language(_ request: Request) -> String {
        WebPage.language(query: request.query["lang"], accept: request.header("accept-language"))
    }

    func page(_ request: Request, title: String, main: String, status: Int = 200, path: String) -> Response {
        let language = language(request)
        return HTMLPage.response(
            WebPage.document(
                title: title, language: language, switchPath: path,
                languageLabel: DeskTexts.word("language", language),
                skipLabel: DeskTexts.word("skip", language), main: main),
            language: language, status: status, cache: "no-store")
    }

    static func redirect(_ location: String, cookie: String? = nil) -> Response {
        var response = Response(status: 303, headers: [("Location", location), ("Cache-Control", "no-store")])
        if let cookie { response.headers.append(("Set-Cookie", cookie)) }
        return response
    }

    /// The session of the request's cookie, or nil (no cookie, unknown, or ended).
    func session(_ request: Request, on connection: Connection) throws -> DeskSession? {
        guard let token = request.cookie(Self.cookie) else { return nil }
        return try DeskSessions.find(token: token, now: now(), on: connection)
    }

    func isSecure(_ request: Request) -> Bool {
        secureCookies || request.header("x-forwarded-proto")?.lowercased() == "https"
    }

    func cookieValue(_ token: String, request: Request, maxAge: Int) -> String {
        "\(Self.cookie)=\(token); Path=/desk; HttpOnly; SameSite=Strict; Max-Age=\(maxAge)"
            + (isSecure(request) ? "; Secure" : "")
    }

    // MARK: Signing in and out

    func signInPage(_ request: Request, problem: String?, status: Int) -> Response {
        let language = language(request)
        let w = { (key: String) in WebPage.escape(DeskTexts.word(key, language)) }
        var main = ""
        if let problem { main += "<p class=\"notice\" role=\"alert\">\(WebPage.escape(problem))</p>\n" }
        main += """
            <p id="key-help">\(w("sign_in_help"))</p>
            <form method="post" action="/desk/sign-in?lang=\(language)">
            <label for="key">\(w("officer_key"))</label>
            <input id="key" name="key" type="password" autocomplete="off" required aria-describedby="key-help" size="40">
            <p><button type="submit">\(w("sign_in"))</button></p>
            </form>

            """
        return page(
            request, title: DeskTexts.word("sign_in_title", language), main: main, status: status, path: "/desk/sign-in"
        )
    }

    func signIn(_ request: Request) throws -> Response {
        let language = language(request)
        let fields = try request.formFields()
        let secret = (fields["key"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let signedIn = try pool.withConnection { connection in
            try DeskSessions.signIn(secret: secret, now: now(), on: connection)
        }
        guard let signedIn else {
            logger.info("desk sign-in refused")
            return signInPage(request, problem: DeskTexts.word("sign_in_refused", language), status: 401)
        }
        logger.info("desk sign-in", ["officer.key": signedIn.session.officer.prefix])
        return Self.redirect(
            "/desk?lang=\(language)",
            cookie: cookieValue(signedIn.token, request: request, maxAge: Int(DeskSessions.lifetime.seconds)))
    }

    func signOut(_ request: Request) throws -> Response {
        let language = language(request)
        let fields = try request.formFields()
        return try pool.withConnection { connection in
            guard let session = try session(request, on: connection) else {
                return Self.redirect("/desk/sign-in?lang=\(language)")
            }
            guard session.acceptsCSRF(fields["csrf"], for: "sign-out") else {
                return page(
                    request, title: DeskTexts.word("refused_title", language),
                    main:
                        "<p class=\"notice\" role=\"alert\">\(WebPage.escape(DeskTexts.word("csrf_refused", language)))</p>\n",
                    status: 403, path: "/desk")
            }
            try DeskSessions.end(session, now: now(), on: connection)
            return Self.redirect(
                "/desk/sign-in?lang=\(language)", cookie: cookieValue("", request: request, maxAge: 0))
        }
    }

    // MARK: The appeals before the officer

    func appeals(_ request: Request) throws -> Response {
        let language = language(request)
        let w = { (key: String) in WebPage.escape(DeskTexts.word(key, language)) }
        return try pool.withConnection { connection in
            guard let session = try session(request, on: connection) else {
                return Self.redirect("/desk/sign-in?lang=\(language)")
            }
            let today = CivilDate(now())
            // A cluster team (an officer key whose office is a cluster of villages) follows up the applications of
            // its villages that are past their time limit without an outcome.
            if try connection.query(
                "SELECT 1 FROM offices WHERE code = $1 AND type = 'cluster'", [session.officer.authority.office]
            ).count == 1 {
                return page(
                    request, title: DeskTexts.word("cluster_title", language),
                    main: signedIn(session, language: language)
                        + (try ClusterPending(
                            cluster: session.officer.authority.office, language: language, today: today
                        )
                        .html(on: connection)), path: "/desk")
            }
            let open = try Appeal.query(
                where:
                    "ap.authority_office = $1 AND ap.authority_role = $2 AND ap.status IN ('awaiting_admission', 'pending', 'hearing_scheduled')",
                [session.officer.authority.office, session.officer.authority.role], on: connection
            ).sorted { a, b in
                // Overdue first, then the fewest days left, then the oldest filing.
                let overdueA = a.overdueAt != nil || today > a.decideBy,
                    overdueB = b.overdueAt != nil || today > b.decideBy
                if overdueA != overdueB { return overdueA }
                if a.decideBy != b.decideBy { return a.decideBy < b.decideBy }
                return a.filedAt < b.filedAt
            }
            var main = signedIn(session, language: language)
            if open.isEmpty {
                main += "<p>\(w("no_appeals"))</p>\n"
            } else {
                main += """
                    <table>
                    <caption>\(w("appeals_caption"))</caption>
                    <thead><tr><th scope="col">\(w("appeal_number"))</th><th scope="col">\(w("application"))</th>\
                    <th scope="col">\(w("level"))</th><th scope="col">\(w("filed_on"))</th>\
                    <th scope="col">\(w("decide_by"))</th><th scope="col">\(w("days_left"))</th>\
                    <th scope="col">\(w("status"))</th></tr></thead>
                    <tbody>

                    """
                for appeal in open {
                    let days = today.days(to: appeal.decideBy)
                    let overdue = appeal.overdueAt != nil || days < 0
                    let left =
                        overdue
                        ? "<span class=\"overdue\">\(w("overdue")) (\(-days))</span>"
                        : String(days)
                    main += """
                        <tr><th scope="row"><a href="/desk/appeals/\(WebPage.escape(appeal.number))?lang=\(language)">\(WebPage.escape(appeal.number))</a></th>\
                        <td>\(WebPage.escape(appeal.portalApplicationID))</td>\
                        <td>\(w("level_\(appeal.level)"))</td><td>\(appeal.filedOn)</td>\
                        <td>\(appeal.decideBy)</td><td>\(left)</td><td>\(w("status_" + appeal.status))</td></tr>

                        """
                }
                main += "</tbody>\n</table>\n"
            }
            return page(request, title: DeskTexts.word("desk_title", language), main: main, path: "/desk")
        }
    }

    /// Who is signed in, and the sign-out form.
    func signedIn(_ session: DeskSession, language: String) -> String {
        let w = { (key: String) in WebPage.escape(DeskTexts.word(key, language)) }
        let officer = session.officer
        return """
            <p>\(w("signed_in_as")) <strong>\(WebPage.escape(officer.officerName))</strong>
            (\(WebPage.escape(officer.authority.role)), \(WebPage.escape(officer.authority.office)))</p>
            <form method="post" action="/desk/sign-out?lang=\(language)">
            <input type="hidden" name="csrf" value="\(session.csrfToken(for: "sign-out"))">
            <button type="submit">\(w("sign_out"))</button>
            </form>

            """
    }

    // MARK: One appeal: what happened, and the forms to act on it

    /// The fields of a plain or a multipart form, and the multipart form's files.
    func formInput(_ request: Request) throws -> (fields: [String: String], files: [FormPart]) {
        let contentType = request.header("content-type") ?? ""
        guard contentType.lowercased().hasPrefix("multipart/form-data") else { return (try request.formFields(), []) }
        let parts = try MultipartForm.parse(request.body, contentType: contentType)
        var fields: [String: String] = [:]
        for part in parts where part.fileName == nil {
            guard let value = String(validating: part.body, as: UTF8.self) else {
                throw HTTPError.badRequest("the form field \(part.name) is not UTF-8", field: part.name)
            }
            fields[part.name] = value
        }
        return (fields, parts.filter { $0.fileName != nil && !$0.body.isEmpty })
    }

    func appeal(_ request: Request, notice: (text: String, isError: Bool)?, status: Int = 200) throws -> Response {
        let language = language(request)
        let number = try request.parameter("number")
        return try pool.withConnection { connection in
            guard let session = try session(request, on: connection) else {
                return Self.redirect("/desk/sign-in?lang=\(language)")
            }
            guard let appeal = try Appeal.find(number: number, on: connection),
                appeal.authority == session.officer.authority
            else {
                return page(
                    request, title: DeskTexts.word("desk_title", language),
                    main:
                        "<p class=\"notice\" role=\"alert\">\(WebPage.escape(DeskTexts.word("no_such_appeal", language)))</p>\n",
                    status: 404, path: "/desk/appeals/\(number)")
            }
            let main = try AppealPage(
                appeal: appeal, session: session, language: language, today: CivilDate(now()), notice: notice
            ).html(on: connection)
            return page(
                request, title: DeskTexts.word("appeal_title", language) + " " + appeal.number, main: main,
                status: status, path: "/desk/appeals/\(number)")
        }
    }

    /// Runs one form's action with the same rules as the authority API; a refusal comes back on the appeal's page
    /// as a readable message (nothing changed), a success as a redirect to it.
    func act(_ action: Action, _ request: Request) throws -> Response {
        let language = language(request)
        let number = try request.parameter("number")
        let input = try formInput(request)
        let fields = input.fields
        let session = try pool.withConnection { try self.session(request, on: $0) }
        guard let session else { return Self.redirect("/desk/sign-in?lang=\(language)") }
        guard session.acceptsCSRF(fields["csrf"], for: action.rawValue + ":" + number) else {
            return page(
                request, title: DeskTexts.word("refused_title", language),
                main:
                    "<p class=\"notice\" role=\"alert\">\(WebPage.escape(DeskTexts.word("csrf_refused", language)))</p>\n",
                status: 403, path: "/desk/appeals/\(number)")
        }
        guard let desk else { throw HTTPError(status: 503, detail: "the desk is not set up") }
        let officer = session.officer
        let actor = "officer:" + officer.prefix
        func reasons(_ text: String?) -> [String] {
            (text ?? "").split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
        }
        do {
            try pool.withConnection { connection in
                switch action {
                case .admission:
                    _ = try desk.admit(
                        number: number, officer: officer.authority, admit: fields["admit"] == "yes",
                        reasons: reasons(fields["reasons"]), actor: actor, now: now(), on: connection)
                case .hearing:
                    guard let text = fields["hearing_at"], let at = Self.istDateTime(text) else {
                        throw AppealRefusal(
                            422, "hearing_at", DeskTexts.word("hearing_invalid", language), field: "hearing_at")
                    }
                    _ = try desk.scheduleHearing(
                        number: number, officer: officer.authority, at: at, actor: actor, now: now(), on: connection)
                case .decision:
                    guard let decision = fields["decision"], ["allowed", "dismissed"].contains(decision) else {
                        throw AppealRefusal(
                            422, "decision", DeskTexts.word("decision_missing", language), field: "decision")
                    }
                    var order: AppealsDesk.OrderDocument?
                    if let file = input.files.first(where: { $0.name == "order" }) {
                        let checked = try UploadedPDF.check(
                            file.body, fileName: file.fileName ?? "order.pdf", maximumBytes: maximumOrderBytes,
                            what: "order", field: "order")
                        order = AppealsDesk.OrderDocument(fileName: checked.fileName, bytes: checked.bytes)
                    }
                    let days = fields["directed_days"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
                    _ = try desk.decide(
                        number: number, officer: officer.authority, allowed: decision == "allowed",
                        reasons: reasons(fields["reasons"]), directedDays: decision == "allowed" ? days : nil,
                        order: order, actor: actor, now: now(), on: connection)
                    logger.info(
                        "appeal decided at the desk",
                        ["appeal.number": number, "appeal.decision": decision, "officer_key.prefix": officer.prefix])
                case .penalty:
                    let reason = (fields["reason"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                    guard let amount = fields["amount"].flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }),
                        (1...2000).contains(reason.unicodeScalars.count)
                    else {
                        throw AppealRefusal(
                            422, "penalty", DeskTexts.word("penalty_invalid", language), field: "amount")
                    }
                    _ = try desk.imposePenalty(
                        number: number, officer: officer.authority, on: nil, amount: amount, reason: reason,
                        actor: actor, now: now(), on: connection)
                }
            }
        } catch let refusal as AppealRefusal {
            return try appeal(
                request, notice: (DeskTexts.refusal(refusal.rule, detail: refusal.detail, language), true),
                status: refusal.status == 404 ? 404 : 422)
        } catch let error as HTTPError where error.status < 500 {
            return try appeal(request, notice: (error.detail ?? "HTTP \(error.status)", true), status: error.status)
        }
        return Self.redirect("/desk/appeals/\(number)?lang=\(language)&done=\(action.rawValue)")
    }

    /// A `datetime-local` value (YYYY-MM-DDTHH:MM) read as Indian time.
    static func istDateTime(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 19_800)
        for format in ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text.trimmingCharacters(in: .whitespaces)) { return date }
        }
        return nil
    }
}
