import Cryptography
import Foundation
import Postgres
import ServiceRuntime

/// A department's API key as stored (never the secret itself).
package struct APIKey: Sendable, Equatable {
    /// A test key's deliveries go to the test sinks; a live key's to citizens.
    package enum Kind: String, Sendable, CaseIterable { case test, live }

    /// What a key may do. Every key posts outcomes and reads its own deliveries; only the portal's key (the
    /// keeper of citizens' records) registers citizens and changes their contact details, language and consents.
    package enum Scope: String, Sendable, CaseIterable { case outcomes, citizens }

    package var id: Int64
    /// The public part, e.g. `dk_live_7fq2m9xa`: names the key in lists and logs.
    package var prefix: String
    package var kind: Kind
    package var department: String
    /// Empty means every office of the department.
    package var offices: [String]
    package var label: String
    package var scopes: [Scope] = [.outcomes]
    package var createdAt: Date
    package var revokedAt: Date?

    /// True when this key may act for `office` of its department.
    package func covers(office: String) -> Bool { offices.isEmpty || offices.contains(office) }

    /// True when this key may register citizens and change their records.
    package var keepsCitizens: Bool { scopes.contains(.citizens) }
}

/// Why a key was refused. Thrown by `APIKeys.require`, it becomes 401 with `WWW-Authenticate: Bearer`.
package enum APIKeyFailure: AuthenticationFailure, Equatable, Sendable {
    case missing
    case malformed
    case unknown
    case revoked

    /// What the caller is told (401).
    package var detail: String {
        switch self {
        case .missing: "send the department's API key as Authorization: Bearer <key>"
        case .malformed: "the Authorization header is not a Dakiya API key"
        case .unknown: "the API key is not valid"
        case .revoked: "the API key has been revoked"
        }
    }

    package var challenge: String { "Bearer" }
}

/// Creating, checking, listing and revoking API keys.
package enum APIKeys {
    /// Creates a key and returns the full secret (shown once) with the stored record.
    /// - Throws: `CryptographyError` when no random bytes can be had; `PostgresError` from the database.
    package static func create(
        department: String, offices: [String] = [], kind: APIKey.Kind, label: String,
        scopes: [APIKey.Scope] = [.outcomes],
        on connection: Connection
    ) throws -> (secret: String, key: APIKey) {
        let scopes = APIKey.Scope.allCases.filter { scopes.contains($0) || $0 == .outcomes }
        let alphabet = Array("abcdefghijkmnpqrstuvwxyz23456789")
        let prefixBytes = try SecureRandom.bytes(8)
        let prefix = "dk_\(kind.rawValue)_" + String(prefixBytes.map { alphabet[Int($0) % alphabet.count] })
        let secret = prefix + "_" + (try SecureRandom.token(byteCount: 32))
        let row = try connection.query(
            """
            INSERT INTO api_keys (prefix, secret_hash, kind, department, offices, label, scopes)
            VALUES ($1, $2, $3, $4, $5::text[], $6, $7::text[])
            RETURNING id, created_at
            """,
            [
                prefix, PostgresBytes(SHA256.hash(Array(secret.utf8))), kind.rawValue, department, offices, label,
                scopes.map(\.rawValue),
            ])
        guard let row = row.first else { throw PostgresError(.protocolViolation, "INSERT returned no row") }
        let key = APIKey(
            id: try row.decode(Int64.self, at: 0), prefix: prefix, kind: kind, department: department,
            offices: offices, label: label, scopes: scopes, createdAt: try row.decode(Date.self, at: 1), revokedAt: nil)
        return (secret, key)
    }

    /// The key for an `Authorization: Bearer …` header value, or the reason it is refused.
    /// - Throws: `PostgresError` from the database.
    package static func authenticate(_ header: String?, on connection: Connection) throws -> Result<
        APIKey, APIKeyFailure
    > {
        guard let header, !header.isEmpty else { return .failure(.missing) }
        guard header.hasPrefix("Bearer ") else { return .failure(.malformed) }
        let secret = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        // dk_<kind>_<id>_<secret>: the secret is base64url and may itself contain underscores.
        let parts = secret.split(separator: "_", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "dk", APIKey.Kind(rawValue: String(parts[1])) != nil, !parts[3].isEmpty
        else { return .failure(.malformed) }
        let prefix = parts[0...2].joined(separator: "_")
        guard let row = try connection.query(Self.lookup, [prefix]).first else { return .failure(.unknown) }
        let stored = try row.decode(PostgresBytes.self, "secret_hash").bytes
        guard constantTimeEquals(stored, SHA256.hash(Array(secret.utf8))) else { return .failure(.unknown) }
        let key = try decode(row)
        if key.revokedAt != nil { return .failure(.revoked) }
        // Kept to the minute: a busy key is written once a minute, not on every request.
        if try row.decode(Bool.self, "stale_use") {
            try connection.query(
                "UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
                [key.id])
        }
        return .success(key)
    }

    /// The key for an `Authorization` header value; throws `APIKeyFailure` (401) when it is refused.
    /// - Throws: an `AuthenticationFailure` (answered 401) when the header is missing or the key unknown or revoked; `PostgresError` from the database.
    package static func require(_ header: String?, on connection: Connection) throws -> APIKey {
        try authenticate(header, on: connection).get()
    }

    /// Every key, newest first (secrets are not stored, so none is shown).
    /// - Throws: `PostgresError` from the database.
    package static func list(on connection: Connection) throws -> [APIKey] {
        try connection.query(
            "SELECT id, prefix, kind, department, offices, label, scopes, created_at, revoked_at, secret_hash FROM api_keys ORDER BY id DESC"
        )
        .rows.map(decode)
    }

    /// Revokes the key with `prefix`; returns false when there is no such live key.
    /// - Throws: `PostgresError` from the database.
    package static func revoke(prefix: String, on connection: Connection) throws -> Bool {
        try connection.query(
            "UPDATE api_keys SET revoked_at = now() WHERE prefix = $1 AND revoked_at IS NULL", [prefix]
        ).affectedRows == 1
    }

    static let lookup = Statement(
        "dakiya_api_key_lookup",
        """
        SELECT id, prefix, kind, department, offices, label, scopes, created_at, revoked_at, secret_hash,
               coalesce(last_used_at < now() - interval '1 minute', true) AS stale_use
        FROM api_keys WHERE prefix = $1
        """)

    static func decode(_ row: Row) throws -> APIKey {
        APIKey(
            id: try row.decode(Int64.self, "id"), prefix: try row.decode(String.self, "prefix"),
            kind: APIKey.Kind(rawValue: try row.decode(String.self, "kind")) ?? .test,
            department: try row.decode(String.self, "department"), offices: try row.decode([String].self, "offices"),
            label: try row.decode(String.self, "label"),
            scopes: try row.decode([String].self, "scopes").compactMap(APIKey.Scope.init(rawValue:)),
            createdAt: try row.decode(Date.self, "created_at"),
            revokedAt: try row.decode(Date?.self, "revoked_at"))
    }
}

/// Departments: the tenants of the API.
package enum Departments {
    /// Creates or renames a department.
    /// - Throws: `PostgresError` from the database.
    package static func upsert(code: String, name: String, on connection: Connection) throws {
        try connection.query(
            """
            INSERT INTO departments (code, name) VALUES ($1, $2)
            ON CONFLICT (code) DO UPDATE SET name = excluded.name
            """, [code, name])
    }
}
