import Cryptography
import Foundation
import Postgres
import TransparencyLog
import ServiceRuntime

/// The log's identity: its origin (the name in its checkpoints) and the Ed25519 key that signs them.
package struct LogSigner: Sendable {
    package var origin: String
    package var key: Ed25519PrivateKey
    /// The verifier key an auditor pins (`origin+keyid+base64(0x01 ‖ public key)`).
    package let verifier: NoteKey

    /// The signer of `origin` with `key`.
    /// - Throws: `CryptographyError` when OpenSSL cannot give the public key.
    package init(origin: String, key: Ed25519PrivateKey) throws {
        self.origin = origin
        self.key = key
        verifier = NoteKey(name: origin, publicKey: try key.publicKey().rawRepresentation)
    }

    /// The signer of `origin` whose key the database keeps (`log_signing_keys`), made on first use. Services use it
    /// when no key is set (`DAKIYA_LOG_SIGNING_KEY`), so every process signs with the same key.
    /// - Throws: `PostgresError` from the database; `CryptographyError` when OpenSSL cannot make or use the key.
    package static func stored(origin: String, on connection: Connection) throws -> LogSigner {
        let fresh = try Ed25519PrivateKey()
        let seed = try connection.query(
            """
            WITH made AS (
                INSERT INTO log_signing_keys (name, seed, public_key) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING
                RETURNING seed)
            SELECT seed FROM made UNION ALL SELECT seed FROM log_signing_keys WHERE name = $1 LIMIT 1
            """,
            [origin, PostgresBytes(fresh.rawRepresentation), PostgresBytes(try fresh.publicKey().rawRepresentation)]
        ).first?.decode(PostgresBytes.self, at: 0).bytes
        guard let seed else { throw PostgresError(.protocolViolation, "no signing key was kept or found") }
        return try LogSigner(origin: origin, key: Ed25519PrivateKey(rawRepresentation: seed))
    }

    /// The signed note of `checkpoint`.
    /// - Throws: `CryptographyError` when OpenSSL cannot sign.
    package func sign(_ checkpoint: Checkpoint) throws -> String {
        try SignedNote.sign(checkpoint.body, name: origin, key: key)
    }
}

/// Moves waiting entries (`log_queue`) into the log: contiguous indexes after the last, the tree's new edge and a
/// signed checkpoint, all in one transaction. One integrator at a time (a transaction advisory lock; the state row is
/// locked too), and a crash rolls the whole batch back into the queue (no gap, no duplicate index).
package enum LogIntegrator {
    /// The advisory lock an integration holds for its transaction ("dakilog!").
    static let lockKey: Int64 = 0x6461_6B69_6C6F_6721

    /// The queue rows (each one statement's entries) an integration takes by default.
    package static let batchLimit = 2_000

    /// What one integration did: the checkpoint it signed and how many entries it added.
    package struct Integration: Sendable, Equatable {
        package var checkpoint: Checkpoint
        package var added: Int
    }

    /// Integrates the entries of up to `limit` waiting queue rows, oldest first. Returns the new checkpoint and how
    /// many entries it added, or nil when none waited (or another integrator is at work).
    /// - Throws: `PostgresError` from the database; `CryptographyError` when the checkpoint cannot be signed.
    @discardableResult
    package static func integrate(limit: Int = batchLimit, signer: LogSigner, on connection: Connection) throws
        -> Integration?
    {
        try connection.transaction { tx in
            // One integrator at a time: another that finds the lock taken leaves the work to it.
            guard
                try tx.query("SELECT pg_try_advisory_xact_lock($1)", [Int(lockKey)]).first?.decode(Bool.self, at: 0)
                    == true
            else { return nil }
            guard
                let state = try tx.query("SELECT size, subtrees FROM log_state FOR UPDATE").first,
                var frontier = MerkleFrontier(
                    size: try state.decode(Int.self, at: 0),
                    subtrees: try byteArrays(try state.decode([String].self, at: 1)))
            else { throw PostgresError(.protocolViolation, "the log's state row is missing or inconsistent") }
            // The waiting entries leave the queue and enter the log in one statement: indexes in queue order (and
            // each row's own order), leaf hashes computed by the database (SHA-256 of 0x00 ‖ entry) and handed back
            // for the tree's edge.
            let leaves = try tx.query(
                """
                WITH taken AS (
                    DELETE FROM log_queue WHERE id IN (SELECT id FROM log_queue ORDER BY id LIMIT $2)
                    RETURNING id, entries, queued_at, ref),
                numbered AS (
                    SELECT $1::bigint + row_number() OVER (ORDER BY t.id, u.n) - 1 AS idx, u.entry, u.n, t.queued_at, t.ref
                    FROM taken t, unnest(t.entries) WITH ORDINALITY AS u(entry, n)),
                added AS (
                    INSERT INTO log_entries (idx, entry, leaf_hash, queued_at)
                    SELECT idx, entry, sha256('\\x00'::bytea || entry), queued_at FROM numbered
                    RETURNING idx, leaf_hash),
                -- A row naming a delivery (a certificate to seal): the index its first entry got.
                refs AS (
                    INSERT INTO log_refs (delivery_id, idx) SELECT ref, idx FROM numbered WHERE ref IS NOT NULL AND n = 1
                    ON CONFLICT DO NOTHING)
                SELECT leaf_hash FROM added ORDER BY idx
                """, [frontier.size, limit]
            ).rows.map { try $0.decode(PostgresBytes.self, at: 0).bytes }
            guard !leaves.isEmpty else { return nil }
            let previous = frontier.size
            for leaf in leaves { frontier.append(leaf) }
            try extendTiles(size: frontier.size, on: tx)
            let checkpoint = Checkpoint(origin: signer.origin, size: frontier.size, root: frontier.root)
            try tx.query(
                """
                WITH s AS (
                    UPDATE log_state SET size = $1, subtrees = (SELECT coalesce(array_agg(decode(h, 'hex') ORDER BY o), '{}')
                                                                FROM unnest($2::text[]) WITH ORDINALITY AS u(h, o)),
                           root = decode($3, 'hex'))
                INSERT INTO log_checkpoints (size, root, note) VALUES ($1, decode($3, 'hex'), $4)
                """,
                [
                    frontier.size, frontier.subtrees.map(Hex.encode), Hex.encode(checkpoint.root),
                    try signer.sign(checkpoint),
                ])
            return Integration(checkpoint: checkpoint, added: frontier.size - previous)
        }
    }

    /// Writes every full tile a log of `size` entries has and the store lacks (C2SP tlog-tiles), level by level:
    /// a level's nodes are the leaf hashes (level 0) or the roots of the full tiles one level down. Runs inside the
    /// integration's transaction, so the tiles always match the checkpoint; it also fills in tiles of a log written
    /// before tiles were kept.
    /// - Throws: `PostgresError` from the database, or when the store lacks nodes it should hold.
    static func extendTiles(size: Int, on tx: Connection) throws {
        for level in 0..<8 {
            let needed = Tiles.nodes(level: level, size: size) / Tiles.width
            guard needed > 0 else { break }
            let stored =
                try tx.query("SELECT coalesce(max(idx) + 1, 0) FROM log_tiles WHERE level = $1", [level]).first?
                .decode(Int.self, at: 0) ?? 0
            guard stored < needed else { continue }
            let nodes = try StoredLog.nodes(
                level: level, from: stored * Tiles.width, count: (needed - stored) * Tiles.width, on: tx)
            var indexes: [Int] = []
            var hashes: [String] = []
            var roots: [String] = []
            for tile in stored..<needed {
                let chunk = Array(nodes[((tile - stored) * Tiles.width)..<((tile - stored + 1) * Tiles.width)])
                indexes.append(tile)
                hashes.append(Hex.encode(chunk.flatMap { $0 }))
                roots.append(Hex.encode(Merkle.perfectRoot(chunk)))
            }
            try tx.query(
                """
                INSERT INTO log_tiles (level, idx, hashes, root)
                SELECT $1, i, decode(h, 'hex'), decode(r, 'hex') FROM unnest($2::bigint[], $3::text[], $4::text[]) AS t(i, h, r)
                """, [level, indexes, hashes, roots])
        }
    }

    static func byteArrays(_ texts: [String]) throws -> [[UInt8]] {
        try texts.map { text in
            // bytea in text form: \x followed by hex.
            guard text.hasPrefix("\\x"), let bytes = Hex.decode(String(text.dropFirst(2))) else {
                throw PostgresError(.decoding, "a subtree root is not bytea hex")
            }
            return bytes
        }
    }
}
