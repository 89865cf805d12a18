import Foundation
import Postgres

/// What PostgreSQL did for a measured stretch of work, from its own statistics: statements (pg_stat_statements, when
/// the cluster preloads it, as `make bench` starts it), WAL bytes and records (pg_stat_wal), rows written and the
/// index entries those writes made (pg_stat_user_tables and the tables' index counts).
struct DatabaseWork {
    struct Snapshot {
        var walBytes: Double
        var walRecords: Double
        /// The WAL insert position, for pg_walinspect's breakdown of what was written in between.
        var walPosition: String
        /// Sums over the tables of `writes`.
        var inserted: Double { total(0) }
        var updated: Double { total(1) }
        var hotUpdated: Double { total(2) }
        var deleted: Double { total(3) }
        /// Index entries written: each insert and each non-HOT update adds one to every index of its table (partial
        /// indexes counted as if whole, so this is an upper bound).
        var indexEntries: Double { writes.values.map { ($0[0] + $0[1] - $0[2]) * $0[4] }.reduce(0, +) }

        private func total(_ column: Int) -> Double { writes.values.map { $0[column] }.reduce(0, +) }

        /// Rows read by sequential scans, by table: a statement whose plan reads a whole table shows here.
        var sequentiallyRead: [String: Double]
        /// Rows written by table: inserted, updated, HOT-updated, deleted; and the table's index count.
        var writes: [String: [Double]]
    }

    struct StatementFigures {
        var query: String
        var calls: Double
        var rows: Double
        var milliseconds: Double
        var walBytes: Double
    }

    let url: String
    /// Whether pg_stat_statements is loaded in this cluster (`make bench` starts the cluster with it); its view is
    /// created in this database when it is.
    let statementsAvailable: Bool

    init(url: String) {
        self.url = url
        statementsAvailable = Self.createStatementsView(url: url)
    }

    private static func createStatementsView(url: String) -> Bool {
        guard let connection = try? Connection(url: url),
            let loaded = try? connection.query("SELECT current_setting('shared_preload_libraries')").first?.decode(
                String.self, at: 0),
            loaded.contains("pg_stat_statements")
        else { return false }
        return (try? connection.execute(script: "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")) != nil
    }

    /// Resets the statement statistics of this database (the tables' and WAL's are compared by difference).
    func resetStatements() throws {
        guard statementsAvailable else { return }
        try Connection(url: url).execute(
            script:
                "SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)"
        )
    }

    func snapshot() throws -> Snapshot {
        let connection = try Connection(url: url)
        // A backend reports its table counters at most every 0.5 s (and at exit): wait for the last reports.
        try connection.execute(script: "SELECT pg_stat_clear_snapshot()")
        let wal = try connection.query(
            "SELECT wal_bytes::float8, wal_records::float8, pg_current_wal_insert_lsn()::text FROM pg_stat_wal"
        ).first!
        var sequentiallyRead: [String: Double] = [:]
        var writes: [String: [Double]] = [:]
        for row in try connection.query(
            """
            SELECT relname::text, seq_tup_read::float8, n_tup_ins::float8, n_tup_upd::float8, n_tup_hot_upd::float8,
                   n_tup_del::float8, (SELECT count(*) FROM pg_index i WHERE i.indrelid = t.relid)::float8
            FROM pg_stat_user_tables t
            """
        ).rows {
            let table = try row.decode(String.self, at: 0)
            sequentiallyRead[table] = try row.decode(Double.self, at: 1)
            writes[table] = try (2...6).map { try row.decode(Double.self, at: $0) }
        }
        return Snapshot(
            walBytes: try wal.decode(Double.self, at: 0), walRecords: try wal.decode(Double.self, at: 1),
            walPosition: try wal.decode(String.self, at: 2),
            sequentiallyRead: sequentiallyRead, writes: writes)
    }

    /// WAL between two snapshots by record type (pg_walinspect, in PostgreSQL's contrib: the whole cluster's WAL, so
    /// only what ran meanwhile): count, bytes of the records and of their full-page images, most bytes first.
    func walByRecordType(from before: Snapshot, to after: Snapshot) throws -> [(
        type: String, count: Double, recordBytes: Double, pageImageBytes: Double
    )] {
        let connection = try Connection(url: url)
        try connection.execute(script: "CREATE EXTENSION IF NOT EXISTS pg_walinspect")
        return try connection.query(
            """
            SELECT "resource_manager/record_type", count::float8, record_size::float8, fpi_size::float8
            FROM pg_get_wal_stats($1::pg_lsn, $2::pg_lsn, true) WHERE count > 0 ORDER BY combined_size DESC
            """, [before.walPosition, after.walPosition]
        ).rows.map {
            (
                try $0.decode(String.self, at: 0), try $0.decode(Double.self, at: 1),
                try $0.decode(Double.self, at: 2), try $0.decode(Double.self, at: 3)
            )
        }
    }

    /// The statements of this database since `resetStatements`, most total time first.
    func statements() throws -> [StatementFigures] {
        guard statementsAvailable else { return [] }
        return try Connection(url: url).query(
            """
            SELECT regexp_replace(query, '\\s+', ' ', 'g'), calls::float8, rows::float8, total_exec_time, wal_bytes::float8
            FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND query !~* '^\\s*(BEGIN|COMMIT|ROLLBACK|SET|RESET|SELECT pg_stat)'
            ORDER BY total_exec_time DESC
            """
        ).rows.map {
            StatementFigures(
                query: try $0.decode(String.self, at: 0), calls: try $0.decode(Double.self, at: 1),
                rows: try $0.decode(Double.self, at: 2), milliseconds: try $0.decode(Double.self, at: 3),
                walBytes: try $0.decode(Double.self, at: 4))
        }
    }

    /// Prints the work per message between `before` and `after` (and the top statements when `detail`).
    func report(
        from before: Snapshot, to after: Snapshot, messages: Int, statements: [StatementFigures], detail: Bool
    ) throws {
        let count = Double(max(messages, 1))
        let calls = statements.map(\.calls).reduce(0, +)
        print(
            String(
                format:
                    "  PostgreSQL work per message: %@ statements, WAL %.0f bytes in %.1f records, rows inserted %.1f / updated %.1f (%.1f HOT) / deleted %.1f, index entries written ≤ %.1f",
                statements.isEmpty ? "n/a (pg_stat_statements not loaded)" : String(format: "%.1f", calls / count),
                (after.walBytes - before.walBytes) / count, (after.walRecords - before.walRecords) / count,
                (after.inserted - before.inserted) / count, (after.updated - before.updated) / count,
                (after.hotUpdated - before.hotUpdated) / count, (after.deleted - before.deleted) / count,
                (after.indexEntries - before.indexEntries) / count))
        let scanned = after.sequentiallyRead.map { ($0.key, $0.value - (before.sequentiallyRead[$0.key] ?? 0)) }
            .filter { $0.1 / count >= 1 }.sorted { $0.1 > $1.1 }
        print(
            "  rows read by sequential scans per message: "
                + (scanned.isEmpty
                    ? "none above 1"
                    : scanned.prefix(6).map { String(format: "%@ %.0f", $0.0, $0.1 / count) }.joined(separator: ", ")))
        guard detail else { return }
        var written: [(table: String, perMessage: [Double], indexes: Double, total: Double)] = []
        for (table, now) in after.writes {
            let then = before.writes[table] ?? [0, 0, 0, 0, 0]
            let perMessage: [Double] = (0..<4).map { (now[$0] - then[$0]) / count }
            let total: Double = perMessage[0] + perMessage[1] + perMessage[3]
            if total >= 0.05 { written.append((table, perMessage, now[4], total)) }
        }
        written.sort { $0.total > $1.total }
        let lines: [String] = written.map { entry in
            let figures = entry.perMessage
            return String(
                format: "%@ %.1f/%.1f/%.1f/%.1f ×%.0f", entry.table, figures[0], figures[1], figures[2], figures[3],
                entry.indexes)
        }
        print(
            "  rows written per message by table (inserted/updated/HOT/deleted, indexes): "
                + lines.joined(separator: ", "))
        if let types = try? walByRecordType(from: before, to: after), !types.isEmpty {
            let imageBytes = types.map(\.pageImageBytes).reduce(0, +)
            print(
                String(
                    format:
                        "  WAL per message by record type (count, record bytes + full-page image bytes; images %.0f B in all): ",
                    imageBytes / count)
                    + types.prefix(12).map {
                        String(
                            format: "%@ %.1f, %.0f+%.0f B", $0.type, $0.count / count, $0.recordBytes / count,
                            $0.pageImageBytes / count)
                    }.joined(separator: "; "))
        }
        for statement in statements.prefix(12) {
            print(
                String(
                    format: "    %5.2f calls %6.3f ms %6.0f WAL B  per message: %@", statement.calls / count,
                    statement.milliseconds / count, statement.walBytes / count,
                    String(statement.query.prefix(110))))
        }
    }
}
