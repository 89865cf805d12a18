import Appeals
import Foundation
import Postgres
import Testing
import TestSupport

@Suite("Service catalogue")
struct CatalogueTests {
    @Test("the Maharashtra sample imports with its published time limits, office and band rules")
    func sample() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        #expect(try Catalogue.importCSV(try Catalogue.maharashtraSample(), on: connection) == 111)
        #expect(
            try Catalogue.importCSV(try Catalogue.maharashtraSample(), on: connection) == 111,
            "importing again replaces, never duplicates")
        #expect(try connection.query("SELECT count(*) FROM service_rules").first?.decode(Int.self, at: 0) == 111)
        let day = try #require(CivilDate("2026-01-05"))
        let limits = try [
            "INCOME": 15, "DOMICILE": 15, "CASTE": 45, "NCL": 21, "SENIOR_CITIZEN": 7, "SATBARA": 7, "BIRTH_REG": 7,
            "DEATH_REG": 7,
        ].map { code, days in
            (
                code, days,
                try Catalogue.rule(service: code, office: "HAVELI", on: day, bandValue: nil, on: connection)?
                    .timeLimitDays
            )
        }
        for (code, days, found) in limits { #expect(found == days, "\(code)") }
        let income = try #require(
            try Catalogue.rule(service: "INCOME", office: "HAVELI", on: day, bandValue: nil, on: connection))
        #expect(
            income.firstAppellate == Authority(role: "TAHSILDAR", office: "HAVELI"),
            "no office in the catalogue: the application's own office")
        #expect(income.secondAppellate.role == "SDO")
        #expect(
            try Catalogue.rule(service: "BIRTH_REG", office: "ZP-PARBHANI", on: day, bandValue: nil, on: connection)?
                .timeLimitDays == 5, "the office's own rule wins")
        #expect(
            try Catalogue.rule(service: "BIRTH_REG", office: "ZP-YAVATMAL", on: day, bandValue: nil, on: connection)?
                .unit == .working)
        #expect(
            try Catalogue.rule(service: "SOLVENCY", office: "HAVELI", on: day, bandValue: 150_000, on: connection)?
                .designatedOfficer.role == "TAHSILDAR")
        #expect(
            try Catalogue.rule(service: "SOLVENCY", office: "HAVELI", on: day, bandValue: 500_000, on: connection)?
                .designatedOfficer.role == "SDO")
        #expect(
            try Catalogue.rule(service: "SOLVENCY", office: "HAVELI", on: day, bandValue: 5_000_000, on: connection)?
                .designatedOfficer.role == "COLLECTOR")
        #expect(
            try Catalogue.rule(service: "SOLVENCY", office: "HAVELI", on: day, bandValue: nil, on: connection) == nil,
            "a banded service needs the amount")
        #expect(
            try Catalogue.rule(
                service: "INCOME", office: "HAVELI", on: try #require(CivilDate("2014-01-01")), bandValue: nil,
                on: connection) == nil,
            "no rule before the Act")
        #expect(try Catalogue.serviceName("CASTE", language: "mr", on: connection) == "जातीचा दाखला")
    }

    @Test("a bad line names its line and column and imports nothing; a later effective date wins")
    func badLines() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        // The names in Marathi, Hindi and Telugu sit after name_en, as in the sample catalogue.
        var columns = Catalogue.columns
        columns.insert(contentsOf: ["name_mr", "name_hi", "name_te"], at: 3)
        let header = columns.joined(separator: ",")
        let good = "INCOME,REVENUE,Income,उत्पन्न,आय,ఆదాయం,,,,2015-04-28,15,calendar,NT,,T,,SDO,"
        let bad = "CASTE,REVENUE,Caste,जात,जाति,కులం,,,,2015-04-28,fifteen,calendar,SDO,,AC,,C,"
        #expect(
            throws: CatalogueError(line: 3, column: "time_limit_days", problem: "a whole number of days from 1 to 3650")
        ) {
            try Catalogue.importCSV([header, good, bad].joined(separator: "\r\n"), on: connection)
        }
        #expect(try connection.query("SELECT count(*) FROM services").first?.decode(Int.self, at: 0) == 0)
        #expect(throws: CatalogueError.self) { try Catalogue.importCSV("service,name\nX,Y", on: connection) }
        let later = "INCOME,REVENUE,Income,उत्पन्न,आय,ఆదాయం,,,,2026-01-01,10,working,NT,,T,,SDO,"
        #expect(try Catalogue.importCSV([header, good, later].joined(separator: "\n") + "\n", on: connection) == 2)
        #expect(
            try Catalogue.rule(
                service: "INCOME", office: "X", on: try #require(CivilDate("2025-12-31")), bandValue: nil,
                on: connection)?.timeLimitDays == 15)
        #expect(
            try Catalogue.rule(
                service: "INCOME", office: "X", on: try #require(CivilDate("2026-01-01")), bandValue: nil,
                on: connection)?.timeLimitDays == 10)
    }
}
