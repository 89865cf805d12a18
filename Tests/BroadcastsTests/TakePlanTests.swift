import Foundation
import Postgres
import Testing
import TestSupport

@testable import Broadcasts

/// A send job's take reads only its range's messages and recipients, whatever plan PostgreSQL caches for it.
///
/// While a million-recipient broadcast fans out, the statistics still describe tables without it; the take's two
/// updates and its join to the recipients were bounded only through their join to the range's rows, and the generic
/// plan chose to read all of the broadcast's messages for each take (10 s a take; no range settled during the
/// fan-out's minute).
@Suite("Broadcasts: the take's plan is bounded by its range")
struct TakePlanTests {
    @Test(
        "planned generically on statistics taken during a large fan-out, with or without nested loops, every read of broadcast_messages and broadcast_recipients in the take has its range in the index condition"
    )
    func bounded() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        // The statistics autovacuum took in the middle of a large fan-out: one broadcast of 50,000 messages on each
        // channel, pending.
        try connection.execute(
            script: """
                INSERT INTO broadcast_recipients (broadcast_id, seq, line, mobile, email, language, fields)
                SELECT '00000000-0000-7000-8000-0000000000aa', s, s + 1, '+9190000' || s, 'c' || s || '@example.in', 'mr', '{}'
                FROM generate_series(0, 49999) s;
                INSERT INTO broadcast_messages (broadcast_id, channel, seq, address, language, state, provider_id, sent_at)
                SELECT broadcast_id, c, seq, CASE WHEN c = 'whatsapp' THEN mobile ELSE email END, 'mr', 'pending', NULL, NULL
                FROM broadcast_recipients, unnest(ARRAY['whatsapp', 'email']) c
                """)
        for table in ["broadcast_messages", "broadcast_recipients", "broadcasts", "citizen_consents", "citizens"] {
            try connection.execute(script: "VACUUM ANALYZE \(table)")
        }
        try connection.execute(script: "SET plan_cache_mode = force_generic_plan")
        // Whatever join the planner picks: the nested loop it picks on these statistics bounds each lookup by the
        // outer row's seq, but a hash or merge join (which other statistics made it pick) reads the whole index range
        // its own conditions give, so those must bound it too.
        for (channel, joins) in [("whatsapp", "on"), ("email", "on"), ("whatsapp", "off"), ("email", "off")] {
            try connection.execute(script: "SET enable_nestloop = \(joins)")
            let name = "take_\(channel)_\(joins)"
            try connection.execute(
                script: "PREPARE \(name)(uuid, int, int) AS \(Broadcasts.takeStatement(channel: channel))")
            let text = try #require(
                try connection.query(
                    "EXPLAIN (FORMAT JSON) EXECUTE \(name)('00000000-0000-7000-8000-000000000001', 0, 100)"
                ).first?.decode(String.self, at: 0))
            let json = try JSONSerialization.jsonObject(with: Data(text.utf8))
            let plan = try #require((json as? [[String: Any]])?.first?["Plan"])
            var reads = 0
            for node in QueryPlans.nodes(plan) {
                guard let relation = node["Relation Name"] as? String,
                    relation == "broadcast_messages" || relation == "broadcast_recipients"
                else { continue }
                let type = node["Node Type"] as? String ?? "?"
                if type == "ModifyTable" { continue }  // the update's target: what it writes is what its scan read
                reads += 1
                let condition = node["Index Cond"] as? String ?? ""
                #expect(
                    type != "Seq Scan" && condition.contains("seq"),
                    "\(channel), nested loops \(joins): \(type) of \(relation) with index condition \(condition): not bounded by the range"
                )
            }
            #expect(reads >= 4, "\(channel): the take reads the messages (open, stopped, taken) and the recipients")
        }
    }
}
