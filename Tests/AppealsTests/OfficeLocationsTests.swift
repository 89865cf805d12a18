import Appeals
import Foundation
import Postgres
import TestSupport
import Testing

@Suite("Office locations")
struct OfficeLocationsTests {
    @Test(
        "the sample's locations import for every tahsil office and village; a bad line imports nothing and names its line and column; empty cells clear a location"
    )
    func locations() throws {
        let f = try AppealsFixture(isTest: false)
        try Offices.importCSV(try Offices.maharashtraSample(), on: f.connection)
        #expect(try Offices.importLocations(try Offices.maharashtraSampleLocations(), on: f.connection) == 91)
        let unlocated = try f.connection.query(
            """
            SELECT count(*) FROM offices WHERE type IN ('tahsil_office', 'village') AND latitude IS NULL
            """
        ).first?.decode(Int.self, at: 0)
        #expect(unlocated == 0)
        let paud = try #require(
            try f.connection.query("SELECT latitude, longitude FROM offices WHERE code = 'V-MULSHI-PAUD'").first)
        #expect(try paud.decode(Double.self, at: 0) == 18.53 && paud.decode(Double.self, at: 1) == 73.62)

        func refusal(_ text: String) -> CatalogueError? {
            do {
                try Offices.importLocations(text, on: f.connection)
                return nil
            } catch let error as CatalogueError {
                return error
            } catch {
                return CatalogueError(line: 0, column: "?", problem: "\(error)")
            }
        }
        #expect(refusal("code,lat,lon\nHAVELI,1,2\n")?.line == 1)
        #expect(
            refusal("code,latitude,longitude\nHAVELI,1,2\nATLANTIS,1,2\n")
                == CatalogueError(line: 3, column: "code", problem: "no office or place ATLANTIS in the hierarchy"))
        #expect(refusal("code,latitude,longitude\nHAVELI,91,2\n")?.column == "latitude")
        #expect(refusal("code,latitude,longitude\nHAVELI,18.5,east\n")?.column == "longitude")
        #expect(refusal("code,latitude,longitude\nHAVELI,18.5,73.8\nHAVELI,18.5,73.8\n")?.line == 3)
        #expect(refusal("code,latitude,longitude\nHAVELI,18.5\n")?.column == "*")
        let haveli = try f.connection.query("SELECT latitude FROM offices WHERE code = 'HAVELI'").first?.decode(
            Double.self, at: 0)
        #expect(haveli == 18.5286, "the refused files changed nothing")
        #expect(try Offices.importLocations("code,latitude,longitude\r\nHAVELI,,\r\n", on: f.connection) == 1)
        #expect(
            try f.connection.query("SELECT latitude IS NULL AND longitude IS NULL FROM offices WHERE code = 'HAVELI'")
                .first?.decode(Bool.self, at: 0) == true)
    }
}
