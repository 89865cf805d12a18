import Appeals
import Cryptography
import Delivery
import Foundation
import HTTPServer
import JobQueue
import Postgres
import ServiceHost
import ServiceRuntime

/// The appeals API under /v1: the portal (department API keys) registers application clocks and files
/// appeals for citizens; officers (officer keys) list, hear and decide the appeals before them.
struct AppealsAPI: Sendable {
    let pool: ConnectionPool
    let desk: AppealsDesk
    let logger: Logger
    /// The time now (tests move it).
    var now: @Sendable () -> Date = { Date() }
    /// Order PDFs larger than this (decoded) get 413.
    var maximumOrderBytes = 10 * 1024 * 1024

    func makeRouter() -> Router {
        var router = Router()
        router.put("/v1/applications/{applicationId}/clock") { request in try putClock(request) }
        router.get("/v1/applications/{applicationId}/appeals") { request in try getApplication(request) }
        router.post("/v1/applications/{applicationId}/appeals") { request in try postAppeal(request) }
        router.get("/v1/authority/appeals") { request in try listAppeals(request) }
        router.get("/v1/authority/appeals/{number}") { request in try getAppeal(request) }
        router.post("/v1/authority/appeals/{number}/admission") { request in try postAdmission(request) }
        router.post("/v1/authority/appeals/{number}/hearing") { request in try postHearing(request) }
        router.post("/v1/authority/appeals/{number}/decision") { request in try postDecision(request) }
        router.post("/v1/authority/appeals/{number}/penalties") { request in try postPenalty(request) }
        router.get("/v1/authority/overdue") { request in try getOverdue(request) }
        router.get("/openapi.json") { _ in try openAPIDocument() }
        return router
    }

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    // MARK: Authentication

    func department(_ request: Request, on connection: Connection) throws -> APIKey {
        try APIKeys.require(request.header("authorization"), on: connection)
    }

    func officer(_ request: Request, on connection: Connection) throws -> OfficerKey {
        try OfficerKeys.require(request.header("authorization"), on: connection)
    }

    /// Runs `body` and turns a refused rule into problem+json naming it.
    func refusing<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let refusal as AppealRefusal {
            throw HTTPError(
                status: refusal.status, detail: refusal.detail,
                type: "urn:dakiya:problem:appeal:" + refusal.rule.replacingOccurrences(of: "_", with: "-"),
                errors: refusal.field.map { [FieldProblem(field: $0, detail: refusal.detail)] } ?? [])
        }
    }

    func applicationID(_ request: Request) throws -> String {
        let id = Normalization.applicationID(try request.parameter("applicationId"))
        guard (1...128).contains(id.unicodeScalars.count) else {
            throw HTTPError.badRequest("the application id must be 1 to 128 characters", field: "applicationId")
        }
        return id
    }

    // MARK: Clock

    struct ClockBody: Decodable {
        var portalUserID: String
        var serviceCode: String
        var officeCode: String
        var completedAt: Date
        var bandValue: Decimal?
        enum CodingKeys: String, CodingKey {
            case portalUserID = "portal_user_id", serviceCode = "service_code", officeCode = "office_code",
                completedAt = "completed_at", bandValue = "band_value"
        }
    }

    func putClock(_ request: Request) throws -> Response {
        let id = try applicationID(request)
        let key = try pool.withConnection { try department(request, on: $0) }
        let body = try request.decodeJSON(ClockBody.self)
        var problems: [FieldProblem] = []
        if body.serviceCode.isEmpty || body.serviceCode.unicodeScalars.count > 64 {
            problems.append(FieldProblem(field: "service_code", detail: "1 to 64 characters"))
        }
        if body.officeCode.isEmpty || body.officeCode.unicodeScalars.count > 64 {
            problems.append(FieldProblem(field: "office_code", detail: "1 to 64 characters"))
        }
        if body.completedAt > now().addingTimeInterval(300) {
            problems.append(FieldProblem(field: "completed_at", detail: "must not be in the future"))
        }
        if let band = body.bandValue, band < 0 {
            problems.append(FieldProblem(field: "band_value", detail: "must not be negative"))
        }
        guard problems.isEmpty else {
            throw HTTPError(
                status: 422, detail: problems.map { "\($0.field): \($0.detail)" }.joined(separator: "; "),
                type: "urn:dakiya:problem:invalid-fields", errors: problems)
        }
        return try pool.withConnection { connection in
            guard key.covers(office: body.officeCode) else {
                throw HTTPError(
                    status: 403, detail: "this API key does not cover office \(body.officeCode)",
                    type: "urn:dakiya:problem:forbidden")
            }
            return try refusing {
                try connection.transaction { tx in
                    guard
                        let citizen = try Citizens.id(portalUserID: body.portalUserID, on: tx)
                    else {
                        throw AppealRefusal(
                            422, "unknown_citizen",
                            "no citizen \(body.portalUserID): register them with the portal adapter first",
                            field: "portal_user_id")
                    }
                    let recorded = try Applications.record(
                        Applications.Report(
                            applicationID: id, department: key.department, service: body.serviceCode,
                            office: body.officeCode, citizenID: citizen, offices: key.offices), on: tx)
                    // Another department's application, or another office's for an office key, is not updated and not returned.
                    guard recorded?.department == key.department else {
                        throw AppealRefusal(404, "unknown_application", "no application \(id) for this API key")
                    }
                    guard recorded?.citizenID == citizen else {
                        throw AppealRefusal(
                            422, "other_citizen", "application \(id) belongs to another citizen",
                            field: "portal_user_id")
                    }
                    guard let application = try AppealableApplication.find(portalID: id, on: tx, lock: true) else {
                        throw AppealRefusal(404, "unknown_application", id)
                    }
                    let clock = try desk.startClock(
                        application: application, completedAt: body.completedAt, bandValue: body.bandValue,
                        isTest: key.kind == .test,
                        actor: "api:" + key.prefix, now: now(), on: tx)
                    return try Response.json(clock)
                }
            }
        }
    }

    // MARK: Citizens' appeals (through the portal)

    struct ApplicationView: Encodable {
        var applicationID: String
        var clocks: [AppealsDesk.ClockView]
        var appeals: [AppealView]
        var history: [HistoryEntry]
        enum CodingKeys: String, CodingKey { case applicationID = "application_id", clocks, appeals, history }
    }

    struct HistoryEntry: Encodable {
        var event: String
        var appealNumber: String?
        var actor: String
        var detail: [String: String]
        var at: Date
        enum CodingKeys: String, CodingKey { case event, appealNumber = "appeal_number", actor, detail, at }
    }

    func getApplication(_ request: Request) throws -> Response {
        let id = try applicationID(request)
        return try pool.withConnection { connection in
            let key = try department(request, on: connection)
            guard let application = try AppealableApplication.find(portalID: id, on: connection),
                application.department == key.department,
                key.covers(office: application.office)
            else {
                throw HTTPError.notFound("no application \(id) for this API key")
            }
            let history = try ApplicationHistory.list(applicationID: application.id, on: connection).map {
                HistoryEntry(
                    event: $0.event, appealNumber: $0.appealNumber, actor: $0.actor, detail: $0.detail, at: $0.at)
            }
            let today = CivilDate(now())
            return try Response.json(
                ApplicationView(
                    applicationID: id,
                    clocks: try desk.clocks(applicationID: application.id, today: CivilDate(now()), on: connection),
                    appeals: try Appeal.all(applicationID: application.id, on: connection).map {
                        AppealView($0, today: today)
                    },
                    history: history), headers: [])
        }
    }

    struct AppealBody: Decodable {
        var level: Int
        var grounds: String
        var relief: String?
        var delayReason: String?
        enum CodingKeys: String, CodingKey { case level, grounds, relief, delayReason = "delay_reason" }
    }

    func postAppeal(_ request: Request) throws -> Response {
        let id = try applicationID(request)
        let key = try pool.withConnection { try department(request, on: $0) }
        let body = try request.decodeJSON(AppealBody.self, freeText: ["grounds", "relief", "delay_reason"])
        let grounds = body.grounds.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...4000).contains(grounds.unicodeScalars.count) else {
            throw HTTPError.unprocessable("the grounds of appeal are 1 to 4000 characters", field: "grounds")
        }
        if let relief = body.relief, relief.unicodeScalars.count > 2000 {
            throw HTTPError.unprocessable("relief is at most 2000 characters", field: "relief")
        }
        if let reason = body.delayReason, reason.unicodeScalars.count > 2000 {
            throw HTTPError.unprocessable("delay_reason is at most 2000 characters", field: "delay_reason")
        }
        return try IdempotentRequests.respond(
            to: request, .department(key.department), path: "/v1/applications/\(id)/appeals", pool: pool
        ) { connection in
            let appeal = try refusing {
                try desk.file(
                    portalID: id,
                    AppealsDesk.Filing(
                        level: body.level, grounds: grounds, relief: body.relief, delayReason: body.delayReason,
                        via: "api",
                        isTest: key.kind == .test, actor: "api:" + key.prefix),
                    department: key.department, offices: key.offices, now: now(), on: connection)
            }
            logger.info(
                "appeal filed",
                [
                    "appeal.number": appeal.number, "appeal.level": String(appeal.level),
                    "api_key.prefix": key.prefix,
                ])
            return try Response.json(
                AppealView(appeal, today: CivilDate(now())), status: 201,
                headers: [("Location", "/v1/applications/\(id)/appeals")])
        }
    }

    // MARK: Authority

    struct AppealView: Encodable {
        var appealNumber: String
        var applicationID: String
        var level: Int
        var trigger: String
        var authority: Authority
        var filedAt: Date
        var filedVia: String
        var grounds: String
        var relief: String?
        var delayReason: String?
        var isLate: Bool
        var windowEndsOn: CivilDate
        var decideBy: CivilDate
        var daysLeft: Int?
        var status: String
        var overdue: Bool
        var hearingAt: Date?
        var decision: String?
        var decisionReasons: [String]?
        var directedDays: Int?
        var decidedOn: CivilDate?

        init(_ appeal: Appeal, today: CivilDate) {
            appealNumber = appeal.number
            applicationID = appeal.portalApplicationID
            level = appeal.level
            trigger = appeal.trigger
            authority = appeal.authority
            filedAt = appeal.filedAt
            filedVia = appeal.filedVia
            grounds = appeal.grounds
            relief = appeal.relief
            delayReason = appeal.delayReason
            isLate = appeal.isLate
            windowEndsOn = appeal.windowEndsOn
            decideBy = appeal.decideBy
            daysLeft = appeal.isOpen ? today.days(to: appeal.decideBy) : nil
            status = appeal.status
            overdue = appeal.overdueAt != nil || (appeal.isOpen && today > appeal.decideBy)
            hearingAt = appeal.hearingAt
            decision = appeal.decision
            decisionReasons = appeal.decisionReasons
            directedDays = appeal.directedDays
            decidedOn = appeal.decidedOn
        }

        enum CodingKeys: String, CodingKey {
            case appealNumber = "appeal_number", applicationID = "application_id", level, trigger, authority, filedAt =
                "filed_at", filedVia = "filed_via",
                grounds, relief, delayReason = "delay_reason", isLate = "is_late", windowEndsOn = "window_ends_on",
                decideBy = "decide_by",
                daysLeft = "days_left", status, overdue, hearingAt = "hearing_at", decision, decisionReasons =
                "decision_reasons",
                directedDays = "directed_days", decidedOn = "decided_on"
        }
    }

    struct AppealList: Encodable { var appeals: [AppealView] }

    func listAppeals(_ request: Request) throws -> Response {
        let filter = request.query["status"] ?? "open"
        let condition: String
        switch filter {
        case "open": condition = " AND ap.status IN ('awaiting_admission', 'pending', 'hearing_scheduled')"
        case "overdue":
            condition =
                " AND ap.status IN ('awaiting_admission', 'pending', 'hearing_scheduled') AND (ap.overdue_at IS NOT NULL OR ap.decide_by < $3::date)"
        case "closed": condition = " AND ap.status IN ('decided', 'not_admitted')"
        case "all": condition = ""
        default: throw HTTPError.badRequest("status is open, overdue, closed or all", field: "status")
        }
        return try pool.withConnection { connection in
            let key = try officer(request, on: connection)
            let today = CivilDate(now())
            var parameters: [any PostgresEncodable] = [key.authority.office, key.authority.role]
            if filter == "overdue" { parameters.append(today) }
            let appeals = try Appeal.query(
                where: "ap.authority_office = $1 AND ap.authority_role = $2" + condition, parameters, on: connection)
            return try Response.json(AppealList(appeals: appeals.map { AppealView($0, today: today) }))
        }
    }

    func getAppeal(_ request: Request) throws -> Response {
        let number = try request.parameter("number")
        return try pool.withConnection { connection in
            let key = try officer(request, on: connection)
            guard let appeal = try Appeal.find(number: number, on: connection), appeal.authority == key.authority else {
                throw HTTPError.notFound("no appeal \(number) before you")
            }
            return try Response.json(AppealView(appeal, today: CivilDate(now())))
        }
    }

    struct AdmissionBody: Decodable { var admit: Bool; var reasons: [String]? }

    func postAdmission(_ request: Request) throws -> Response {
        let number = try request.parameter("number")
        let key = try pool.withConnection { try officer(request, on: $0) }
        let body = try request.decodeJSON(AdmissionBody.self, freeText: ["reasons"])
        return try IdempotentRequests.respond(
            to: request, .officerKey(key.id), path: "/v1/authority/appeals/\(number)/admission", pool: pool
        ) { connection in
            let appeal = try refusing {
                try desk.admit(
                    number: number, officer: key.authority, admit: body.admit, reasons: cleaned(body.reasons),
                    actor: "officer:" + key.prefix,
                    now: now(), on: connection)
            }
            return try Response.json(AppealView(appeal, today: CivilDate(now())))
        }
    }

    struct HearingBody: Decodable {
        var hearingAt: Date
        enum CodingKeys: String, CodingKey { case hearingAt = "hearing_at" }
    }

    func postHearing(_ request: Request) throws -> Response {
        let number = try request.parameter("number")
        let key = try pool.withConnection { try officer(request, on: $0) }
        let body = try request.decodeJSON(HearingBody.self)
        return try IdempotentRequests.respond(
            to: request, .officerKey(key.id), path: "/v1/authority/appeals/\(number)/hearing", pool: pool
        ) { connection in
            let appeal = try refusing {
                try desk.scheduleHearing(
                    number: number, officer: key.authority, at: body.hearingAt, actor: "officer:" + key.prefix,
                    now: now(), on: connection)
            }
            return try Response.json(AppealView(appeal, today: CivilDate(now())))
        }
    }

    struct DecisionBody: Decodable {
        var decision: String
        var reasons: [String]?
        var directedDays: Int?
        var order: OrderBody?
        enum CodingKeys: String, CodingKey { case decision, reasons, directedDays = "directed_days", order }
    }

    struct OrderBody: Decodable {
        var fileName: String
        var contentBase64: String
        enum CodingKeys: String, CodingKey { case fileName = "file_name", contentBase64 = "content_base64" }
    }

    func postDecision(_ request: Request) throws -> Response {
        let number = try request.parameter("number")
        let key = try pool.withConnection { try officer(request, on: $0) }
        let body = try request.decodeJSON(DecisionBody.self, freeText: ["reasons"])
        guard ["allowed", "dismissed"].contains(body.decision) else {
            throw HTTPError.unprocessable("decision is allowed or dismissed", field: "decision")
        }
        // Checked whatever the decision: a dismissal ignores the days, but a value outside the range is still wrong.
        if let days = body.directedDays, !(1...365).contains(days) {
            throw HTTPError.unprocessable("directed_days must be from 1 to 365", field: "directed_days")
        }
        var order: AppealsDesk.OrderDocument?
        if let document = body.order {
            guard let bytes = Data(base64Encoded: document.contentBase64).map(Array.init) else {
                throw HTTPError.badRequest("order.content_base64 is not valid base64", field: "order.content_base64")
            }
            let checked = try UploadedPDF.check(
                bytes, fileName: document.fileName, maximumBytes: maximumOrderBytes, what: "order",
                field: "order.content_base64", nameField: "order.file_name")
            order = AppealsDesk.OrderDocument(fileName: checked.fileName, bytes: checked.bytes)
        }
        return try IdempotentRequests.respond(
            to: request, .officerKey(key.id), path: "/v1/authority/appeals/\(number)/decision", pool: pool
        ) { connection in
            let appeal = try refusing {
                try desk.decide(
                    number: number, officer: key.authority, allowed: body.decision == "allowed",
                    reasons: cleaned(body.reasons),
                    directedDays: body.directedDays, order: order, actor: "officer:" + key.prefix, now: now(),
                    on: connection)
            }
            logger.info(
                "appeal decided",
                ["appeal.number": number, "appeal.decision": body.decision, "officer_key.prefix": key.prefix])
            return try Response.json(AppealView(appeal, today: CivilDate(now())))
        }
    }

    struct PenaltyBody: Decodable {
        var amount: Int
        var reason: String
        var officerRole: String?
        var officerOffice: String?
        enum CodingKeys: String, CodingKey {
            case amount, reason, officerRole = "officer_role", officerOffice = "officer_office"
        }
    }

    func postPenalty(_ request: Request) throws -> Response {
        let number = try request.parameter("number")
        let key = try pool.withConnection { try officer(request, on: $0) }
        let body = try request.decodeJSON(PenaltyBody.self, freeText: ["reason"])
        let reason = body.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...2000).contains(reason.unicodeScalars.count) else {
            throw HTTPError.unprocessable("the reason is 1 to 2000 characters", field: "reason")
        }
        guard (body.officerRole == nil) == (body.officerOffice == nil) else {
            throw HTTPError.unprocessable(
                "give both officer_role and officer_office, or neither (the designated officer)",
                field: "officer_office")
        }
        return try IdempotentRequests.respond(
            to: request, .officerKey(key.id), path: "/v1/authority/appeals/\(number)/penalties", required: true,
            pool: pool
        ) { connection in
            let penalized = body.officerRole.flatMap { role in
                body.officerOffice.map { Authority(role: role, office: $0) }
            }
            let penalty = try refusing {
                try desk.imposePenalty(
                    number: number, officer: key.authority, on: penalized, amount: body.amount, reason: reason,
                    actor: "officer:" + key.prefix,
                    now: now(), on: connection)
            }
            return try Response.json(penalty, status: 201)
        }
    }

    struct OverdueGroup: Encodable {
        var authority: Authority
        var count: Int
        var oldestDecideBy: CivilDate
        var appeals: [String]
        enum CodingKeys: String, CodingKey { case authority, count, oldestDecideBy = "oldest_decide_by", appeals }
    }

    /// Overdue appeals at the officer's office, per authority (every role there).
    func getOverdue(_ request: Request) throws -> Response {
        try pool.withConnection { connection in
            let key = try officer(request, on: connection)
            let groups = try AppealsDesk.overdue(office: key.authority.office, today: CivilDate(now()), on: connection)
                .map {
                    OverdueGroup(
                        authority: $0.authority, count: $0.numbers.count, oldestDecideBy: $0.oldest, appeals: $0.numbers
                    )
                }
            return try Response.json(["overdue": groups])
        }
    }

    func cleaned(_ reasons: [String]?) -> [String] {
        (reasons ?? []).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    func openAPIDocument() throws -> Response {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json") else {
            throw HTTPError.notFound()
        }
        return Response.text(try String(contentsOf: url, encoding: .utf8), contentType: "application/json")
    }
}
