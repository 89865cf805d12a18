import Foundation
import Postgres

/// The kinds of place and office in the hierarchy, and which kinds each may sit under.
package enum OfficeType: String, CaseIterable, Sendable, Codable {
    case state, district, taluka, cluster, village
    case tahsilOffice = "tahsil_office"
    case zillaParishad = "zilla_parishad"
    case municipalCorporation = "municipal_corporation"
    case municipalCouncil = "municipal_council"
    case university
    case departmentOffice = "department_office"

    /// The types a parent of this type may have (empty: it has none, it is a root).
    package var parentTypes: Set<OfficeType> {
        switch self {
        case .state: []
        case .district: [.state]
        case .taluka, .zillaParishad, .municipalCorporation, .municipalCouncil: [.district]
        case .cluster, .tahsilOffice: [.taluka]
        case .village: [.cluster]
        case .university: [.state, .district]
        case .departmentOffice: [.state, .district, .taluka]
        }
    }
}

/// The office hierarchy: the state, districts, talukas, clusters of 10-12 villages and their villages, and the
/// offices among them, with names in every language. Imported from CSV, the whole file checked before anything is
/// written.
package enum Offices {
    /// The CSV columns: `code,type,parent,name_en`, then optional `name_<language>` columns (one per language of the
    /// `languages` table; an empty cell shows the English name), then `calendar` (empty: the parent's, or the
    /// state's).
    package static let columns = ["code", "type", "parent", "name_en", "calendar"]

    /// One checked line of the file.
    struct Line {
        var number: Int
        var code: String
        var type: OfficeType
        var parent: String?
        var name: String
        var names: [String]
        var calendar: String?
    }

    /// Imports an office CSV in one transaction: every line is checked first (codes, types, names, that each parent
    /// exists in the file or the database, may hold this type, and that no office is its own ancestor), and one bad
    /// line imports nothing. A code already present is updated. The ancestors' closure is rebuilt. Returns the
    /// number of lines imported.
    /// - Throws: `CatalogueError` naming the line and column of the first problem; `PostgresError` from the database.
    @discardableResult
    package static func importCSV(_ text: String, on connection: Connection) throws -> Int {
        let csv = try LocalizedCSV(text, columns: columns, namesAfter: 4, on: connection)
        let calendars = Set(
            try connection.query("SELECT code FROM calendars").rows.map { try $0.decode(String.self, at: 0) })
        var lines: [Line] = []
        var lineOf: [String: Int] = [:]
        for line in csv.lines {
            let number = line.number, fields = line.fields
            func fail(_ column: String, _ problem: String) -> CatalogueError {
                CatalogueError(line: number, column: column, problem: problem)
            }
            let code = fields[0]
            guard code.range(of: "^[A-Z0-9][A-Z0-9_-]{0,63}$", options: .regularExpression) != nil else {
                throw fail("code", "a code of 1–64 capitals, digits, _ or -, starting with a capital or digit")
            }
            if let first = lineOf[code] { throw fail("code", "\(code) is already on line \(first)") }
            guard let type = OfficeType(rawValue: fields[1]) else {
                throw fail("type", "one of " + OfficeType.allCases.map(\.rawValue).joined(separator: ", "))
            }
            let parent = fields[2].isEmpty ? nil : fields[2]
            if type == .state {
                guard parent == nil else { throw fail("parent", "a state has no parent") }
                guard code.range(of: "^[A-Z]{2}$", options: .regularExpression) != nil else {
                    throw fail("code", "a state's code is its two-letter code (MH)")
                }
            } else if parent == nil {
                throw fail("parent", "required for a \(type.rawValue)")
            }
            guard !fields[3].isEmpty, fields[3].unicodeScalars.count <= 200 else {
                throw fail("name_en", "required, at most 200 characters")
            }
            let calendar = fields[4]
            if !calendar.isEmpty, !calendars.contains(calendar) {
                throw fail("calendar", "not a calendar of the calendars table")
            }
            lineOf[code] = number
            lines.append(
                Line(
                    number: number, code: code, type: type, parent: parent, name: fields[3], names: line.names,
                    calendar: calendar.isEmpty ? nil : calendar))
        }
        // Parents: in the file or already in the database, of a type this one may sit under, and no cycle.
        let codes = Array(Set(lines.compactMap(\.parent)).subtracting(lineOf.keys))
        var stored: [String: (type: OfficeType, parent: String?, state: String, calendar: String)] = [:]
        for row in try connection.query(
            """
            SELECT o.code, o.type, o.parent_code, o.state, o.calendar FROM offices o
            WHERE o.code = ANY($1)
            """, [codes]
        ).rows {
            stored[try row.decode(String.self, at: 0)] = (
                OfficeType(rawValue: try row.decode(String.self, at: 1)) ?? .departmentOffice,
                try row.decode(String?.self, at: 2), try row.decode(String.self, at: 3),
                try row.decode(String.self, at: 4)
            )
        }
        let byCode = Dictionary(uniqueKeysWithValues: lines.map { ($0.code, $0) })
        var depth: [String: Int] = [:]
        var state: [String: String] = [:]
        var calendar: [String: String] = [:]
        func resolve(_ line: Line, seen: Set<String>) throws {
            guard depth[line.code] == nil else { return }
            let fail = { (problem: String) in CatalogueError(line: line.number, column: "parent", problem: problem) }
            guard let parent = line.parent else {
                depth[line.code] = 0
                state[line.code] = line.code
                calendar[line.code] = line.calendar ?? line.code
                guard calendars.contains(calendar[line.code] ?? "") else {
                    throw CatalogueError(
                        line: line.number, column: "calendar", problem: "no calendar named \(line.code); give one")
                }
                return
            }
            guard !seen.contains(parent) else { throw fail("\(line.code) would be its own ancestor") }
            let parentType: OfficeType
            if let inFile = byCode[parent] {
                try resolve(inFile, seen: seen.union([line.code]))
                parentType = inFile.type
            } else if let known = stored[parent] {
                depth[parent] = depth[parent] ?? 1_000
                state[parent] = known.state
                calendar[parent] = known.calendar
                parentType = known.type
            } else {
                throw fail("no office \(parent) in the file or the database")
            }
            guard line.type.parentTypes.contains(parentType) else {
                throw fail(
                    "a \(line.type.rawValue) sits under a "
                        + line.type.parentTypes.map(\.rawValue).sorted().joined(separator: " or ")
                        + ", not a \(parentType.rawValue)")
            }
            depth[line.code] = (depth[parent] ?? 0) + 1
            state[line.code] = state[parent]
            calendar[line.code] = line.calendar ?? calendar[parent]
        }
        for line in lines { try resolve(line, seen: [line.code]) }

        try connection.transaction { tx in
            // Parents before children, so each row's parent exists when it is written.
            for line in lines.sorted(by: { (depth[$0.code] ?? 0, $0.number) < (depth[$1.code] ?? 0, $1.number) }) {
                try tx.query(
                    """
                    INSERT INTO offices (code, state, calendar, name, type, parent_code) VALUES ($1, $2, $3, $4, $5, $6)
                    ON CONFLICT (code) DO UPDATE SET state = excluded.state, calendar = excluded.calendar, name = excluded.name,
                        type = excluded.type, parent_code = excluded.parent_code
                    """,
                    [
                        line.code, state[line.code], calendar[line.code], line.name, line.type.rawValue, line.parent,
                    ])
                try csv.storeNames(line.names, of: line.code, table: "office_names", keyColumn: "office_code", on: tx)
            }
            try rebuildAncestors(on: tx)
        }
        return lines.count
    }

    /// Rebuilds `office_ancestors` from the parents (each office is its own ancestor at depth 0); the dashboards'
    /// counts are rebuilt over the new hierarchy at their next refresh.
    /// - Throws: `PostgresError` from the database.
    package static func rebuildAncestors(on connection: Connection) throws {
        try connection.transaction { tx in
            try tx.execute(
                script: """
                    DELETE FROM office_ancestors;
                    WITH RECURSIVE up AS (
                        SELECT code AS office_code, code AS ancestor_code, 0 AS depth FROM offices
                        UNION ALL
                        SELECT up.office_code, o.parent_code, up.depth + 1 FROM up JOIN offices o ON o.code = up.ancestor_code
                        WHERE o.parent_code IS NOT NULL AND up.depth < 32)
                    INSERT INTO office_ancestors (ancestor_code, office_code, depth) SELECT ancestor_code, office_code, depth FROM up;
                    UPDATE dashboard_state SET rebuild_needed = true;
                    """)
        }
    }

    /// An office (or place) as the dashboards and the desk show it.
    package struct Office: Sendable, Equatable, Codable {
        package var code: String
        package var type: OfficeType
        package var parent: String?
        /// The name in the language asked for (English when it has none).
        package var name: String
    }

    /// The office with this code, named in `language`; nil when there is none.
    /// - Throws: `PostgresError` from the database.
    package static func find(_ code: String, language: String, on connection: Connection) throws -> Office? {
        try connection.query(
            """
            SELECT o.code, o.type, o.parent_code, coalesce(n.name, o.name) FROM offices o
            LEFT JOIN office_names n ON n.office_code = o.code AND n.language = $2 WHERE o.code = $1
            """, [code, language]
        ).first.map(office)
    }

    /// The offices directly under `code`, named in `language`, in name order.
    /// - Throws: `PostgresError` from the database.
    package static func children(of code: String, language: String, on connection: Connection) throws -> [Office] {
        try connection.query(
            """
            SELECT o.code, o.type, o.parent_code, coalesce(n.name, o.name) AS name FROM offices o
            LEFT JOIN office_names n ON n.office_code = o.code AND n.language = $2 WHERE o.parent_code = $1
            ORDER BY name, o.code
            """, [code, language]
        ).rows.map(office)
    }

    /// The chain from the root down to `code` (itself last), named in `language`.
    /// - Throws: `PostgresError` from the database.
    package static func path(to code: String, language: String, on connection: Connection) throws -> [Office] {
        try connection.query(
            """
            SELECT o.code, o.type, o.parent_code, coalesce(n.name, o.name) FROM office_ancestors a
            JOIN offices o ON o.code = a.ancestor_code
            LEFT JOIN office_names n ON n.office_code = o.code AND n.language = $2
            WHERE a.office_code = $1 ORDER BY a.depth DESC
            """, [code, language]
        ).rows.map(office)
    }

    static func office(_ row: Row) throws -> Office {
        Office(
            code: try row.decode(String.self, at: 0),
            type: OfficeType(rawValue: try row.decode(String.self, at: 1)) ?? .departmentOffice,
            parent: try row.decode(String?.self, at: 2), name: try row.decode(String.self, at: 3))
    }
}

extension Offices {
    /// Imports where offices and villages are (`code,latitude,longitude`, WGS 84 decimal degrees; both cells empty
    /// clears a location) in one statement: every line is checked first (a code of the hierarchy, once; numbers in
    /// range) and one bad line imports nothing. Returns the number of lines imported.
    /// - Throws: `CatalogueError` naming the line and column of the first problem; `PostgresError` from the database.
    @discardableResult
    package static func importLocations(_ text: String, on connection: Connection) throws -> Int {
        var lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }.map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        if lines.first?.hasPrefix("\u{FEFF}") == true { lines[0].removeFirst() }
        guard lines.first?.lowercased() == "code,latitude,longitude" else {
            throw CatalogueError(line: 1, column: "*", problem: "the header must be code,latitude,longitude")
        }
        let known = Set(try connection.query("SELECT code FROM offices").rows.map { try $0.decode(String.self, at: 0) })
        var codes: [String] = []
        var latitudes: [Double?] = []
        var longitudes: [Double?] = []
        var lineOf: [String: Int] = [:]
        for (index, line) in lines.enumerated().dropFirst() where !line.isEmpty {
            let number = index + 1
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard fields.count == 3 else {
                throw CatalogueError(line: number, column: "*", problem: "three cells: code,latitude,longitude")
            }
            guard known.contains(fields[0]) else {
                throw CatalogueError(
                    line: number, column: "code", problem: "no office or place \(fields[0]) in the hierarchy")
            }
            if let first = lineOf[fields[0]] {
                throw CatalogueError(line: number, column: "code", problem: "\(fields[0]) is already on line \(first)")
            }
            lineOf[fields[0]] = number
            if fields[1].isEmpty && fields[2].isEmpty {
                codes.append(fields[0])
                latitudes.append(nil)
                longitudes.append(nil)
                continue
            }
            guard let latitude = Double(fields[1]), latitude.isFinite, (-90...90).contains(latitude) else {
                throw CatalogueError(line: number, column: "latitude", problem: "decimal degrees from -90 to 90")
            }
            guard let longitude = Double(fields[2]), longitude.isFinite, (-180...180).contains(longitude) else {
                throw CatalogueError(line: number, column: "longitude", problem: "decimal degrees from -180 to 180")
            }
            codes.append(fields[0])
            latitudes.append(latitude)
            longitudes.append(longitude)
        }
        try connection.query(
            """
            UPDATE offices o SET latitude = l.latitude, longitude = l.longitude
            FROM unnest($1::text[], $2::float8[], $3::float8[]) AS l(code, latitude, longitude)
            WHERE o.code = l.code
            """, [codes, latitudes, longitudes])
        return codes.count
    }

    /// Approximate locations of the sample's tahsil offices and villages (sample data for trying polygons and
    /// circles, not surveyed positions: a deployment imports the Local Government Directory's).
    /// - Throws: an error when the bundled file cannot be read.
    package static func maharashtraSampleLocations() throws -> String {
        guard
            let url = Bundle.module.url(
                forResource: "maharashtra-office-locations", withExtension: "csv", subdirectory: "catalogue")
        else {
            throw CatalogueError(
                line: 0, column: "*", problem: "the sample office locations are missing from the build")
        }
        return try String(contentsOf: url, encoding: .utf8)
    }
}
