import Postgres
import TransparencyLog

/// Reads of the stored log, for serving it: the latest checkpoint, entries, tiles and proofs. Proofs and tiles
/// read a few rows of `log_tiles` (and at most 255 leaf hashes) whatever the log's size.
package enum StoredLog {
    /// The latest signed checkpoint, as its note; nil before the first integration.
    /// - Throws: `PostgresError` from the database.
    package static func latestNote(on connection: Connection) throws -> String? {
        try connection.query("SELECT note FROM log_checkpoints ORDER BY size DESC LIMIT 1").first?.decode(
            String.self, at: 0)
    }

    /// The log's size (entries integrated and covered by the latest checkpoint).
    /// - Throws: `PostgresError` from the database.
    package static func size(on connection: Connection) throws -> Int {
        try connection.query("SELECT size FROM log_state").first?.decode(Int.self, at: 0) ?? 0
    }

    /// The logged entries from index `start`, at most `count`, in index order.
    /// - Throws: `PostgresError` from the database.
    package static func entries(from start: Int, count: Int, on connection: Connection) throws -> [[UInt8]] {
        try connection.query(
            "SELECT entry FROM log_entries WHERE idx >= $1 AND idx < $1 + $2 ORDER BY idx", [start, count]
        ).rows.map { try $0.decode(PostgresBytes.self, at: 0).bytes }
    }

    /// `count` level-`level` nodes from node `start` (level 0: leaf hashes; level L: roots of level L − 1 tiles).
    /// - Throws: `PostgresError` from the database, or when the store holds fewer.
    static func nodes(level: Int, from start: Int, count: Int, on connection: Connection) throws -> [[UInt8]] {
        let rows =
            level == 0
            ? try connection.query(
                "SELECT leaf_hash FROM log_entries WHERE idx >= $1 AND idx < $1 + $2 ORDER BY idx", [start, count])
            : try connection.query(
                "SELECT root FROM log_tiles WHERE level = $3 AND idx >= $1 AND idx < $1 + $2 ORDER BY idx",
                [start, count, level - 1])
        let nodes = try rows.rows.map { try $0.decode(PostgresBytes.self, at: 0).bytes }
        guard nodes.count == count else {
            throw PostgresError(
                .protocolViolation, "the log holds \(nodes.count) of \(count) level-\(level) nodes from \(start)")
        }
        return nodes
    }

    /// The hash tile or entry bundle at `path`, as served; nil when the log (of the latest checkpoint) does not
    /// have it yet: a full tile needs all its 256 nodes, a partial one exactly its width or more.
    /// - Throws: `PostgresError` from the database.
    package static func tile(_ path: Tiles.Path, on connection: Connection) throws -> [UInt8]? {
        let size = try size(on: connection)
        let first = path.index * Tiles.width
        guard let level = path.level else {
            guard first + path.count <= size else { return nil }
            return Tiles.bundle(try entries(from: first, count: path.count, on: connection))
        }
        guard first + path.count <= Tiles.nodes(level: level, size: size) else { return nil }
        if path.partialWidth == nil {
            return try connection.query(
                "SELECT hashes FROM log_tiles WHERE level = $1 AND idx = $2", [level, path.index]
            ).first?.decode(PostgresBytes.self, at: 0).bytes
        }
        return try nodes(level: level, from: first, count: path.count, on: connection).flatMap { $0 }
    }

    /// The roots of `ranges` of leaves (each within the stored log), as a proof lists them.
    /// - Throws: `PostgresError` from the database.
    static func roots(of ranges: [Range<Int>], on connection: Connection) throws -> [[UInt8]] {
        var known: [Int: [UInt8]] = [:]
        return try ranges.map { range in
            try Merkle.rangeRoot(range) { start, count in
                // A perfect subtree of 2^k leaves is 2^(k mod 8) nodes of level k / 8, read in one query.
                let level = min(count.trailingZeroBitCount / 8, 7)
                let key = start << 6 | count.trailingZeroBitCount
                if let hash = known[key] { return hash }
                let hash = Merkle.perfectRoot(
                    try nodes(
                        level: level, from: start >> (8 * level), count: count >> (8 * level), on: connection))
                known[key] = hash
                return hash
            }
        }
    }

    /// PATH(index, D[size]) from the stored tiles; nil when the log is smaller than `size`.
    /// - Throws: `PostgresError` from the database.
    package static func inclusionProof(index: Int, size: Int, on connection: Connection) throws -> [[UInt8]]? {
        guard try self.size(on: connection) >= size else { return nil }
        return try roots(of: Merkle.inclusionRanges(index: index, size: size), on: connection)
    }

    /// PROOF(from, D[to]) from the stored tiles; nil when the log is smaller than `to`.
    /// - Throws: `PostgresError` from the database.
    package static func consistencyProof(from: Int, to: Int, on connection: Connection) throws -> [[UInt8]]? {
        guard try size(on: connection) >= to else { return nil }
        return try roots(of: Merkle.consistencyRanges(from: from, to: to), on: connection)
    }
}
