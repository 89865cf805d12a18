import Cryptography
import Foundation
import Postgres
import ServiceRuntime

/// The `Dakiya-Signature` header on status callbacks: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
///
/// A receiver recomputes the HMAC over the timestamp and the raw body, compares in constant time, and refuses
/// a timestamp outside its tolerance, so a captured request cannot be replayed later.
package enum CallbackSignature {
    package static let header = "Dakiya-Signature"

    /// The `Dakiya-Signature` header value for `body` sent at `timestamp` (Unix seconds): `t=<timestamp>,v1=<hex HMAC-SHA256 of "timestamp.body">`.
    package static func sign(body: [UInt8], secret: String, timestamp: Int) -> String {
        sign(body: body, secrets: [secret], timestamp: timestamp)
    }

    /// During a secret changeover: one `v1=` per secret, the new one first (`t=…,v1=<new>,v1=<previous>`). A
    /// receiver that accepts any `v1` matching its secret verifies with either, as Stripe's receivers do.
    package static func sign(body: [UInt8], secrets: [String], timestamp: Int) -> String {
        (["t=\(timestamp)"]
            + secrets.map {
                "v1=" + Hex.encode(HMAC.sha256(key: Array($0.utf8), message: Array("\(timestamp).".utf8) + body))
            }).joined(separator: ",")
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

/// A department's callback signing secrets: set with its URL, rotated with an overlap.
package enum CallbackSecrets {
    /// A new secret (`dkcb_…`).
    /// - Throws: when the system's random source fails.
    package static func generate() throws -> String { "dkcb_" + (try SecureRandom.token()) }

    /// Makes a new secret current and keeps the old one signing beside it for `overlapHours` (0: the old one stops
    /// at once, for a leaked secret). Returns the new secret, or nil when the department has no callback secret.
    /// - Throws: a database error.
    package static func rotate(department: String, overlapHours: Int, on connection: Connection) throws -> String? {
        let secret = try generate()
        let rotated = try connection.query(
            """
            UPDATE departments SET callback_secret = $2,
                callback_secret_previous = CASE WHEN $3 > 0 THEN callback_secret END,
                callback_secret_previous_until = CASE WHEN $3 > 0 THEN now() + make_interval(hours => $3) END
            WHERE code = $1 AND callback_secret IS NOT NULL
            """, [department, secret, overlapHours]
        ).affectedRows
        return rotated == 1 ? secret : nil
    }

    /// Ends a changeover now: only the current secret signs from here on. False when there is no such department.
    /// - Throws: a database error.
    package static func endOverlap(department: String, on connection: Connection) throws -> Bool {
        try connection.query(
            """
            UPDATE departments SET callback_secret_previous = NULL, callback_secret_previous_until = NULL
            WHERE code = $1
            """, [department]
        ).affectedRows == 1
    }
}
