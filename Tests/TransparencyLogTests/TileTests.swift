import Foundation
import Postgres
import ServiceRuntime
import TestSupport
import Testing
import TransparencyLog
import TransparencyLogStore

@Suite("Tiles (C2SP tlog-tiles)")
struct TilePathTests {
    @Test("paths parse and print as the spec writes them: three-digit groups, x before all but the last, .p/W")
    func paths() {
        let cases: [(String, Tiles.Path)] = [
            ("0/000", .init(level: 0, index: 0)),
            ("0/x001/x234/067", .init(level: 0, index: 1_234_067)),
            ("1/x001/x234/067.p/8", .init(level: 1, index: 1_234_067, partialWidth: 8)),
            ("entries/005", .init(level: nil, index: 5)),
            ("entries/x001/000.p/255", .init(level: nil, index: 1000, partialWidth: 255)),
            ("63/999", .init(level: 63, index: 999)),
        ]
        for (text, path) in cases {
            #expect(Tiles.Path(Substring(text)) == path, "\(text)")
            #expect(path.description == text)
        }
        for bad in [
            "0/1", "0/01", "0/x001", "00/001", "64/000", "-1/000", "0/001.p/256", "0/001.p/0", "0/001.p/08",
            "0/x01/234", "0/1234", "0/001/002", "entries", "0/001.p", "tiles/001", "0/0a1", "0/x001/x234",
        ] {
            #expect(Tiles.Path(Substring(bad)) == nil, "\(bad) is refused")
        }
    }

    @Test("an entry bundle is each entry with a big-endian 16-bit length; a cut bundle is refused")
    func bundles() {
        let entries: [[UInt8]] = [Array("{}".utf8), Array(repeating: 0x41, count: 300)]
        let bundle = Tiles.bundle(entries)
        #expect(Array(bundle.prefix(4)) == [0x00, 0x02, 0x7B, 0x7D] && bundle[4...5] == [0x01, 0x2C])
        #expect(Tiles.entries(ofBundle: bundle) == entries)
        #expect(Tiles.entries(ofBundle: Array(bundle.dropLast())) == nil)
    }
}

@Suite("Stored tiles and proofs (real PostgreSQL)", .serialized)
struct StoredTileTests {
    @Test(
        "the integrator keeps every full tile at every level across batches; tiles and proofs served from them equal the tree's"
    )
    func tilesAndProofs() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        let signer = try LogSigner.stored(origin: "dakiya.test/log", on: connection)
        // 66,000 entries: a full level-1 tile (65,536 leaves) and a partial one, written in batches that end
        // mid-tile, as a busy integrator's do.
        let total = 66_000
        try connection.query(
            """
            INSERT INTO log_queue (entries)
            SELECT array_agg(convert_to('{"n":' || g || '}', 'UTF8') ORDER BY g) FROM generate_series(0, $1 - 1) g GROUP BY g / 100
            """, [total])
        var batches = 0
        while try LogIntegrator.integrate(limit: 37, signer: signer, on: connection) != nil { batches += 1 }
        #expect(batches == 18)
        let leaves = try connection.query("SELECT leaf_hash FROM log_entries ORDER BY idx").rows.map {
            try $0.decode(PostgresBytes.self, at: 0).bytes
        }
        #expect(leaves.count == total)
        let tree = MerkleTree(leafHashes: leaves)
        let counts = try connection.query("SELECT level, count(*) FROM log_tiles GROUP BY level ORDER BY level").rows
            .map { [try $0.decode(Int.self, at: 0), try $0.decode(Int.self, at: 1)] }
        #expect(counts == [[0, total / 256], [1, 1]], "257 full level-0 tiles and one full level-1 tile")

        func tile(_ text: String) throws -> [[UInt8]]? {
            let path = try #require(Tiles.Path(Substring(text)))
            return try StoredLog.tile(path, on: connection).flatMap(Tiles.hashes(ofTile:))
        }
        #expect(try tile("0/000") == Array(leaves[0..<256]))
        #expect(try tile("0/257.p/208") == Array(leaves[65_792..<66_000]))
        #expect(try tile("0/257.p/209") == nil, "wider than the log")
        #expect(try tile("0/258") == nil)
        let level1 = try #require(try tile("1/000"))
        #expect(level1.count == 256 && level1[5] == Merkle.root(leaves[1280..<1536]))
        #expect(try tile("1/001.p/1") == [Merkle.root(leaves[65_536..<65_792])])
        #expect(try tile("1/001.p/2") == nil, "leaves 65,792 ..< 66,048 are not all in the log")
        #expect(try tile("2/000.p/1") == [tree.root(size: 65_536)], "level 2: perfect subtrees of 65,536 leaves")
        #expect(try tile("2/000.p/2") == nil)
        let bundlePath = try #require(Tiles.Path("entries/257.p/3"))
        let bundle = try #require(try StoredLog.tile(bundlePath, on: connection).flatMap(Tiles.entries(ofBundle:)))
        #expect(
            bundle.map { String(decoding: $0, as: UTF8.self) } == [#"{"n":65792}"#, #"{"n":65793}"#, #"{"n":65794}"#])

        // Proofs from the stored tiles equal the in-memory tree's (itself checked against the Python reference).
        for (index, size) in [(0, 1), (5, 256), (255, 257), (65_535, 65_536), (65_536, 65_537), (1_000, 66_000)] {
            #expect(
                try StoredLog.inclusionProof(index: index, size: size, on: connection)
                    == tree.inclusionProof(index: index, size: size), "PATH(\(index), \(size))")
        }
        for (from, to) in [(1, 2), (256, 512), (300, 65_536), (65_536, 66_000), (65_537, 66_000), (7, 66_000)] {
            #expect(
                try StoredLog.consistencyProof(from: from, to: to, on: connection)
                    == tree.consistencyProof(from: from, to: to), "PROOF(\(from), \(to))")
        }
        #expect(try StoredLog.inclusionProof(index: 0, size: total + 1, on: connection) == nil)
    }
}
