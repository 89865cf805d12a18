import Cryptography
import Foundation
import Postgres
import Seals
import ServiceRuntime
import TransparencyLogStore

/// The seals the gateway made and the keys that made them: what the dispatcher writes when it seals a
/// certificate, and what the verification page, the key registry and the status list read.
package enum SealRegistry {
    /// A seal-signing key as the registry publishes it.
    package struct PublishedKey: Sendable, Equatable, Codable {
        /// The seal's key id, hex.
        package var keyID: String
        package var department: String
        /// The department's name, as the verifier shows it.
        package var departmentName: String
        /// The Ed25519 public key, base64.
        package var publicKey: String
        package var validFrom: Date
        /// Seals issued after this day are not valid; seals issued before it stay valid.
        package var retiredAt: Date?
    }

    /// The verifier key string announced in the transparency log for a seal key.
    static func verifierKey(department: String, publicKey: [UInt8]) -> String {
        "seal/\(department)+\(Hex.encode(Seal.keyID(publicKey: publicKey)))+\(Data([0x01] + publicKey).base64EncodedString())"
    }

    /// The department's active signing key, made (and announced in the log as key.added) on first use.
    /// - Throws: `PostgresError` from the database; `CryptographyError` from OpenSSL.
    package static func activeKey(department: String, on connection: Connection) throws -> Ed25519PrivateKey {
        if let seed = try connection.query(
            "SELECT seed FROM seal_keys WHERE department = $1 AND retired_at IS NULL", [department]
        ).first?.decode(PostgresBytes.self, at: 0).bytes {
            return try Ed25519PrivateKey(rawRepresentation: seed)
        }
        let key = try Ed25519PrivateKey()
        let publicKey = try key.publicKey().rawRepresentation
        let made =
            try connection.query(
                """
                INSERT INTO seal_keys (key_id, department, seed, public_key) VALUES ($1, $2, $3, $4)
                ON CONFLICT DO NOTHING RETURNING 1
                """,
                [
                    PostgresBytes(Seal.keyID(publicKey: publicKey)), department, PostgresBytes(key.rawRepresentation),
                    PostgresBytes(publicKey),
                ]
            ).first != nil
        guard made else {
            // Another process made the department's key first: use that one.
            return try activeKey(department: department, on: connection)
        }
        try SigningKeys.announce(
            verifierKey: verifierKey(department: department, publicKey: publicKey), purpose: .seal, on: connection)
        return key
    }

    /// Retires a seal key by its verifier key (as `dakiya-admin signing-key list` shows it), in the registry and
    /// in the log (key.retired), in one transaction; the department's next seal makes a new key. Seals the key
    /// made before today stay valid; a seal dated after is refused. False when no active seal key has that id.
    /// - Throws: `PostgresError` from the database.
    package static func retire(
        verifierKey: String, reason: SigningKeys.RetirementReason, on connection: Connection
    ) throws -> Bool {
        try connection.transaction { tx in
            guard
                try tx.query(
                    """
                    UPDATE seal_keys SET retired_at = now()
                    WHERE retired_at IS NULL AND 'seal/' || department || '+' || encode(key_id, 'hex') = split_part($1, '+', 1) || '+' || split_part($1, '+', 2)
                    RETURNING 1
                    """, [verifierKey]
                ).first != nil
            else { return false }
            return try SigningKeys.retire(verifierKey: verifierKey, reason: reason, on: tx)
        }
    }

    /// Every seal key, active and retired, oldest first: the registry at its well-known address.
    /// - Throws: `PostgresError` from the database.
    package static func publishedKeys(on connection: Connection) throws -> [PublishedKey] {
        try connection.query(
            """
            SELECT encode(k.key_id, 'hex'), k.department, coalesce(d.name, k.department), encode(k.public_key, 'base64'),
                   k.valid_from, k.retired_at
            FROM seal_keys k LEFT JOIN departments d ON d.code = k.department ORDER BY k.valid_from, k.key_id
            """
        ).rows.map {
            PublishedKey(
                keyID: try $0.decode(String.self, at: 0), department: try $0.decode(String.self, at: 1),
                departmentName: try $0.decode(String.self, at: 2), publicKey: try $0.decode(String.self, at: 3),
                validFrom: try $0.decode(Date.self, at: 4), retiredAt: try $0.decode(Date?.self, at: 5))
        }
    }

    /// A seal as recorded, with its key and its state.
    package struct Record: Sendable, Equatable {
        package var certificateID: String
        package var seal: String
        package var department: String
        package var departmentName: String
        package var documentType: String
        package var issuedOn: String
        package var logIndex: Int
        package var revokedAt: Date?
        package var revocationReason: String?
        package var keyRetiredAt: Date?
        package var publicKey: [UInt8]
    }

    static let recordSelect = """
        SELECT s.certificate_id, s.seal, k.department, coalesce(dp.name, k.department), s.document_type,
               to_char(s.issued_on, 'YYYY-MM-DD'), s.log_index, s.revoked_at, s.revocation_reason, k.retired_at, k.public_key
        FROM certificate_seals s JOIN seal_keys k ON k.key_id = s.key_id LEFT JOIN departments dp ON dp.code = k.department
        """

    static func record(_ row: Row) throws -> Record {
        Record(
            certificateID: try row.decode(String.self, at: 0), seal: try row.decode(String.self, at: 1),
            department: try row.decode(String.self, at: 2), departmentName: try row.decode(String.self, at: 3),
            documentType: try row.decode(String.self, at: 4), issuedOn: try row.decode(String.self, at: 5),
            logIndex: try row.decode(Int.self, at: 6), revokedAt: try row.decode(Date?.self, at: 7),
            revocationReason: try row.decode(String?.self, at: 8), keyRetiredAt: try row.decode(Date?.self, at: 9),
            publicKey: try row.decode(PostgresBytes.self, at: 10).bytes)
    }

    /// The recorded seal with this text, if the gateway made it.
    /// - Throws: `PostgresError` from the database.
    package static func find(seal text: String, on connection: Connection) throws -> Record? {
        try connection.query(recordSelect + " WHERE s.seal = $1", [text]).first.map(record)
    }

    /// The recorded seal of a delivered PDF (the exact bytes delivered, the department's signed original, or the
    /// verification slip delivered beside it).
    /// - Throws: `PostgresError` from the database.
    package static func find(pdfSHA256 digest: [UInt8], on connection: Connection) throws -> Record? {
        try connection.query(
            recordSelect
                + """
                 WHERE s.delivered_sha256 = $1 OR (s.signed_original AND s.original_sha256 = $1)
                   OR s.slip_document_id = (SELECT id FROM documents WHERE sha256 = $1) LIMIT 1
                """,
            [PostgresBytes(digest)]
        ).first.map(record)
    }

    /// Why a certificate can be revoked (a fixed list: the log and the status list carry no free text).
    package enum RevocationReason: String, Sendable, CaseIterable {
        case issuedInError = "issued_in_error"
        case superseded
        case cancelledByOrder = "cancelled_by_order"
        case fraud
    }

    /// Revokes the certificate sealed for `department`'s application delivery `certificateID`, logging
    /// `certificate.revoked`; false when there is no such certificate of that department or it was revoked already.
    /// - Throws: `PostgresError` from the database.
    package static func revoke(
        certificateID: String, department: String, reason: RevocationReason, on connection: Connection
    ) throws -> Bool {
        try connection.query(
            """
            WITH revoked AS (
                UPDATE certificate_seals s SET revoked_at = now(), revocation_reason = $3
                FROM seal_keys k WHERE k.key_id = s.key_id AND s.certificate_id = $1 AND k.department = $2 AND s.revoked_at IS NULL
                RETURNING s.certificate_id, s.log_index, s.revoked_at),
            logged AS (
                INSERT INTO log_queue (entries)
                SELECT ARRAY[dakiya_log_entry(jsonb_build_object('v', 1, 'type', 'certificate.revoked', 'at', dakiya_log_time(revoked_at),
                                                                 'certificate', certificate_id, 'issue_index', log_index,
                                                                 'department', $2::text, 'reason', $3::text))]
                FROM revoked WHERE dakiya_log_on())
            SELECT count(*) FROM revoked
            """, [certificateID, department, reason.rawValue]
        ).first?.decode(Int.self, at: 0) == 1
    }

    /// The status list an offline verifier downloads: every revoked certificate id with when and why.
    /// - Throws: `PostgresError` from the database.
    package static func revoked(on connection: Connection) throws -> [(certificateID: String, at: Date, reason: String)]
    {
        try connection.query(
            "SELECT certificate_id, revoked_at, revocation_reason FROM certificate_seals WHERE revoked_at IS NOT NULL ORDER BY revoked_at, certificate_id"
        ).rows.map {
            (try $0.decode(String.self, at: 0), try $0.decode(Date.self, at: 1), try $0.decode(String.self, at: 2))
        }
    }
}
