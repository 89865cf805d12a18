import Foundation
import ServiceRuntime

/// One field-level problem inside a problem+json body.
package struct FieldProblem: Sendable, Equatable, Codable {
    /// Dotted path of the field, e.g. `citizen.mobile` or `channels[1]`.
    package var field: String
    /// JSON Pointer to the field (RFC 6901), e.g. `/citizen/mobile`.
    package var pointer: String
    package var detail: String

    /// A problem with `field`, explained by `detail`.
    package init(field: String, detail: String) {
        self.field = field
        self.detail = detail
        self.pointer =
            "/"
            + field.replacingAll("[", with: ".").replacingAll("]", with: "").split(separator: ".").joined(
                separator: "/")
    }
}

/// An error an HTTP handler throws: it carries the status and becomes an RFC 9457 problem+json response.
package struct HTTPError: Error, CustomStringConvertible, Sendable {
    package var status: Int
    package var title: String
    package var detail: String?
    /// A URI naming the problem type; `about:blank` when the status says it all.
    package var type: String
    /// The offending fields, named.
    package var errors: [FieldProblem]
    package var headers: [(String, String)]

    /// A problem answered with `status` as RFC 9457 problem+json.
    package init(
        status: Int, title: String? = nil, detail: String? = nil, type: String = "about:blank",
        errors: [FieldProblem] = [], headers: [(String, String)] = []
    ) {
        self.status = status
        self.title = title ?? HTTPStatus.reason(status)
        self.detail = detail
        self.type = type
        self.errors = errors
        self.headers = headers
    }

    package var description: String { "HTTP \(status) \(title)" + (detail.map { ": \($0)" } ?? "") }

    /// 400 for a request that is malformed, naming the field when there is one.
    package static func badRequest(_ detail: String, field: String? = nil) -> HTTPError {
        HTTPError(
            status: 400, detail: detail, type: "urn:dakiya:problem:invalid-request",
            errors: field.map { [FieldProblem(field: $0, detail: detail)] } ?? [])
    }

    /// 422 for a well-formed request that breaks a rule.
    package static func unprocessable(
        _ detail: String, field: String? = nil, type: String = "urn:dakiya:problem:rule-violated"
    ) -> HTTPError {
        HTTPError(
            status: 422, detail: detail, type: type,
            errors: field.map { [FieldProblem(field: $0, detail: detail)] } ?? [])
    }

    /// 404 with `detail`.
    package static func notFound(_ detail: String = "no such resource") -> HTTPError {
        HTTPError(status: 404, detail: detail)
    }

    /// The problem+json response for this error, tagged with the request id and path.
    package func response(requestID: String, instance: String) -> Response {
        var body = "{\"type\":\(JSONText.quoted(type)),\"title\":\(JSONText.quoted(title)),\"status\":\(status)"
        if let detail { body += ",\"detail\":\(JSONText.quoted(detail))" }
        body += ",\"instance\":\(JSONText.quoted(instance)),\"request_id\":\(JSONText.quoted(requestID))"
        if !errors.isEmpty {
            body +=
                ",\"errors\":["
                + errors.map {
                    "{\"field\":\(JSONText.quoted($0.field)),\"pointer\":\(JSONText.quoted($0.pointer)),\"detail\":\(JSONText.quoted($0.detail))}"
                }.joined(separator: ",") + "]"
        }
        body += "}"
        var response = Response(status: status, body: Array(body.utf8), contentType: "application/problem+json")
        response.headers.append(contentsOf: headers)
        return response
    }
}

/// Reason phrases for the statuses we send.
package enum HTTPStatus {
    /// The reason phrase of `status` ("OK", "Not Found", …).
    package static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 406: "Not Acceptable"
        case 409: "Conflict"
        case 410: "Gone"
        case 413: "Content Too Large"
        case 415: "Unsupported Media Type"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        default: "HTTP \(status)"
        }
    }
}
