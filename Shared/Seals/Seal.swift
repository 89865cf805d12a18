import Cryptography
import Foundation

/// A certificate's seal: a compact, versioned, signed statement that the gateway delivered this certificate,
/// printed as a QR code on it. It holds no personal data: the issuing key's id, the transparency-log index of
/// the certificate's issue entry, the issue day, the document type and the certificate id, and an Ed25519
/// signature over them. A verifier takes the issuer's name from the key registry, never from the seal.
///
/// Bytes (big-endian): version (1) ‖ key id (4) ‖ log index (6) ‖ issue day, days since 1970-01-01 (3) ‖
/// document type (1-byte length + ASCII) ‖ certificate id (1-byte length + ASCII) ‖ signature (64), the signature
/// over "dakiya-seal/v1\n" ‖ everything before it. Written in base32 (RFC 4648, no padding), so the whole QR
/// content (an upper-case URL) stays in the QR alphanumeric set.
package struct Seal: Sendable, Equatable {
    /// The format's version byte.
    package static let version: UInt8 = 1
    /// What the signature is over before the seal's bytes (domain separation).
    static let context = Array("dakiya-seal/v1\n".utf8)
    /// The longest document type and certificate id.
    package static let maximumTypeLength = 24
    package static let maximumIDLength = 32

    package var keyID: [UInt8]
    package var logIndex: Int
    /// Days since 1970-01-01 (the issue date in India Standard Time).
    package var issuedDay: Int
    /// The kind of certificate, as the catalogue's service code (e.g. `INCOME`).
    package var documentType: String
    /// The gateway's id of the certificate (e.g. `DK-7Q2M4`).
    package var certificateID: String
    package var signature: [UInt8]

    /// Why a seal cannot be made or read.
    package struct Malformed: Error, Sendable, Equatable, CustomStringConvertible {
        package var reason: String
        package var description: String { reason }
    }

    /// The key id of a seal-signing public key: the first 4 bytes of SHA-256("dakiya-seal-key\n" ‖ key).
    package static func keyID(publicKey: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(Array("dakiya-seal-key\n".utf8) + publicKey).prefix(4))
    }

    /// A seal signed by `key`.
    /// - Throws: `Malformed` when a field is out of range; `CryptographyError` when OpenSSL cannot sign.
    package init(
        key: Ed25519PrivateKey, logIndex: Int, issuedDay: Int, documentType: String, certificateID: String
    ) throws {
        self.keyID = Self.keyID(publicKey: try key.publicKey().rawRepresentation)
        self.logIndex = logIndex
        self.issuedDay = issuedDay
        self.documentType = documentType
        self.certificateID = certificateID
        self.signature = []
        signature = try key.signature(for: Self.context + (try unsignedBytes()))
    }

    /// The bytes the signature covers (without the context).
    /// - Throws: `Malformed` when a field is out of range.
    func unsignedBytes() throws -> [UInt8] {
        guard keyID.count == 4 else { throw Malformed(reason: "a key id is 4 bytes") }
        guard (0..<(1 << 48)).contains(logIndex) else { throw Malformed(reason: "the log index is out of range") }
        guard (0..<(1 << 24)).contains(issuedDay) else { throw Malformed(reason: "the issue day is out of range") }
        guard Self.isCode(documentType, maximum: Self.maximumTypeLength) else {
            throw Malformed(reason: "the document type must be 1-24 of A-Z, 0-9, _ and -")
        }
        guard Self.isCode(certificateID, maximum: Self.maximumIDLength) else {
            throw Malformed(reason: "the certificate id must be 1-32 of A-Z, 0-9, _ and -")
        }
        var out: [UInt8] = [Self.version] + keyID
        out += (0..<6).map { UInt8(truncatingIfNeeded: logIndex >> (40 - 8 * $0)) }
        out += (0..<3).map { UInt8(truncatingIfNeeded: issuedDay >> (16 - 8 * $0)) }
        out += [UInt8(documentType.utf8.count)] + Array(documentType.utf8)
        out += [UInt8(certificateID.utf8.count)] + Array(certificateID.utf8)
        return out
    }

    static func isCode(_ text: String, maximum: Int) -> Bool {
        (1...maximum).contains(text.utf8.count)
            && text.utf8.allSatisfy {
                (0x41...0x5A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F || $0 == 0x2D
            }
    }

    /// The seal's bytes.
    /// - Throws: `Malformed` when a field is out of range.
    package func bytes() throws -> [UInt8] { try unsignedBytes() + signature }

    /// The seal in base32 (upper case, no padding).
    /// - Throws: `Malformed` when a field is out of range.
    package func text() throws -> String { Base32.encode(try bytes()) }

    /// Reads a seal from its bytes; the signature is not checked here (see `isSigned(by:)`).
    /// - Throws: `Malformed` naming what is wrong: version, length, fields.
    package init(bytes: [UInt8]) throws {
        guard bytes.count >= 1 + 4 + 6 + 3 + 2 + 2 + 64 else { throw Malformed(reason: "the seal is too short") }
        guard bytes.count <= 1 + 4 + 6 + 3 + 1 + Self.maximumTypeLength + 1 + Self.maximumIDLength + 64 else {
            throw Malformed(reason: "the seal is too long")
        }
        guard bytes[0] == Self.version else { throw Malformed(reason: "unknown seal version \(bytes[0])") }
        var offset = 1
        func take(_ count: Int) throws -> ArraySlice<UInt8> {
            guard offset + count <= bytes.count - 64 else { throw Malformed(reason: "the seal is cut short") }
            defer { offset += count }
            return bytes[offset..<(offset + count)]
        }
        keyID = Array(try take(4))
        logIndex = try take(6).reduce(0) { $0 << 8 | Int($1) }
        issuedDay = try take(3).reduce(0) { $0 << 8 | Int($1) }
        let typeLength = Int(try take(1).first ?? 0)
        documentType = String(decoding: try take(typeLength), as: UTF8.self)
        let idLength = Int(try take(1).first ?? 0)
        certificateID = String(decoding: try take(idLength), as: UTF8.self)
        guard offset == bytes.count - 64 else { throw Malformed(reason: "the seal has bytes it should not") }
        signature = Array(bytes.suffix(64))
        // Re-encoding checks the fields (ASCII codes, lengths) and that nothing was encoded two ways.
        guard try unsignedBytes() + signature == bytes else {
            throw Malformed(reason: "the seal's fields are malformed")
        }
    }

    /// Reads a seal from its base32 text (any case).
    /// - Throws: `Malformed` when it is not base32 or not a seal.
    package init(text: String) throws {
        guard text.utf8.count <= 400, let bytes = Base32.decode(text) else {
            throw Malformed(reason: "the seal is not base32 text of a sensible length")
        }
        try self.init(bytes: bytes)
    }

    /// Whether `publicKey` (32-byte Ed25519) signed this seal.
    package func isSigned(by publicKey: [UInt8]) -> Bool {
        guard Self.keyID(publicKey: publicKey) == keyID, let key = try? Ed25519PublicKey(rawRepresentation: publicKey),
            let message = try? unsignedBytes()
        else { return false }
        return key.isValidSignature(signature, for: Self.context + message)
    }

    /// The issue date as `YYYY-MM-DD`.
    package var issuedOn: String {
        let date = Date(timeIntervalSince1970: Double(issuedDay) * 86_400)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    /// The QR's content: `base` (the verification page's address, e.g. `https://verify.example/v`) in upper case,
    /// a slash and the seal's text. All of it is in the QR alphanumeric set when `base` is a plain URL.
    /// - Throws: `Malformed` when a field is out of range.
    package func url(base: String) throws -> String { base.uppercased() + "/" + (try text()) }
}

/// RFC 4648 base32, upper case, without padding.
package enum Base32 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    /// `bytes` in base32.
    package static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var buffer = 0
        var bits = 0
        for byte in bytes {
            buffer = buffer << 8 | Int(byte)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
            buffer &= (1 << bits) - 1
        }
        if bits > 0 { out.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of base32 `text` (either case, no padding); nil when it is not base32 or has stray bits.
    package static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var buffer = 0
        var bits = 0
        for character in text.uppercased().utf8 {
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            buffer = buffer << 5 | value
            bits += 5
            if bits >= 8 {
                out.append(UInt8((buffer >> (bits - 8)) & 0xFF))
                bits -= 8
                buffer &= (1 << bits) - 1
            }
        }
        // What is left must be padding bits of zero, fewer than a whole character.
        guard bits < 5, buffer == 0 else { return nil }
        return out
    }
}
