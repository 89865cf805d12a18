import Cryptography
import Foundation
import HTTPServer
import Postgres
import ServiceRuntime
import TransparencyLog
import TransparencyLogStore

/// The transparency log's home: the dispatcher integrates waiting entries (every `interval`, so a checkpoint is
/// signed within it while entries wait) and serves the log read-only on its HTTP port. The dispatcher owns it
/// because it is off the portal's request path (signing never delays an accept) and already runs the delivery
/// path's background work; the endpoints hold no personal data and need no key.
enum TransparencyLogService {
    /// The log's identity from `DAKIYA_LOG_ORIGIN` (default `dakiya.local/log`) and `DAKIYA_LOG_SIGNING_KEY` (a
    /// base64url Ed25519 seed of 32 bytes); without a key, the one the database keeps.
    static func signer(settings: Settings, pool: ConnectionPool, logger: Logger) throws -> LogSigner {
        let origin = try settings.string("DAKIYA_LOG_ORIGIN", default: "dakiya.local/log")
        guard
            origin.unicodeScalars.allSatisfy({ !$0.properties.isWhitespace && $0 != "+" && $0.value >= 0x21 }),
            !origin.isEmpty
        else { throw SettingError(name: "DAKIYA_LOG_ORIGIN", problem: "expected a name without spaces or '+'") }
        if let configured = settings.optionalString("DAKIYA_LOG_SIGNING_KEY") {
            guard let seed = Base64URL.decode(configured), seed.count == 32 else {
                throw SettingError(name: "DAKIYA_LOG_SIGNING_KEY", problem: "expected 32 bytes in base64url")
            }
            return try LogSigner(origin: origin, key: Ed25519PrivateKey(rawRepresentation: seed))
        }
        let signer = try pool.withConnection { try LogSigner.stored(origin: origin, on: $0) }
        logger.info(
            "transparency log signs with the key kept in the database",
            ["log.verifier_key": signer.verifier.verifierKey])
        return signer
    }

    /// The integration loop.
    static func integrator(
        pool: ConnectionPool, signer: LogSigner, interval: Duration, logger: Logger, metrics: MetricsRegistry
    ) -> PeriodicService {
        let integrated = metrics.counter(
            "dakiya_log_entries_integrated_total", help: "Entries given an index in the transparency log.")
        let size = metrics.gauge("dakiya_log_size", help: "Entries in the transparency log.")
        return PeriodicService(name: "log-integrator", interval: interval, logger: logger) {
            try pool.withConnection { connection in
                var last = 0
                while let checkpoint = try LogIntegrator.integrate(signer: signer, on: connection) {
                    integrated.increment(by: Double(checkpoint.size - last))
                    last = checkpoint.size
                    size.set(Double(checkpoint.size))
                }
            }
        }
    }

    /// `GET /log/checkpoint`, `/log/entries?start=&count=`, `/log/proof/inclusion?index=&size=`,
    /// `/log/proof/consistency?from=&to=`.
    static func routes(pool: ConnectionPool, signer: LogSigner, into router: inout Router) {
        router.get("/log/checkpoint") { _ in
            guard let note = try pool.withConnection({ try LogIntegrator.latestNote(on: $0) }) else {
                throw HTTPError.notFound("the log has no checkpoint yet")
            }
            var response = Response.text(note)
            response.headers.append(("Cache-Control", "no-cache"))
            return response
        }
        router.get("/openapi.json") { _ in
            guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"),
                let data = FileManager.default.contents(atPath: url.path)
            else { throw HTTPError(status: 500, detail: "the OpenAPI document is missing from this build") }
            return Response(status: 200, body: Array(data), contentType: "application/json")
        }
        router.get("/log/key") { _ in Response.text(signer.verifier.verifierKey + "\n") }
        router.get("/log/entries") { request in
            let start = try number(request, "start", minimum: 0)
            let count = try number(request, "count", minimum: 1, maximum: 1000, default: 256)
            let entries = try pool.withConnection { try LogIntegrator.entries(from: start, count: count, on: $0) }
            struct Page: Encodable { var start: Int; var entries: [String] }
            // A full page never changes; a short one grows as entries arrive.
            let cache = entries.count == count ? "public, max-age=31536000, immutable" : "no-cache"
            return try Response.json(
                Page(start: start, entries: entries.map { Data($0).base64EncodedString() }),
                headers: [("Cache-Control", cache)])
        }
        router.get("/log/proof/inclusion") { request in
            let size = try number(request, "size", minimum: 1)
            let index = try number(request, "index", minimum: 0)
            guard index < size else {
                throw HTTPError.unprocessable("index must be below size", field: "index")
            }
            guard let tree = try pool.withConnection({ try LogIntegrator.tree(size: size, on: $0) }) else {
                throw HTTPError.notFound("the log has fewer than \(size) entries")
            }
            struct Proof: Encodable { var index: Int; var size: Int; var proof: [String] }
            return try Response.json(
                Proof(
                    index: index, size: size,
                    proof: tree.inclusionProof(index: index, size: size).map { Data($0).base64EncodedString() }),
                headers: [("Cache-Control", "public, max-age=31536000, immutable")])
        }
        router.get("/log/proof/consistency") { request in
            let to = try number(request, "to", minimum: 1)
            let from = try number(request, "from", minimum: 1)
            guard from <= to else { throw HTTPError.unprocessable("from must not exceed to", field: "from") }
            guard let tree = try pool.withConnection({ try LogIntegrator.tree(size: to, on: $0) }) else {
                throw HTTPError.notFound("the log has fewer than \(to) entries")
            }
            struct Proof: Encodable { var from: Int; var to: Int; var proof: [String] }
            return try Response.json(
                Proof(
                    from: from, to: to,
                    proof: tree.consistencyProof(from: from, to: to).map { Data($0).base64EncodedString() }),
                headers: [("Cache-Control", "public, max-age=31536000, immutable")])
        }
    }

    /// A whole-number query parameter within bounds, or 400 naming it.
    static func number(
        _ request: Request, _ name: String, minimum: Int, maximum: Int = 1 << 40, default value: Int? = nil
    ) throws -> Int {
        guard let raw = request.query[name] else {
            if let value { return value }
            throw HTTPError.badRequest("\(name) is required", field: name)
        }
        guard let number = Int(raw), number >= minimum, number <= maximum else {
            throw HTTPError.badRequest("\(name) must be a whole number from \(minimum) to \(maximum)", field: name)
        }
        return number
    }
}
