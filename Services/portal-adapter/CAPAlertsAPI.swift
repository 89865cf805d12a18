import Broadcasts
import CAP
import Delivery
import Foundation
import HTTPServer
import JobQueue
import Postgres
import ServiceRuntime
import Texts

/// POST /v1/alerts/cap (issue 18): an emergency alert in CAP 1.2 becomes an emergency broadcast to the citizens of
/// its area, each in their language, on every channel they have; an Update replaces the alert it names, a Cancel
/// stops it.
struct CAPAlertsAPI: Sendable {
    let pool: ConnectionPool
    let logger: Logger
    var queue = JobQueue()
    /// Now (tests move it).
    var now: @Sendable () -> Date = { Date() }

    /// The approved WhatsApp template an alert goes out as; its body takes the event, the headline and the
    /// instruction of the citizen's language.
    static let whatsappTemplate = "dakiya_emergency_alert"
    static let fields = ["event", "headline", "instruction"]

    func routes(into router: inout Router) {
        router.post("/v1/alerts/cap") { request in try post(request) }
    }

    struct Accepted: Encodable {
        var alert: String
        var msgType: String
        var status: String
        var broadcastID: PublicID?
        var recipients: Int
        var replaced: [Stopped]
        var location: String?
        enum CodingKeys: String, CodingKey {
            case alert, msgType = "msg_type", status, broadcastID = "broadcast_id", recipients, replaced, location
        }
    }

    struct Stopped: Encodable {
        var alert: String
        var broadcastID: PublicID
        var cancelledMessages: Int
        enum CodingKeys: String, CodingKey {
            case alert, broadcastID = "broadcast_id", cancelledMessages = "cancelled_messages"
        }
    }

    /// The problems of a CAP document as a 422 naming each element.
    static func refusal(_ problems: CAPProblems, detail: String? = nil) -> HTTPError {
        HTTPError(
            status: 422, detail: detail ?? problems.description, type: "urn:dakiya:problem:invalid-cap",
            errors: problems.problems.map { FieldProblem(field: $0.path, detail: $0.message) })
    }

    func post(_ request: Request) throws -> Response {
        try pool.withConnection { connection in
            // Who is asking comes first: a caller without a key learns nothing about the document.
            let key = try APIKeys.require(request.header("authorization"), on: connection)
            return try post(request, key: key, on: connection)
        }
    }

    func post(_ request: Request, key: APIKey, on connection: Connection) throws -> Response {
        let contentType = (request.header("content-type") ?? "").lowercased()
        guard ["application/cap+xml", "application/xml", "text/xml"].contains(where: { contentType.hasPrefix($0) })
        else {
            throw HTTPError(status: 415, detail: "send the alert as application/cap+xml (CAP 1.2 XML)")
        }
        let alert: CAPAlert
        do {
            alert = try CAP.parse(request.body)
        } catch {
            throw Self.refusal(error)
        }
        let reference = [alert.sender, alert.identifier, alert.sent.text].joined(separator: ",")
        guard [.alert, .update, .cancel].contains(alert.messageType) else {
            throw Self.refusal(
                CAPProblems(problems: [
                    .init(
                        path: "alert/msgType",
                        message: "\(alert.messageType.rawValue) is not sent to citizens: Alert, Update or Cancel")
                ]))
        }
        if alert.status == .draft || alert.status == .system {
            throw Self.refusal(
                CAPProblems(problems: [
                    .init(
                        path: "alert/status",
                        message:
                            "\(alert.status.rawValue) is not sent to anyone: Actual (citizens), Test or Exercise (the test endpoints)"
                    )
                ]))
        }
        let seconds = Int64(now().timeIntervalSince1970)
        if alert.messageType != .cancel && alert.hasExpired(at: seconds) {
            throw Self.refusal(
                CAPProblems(problems: [
                    .init(path: "alert/info/expires", message: "the alert has expired: nothing was sent")
                ]))
        }
        guard key.offices.isEmpty else {
            throw HTTPError(
                status: 403,
                detail:
                    "this API key is limited to some offices; an alert's area is not, so it needs a key of the whole department",
                type: "urn:dakiya:problem:forbidden")
        }
        return try connection.transaction { tx in
            // The same alert again: its first answer (a sender's retry). Another department's alert: 409.
            if let earlier = try tx.query(
                "SELECT department, broadcast_id FROM cap_alerts WHERE sender = $1 AND identifier = $2 AND sent = $3",
                [alert.sender, alert.identifier, alert.sent.text]
            ).first {
                guard try earlier.decode(String.self, at: 0) == key.department else {
                    throw HTTPError(
                        status: 409, detail: "an alert \(reference) was received from another department",
                        type: "urn:dakiya:problem:conflict")
                }
                let broadcastID = try earlier.decode(UUID?.self, at: 1)
                return try Response.json(
                    Accepted(
                        alert: reference, msgType: alert.messageType.rawValue, status: "received before",
                        broadcastID: broadcastID.map(PublicID.init),
                        recipients: try broadcastID.map {
                            try tx.query("SELECT recipients FROM broadcasts WHERE id = $1", [$0]).first?.decode(
                                Int.self, at: 0) ?? 0
                        } ?? 0, replaced: [],
                        location: broadcastID.map { "/v1/broadcasts/\($0.uuidString.lowercased())" }),
                    status: 200)
            }
            // An Update or Cancel stops what it names, first; every alert it names must be this department's.
            var replaced: [Stopped] = []
            for (index, named) in alert.references.enumerated() {
                guard
                    let row = try tx.query(
                        "SELECT broadcast_id FROM cap_alerts WHERE sender = $1 AND identifier = $2 AND sent = $3 AND department = $4",
                        [named.sender, named.identifier, named.sent.text, key.department]
                    ).first
                else {
                    throw Self.refusal(
                        CAPProblems(problems: [
                            .init(
                                path: "alert/references[\(index + 1)]",
                                message:
                                    "no alert \(named.sender),\(named.identifier),\(named.sent.text) was received from this department"
                            )
                        ]))
                }
                guard let broadcastID = try row.decode(UUID?.self, at: 0) else { continue }
                if case .cancelled(let messages) = try Broadcasts.cancel(
                    broadcastID, department: key.department, on: tx)
                {
                    replaced.append(
                        Stopped(
                            alert: "\(named.sender),\(named.identifier),\(named.sent.text)",
                            broadcastID: PublicID(broadcastID), cancelledMessages: messages))
                }
            }
            var draft: BroadcastDraft?
            if alert.messageType != .cancel {
                draft = try broadcast(
                    of: alert, department: key.department, apiKeyID: key.id, isTest: key.kind == .test, on: tx)
            }
            if let draft { try Broadcasts.accept(draft, queue: queue, on: tx) }
            try tx.query(
                """
                INSERT INTO cap_alerts (sender, identifier, sent, department, msg_type, status, broadcast_id, document)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                """,
                [
                    alert.sender, alert.identifier, alert.sent.text, key.department, alert.messageType.rawValue,
                    alert.status.rawValue, draft?.id, String(decoding: request.body, as: UTF8.self),
                ])
            logger.info(
                "CAP alert received",
                [
                    "cap.msg_type": alert.messageType.rawValue, "cap.status": alert.status.rawValue,
                    "broadcast.id": draft?.id.uuidString.lowercased() ?? "",
                    "broadcast.recipients": String(draft?.recipients.count ?? 0), "api_key.prefix": key.prefix,
                ])
            let location = draft.map { "/v1/broadcasts/\($0.id.uuidString.lowercased())" }
            return try Response.json(
                Accepted(
                    alert: reference, msgType: alert.messageType.rawValue,
                    status: draft == nil ? "cancelled" : "accepted", broadcastID: draft.map { PublicID($0.id) },
                    recipients: draft?.recipients.count ?? 0, replaced: replaced, location: location),
                status: draft == nil ? 200 : 202, headers: location.map { [("Location", $0)] } ?? [])
        }
    }

    /// The broadcast an Alert or Update becomes: the citizens of its areas (every office named by an `office`
    /// geocode and the offices and villages under it, and every located village or office inside a polygon or a
    /// circle, by their applications), each with the `info` of their language
    /// (else English, else the first), in the emergency lane, on WhatsApp and email. Test and Exercise alerts go to the
    /// test endpoints only.
    func broadcast(of alert: CAPAlert, department: String, apiKeyID: Int64, isTest: Bool, on tx: Connection) throws
        -> BroadcastDraft
    {
        var problems: [CAPProblems.Problem] = []
        var infos: [String: CAPInfo] = [:]
        var order: [String] = []
        for (index, info) in alert.infos.enumerated() {
            let code = String(info.language.lowercased().split(separator: "-").first ?? "en")
            guard Language.named(code) != nil else {
                problems.append(
                    .init(
                        path: "alert/info[\(index + 1)]/language",
                        message: "\(info.language): Dakiya speaks \(Language.codeList)"))
                continue
            }
            if infos[code] == nil {
                infos[code] = info
                order.append(code)
            }
        }
        var offices: [String] = []
        var polygons: [String] = []
        var circles: [CAPCircle] = []
        for (infoIndex, info) in alert.infos.enumerated() {
            for (areaIndex, area) in info.areas.enumerated() {
                let path = "alert/info[\(infoIndex + 1)]/area[\(areaIndex + 1)]"
                // PostgreSQL's polygon literal, x the longitude and y the latitude.
                polygons += area.polygons.map { ring in
                    "(" + ring.map { "(\($0.longitude),\($0.latitude))" }.joined(separator: ",") + ")"
                }
                circles += area.circles
                for (geocodeIndex, geocode) in area.geocodes.enumerated() {
                    guard geocode.name == "office" else {
                        problems.append(
                            .init(
                                path: path + "/geocode[\(geocodeIndex + 1)]/valueName",
                                message:
                                    "\(geocode.name): Dakiya reads valueName office (a code of the office hierarchy)"))
                        continue
                    }
                    offices.append(geocode.value)
                }
            }
        }
        if alert.infos.isEmpty {
            problems.append(.init(path: "alert/info", message: "an Alert or Update needs an info block to send"))
        } else if offices.isEmpty && polygons.isEmpty && circles.isEmpty && problems.isEmpty {
            problems.append(
                .init(
                    path: "alert/info/area",
                    message: "an area with a polygon, a circle or a geocode (valueName office) is needed"))
        }
        if !polygons.isEmpty || !circles.isEmpty,
            try tx.query("SELECT EXISTS (SELECT 1 FROM offices WHERE latitude IS NOT NULL)").first?.decode(
                Bool.self, at: 0) != true
        {
            problems.append(
                .init(
                    path: "alert/info/area",
                    message:
                        "no office or village has a location yet (dakiya-admin offices locations): name the area by a geocode with valueName office"
                ))
        }
        let known = Set(
            try tx.query("SELECT code FROM offices WHERE code = ANY($1)", [offices]).rows.map {
                try $0.decode(String.self, at: 0)
            })
        for office in Set(offices).subtracting(known).sorted() {
            problems.append(
                .init(path: "alert/info/area/geocode", message: "no office \(office) in the office hierarchy"))
        }
        guard problems.isEmpty, let first = order.first else { throw Self.refusal(CAPProblems(problems: problems)) }
        var texts: [String: BroadcastText] = [:]
        var values: [String: [String: String]] = [:]
        for (code, info) in infos {
            let headline = info.headline ?? info.event
            texts[code] = BroadcastText(
                subject: headline,
                body: [headline, info.description, info.instruction, info.web].compactMap { $0 }.joined(
                    separator: "\n\n"))
            values[code] = ["event": info.event, "headline": headline, "instruction": info.instruction ?? ""]
        }
        // The area: the offices named by geocode and everything under them; and the places located inside a polygon
        // or a circle (great-circle distance), where an application's village, else its office, places the citizen.
        let citizens = try tx.query(
            """
            WITH area AS (
                SELECT office_code FROM office_ancestors WHERE ancestor_code = ANY($1)
                UNION SELECT unnest($1::text[])),
            located AS (
                SELECT o.code FROM offices o
                WHERE o.latitude IS NOT NULL
                  AND (EXISTS (SELECT 1 FROM unnest($2::text[]) p WHERE p::polygon @> point(o.longitude, o.latitude))
                       OR EXISTS (SELECT 1 FROM unnest($3::float8[], $4::float8[], $5::float8[]) AS c(lat, lon, km)
                                  WHERE 2 * 6371.0088 * asin(least(1, sqrt(
                                        sin(radians(o.latitude - c.lat) / 2) ^ 2
                                        + cos(radians(c.lat)) * cos(radians(o.latitude)) * sin(radians(o.longitude - c.lon) / 2) ^ 2)))
                                        <= c.km))),
            placed AS (
                SELECT a.citizen_id FROM applications a
                WHERE a.office_code IN (SELECT office_code FROM area) OR a.village_code IN (SELECT office_code FROM area)
                UNION
                SELECT a.citizen_id FROM applications a WHERE a.village_code IN (SELECT code FROM located)
                UNION
                SELECT a.citizen_id FROM applications a
                WHERE a.village_code IS NULL AND a.office_code IN (SELECT code FROM located))
            SELECT c.portal_user_id, c.language FROM citizens c WHERE c.id IN (SELECT citizen_id FROM placed)
            ORDER BY c.id
            """,
            [
                Array(Set(offices)), polygons, circles.map(\.center.latitude), circles.map(\.center.longitude),
                circles.map(\.radiusKilometres),
            ]
        ).rows
        let fallback = infos["en"] == nil ? first : "en"
        let recipients = try citizens.enumerated().map { index, row -> AudienceRow in
            let language = try row.decode(String.self, at: 1)
            let chosen = infos[language] == nil ? fallback : language
            return AudienceRow(
                line: index + 2, citizen: try row.decode(String.self, at: 0), language: chosen,
                fields: values[chosen] ?? [:])
        }
        let expiries = alert.infos.compactMap(\.expires)
        let expires =
            expiries.count == alert.infos.count
            ? expiries.map(\.epochSeconds).max().map { Date(timeIntervalSince1970: TimeInterval($0)) } : nil
        return BroadcastDraft(
            id: UUID.timeOrdered(), department: department, apiKeyID: apiKeyID,
            isTest: isTest || alert.isForTestRecipientsOnly,
            name: String(
                String.UnicodeScalarView(
                    (infos[fallback]?.headline ?? infos[fallback]?.event ?? alert.identifier).unicodeScalars.prefix(200)
                )),
            lane: "emergency", channels: ["whatsapp", "email"], whatsappTemplate: Self.whatsappTemplate,
            templateCategory: "utility", fields: Self.fields, texts: texts, scheduledFor: nil, expiresAt: expires,
            recipients: recipients, repeatedRows: 0)
    }
}
