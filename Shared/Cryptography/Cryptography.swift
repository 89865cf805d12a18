import CCrypto
import Glibc
import ServiceRuntime

/// An error from OpenSSL's libcrypto.
package struct CryptographyError: Error, CustomStringConvertible, Sendable {
    package var operation: String
    /// OpenSSL's packed error code (ERR_get_error), 0 when there was none.
    package var openSSLCode: UInt
    package var description: String {
        "cryptography: \(operation) failed (OpenSSL error \(String(openSSLCode, radix: 16)))"
    }
}

/// The one funnel from libcrypto's 1-for-success results to thrown errors.
@inline(__always)
private func check(_ result: Int32, _ operation: String) throws {
    guard result == 1 else {
        let code = ERR_get_error()
        ERR_clear_error()
        throw CryptographyError(operation: operation, openSSLCode: code)
    }
}

/// SHA-256.
package enum SHA256 {
    /// The 32-byte digest of `data`.
    package static func hash<Bytes: Collection>(_ data: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let bytes = Array(data)
        let result = bytes.withUnsafeBytes { input in
            EVP_Digest(input.baseAddress, input.count, &digest, &length, EVP_sha256(), nil)
        }
        precondition(result == 1 && length == 32, "EVP_Digest(SHA-256) cannot fail on valid input")
        return digest
    }

    /// The digest as lowercase hex.
    package static func hexDigest<Bytes: Collection>(_ data: Bytes) -> String where Bytes.Element == UInt8 {
        Hex.encode(hash(data))
    }
}

/// HMAC-SHA256 with constant-time verification.
package enum HMAC {
    /// The 32-byte HMAC-SHA256 of `message` under `key`.
    /// Like SHA256.hash, it cannot fail on valid input; if libcrypto ever fails (out of memory), the process stops
    /// rather than hand out a MAC of zeros.
    package static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        guard let mac = compute(key: key, message: message) else {
            preconditionFailure("HMAC-SHA256 failed in libcrypto")
        }
        return mac
    }

    /// True when `mac` is the HMAC-SHA256 of `message` under `key`, compared in constant time; false if libcrypto fails.
    package static func isValid(_ mac: [UInt8], key: [UInt8], message: [UInt8]) -> Bool {
        guard let expected = compute(key: key, message: message) else { return false }
        return constantTimeEquals(mac, expected)
    }

    private static func compute(key: [UInt8], message: [UInt8]) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let result = key.withUnsafeBytes { keyBytes in
            message.withUnsafeBytes { messageBytes in
                CCrypto.HMAC(
                    EVP_sha256(), keyBytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(keyBytes.count),
                    messageBytes.baseAddress?.assumingMemoryBound(to: UInt8.self), messageBytes.count, &out, &length)
            }
        }
        guard result != nil, length == 32 else {
            ERR_clear_error()
            return nil
        }
        return out
    }
}

/// Compares two byte strings in time that depends only on their length.
package func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    if a.isEmpty { return true }
    return a.withUnsafeBytes { x in b.withUnsafeBytes { y in CRYPTO_memcmp(x.baseAddress, y.baseAddress, a.count) == 0 }
    }
}

/// Cryptographically secure random bytes and tokens (OpenSSL's DRBG).
package enum SecureRandom {
    /// `count` random bytes.
    /// - Throws: `CryptographyError` when OpenSSL has no random bytes to give.
    package static func bytes(_ count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        try check(RAND_bytes(&out, Int32(count)), "RAND_bytes")
        return out
    }

    /// A URL-safe token carrying `byteCount` random bytes (base64url, no padding).
    /// - Throws: `CryptographyError` when OpenSSL has no random bytes to give.
    package static func token(byteCount: Int = 32) throws -> String { Base64URL.encode(try bytes(byteCount)) }
}

/// An Ed25519 private key: signs certificates and links.
package final class Ed25519PrivateKey: @unchecked Sendable {
    // Immutable after init; EVP_PKEY signing with a fresh context per call is thread-safe.
    private let key: OpaquePointer
    /// The 32-byte seed (keep it secret), read once when the key is made.
    package let rawRepresentation: [UInt8]

    /// A new random key.
    /// - Throws: `CryptographyError` when OpenSSL cannot make the key.
    package init() throws {
        guard let context = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nil) else {
            throw CryptographyError(operation: "EVP_PKEY_CTX_new_id", openSSLCode: ERR_get_error())
        }
        defer { EVP_PKEY_CTX_free(context) }
        try check(EVP_PKEY_keygen_init(context), "EVP_PKEY_keygen_init")
        var generated: OpaquePointer?
        try check(EVP_PKEY_keygen(context, &generated), "EVP_PKEY_keygen")
        guard let generated else { throw CryptographyError(operation: "EVP_PKEY_keygen", openSSLCode: 0) }
        var seed = [UInt8](repeating: 0, count: 32)
        var length = 32
        do {
            try check(EVP_PKEY_get_raw_private_key(generated, &seed, &length), "EVP_PKEY_get_raw_private_key")
        } catch {
            EVP_PKEY_free(generated)
            throw error
        }
        key = generated
        rawRepresentation = seed
    }

    /// The key whose 32-byte seed is `rawRepresentation`.
    /// - Throws: `CryptographyError` when the bytes are not a 32-byte Ed25519 key.
    package init(rawRepresentation: [UInt8]) throws {
        guard rawRepresentation.count == 32,
            let imported = EVP_PKEY_new_raw_private_key(
                EVP_PKEY_ED25519, nil, rawRepresentation, rawRepresentation.count)
        else {
            throw CryptographyError(operation: "Ed25519 private key import", openSSLCode: ERR_get_error())
        }
        key = imported
        self.rawRepresentation = rawRepresentation
    }

    deinit { EVP_PKEY_free(key) }

    /// The matching public key.
    /// - Throws: `CryptographyError` when OpenSSL cannot give the public key.
    package func publicKey() throws -> Ed25519PublicKey {
        var out = [UInt8](repeating: 0, count: 32)
        var length = 32
        try check(EVP_PKEY_get_raw_public_key(key, &out, &length), "EVP_PKEY_get_raw_public_key")
        return try Ed25519PublicKey(rawRepresentation: out)
    }

    /// The 64-byte signature of `message`.
    /// - Throws: `CryptographyError` when OpenSSL cannot sign.
    package func signature(for message: [UInt8]) throws -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else {
            throw CryptographyError(operation: "EVP_MD_CTX_new", openSSLCode: 0)
        }
        defer { EVP_MD_CTX_free(context) }
        try check(EVP_DigestSignInit(context, nil, nil, nil, key), "EVP_DigestSignInit")
        var signature = [UInt8](repeating: 0, count: 64)
        var length = 64
        try check(EVP_DigestSign(context, &signature, &length, message, message.count), "EVP_DigestSign")
        return signature
    }
}

/// An Ed25519 public key: verifies signatures.
package final class Ed25519PublicKey: @unchecked Sendable {
    private let key: OpaquePointer
    /// The 32-byte public key, as imported.
    package let rawRepresentation: [UInt8]

    /// A public key from its 32 raw bytes.
    /// - Throws: `CryptographyError` when the bytes are not a 32-byte Ed25519 public key.
    package init(rawRepresentation: [UInt8]) throws {
        guard rawRepresentation.count == 32,
            let imported = EVP_PKEY_new_raw_public_key(
                EVP_PKEY_ED25519, nil, rawRepresentation, rawRepresentation.count)
        else {
            throw CryptographyError(operation: "Ed25519 public key import", openSSLCode: ERR_get_error())
        }
        key = imported
        self.rawRepresentation = rawRepresentation
    }

    deinit { EVP_PKEY_free(key) }

    /// True when `signature` is valid for `message` under this key.
    package func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard signature.count == 64, let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, nil, nil, key) == 1 else { ERR_clear_error(); return false }
        let valid = EVP_DigestVerify(context, signature, signature.count, message, message.count) == 1
        ERR_clear_error()
        return valid
    }
}

/// Base64url without padding (RFC 4648 §5), for tokens and signed links.
package enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Base64url without padding (RFC 4648 §5).
    package static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index + 2 < bytes.count {
            let n = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out += [
                alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)],
                alphabet[Int(n & 63)],
            ]
            index += 3
        }
        let rest = bytes.count - index
        if rest == 1 {
            let n = UInt32(bytes[index]) << 16
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)]]
        } else if rest == 2 {
            let n = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)]]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes base64url without padding; nil for a character outside the alphabet, an impossible length, or
    /// unused trailing bits that are not zero (so each byte string has exactly one accepted spelling).
    package static func decode(_ text: String) -> [UInt8]? {
        var lookup = [Int8](repeating: -1, count: 256)
        for (index, c) in alphabet.enumerated() { lookup[Int(c)] = Int8(index) }
        let chars = Array(text.utf8)
        guard chars.count % 4 != 1 else { return nil }
        var out = [UInt8]()
        var buffer: UInt32 = 0
        var bits = 0
        for c in chars {
            let value = lookup[Int(c)]
            guard value >= 0 else { return nil }
            buffer = buffer << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(buffer >> UInt32(bits) & 0xFF))
            }
        }
        guard buffer & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return out
    }
}
