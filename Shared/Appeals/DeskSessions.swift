import Cryptography
import Foundation
import Postgres

/// An officer signed in to the desk.
package struct DeskSession: Sendable, Equatable {
    /// The SHA-256 of the cookie's token (the token itself is never stored).
    package var tokenHash: [UInt8]
    package var officer: OfficerKey
    /// What this session's CSRF tokens are made from.
    package var csrfSecret: [UInt8]

    /// The CSRF token a form of this session carries (HMAC of the form's purpose, so a token is only good for the
    /// kind of form it came with).
    package func csrfToken(for purpose: String) -> String {
        Base64URL.encode(HMAC.sha256(key: csrfSecret, message: Array(("desk-form:" + purpose).utf8)))
    }

    /// Whether `token` is this session's token for `purpose` (constant time).
    package func acceptsCSRF(_ token: String?, for purpose: String) -> Bool {
        guard let token, let bytes = Base64URL.decode(token) else { return false }
        return HMAC.isValid(bytes, key: csrfSecret, message: Array(("desk-form:" + purpose).utf8))
    }
}

/// Desk sessions: an officer key turned into a cookie. A session ends at sign-out, after `idle` unused, `lifetime`
/// after sign-in, or as soon as its officer key is revoked.
package enum DeskSessions {
    /// Unused this long, a session ends.
    package static let idle: Duration = .seconds(30 * 60)
    /// However used, a session ends this long after sign-in.
    package static let lifetime: Duration = .seconds(8 * 3600)

    /// Signs in with an officer key's secret: the new session and the cookie token (shown to the browser once);
    /// nil when the key is unknown, malformed or revoked.
    /// - Throws: `CryptographyError` when no random bytes can be had; `PostgresError` from the database.
    package static func signIn(secret: String, now: Date, on connection: Connection) throws -> (
        token: String, session: DeskSession
    )? {
        guard let key = try OfficerKeys.authenticate("Bearer " + secret, on: connection) else { return nil }
        let token = try SecureRandom.token(byteCount: 32)
        let csrf = try SecureRandom.bytes(32)
        let hash = SHA256.hash(Array(token.utf8))
        try connection.query(
            """
            INSERT INTO desk_sessions (token_hash, officer_key_id, csrf_secret, created_at, last_seen_at, expires_at)
            VALUES ($1, $2, $3, $4, $4, $4::timestamptz + make_interval(secs => $5))
            """, [PostgresBytes(hash), key.id, PostgresBytes(csrf), now, lifetime.seconds])
        return (token, DeskSession(tokenHash: hash, officer: key, csrfSecret: csrf))
    }

    /// The live session of a cookie token, its last use moved to `now`; nil when the token is unknown, or the
    /// session ended (signed out, idle too long, past its lifetime, its officer key revoked).
    /// - Throws: `PostgresError` from the database.
    package static func find(token: String, now: Date, on connection: Connection) throws -> DeskSession? {
        guard !token.isEmpty, token.utf8.count <= 128 else { return nil }
        let hash = SHA256.hash(Array(token.utf8))
        guard
            let row = try connection.query(
                """
                UPDATE desk_sessions s SET last_seen_at = $2
                FROM officer_keys k
                WHERE s.token_hash = $1 AND k.id = s.officer_key_id AND s.ended_at IS NULL AND k.revoked_at IS NULL
                  AND $2 < s.expires_at AND $2 < s.last_seen_at + make_interval(secs => $3)
                RETURNING k.id, k.prefix, k.role, k.office_code, k.officer_name, s.csrf_secret
                """, [PostgresBytes(hash), now, idle.seconds]
            ).first
        else { return nil }
        return DeskSession(
            tokenHash: hash,
            officer: OfficerKey(
                id: try row.decode(Int64.self, at: 0), prefix: try row.decode(String.self, at: 1),
                authority: Authority(
                    role: try row.decode(String.self, at: 2), office: try row.decode(String.self, at: 3)),
                officerName: try row.decode(String.self, at: 4)),
            csrfSecret: try row.decode(PostgresBytes.self, at: 5).bytes)
    }

    /// Ends a session (sign-out); its cookie opens nothing any more.
    /// - Throws: `PostgresError` from the database.
    package static func end(_ session: DeskSession, now: Date, on connection: Connection) throws {
        try connection.query(
            "UPDATE desk_sessions SET ended_at = $2 WHERE token_hash = $1 AND ended_at IS NULL",
            [PostgresBytes(session.tokenHash), now])
    }
}
