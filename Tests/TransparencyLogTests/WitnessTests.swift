import Cryptography
import Foundation
import Testing
import TransparencyLog

@Suite("Witness (C2SP tlog-witness)")
struct WitnessTests {
    /// A log of `leaves` entries and its signer.
    struct Log {
        let key: Ed25519PrivateKey
        let verifier: NoteKey
        let tree: MerkleTree

        init(key: Ed25519PrivateKey, verifier: NoteKey, tree: MerkleTree) {
            self.key = key
            self.verifier = verifier
            self.tree = tree
        }

        init(leaves: Int, origin: String = "dakiya.test/log", salt: String = "") throws {
            key = try Ed25519PrivateKey()
            verifier = NoteKey(name: origin, publicKey: try key.publicKey().rawRepresentation)
            tree = MerkleTree(leafHashes: (0..<leaves).map { Merkle.leafHash(Array("\(salt)\($0)".utf8)) })
        }

        func note(size: Int) throws -> String {
            try SignedNote.sign(
                Checkpoint(origin: verifier.name, size: size, root: tree.root(size: size)).body, name: verifier.name,
                key: key)
        }

        /// An add-checkpoint request from `old` to `size`.
        func request(old: Int, size: Int, proof: [[UInt8]]? = nil) throws -> [UInt8] {
            let lines = (proof ?? tree.consistencyProof(from: old, to: size)).map {
                Data($0).base64EncodedString() + "\n"
            }
            return Array(("old \(old)\n" + lines.joined() + "\n" + (try note(size: size))).utf8)
        }
    }

    static func witness(for logs: [NoteKey], directory: URL) throws -> (Witness, NoteKey) {
        let witness = try Witness(
            name: "audit.test/witness", key: try Ed25519PrivateKey(), logs: logs, directory: directory)
        return (witness, try witness.verifierKey())
    }

    @Test(
        "cosigns the first checkpoint, then only checkpoints that extend it; refuses a wrong old size (409), a bad proof (422), a fork (409), a foreign key (403), an unknown log (404), a malformed request (400)"
    )
    func protocolAnswers() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("witness-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = try Log(leaves: 40)
        let (witness, key) = try Self.witness(for: [log.verifier], directory: directory)
        #expect(key.type == NoteKey.cosignatureV1)

        let first = witness.addCheckpoint(try log.request(old: 0, size: 10), now: 1_700_000_000)
        #expect(first.status == 200, "\(first)")
        let cosigned = try log.note(size: 10) + first.body
        #expect(try Cosignature.verify(cosigned, witnesses: [key]).map(\.time) == [1_700_000_000])

        let stale = witness.addCheckpoint(try log.request(old: 0, size: 20), now: 1_700_000_001)
        #expect(stale.status == 409 && stale.body == "10\n" && stale.contentType == "text/x.tlog.size")
        #expect(witness.addCheckpoint(try log.request(old: 10, size: 20), now: 1_700_000_002).status == 200)
        #expect(witness.latest(origin: log.verifier.name)?.size == 20)

        let wrongProof = try log.request(old: 20, size: 30, proof: log.tree.consistencyProof(from: 19, to: 30))
        #expect(witness.addCheckpoint(wrongProof, now: 1).status == 422)
        // A different log of the same origin and key (a fork): its size-30 tree does not extend what was cosigned.
        let fork = Log(
            key: log.key, verifier: log.verifier,
            tree: MerkleTree(leafHashes: (0..<40).map { Merkle.leafHash(Array("forked \($0)".utf8)) }))
        #expect(witness.addCheckpoint(try fork.request(old: 20, size: 30), now: 1).status == 422)
        #expect(
            witness.addCheckpoint(try fork.request(old: 20, size: 20), now: 1).status == 409, "same size, other root")
        #expect(witness.latest(origin: log.verifier.name)?.size == 20, "nothing refused was kept")

        let stranger = try Log(leaves: 5, origin: "dakiya.test/log")
        #expect(witness.addCheckpoint(try stranger.request(old: 20, size: 5, proof: []), now: 1).status == 403)
        let unknown = try Log(leaves: 5, origin: "other.test/log")
        #expect(witness.addCheckpoint(try unknown.request(old: 0, size: 5), now: 1).status == 404)
        for bad in ["", "old 1\n", "old 01\n\n", "new 1\n\nx\n", "old 5\nnot-base64!\n\n" + (try log.note(size: 30))] {
            #expect(witness.addCheckpoint(Array(bad.utf8), now: 1).status == 400, "\(bad)")
        }
        #expect(
            witness.addCheckpoint(try log.request(old: 30, size: 20, proof: []), now: 1).status == 400,
            "old beyond size")

        // The state survives a restart: a new witness over the same directory is at 20.
        let (again, _) = try Self.witness(for: [log.verifier], directory: directory)
        #expect(again.addCheckpoint(try log.request(old: 0, size: 30), now: 1).body == "20\n")
        #expect(again.addCheckpoint(try log.request(old: 20, size: 40), now: 1).status == 200)
    }

    @Test(
        "a proof file (C2SP tlog-proof) round-trips and verifies; a changed entry, index or missing quorum is refused")
    func offlineProof() throws {
        let log = try Log(leaves: 9)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("witness-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (witness, key) = try Self.witness(for: [log.verifier], directory: directory)
        let answer = witness.addCheckpoint(try log.request(old: 0, size: 9), now: 1_700_000_000)
        let note = try log.note(size: 9) + answer.body
        let proof = LogProof(
            entry: Array("3".utf8), index: 3, proof: log.tree.inclusionProof(index: 3, size: 9), note: note)
        #expect(proof.text.hasPrefix("c2sp.org/tlog-proof@v1\nextra Mw==\nindex 3\n"))
        let parsed = try #require(LogProof(text: proof.text))
        #expect(parsed == proof)
        let verified = try parsed.verify(key: log.verifier, witnesses: [key], quorum: 1)
        #expect(verified.checkpoint.size == 9 && verified.cosigners == ["audit.test/witness"])
        var changed = parsed
        changed.entry = Array("4".utf8)
        #expect(throws: SignedNote.Refusal.self) { try changed.verify(key: log.verifier) }
        changed = parsed
        changed.index = 4
        #expect(throws: SignedNote.Refusal.self) { try changed.verify(key: log.verifier) }
        let other = NoteKey(name: "other/witness", publicKey: key.publicKey, type: NoteKey.cosignatureV1)
        #expect(throws: SignedNote.Refusal.self) { try parsed.verify(key: log.verifier, witnesses: [other], quorum: 1) }
        #expect(LogProof(text: "c2sp.org/tlog-proof@v1\nindex 01\n\n" + note) == nil)
    }
}
