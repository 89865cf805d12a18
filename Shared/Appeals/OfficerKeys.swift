import Cryptography
import Foundation
import Postgres
import ServiceRuntime

/// An officer's key: it acts for one role at one office (`dko_<id>_<secret>`; only the SHA-256 is stored).
package struct OfficerKey: Sendable, Equatable {
    package var id: Int64
    package var prefix: String
    package var authority: Authority
    package var officerName: String
    package var revokedAt: Date?
}

/// An officer key was missing, malformed, unknown or revoked: 401 with `WWW-Authenticate: Bearer`.
package struct OfficerKeyFailure: AuthenticationFailure, Sendable {
    package var detail: String { "send an officer key as Authorization: Bearer dko_…" }
    package var challenge: String { "Bearer" }
}

/// Creating, checking and revoking officer keys.
package enum OfficerKeys {
    /// Creates a key and returns the secret (shown once).
    /// - Throws: `CryptographyError` when no random bytes can be had; `PostgresError` from the database.
    package static func create(role: String, office: String, officerName: String, on connection: Connection) throws -> (
        secret: String, key: OfficerKey
    ) {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyz23456789")
        let prefix = "dko_" + String(try SecureRandom.bytes(8).map { alphabet[Int($0) % alphabet.count] })
        let secret = prefix + "_" + (try SecureRandom.token(byteCount: 32))
        guard
            let id = try connection.query(
                """
                INSERT INTO officer_keys (prefix, secret_hash, role, office_code, officer_name) VALUES ($1, $2, $3, $4, $5) RETURNING id
                """, [prefix, PostgresBytes(SHA256.hash(Array(secret.utf8))), role, office, officerName]
            ).first?.decode(Int64.self, at: 0)
        else {
            throw PostgresError(.protocolViolation, "INSERT returned no row")
        }
        return (
            secret,
            OfficerKey(
                id: id, prefix: prefix, authority: Authority(role: role, office: office), officerName: officerName)
        )
    }

    /// The key for an `Authorization: Bearer dko_…` value; nil when missing, malformed, unknown or revoked.
    /// - Throws: `PostgresError` from the database.
    package static func authenticate(_ header: String?, on connection: Connection) throws -> OfficerKey? {
        guard let header, header.hasPrefix("Bearer ") else { return nil }
        let secret = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        let parts = secret.split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "dko", !parts[2].isEmpty else { return nil }
        guard
            let row = try connection.query(
                "SELECT id, prefix, role, office_code, officer_name, revoked_at, secret_hash FROM officer_keys WHERE prefix = $1",
                [parts[0...1].joined(separator: "_")]
            ).first,
            constantTimeEquals(try row.decode(PostgresBytes.self, at: 6).bytes, SHA256.hash(Array(secret.utf8))),
            try row.decode(Date?.self, at: 5) == nil
        else { return nil }
        return OfficerKey(
            id: try row.decode(Int64.self, at: 0), prefix: try row.decode(String.self, at: 1),
            authority: Authority(role: try row.decode(String.self, at: 2), office: try row.decode(String.self, at: 3)),
            officerName: try row.decode(String.self, at: 4))
    }

    /// The officer key for an `Authorization` header value; throws `OfficerKeyFailure` (401) when it is refused.
    /// - Throws: an `AuthenticationFailure` (answered 401) when the header is missing or the key unknown or revoked; `PostgresError` from the database.
    package static func require(_ header: String?, on connection: Connection) throws -> OfficerKey {
        guard let key = try authenticate(header, on: connection) else { throw OfficerKeyFailure() }
        return key
    }

    /// Revokes a key by prefix; false when there is no such live key.
    /// - Throws: `PostgresError` from the database.
    package static func revoke(prefix: String, on connection: Connection) throws -> Bool {
        try connection.query(
            "UPDATE officer_keys SET revoked_at = now() WHERE prefix = $1 AND revoked_at IS NULL", [prefix]
        ).affectedRows == 1
    }
}

extension Catalogue {
    /// The Maharashtra sample catalogue shipped with Dakiya (income, domicile, caste, non-creamy layer,
    /// senior citizen, 7/12 extract, birth and death registration, solvency by amount).
    /// - Throws: an error when the bundled file cannot be read.
    package static func maharashtraSample() throws -> String {
        guard let url = Bundle.module.url(forResource: "maharashtra", withExtension: "csv", subdirectory: "catalogue")
        else {
            throw CatalogueError(line: 0, column: "*", problem: "the sample catalogue is missing from the build")
        }
        return try String(contentsOf: url, encoding: .utf8)
    }
}

extension Offices {
    /// The Maharashtra sample hierarchy shipped with Dakiya: the state, the whole Pune and Yavatmal districts with
    /// every taluka and its tahsil office, Zilla Parishads, municipal corporations and councils, universities, and
    /// clusters of villages in four talukas (the village lists are illustrative: a deployment imports the Local
    /// Government Directory's).
    /// - Throws: an error when the bundled file cannot be read.
    package static func maharashtraSample() throws -> String {
        guard
            let url = Bundle.module.url(
                forResource: "maharashtra-offices", withExtension: "csv", subdirectory: "catalogue")
        else {
            throw CatalogueError(line: 0, column: "*", problem: "the sample offices are missing from the build")
        }
        return try String(contentsOf: url, encoding: .utf8)
    }
}
