import Foundation
import Postgres
import ServiceRuntime
import TransparencyLog
import TransparencyLogStore

/// The transparency log's integrator alone: entries waiting in the queue (in rows of several, as the delivery
/// statements queue them) integrated into the log and signed checkpoints, as fast as it goes.
struct LogBench {
    let url: String
    let entries = 200_000
    let perRow = 20

    func run() throws {
        let connection = try Connection(url: url)
        try connection.query(
            """
            INSERT INTO log_queue (entries)
            SELECT array_agg(convert_to('{"application":"' || encode(sha256(convert_to(g::text, 'UTF8')), 'hex')
                       || '","at":"2026-11-27T07:30:00.000Z","channel":"whatsapp","delivery":"' || gen_random_uuid()
                       || '","state":"delivered","type":"channel.state","v":1}', 'UTF8') ORDER BY g)
            FROM generate_series(0, $1 - 1) g GROUP BY g / $2
            """, [entries, perRow])
        try connection.execute(script: "VACUUM ANALYZE log_queue")
        let signer = try LogSigner.stored(origin: "bench.dakiya.local/log", on: connection)
        let started = MonotonicTime.now()
        var checkpoints = 0
        var last: Checkpoint?
        while let integration = try LogIntegrator.integrate(signer: signer, on: connection) {
            checkpoints += 1
            last = integration.checkpoint
        }
        let elapsed = MonotonicTime.now().duration(since: started).seconds
        let size = last?.size ?? 0
        // The signed root is the root of what the log holds (checked outside the timing).
        let leaves = try connection.query("SELECT leaf_hash FROM log_entries ORDER BY idx").rows.map {
            try $0.decode(PostgresBytes.self, at: 0).bytes
        }
        let verified = last.map { MerkleTree(leafHashes: leaves).root(size: $0.size) == $0.root } ?? false
        print(
            String(
                format:
                    "Transparency log integrator alone: %d entries (queued %d per row) into %d signed checkpoints in %.2f s = %.0f entries/s (target ≥ 10,000/s); root %@",
                size, perRow, checkpoints, elapsed, Double(size) / elapsed,
                verified ? "verified" : "WRONG"))
    }
}
