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

/// A note signer or verifier's identity: a name, an Ed25519 key and its signature type (0x01 for a note's signer,
/// 0x04 for a C2SP tlog-cosignature witness), with the key id C2SP signed-note derives from them (the first 4 bytes
/// of SHA-256(name ‖ "\n" ‖ type ‖ public key)).
package struct NoteKey: Sendable, Equatable {
    /// Signature types.
    package static let ed25519: UInt8 = 0x01
    package static let cosignatureV1: UInt8 = 0x04

    package var name: String
    package var publicKey: [UInt8]
    package var type: UInt8

    /// The identity of `name` with the 32-byte Ed25519 `publicKey`, signing as `type`.
    package init(name: String, publicKey: [UInt8], type: UInt8 = NoteKey.ed25519) {
        self.name = name
        self.publicKey = publicKey
        self.type = type
    }

    /// The 4-byte key id.
    package var keyID: [UInt8] { Array(SHA256.hash(Array(name.utf8) + [0x0A, type] + publicKey).prefix(4)) }

    /// The verifier key string tools exchange: `name+hex key id+base64(type ‖ public key)`.
    package var verifierKey: String {
        "\(name)+\(Hex.encode(keyID))+\(Data([type] + publicKey).base64EncodedString())"
    }

    /// Parses a verifier key string; nil when it is malformed, not an Ed25519 key (type 0x01) or cosigner key (type
    /// 0x04), or its key id does not match.
    package init?(verifierKey: String) {
        // The base64 key may itself hold '+': only the first two separate.
        let parts = verifierKey.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, let key = Data(base64Encoded: String(parts[2])), key.count == 33,
            let type = key.first, type == Self.ed25519 || type == Self.cosignatureV1
        else { return nil }
        self.init(name: String(parts[0]), publicKey: Array(key.dropFirst()), type: type)
        guard Hex.encode(keyID) == parts[1] else { return nil }
    }
}

/// Witness cosignatures (C2SP tlog-cosignature, cosignature/v1): a note signature line whose signature is an 8-byte
/// big-endian timestamp and an Ed25519 signature over "cosignature/v1\ntime <timestamp>\n" and the note body.
package enum Cosignature {
    /// The message a witness signs for `body` at `time`.
    package static func message(body: String, time: UInt64) -> [UInt8] {
        Array("cosignature/v1\ntime \(time)\n\(body)".utf8)
    }

    /// The cosignature line of `key` as `name` on `body` at `time` (seconds since the epoch).
    /// - Throws: `CryptographyError` when OpenSSL cannot sign or give the public key.
    package static func line(body: String, name: String, key: Ed25519PrivateKey, time: UInt64) throws -> String {
        let identity = NoteKey(
            name: name, publicKey: try key.publicKey().rawRepresentation, type: NoteKey.cosignatureV1)
        let stamp = (0..<8).map { UInt8(truncatingIfNeeded: time >> (56 - 8 * $0)) }
        let signature = try key.signature(for: message(body: body, time: time))
        return "\u{2014} \(name) \(Data(identity.keyID + stamp + signature).base64EncodedString())\n"
    }

    /// The witnesses among `witnesses` (cosigner keys) with a valid cosignature on `note`, and when each signed.
    /// - Throws: `SignedNote.Refusal` when `note` is not a signed note.
    package static func verify(_ note: String, witnesses: [NoteKey]) throws -> [(name: String, time: UInt64)] {
        let (body, signatures) = try SignedNote.split(note)
        return witnesses.compactMap { witness in
            guard witness.type == NoteKey.cosignatureV1,
                let publicKey = try? Ed25519PublicKey(rawRepresentation: witness.publicKey),
                let line = signatures.first(where: { $0.0 == witness.name && $0.1 == witness.keyID }),
                line.2.count == 72
            else { return nil }
            let time = line.2.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard publicKey.isValidSignature(Array(line.2.dropFirst(8)), for: message(body: body, time: time))
            else { return nil }
            return (witness.name, time)
        }
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

    /// The body of `note` once `key` (a note signer's key, type 0x01) has signed it.
    /// - Throws: `Refusal` when the note is malformed or `key`'s signature is missing or invalid.
    package static func verify(_ note: String, key: NoteKey) throws -> String {
        let (body, signatures) = try split(note)
        // As C2SP signed-note (and Go's note.Open) have it: the first line by a known key decides for that key.
        guard key.type == NoteKey.ed25519, let publicKey = try? Ed25519PublicKey(rawRepresentation: key.publicKey),
            let line = signatures.first(where: { $0.0 == key.name && $0.1 == key.keyID }),
            publicKey.isValidSignature(line.2, for: Array(body.utf8))
        else { throw Refusal(reason: "no valid signature by \(key.name)") }
        return body
    }
}
