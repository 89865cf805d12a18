import Postgres

/// The keys that sign for the gateway, announced in the transparency log: `key.added` when a key is first used,
/// `key.retired` when an operator retires it. Each entry is queued in the same statement as the registry's row.
package enum SigningKeys {
    /// What a key signs.
    package enum Purpose: String, Sendable, CaseIterable {
        case log, seal
    }

    /// Why a key was retired (a fixed list: the log carries no free text).
    package enum RetirementReason: String, Sendable, CaseIterable {
        case rotated, compromised, withdrawn
    }

    /// A key as the registry keeps it.
    package struct Key: Sendable, Equatable {
        package var verifierKey: String
        package var purpose: String
        package var retired: Bool

        /// A key as listed.
        package init(verifierKey: String, purpose: String, retired: Bool) {
            self.verifierKey = verifierKey
            self.purpose = purpose
            self.retired = retired
        }
    }

    /// Registers `verifierKey` for `purpose` and logs `key.added`, once: true when this call added it.
    /// - Throws: `PostgresError` from the database.
    @discardableResult
    package static func announce(verifierKey: String, purpose: Purpose, on connection: Connection) throws -> Bool {
        try connection.query(
            """
            WITH added AS (
                INSERT INTO signing_keys (verifier_key, purpose) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING added_at),
            logged AS (
                INSERT INTO log_queue (entries)
                SELECT ARRAY[dakiya_log_entry(jsonb_build_object('v', 1, 'type', 'key.added', 'at', dakiya_log_time(added_at),
                                                                 'key', $1::text, 'purpose', $2::text))]
                FROM added WHERE dakiya_log_on())
            SELECT count(*) FROM added
            """, [verifierKey, purpose.rawValue]
        ).first?.decode(Int.self, at: 0) == 1
    }

    /// Retires `verifierKey` and logs `key.retired` with `reason`: false when no such key is registered or it was
    /// already retired.
    /// - Throws: `PostgresError` from the database.
    package static func retire(verifierKey: String, reason: RetirementReason, on connection: Connection) throws -> Bool
    {
        try connection.query(
            """
            WITH retired AS (
                UPDATE signing_keys SET retired_at = now(), retired_reason = $2
                WHERE verifier_key = $1 AND retired_at IS NULL RETURNING purpose, retired_at),
            logged AS (
                INSERT INTO log_queue (entries)
                SELECT ARRAY[dakiya_log_entry(jsonb_build_object('v', 1, 'type', 'key.retired', 'at', dakiya_log_time(retired_at),
                                                                 'key', $1::text, 'purpose', purpose, 'reason', $2::text))]
                FROM retired WHERE dakiya_log_on())
            SELECT count(*) FROM retired
            """, [verifierKey, reason.rawValue]
        ).first?.decode(Int.self, at: 0) == 1
    }

    /// Every registered key, oldest first.
    /// - Throws: `PostgresError` from the database.
    package static func list(on connection: Connection) throws -> [Key] {
        try connection.query(
            "SELECT verifier_key, purpose, retired_at IS NOT NULL FROM signing_keys ORDER BY added_at, verifier_key"
        ).rows.map {
            Key(
                verifierKey: try $0.decode(String.self, at: 0), purpose: try $0.decode(String.self, at: 1),
                retired: try $0.decode(Bool.self, at: 2))
        }
    }
}
