import Cryptography
import Foundation
import ServiceRuntime

/// A log's checkpoint (C2SP tlog-checkpoint): its origin (the log's name), size and root, as the body of a signed
/// note (C2SP signed-note) so existing tools read it. Signatures are Ed25519 (signature type 0x01).
package struct Checkpoint: Sendable, Equatable {
    /// The log's unique name, e.g. `dakiya.maharashtra.gov.in/log`.
    package var origin: String
    package var size: Int
    /// The Merkle root of the first `size` entries.
    package var root: [UInt8]

    /// A checkpoint of `origin` at `size` with `root`.
    package init(origin: String, size: Int, root: [UInt8]) {
        self.origin = origin
        self.size = size
        self.root = root
    }

    /// The note body: origin, size and base64 root, one per line, each ending in a newline.
    package var body: String { "\(origin)\n\(size)\n\(Data(root).base64EncodedString())\n" }

    /// Parses a note body; nil when it is not a checkpoint (extension lines after the root are allowed and ignored).
    package init?(body: String) {
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
        guard body.hasSuffix("\n"), lines.count >= 4, !lines[0].isEmpty,
            let size = Int(lines[1]), size >= 0, String(size) == lines[1],
            let root = Data(base64Encoded: String(lines[2])), root.count == 32
        else { return nil }
        self.init(origin: String(lines[0]), size: size, root: Array(root))
    }
}

/// A note signer or verifier's identity: a name and an Ed25519 key, with the key id C2SP signed-note derives from
/// them (the first 4 bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key)).
package struct NoteKey: Sendable {
    package var name: String
    package var publicKey: [UInt8]

    /// The identity of `name` with the 32-byte Ed25519 `publicKey`.
    package init(name: String, publicKey: [UInt8]) {
        self.name = name
        self.publicKey = publicKey
    }

    /// The 4-byte key id.
    package var keyID: [UInt8] { Array(SHA256.hash(Array(name.utf8) + [0x0A, 0x01] + publicKey).prefix(4)) }

    /// The verifier key string tools exchange: `name+hex key id+base64(0x01 ‖ public key)`.
    package var verifierKey: String {
        "\(name)+\(Hex.encode(keyID))+\(Data([0x01] + publicKey).base64EncodedString())"
    }

    /// Parses a verifier key string; nil when it is malformed, not Ed25519, or its key id does not match.
    package init?(verifierKey: String) {
        // The base64 key may itself hold '+': only the first two separate.
        let parts = verifierKey.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, let key = Data(base64Encoded: String(parts[2])), key.count == 33,
            key.first == 0x01
        else { return nil }
        self.init(name: String(parts[0]), publicKey: Array(key.dropFirst()))
        guard Hex.encode(keyID) == parts[1] else { return nil }
    }
}

/// A signed note (C2SP signed-note): a text body, a blank line, and one signature line per signer
/// (`— name base64(key id ‖ signature)`).
package enum SignedNote {
    /// Why a note was refused.
    package struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        /// What is wrong, for the auditor to read.
        package var reason: String
        package var description: String { reason }
    }

    /// The note of `body` signed by `key` as `name` (the body must end in a newline).
    /// - Throws: `CryptographyError` when OpenSSL cannot sign or give the public key.
    package static func sign(_ body: String, name: String, key: Ed25519PrivateKey) throws -> String {
        precondition(body.hasSuffix("\n"), "a note body ends in a newline")
        let identity = NoteKey(name: name, publicKey: try key.publicKey().rawRepresentation)
        let signature = try key.signature(for: Array(body.utf8))
        return body + "\n" + signatureLine(identity, signature)
    }

    /// `note` with one more signature (a witness's cosignature) by `key` as `name`.
    /// - Throws: `Refusal` when `note` is not a signed note; `CryptographyError` when OpenSSL cannot sign.
    package static func addSignature(to note: String, name: String, key: Ed25519PrivateKey) throws -> String {
        let (body, _) = try split(note)
        let identity = NoteKey(name: name, publicKey: try key.publicKey().rawRepresentation)
        return note + signatureLine(identity, try key.signature(for: Array(body.utf8)))
    }

    static func signatureLine(_ identity: NoteKey, _ signature: [UInt8]) -> String {
        "\u{2014} \(identity.name) \(Data(identity.keyID + signature).base64EncodedString())\n"
    }

    /// The body of `note` and its signature lines as (name, key id, signature).
    /// - Throws: `Refusal` when `note` is not a signed note.
    package static func split(_ note: String) throws -> (body: String, signatures: [(String, [UInt8], [UInt8])]) {
        guard let separator = note.range(of: "\n\n", options: .backwards) else {
            throw Refusal(reason: "not a signed note: no blank line before the signatures")
        }
        let body = String(note[..<separator.lowerBound]) + "\n"
        var signatures: [(String, [UInt8], [UInt8])] = []
        for line in note[separator.upperBound...].split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 3, parts[0] == "\u{2014}", let bytes = Data(base64Encoded: String(parts[2])),
                bytes.count > 4
            else { throw Refusal(reason: "a signature line is malformed") }
            signatures.append((String(parts[1]), Array(bytes.prefix(4)), Array(bytes.dropFirst(4))))
        }
        guard !signatures.isEmpty, note.hasSuffix("\n") else { throw Refusal(reason: "the note has no signatures") }
        return (body, signatures)
    }

    /// The body of `note` once `key` has signed it; the names of the other keys among `others` that signed it too.
    /// - Throws: `Refusal` when the note is malformed or `key`'s signature is missing or invalid.
    package static func verify(_ note: String, key: NoteKey, others: [NoteKey] = []) throws -> (
        body: String, cosigners: [String]
    ) {
        let (body, signatures) = try split(note)
        let message = Array(body.utf8)
        // As C2SP signed-note (and Go's note.Open) have it: the first line by a known key decides for that key.
        func valid(_ identity: NoteKey) -> Bool {
            guard let publicKey = try? Ed25519PublicKey(rawRepresentation: identity.publicKey),
                let line = signatures.first(where: { $0.0 == identity.name && $0.1 == identity.keyID })
            else { return false }
            return publicKey.isValidSignature(line.2, for: message)
        }
        guard valid(key) else { throw Refusal(reason: "no valid signature by \(key.name)") }
        return (body, others.filter(valid).map(\.name))
    }
}
