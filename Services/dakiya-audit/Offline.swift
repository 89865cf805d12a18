import Cryptography
import Foundation
import HTTPServer
import ServiceRuntime
import TransparencyLog

/// `dakiya-audit prove FILE`: checks an offline proof (C2SP tlog-proof) without reaching the log. With
/// `--application ID --salt HEX` it also checks the entry is that application's (SHA-256(salt ‖ id)): what a
/// citizen or a department, given the salt, can show.
enum ProofCheck {
    static func check(file: String, key: NoteKey, policy: WitnessPolicy, application: String?, salt: String?) throws
        -> String
    {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw AuditFailure(reason: "cannot read \(file)")
        }
        guard let proof = LogProof(text: String(decoding: data, as: UTF8.self)) else {
            throw AuditFailure(reason: "\(file) is not a tlog-proof (c2sp.org/tlog-proof@v1)")
        }
        let verified: LogProof.Verified
        do {
            verified = try proof.verify(key: key, witnesses: policy.witnesses, quorum: policy.quorum)
        } catch let refusal as SignedNote.Refusal {
            throw AuditFailure(reason: refusal.reason)
        }
        var report =
            "entry \(proof.index) is in the log \(verified.checkpoint.origin) of size \(verified.checkpoint.size)"
        if !verified.cosigners.isEmpty { report += ", cosigned by " + verified.cosigners.joined(separator: ", ") }
        report += "\n" + String(decoding: verified.entry, as: UTF8.self)
        if let application {
            guard let salt, let bytes = Hex.decode(salt), bytes.count == 32 else {
                throw AuditFailure(reason: "--salt must be the application's 32-byte salt in hex")
            }
            let commitment = SHA256.hexDigest(bytes + Array(application.utf8))
            guard let object = try? JSONSerialization.jsonObject(with: Data(verified.entry)) as? [String: Any],
                object["application"] as? String == commitment
            else { throw AuditFailure(reason: "the entry is not application \(application)'s (with that salt)") }
            report += "\nthe entry is application \(application)'s: SHA-256(salt ‖ id) = \(commitment)"
        }
        return report
    }
}

/// `dakiya-audit witness serve`: the audit agency's witness (C2SP tlog-witness `POST /add-checkpoint`), over
/// plain HTTP on the address given (put TLS in front of it, as for any service).
enum WitnessServer {
    static func run(options: [String: [String]]) -> Never {
        guard let name = options["name"]?.last, !name.isEmpty, !name.contains(" "), !name.contains("+") else {
            DakiyaAudit.fail("--name must be the witness's name (no spaces or '+'), e.g. audit.example/witness")
        }
        guard let keyFile = options["key-file"]?.last else { DakiyaAudit.fail("--key-file is required") }
        let logs = (options["log"] ?? []).map { text -> NoteKey in
            guard let key = NoteKey(verifierKey: text), key.type == NoteKey.ed25519 else {
                DakiyaAudit.fail("--log must be a log's verifier key: \(text)")
            }
            return key
        }
        guard !logs.isEmpty else { DakiyaAudit.fail("--log: name at least one log to witness") }
        let listen = options["listen"]?.last ?? "127.0.0.1:8090"
        guard let colon = listen.lastIndex(of: ":"), let port = UInt16(listen[listen.index(after: colon)...]) else {
            DakiyaAudit.fail("--listen must be HOST:PORT")
        }
        let state = options["state"]?.last ?? (NSHomeDirectory() + "/.dakiya-witness")
        ServiceGroup.blockTerminationSignals()
        let logger = Logger(service: "dakiya-witness")
        do {
            let key = try loadOrCreateKey(keyFile)
            let witness = try Witness(
                name: name, key: key, logs: logs, directory: URL(fileURLWithPath: state, isDirectory: true))
            var router = Router()
            router.post("/add-checkpoint") { request in
                let answer = witness.addCheckpoint(
                    request.body, now: UInt64(max(0, Date().timeIntervalSince1970.rounded(.down))))
                return Response(status: answer.status, body: Array(answer.body.utf8), contentType: answer.contentType)
            }
            router.get("/healthz") { _ in Response.text("ok\n") }
            let server = Server(
                configuration: ServerConfiguration(
                    host: String(listen[..<colon]), port: port, threads: 4, maximumBodyBytes: 64 * 1024),
                router: router, logger: logger, metrics: MetricsRegistry())
            // The key clients configure, on standard output, before serving.
            FileHandle.standardOutput.write(
                Data("witness \(name) key: \(try witness.verifierKey().verifierKey)\n".utf8))
            try ServiceGroup(services: [server], logger: logger).run()
            exit(0)
        } catch {
            FileHandle.standardError.write(Data("dakiya-audit witness: \(error)\n".utf8))
            exit(1)
        }
    }

    /// The witness's Ed25519 seed from `path` (base64), made there (mode 0600) on first use.
    static func loadOrCreateKey(_ path: String) throws -> Ed25519PrivateKey {
        if let data = FileManager.default.contents(atPath: path) {
            guard
                let seed = Data(
                    base64Encoded: String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                ),
                seed.count == 32
            else { throw AuditFailure(reason: "\(path) does not hold a 32-byte base64 key") }
            return try Ed25519PrivateKey(rawRepresentation: Array(seed))
        }
        let key = try Ed25519PrivateKey()
        guard
            FileManager.default.createFile(
                atPath: path, contents: Data((Data(key.rawRepresentation).base64EncodedString() + "\n").utf8),
                attributes: [.posixPermissions: 0o600])
        else { throw AuditFailure(reason: "cannot write the key to \(path)") }
        return key
    }
}
