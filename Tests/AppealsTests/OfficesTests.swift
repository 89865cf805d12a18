import Appeals
import Foundation
import Postgres
import TestSupport
import Testing

@Suite("Office hierarchy")
struct OfficesTests {
    static let header = "code,type,parent,name_en,name_mr,name_hi,name_te,calendar\n"

    @Test(
        "the Maharashtra sample imports two whole districts with their talukas, clusters of villages, Zilla Parishads, corporations and universities; importing again changes nothing"
    )
    func sample() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        let sample = try Offices.maharashtraSample()
        let lines = sample.split(separator: "\n").count - 1
        #expect(try Offices.importCSV(sample, on: connection) == lines)
        #expect(try Offices.importCSV(sample, on: connection) == lines, "again: replaces, never duplicates")
        func count(_ sql: String, _ values: [any PostgresEncodable] = []) throws -> Int {
            try connection.query(sql, values).first?.decode(Int.self, at: 0) ?? -1
        }
        #expect(try count("SELECT count(*) FROM offices") == lines)
        // Pune has 14 talukas, Yavatmal 16, each with its tahsil office.
        for (district, talukas) in [("D-PUNE", 14), ("D-YAVATMAL", 16)] {
            #expect(
                try count(
                    "SELECT count(*) FROM offices WHERE parent_code = $1 AND type = 'taluka'", [district]) == talukas)
            #expect(
                try count(
                    """
                    SELECT count(*) FROM offices t JOIN offices o ON o.parent_code = t.code AND o.type = 'tahsil_office'
                    WHERE t.parent_code = $1
                    """, [district]) == talukas)
            #expect(
                try count(
                    "SELECT count(DISTINCT type) FROM offices WHERE parent_code = $1 AND type IN ('zilla_parishad', 'municipal_council')",
                    [district]) == 2)
        }
        #expect(try count("SELECT count(*) FROM offices WHERE type = 'municipal_corporation'") >= 2)
        #expect(try count("SELECT count(*) FROM offices WHERE type = 'university'") == 2)
        // Every cluster holds 10 to 12 villages.
        let clusters = try connection.query(
            "SELECT c.code, count(v.code) FROM offices c LEFT JOIN offices v ON v.parent_code = c.code WHERE c.type = 'cluster' GROUP BY c.code"
        ).rows
        #expect(clusters.count >= 4)
        for row in clusters {
            let cluster = try row.decode(String.self, at: 0), villages = try row.decode(Int.self, at: 1)
            #expect((10...12).contains(villages), "\(cluster): \(villages) villages")
        }
        // A village's place, named in Marathi, from the state down; the closure has every pair.
        let path = try Offices.path(to: "V-HAVELI-WAGHOLI", language: "mr", on: connection)
        #expect(path.map(\.code) == ["MH", "D-PUNE", "T-HAVELI", "C-HAVELI-1", "V-HAVELI-WAGHOLI"])
        #expect(path.map(\.name) == ["महाराष्ट्र", "पुणे जिल्हा", "हवेली तालुका", "वाघोली समूह", "वाघोली"])
        #expect(try Offices.find("HAVELI", language: "te", on: connection)?.name == "Tahsil Office, Haveli")
        #expect(
            try count("SELECT count(*) FROM office_ancestors WHERE office_code = 'V-HAVELI-WAGHOLI'") == 5
                && count("SELECT max(depth) FROM office_ancestors WHERE office_code = 'V-HAVELI-WAGHOLI'") == 4)
        #expect(try count("SELECT count(*) FROM office_ancestors WHERE ancestor_code = 'MH'") == lines)
        let children = try Offices.children(of: "T-HAVELI", language: "en", on: connection)
        #expect(Set(children.map(\.type)) == [.cluster, .tahsilOffice, .departmentOffice])
        #expect(
            try connection.query("SELECT state, calendar FROM offices WHERE code = 'V-PUSAD-GAUL'").first.map {
                [try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1)]
            } == ["MH", "MH"])

        // A second file adds a cluster under a taluka already in the database.
        let more =
            Self.header + "C-BHOR-1,cluster,T-BHOR,Bhor cluster,भोर समूह,,,\n"
            + (1...10).map { "V-BHOR-\($0),village,C-BHOR-1,Village \($0),,,,\n" }.joined()
        #expect(try Offices.importCSV(more, on: connection) == 11)
        #expect(try Offices.path(to: "V-BHOR-3", language: "en", on: connection).first?.code == "MH")
    }

    @Test(
        "a bad file names the line and column of its first problem and imports nothing",
        arguments: [
            ("code,type,parent,name_en\n", "line 1, column header"),
            ("code,type,parent,name_en,name_xx,calendar\n", "line 1, column name_xx"),
            ("MH,state,,Maharashtra,,,,\nmh-pune,district,MH,Pune,,,,\n", "line 3, column code"),
            ("MH,state,,Maharashtra,,,,\nD-P,county,MH,Pune,,,,\n", "line 3, column type"),
            ("MH,state,,Maharashtra,,,,\nD-P,district,,Pune,,,,\n", "line 3, column parent"),
            ("MH,state,,Maharashtra,,,,\nD-P,district,MH,,,,,\n", "line 3, column name_en"),
            ("MH,state,,Maharashtra,,,,\nD-P,district,MH,Pune,,,,XX\n", "line 3, column calendar"),
            (
                "MH,state,,Maharashtra,,,,\nD-P,district,MH,Pune,,,,\nD-P,district,MH,Pune again,,,,\n",
                "line 4, column code"
            ),
            ("MH,state,,Maharashtra,,,,\nT-X,taluka,D-NOWHERE,X,,,,\n", "line 3, column parent: no office D-NOWHERE"),
            (
                "MH,state,,Maharashtra,,,,\nV-X,village,MH,X,,,,\n",
                "line 3, column parent: a village sits under a cluster"
            ),
            ("MAHA,state,,Maharashtra,,,,\n", "line 2, column code"),
            ("MH,state,,Maharashtra,,,,\nD-P,district,MH,Pune\n", "line 3, column *: expected 8 fields"),
        ])
    func badFiles(body: String, expected: String) throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        let text = body.hasPrefix("code,") ? body : Self.header + body
        let error = #expect(throws: CatalogueError.self) { try Offices.importCSV(text, on: connection) }
        #expect(error.map { "\($0)".hasPrefix(expected) } == true, "\(String(describing: error))")
        #expect(try connection.query("SELECT count(*) FROM offices").first?.decode(Int.self, at: 0) == 0)
    }
}
