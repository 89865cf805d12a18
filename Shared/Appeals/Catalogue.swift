import Foundation
import Postgres

/// The service rule that applies to one application: its time limit and its three authorities.
package struct ServiceRule: Sendable, Equatable {
    package var id: Int64
    package var serviceCode: String
    package var timeLimitDays: Int
    package var unit: DayUnit
    package var designatedOfficer: Authority
    package var firstAppellate: Authority
    package var secondAppellate: Authority
}

/// An officer role at an office.
package struct Authority: Sendable, Equatable, Codable {
    package var role: String
    package var office: String
    /// The officer's role at an office.
    package init(role: String, office: String) {
        self.role = role
        self.office = office
    }
}

/// A catalogue line that could not be imported, with the line number and the column.
package struct CatalogueError: Error, CustomStringConvertible, Sendable, Equatable {
    package var line: Int
    package var column: String
    package var problem: String
    /// A problem at a line (1 is the header) and column (`*` for the whole line).
    package init(line: Int, column: String, problem: String) {
        self.line = line
        self.column = column
        self.problem = problem
    }
    package var description: String { "line \(line), column \(column): \(problem)" }
}

/// The service catalogue: services with their names in each language, and per office, attribute band and
/// effective date the time limit and the authorities. Imported from CSV.
package enum Catalogue {
    /// The CSV columns, in order (a header line with these names comes first). After `name_en` (required: English is
    /// the fallback) come optional `name_<code>` columns, one per language of the `languages` table (an empty cell
    /// means that language shows the English name), then the rule's columns.
    package static let columns = [
        "service_code", "department", "name_en", "office_code", "band_min", "band_max", "effective_from",
        "time_limit_days", "day_unit", "do_role", "do_office", "faa_role", "faa_office", "saa_role", "saa_office",
    ]

    /// Imports a catalogue CSV in one transaction: every line is checked first, and one bad line imports
    /// nothing. Lines for a service, office, band and date already present replace it. Returns the number of rules.
    /// - Throws: `CatalogueError` naming the line and column of the first problem (nothing is imported); `PostgresError` from the database.
    @discardableResult
    package static func importCSV(_ text: String, on connection: Connection) throws -> Int {
        let csv = try LocalizedCSV(text, columns: columns, namesAfter: 3, on: connection)
        for line in csv.lines {
            // `fields` in the order of `columns`; the names in other languages aside.
            let fields = line.fields
            func require(_ column: Int, _ valid: (String) -> Bool, _ problem: String) throws {
                guard valid(fields[column]) else {
                    throw CatalogueError(line: line.number, column: columns[column], problem: problem)
                }
            }
            try require(
                0, { $0.range(of: "^[A-Z0-9_-]{2,64}$", options: .regularExpression) != nil },
                "a service code of 2–64 capitals, digits, _ or -")
            for column in [1, 2, 9, 11, 13] { try require(column, { !$0.isEmpty }, "must not be empty") }
            try require(4, { $0.isEmpty || Decimal(string: $0) != nil }, "a number or empty")
            try require(5, { $0.isEmpty || Decimal(string: $0) != nil }, "a number or empty")
            try require(6, { CivilDate($0) != nil }, "a date as YYYY-MM-DD")
            try require(7, { Int($0).map { $0 > 0 && $0 <= 3650 } ?? false }, "a whole number of days from 1 to 3650")
            try require(8, { DayUnit(rawValue: $0) != nil }, "calendar or working")
        }
        try connection.transaction { tx in
            for line in csv.lines {
                let fields = line.fields
                func optional(_ column: Int) -> String? { fields[column].isEmpty ? nil : fields[column] }
                try tx.query(
                    """
                    INSERT INTO services (code, department, name_en) VALUES ($1, $2, $3)
                    ON CONFLICT (code) DO UPDATE SET department = excluded.department, name_en = excluded.name_en
                    """, Array(fields[0...2]))
                // Each language named in the header: its name, or none (the English one shows) for an empty cell.
                try csv.storeNames(line.names, of: fields[0], table: "service_names", keyColumn: "service_code", on: tx)
                // A search finds the service by its names as they are now (its synonyms kept).
                try tx.query("SELECT service_search_refresh($1, NULL)", [fields[0]])
                try tx.query(
                    """
                    INSERT INTO service_rules (service_code, office_code, band_min, band_max, effective_from, time_limit_days, day_unit,
                                               do_role, do_office, faa_role, faa_office, saa_role, saa_office)
                    VALUES ($1, $2, $3::numeric, $4::numeric, $5::date, $6::integer, $7, $8, $9, $10, $11, $12, $13)
                    ON CONFLICT (service_code, office_code, band_min, band_max, effective_from) DO UPDATE SET
                        time_limit_days = excluded.time_limit_days, day_unit = excluded.day_unit, do_role = excluded.do_role, do_office = excluded.do_office,
                        faa_role = excluded.faa_role, faa_office = excluded.faa_office, saa_role = excluded.saa_role, saa_office = excluded.saa_office
                    """,
                    [
                        fields[0], optional(3), optional(4), optional(5), fields[6], fields[7], fields[8], fields[9],
                        optional(10), fields[11], optional(12), fields[13], optional(14),
                    ])
            }
        }
        return csv.lines.count
    }

    /// The rule for a service at an office on a date, for an attribute value (the amount of a solvency
    /// certificate): an office's own rule wins over the general one, then the latest effective date.
    /// - Throws: `PostgresError` from the database.
    package static func rule(
        service: String, office: String, on date: CivilDate, bandValue: Decimal?, on connection: Connection
    ) throws -> ServiceRule? {
        guard
            let row = try connection.query(
                """
                SELECT id, service_code, time_limit_days, day_unit, do_role, coalesce(do_office, $2), faa_role, coalesce(faa_office, $2),
                       saa_role, coalesce(saa_office, $2)
                FROM service_rules
                WHERE service_code = $1 AND (office_code IS NULL OR office_code = $2) AND effective_from <= $3::date
                  AND (band_min IS NULL OR ($4::numeric IS NOT NULL AND $4::numeric >= band_min))
                  AND (band_max IS NULL OR ($4::numeric IS NOT NULL AND $4::numeric <= band_max))
                ORDER BY (office_code IS NOT NULL) DESC, effective_from DESC, (band_min IS NOT NULL OR band_max IS NOT NULL) DESC
                LIMIT 1
                """, [service, office, date, bandValue.map { "\($0)" }]
            ).first
        else { return nil }
        return try decodeRule(row)
    }

    /// The rule by id (an application's clock keeps the rule it started under).
    /// - Throws: `PostgresError` from the database.
    package static func rule(id: Int64, office: String, on connection: Connection) throws -> ServiceRule? {
        guard
            let row = try connection.query(
                """
                SELECT id, service_code, time_limit_days, day_unit, do_role, coalesce(do_office, $2), faa_role, coalesce(faa_office, $2),
                       saa_role, coalesce(saa_office, $2)
                FROM service_rules WHERE id = $1
                """, [id, office]
            ).first
        else { return nil }
        return try decodeRule(row)
    }

    /// A rule from the ten columns both lookups select, authorities' offices already defaulted to the application's.
    static func decodeRule(_ row: Row) throws -> ServiceRule {
        ServiceRule(
            id: try row.decode(Int64.self, at: 0), serviceCode: try row.decode(String.self, at: 1),
            timeLimitDays: try row.decode(Int.self, at: 2),
            unit: DayUnit(rawValue: try row.decode(String.self, at: 3)) ?? .calendar,
            designatedOfficer: Authority(
                role: try row.decode(String.self, at: 4), office: try row.decode(String.self, at: 5)),
            firstAppellate: Authority(
                role: try row.decode(String.self, at: 6), office: try row.decode(String.self, at: 7)),
            secondAppellate: Authority(
                role: try row.decode(String.self, at: 8), office: try row.decode(String.self, at: 9)))
    }

    /// The service's name in `language`: its own, else the English one, else the code (a service not in the
    /// catalogue). The SQL function `service_name` (migration 0015) is the one rule, for statements too.
    /// - Throws: `PostgresError` from the database.
    package static func serviceName(_ code: String, language: String, on connection: Connection) throws -> String {
        try connection.query("SELECT service_name($1, $2)", [code, language]).first?.decode(String.self, at: 0) ?? code
    }
}

/// A CSV of things named in every language (the catalogue's services, the offices): fixed `columns`, with optional
/// `name_<language>` columns after the first `namesAfter` of them (one per language of the `languages` table other
/// than English; an empty cell shows the English name). The header, each line's field count and the names' lengths
/// are checked here; each import checks its own columns.
package struct LocalizedCSV {
    /// A data line: its number in the file (the header is 1), its fields in `columns` order, its names in
    /// `languages` order; all trimmed.
    package struct Line {
        package var number: Int
        package var fields: [String]
        package var names: [String]
    }

    package let languages: [String]
    package let lines: [Line]

    /// Reads `text`.
    /// - Throws: `CatalogueError` naming the line and column of the first problem; `PostgresError` from the database.
    package init(_ text: String, columns: [String], namesAfter: Int, on connection: Connection) throws {
        let records = try CSV.parse(text)
        let known = Set(
            try connection.query("SELECT code FROM languages WHERE NOT is_fallback").rows.map {
                try $0.decode(String.self, at: 0)
            })
        let header = (records.first ?? []).map { $0.trimmingCharacters(in: .whitespaces) }
        let nameColumns = Array(header.dropFirst(namesAfter).prefix { $0.hasPrefix("name_") })
        languages = nameColumns.map { String($0.dropFirst(5)) }
        guard header.count == columns.count + nameColumns.count,
            Array(header.prefix(namesAfter)) + header.dropFirst(namesAfter + nameColumns.count) == columns
        else {
            throw CatalogueError(
                line: 1, column: "header",
                problem: "expected the columns "
                    + (columns.prefix(namesAfter) + ["[name_<language>,…]"] + columns.dropFirst(namesAfter)).joined(
                        separator: ","))
        }
        if let unknown = languages.first(where: { !known.contains($0) }) ?? languages.duplicate {
            throw CatalogueError(
                line: 1, column: "name_" + unknown,
                problem: "not a language of the languages table, other than English, or given twice")
        }
        var lines: [Line] = []
        for (index, record) in records.dropFirst().enumerated() where !(record.count == 1 && record[0].isEmpty) {
            let number = index + 2
            guard record.count == header.count else {
                throw CatalogueError(
                    line: number, column: "*", problem: "expected \(header.count) fields, found \(record.count)")
            }
            let trimmed = record.map { $0.trimmingCharacters(in: .whitespaces) }
            let names = Array(trimmed[namesAfter..<(namesAfter + nameColumns.count)])
            if let long = names.firstIndex(where: { $0.unicodeScalars.count > 200 }) {
                throw CatalogueError(line: number, column: nameColumns[long], problem: "at most 200 characters")
            }
            lines.append(
                Line(
                    number: number,
                    fields: Array(trimmed.prefix(namesAfter)) + trimmed.dropFirst(namesAfter + nameColumns.count),
                    names: names))
        }
        self.lines = lines
    }

    /// Writes `names` (in `languages` order) for `code` into `table`, keyed by `keyColumn`: a name replaces the one
    /// there, an empty one removes it (the English name shows).
    /// - Throws: `PostgresError` from the database.
    package func storeNames(
        _ names: [String], of code: String, table: String, keyColumn: String, on connection: Connection
    ) throws {
        precondition([table, keyColumn].allSatisfy { $0.allSatisfy { $0.isLowercase || $0 == "_" } })
        try connection.query(
            """
            WITH t AS (SELECT * FROM unnest($2::text[], $3::text[]) AS t(language, name)),
            gone AS (DELETE FROM \(table) n USING t WHERE n.\(keyColumn) = $1 AND n.language = t.language AND t.name = '')
            INSERT INTO \(table) (\(keyColumn), language, name) SELECT $1, language, name FROM t WHERE name <> ''
            ON CONFLICT (\(keyColumn), language) DO UPDATE SET name = excluded.name
            """, [code, languages, names])
    }
}

extension Array where Element: Hashable {
    /// The first element that occurs a second time.
    fileprivate var duplicate: Element? {
        var seen = Set<Element>()
        return first { !seen.insert($0).inserted }
    }
}

/// RFC 4180 CSV: commas, double-quoted fields with "" for a quote, CRLF or LF line ends.
package enum CSV {
    /// The records of a CSV text, each a list of fields.
    /// - Throws: `CatalogueError` for a quoted field that is not closed.
    package static func parse(_ text: String) throws -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var line = 1
        var iterator = Array(text.unicodeScalars).makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            if let scalar = pending { pending = nil; return scalar }
            return iterator.next()
        }
        while let scalar = next() {
            if quoted {
                if scalar == "\"" {
                    if let following = next() {
                        if following == "\"" {
                            field.unicodeScalars.append("\"")
                        } else {
                            quoted = false; pending = following
                        }
                    } else {
                        quoted = false
                    }
                } else {
                    if scalar == "\n" { line += 1 }
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"" where field.isEmpty: quoted = true
            case ",": record.append(field); field = ""
            case "\r": continue
            case "\n":
                record.append(field); field = ""
                records.append(record); record = []
                line += 1
            default: field.unicodeScalars.append(scalar)
            }
        }
        if quoted { throw CatalogueError(line: line, column: "*", problem: "a quoted field is not closed") }
        if !field.isEmpty || !record.isEmpty { record.append(field); records.append(record) }
        return records
    }
}
