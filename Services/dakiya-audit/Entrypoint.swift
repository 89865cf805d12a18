import Foundation
import HTTPClient
import TransparencyLog

/// dakiya-audit: the auditor's side of the transparency log, run on the auditor's own machine. It reads the log
/// only over HTTP (no database access) and trusts nothing but the keys it was given.
///
///     dakiya-audit checkpoint URL --key VERIFIER_KEY [--witness WITNESS_KEY]... [--quorum K] [--state DIR]
///     dakiya-audit replay URL --key VERIFIER_KEY [--from N] [--format text|json]
///     dakiya-audit prove FILE --key VERIFIER_KEY [--witness WITNESS_KEY]... [--quorum K] [--application ID --salt HEX]
///     dakiya-audit witness serve --name NAME --key-file FILE --log VERIFIER_KEY... [--listen HOST:PORT] [--state DIR]
///     dakiya-audit verify FILE.pdf --keys FILE|URL --revoked FILE|URL [--slip SLIP.pdf] [--log URL --key VERIFIER_KEY]
///
/// `checkpoint` verifies the latest checkpoint's signature and its witnesses' cosignatures (at least K of the
/// witness keys given; K defaults to all of them) and, against the last checkpoint it saved (in DIR, default
/// `~/.dakiya-audit`), that the log only grew: a rollback or a fork is refused loudly (exit 2).
/// `replay` downloads the entries (C2SP entry bundles), recomputes the root, checks it against the signed
/// checkpoint, and prints the service-quality report the log alone supports.
/// `prove` checks an offline proof (C2SP tlog-proof) that one entry is in the log.
/// `witness serve` runs a witness (C2SP tlog-witness) for the audit agency.
/// `verify` says whether a PDF is a certificate the gateway delivered and is still valid (see `PDFVerifier`); a
/// digitally signed certificate is checked with the verification slip delivered beside it (`--slip`).
@main
struct DakiyaAudit {
    static func main() {
        var arguments = Array(CommandLine.arguments.dropFirst())
        guard let command = arguments.first, ["checkpoint", "replay", "prove", "witness", "verify"].contains(command),
            arguments.count >= 2
        else {
            FileHandle.standardError.write(Data(usage.utf8))
            exit(64)
        }
        arguments.removeFirst()
        let target = arguments.removeFirst()
        var options: [String: [String]] = [:]
        while arguments.count >= 2, arguments[0].hasPrefix("--") {
            options[String(arguments[0].dropFirst(2)), default: []].append(arguments[1])
            arguments.removeFirst(2)
        }
        guard arguments.isEmpty else { fail("unexpected \(arguments[0])") }
        if command == "witness" {
            guard target == "serve" else { fail("the witness command is: witness serve") }
            WitnessServer.run(options: options)
        }
        if command == "verify" {
            guard let keys = options["keys"]?.last, let revoked = options["revoked"]?.last else {
                fail("verify needs --keys (the seal key registry: a file or URL) and --revoked (the status list)")
            }
            do {
                let client = try HTTPClient()
                var log: Auditor?
                if let url = options["log"]?.last {
                    guard let keyText = options["key"]?.last, let key = NoteKey(verifierKey: keyText) else {
                        fail("--log needs --key, the log's verifier key")
                    }
                    log = try Auditor(base: url.trimmingCharacters(in: CharacterSet(charactersIn: "/")), key: key)
                }
                print(
                    try PDFVerifier(client: client).verify(
                        file: target, keys: keys, revoked: revoked, slip: options["slip"]?.last, log: log))
                exit(0)
            } catch let failure as AuditFailure {
                FileHandle.standardError.write(Data("dakiya-audit: REFUSED: \(failure.reason)\n".utf8))
                exit(2)
            } catch {
                FileHandle.standardError.write(Data("dakiya-audit: \(error)\n".utf8))
                exit(1)
            }
        }
        guard let keyText = options["key"]?.last, let key = NoteKey(verifierKey: keyText), key.type == NoteKey.ed25519
        else { fail("--key must be the log's verifier key") }
        let witnesses = (options["witness"] ?? []).map { text -> NoteKey in
            guard let witness = NoteKey(verifierKey: text), witness.type == NoteKey.cosignatureV1 else {
                fail("--witness must be a witness's verifier key (type 0x04): \(text)")
            }
            return witness
        }
        let quorum = options["quorum"]?.last.map { Int($0) ?? -1 } ?? witnesses.count
        guard (0...witnesses.count).contains(quorum) else {
            fail("--quorum must be a number from 0 to the number of --witness keys (\(witnesses.count))")
        }
        let policy = WitnessPolicy(witnesses: witnesses, quorum: quorum)
        do {
            switch command {
            case "checkpoint":
                let auditor = try Auditor(
                    base: target.trimmingCharacters(in: CharacterSet(charactersIn: "/")), key: key)
                let state = options["state"]?.last ?? (NSHomeDirectory() + "/.dakiya-audit")
                print(try auditor.checkpoint(stateDirectory: state, policy: policy))
            case "replay":
                let auditor = try Auditor(
                    base: target.trimmingCharacters(in: CharacterSet(charactersIn: "/")), key: key)
                let from = options["from"]?.last.map { Int($0) ?? -1 } ?? 0
                guard from >= 0 else { fail("--from must be an index (0 or more)") }
                print(try auditor.replay(from: from, json: options["format"]?.last == "json"))
            default:
                print(
                    try ProofCheck.check(
                        file: target, key: key, policy: policy, application: options["application"]?.last,
                        salt: options["salt"]?.last))
            }
        } catch let failure as AuditFailure {
            FileHandle.standardError.write(Data("dakiya-audit: REFUSED: \(failure.reason)\n".utf8))
            exit(2)
        } catch {
            FileHandle.standardError.write(Data("dakiya-audit: \(error)\n".utf8))
            exit(1)
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("dakiya-audit: \(message)\n\(usage)".utf8))
        exit(64)
    }

    static let usage = """
        usage: dakiya-audit checkpoint URL --key VERIFIER_KEY [--witness WITNESS_KEY]... [--quorum K] [--state DIR]
               dakiya-audit replay URL --key VERIFIER_KEY [--from N] [--format text|json]
               dakiya-audit prove FILE --key VERIFIER_KEY [--witness WITNESS_KEY]... [--quorum K] [--application ID --salt HEX]
               dakiya-audit witness serve --name NAME --key-file FILE --log VERIFIER_KEY... [--listen HOST:PORT] [--state DIR]
               dakiya-audit verify FILE.pdf --keys FILE|URL --revoked FILE|URL [--slip SLIP.pdf] [--log URL --key VERIFIER_KEY]
        URL is the log's base, e.g. http://127.0.0.1:8084/log

        """
}

/// Which witnesses' cosignatures the auditor requires on a checkpoint: at least `quorum` of `witnesses`.
struct WitnessPolicy {
    var witnesses: [NoteKey]
    var quorum: Int

    /// The witnesses that cosigned `note`, or a refusal when fewer than the quorum did.
    func check(_ note: String) throws -> [String] {
        let cosigners = try Cosignature.verify(note, witnesses: witnesses).map(\.name)
        guard cosigners.count >= quorum else {
            throw AuditFailure(
                reason:
                    "the checkpoint has \(cosigners.count) valid witness cosignature(s) of the \(quorum) required"
                    + (cosigners.isEmpty ? "" : " (\(cosigners.joined(separator: ", ")))"))
        }
        return cosigners
    }
}

/// What the log showed that it must not: a bad signature, a rollback, a fork, entries that do not make the root.
struct AuditFailure: Error {
    var reason: String
}

struct Auditor {
    let base: String
    let key: NoteKey
    let client: HTTPClient

    init(base: String, key: NoteKey) throws {
        self.base = base
        self.key = key
        client = try HTTPClient()
    }

    func get(_ path: String) throws -> [UInt8] {
        let response = try client.send(HTTPClientRequest(url: base + path))
        guard response.status == 200 else { throw AuditFailure(reason: "GET \(path) answered \(response.status)") }
        return response.body
    }

    /// The latest checkpoint, signed by the pinned key.
    func latest() throws -> (note: String, checkpoint: Checkpoint) {
        let note = String(decoding: try get("/checkpoint"), as: UTF8.self)
        let body: String
        do { body = try SignedNote.verify(note, key: key) } catch {
            throw AuditFailure(reason: "the checkpoint is not signed by \(key.name): \(error)")
        }
        guard let checkpoint = Checkpoint(body: body), checkpoint.origin == key.name else {
            throw AuditFailure(reason: "the signed note is not a checkpoint of \(key.name)")
        }
        return (note, checkpoint)
    }

    func checkpoint(stateDirectory: String, policy: WitnessPolicy) throws -> String {
        let (note, current) = try latest()
        let cosigners = try policy.check(note)
        let file = stateDirectory + "/" + key.name.replacingOccurrences(of: "/", with: "_") + ".checkpoint"
        var report =
            "checkpoint of \(current.origin): size \(current.size), root \(Data(current.root).base64EncodedString())"
        if !policy.witnesses.isEmpty {
            report +=
                "\ncosigned by \(cosigners.count) of \(policy.witnesses.count) witnesses (\(policy.quorum) required)"
            if !cosigners.isEmpty { report += ": " + cosigners.joined(separator: ", ") }
        }
        if let saved = FileManager.default.contents(atPath: file).map({ String(decoding: $0, as: UTF8.self) }),
            let previous = (try? SignedNote.verify(saved, key: key)).flatMap({ Checkpoint(body: $0) })
        {
            if current.size < previous.size {
                throw AuditFailure(
                    reason: "ROLLBACK: the log now has \(current.size) entries; it had \(previous.size) when last seen")
            }
            if current.size == previous.size, current.root != previous.root {
                throw AuditFailure(reason: "FORK: two different logs of size \(current.size) were signed")
            }
            if current.size > previous.size {
                struct Proof: Decodable { var proof: [String] }
                let proof = try JSONDecoder().decode(
                    Proof.self, from: Data(try get("/proof/consistency?from=\(previous.size)&to=\(current.size)")))
                guard
                    Merkle.verifyConsistency(
                        size1: previous.size, root1: previous.root, size2: current.size, root2: current.root,
                        proof: proof.proof.compactMap { Data(base64Encoded: $0).map(Array.init) })
                else {
                    throw AuditFailure(
                        reason:
                            "FORK: the log of size \(current.size) does not extend the one of size \(previous.size) seen before"
                    )
                }
            }
            report += "\nconsistent with the checkpoint seen before (size \(previous.size))"
        } else {
            report += "\nfirst checkpoint seen: saved, later ones must extend it"
        }
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: file, contents: Data(note.utf8)) else {
            throw AuditFailure(reason: "cannot save the checkpoint to \(file)")
        }
        return report
    }

    /// Downloads the entries from `from` (rounded down to a bundle) as C2SP entry bundles, recomputes the signed
    /// root (the hashes before them from the log's hash tiles: a wrong tile cannot make the signed root either),
    /// and reports on the entries: RTS compliance and delivery quality, from the log alone.
    func replay(from: Int, json: Bool = false) throws -> String {
        let (_, checkpoint) = try latest()
        let start = min(from, checkpoint.size) / Tiles.width * Tiles.width
        var entries: [[UInt8]] = []
        var bundle = start / Tiles.width
        while start + entries.count < checkpoint.size {
            let width = min(Tiles.width, checkpoint.size - bundle * Tiles.width)
            let path = Tiles.Path(level: nil, index: bundle, partialWidth: width == Tiles.width ? nil : width)
            guard let got = Tiles.entries(ofBundle: try get("/tile/\(path)")), got.count == width else {
                throw AuditFailure(reason: "the entry bundle \(path) is malformed or not \(width) entries")
            }
            entries += got
            bundle += 1
        }
        let leaves = entries.map(Merkle.leafHash)
        var tiles: [String: [[UInt8]]] = [:]
        func node(level: Int, index: Int) throws -> [UInt8] {
            let tile = index / Tiles.width
            let width = min(Tiles.width, Tiles.nodes(level: level, size: checkpoint.size) - tile * Tiles.width)
            let path = Tiles.Path(level: level, index: tile, partialWidth: width == Tiles.width ? nil : width)
            if tiles[path.description] == nil {
                guard let hashes = Tiles.hashes(ofTile: try get("/tile/\(path)")), hashes.count == width else {
                    throw AuditFailure(reason: "the hash tile \(path) is malformed or not \(width) hashes")
                }
                tiles[path.description] = hashes
            }
            return tiles[path.description]![index % Tiles.width]
        }
        func perfect(_ first: Int, _ count: Int) throws -> [UInt8] {
            if first >= start { return Merkle.perfectRoot(Array(leaves[(first - start)..<(first - start + count)])) }
            if first + count <= start {
                // Before the downloaded entries: level-L nodes from the tiles, 256^L leaves each.
                let level = min(count.trailingZeroBitCount / 8, 7)
                let nodes = try (0..<(count >> (8 * level))).map {
                    try node(level: level, index: (first >> (8 * level)) + $0)
                }
                return Merkle.perfectRoot(nodes)
            }
            return Merkle.nodeHash(try perfect(first, count / 2), try perfect(first + count / 2, count / 2))
        }
        guard try Merkle.rangeRoot(0..<checkpoint.size, perfect: perfect) == checkpoint.root else {
            throw AuditFailure(
                reason:
                    "the entries served from \(start) (and the tiles before them) do not make the signed root of size \(checkpoint.size): the log was altered"
            )
        }
        for (offset, entry) in entries.enumerated() where !CanonicalJSON.isCanonical(entry) {
            throw AuditFailure(reason: "entry \(start + offset) is not canonical JSON (RFC 8785)")
        }
        let report: ServiceQuality
        do { report = try ServiceQuality(entries: entries) } catch let malformed as ServiceQuality.Malformed {
            throw AuditFailure(reason: "entry \(start + malformed.index) is not a typed JSON object")
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return String(decoding: try encoder.encode(report), as: UTF8.self)
        }
        return
            "\(entries.count) entries replayed from index \(start) of \(checkpoint.size); with the log's tiles they make the signed root\n"
            + report.text
    }
}
