import Cryptography
import Foundation
import ServiceRuntime

/// The `Dakiya-Signature` header on status callbacks: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
///
/// A receiver recomputes the HMAC over the timestamp and the raw body, compares in constant time, and refuses
/// a timestamp outside its tolerance, so a captured request cannot be replayed later.
package enum CallbackSignature {
    package static let header = "Dakiya-Signature"

    /// The `Dakiya-Signature` header value for `body` sent at `timestamp` (Unix seconds): `t=<timestamp>,v1=<hex HMAC-SHA256 of "timestamp.body">`.
    package static func sign(body: [UInt8], secret: String, timestamp: Int) -> String {
        "t=\(timestamp),v1="
            + Hex.encode(HMAC.sha256(key: Array(secret.utf8), message: Array("\(timestamp).".utf8) + body))
    }

    /// True when `header` signs `body` with `secret` and its timestamp is within `tolerance` seconds of `now`.
    package static func verify(header: String?, body: [UInt8], secret: String, now: Int, tolerance: Int = 300) -> Bool {
        guard let header else { return false }
        var timestamp: Int?
        var signatures: [[UInt8]] = []
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { continue }
            if pair[0] == "t" { timestamp = Int(pair[1]) }
            if pair[0] == "v1", let bytes = Hex.decode(pair[1]) { signatures.append(bytes) }
        }
        guard let timestamp, abs(now - timestamp) <= tolerance else { return false }
        let expected = HMAC.sha256(key: Array(secret.utf8), message: Array("\(timestamp).".utf8) + body)
        return signatures.contains { constantTimeEquals($0, expected) }
    }
}
