/// A statement whose parameters are named in its text (`:application_id`) and bound from a typed value by name, so a
/// value cannot land in another's place: the compiler checks each binding's type against the parameters struct,
/// and the names are matched when the statement is built (`problems`, checked by a test for every statement).
///
/// `:name` is a lower-case identifier after a single colon; `::type` casts and anything inside single quotes
/// (`'attempt:' || id`) are left alone. Each name becomes `$n` in the order of its first use.
package struct NamedStatement<Parameters>: Sendable {
    /// The text as PostgreSQL receives it, with `$1…$n`.
    package let sql: String
    /// The names, in the order of their numbers.
    package let names: [String]
    /// A name used in the text with no binding, or a binding the text never uses. Empty for a sound statement.
    package let problems: [String]
    private let values: [@Sendable (Parameters) -> any PostgresEncodable]

    /// A statement from `template` (`:name` parameters) with the value of each name from `bindings`; a name without a binding, or a binding not used, is kept in `problems`.
    package init(_ template: String, bind bindings: [String: @Sendable (Parameters) -> any PostgresEncodable]) {
        var sql = ""
        var names: [String] = []
        var problems: [String] = []
        let scalars = Array(template.unicodeScalars)
        var index = 0
        var quoted = false
        func isNameScalar(_ scalar: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "_"
        }
        while index < scalars.count {
            let scalar = scalars[index]
            // A `--` comment runs to the end of its line: copied as it is (an apostrophe in it quotes nothing).
            if !quoted, scalar == "-", index + 1 < scalars.count, scalars[index + 1] == "-" {
                while index < scalars.count, scalars[index] != "\n" {
                    sql.unicodeScalars.append(scalars[index])
                    index += 1
                }
                continue
            }
            if scalar == "'" { quoted.toggle() }
            if !quoted, scalar == ":", index + 1 < scalars.count, ("a"..."z").contains(scalars[index + 1]),
                index == 0 || scalars[index - 1] != ":"
            {
                var end = index + 1
                while end < scalars.count, isNameScalar(scalars[end]) { end += 1 }
                let name = String(String.UnicodeScalarView(scalars[(index + 1)..<end]))
                if !names.contains(name) {
                    names.append(name)
                    if bindings[name] == nil { problems.append("no binding for :\(name)") }
                }
                sql += "$\(names.firstIndex(of: name).map { $0 + 1 } ?? 0)"
                index = end
                continue
            }
            sql.unicodeScalars.append(scalar)
            index += 1
        }
        problems += bindings.keys.filter { !names.contains($0) }.sorted().map { "binding :\($0) is not used" }
        self.sql = sql
        self.names = names
        self.problems = problems
        self.values = names.map { name in bindings[name] ?? { _ in Optional<String>.none } }
    }

    /// The values for `parameters`, in the order of `$1…$n`.
    package func binds(_ parameters: Parameters) -> [any PostgresEncodable] { values.map { $0(parameters) } }
}

extension Connection {
    /// Runs a named statement with `parameters`. Throws when the statement has problems (a name without a binding).
    /// - Throws: `PostgresError` (`invalidParameter`) for an unsound statement, or from the server.
    @discardableResult
    package func query<P>(_ statement: NamedStatement<P>, _ parameters: P) throws -> QueryResult {
        guard statement.problems.isEmpty else {
            throw PostgresError(
                .invalidParameter, "statement is not sound: " + statement.problems.joined(separator: "; "))
        }
        return try query(statement.sql, statement.binds(parameters))
    }
}
