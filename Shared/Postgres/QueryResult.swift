import CLibpq
import Glibc

/// The rows (or the affected-row count) of one statement. Owns the libpq result and frees it in `deinit`.
package final class QueryResult: @unchecked Sendable {
    private let result: OpaquePointer
    /// Number of rows returned.
    package let count: Int
    /// The column names, in order (names may repeat: `SELECT now(), now()`).
    package let columns: [String]
    private let columnIndex: [String: Int]

    init(_ result: OpaquePointer) {
        self.result = result
        count = Int(PQntuples(result))
        columns = (0..<Int(PQnfields(result))).map { Connection.text(PQfname(result, Int32($0))) }
        var index: [String: Int] = [:]
        for (position, name) in columns.enumerated() where index[name] == nil { index[name] = position }
        columnIndex = index
    }

    deinit { PQclear(result) }

    /// Rows changed by INSERT/UPDATE/DELETE (or returned by SELECT).
    package var affectedRows: Int { Int(Connection.text(PQcmdTuples(result))) ?? count }

    /// The rows, each a light view into this result.
    package var rows: [Row] { (0..<count).map { Row(result: self, index: $0) } }

    /// The first row, if any.
    package var first: Row? { count > 0 ? Row(result: self, index: 0) : nil }

    func text(row: Int, column: Int) -> String? {
        if PQgetisnull(result, Int32(row), Int32(column)) == 1 { return nil }
        let length = Int(PQgetlength(result, Int32(row), Int32(column)))
        guard let pointer = PQgetvalue(result, Int32(row), Int32(column)) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
    }

    func column(named name: String) -> Int? { columnIndex[name] }
    var columnCount: Int { columns.count }
}

/// One row of a `QueryResult`, decoded column by column into Swift types.
package struct Row: Sendable {
    let result: QueryResult
    let index: Int

    /// Decodes column `column` (0-based) as `T`. Throws `decoding` naming the column, never the value.
    /// - Throws: `PostgresError` (`decoding`) naming the column (never the value).
    package func decode<T: PostgresDecodable>(_ type: T.Type, at column: Int) throws -> T {
        guard column < result.columnCount else {
            throw PostgresError(.decoding, "column \(column) is out of range")
        }
        guard let value = T.decode(postgresText: result.text(row: index, column: column)) else {
            throw PostgresError(.decoding, "column \(column) (\(result.columns[column])) is not a valid \(T.self)")
        }
        return value
    }

    /// Decodes the column named `name` as `T`.
    /// - Throws: `PostgresError` (`decoding`) naming the column (never the value).
    package func decode<T: PostgresDecodable>(_ type: T.Type, _ name: String) throws -> T {
        guard let column = result.column(named: name) else { throw PostgresError(.decoding, "no column named \(name)") }
        guard let value = T.decode(postgresText: result.text(row: index, column: column)) else {
            throw PostgresError(.decoding, "column \(name) is not a valid \(T.self)")
        }
        return value
    }

    /// The raw text of column `column`, nil for NULL.
    package func text(at column: Int) -> String? { result.text(row: index, column: column) }
}
