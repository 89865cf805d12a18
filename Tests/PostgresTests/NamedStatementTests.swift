import Foundation
import Postgres
import TestSupport
import Testing

@Suite("Named statements")
struct NamedStatementTests {
    struct Pair { var first: String; var second: Int }

    @Test("names become $n in order of first use; casts and quoted text are left alone; problems are named")
    func compile() {
        let statement = NamedStatement<Pair>(
            "SELECT :second::int, 'a:b' || :first, :second, x::text FROM t WHERE y = ':first'",
            bind: ["first": { $0.first }, "second": { $0.second }])
        #expect(statement.sql == "SELECT $1::int, 'a:b' || $2, $1, x::text FROM t WHERE y = ':first'")
        #expect(statement.names == ["second", "first"])
        #expect(statement.problems.isEmpty)
        #expect(statement.binds(Pair(first: "f", second: 2)).count == 2)
        // An apostrophe in a comment does not start a quoted string (it once hid every name after it).
        let commented = NamedStatement<Pair>(
            "SELECT :first -- the entry's index: :notaname\n, :second",
            bind: ["first": { $0.first }, "second": { $0.second }])
        #expect(commented.sql == "SELECT $1 -- the entry's index: :notaname\n, $2" && commented.problems.isEmpty)
        let broken = NamedStatement<Pair>(
            "SELECT :first, :third", bind: ["first": { $0.first }, "second": { $0.second }])
        #expect(broken.problems == ["no binding for :third", "binding :second is not used"])
    }

    @Test("a statement runs with its values bound by name, and an unsound one is refused before it reaches the server")
    func run() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        let statement = NamedStatement<Pair>(
            "SELECT :first || '-' || :second::text AS joined", bind: ["first": { $0.first }, "second": { $0.second }])
        #expect(
            try connection.query(statement, Pair(first: "a", second: 7)).first?.decode(String.self, "joined") == "a-7")
        let broken = NamedStatement<Pair>("SELECT :nothing", bind: [:])
        #expect(throws: PostgresError.self) { try connection.query(broken, Pair(first: "a", second: 1)) }
    }
}
