/// A handler: runs on one of the server's threads, so blocking calls (libpq) are fine.
package typealias Handler = @Sendable (Request) throws -> Response

/// Routes by method and path pattern; `{name}` segments capture path parameters.
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
        case notFound
    }

    private var routes: [Route] = []

    package init() {}

    /// Adds `handler` for `method` on `pattern` (e.g. `/v1/deliveries/{id}`).
    package mutating func add(_ method: String, _ pattern: String, _ handler: @escaping Handler) {
        routes.append(Route(method: method.uppercased(), segments: Self.split(pattern), pattern: pattern, handler: handler))
    }

    package mutating func get(_ pattern: String, _ handler: @escaping Handler) { add("GET", pattern, handler) }
    package mutating func post(_ pattern: String, _ handler: @escaping Handler) { add("POST", pattern, handler) }
    package mutating func put(_ pattern: String, _ handler: @escaping Handler) { add("PUT", pattern, handler) }
    package mutating func delete(_ pattern: String, _ handler: @escaping Handler) { add("DELETE", pattern, handler) }

    /// Adds every route of `other`.
    package mutating func merge(_ other: Router) { routes.append(contentsOf: other.routes) }

    /// Finds the route for `method` and `path`. HEAD is answered by GET routes.
    package func match(method: String, path: String) -> Match {
        let segments = Self.split(path)
        var allowed: [String] = []
        for route in routes {
            guard let parameters = Self.bind(route.segments, to: segments) else { continue }
            if route.method == method || (method == "HEAD" && route.method == "GET") {
                return .found(route.handler, parameters: parameters, pattern: route.pattern)
            }
            allowed.append(route.method)
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: Array(Set(allowed)).sorted())
    }

    private static func split(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }

    private static func bind(_ pattern: [Substring], to path: [Substring]) -> [String: String]? {
        guard pattern.count == path.count else { return nil }
        var parameters: [String: String] = [:]
        for (expected, actual) in zip(pattern, path) {
            if expected.hasPrefix("{") && expected.hasSuffix("}") {
                parameters[String(expected.dropFirst().dropLast())] = String(actual)
            } else if expected != actual {
                return nil
            }
        }
        return parameters
    }
}
