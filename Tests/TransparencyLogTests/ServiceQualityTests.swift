import Foundation
import Testing

@testable import TransparencyLog

@Suite("Service quality from the log")
struct ServiceQualityTests {
    @Test("ratings are counted per department, service and office from rating.answered entries, with their mean")
    func ratings() throws {
        func entry(_ rating: Int, office: String = "HAVELI") -> [UInt8] {
            Array(
                #"{"application":"c","at":"2026-11-29T00:00:00.000Z","department":"REV","office":"\#(office)","rating":\#(rating),"service":"INCOME","type":"rating.answered","v":1}"#
                    .utf8)
        }
        let report = try ServiceQuality(entries: [entry(4), entry(5), entry(2), entry(5, office: "PUNE"), entry(9)])
        #expect(report.entries["rating.answered"] == 5)
        let haveli = try #require(report.offices["REV/INCOME/HAVELI"])
        #expect(haveli.ratings == ["2": 1, "4": 1, "5": 1])
        #expect(abs((haveli.meanRating ?? 0) - 11.0 / 3) < 1e-9)
        #expect(report.offices["REV/INCOME/PUNE"]?.ratings == ["5": 1])
        #expect(report.text.contains("REV/INCOME/HAVELI") && report.text.contains("rated 3 times, mean 3.67 of 5"))
    }
}
