/// PostgreSQL query plans as `EXPLAIN (FORMAT JSON)` gives them, for tests that check what a statement reads.
package enum QueryPlans {
    /// Every node of a plan, depth first.
    package static func nodes(_ plan: Any) -> [[String: Any]] {
        guard let node = plan as? [String: Any] else { return [] }
        return [node] + ((node["Plans"] as? [Any]) ?? []).flatMap(nodes)
    }
}
