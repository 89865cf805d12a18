import Cryptography
import Foundation
import ServiceRuntime
import Synchronization

/// A witness (C2SP tlog-witness): cosigns a log's checkpoint only after checking that it extends the last one it
/// cosigned for that log, and remembers (on disk, before answering) the latest. The audit agency runs it
/// (`dakiya-audit witness serve`); the gateway asks it for cosignatures and can require k of n before a checkpoint
/// counts as published. No database: one small file per log under its state directory.
package final class Witness: Sendable {
    /// An answer to `add-checkpoint`: the HTTP status, body and content type the protocol prescribes.
    package struct Answer: Sendable, Equatable {
        package var status: Int
        package var body: String
        package var contentType = "text/plain; charset=utf-8"
    }

    /// The witness's name (a schema-less URL, e.g. `audit.maharashtra.example/witness`).
    package let name: String
    let key: Ed25519PrivateKey
    /// The logs it witnesses, by origin.
    let logs: [String: NoteKey]
    let directory: URL
    /// Checking the old size and persisting the new checkpoint are one step (the spec's rollback race).
    let state = Mutex(())

    /// A witness named `name` signing with `key`, for the logs whose verifier keys are `logs`, keeping its state
    /// under `directory` (created if missing).
    /// - Throws: when the directory cannot be created.
    package init(name: String, key: Ed25519PrivateKey, logs: [NoteKey], directory: URL) throws {
        self.name = name
        self.key = key
        self.logs = Dictionary(logs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// The key clients configure to check this witness's cosignatures (type 0x04).
    /// - Throws: `CryptographyError` when OpenSSL cannot give the public key.
    package func verifierKey() throws -> NoteKey {
        NoteKey(name: name, publicKey: try key.publicKey().rawRepresentation, type: NoteKey.cosignatureV1)
    }

    /// The latest checkpoint cosigned for `origin`, if any.
    package func latest(origin: String) -> Checkpoint? {
        guard let data = FileManager.default.contents(atPath: file(origin).path) else { return nil }
        return Checkpoint(body: String(decoding: data, as: UTF8.self))
    }

    func file(_ origin: String) -> URL {
        // The origin is a name, not a path: hex keeps any character out of the file system's way.
        directory.appendingPathComponent(Hex.encode(Array(origin.utf8)) + ".checkpoint")
    }

    /// `POST add-checkpoint` with `request` (old size line, consistency proof lines, an empty line, the signed
    /// checkpoint), at `now` (seconds since the epoch): 200 with the cosignature line, or the protocol's refusal
    /// (400 malformed, 403 not signed by the log, 404 unknown log, 409 old size or root not the latest cosigned,
    /// 422 the proof does not show the log only grew).
    package func addCheckpoint(_ request: [UInt8], now: UInt64) -> Answer {
        guard let text = String(validating: request, as: UTF8.self), let blank = text.range(of: "\n\n") else {
            return Answer(status: 400, body: "expected the old size, proof lines, an empty line and the checkpoint\n")
        }
        var head = text[..<blank.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
        let note = String(text[blank.upperBound...])
        guard let first = head.first, first.hasPrefix("old "), let old = Int(first.dropFirst(4)), old >= 0,
            String(old) == first.dropFirst(4)
        else { return Answer(status: 400, body: "the first line must be \"old <size>\"\n") }
        head.removeFirst()
        let proof = head.compactMap { Data(base64Encoded: String($0)).map(Array.init) }
        guard proof.count == head.count, proof.count <= 63, proof.allSatisfy({ $0.count == 32 }) else {
            return Answer(status: 400, body: "each proof line must be one base64 SHA-256 hash, at most 63 of them\n")
        }
        guard let origin = note.split(separator: "\n", maxSplits: 1).first.map(String.init), let log = logs[origin]
        else { return Answer(status: 404, body: "this witness does not witness that log\n") }
        guard let body = try? SignedNote.verify(note, key: log), let checkpoint = Checkpoint(body: body) else {
            return Answer(status: 403, body: "the checkpoint is not signed by the log's key\n")
        }
        guard old <= checkpoint.size else {
            return Answer(status: 400, body: "the old size exceeds the checkpoint's size\n")
        }
        return state.withLock { _ in
            let latest = self.latest(origin: origin)
            let stored = latest?.size ?? 0
            guard old == stored else {
                return Answer(status: 409, body: "\(stored)\n", contentType: "text/x.tlog.size")
            }
            if let latest {
                if checkpoint.size == latest.size {
                    guard checkpoint.root == latest.root else {
                        Self.warn("FORK: \(origin) signed two different trees of size \(latest.size)")
                        return Answer(status: 409, body: "\(stored)\n", contentType: "text/x.tlog.size")
                    }
                } else if !Merkle.verifyConsistency(
                    size1: latest.size, root1: latest.root, size2: checkpoint.size, root2: checkpoint.root,
                    proof: proof)
                {
                    Self.warn("\(origin): size \(checkpoint.size) does not extend size \(latest.size) seen before")
                    return Answer(status: 422, body: "the consistency proof does not verify\n")
                }
            } else if !proof.isEmpty {
                return Answer(status: 422, body: "from size 0 the consistency proof must be empty\n")
            }
            do {
                try Data(checkpoint.body.utf8).write(to: file(origin), options: .atomic)
                let line = try Cosignature.line(body: body, name: name, key: key, time: now)
                return Answer(status: 200, body: line)
            } catch {
                return Answer(status: 503, body: "the witness cannot keep its state: \(error)\n")
            }
        }
    }

    static func warn(_ message: String) {
        FileHandle.standardError.write(Data("dakiya-audit witness: \(message)\n".utf8))
    }
}
