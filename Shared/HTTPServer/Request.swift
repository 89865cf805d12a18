import Foundation

/// An HTTP request as a handler sees it: the whole body is already read.
package struct Request: Sendable {
    package var method: String
    /// The path without the query string, percent-decoded by the server.
    package var path: String
    /// Query arguments (the last value wins for a repeated name).
    package var query: [String: String]
    /// Header names are lowercased.
    package var headers: [String: String]
    package var body: [UInt8]
    /// Values of `{name}` segments of the matched route.
    package var pathParameters: [String: String] = [:]
    /// From a well-formed `X-Request-Id` header, or generated; echoed on the response and on log lines.
    package var requestID: String

    /// A request as the server hands it to a handler (tests build their own).
    package init(
        method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:],
        body: [UInt8] = [], requestID: String = "test"
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.requestID = requestID
    }

    /// The header `name` (any case).
    package func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// The value of the cookie `name` from the `Cookie` header; nil when absent.
    package func cookie(_ name: String) -> String? {
        for pair in (header("cookie") ?? "").split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                return String(parts[1]).trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    /// The fields of an `application/x-www-form-urlencoded` body (a plain HTML form), `+` as a space and percent
    /// escapes decoded; the last value wins for a repeated name.
    /// - Throws: `HTTPError`: 415 for another media type, 400 for a body that is not form-encoded UTF-8.
    package func formFields() throws -> [String: String] {
        let mediaType = (header("content-type") ?? "").lowercased().split(separator: ";").first.map {
            String($0).trimmingCharacters(in: .whitespaces)
        }
        guard mediaType == "application/x-www-form-urlencoded" else {
            throw HTTPError(status: 415, detail: "send the form as application/x-www-form-urlencoded")
        }
        guard let text = String(validating: body, as: UTF8.self) else {
            throw HTTPError.badRequest("the form is not UTF-8")
        }
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ raw: Substring) throws -> String {
                guard let value = raw.replacingOccurrences(of: "+", with: " ").removingPercentEncoding else {
                    throw HTTPError.badRequest("the form has a malformed escape")
                }
                return value
            }
            fields[try decode(parts[0])] = parts.count == 2 ? try decode(parts[1]) : ""
        }
        return fields
    }

    /// The path parameter `name`; throws 404 when the route has none (a programming error caught early).
    /// - Throws: `HTTPError` (404) when the route has no such parameter.
    package func parameter(_ name: String) throws -> String {
        guard let value = pathParameters[name] else { throw HTTPError.notFound() }
        return value
    }

    /// Decodes a JSON body strictly (see `JSONBody`). Throws 415 for another media type, 400 naming the field for
    /// a body that does not fit `type`, and 422 for unknown fields or control characters. `freeText` names the
    /// fields whose strings may hold TAB, LF and CR.
    /// - Throws: `HTTPError`: 415 for another media type, 400 naming the field, 422 for unknown fields or control characters.
    package func decodeJSON<T: Decodable>(_ type: T.Type, freeText: Set<String> = []) throws -> T {
        if let contentType = header("content-type")?.lowercased() {
            let mediaType =
                contentType.split(separator: ";").first.map { String($0).trimmingCharacters(in: .whitespaces) } ?? ""
            guard mediaType == "application/json" || mediaType.hasSuffix("+json") else {
                throw HTTPError(status: 415, detail: "send the body as application/json")
            }
        }
        return try JSONBody.decode(type, from: body, freeText: freeText)
    }

    /// Decodes JSON `bytes` (a body or a multipart part) with the same rules.
    /// - Throws: `HTTPError`: 400 naming the field, 422 for unknown fields or control characters.
    package static func decodeJSON<T: Decodable>(_ type: T.Type, from bytes: [UInt8], freeText: Set<String> = []) throws
        -> T
    {
        try JSONBody.decode(type, from: bytes, freeText: freeText)
    }

    /// A decoding error thrown by a type's own `init(from:)` (an id that is not a UUID, say), naming the field.
    static func problem(for error: DecodingError) -> HTTPError {
        switch error {
        case .keyNotFound(let key, let context):
            let field = fieldPath(context.codingPath + [key])
            return .badRequest("\(field) is required", field: field)
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let field = fieldPath(context.codingPath)
            return .badRequest(
                "\(field.isEmpty ? "the body" : field) is not valid: \(context.debugDescription)",
                field: field.isEmpty ? nil : field)
        @unknown default:
            return .badRequest("the body could not be read")
        }
    }
}

/// An HTTP response.
package struct Response: Sendable {
    package var status: Int
    package var headers: [(String, String)]
    package var body: [UInt8]

    /// A response with `status`, `body`, its media type and headers.
    package init(status: Int = 200, body: [UInt8] = [], contentType: String? = nil, headers: [(String, String)] = []) {
        self.status = status
        self.body = body
        self.headers = headers
        if let contentType { self.headers.append(("Content-Type", contentType)) }
    }

    /// `value` as JSON (sorted keys, ISO 8601 dates).
    /// - Throws: `EncodingError` when `value` cannot be encoded.
    package static func json<T: Encodable>(_ value: T, status: Int = 200, headers: [(String, String)] = []) throws
        -> Response
    {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return Response(
            status: status, body: Array(try encoder.encode(value)), contentType: "application/json", headers: headers)
    }

    /// Closes the connection without any answer (for simulators that must reproduce a peer dropping it).
    package static let dropConnection = Response(status: 0)

    /// Plain text.
    package static func text(_ text: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8")
        -> Response
    {
        Response(status: status, body: Array(text.utf8), contentType: contentType)
    }
}
