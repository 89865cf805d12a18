import Appeals
import Foundation
import Postgres
import Testing
import TestSupport

/// Finding a service: the sample catalogue of Maharashtra's services with their details, and the search over their
/// names and synonyms in every language (PostgreSQL's trigram matching and text search).
@Suite("Service finder")
struct ServiceFinderTests {
    /// A database with the whole Maharashtra sample imported (dropped when the fixture goes).
    final class Sample {
        let db: TestDatabase
        let connection: Connection
        init() throws {
            db = try TestDatabase()
            connection = try db.connect()
            let imported = try ServiceDetails.importMaharashtraSample(on: connection)
            #expect(imported.services >= 100, "at least 100 services with their details")
            #expect(imported.roles > 0 && imported.documents > 0)
        }
    }

    static func codes(_ query: String, language: String = "en", on connection: Connection) throws -> [String] {
        try ServiceFinder.search(query, language: language, limit: 9, on: connection).matches.map(\.code)
    }

    @Test(
        "the sample has at least 100 services, every one named in en/mr/hi/te, with documents, a time limit and authorities; illustrative values are marked"
    )
    func sample() throws {
        let sample = try Sample()
        let connection = sample.connection
        func count(_ sql: String) throws -> Int { try connection.query(sql).first?.decode(Int.self, at: 0) ?? -1 }
        #expect(try count("SELECT count(*) FROM services") >= 100)
        #expect(
            try count(
                "SELECT count(*) FROM services s WHERE (SELECT count(*) FROM service_names n WHERE n.service_code = s.code AND n.language IN ('mr', 'hi', 'te')) < 3"
            ) == 0, "every service named in Marathi, Hindi and Telugu")
        #expect(
            try count(
                "SELECT count(*) FROM services s WHERE NOT EXISTS (SELECT 1 FROM service_details d WHERE d.service_code = s.code)"
            ) == 0)
        #expect(
            try count(
                "SELECT count(*) FROM services s WHERE NOT EXISTS (SELECT 1 FROM service_rules r WHERE r.service_code = s.code)"
            ) == 0)
        #expect(try count("SELECT count(*) FROM service_details WHERE cardinality(documents) = 0") == 0)
        #expect(
            try count(
                "SELECT count(*) FROM service_details WHERE source = '' AND NOT sample_values @> '{time_limit,authorities}'"
            )
                == 0, "a value without a source is marked as sample data")
        #expect(
            try count(
                "SELECT count(*) FROM (SELECT unnest(ARRAY[do_role, faa_role, saa_role]) AS role FROM service_rules) r WHERE NOT EXISTS (SELECT 1 FROM officer_roles o WHERE o.code = r.role)"
            ) == 0, "every authority's role is named")
        #expect(try count("SELECT count(*) FROM service_search_terms WHERE kind = 'synonym'") > 300)
        // Importing again replaces.
        let again = try ServiceDetails.importMaharashtraSample(on: connection)
        #expect(again.services == (try count("SELECT count(*) FROM service_details")))
    }

    @Test(
        "a misspelt Marathi name, Marathi in Latin letters, a Hindi synonym, English with a typo and Telugu find the right service first"
    )
    func spellingMistakes() throws {
        let sample = try Sample()
        let connection = sample.connection
        // उत्पन्नाचा दाखला with the conjunct न्न and the last vowel sign missing.
        #expect(try Self.codes("उत्पनाचा दाखल", language: "mr", on: connection).first == "INCOME")
        #expect(try Self.codes("utpanacha dakhla", on: connection).first == "INCOME")
        #expect(try Self.codes("जाती प्रमाण पत्र", language: "hi", on: connection).first == "CASTE")
        #expect(try Self.codes("domicle certificate", on: connection).first == "DOMICILE")
        #expect(try Self.codes("సాతబారా", language: "te", on: connection).isEmpty == false)
        #expect(try Self.codes("కుల ధృవీకరణ", language: "te", on: connection).first == "CASTE")
        #expect(try Self.codes("सातबारा", language: "mr", on: connection).first == "SATBARA")
        #expect(try Self.codes("gumasta", on: connection).first == "SHOP_ESTABLISHMENT")
        let found = try ServiceFinder.search("उत्पनाचा दाखल", language: "mr", limit: 9, on: connection)
        #expect(found.matches.first?.name == "उत्पन्नाचा दाखला", "named in the asker's language")
        #expect(found.matches.first?.timeLimitDays == 15)
        #expect(!found.nearest)
    }

    @Test(
        "results page through in a stable order; a query with no match offers the nearest services; an empty or hostile one finds nothing"
    )
    func pagingAndNearest() throws {
        let sample = try Sample()
        let connection = sample.connection
        let first = try ServiceFinder.search("certificate", language: "en", limit: 9, offset: 0, on: connection)
        #expect(first.total > 9 && first.matches.count == 9)
        let second = try ServiceFinder.search("certificate", language: "en", limit: 9, offset: 9, on: connection)
        #expect(!second.matches.isEmpty && second.total == first.total)
        #expect(Set(first.matches.map(\.code)).isDisjoint(with: second.matches.map(\.code)), "no service on two pages")
        let all = try ServiceFinder.search("certificate", language: "en", limit: 200, on: connection)
        #expect(all.matches.map(\.code).prefix(18) == (first.matches + second.matches).map(\.code).prefix(18))

        let near = try ServiceFinder.search("pasport", language: "en", limit: 5, on: connection)
        #expect(near.nearest, "no passport service: the nearest instead")
        #expect(!near.matches.isEmpty && near.matches.count <= 5)
        #expect(try ServiceFinder.search("   ", language: "en", limit: 9, on: connection).matches.isEmpty)
        #expect(try ServiceFinder.search("%' OR 1=1 --", language: "en", limit: 9, on: connection).matches.count <= 9)
        #expect(try ServiceFinder.search("qqqqzzzz", language: "en", limit: 9, on: connection).matches.isEmpty)
    }

    @Test(
        "a service's information in Marathi: documents, fee, time limit and authorities named in Marathi, source, sample values"
    )
    func information() throws {
        let sample = try Sample()
        let connection = sample.connection
        let income = try #require(try ServiceFinder.information(code: "INCOME", language: "mr", on: connection))
        #expect(income.name == "उत्पन्नाचा दाखला")
        #expect(income.documents.first == "ओळखीचा पुरावा (आधार, मतदार ओळखपत्र, पॅन कार्ड किंवा पासपोर्ट)")
        #expect(income.documents.count == 5)
        #expect(income.feeRupees == 34)
        #expect(income.timeLimitDays == 15 && income.unit == .calendar)
        #expect(income.designatedOfficer == "नायब तहसीलदार")
        #expect(income.firstAppellate == "तहसीलदार" && income.secondAppellate == "उपविभागीय अधिकारी")
        #expect(income.source == "https://jalgaon.gov.in/en/right-to-service-act")
        #expect(income.sampleValues.contains("fee") && income.sampleValues.contains("documents"))
        #expect(!income.sampleValues.contains("time_limit"), "the time limit is the published one")
        #expect(income.whatsappFlowID != nil)
        let urdu = try #require(try ServiceFinder.information(code: "INCOME", language: "ur", on: connection))
        #expect(urdu.name == "Income certificate", "a language without names falls back to English")
        let anganwadi = try #require(
            try ServiceFinder.information(code: "ANGANWADI_PREGNANT", language: "en", on: connection))
        #expect(anganwadi.unit == .working && anganwadi.feeRupees == 0)
        #expect(try ServiceFinder.information(code: "NO_SUCH", language: "en", on: connection) == nil)
    }

    @Test("a bad details line imports nothing and names its line and column")
    func badDetails() throws {
        let sample = try Sample()
        let connection = sample.connection
        let header = ServiceDetails.detailColumns.joined(separator: ",")
        let before = try connection.query("SELECT fee_rupees::text FROM service_details WHERE service_code = 'INCOME'")
            .first?.decode(String.self, at: 0)
        for (line, column) in [
            ("INCOME,12,ID_PROOF,,,,,\nCASTE,-5,ID_PROOF,,,,,", "fee_rupees"),
            ("INCOME,12,ID_PROOF,,,,,\nNOPE,1,ID_PROOF,,,,,", "service_code"),
            ("INCOME,12,NOT_A_DOCUMENT,,,,,", "documents"),
            ("INCOME,12,ID_PROOF,http://plain.example,,,,", "apply_url"),
            ("INCOME,12,ID_PROOF,,,,,official", "sample_values"),
        ] {
            #expect(throws: CatalogueError.self) {
                try ServiceDetails.importDetails(header + "\n" + line, on: connection)
            }
            do {
                try ServiceDetails.importDetails(header + "\n" + line, on: connection)
            } catch let error as CatalogueError {
                #expect(error.column == column, "\(line): \(error)")
            }
        }
        #expect(
            try connection.query("SELECT fee_rupees::text FROM service_details WHERE service_code = 'INCOME'").first?
                .decode(String.self, at: 0) == before, "nothing imported")
    }
}
