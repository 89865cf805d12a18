import Cryptography
import Foundation
import HTTPServer
import Postgres
import Synchronization
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
            return try announced(LogSigner(origin: origin, key: Ed25519PrivateKey(rawRepresentation: seed)))
        }
        let signer = try pool.withConnection { try LogSigner.stored(origin: origin, on: $0) }
        logger.info(
            "transparency log signs with the key kept in the database",
            ["log.verifier_key": signer.verifier.verifierKey])
        return try announced(signer)

        // A key signs only once the log has announced it (key.added, once per key).
        func announced(_ signer: LogSigner) throws -> LogSigner {
            try pool.withConnection {
                try SigningKeys.announce(verifierKey: signer.verifier.verifierKey, purpose: .log, on: $0)
            }
            return signer
        }
    }

    /// The integration loop.
    static func integrator(
        pool: ConnectionPool, signer: LogSigner, interval: Duration, logger: Logger, metrics: MetricsRegistry
    ) -> PeriodicService {
        let integrated = metrics.counter(
            "dakiya_log_entries_integrated_total", help: "Entries given an index in the transparency log.")
        let size = metrics.gauge("dakiya_log_size", help: "Entries in the transparency log.")
        let enabled = metrics.gauge(
            "dakiya_log_enabled",
            help: "1 while the services queue log entries; 0 when dakiya.transparency_log is 'off' (measurement only).")
        let warned = Mutex(false)
        return PeriodicService(name: "log-integrator", interval: interval, logger: logger) {
            // The switch is the database's (ALTER DATABASE … SET dakiya.transparency_log = off), read as sessions
            // see it; an operator must never find it off by surprise.
            let on = try pool.withConnection { try $0.query("SELECT dakiya_log_on()").first?.decode(Bool.self, at: 0) }
            enabled.set(on == false ? 0 : 1)
            if on == false,
                warned.withLock({
                    let first = !$0; $0 = true; return first
                })
            {
                logger.warning(
                    "the transparency log is switched off (dakiya.transparency_log = off): outcomes and deliveries are not being logged"
                )
            }
            // One batch per interval: what waited in it is integrated under one checkpoint, so a busy log signs
            // about one checkpoint per interval instead of one per handful of entries. Another batch follows at
            // once only when this one was full.
            try pool.withConnection { connection in
                var full = true
                while full, let integration = try LogIntegrator.integrate(signer: signer, on: connection) {
                    integrated.increment(by: Double(integration.added))
                    size.set(Double(integration.checkpoint.size))
                    full = integration.added >= LogIntegrator.batchLimit
                }
            }
        }
    }

    /// `GET /log/checkpoint`, `/log/entries?start=&count=`, `/log/proof/inclusion?index=&size=`,
    /// `/log/proof/consistency?from=&to=`.
    static func routes(pool: ConnectionPool, signer: LogSigner, into router: inout Router) {
        router.get("/log/checkpoint") { _ in
            guard let note = try pool.withConnection({ try StoredLog.latestNote(on: $0) }) else {
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
        // C2SP tlog-tiles: /log/tile/<L>/<N>[.p/<W>] and /log/tile/entries/<N>[.p/<W>], the index written in groups
        // of three digits (x001/x234/067), so a path has from 2 to 9 segments after /log/tile.
        let names = (0..<9).map { "s\($0)" }
        for count in 2...9 {
            router.get("/log/tile/" + names.prefix(count).map { "{\($0)}" }.joined(separator: "/")) { request in
                let text = names.prefix(count).compactMap { request.pathParameters[$0] }.joined(separator: "/")
                guard let path = Tiles.Path(Substring(text)) else {
                    throw HTTPError.badRequest(
                        "a tile path is <level>/<index>[.p/<width>] or entries/<index>[.p/<width>], the index in groups of three digits (x001/x234/067)",
                        field: "path")
                }
                guard let tile = try pool.withConnection({ try StoredLog.tile(path, on: $0) }) else {
                    throw HTTPError.notFound("the log has no tile \(path) yet")
                }
                // A tile's bytes never change once it exists (a partial one is a different path).
                return Response(
                    status: 200, body: tile, contentType: "application/octet-stream",
                    headers: [("Cache-Control", "public, max-age=31536000, immutable")])
            }
        }
        router.get("/log/entries") { request in
            let start = try number(request, "start", minimum: 0)
            let count = try number(request, "count", minimum: 1, maximum: 1000, default: 256)
            let entries = try pool.withConnection { try StoredLog.entries(from: start, count: count, on: $0) }
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
            guard
                let proof = try pool.withConnection({
                    try StoredLog.inclusionProof(index: index, size: size, on: $0)
                })
            else { throw HTTPError.notFound("the log has fewer than \(size) entries") }
            struct Proof: Encodable { var index: Int; var size: Int; var proof: [String] }
            return try Response.json(
                Proof(index: index, size: size, proof: proof.map { Data($0).base64EncodedString() }),
                headers: [("Cache-Control", "public, max-age=31536000, immutable")])
        }
        router.get("/log/proof/consistency") { request in
            let to = try number(request, "to", minimum: 1)
            let from = try number(request, "from", minimum: 1)
            guard from <= to else { throw HTTPError.unprocessable("from must not exceed to", field: "from") }
            guard
                let proof = try pool.withConnection({ try StoredLog.consistencyProof(from: from, to: to, on: $0) })
            else { throw HTTPError.notFound("the log has fewer than \(to) entries") }
            struct Proof: Encodable { var from: Int; var to: Int; var proof: [String] }
            return try Response.json(
                Proof(from: from, to: to, proof: proof.map { Data($0).base64EncodedString() }),
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
