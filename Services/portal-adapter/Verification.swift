import Cryptography
import Delivery
import Foundation
import WebPages
import HTTPServer
import Postgres
import SealRegistry
import Seals
import ServiceRuntime

/// The public face of the seals: the page a QR opens (valid / revoked / not genuine, in Marathi, Hindi, Telugu or
/// English), the same as JSON, "check this PDF", the key registry at its well-known address, the status list of
/// revoked certificates, and the department's revocation call. Server-rendered HTML that works without
/// JavaScript; no personal data on any of it.
struct Verification: Sendable {
    let pool: ConnectionPool

    /// What a seal or a PDF turned out to be.
    struct Verdict: Encodable, Equatable {
        enum State: String, Encodable { case valid, revoked, notGenuine = "not_genuine" }
        var state: State
        /// Why it is not genuine (for people and machines), when it is not.
        var reason: String?
        var certificateID: String?
        var issuedBy: String?
        var department: String?
        var documentType: String?
        var issuedOn: String?
        var logIndex: Int?
        var revokedAt: Date?
        var revocationReason: String?

        enum CodingKeys: String, CodingKey {
            case state, reason, certificateID = "certificate_id", issuedBy = "issued_by", department
            case documentType = "document_type", issuedOn = "issued_on", logIndex = "log_index"
            case revokedAt = "revoked_at", revocationReason = "revocation_reason"
        }
    }

    func routes(into router: inout Router) {
        for prefix in ["/v", "/V"] {
            router.get(prefix + "/{seal}") { request in try page(for: request, seal: try request.parameter("seal")) }
        }
        router.get("/v") { request in respond(request, verdict: nil) }
        router.post("/v/check") { request in try check(request) }
        router.get("/.well-known/dakiya-seal-keys.json") { _ in
            struct Registry: Encodable { var keys: [SealRegistry.PublishedKey] }
            return try Response.json(
                Registry(keys: try pool.withConnection { try SealRegistry.publishedKeys(on: $0) }),
                headers: [("Cache-Control", "public, max-age=300")])
        }
        router.get("/v1/seals/revoked") { _ in
            struct Revoked: Encodable {
                var certificateID: String
                var revokedAt: Date
                var reason: String
                enum CodingKeys: String, CodingKey {
                    case certificateID = "certificate_id", revokedAt = "revoked_at", reason
                }
            }
            struct StatusList: Encodable {
                var generatedAt: Date; var revoked: [Revoked]
                enum CodingKeys: String, CodingKey { case generatedAt = "generated_at", revoked }
            }
            let revoked = try pool.withConnection { try SealRegistry.revoked(on: $0) }
            return try Response.json(
                StatusList(
                    generatedAt: Date(),
                    revoked: revoked.map {
                        Revoked(certificateID: $0.certificateID, revokedAt: $0.at, reason: $0.reason)
                    }),
                headers: [("Cache-Control", "public, max-age=60")])
        }
        router.post("/v1/certificates/{certificateId}/revoke") { request in try revoke(request) }
    }

    // MARK: Verifying

    /// The verdict on a seal's text (from the QR or typed).
    func verdict(seal text: String, on connection: Connection) throws -> Verdict {
        let seal: Seal
        do { seal = try Seal(text: text) } catch let error as Seal.Malformed {
            return Verdict(state: .notGenuine, reason: "malformed: \(error.reason)")
        }
        guard let canonical = try? seal.text(), let record = try SealRegistry.find(seal: canonical, on: connection)
        else {
            return Verdict(state: .notGenuine, reason: "no certificate was sealed with this seal")
        }
        guard seal.isSigned(by: record.publicKey) else {
            return Verdict(state: .notGenuine, reason: "the seal's signature does not verify")
        }
        // A retired key's seals made before it was retired stay valid (the log shows when each was issued).
        if let retired = record.keyRetiredAt, record.issuedOn > Self.day(retired) {
            return Verdict(state: .notGenuine, reason: "the seal is dated after its key was retired")
        }
        return verdict(of: record)
    }

    func verdict(of record: SealRegistry.Record) -> Verdict {
        Verdict(
            state: record.revokedAt == nil ? .valid : .revoked, certificateID: record.certificateID,
            issuedBy: record.departmentName, department: record.department, documentType: record.documentType,
            issuedOn: record.issuedOn, logIndex: record.logIndex, revokedAt: record.revokedAt,
            revocationReason: record.revocationReason)
    }

    static func day(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Kolkata")!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    func page(for request: Request, seal text: String) throws -> Response {
        let verdict = try pool.withConnection { try self.verdict(seal: text, on: $0) }
        return respond(request, verdict: verdict)
    }

    /// "Check this PDF": the exact bytes of a certificate we delivered (or a digitally signed original we sealed
    /// beside it). A multipart form (field `pdf`) or a raw `application/pdf` body.
    func check(_ request: Request) throws -> Response {
        let contentType = request.header("content-type") ?? ""
        var pdf: [UInt8] = request.body
        if contentType.lowercased().hasPrefix("multipart/form-data") {
            guard
                let part = try MultipartForm.parse(request.body, contentType: contentType).first(where: {
                    $0.name == "pdf"
                })
            else { throw HTTPError.badRequest("attach the PDF as the form field \"pdf\"", field: "pdf") }
            pdf = part.body
        } else if !contentType.lowercased().hasPrefix("application/pdf") {
            throw HTTPError(status: 415, detail: "send the PDF as multipart/form-data (field pdf) or application/pdf")
        }
        guard pdf.starts(with: Array("%PDF-".utf8)) else {
            throw HTTPError.unprocessable("the file is not a PDF", field: "pdf")
        }
        let record = try pool.withConnection { try SealRegistry.find(pdfSHA256: SHA256.hash(pdf), on: $0) }
        let verdict =
            record.map(verdict(of:))
            ?? Verdict(state: .notGenuine, reason: "these bytes are not exactly a certificate we delivered")
        return respond(request, verdict: verdict)
    }

    // MARK: Revoking

    func revoke(_ request: Request) throws -> Response {
        let key = try pool.withConnection { try APIKeys.require(request.header("authorization"), on: $0) }
        struct Body: Decodable { var reason: String }
        // The project's strict body decoding: 415, 400 naming the field, 422 for unknown fields.
        let body = try request.decodeJSON(Body.self)
        guard let reason = SealRegistry.RevocationReason(rawValue: body.reason) else {
            throw HTTPError.badRequest(
                "reason must be one of "
                    + SealRegistry.RevocationReason.allCases.map(\.rawValue).joined(separator: ", "), field: "reason")
        }
        let certificateID = try request.parameter("certificateId")
        let revoked = try pool.withConnection {
            try SealRegistry.revoke(certificateID: certificateID, department: key.department, reason: reason, on: $0)
        }
        guard revoked else {
            throw HTTPError.notFound("no certificate \(certificateID) of \(key.department) that is not already revoked")
        }
        struct Answer: Encodable {
            var certificateID: String; var state = "revoked"; var reason: String
            enum CodingKeys: String, CodingKey { case certificateID = "certificate_id", state, reason }
        }
        return try Response.json(Answer(certificateID: certificateID, reason: reason.rawValue))
    }

    // MARK: Pages

    /// JSON for machines (`Accept: application/json` or `?format=json`), otherwise the page.
    func respond(_ request: Request, verdict: Verdict?) -> Response {
        if request.query["format"] == "json" || (request.header("accept") ?? "").contains("application/json"),
            let verdict, let response = try? Response.json(verdict)
        {
            return response
        }
        let language = WebPage.language(
            query: request.query["lang"], accept: request.header("accept-language"))
        // People read the document's name in their language (the catalogue's), not its code.
        var shown = verdict
        if let code = verdict?.documentType,
            let name = try? pool.withConnection({
                try $0.query("SELECT service_name($1, $2)", [code, language]).first?.decode(String.self, at: 0)
            })
        {
            shown?.documentType = name
        }
        var response = Response(
            status: 200, body: Array(VerificationTexts.page(shown, language: language).utf8),
            contentType: "text/html; charset=utf-8")
        response.headers.append(("Cache-Control", "no-store"))
        response.headers.append(("Content-Language", language))
        return response
    }
}
