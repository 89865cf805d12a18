/// A handler: runs on one of the server's threads, so blocking calls (libpq) are fine.
/// - Throws: an `HTTPError` to answer as problem+json; any other error is a 500 (or 503/401 for the runtime's failure kinds).
package typealias Handler = @Sendable (Request) throws -> Response

/// Routes by method and path pattern; `{name}` segments capture path parameters. Routing is on the raw path
/// (as sent, still percent-encoded), and each segment is decoded after it is split off: so `MH%2FINC%2F0001`
/// is one application id, `MH/INC/0001`, and a `%00` can never turn one path into another.
package struct Router: Sendable {
    private struct Route: Sendable {
        var method: String
        var segments: [Substring]
        var pattern: String
        var handler: Handler
    }

    /// What a lookup found.
    package enum Match {
        case found(Handler, parameters: [String: String], pattern: String)
        case methodNotAllowed(allowed: [String])
        /// A parameter whose segment does not decode to text we accept (bad escapes, invalid UTF-8, a control character).
        case badParameter(name: String, detail: String)
        case notFound
    }

    private var routes: [Route] = []

    /// A router with no routes.
    package init() {}

    /// Adds `handler` for `method` on `pattern` (e.g. `/v1/deliveries/{id}`).
    package mutating func add(_ method: String, _ pattern: String, _ handler: @escaping Handler) {
        routes.append(
            Route(method: method.uppercased(), segments: Self.split(pattern), pattern: pattern, handler: handler))
    }

    /// Routes GET `pattern` (`/v1/deliveries/{id}`) to `handler`.
    package mutating func get(_ pattern: String, _ handler: @escaping Handler) { add("GET", pattern, handler) }
    /// Routes POST `pattern` to `handler`.
    package mutating func post(_ pattern: String, _ handler: @escaping Handler) { add("POST", pattern, handler) }
    /// Routes PUT `pattern` to `handler`.
    package mutating func put(_ pattern: String, _ handler: @escaping Handler) { add("PUT", pattern, handler) }
    /// Routes DELETE `pattern` to `handler`.
    package mutating func delete(_ pattern: String, _ handler: @escaping Handler) { add("DELETE", pattern, handler) }

    /// Adds every route of `other`.
    package mutating func merge(_ other: Router) { routes.append(contentsOf: other.routes) }

    /// Finds the route for `method` and the raw (still percent-encoded) `path`. HEAD is answered by GET routes.
    package func match(method: String, path: String) -> Match {
        let segments = Self.split(path).map { PercentEncoding.decode($0) }
        var allowed: [String] = []
        for route in routes {
            guard let parameters = Self.bind(route.segments, to: segments) else { continue }
            if route.method == method || (method == "HEAD" && route.method == "GET") {
                for (name, value) in parameters.sorted(by: { $0.key < $1.key }) {
                    guard case .success = value else { return .badParameter(name: name, detail: Self.refusal(name)) }
                }
                return .found(
                    route.handler, parameters: parameters.compactMapValues { try? $0.get() }, pattern: route.pattern)
            }
            allowed.append(route.method)
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: Array(Set(allowed)).sorted())
    }

    private static func refusal(_ name: String) -> String {
        "\(name) must be UTF-8 text without control characters, percent-encoded where needed (%2F for a '/')"
    }

    private static func split(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }

    private static func bind(_ pattern: [Substring], to path: [Result<String, PercentEncoding.Refusal>]) -> [String:
        Result<String, PercentEncoding.Refusal>]?
    {
        guard pattern.count == path.count else { return nil }
        var parameters: [String: Result<String, PercentEncoding.Refusal>] = [:]
        for (expected, actual) in zip(pattern, path) {
            if expected.hasPrefix("{") && expected.hasSuffix("}") {
                parameters[String(expected.dropFirst().dropLast())] = actual
            } else if case .success(let text) = actual, text == expected {
                continue
            } else {
                return nil
            }
        }
        return parameters
    }
}

/// Percent-decoding of path segments and query components (RFC 3986), refusing what a handler must never see.
package enum PercentEncoding {
    /// What cannot be decoded (the caller answers 400).
    package struct Refusal: Error {}

    /// `raw` decoded: fails on a malformed escape, invalid UTF-8 or a control character (U+0000–U+001F, U+007F).
    /// With `plusIsSpace`, `+` is a space (query strings in form encoding).
    package static func decode(_ raw: some StringProtocol, plusIsSpace: Bool = false) -> Result<String, Refusal> {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.utf8.count)
        var iterator = raw.utf8.makeIterator()
        func hex(_ byte: UInt8?) -> UInt8? {
            switch byte {
            case .some(let b) where (0x30...0x39).contains(b): b - 0x30
            case .some(let b) where (0x41...0x46).contains(b): b - 0x41 + 10
            case .some(let b) where (0x61...0x66).contains(b): b - 0x61 + 10
            default: nil
            }
        }
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = hex(iterator.next()), let low = hex(iterator.next()) else {
                    return .failure(Refusal())
                }
                bytes.append(high << 4 | low)
            } else if plusIsSpace && byte == UInt8(ascii: "+") {
                bytes.append(0x20)
            } else {
                bytes.append(byte)
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self),
            !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else { return .failure(Refusal()) }
        return .success(text)
    }
}
