import Broadcasts
import Cryptography
import Delivery
import Foundation
import HTTPServer
import JobQueue
import Postgres
import ServiceHost
import ServiceRuntime
import Texts

/// The broadcasts API under /v1/broadcasts (issue 18): one message to many citizens, its progress, its cancel.
struct BroadcastAPI: Sendable {
    let pool: ConnectionPool
    let logger: Logger
    var queue = JobQueue()
    /// Now (tests move it).
    var now: @Sendable () -> Date = { Date() }
    /// Broadcast requests a department may make a minute (one bucket per department, every instance's).
    var requestsPerMinute = 60
    /// Broadcast messages (recipients × channels) a department may send a day (India time), emergencies aside.
    var dailyCap = 2_000_000
    var metrics = MetricsRegistry()
    /// Large broadcasts' recent counts, reused for a few seconds when polled (`BroadcastCountCache`).
    var counts = BroadcastCountCache()

    /// How far ahead a broadcast may be scheduled.
    static let maximumSchedule: TimeInterval = 7 * 86_400

    func routes(into router: inout Router) {
        router.post("/v1/broadcasts") { request in try post(request) }
        router.get("/v1/broadcasts/{broadcastId}") { request in try get(request) }
        router.post("/v1/broadcasts/{broadcastId}/cancel") { request in try cancel(request) }
    }

    // MARK: Bodies

    struct Body: Decodable {
        var name: String
        var priority: String?
        var channels: [String]?
        var template: TemplateBody
        var audience: AudienceBody?
        /// RFC 3339 with an offset, read as every date of the API is (400 naming the field otherwise).
        var scheduledFor: Date?
        var expiresAt: Date?
        enum CodingKeys: String, CodingKey {
            case name, priority, channels, template, audience, scheduledFor = "scheduled_for", expiresAt = "expires_at"
        }
    }

    struct TemplateBody: Decodable {
        var whatsapp: WhatsAppTemplateBody?
        var fields: [String]?
        var texts: [String: BroadcastText]
    }

    struct WhatsAppTemplateBody: Decodable {
        var name: String
        var category: String
    }

    struct AudienceBody: Decodable {
        var rows: [RowBody]?
        var csv: String?
        var selection: SelectionBody?
    }

    /// An audience chosen by Dakiya: the department's applicants in some offices or areas of the office hierarchy
    /// who can be reached on a channel of the broadcast, with the same values of the template's fields for all.
    struct SelectionBody: Decodable {
        var offices: [String]
        var fields: [String: String]?
    }

    struct RowBody: Decodable {
        var citizen: String?
        var mobile: String?
        var email: String?
        var language: String?
        var fields: [String: String]?
    }

    struct Accepted: Encodable {
        var broadcastID: PublicID
        var status: String
        var recipients: Int
        var repeatedRows: Int
        var location: String
        enum CodingKeys: String, CodingKey {
            case broadcastID = "broadcast_id", status, recipients, repeatedRows = "repeated_rows", location
        }
    }

    /// The fields whose text may hold line breaks: each language's body, and a CSV audience sent inside the JSON.
    static let freeText: Set<String> = Set(
        Language.all.flatMap { ["template.texts.\($0.code).body", "texts.\($0.code).body"] } + ["audience.csv"])

    // MARK: POST /v1/broadcasts

    /// Accepts a broadcast: a JSON body (`audience.rows` or `audience.csv`), or multipart/form-data with a
    /// `broadcast` JSON part and an `audience` CSV file part (for large files). The whole audience is checked first;
    /// any fault answers 422 listing the lines and columns (the first 100), and nothing is written. Answers 202.
    func post(_ request: Request) throws -> Response {
        guard let idempotencyKey = try IdempotentRequests.key(request, required: true) else {
            throw HTTPError.badRequest("Idempotency-Key is required")
        }
        return try pool.withConnection { connection in
            let key = try APIKeys.require(request.header("authorization"), on: connection)
            guard key.offices.isEmpty else {
                throw HTTPError(
                    status: 403,
                    detail:
                        "this API key is limited to some offices; a broadcast's audience is not, so it needs a key of the whole department",
                    type: "urn:dakiya:problem:forbidden")
            }
            try limitRate(department: key.department, on: connection)
            let (body, csv, bodyHash) = try read(request)
            let fingerprint = IdempotentRequests.fingerprint(method: "POST", path: "/v1/broadcasts", bodyHash: bodyHash)
            let id = UUID.timeOrdered()
            let location = "/v1/broadcasts/\(id.uuidString.lowercased())"
            return try IdempotentRequests.run(
                .department(key.department), key: idempotencyKey, fingerprint: fingerprint, on: connection
            ) { tx in
                let draft = try validate(
                    body, csv: csv, id: id, department: key.department, apiKeyID: key.id, isTest: key.kind == .test,
                    on: tx)
                // Written first (a file's rows as they are read), then refused, rolling everything back, when the
                // file was not clean or the daily cap would be passed: nothing is sent either way.
                let written = try Broadcasts.accept(draft, queue: queue, on: tx)
                if let failure = draft.stream?.failure {
                    throw Self.refusal(failure, fields: draft.fields, fromRows: false)
                }
                let used = try checkDailyCap(draft, messages: written.recipients * draft.channels.count, on: tx)
                if let used { noteCapUse(department: key.department, before: used.before, after: used.after) }
                logger.info(
                    "broadcast accepted",
                    [
                        "broadcast.id": id.uuidString.lowercased(), "api_key.prefix": key.prefix,
                        "broadcast.recipients": String(written.recipients), "broadcast.lane": draft.lane,
                    ])
                return try Response.json(
                    Accepted(
                        broadcastID: PublicID(id), status: "accepted", recipients: written.recipients,
                        repeatedRows: written.repeatedRows, location: location),
                    status: 202, headers: [("Location", location)])
            }
        }
    }

    // MARK: Limits

    /// 429 with Retry-After when the department has made its `requestsPerMinute` broadcast requests (a bucket
    /// holding a tenth of them, refilled evenly; kept in the database, so every instance counts against it).
    func limitRate(department: String, on connection: Connection) throws {
        let rate = Double(requestsPerMinute) / 60
        let wait =
            try connection.query(
                "SELECT dakiya_bucket_take($1, $2, $3)",
                ["broadcasts:" + department, rate, max(1, Double(requestsPerMinute) / 10)]
            ).first?.decode(Double.self, at: 0) ?? 0
        guard wait > 0 else { return }
        let seconds = max(1, Int(wait.rounded(.up)))
        throw HTTPError(
            status: 429,
            detail:
                "at most \(requestsPerMinute) broadcast requests a minute for a department; try again in \(seconds) s",
            type: "urn:dakiya:problem:rate-limited", headers: [("Retry-After", String(seconds))])
    }

    /// The messages (recipients × channels) the department's broadcasts of today (India time) hold, and with this
    /// one; 429 with Retry-After (until midnight) when this one would pass `dailyCap`, and nothing is written.
    /// Emergencies are neither counted nor held back. Nil for an emergency.
    func checkDailyCap(_ draft: BroadcastDraft, messages: Int, on tx: Connection) throws -> (before: Int, after: Int)? {
        guard draft.lane != "emergency" else { return nil }
        let row = try tx.query(
            """
            SELECT coalesce(sum(recipients * cardinality(channels)), 0)::bigint,
                   extract(epoch FROM (date_trunc('day', now() AT TIME ZONE 'Asia/Kolkata') + interval '1 day') AT TIME ZONE 'Asia/Kolkata' - now())
            FROM broadcasts
            WHERE department = $1 AND priority <> 'emergency' AND id <> $2
              AND created_at >= date_trunc('day', now() AT TIME ZONE 'Asia/Kolkata') AT TIME ZONE 'Asia/Kolkata'
            """, [draft.department, draft.id]
        ).first
        let used = try row?.decode(Int.self, at: 0) ?? 0
        let after = used + messages
        guard after <= dailyCap else {
            let untilMidnight = max(1, Int((try row?.decode(Double.self, at: 1) ?? 3600).rounded(.up)))
            throw HTTPError(
                status: 429,
                detail:
                    "this broadcast's \(messages) messages would pass the department's daily cap of \(dailyCap) (\(used) used today, India time); nothing was sent",
                type: "urn:dakiya:problem:daily-cap", headers: [("Retry-After", String(untilMidnight))])
        }
        return (used, after)
    }

    /// The share of the daily cap used, as a gauge per department; crossing 80% is a warning (logged and counted).
    func noteCapUse(department: String, before: Int, after: Int) {
        let ratio = Double(after) / Double(max(dailyCap, 1))
        metrics.gauge(
            "dakiya_broadcast_daily_cap_used_ratio",
            help: "The share of a department's daily broadcast cap its broadcasts of today hold.",
            labels: ["department": department]
        ).set(ratio)
        if Double(before) < 0.8 * Double(dailyCap) && ratio >= 0.8 {
            metrics.counter(
                "dakiya_broadcast_daily_cap_warnings_total",
                help: "Times a department's broadcasts passed 80% of its daily cap.", labels: ["department": department]
            ).increment()
            logger.warning(
                "a department's broadcasts passed 80% of its daily cap",
                ["department": department, "broadcast.cap_used": String(after), "broadcast.cap": String(dailyCap)])
        }
    }

    /// The body and, from a multipart upload, the audience file's bytes; with the hash that identifies the request
    /// (a multipart body's parts, not its boundary).
    func read(_ request: Request) throws -> (Body, [UInt8]?, [UInt8]) {
        let contentType = request.header("content-type") ?? ""
        guard contentType.lowercased().hasPrefix("multipart/form-data") else {
            return (
                try request.decodeJSON(Body.self, freeText: Self.freeText), nil, SHA256.hash(request.body)
            )
        }
        let parts = try MultipartForm.parse(request.body, contentType: contentType)
        guard let json = parts.first(where: { $0.name == "broadcast" }) else {
            throw HTTPError.badRequest(
                "the multipart body needs a `broadcast` part holding the JSON", field: "broadcast")
        }
        guard let file = parts.first(where: { $0.name == "audience" }) else {
            throw HTTPError.badRequest("the multipart body needs an `audience` part: the CSV file", field: "audience")
        }
        let body = try Request.decodeJSON(Body.self, from: json.body, freeText: Self.freeText)
        if body.audience != nil {
            throw HTTPError.unprocessable(
                "send the audience once: as the `audience` file part, not also in the JSON", field: "audience")
        }
        return (body, file.body, SHA256.hash(Array("multipart\u{0}".utf8) + json.body + [0] + file.body))
    }

    /// Checks everything, the whole audience included, and gives the broadcast to record.
    func validate(
        _ body: Body, csv: [UInt8]?, id: UUID, department: String, apiKeyID: Int64, isTest: Bool,
        on connection: Connection
    ) throws -> BroadcastDraft {
        var problems: [FieldProblem] = []
        let name = body.name.trimmingSpaces()
        if !(1...200).contains(name.unicodeScalars.count) {
            problems.append(FieldProblem(field: "name", detail: "name must be 1 to 200 characters"))
        }
        let lane = body.priority ?? "normal"
        if !["emergency", "normal", "bulk"].contains(lane) {
            problems.append(FieldProblem(field: "priority", detail: "priority must be emergency, normal or bulk"))
        }
        let channels = body.channels ?? ["whatsapp", "email"]
        if channels.isEmpty {
            problems.append(FieldProblem(field: "channels", detail: "channels needs whatsapp, email or both"))
        }
        for (index, channel) in channels.enumerated() where !["whatsapp", "email"].contains(channel) {
            problems.append(
                FieldProblem(
                    field: "channels[\(index)]",
                    detail: "a broadcast goes by whatsapp or email (the portal inbox holds outcomes, not alerts)"))
        }
        if Set(channels).count != channels.count {
            problems.append(FieldProblem(field: "channels", detail: "each channel once"))
        }
        let fields = body.template.fields ?? []
        for (index, field) in fields.enumerated() {
            if field.range(of: "^[a-z][a-z0-9_]{0,31}$", options: .regularExpression) == nil
                || AudienceCSV.recipientColumns.contains(field)
            {
                problems.append(
                    FieldProblem(
                        field: "template.fields[\(index)]",
                        detail:
                            "a field is a lower-case name (a-z, 0-9, _; up to 32) other than citizen, mobile, email and language"
                    ))
            }
        }
        if Set(fields).count != fields.count {
            problems.append(FieldProblem(field: "template.fields", detail: "each field once"))
        }
        if fields.count > 20 {
            problems.append(FieldProblem(field: "template.fields", detail: "at most 20 fields"))
        }
        if body.template.texts.isEmpty {
            problems.append(
                FieldProblem(field: "template.texts", detail: "at least one language's text, e.g. {\"mr\": {…}}"))
        }
        for (code, text) in body.template.texts.sorted(by: { $0.key < $1.key }) {
            guard Language.named(code) != nil else {
                problems.append(
                    FieldProblem(
                        field: "template.texts.\(code)", detail: "the languages are \(Language.codeList)"))
                continue
            }
            if text.body.trimmingSpaces().isEmpty || text.body.unicodeScalars.count > 4096 {
                problems.append(
                    FieldProblem(field: "template.texts.\(code).body", detail: "the text must be 1 to 4096 characters"))
            }
            if let subject = text.subject, subject.trimmingSpaces().isEmpty || subject.unicodeScalars.count > 200 {
                problems.append(
                    FieldProblem(
                        field: "template.texts.\(code).subject", detail: "the subject must be 1 to 200 characters"))
            }
            for placeholder in Self.placeholders(in: text.body + " " + (text.subject ?? ""))
            where !fields.contains(placeholder) {
                problems.append(
                    FieldProblem(
                        field: "template.texts.\(code)",
                        detail: "{\(placeholder)} is not one of template.fields (\(fields.joined(separator: ", ")))"))
            }
        }
        if channels.contains("whatsapp") {
            if let whatsapp = body.template.whatsapp {
                if whatsapp.name.range(of: "^[a-z0-9_]{1,512}$", options: .regularExpression) == nil {
                    problems.append(
                        FieldProblem(
                            field: "template.whatsapp.name",
                            detail: "the approved template's name (a-z, 0-9 and _, as Meta registered it)"))
                }
                if !["utility", "marketing"].contains(whatsapp.category) {
                    problems.append(
                        FieldProblem(
                            field: "template.whatsapp.category", detail: "the template's category: utility or marketing"
                        ))
                }
            } else {
                problems.append(
                    FieldProblem(
                        field: "template.whatsapp",
                        detail:
                            "WhatsApp needs the approved template to send (its name and category; its body takes the fields in order)"
                    ))
            }
        }
        let now = now()
        let scheduledFor = body.scheduledFor
        if let scheduledFor, scheduledFor.timeIntervalSince(now) > Self.maximumSchedule {
            problems.append(
                FieldProblem(field: "scheduled_for", detail: "a broadcast can be scheduled at most 7 days ahead"))
        }
        let expiresAt = body.expiresAt
        if let expiresAt, expiresAt <= max(now, scheduledFor ?? now) {
            problems.append(
                FieldProblem(
                    field: "expires_at", detail: "expires_at must be later than now and than scheduled_for"))
        }
        let audience: [UInt8]
        var fromRows = false
        if let selection = body.audience?.selection {
            guard csv == nil, body.audience?.rows == nil, body.audience?.csv == nil else {
                throw HTTPError(
                    status: 422, detail: "give one audience: a selection, rows, or a CSV",
                    type: "urn:dakiya:problem:invalid-field",
                    errors: [FieldProblem(field: "audience", detail: "give one audience: a selection, rows, or a CSV")]
                )
            }
            problems += try Self.check(selection, fields: fields, on: connection)
            if !problems.isEmpty {
                throw HTTPError(
                    status: 422, detail: problems.map(\.detail).joined(separator: "; "),
                    type: "urn:dakiya:problem:invalid-field", errors: problems)
            }
            let recipients = try Self.select(selection, department: department, channels: channels, on: connection)
            guard !recipients.isEmpty else {
                throw HTTPError(
                    status: 422,
                    detail:
                        "no citizen who applied to this department in those offices can be reached on \(channels.joined(separator: " or ")): nothing to send",
                    type: "urn:dakiya:problem:invalid-audience",
                    errors: [FieldProblem(field: "audience.selection", detail: "the selection has no citizen")])
            }
            return BroadcastDraft(
                id: id, department: department, apiKeyID: apiKeyID, isTest: isTest, name: name, lane: lane,
                channels: channels,
                whatsappTemplate: channels.contains("whatsapp") ? body.template.whatsapp?.name : nil,
                templateCategory: channels.contains("whatsapp") ? body.template.whatsapp?.category : nil,
                fields: fields, texts: body.template.texts, scheduledFor: scheduledFor, expiresAt: expiresAt,
                recipients: recipients, repeatedRows: 0)
        }
        switch (csv, body.audience?.rows, body.audience?.csv) {
        case (let file?, nil, nil): audience = file
        case (nil, nil, let text?): audience = Array(text.utf8)
        case (nil, let rows?, nil):
            audience = Self.csv(rows, fields: fields)
            fromRows = true
            // A member the template does not take is refused, not silently dropped.
            for (index, row) in rows.enumerated() {
                for extra in (row.fields ?? [:]).keys.sorted() where !fields.contains(extra) {
                    problems.append(
                        FieldProblem(
                            field: "audience.rows[\(index)].fields.\(extra)",
                            detail: "\(extra) is not one of template.fields"))
                }
            }
        case (nil, nil, nil):
            problems.append(
                FieldProblem(field: "audience", detail: "the audience is needed: audience.rows, audience.csv or a file")
            )
            audience = []
        default:
            problems.append(FieldProblem(field: "audience", detail: "give audience.rows or audience.csv, not both"))
            audience = []
        }
        if !problems.isEmpty {
            throw HTTPError(
                status: 422, detail: problems.map(\.detail).joined(separator: "; "),
                type: "urn:dakiya:problem:invalid-field", errors: problems)
        }
        var draft = BroadcastDraft(
            id: id, department: department, apiKeyID: apiKeyID, isTest: isTest, name: name, lane: lane,
            channels: channels, whatsappTemplate: channels.contains("whatsapp") ? body.template.whatsapp?.name : nil,
            templateCategory: channels.contains("whatsapp") ? body.template.whatsapp?.category : nil, fields: fields,
            texts: body.template.texts, scheduledFor: scheduledFor, expiresAt: expiresAt, recipients: [],
            repeatedRows: 0)
        guard fromRows else {
            // A file: its rows go to the database as they are checked (`Broadcasts.accept`); the caller refuses it
            // afterwards, rolling back, if it was not clean.
            draft.stream = AudienceCSV.Reader(
                audience, fields: Set(fields), languages: Set(body.template.texts.keys))
            return draft
        }
        do {
            let checked = try AudienceCSV.check(
                audience, fields: Set(fields), languages: Set(body.template.texts.keys))
            draft.recipients = checked.rows
            draft.repeatedRows = checked.repeatedRecipients
            return draft
        } catch {
            throw Self.refusal(error, fields: fields, fromRows: true)
        }
    }

    /// The 422 for an audience that is not clean: every problem listed (the first 100) by line and column, or for
    /// JSON rows by the row's index and member (row i is line i + 2 of the CSV made of them).
    static func refusal(_ error: AudienceProblems, fields: [String], fromRows: Bool) -> HTTPError {
        let header = ["citizen", "mobile", "email", "language"] + fields
        let listed = error.problems.map { problem -> FieldProblem in
            guard fromRows else { return FieldProblem(field: "audience", detail: problem.description) }
            let row = "audience.rows[\(problem.line - 2)]"
            guard let column = problem.column, column <= header.count else {
                return FieldProblem(field: row, detail: problem.message)
            }
            let name = header[column - 1]
            return FieldProblem(
                field: row + (column > 4 ? ".fields.\(name)" : ".\(name)"), detail: problem.message)
        }
        return HTTPError(
            status: 422,
            detail: "the audience has \(error.total) problem\(error.total == 1 ? "" : "s")"
                + (error.total > listed.count ? " (the first \(listed.count) are listed)" : "")
                + "; nothing was sent: " + (listed.first?.detail ?? ""),
            type: "urn:dakiya:problem:invalid-audience", errors: listed)
    }

    /// The faults of a selection: its offices (1 to 100, each in the office hierarchy) and its fields' values (one
    /// for each of the template's fields, nothing else, each 1 to 1,000 characters).
    /// - Throws: `PostgresError` from the database.
    static func check(_ selection: SelectionBody, fields: [String], on connection: Connection) throws -> [FieldProblem]
    {
        var problems: [FieldProblem] = []
        if !(1...100).contains(selection.offices.count) {
            problems.append(
                FieldProblem(field: "audience.selection.offices", detail: "name 1 to 100 offices or areas"))
        }
        let known = Set(
            try connection.query("SELECT code FROM offices WHERE code = ANY($1)", [selection.offices]).rows.map {
                try $0.decode(String.self, at: 0)
            })
        for (index, office) in selection.offices.enumerated() where !known.contains(office) {
            problems.append(
                FieldProblem(
                    field: "audience.selection.offices[\(index)]",
                    detail: "no office or area \(office) in the office hierarchy"))
        }
        let values = selection.fields ?? [:]
        for field in fields {
            guard let value = values[field] else {
                problems.append(
                    FieldProblem(
                        field: "audience.selection.fields.\(field)",
                        detail: "a selection gives every citizen the same values: \(field) is needed"))
                continue
            }
            if value.trimmingSpaces().isEmpty || value.unicodeScalars.count > 1000 {
                problems.append(
                    FieldProblem(
                        field: "audience.selection.fields.\(field)", detail: "the value must be 1 to 1000 characters"))
            }
        }
        for extra in values.keys.sorted() where !fields.contains(extra) {
            problems.append(
                FieldProblem(
                    field: "audience.selection.fields.\(extra)", detail: "\(extra) is not one of template.fields"))
        }
        return problems
    }

    /// The citizens a selection picks: those with an application to `department` in one of its offices or areas (an
    /// office, a village, or anything under them in the hierarchy) who can be reached on at least one of `channels`
    /// (WhatsApp: a mobile and an opt-in on record; email: an address and no opt-out), each once, in their own
    /// language. At most `AudienceCSV.maximumRows`.
    /// - Throws: `PostgresError` from the database.
    static func select(_ selection: SelectionBody, department: String, channels: [String], on connection: Connection)
        throws -> [AudienceRow]
    {
        let values = selection.fields ?? [:]
        // One names and one values array for every row.
        let names = values.keys.sorted()
        let shared = names.map { values[$0] ?? "" }
        return try connection.query(
            """
            WITH area AS (
                SELECT office_code FROM office_ancestors WHERE ancestor_code = ANY($1)
                UNION SELECT unnest($1::text[])),
            applicants AS (
                SELECT DISTINCT a.citizen_id FROM applications a
                WHERE a.department = $2
                  AND (a.office_code IN (SELECT office_code FROM area) OR a.village_code IN (SELECT office_code FROM area)))
            SELECT c.portal_user_id FROM applicants p JOIN citizens c ON c.id = p.citizen_id
            WHERE ('whatsapp' = ANY($3) AND c.mobile IS NOT NULL
                   AND (SELECT k.granted FROM citizen_consents k WHERE k.citizen_id = c.id AND k.channel = 'whatsapp'
                        ORDER BY k.recorded_at DESC, k.id DESC LIMIT 1) IS true)
               OR ('email' = ANY($3) AND c.email IS NOT NULL
                   AND (SELECT k.granted FROM citizen_consents k WHERE k.citizen_id = c.id AND k.channel = 'email'
                        ORDER BY k.recorded_at DESC, k.id DESC LIMIT 1) IS NOT false)
            ORDER BY c.id
            LIMIT \(AudienceCSV.maximumRows)
            """, [selection.offices, department, channels]
        ).rows.enumerated().map { index, row in
            AudienceRow(
                line: index + 2, citizen: try row.decode(String.self, at: 0), mobile: nil, email: nil, language: nil,
                fieldNames: names, fieldValues: shared)
        }
    }

    /// The `{name}` placeholders of a text.
    static func placeholders(in text: String) -> [String] {
        guard let expression = try? NSRegularExpression(pattern: "\\{([^{}]*)\\}") else { return [] }
        let range = NSRange(text.startIndex..., in: text)
        return expression.matches(in: text, range: range).compactMap {
            Range($0.range(at: 1), in: text).map { String(text[$0]) }
        }
    }

    /// JSON rows as the CSV the audience checker reads: one line per row (a row's values cannot hold line breaks:
    /// the JSON reader refuses control characters there), every value quoted.
    static func csv(_ rows: [RowBody], fields: [String]) -> [UInt8] {
        func quoted(_ value: String?) -> String {
            "\"" + (value ?? "").replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        var text = (["citizen", "mobile", "email", "language"] + fields).joined(separator: ",") + "\n"
        for row in rows {
            let values = [row.citizen, row.mobile, row.email, row.language] + fields.map { row.fields?[$0] }
            text += values.map(quoted).joined(separator: ",") + "\n"
        }
        return Array(text.utf8)
    }

    // MARK: GET /v1/broadcasts/{id}

    struct ProgressBody: Encodable {
        struct Count: Encodable {
            var channel: String
            var status: String
            var office: String?
            var messages: Int
        }
        var broadcastID: PublicID
        var name: String
        var priority: String
        var status: String
        var channels: [String]
        var recipients: Int
        var repeatedRows: Int
        var notYetFannedOut: Int
        /// Per channel, messages by status.
        var totals: [String: [String: Int]]
        var counts: [Count]
        var countedAt: Date
        var createdAt: Date
        var scheduledFor: Date?
        var expiresAt: Date?
        var cancelledAt: Date?
        var finishedAt: Date?
        enum CodingKeys: String, CodingKey {
            case broadcastID = "broadcast_id", name, priority, status, channels, recipients,
                repeatedRows = "repeated_rows", notYetFannedOut = "not_yet_fanned_out", totals, counts,
                countedAt = "counted_at", createdAt = "created_at", scheduledFor = "scheduled_for", expiresAt =
                "expires_at",
                cancelledAt = "cancelled_at", finishedAt = "finished_at"
        }
    }

    func broadcastID(_ request: Request) throws -> UUID {
        guard let id = UUID(uuidString: try request.parameter("broadcastId")) else {
            throw HTTPError.notFound("no broadcast with this id")
        }
        return id
    }

    /// A broadcast's progress: messages by channel × status × office, and per channel by status.
    func get(_ request: Request) throws -> Response {
        try pool.withConnection { connection in
            let key = try APIKeys.require(request.header("authorization"), on: connection)
            let id = try broadcastID(request)
            guard
                let progress = try Broadcasts.progress(
                    id, department: key.department, cache: counts, on: connection)
            else {
                throw HTTPError.notFound("no broadcast with this id for this API key")
            }
            var totals: [String: [String: Int]] = [:]
            for channel in progress.channels {
                totals[channel] = Dictionary(
                    uniqueKeysWithValues: [
                        "pending", "sending", "sent", "delivered", "read", "failed", "skipped", "cancelled",
                    ].map { ($0, 0) })
            }
            for count in progress.counts {
                totals[count.channel, default: [:]][count.state, default: 0] += count.messages
            }
            return try Response.json(
                ProgressBody(
                    broadcastID: PublicID(id), name: progress.name, priority: progress.lane, status: progress.state,
                    channels: progress.channels, recipients: progress.recipients, repeatedRows: progress.repeatedRows,
                    notYetFannedOut: progress.notFannedOut, totals: totals,
                    counts: progress.counts.map {
                        ProgressBody.Count(
                            channel: $0.channel, status: $0.state, office: $0.office, messages: $0.messages)
                    }, countedAt: progress.countedAt, createdAt: progress.createdAt,
                    scheduledFor: progress.scheduledFor,
                    expiresAt: progress.expiresAt, cancelledAt: progress.cancelledAt,
                    finishedAt: progress.finishedAt))
        }
    }

    // MARK: POST /v1/broadcasts/{id}/cancel

    struct Cancelled: Encodable {
        var broadcastID: PublicID
        var status: String
        var cancelledMessages: Int
        enum CodingKeys: String, CodingKey {
            case broadcastID = "broadcast_id", status, cancelledMessages = "cancelled_messages"
        }
    }

    /// Stops what is not yet sent, at any time; 409 for a broadcast that already finished.
    func cancel(_ request: Request) throws -> Response {
        try pool.withConnection { connection in
            let key = try APIKeys.require(request.header("authorization"), on: connection)
            let id = try broadcastID(request)
            switch try Broadcasts.cancel(id, department: key.department, on: connection) {
            case .notFound:
                throw HTTPError.notFound("no broadcast with this id for this API key")
            case .alreadyEnded(let state):
                throw HTTPError(
                    status: 409, detail: "the broadcast is already \(state): there is nothing left to cancel",
                    type: "urn:dakiya:problem:already-ended")
            case .cancelled(let messages):
                logger.info(
                    "broadcast cancelled",
                    ["broadcast.id": id.uuidString.lowercased(), "api_key.prefix": key.prefix])
                return try Response.json(
                    Cancelled(broadcastID: PublicID(id), status: "cancelled", cancelledMessages: messages))
            }
        }
    }
}
