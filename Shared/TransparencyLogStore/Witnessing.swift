import Postgres
import TransparencyLog

/// The gateway's side of witnessing: what each witness last cosigned, the cosignatures received, and the latest
/// published checkpoint (one with enough cosignatures).
package enum LogWitnesses {
    /// The latest signed checkpoint, parsed, with its note.
    /// - Throws: `PostgresError` from the database.
    package static func latest(on connection: Connection) throws -> (size: Int, note: String)? {
        guard let row = try connection.query("SELECT size, note FROM log_checkpoints ORDER BY size DESC LIMIT 1").first
        else { return nil }
        return (try row.decode(Int.self, at: 0), try row.decode(String.self, at: 1))
    }

    /// The size `witness` (its verifier key) last cosigned, as far as the gateway knows (0 before any).
    /// - Throws: `PostgresError` from the database.
    package static func knownSize(witness: String, on connection: Connection) throws -> Int {
        try connection.query("SELECT size FROM log_witness_state WHERE witness = $1", [witness]).first?.decode(
            Int.self, at: 0) ?? 0
    }

    /// Whether `witness` has cosigned the checkpoint of `size`.
    /// - Throws: `PostgresError` from the database.
    package static func hasCosigned(witness: String, size: Int, on connection: Connection) throws -> Bool {
        try connection.query("SELECT 1 FROM log_cosignatures WHERE size = $1 AND witness = $2", [size, witness])
            .first != nil
    }

    /// Records that `witness` is at `size`, with its cosignature `line` on the checkpoint of that size if it gave one.
    /// - Throws: `PostgresError` from the database.
    package static func record(witness: String, size: Int, line: String?, on connection: Connection) throws {
        try connection.query(
            """
            WITH s AS (
                INSERT INTO log_witness_state (witness, size) VALUES ($1, $2)
                ON CONFLICT (witness) DO UPDATE SET size = excluded.size, updated_at = now())
            INSERT INTO log_cosignatures (size, witness, line) SELECT $2, $1, $3 WHERE $3::text IS NOT NULL
            ON CONFLICT DO NOTHING
            """, [witness, size, line])
    }

    /// The latest checkpoint cosigned by at least `quorum` of `witnesses` (verifier keys), as its note with their
    /// cosignature lines appended; with a quorum of 0, the latest checkpoint (with any of their cosignatures).
    /// - Throws: `PostgresError` from the database.
    package static func published(witnesses: [String], quorum: Int, on connection: Connection) throws -> String? {
        try connection.query(
            """
            WITH chosen AS (
                SELECT size FROM log_checkpoints WHERE $2 = 0 ORDER BY size DESC LIMIT 1),
            cosigned AS (
                SELECT size FROM log_cosignatures WHERE $2 > 0 AND witness = ANY($1::text[])
                GROUP BY size HAVING count(*) >= $2 ORDER BY size DESC LIMIT 1)
            SELECT c.note || coalesce((SELECT string_agg(line, '' ORDER BY witness) FROM log_cosignatures
                                       WHERE size = c.size AND witness = ANY($1::text[])), '')
            FROM log_checkpoints c WHERE c.size = coalesce((SELECT size FROM chosen), (SELECT size FROM cosigned))
            """, [witnesses, quorum]
        ).first?.decode(String.self, at: 0)
    }
}
