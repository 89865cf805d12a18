import Foundation
import HTTPClient
import TransparencyLog

/// dakiya-audit: the auditor's side of the transparency log, run on the auditor's own machine. It reads the log
/// only over HTTP (no database access) and trusts nothing but the log's verifier key it was given.
///
///     dakiya-audit checkpoint URL --key VERIFIER_KEY [--state DIR]
///     dakiya-audit replay URL --key VERIFIER_KEY
///
/// `checkpoint` verifies the latest checkpoint's signature and, against the last checkpoint it saved (in DIR,
/// default `~/.dakiya-audit`), that the log only grew: a rollback or a fork is refused loudly (exit 2).
/// `replay` downloads every entry, recomputes the root, checks it against the signed checkpoint, and prints what
/// the log says: entries by type, outcomes by department and decision.
@main
struct DakiyaAudit {
    static func main() {
        var arguments = Array(CommandLine.arguments.dropFirst())
        guard let command = arguments.first, ["checkpoint", "replay"].contains(command), arguments.count >= 2 else {
            FileHandle.standardError.write(Data(usage.utf8))
            exit(64)
        }
        arguments.removeFirst()
        let base = arguments.removeFirst().trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        var options: [String: String] = [:]
        while arguments.count >= 2, arguments[0].hasPrefix("--") {
            options[String(arguments[0].dropFirst(2))] = arguments[1]
            arguments.removeFirst(2)
        }
        guard arguments.isEmpty, let keyText = options["key"], let key = NoteKey(verifierKey: keyText) else {
            FileHandle.standardError.write(Data(("dakiya-audit: --key must be the log's verifier key\n" + usage).utf8))
            exit(64)
        }
        do {
            let auditor = try Auditor(base: base, key: key)
            switch command {
            case "checkpoint":
                let state = options["state"] ?? (NSHomeDirectory() + "/.dakiya-audit")
                print(try auditor.checkpoint(stateDirectory: state))
            default:
                print(try auditor.replay())
            }
        } catch let failure as AuditFailure {
            FileHandle.standardError.write(Data("dakiya-audit: REFUSED: \(failure.reason)\n".utf8))
            exit(2)
        } catch {
            FileHandle.standardError.write(Data("dakiya-audit: \(error)\n".utf8))
            exit(1)
        }
    }

    static let usage = """
        usage: dakiya-audit checkpoint URL --key VERIFIER_KEY [--state DIR]
               dakiya-audit replay URL --key VERIFIER_KEY
        URL is the log's base, e.g. http://127.0.0.1:8084/log

        """
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
        do { body = try SignedNote.verify(note, key: key).body } catch {
            throw AuditFailure(reason: "the checkpoint is not signed by \(key.name): \(error)")
        }
        guard let checkpoint = Checkpoint(body: body), checkpoint.origin == key.name else {
            throw AuditFailure(reason: "the signed note is not a checkpoint of \(key.name)")
        }
        return (note, checkpoint)
    }

    func checkpoint(stateDirectory: String) throws -> String {
        let (note, current) = try latest()
        let file = stateDirectory + "/" + key.name.replacingOccurrences(of: "/", with: "_") + ".checkpoint"
        var report =
            "checkpoint of \(current.origin): size \(current.size), root \(Data(current.root).base64EncodedString())"
        if let saved = FileManager.default.contents(atPath: file).map({ String(decoding: $0, as: UTF8.self) }),
            let previous = (try? SignedNote.verify(saved, key: key)).flatMap({ Checkpoint(body: $0.body) })
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

    func replay() throws -> String {
        let (_, checkpoint) = try latest()
        struct Page: Decodable { var start: Int; var entries: [String] }
        var entries: [[UInt8]] = []
        while entries.count < checkpoint.size {
            let page = try JSONDecoder().decode(
                Page.self, from: Data(try get("/entries?start=\(entries.count)&count=1000")))
            guard page.start == entries.count, !page.entries.isEmpty else {
                throw AuditFailure(reason: "the log served no entries from \(entries.count) on")
            }
            for text in page.entries {
                guard let entry = Data(base64Encoded: text) else {
                    throw AuditFailure(reason: "an entry is not base64")
                }
                entries.append(Array(entry))
            }
        }
        entries = Array(entries.prefix(checkpoint.size))
        guard Merkle.root(entries.map(Merkle.leafHash)[...]) == checkpoint.root else {
            throw AuditFailure(
                reason: "the \(checkpoint.size) entries served do not make the signed root: the log was altered")
        }
        var types: [String: Int] = [:]
        var outcomes: [String: [String: Int]] = [:]
        for entry in entries {
            guard let object = try? JSONSerialization.jsonObject(with: Data(entry)) as? [String: Any],
                let type = object["type"] as? String
            else { throw AuditFailure(reason: "an entry is not a typed JSON object") }
            types[type, default: 0] += 1
            if type == "outcome.accepted", let department = object["department"] as? String,
                let decision = object["decision"] as? String
            {
                outcomes[department, default: [:]][decision, default: 0] += 1
            }
        }
        var report = "\(checkpoint.size) entries replayed; they make the signed root\n"
        for (type, count) in types.sorted(by: { $0.key < $1.key }) { report += "  \(type): \(count)\n" }
        for (department, decisions) in outcomes.sorted(by: { $0.key < $1.key }) {
            report +=
                "outcomes of \(department): "
                + decisions.sorted(by: { $0.key < $1.key }).map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                + "\n"
        }
        return report
    }
}
