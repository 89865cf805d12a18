import Appeals
import Delivery
import Foundation
import HTTPServer
import Postgres
import ServiceHost
import Texts

/// The application's journey: `POST /v1/applications/{applicationId}/steps` reports a step before the outcome. A
/// step is a delivery like an outcome: the same Idempotency-Key, the same 202 with the delivery's location, the same
/// routing to the citizen's channels in their language and the same `delivery.status_changed` callbacks.
extension PortalAPI {
    struct StepBody: Decodable {
        var step: String
        var citizen: String
        var service: String
        var office: String
        var village: String?
        var language: String?
        var channels: [String]?
        var receivedAt: Date?
        var bandValue: Double?
        var documents: [String]?
        var replyBy: String?
        var amount: String?
        var payAt: String?
        var payBy: String?
        var visit: String?
        var at: Date?
        var place: String?
        enum CodingKeys: String, CodingKey {
            case step, citizen, service, office, village, language, channels, documents, amount, visit, at, place
            case receivedAt = "received_at", bandValue = "band_value", replyBy = "reply_by", payAt = "pay_at"
            case payBy = "pay_by"
        }
    }

    struct StepAccepted: Encodable {
        var deliveryID: PublicID
        var applicationID: String
        var step: String
        var status: String
        var location: String
        var detail: [String: String]
        var clock: AppealsDesk.ClockView?
        var shortfallID: Int64?
        enum CodingKeys: String, CodingKey {
            case deliveryID = "delivery_id", applicationID = "application_id", step, status, location, detail, clock
            case shortfallID = "shortfall_id"
        }
    }

    /// The fields each step takes besides the application's; any other step field is refused (422), so a fact sent
    /// with the wrong step is never dropped silently.
    static let stepFields: [JourneyStep: Set<String>] = [
        .received: ["received_at", "band_value"], .underScrutiny: [],
        .documentsNeeded: ["documents", "reply_by"], .paymentDue: ["amount", "pay_at", "pay_by"],
        .appointment: ["visit", "at", "place"],
    ]

    func postStep(_ request: Request) throws -> Response {
        let applicationID = Normalization.applicationID(try request.parameter("applicationId"))
        guard (1...128).contains(applicationID.unicodeScalars.count) else {
            throw HTTPError.badRequest("applicationId must be 1 to 128 characters", field: "applicationId")
        }
        let idempotencyKey = try IdempotentRequests.key(request, required: true)
        return try pool.withConnection { connection in
            let key = try authenticate(request, on: connection)
            let body = try request.decodeJSON(StepBody.self)
            var report = try validate(body, applicationID: applicationID, key: key)
            guard key.covers(office: report.office) else {
                throw HTTPError(
                    status: 403, detail: "this API key does not cover office \(report.office)",
                    type: "urn:dakiya:problem:forbidden")
            }
            report.actor = "api:" + key.prefix
            let path = "/v1/applications/\(applicationID)/steps"
            return try IdempotentRequests.run(
                .department(key.department), key: idempotencyKey,
                fingerprint: IdempotentRequests.fingerprint(request, path: path), on: connection
            ) { tx in
                try Self.checkVillage(report.village, on: tx)
                let deliveryID = UUID.timeOrdered()
                let recorded: JourneySteps.Recorded
                do {
                    recorded = try JourneySteps.record(
                        report, deliveryID: deliveryID, desk: AppealsDesk(queue: queue), queue: queue,
                        now: Date(timeIntervalSince1970: Double(now())), on: tx)
                } catch let refusal as AppealRefusal {
                    throw HTTPError(
                        status: refusal.status, detail: refusal.detail,
                        type: "urn:dakiya:problem:" + refusal.rule.replacingOccurrences(of: "_", with: "-"),
                        errors: refusal.field.map { [FieldProblem(field: $0, detail: refusal.detail)] } ?? [])
                }
                let location = "/v1/deliveries/\(deliveryID.uuidString.lowercased())"
                logger.info(
                    "step accepted",
                    [
                        "delivery.id": deliveryID.uuidString.lowercased(), "step": report.step.rawValue,
                        "api_key.prefix": key.prefix,
                    ])
                return try Response.json(
                    StepAccepted(
                        deliveryID: PublicID(deliveryID), applicationID: applicationID, step: report.step.rawValue,
                        status: "pending", location: location, detail: recorded.detail, clock: recorded.clock,
                        shortfallID: recorded.shortfallID),
                    status: 202, headers: [("Location", location)])
            }
        }
    }

    /// The step with its facts checked: every problem at once (422), each naming its field.
    func validate(_ body: StepBody, applicationID: String, key: APIKey) throws -> StepReport {
        var problems: [FieldProblem] = []
        func problem(_ field: String, _ detail: String) { problems.append(FieldProblem(field: field, detail: detail)) }
        let step = JourneyStep(rawValue: body.step)
        if step == nil {
            problem(
                "step",
                "step must be one of \(JourneyStep.allCases.map(\.rawValue).joined(separator: ", ")) (the outcome has its own endpoint)"
            )
        }
        _ = Self.checkAddressing(
            citizen: body.citizen, service: body.service, office: body.office, village: body.village,
            language: body.language, channels: body.channels, problems: &problems)
        let given: [(String, Bool)] = [
            ("received_at", body.receivedAt != nil), ("band_value", body.bandValue != nil),
            ("documents", body.documents != nil), ("reply_by", body.replyBy != nil), ("amount", body.amount != nil),
            ("pay_at", body.payAt != nil), ("pay_by", body.payBy != nil), ("visit", body.visit != nil),
            ("at", body.at != nil), ("place", body.place != nil),
        ]
        let nowDate = Date(timeIntervalSince1970: Double(now()))
        let today = CivilDate(nowDate)
        func day(_ field: String, _ raw: String?, required: Bool) -> CivilDate? {
            guard let raw else {
                if required { problem(field, "\(field) is required for this step (a date, YYYY-MM-DD)") }
                return nil
            }
            guard raw.count == 10, let day = CivilDate(raw) else {
                problem(field, "\(field) must be a date, YYYY-MM-DD")
                return nil
            }
            if day < today || day > today.adding(days: 366) {
                problem(field, "\(field) must be between today (\(today)) and a year from now")
            }
            return day
        }
        func text(_ field: String, _ raw: String?, limit: Int) -> String? {
            guard let raw else {
                problem(field, "\(field) is required for this step")
                return nil
            }
            let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            guard (1...limit).contains(trimmed.unicodeScalars.count) else {
                problem(field, "\(field) must be 1 to \(limit) characters")
                return nil
            }
            return trimmed
        }
        var report = StepReport(
            applicationID: applicationID, department: key.department,
            service: body.service.trimmingCharacters(in: .whitespaces),
            office: body.office.trimmingCharacters(in: .whitespaces), village: body.village,
            citizen: body.citizen.trimmingCharacters(in: .whitespaces), offices: key.offices, apiKeyID: key.id,
            isTest: key.kind == .test, actor: "", step: step ?? .underScrutiny, language: body.language,
            channels: body.channels)
        if let step {
            let allowed = Self.stepFields[step] ?? []
            for (field, present) in given where present && !allowed.contains(field) {
                problem(field, "\(field) is not a fact of step \(step.rawValue)")
            }
            switch step {
            case .received:
                if let at = body.receivedAt, at > nowDate.addingTimeInterval(300) {
                    problem("received_at", "received_at must not be in the future")
                }
                if let band = body.bandValue, band < 0 || !band.isFinite {
                    problem("band_value", "band_value must not be negative")
                }
                report.receivedAt = body.receivedAt
                report.bandValue = body.bandValue.map { Decimal($0) }
            case .underScrutiny:
                break
            case .documentsNeeded:
                let documents = (body.documents ?? []).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                if documents.isEmpty || documents.count > 20 {
                    problem("documents", "documents must list 1 to 20 things the office needs")
                }
                for (index, document) in documents.enumerated() where !(1...200).contains(document.unicodeScalars.count)
                {
                    problem("documents[\(index)]", "each document must be 1 to 200 characters")
                }
                report.documents = documents
                report.replyBy = day("reply_by", body.replyBy, required: true)
            case .paymentDue:
                if let raw = body.amount {
                    if raw.range(of: "^[0-9]{1,9}(\\.[0-9]{1,2})?$", options: .regularExpression) == nil
                        || Decimal(string: raw) == 0
                    {
                        problem("amount", "amount must be rupees above zero with at most two decimals, e.g. \"250.00\"")
                    } else {
                        report.amount = Decimal(string: raw)
                    }
                } else {
                    problem("amount", "amount is required for this step")
                }
                report.payAt = text("pay_at", body.payAt, limit: 300)
                report.payBy = day("pay_by", body.payBy, required: true)
            case .appointment:
                if let visit = body.visit, JourneyTexts.visits[visit] == nil {
                    problem("visit", "visit must be appointment or site_visit")
                }
                report.visit = body.visit ?? "appointment"
                if let at = body.at {
                    if at < nowDate.addingTimeInterval(-86_400) || at > nowDate.addingTimeInterval(366 * 86_400) {
                        problem("at", "at must be between yesterday and a year from now")
                    }
                } else {
                    problem("at", "at is required for this step (a date and time with its offset)")
                }
                report.at = body.at
                report.place = text("place", body.place, limit: 300)
            }
        }
        guard problems.isEmpty else {
            throw HTTPError(
                status: 422, detail: problems.map(\.detail).joined(separator: "; "),
                type: "urn:dakiya:problem:invalid-field", errors: problems)
        }
        return report
    }
}

// MARK: Shortfalls and the citizen's answers

extension PortalAPI {
    struct ShortfallView: Encodable {
        struct Reply: Encodable {
            var id: Int64
            var kind: String
            var state: String
            var text: String?
            var refusal: String?
            var fileName: String?
            var mediaType: String?
            var size: Int?
            var sha256: String?
            var scan: String?
            var fileURL: String?
            var receivedAt: Date
            enum CodingKeys: String, CodingKey {
                case id, kind, state, text, refusal, fileName = "file_name", mediaType = "media_type", size, sha256
                case scan, fileURL = "file_url", receivedAt = "received_at"
            }
        }
        var id: Int64
        var stepDeliveryID: String
        var documents: [String]
        var replyBy: String
        var state: String
        var openedAt: Date
        var answeredAt: Date?
        var replies: [Reply]
        enum CodingKeys: String, CodingKey {
            case id, stepDeliveryID = "step_delivery_id", documents, replyBy = "reply_by", state
            case openedAt = "opened_at", answeredAt = "answered_at", replies
        }
    }

    /// The application in the key's scope, or 404 as for one that does not exist.
    func scopedApplication(_ request: Request, key: APIKey, on connection: Connection) throws -> (
        id: Int64, portalID: String
    ) {
        let applicationID = Normalization.applicationID(try request.parameter("applicationId"))
        guard let application = try Applications.find(portalID: applicationID, on: connection),
            application.department == key.department, key.covers(office: application.office)
        else {
            throw HTTPError.notFound("no application \(applicationID) for this API key")
        }
        return (application.id, applicationID)
    }

    /// `GET /v1/applications/{applicationId}/shortfalls`: each shortfall with the citizen's answers, newest first;
    /// a file is fetched with the same key from its `file_url` (for a portal that takes no callbacks, or missed one).
    func getShortfalls(_ request: Request) throws -> Response {
        try pool.withConnection { connection in
            let key = try authenticate(request, on: connection)
            let application = try scopedApplication(request, key: key, on: connection)
            var views: [ShortfallView] = []
            for row in try connection.query(
                """
                SELECT id, delivery_id, documents, reply_by::text, state, opened_at, answered_at FROM application_shortfalls
                WHERE application_id = $1 ORDER BY opened_at DESC, id DESC
                """, [application.id]
            ).rows {
                let id = try row.decode(Int64.self, at: 0)
                let replies = try connection.query(
                    """
                    SELECT r.id, r.kind, r.state, r.text, r.refusal, coalesce(r.file_name, d.file_name), d.media_type, d.size,
                           encode(d.sha256, 'hex'), r.scan, r.received_at, d.id IS NOT NULL AND d.purged_at IS NULL
                    FROM shortfall_replies r LEFT JOIN documents d ON d.id = r.document_id
                    WHERE r.shortfall_id = $1 ORDER BY r.id
                    """, [id]
                ).rows.map { reply in
                    let replyID = try reply.decode(Int64.self, at: 0)
                    return ShortfallView.Reply(
                        id: replyID, kind: try reply.decode(String.self, at: 1),
                        state: try reply.decode(String.self, at: 2), text: try reply.decode(String?.self, at: 3),
                        refusal: try reply.decode(String?.self, at: 4), fileName: try reply.decode(String?.self, at: 5),
                        mediaType: try reply.decode(String?.self, at: 6), size: try reply.decode(Int?.self, at: 7),
                        sha256: try reply.decode(String?.self, at: 8), scan: try reply.decode(String?.self, at: 9),
                        fileURL: try reply.decode(Bool.self, at: 11)
                            ? "/v1/applications/\(Self.pathSegment(application.portalID))/shortfall-replies/\(replyID)/file"
                            : nil,
                        receivedAt: try reply.decode(Date.self, at: 10))
                }
                views.append(
                    ShortfallView(
                        id: id, stepDeliveryID: try row.decode(UUID.self, at: 1).uuidString.lowercased(),
                        documents: try row.decode([String].self, at: 2), replyBy: try row.decode(String.self, at: 3),
                        state: try row.decode(String.self, at: 4), openedAt: try row.decode(Date.self, at: 5),
                        answeredAt: try row.decode(Date?.self, at: 6), replies: replies))
            }
            struct Listing: Encodable {
                var applicationID: String
                var shortfalls: [ShortfallView]
                enum CodingKeys: String, CodingKey { case applicationID = "application_id", shortfalls }
            }
            return try Response.json(Listing(applicationID: application.portalID, shortfalls: views))
        }
    }

    /// `GET /v1/applications/{applicationId}/shortfall-replies/{replyId}/file`: the file exactly as the citizen sent it.
    func getShortfallFile(_ request: Request) throws -> Response {
        try pool.withConnection { connection in
            let key = try authenticate(request, on: connection)
            let application = try scopedApplication(request, key: key, on: connection)
            guard let replyID = Int64(try request.parameter("replyId")),
                let row = try connection.query(
                    """
                    SELECT coalesce(r.file_name, d.file_name), d.media_type, d.content, d.purged_at IS NOT NULL
                    FROM shortfall_replies r JOIN application_shortfalls s ON s.id = r.shortfall_id JOIN documents d ON d.id = r.document_id
                    WHERE r.id = $1 AND s.application_id = $2 AND r.state = 'accepted'
                    """, [replyID, application.id]
                ).first
            else {
                throw HTTPError.notFound("no file of this reply for this application")
            }
            guard try !row.decode(Bool.self, at: 3) else {
                throw HTTPError(status: 410, detail: "this file is past its retention period and is no longer kept")
            }
            let fileName = try row.decode(String.self, at: 0)
            let ascii =
                fileName.unicodeScalars.allSatisfy { $0.isASCII && $0 != "\"" && $0 != "\\" && $0.value >= 0x20 }
                ? fileName : "reply"
            let encoded = fileName.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "reply"
            return Response(
                status: 200, body: try row.decode(PostgresBytes.self, at: 2).bytes,
                contentType: try row.decode(String.self, at: 1),
                headers: [
                    ("Content-Disposition", "attachment; filename=\"\(ascii)\"; filename*=UTF-8''\(encoded)"),
                    ("Cache-Control", "private, no-store"),
                ])
        }
    }

    /// An application id as one path segment.
    static func pathSegment(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/")))
            ?? id
    }
}
