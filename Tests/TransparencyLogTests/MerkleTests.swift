import Cryptography
import Foundation
import ServiceRuntime
import TestSupport
import Testing
import TransparencyLog

@Suite("Merkle tree (RFC 9162)")
struct MerkleTests {
    @Test(
        "roots match the published vectors (certificate-transparency's merkle_tree_test, kept in trillian and transparency-dev)"
    )
    func publishedRoots() {
        let inputs: [[UInt8]] = [
            [], [0x00], [0x10], [0x20, 0x21], [0x30, 0x31], [0x40, 0x41, 0x42, 0x43],
            [0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57], Array(0x60...0x6f),
        ]
        let roots = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ]
        let leaves = inputs.map(Merkle.leafHash)
        var frontier = MerkleFrontier()
        for size in 1...8 {
            #expect(Hex.encode(Merkle.root(leaves.prefix(size))) == roots[size - 1], "size \(size)")
            frontier.append(leaves[size - 1])
            #expect(Hex.encode(frontier.root) == roots[size - 1], "frontier at size \(size)")
        }
        #expect(
            Hex.encode(Merkle.emptyRoot) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test(
        "every root, inclusion proof and consistency proof for sizes 1 to 300 equals an independent implementation's, and verifies"
    )
    func independentImplementation() throws {
        let count = 300
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Support/merkle_reference.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script, String(count)]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let reference = String(decoding: data, as: UTF8.self).split(separator: "\n").map { $0.split(separator: " ") }
        try #require(reference.count == count)

        let tree = MerkleTree(leafHashes: (0..<count).map { Merkle.leafHash(Array("leaf-\($0)".utf8)) })
        var frontier = MerkleFrontier()
        var failures = 0
        for size in 1...count {
            frontier.append(tree.leafHashes[size - 1])
            let root = tree.root(size: size)
            var inclusion: [UInt8] = []
            for index in 0..<size {
                let proof = tree.inclusionProof(index: index, size: size)
                inclusion += proof.flatMap { $0 }
                if !Merkle.verifyInclusion(
                    leafHash: tree.leafHashes[index], index: index, size: size, proof: proof, root: root)
                {
                    failures += 1
                }
            }
            var consistency: [UInt8] = []
            for old in 1..<size {
                let proof = tree.consistencyProof(from: old, to: size)
                consistency += proof.flatMap { $0 }
                if !Merkle.verifyConsistency(
                    size1: old, root1: tree.root(size: old), size2: size, root2: root, proof: proof)
                {
                    failures += 1
                }
            }
            let line = reference[size - 1]
            #expect(String(line[0]) == String(size))
            #expect(Hex.encode(root) == line[1], "root of \(size)")
            #expect(Hex.encode(frontier.root) == line[1], "frontier root of \(size)")
            #expect(SHA256.hexDigest(inclusion) == line[2], "inclusion proofs of \(size)")
            #expect(SHA256.hexDigest(consistency) == line[3], "consistency proofs of \(size)")
        }
        #expect(failures == 0, "every proof verifies")
    }

    @Test("a proof for another leaf, index, size or root, or with one bit changed, does not verify")
    func tamperedProofsFail() {
        let tree = MerkleTree(leafHashes: (0..<37).map { Merkle.leafHash(Array("entry \($0)".utf8)) })
        let root = tree.root(size: 37)
        let proof = tree.inclusionProof(index: 12, size: 37)
        let leaf = tree.leafHashes[12]
        #expect(Merkle.verifyInclusion(leafHash: leaf, index: 12, size: 37, proof: proof, root: root))
        #expect(!Merkle.verifyInclusion(leafHash: tree.leafHashes[13], index: 12, size: 37, proof: proof, root: root))
        #expect(!Merkle.verifyInclusion(leafHash: leaf, index: 13, size: 37, proof: proof, root: root))
        // (The size is bound to the root by the signed checkpoint; a size of another shape fails here already.)
        #expect(!Merkle.verifyInclusion(leafHash: leaf, index: 12, size: 32, proof: proof, root: root))
        #expect(!Merkle.verifyInclusion(leafHash: leaf, index: 12, size: 37, proof: proof, root: tree.root(size: 36)))
        #expect(!Merkle.verifyInclusion(leafHash: leaf, index: 12, size: 37, proof: proof.dropLast(), root: root))
        #expect(!Merkle.verifyInclusion(leafHash: leaf, index: 12, size: 37, proof: proof + [root], root: root))
        #expect(!Merkle.verifyInclusion(leafHash: leaf, index: 37, size: 37, proof: proof, root: root))
        var flipped = proof
        flipped[1][0] ^= 1
        #expect(!Merkle.verifyInclusion(leafHash: leaf, index: 12, size: 37, proof: flipped, root: root))

        let consistency = tree.consistencyProof(from: 20, to: 37)
        let old = tree.root(size: 20)
        #expect(Merkle.verifyConsistency(size1: 20, root1: old, size2: 37, root2: root, proof: consistency))
        #expect(!Merkle.verifyConsistency(size1: 21, root1: old, size2: 37, root2: root, proof: consistency))
        #expect(
            !Merkle.verifyConsistency(
                size1: 20, root1: tree.root(size: 19), size2: 37, root2: root, proof: consistency),
            "a rewritten history (another old root) is caught")
        #expect(!Merkle.verifyConsistency(size1: 37, root1: root, size2: 20, root2: old, proof: consistency))
        #expect(!Merkle.verifyConsistency(size1: 20, root1: old, size2: 37, root2: root, proof: []))
        #expect(Merkle.verifyConsistency(size1: 37, root1: root, size2: 37, root2: root, proof: []))
        #expect(!Merkle.verifyConsistency(size1: 37, root1: root, size2: 37, root2: old, proof: []))
    }

    @Test("a frontier rebuilt from its stored size and subtree roots continues the same tree")
    func frontierRestores() throws {
        var frontier = MerkleFrontier()
        for index in 0..<11 { frontier.append(Merkle.leafHash([UInt8(index)])) }
        #expect(frontier.subtrees.count == 3, "11 = 8 + 2 + 1")
        var restored = try #require(MerkleFrontier(size: frontier.size, subtrees: frontier.subtrees))
        #expect(MerkleFrontier(size: 11, subtrees: Array(frontier.subtrees.dropLast())) == nil)
        frontier.append(Merkle.leafHash([11]))
        restored.append(Merkle.leafHash([11]))
        #expect(restored == frontier)
        #expect(restored.root == Merkle.root((0..<12).map { Merkle.leafHash([UInt8($0)]) }[...]))
    }
}

@Suite("Canonical JSON and signed checkpoints")
struct CheckpointTests {
    @Test("entries serialise as RFC 8785: members by UTF-16 order, no white space, escapes as JSON.stringify")
    func canonicalJSON() throws {
        let entry = CanonicalJSON.object([
            "v": .integer(1), "type": .string("outcome.accepted"), "b": .bool(true), "z": .null,
            "\u{20AC}": .string("euro"), "\u{1F600}": .string("emoji"), "\u{FB01}": .string("ligature"),
            "text": .string("line\nbreak \"quoted\" \\ tab\t\u{1}"), "list": .array([.integer(-3), .string("मराठी")]),
        ])
        // U+1F600 is the surrogate pair D83D DE00, which sorts before U+FB01 (FB01) and after U+20AC (20AC).
        #expect(
            try entry.text()
                == #"{"b":true,"list":[-3,"मराठी"],"text":"line\nbreak \"quoted\" \\ tab\t\u0001","type":"outcome.accepted","v":1,"z":null,"€":"euro","😀":"emoji","ﬁ":"ligature"}"#
        )
        #expect(throws: CanonicalJSON.Unrepresentable.self) { try CanonicalJSON.integer(1 << 53).bytes() }
        #expect(try CanonicalJSON.integer(-((1 << 53) - 1)).text() == "-9007199254740991")
    }

    @Test("interoperates with Go's golang.org/x/mod/sumdb/note: its example key signs the same note, byte for byte")
    func goNoteVector() throws {
        let text =
            "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
        let note =
            text
            + "\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
        let verifier = try #require(
            NoteKey(verifierKey: "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"))
        #expect(Hex.encode(verifier.keyID) == "c74f20a3", "the key id is derived as Go derives it")
        #expect(try SignedNote.verify(note, key: verifier) == text)
        // The signer key "PRIVATE+KEY+PeterNeumann+c74f20a3+<base64(0x01 ‖ seed)>" (its base64 holds a '+').
        let seed = try #require(Data(base64Encoded: "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")).dropFirst()
        let key = try Ed25519PrivateKey(rawRepresentation: Array(seed))
        #expect(try SignedNote.sign(text, name: "PeterNeumann", key: key) == note)
    }

    @Test("a checkpoint is a C2SP signed note: signed, parsed back, verified; a witness cosigns; tampering is refused")
    func signedCheckpoint() throws {
        let logKey = try Ed25519PrivateKey()
        let witnessKey = try Ed25519PrivateKey()
        let log = NoteKey(name: "dakiya.example/log", publicKey: try logKey.publicKey().rawRepresentation)
        let witness = NoteKey(name: "audit.example/witness", publicKey: try witnessKey.publicKey().rawRepresentation)
        let checkpoint = Checkpoint(origin: "dakiya.example/log", size: 42, root: SHA256.hash(Array("r".utf8)))
        #expect(checkpoint.body.split(separator: "\n").count == 3)
        let note = try SignedNote.sign(checkpoint.body, name: log.name, key: logKey)
        #expect(note.hasPrefix(checkpoint.body + "\n\u{2014} dakiya.example/log "))
        let verified = try SignedNote.verify(note, key: try #require(NoteKey(verifierKey: log.verifierKey)))
        #expect(Checkpoint(body: verified) == checkpoint)

        // A witness's cosignature (C2SP tlog-cosignature): its own key type, a timestamp, the cosignature/v1 message.
        let cosigner = NoteKey(name: witness.name, publicKey: witness.publicKey, type: NoteKey.cosignatureV1)
        let parsed = try #require(NoteKey(verifierKey: cosigner.verifierKey))
        #expect(parsed == cosigner && cosigner.keyID != witness.keyID)
        let cosigned =
            note
            + (try Cosignature.line(body: checkpoint.body, name: witness.name, key: witnessKey, time: 1_679_315_147))
        #expect(try SignedNote.verify(cosigned, key: log) == checkpoint.body, "the log's signature still verifies")
        let cosigners = try Cosignature.verify(cosigned, witnesses: [parsed])
        #expect(cosigners.map(\.name) == [witness.name] && cosigners.map(\.time) == [1_679_315_147])
        #expect(try Cosignature.verify(note, witnesses: [parsed]).isEmpty)
        #expect(try Cosignature.verify(cosigned, witnesses: [witness]).isEmpty, "a plain note key is not a cosigner")
        #expect(
            try Cosignature.verify(cosigned.replacingOccurrences(of: "\n42\n", with: "\n41\n"), witnesses: [parsed])
                .isEmpty, "a cosignature covers the body")

        let tampered = note.replacingOccurrences(of: "\n42\n", with: "\n43\n")
        #expect(throws: SignedNote.Refusal.self) { try SignedNote.verify(tampered, key: log) }
        #expect(throws: SignedNote.Refusal.self) { try SignedNote.verify(note, key: witness) }
        #expect(
            NoteKey(verifierKey: log.verifierKey.replacingOccurrences(of: "+", with: "+0", options: [], range: nil))
                == nil)
        #expect(Checkpoint(body: "origin\n-1\nAAAA\n") == nil)
    }
}
