@testable import Delivery
import Foundation
import Postgres
import Testing
import TestSupport

@Suite("Time-ordered delivery ids")
struct TimeOrderedIDsTests {
    @Test("version 7 and RFC 9562's variant, the millisecond in the first 48 bits, the rest random")
    func layout() {
        let date = Date(timeIntervalSince1970: 1_795_000_000.123)
        var seen = Set<UUID>()
        for _ in 0..<10_000 {
            let id = UUID.timeOrdered(at: date)
            let bytes = withUnsafeBytes(of: id.uuid) { Array($0) }
            #expect(bytes[6] >> 4 == 7)
            #expect(bytes[8] >> 6 == 0b10)
            #expect(bytes[0..<6].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } == 1_795_000_000_123)
            seen.insert(id)
        }
        #expect(seen.count == 10_000, "74 random bits: no repeat within one millisecond")
        // The textual form says so too: xxxxxxxx-xxxx-7xxx-[89ab]xxx-xxxxxxxxxxxx.
        let text = UUID.timeOrdered().uuidString.lowercased()
        #expect(
            text.range(
                of: "^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", options: .regularExpression
            ) != nil)
    }

    @Test("PostgreSQL's uuid order is creation order, so an index over them grows at its right edge")
    func databaseOrder() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        try connection.execute(script: "CREATE TEMP TABLE ids (id uuid PRIMARY KEY, made integer NOT NULL)")
        let start = 1_795_000_000_000 as UInt64
        var generator = SystemRandomNumberGenerator()
        let made = (0..<2_000).map { UUID.timeOrdered(milliseconds: start + UInt64($0), using: &generator) }
        // Inserted in a shuffled order: the order comes from the ids, not from the inserts.
        for index in (0..<made.count).shuffled() {
            try connection.query("INSERT INTO ids VALUES ($1, $2)", [made[index], index])
        }
        let order = try connection.query("SELECT made FROM ids ORDER BY id").rows.map { try $0.decode(Int.self, at: 0) }
        #expect(order == Array(0..<made.count))
    }
}
