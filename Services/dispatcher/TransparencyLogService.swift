import Cryptography
import Foundation
import HTTPClient
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

    /// A witness the gateway asks for cosignatures: where it listens (its submission prefix) and its key.
    struct WitnessEndpoint: Sendable {
        var url: String
        var key: NoteKey
    }

    /// Which witnesses cosign and how many must (k of n) before a checkpoint is published.
    struct WitnessPolicy: Sendable {
        var witnesses: [WitnessEndpoint] = []
        var quorum = 0

        /// From `DAKIYA_LOG_WITNESSES` ("URL KEY" pairs separated by commas; KEY a witness verifier key, type
        /// 0x04) and `DAKIYA_LOG_WITNESS_QUORUM` (default: all of them).
        static func from(_ settings: Settings) throws -> WitnessPolicy {
            var policy = WitnessPolicy()
            for item in (settings.optionalString("DAKIYA_LOG_WITNESSES") ?? "").split(separator: ",") {
                let parts = item.split(separator: " ", omittingEmptySubsequences: true)
                guard parts.count == 2, parts[0].hasPrefix("http://") || parts[0].hasPrefix("https://"),
                    let key = NoteKey(verifierKey: String(parts[1])), key.type == NoteKey.cosignatureV1
                else {
                    throw SettingError(
                        name: "DAKIYA_LOG_WITNESSES",
                        problem: "expected \"URL KEY\" pairs separated by commas, KEY a witness's verifier key")
                }
                policy.witnesses.append(
                    WitnessEndpoint(url: parts[0].trimmingCharacters(in: CharacterSet(charactersIn: "/")), key: key))
            }
            policy.quorum = try settings.int(
                "DAKIYA_LOG_WITNESS_QUORUM", default: policy.witnesses.count, in: 0...policy.witnesses.count)
            return policy
        }

        var keys: [String] { witnesses.map(\.key.verifierKey) }
    }

    /// Asks each witness, every `interval`, to cosign the latest checkpoint (C2SP tlog-witness add-checkpoint,
    /// with a consistency proof from the size it last cosigned), and keeps the cosignatures it returns. A 409
    /// tells the size the witness is at; the request is made again from there.
    static func witnessing(
        pool: ConnectionPool, policy: WitnessPolicy, interval: Duration, logger: Logger, metrics: MetricsRegistry
    ) -> PeriodicService {
        let cosigned = metrics.counter(
            "dakiya_log_cosignatures_total", help: "Witness cosignatures received on the log's checkpoints.")
        let refused = metrics.counter(
            "dakiya_log_witness_refusals_total", help: "add-checkpoint requests a witness refused or did not answer.")
        return PeriodicService(name: "log-witnessing", interval: interval, logger: logger) {
            guard let latest = try pool.withConnection({ try LogWitnesses.latest(on: $0) }) else { return }
            // One client per round (a client is one thread's): its connections are kept for the round's requests.
            let client = try HTTPClient()
            for witness in policy.witnesses {
                let name = witness.key.verifierKey
                var old = try pool.withConnection { try LogWitnesses.knownSize(witness: name, on: $0) }
                if try pool.withConnection({ try LogWitnesses.hasCosigned(witness: name, size: latest.size, on: $0) }) {
                    continue
                }
                for _ in 0..<2 {
                    guard old <= latest.size else {
                        refused.increment()
                        logger.error(
                            "a witness has cosigned a larger log than this one: a fork, or a database restored from backup",
                            ["witness": witness.key.name, "witness.size": String(old), "log.size": String(latest.size)])
                        break
                    }
                    let proof =
                        try pool.withConnection {
                            try StoredLog.consistencyProof(from: old, to: latest.size, on: $0)
                        } ?? []
                    let body =
                        "old \(old)\n" + proof.map { Data($0).base64EncodedString() + "\n" }.joined() + "\n"
                        + latest.note
                    let response: HTTPClientResponse
                    do {
                        response = try client.send(
                            HTTPClientRequest(
                                method: "POST", url: witness.url + "/add-checkpoint",
                                body: .bytes(Array(body.utf8), contentType: "text/plain"), timeout: .seconds(10)))
                    } catch {
                        refused.increment()
                        logger.warning(
                            "a witness did not answer",
                            ["witness": witness.key.name, "error": String(describing: error)])
                        break
                    }
                    if response.status == 409, let size = Int(response.text.trimmingCharacters(in: .newlines)),
                        size >= 0
                    {
                        // The witness is elsewhere than we thought: ask again from its size.
                        try pool.withConnection {
                            try LogWitnesses.record(witness: name, size: size, line: nil, on: $0)
                        }
                        old = size
                        continue
                    }
                    let lines = response.text.split(separator: "\n").filter { $0.hasPrefix("\u{2014} ") }
                    guard response.status == 200,
                        let line = lines.first(where: {
                            (try? Cosignature.verify(latest.note + $0 + "\n", witnesses: [witness.key]))?.isEmpty
                                == false
                        })
                    else {
                        refused.increment()
                        logger.warning(
                            "a witness refused the checkpoint",
                            [
                                "witness": witness.key.name, "http.status": String(response.status),
                                "body": String(response.text.prefix(200)),
                            ])
                        break
                    }
                    try pool.withConnection {
                        try LogWitnesses.record(witness: name, size: latest.size, line: line + "\n", on: $0)
                    }
                    cosigned.increment()
                    break
                }
            }
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
    static func routes(pool: ConnectionPool, signer: LogSigner, policy: WitnessPolicy, into router: inout Router) {
        // The published checkpoint: the latest one with the quorum of witness cosignatures (all of them appended).
        @Sendable func published(_ connection: Connection) throws -> String? {
            try LogWitnesses.published(witnesses: policy.keys, quorum: policy.quorum, on: connection)
        }
        router.get("/log/checkpoint") { _ in
            guard let note = try pool.withConnection(published) else {
                throw HTTPError.notFound("the log has no published checkpoint yet")
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
        // An offline proof (C2SP tlog-proof) of one entry against the published checkpoint, the entry carried as
        // its extra data: what a citizen or department keeps, checked by `dakiya-audit prove`.
        router.get("/log/proof/bundle") { request in
            let index = try number(request, "index", minimum: 0)
            let text = try pool.withConnection { connection -> String? in
                guard let note = try published(connection),
                    let body = note.range(of: "\n\n").map({ String(note[..<$0.lowerBound]) + "\n" }),
                    let checkpoint = Checkpoint(body: body), index < checkpoint.size,
                    let entry = try StoredLog.entries(from: index, count: 1, on: connection).first,
                    let proof = try StoredLog.inclusionProof(index: index, size: checkpoint.size, on: connection)
                else { return nil }
                return LogProof(entry: entry, index: index, proof: proof, note: note).text
            }
            guard let text else { throw HTTPError.notFound("entry \(index) is not in a published checkpoint yet") }
            var response = Response.text(text)
            response.headers.append(("Content-Disposition", "attachment; filename=\"dakiya-\(index).tlog-proof\""))
            return response
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
