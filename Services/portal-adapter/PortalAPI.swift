import Cryptography
import Delivery
import Foundation
import Texts
import HTTPServer
import JobContracts
import JobQueue
import Postgres
import ServiceHost
import ServiceRuntime

/// The portal's API under /v1: citizens, outcomes, deliveries.
struct PortalAPI: Sendable {
    let pool: ConnectionPool
    let logger: Logger
    /// Certificates larger than this (decoded) get 413.
    let maximumCertificateBytes: Int
    /// Signs certificate links (HMAC-SHA256).
    var linkKey: [UInt8] = []
    /// During a key changeover, the key links were signed with before (DAKIYA_LINK_SIGNING_KEY_PREVIOUS): links it
    /// signed still open until they expire; new links are signed with `linkKey` only.
    var previousLinkKey: [UInt8]?
    /// How long a certificate link works.
    var linkLifetime = 900
    /// How long certificate bytes are kept.
    var documentRetentionDays = 365
    /// Enqueues what a read of the inbox causes (the dispatcher's settle).
    var queue = JobQueue()
    /// Unix seconds now (tests move it).
    var now: @Sendable () -> Int = { Int(Timestamp.nowMicroseconds() / 1_000_000) }

    func makeRouter() -> Router {
        var router = Router()
        router.put("/v1/citizens/{portalUserId}") { request in try putCitizen(request) }
        router.post("/v1/applications/{applicationId}/outcome") { request in try postOutcome(request) }
        router.post("/v1/applications/{applicationId}/steps") { request in try postStep(request) }
        router.get("/v1/applications/{applicationId}/shortfalls") { request in try getShortfalls(request) }
        router.get("/v1/applications/{applicationId}/shortfall-replies/{replyId}/file") { request in
            try getShortfallFile(request)
        }
        router.get("/v1/deliveries/{id}") { request in try getDelivery(request) }
        router.get("/v1/applications/{applicationId}/deliveries") { request in try getApplicationDeliveries(request) }
        router.get("/v1/citizens/{portalUserId}/inbox") { request in try getInbox(request) }
        router.get("/v1/documents/{deliveryId}") { request in try getDocument(request) }
        router.get("/v1/documents/{deliveryId}/verification-slip") { request in try getDocument(request, slip: true) }
        router.get("/openapi.json") { _ in try openAPIDocument() }
        return router
    }

    // MARK: Authentication

    func authenticate(_ request: Request, on connection: Connection) throws -> APIKey {
        try APIKeys.require(request.header("authorization"), on: connection)
    }

    // MARK: Citizens

    /// A citizen's record as the portal sends it. Omitted fields keep their value; `null` removes a mobile or email.
    struct CitizenBody: Decodable {
        var mobile: FieldChange<String> = .keep
        var email: FieldChange<String> = .keep
        var language: String?
        var languageIsNull = false
        var consents: [ConsentBody]?

        enum CodingKeys: String, CodingKey { case mobile, email, language, consents }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            func change(_ key: CodingKeys) throws -> FieldChange<String> {
                guard container.contains(key) else { return .keep }
                return try container.decodeNil(forKey: key)
                    ? .clear : .set(try container.decode(String.self, forKey: key))
            }
            mobile = try change(.mobile)
            email = try change(.email)
            languageIsNull = container.contains(.language) ? try container.decodeNil(forKey: .language) : false
            language = try container.decodeIfPresent(String.self, forKey: .language)
            consents = try container.decodeIfPresent([ConsentBody].self, forKey: .consents)
        }
    }

    struct ConsentBody: Decodable {
        var channel: String
        var granted: Bool
        var source: String
        var recordedAt: Date?
        enum CodingKeys: String, CodingKey { case channel, granted, source, recordedAt = "recorded_at" }
    }

    struct CitizenResponse: Encodable {
        var portalUserID: String
        var mobile: String?
        var email: String?
        var language: String
        var consents: [Consent]
        enum CodingKeys: String, CodingKey { case portalUserID = "portal_user_id", mobile, email, language, consents }
    }

    /// Creates or changes a citizen's record. Contact details and consents are the citizen's, kept by the portal:
    /// only a key with the `citizens` scope may write them (403 otherwise, and nothing changes).
    func putCitizen(_ request: Request) throws -> Response {
        try pool.withConnection { connection in
            let key = try authenticate(request, on: connection)
            guard key.keepsCitizens else {
                throw HTTPError(
                    status: 403,
                    detail:
                        "this API key may not change citizens' records: their contact details and consents are kept by the portal's key (scope citizens)",
                    type: "urn:dakiya:problem:forbidden")
            }
            let portalUserID = try request.parameter("portalUserId")
            guard (1...128).contains(portalUserID.unicodeScalars.count) else {
                throw HTTPError.badRequest("portalUserId must be 1 to 128 characters", field: "portalUserId")
            }
            let body = try request.decodeJSON(CitizenBody.self)
            var problems: [FieldProblem] = []
            func normalized(
                _ change: FieldChange<String>, field: String, _ normalize: (String) -> String?, detail: String
            ) -> FieldChange<String> {
                guard case .set(let raw) = change else { return change }
                guard let value = normalize(raw) else {
                    problems.append(FieldProblem(field: field, detail: detail))
                    return .keep
                }
                return .set(value)
            }
            let mobile = normalized(
                body.mobile, field: "mobile", Normalization.mobile,
                detail: "mobile must be a phone number in E.164 form, e.g. +919876543210")
            let email = normalized(
                body.email, field: "email", Normalization.email, detail: "email is not a valid address")
            var language: Language?
            if body.languageIsNull {
                problems.append(
                    FieldProblem(
                        field: "language",
                        detail: "language cannot be removed; send one of \(Language.codeList) or leave it out"))
            } else if let raw = body.language {
                language = Language(rawValue: raw)
                if language == nil {
                    problems.append(
                        FieldProblem(field: "language", detail: "language must be one of \(Language.codeList)"))
                }
            }
            var consents: [Consent] = []
            for (index, consent) in (body.consents ?? []).enumerated() {
                guard let channel = Channel(rawValue: consent.channel) else {
                    problems.append(
                        FieldProblem(
                            field: "consents[\(index)].channel",
                            detail: "channel must be one of portal, whatsapp, email"))
                    continue
                }
                let source = consent.source.trimmingCharacters(in: .whitespaces)
                guard (1...64).contains(source.unicodeScalars.count) else {
                    problems.append(
                        FieldProblem(field: "consents[\(index)].source", detail: "source must be 1 to 64 characters"))
                    continue
                }
                consents.append(
                    Consent(
                        channel: channel, granted: consent.granted, source: source,
                        recordedAt: consent.recordedAt ?? Date()))
            }
            if !problems.isEmpty {
                throw HTTPError(
                    status: 422, detail: problems.map(\.detail).joined(separator: "; "),
                    type: "urn:dakiya:problem:invalid-field", errors: problems)
            }
            let citizen = try Citizens.put(
                portalUserID: portalUserID, mobile: mobile, email: email, language: language, consents: consents,
                by: key.id, on: connection)
            logger.info("citizen written", ["api_key.prefix": key.prefix])
            return try Response.json(
                CitizenResponse(
                    portalUserID: citizen.portalUserID, mobile: citizen.mobile, email: citizen.email,
                    language: citizen.language.rawValue, consents: citizen.consents))
        }
    }

    // MARK: Outcomes

    struct OutcomeBody: Decodable {
        var citizen: String
        var decision: String
        var reasons: [String]?
        var service: String
        var office: String
        var language: String?
        var channels: [String]?
        var certificate: CertificateBody?
        var village: String?
    }

    struct CertificateBody: Decodable {
        var fileName: String
        var contentBase64: String
        enum CodingKeys: String, CodingKey { case fileName = "file_name", contentBase64 = "content_base64" }
    }

    struct OutcomeAccepted: Codable {
        var deliveryID: PublicID
        var applicationID: String
        var status: String
        var location: String
        enum CodingKeys: String, CodingKey {
            case deliveryID = "delivery_id", applicationID = "application_id", status, location
        }
    }

    func postOutcome(_ request: Request) throws -> Response {
        guard let idempotencyKey = try IdempotentRequests.key(request, required: true) else {
            throw HTTPError.badRequest("Idempotency-Key is required")
        }
        let applicationID = Normalization.applicationID(try request.parameter("applicationId"))
        guard (1...128).contains(applicationID.unicodeScalars.count) else {
            throw HTTPError.badRequest("applicationId must be 1 to 128 characters", field: "applicationId")
        }
        return try pool.withConnection { connection in
            let key = try authenticate(request, on: connection)
            let (outcome, bodyHash) = try readOutcome(request)
            // The key's scope is the department; what it fingerprints is the whole request: method, path and body.
            let requestHash = IdempotentRequests.fingerprint(
                method: "POST", path: "/v1/applications/\(applicationID)/outcome", bodyHash: bodyHash)
            guard key.covers(office: outcome.office) else {
                throw HTTPError(
                    status: 403, detail: "this API key does not cover office \(outcome.office)",
                    type: "urn:dakiya:problem:forbidden")
            }
            let deliveryID = UUID.timeOrdered()
            let location = "/v1/deliveries/\(deliveryID.uuidString.lowercased())"
            let response = try Response.json(
                OutcomeAccepted(
                    deliveryID: PublicID(deliveryID), applicationID: applicationID, status: "pending",
                    location: location),
                status: 202, headers: [("Location", location)])
            // Without a certificate the accept is one statement; a certificate is stored first, in the same transaction.
            let accepted =
                try outcome.certificate == nil
                ? accept(
                    outcome, deliveryID: deliveryID, applicationID: applicationID, key: key,
                    idempotencyKey: idempotencyKey,
                    requestHash: requestHash, response: response, on: connection)
                : connection.transaction { tx in
                    try accept(
                        outcome, deliveryID: deliveryID, applicationID: applicationID, key: key,
                        idempotencyKey: idempotencyKey,
                        requestHash: requestHash, response: response, on: tx)
                }
            if accepted {
                logger.info(
                    "outcome accepted",
                    ["delivery.id": deliveryID.uuidString.lowercased(), "api_key.prefix": key.prefix])
                return response
            }
            // The key was used before (a concurrent request with it waited for that one to commit): replay its answer.
            return try IdempotentRequests.replay(
                .department(key.department), key: idempotencyKey, fingerprint: requestHash, on: connection)
        }
    }

    struct ValidOutcome {
        var citizen: String
        var decision: String
        var reasons: [String]
        var service: String
        var office: String
        var language: Language?
        var channels: [Channel]?
        var certificate: (fileName: String, bytes: [UInt8])?
        var village: String?
    }

    /// The outcome from a JSON body (certificate in base64) or a multipart/form-data body (an `outcome` JSON
    /// part and a `certificate` file part), with the hash that identifies the request for idempotency. The
    /// multipart hash covers the parts, not the boundary, so a retry with a new boundary is the same request.
    func readOutcome(_ request: Request) throws -> (ValidOutcome, [UInt8]) {
        let contentType = request.header("content-type") ?? ""
        guard contentType.lowercased().hasPrefix("multipart/form-data") else {
            return (
                try validate(try request.decodeJSON(OutcomeBody.self, freeText: ["reasons"])), SHA256.hash(request.body)
            )
        }
        let parts = try MultipartForm.parse(request.body, contentType: contentType)
        guard let outcomePart = parts.first(where: { $0.name == "outcome" }) else {
            throw HTTPError.badRequest("the multipart body needs an `outcome` part holding the JSON", field: "outcome")
        }
        let body = try Request.decodeJSON(OutcomeBody.self, from: outcomePart.body, freeText: ["reasons"])
        let file = parts.first { $0.name == "certificate" }
        if file != nil && body.certificate != nil {
            throw HTTPError.unprocessable(
                "send the certificate once: as the `certificate` part or in the JSON, not both", field: "certificate")
        }
        var outcome = try validate(body)
        var identity = Array("multipart\u{0}".utf8) + outcomePart.body
        if let file {
            let fileName = file.fileName ?? "certificate.pdf"
            outcome.certificate = try checkCertificate(file.body, fileName: fileName, field: "certificate")
            identity += [0] + Array(fileName.utf8) + [0] + file.body
        }
        return (outcome, SHA256.hash(identity))
    }

    func checkCertificate(_ bytes: [UInt8], fileName: String, field: String, nameField: String? = nil) throws -> (
        fileName: String, bytes: [UInt8]
    ) {
        try UploadedPDF.check(
            bytes, fileName: fileName, maximumBytes: maximumCertificateBytes, what: "certificate", field: field,
            nameField: nameField)
    }

    func validate(_ body: OutcomeBody) throws -> ValidOutcome {
        var problems: [FieldProblem] = []
        let decision = body.decision.lowercased()
        if !["approved", "rejected", "other"].contains(decision) {
            problems.append(FieldProblem(field: "decision", detail: "decision must be approved, rejected or other"))
        }
        let reasons = (body.reasons ?? []).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter {
            !$0.isEmpty
        }
        if decision == "rejected" && reasons.isEmpty {
            problems.append(
                FieldProblem(
                    field: "reasons",
                    detail:
                        "a rejection needs at least one reason: the citizen is owed them, and an appeal rests on them"))
        }
        if reasons.contains(where: { $0.unicodeScalars.count > 1000 }) {
            problems.append(FieldProblem(field: "reasons", detail: "each reason is at most 1000 characters"))
        }
        let (language, channels) = Self.checkAddressing(
            citizen: body.citizen, service: body.service, office: body.office, village: body.village,
            language: body.language, channels: body.channels, problems: &problems)
        if !problems.isEmpty {
            throw HTTPError(
                status: 422, detail: problems.map(\.detail).joined(separator: "; "),
                type: "urn:dakiya:problem:invalid-field", errors: problems)
        }
        var certificate: (fileName: String, bytes: [UInt8])?
        if let document = body.certificate {
            guard let bytes = Data(base64Encoded: document.contentBase64).map(Array.init) else {
                throw HTTPError.badRequest(
                    "certificate.content_base64 is not valid base64", field: "certificate.content_base64")
            }
            certificate = try checkCertificate(
                bytes, fileName: document.fileName, field: "certificate.content_base64",
                nameField: "certificate.file_name")
        }
        return ValidOutcome(
            citizen: body.citizen.trimmingCharacters(in: .whitespaces), decision: decision, reasons: reasons,
            service: body.service.trimmingCharacters(in: .whitespaces),
            office: body.office.trimmingCharacters(in: .whitespaces),
            language: language, channels: channels, certificate: certificate, village: body.village)
    }

    /// What an outcome and a step both name, checked the same way: the citizen, service and office (1 to 128
    /// characters), the village's code, the language and the channels. Adds a problem per bad field; returns the
    /// language and channels read.
    static func checkAddressing(
        citizen: String, service: String, office: String, village: String?, language: String?, channels: [String]?,
        problems: inout [FieldProblem]
    ) -> (Language?, [Channel]?) {
        for (field, value) in [("citizen", citizen), ("service", service), ("office", office)]
        where value.trimmingCharacters(in: .whitespaces).isEmpty || value.unicodeScalars.count > 128 {
            problems.append(FieldProblem(field: field, detail: "\(field) must be 1 to 128 characters"))
        }
        if let village, village.range(of: "^[A-Z0-9][A-Z0-9_-]{0,63}$", options: .regularExpression) == nil {
            problems.append(
                FieldProblem(field: "village", detail: "village must be a village's code from the office hierarchy"))
        }
        let parsedLanguage = language.flatMap(Language.init(rawValue:))
        if language != nil && parsedLanguage == nil {
            problems.append(FieldProblem(field: "language", detail: "language must be one of \(Language.codeList)"))
        }
        var parsedChannels: [Channel]?
        if let channels {
            parsedChannels = []
            for (index, name) in channels.enumerated() {
                if let channel = Channel(rawValue: name) {
                    parsedChannels?.append(channel)
                } else {
                    problems.append(
                        FieldProblem(
                            field: "channels[\(index)]", detail: "channel must be one of portal, whatsapp, email"))
                }
            }
        }
        return (parsedLanguage, parsedChannels)
    }

    /// A village a request names must be one of the office hierarchy (422 naming the field otherwise).
    static func checkVillage(_ village: String?, on connection: Connection) throws {
        guard let village,
            try connection.query("SELECT 1 FROM offices WHERE code = $1 AND type = 'village'", [village]).rows.isEmpty
        else { return }
        throw HTTPError.unprocessable(
            "no village \(village) in the office hierarchy (dakiya-admin offices import)", field: "village")
    }

    /// The accept: a certificate is stored first (once per content), inside the caller's transaction, then the
    /// outcome is recorded in one statement (`OutcomeRecord`). False when the key was already used: nothing is
    /// written. A refusal (unknown citizen, another department's or another citizen's application) leaves nothing.
    func accept(
        _ outcome: ValidOutcome, deliveryID: UUID, applicationID: String, key: APIKey, idempotencyKey: String,
        requestHash: [UInt8],
        response: Response, on connection: Connection
    ) throws -> Bool {
        try Self.checkVillage(outcome.village, on: connection)
        var documentID: Int64?
        if let certificate = outcome.certificate {
            documentID = try Documents.store(
                certificate.bytes, fileName: certificate.fileName, retentionDays: documentRetentionDays, on: connection)
        }
        let record = OutcomeRecord(
            applicationID: applicationID, department: key.department, service: outcome.service,
            office: outcome.office, citizen: outcome.citizen, deliveryID: deliveryID, apiKeyID: key.id,
            isTest: key.kind == .test, decision: outcome.decision, reasons: outcome.reasons,
            language: outcome.language?.rawValue, documentID: documentID,
            documentFileName: outcome.certificate?.fileName, channels: outcome.channels?.map(\.rawValue),
            offices: key.offices, idempotencyKey: idempotencyKey, requestHash: requestHash,
            responseStatus: response.status, responseBody: String(decoding: response.body, as: UTF8.self),
            responseLocation: response.headers.first { $0.0 == "Location" }?.1, village: outcome.village)
        do {
            return try record.record(on: connection) == .accepted
        } catch OutcomeRecord.Refusal.unknownCitizen {
            throw HTTPError.unprocessable(
                "no citizen \(outcome.citizen): register them with PUT /v1/citizens/{portalUserId} first",
                field: "citizen",
                type: "urn:dakiya:problem:unknown-citizen")
        } catch OutcomeRecord.Refusal.outsideKey {
            // Another department's application, or another office's for a key limited to some offices: the same answer
            // as an application that does not exist, so ids outside the key's scope cannot be probed.
            throw HTTPError.notFound("no application \(applicationID) for this API key")
        } catch OutcomeRecord.Refusal.otherCitizen {
            throw HTTPError.unprocessable("application \(applicationID) belongs to another citizen", field: "citizen")
        }
    }

    // MARK: Deliveries

    func getDelivery(_ request: Request) throws -> Response {
        try pool.withConnection { connection in
            let key = try authenticate(request, on: connection)
            guard let id = UUID(uuidString: try request.parameter("id")),
                let view = try DeliveryViews.find(
                    id: id, department: key.department, offices: key.offices, on: connection)
            else {
                throw HTTPError.notFound("no delivery with this id for this API key")
            }
            return try Response.json(view)
        }
    }

    func getApplicationDeliveries(_ request: Request) throws -> Response {
        try pool.withConnection { connection in
            let key = try authenticate(request, on: connection)
            let applicationID = Normalization.applicationID(try request.parameter("applicationId"))
            // Another department's application, or another office's for an office key, is answered as one that does not exist.
            guard let application = try Applications.find(portalID: applicationID, on: connection),
                application.department == key.department, key.covers(office: application.office)
            else {
                throw HTTPError.notFound("no application \(applicationID) for this API key")
            }
            struct Listing: Encodable {
                var applicationID: String; var deliveries: [DeliveryView]
                enum CodingKeys: String, CodingKey { case applicationID = "application_id", deliveries }
            }
            return try Response.json(
                Listing(
                    applicationID: applicationID,
                    deliveries: try DeliveryViews.forApplication(application.id, on: connection)))
        }
    }

    // MARK: The API description

    /// The OpenAPI 3.1 document shipped with this build.
    func openAPIDocument() throws -> Response {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"),
            let data = FileManager.default.contents(atPath: url.path)
        else {
            throw HTTPError(status: 500, detail: "the OpenAPI document is missing from this build")
        }
        return Response(status: 200, body: Array(data), contentType: "application/json")
    }

    // MARK: The portal inbox

    struct InboxItem: Encodable {
        struct Certificate: Encodable {
            var fileName: String
            var size: Int
            var url: String
            var expiresAt: Date
            enum CodingKeys: String, CodingKey { case fileName = "file_name", size, url, expiresAt = "expires_at" }
        }
        var deliveryID: PublicID
        var applicationID: String
        var service: String
        var office: String
        var decision: String
        var step: String?
        var detail: [String: String]?
        var reasons: [String]
        /// The certificate's seal: where to verify it, and for a digitally signed certificate (delivered unchanged)
        /// the verification slip that carries its QR.
        struct Seal: Encodable {
            var certificateID: String
            var verificationURL: String?
            var verificationSlip: Certificate?
            enum CodingKeys: String, CodingKey {
                case certificateID = "certificate_id", verificationURL = "verification_url"
                case verificationSlip = "verification_slip"
            }
        }
        var deliveredAt: Date?
        var readAt: Date?
        var certificate: Certificate?
        var seal: Seal?
        enum CodingKeys: String, CodingKey {
            case deliveryID = "delivery_id", applicationID = "application_id", service, office, decision, step, detail
            case reasons, deliveredAt = "delivered_at", readAt = "read_at", certificate, seal
        }
    }

    /// The citizen's outcomes from this department, newest first, each certificate behind a fresh signed link.
    func getInbox(_ request: Request) throws -> Response {
        try pool.withConnection { connection in
            let key = try authenticate(request, on: connection)
            let portalUserID = try request.parameter("portalUserId")
            // A citizen is in a key's scope when the key keeps citizens' records, or when the citizen has an application
            // the key may read; otherwise the answer is the same as for a citizen who does not exist.
            guard try CitizenViews.isVisible(portalUserID: portalUserID, to: key, on: connection) else {
                throw HTTPError.notFound("no citizen \(portalUserID) for this API key")
            }
            let expires = now() + linkLifetime
            let items = try CitizenViews.inbox(portalUserID: portalUserID, for: key, on: connection).map { row in
                InboxItem(
                    deliveryID: PublicID(row.deliveryID), applicationID: row.applicationID, service: row.service,
                    office: row.office, decision: row.decision, step: row.step, detail: row.detail,
                    reasons: row.reasons, deliveredAt: row.deliveredAt,
                    readAt: row.readAt,
                    certificate: row.certificate.map {
                        InboxItem.Certificate(
                            fileName: $0.fileName, size: $0.size, url: documentLink(row.deliveryID, expires: expires),
                            expiresAt: Date(timeIntervalSince1970: Double(expires)))
                    },
                    seal: row.seal.map { seal in
                        InboxItem.Seal(
                            certificateID: seal.certificateID, verificationURL: seal.url,
                            verificationSlip: seal.slip.map {
                                InboxItem.Certificate(
                                    fileName: $0.fileName, size: $0.size,
                                    url: documentLink(row.deliveryID, expires: expires, slip: true),
                                    expiresAt: Date(timeIntervalSince1970: Double(expires)))
                            })
                    })
            }
            struct Inbox: Encodable {
                var portalUserID: String; var items: [InboxItem]
                enum CodingKeys: String, CodingKey { case portalUserID = "portal_user_id", items }
            }
            return try Response.json(Inbox(portalUserID: portalUserID, items: items))
        }
    }

    /// `/v1/documents/{id}?expires=…&sig=…` (the certificate) or `/v1/documents/{id}/verification-slip?…` (its
    /// slip): the link itself is the permission, so it is unguessable and short-lived, and a certificate's link does
    /// not open its slip or the other way round.
    func documentLink(_ deliveryID: UUID, expires: Int, slip: Bool = false) -> String {
        let id = deliveryID.uuidString.lowercased()
        return
            "/v1/documents/\(id)\(slip ? "/verification-slip" : "")?expires=\(expires)&sig=\(Base64URL.encode(HMAC.sha256(key: linkKey, message: Self.linkMessage(id, expires, slip: slip))))"
    }

    static func linkMessage(_ id: String, _ expires: Int, slip: Bool) -> [UInt8] {
        Array("\(id)\(slip ? ".slip" : "").\(expires)".utf8)
    }

    /// Serves a certificate (or its verification slip) through a signed link: 404 for a wrong signature (or no such
    /// document), 410 after expiry.
    func getDocument(_ request: Request, slip: Bool = false) throws -> Response {
        let rawID = try request.parameter("deliveryId").lowercased()
        guard let deliveryID = UUID(uuidString: rawID), let expires = request.query["expires"].flatMap(Int.init),
            let signature = request.query["sig"].flatMap(Base64URL.decode),
            ([linkKey] + (previousLinkKey.map { [$0] } ?? [])).contains(where: {
                HMAC.isValid(
                    signature, key: $0,
                    message: Self.linkMessage(deliveryID.uuidString.lowercased(), expires, slip: slip))
            })
        else {
            throw HTTPError.notFound("no such document")
        }
        guard now() <= expires else {
            throw HTTPError(status: 410, detail: "this link has expired; open the inbox again for a fresh one")
        }
        return try pool.withConnection { connection in
            guard
                let document = try slip
                    ? Documents.verificationSlip(deliveryID, on: connection)
                    : Documents.delivered(deliveryID, on: connection)
            else {
                throw HTTPError.notFound("no such document")
            }
            guard !document.isPurged else {
                throw HTTPError(
                    status: 410,
                    detail:
                        "this certificate is past its retention period and is no longer kept; ask the office for a copy"
                )
            }
            try ChannelAttempts.markPortalRead(deliveryID: deliveryID, queue: queue, on: connection)
            let fileName = document.fileName
            let ascii =
                fileName.unicodeScalars.allSatisfy { $0.isASCII && $0 != "\"" && $0.value >= 0x20 }
                ? fileName : "certificate.pdf"
            let encoded = fileName.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "certificate.pdf"
            return Response(
                status: 200, body: document.bytes, contentType: document.mediaType,
                headers: [
                    ("Content-Disposition", "attachment; filename=\"\(ascii)\"; filename*=UTF-8''\(encoded)"),
                    ("Cache-Control", "private, no-store"),
                ])
        }
    }

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}
