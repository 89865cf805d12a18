import Foundation
import Testing

@testable import Broadcasts

@Suite("a broadcast's progress counts")
struct BroadcastCountCacheTests {
    let counts = [BroadcastProgress.Count(channel: "whatsapp", state: "sent", office: "D-PUNE", messages: 7)]

    @Test("a large broadcast's count is reused for a few seconds, a small one's never; the time counted is kept")
    func reuse() {
        let cache = BroadcastCountCache()
        #expect(cache.freshness(recipients: 100_000) == 5)
        #expect(cache.freshness(recipients: 1_000_000) == 10)
        #expect(abs(cache.freshness(recipients: 20) - 0.001) < 1e-12)
        let large = UUID(), small = UUID()
        let countedAt = Date(timeIntervalSince1970: 1_800_000_000)
        cache.keep(counts, for: large, countedAt: countedAt)
        cache.keep(counts, for: small, countedAt: countedAt)
        let reused = cache.counts(for: large, recipients: 100_000, now: countedAt.addingTimeInterval(4.9))
        #expect(reused?.counts == counts)
        #expect(reused?.countedAt == countedAt)
        #expect(cache.counts(for: large, recipients: 100_000, now: countedAt.addingTimeInterval(5)) == nil)
        #expect(cache.counts(for: small, recipients: 20, now: countedAt.addingTimeInterval(0.01)) == nil)
        #expect(cache.counts(for: UUID(), recipients: 100_000, now: countedAt) == nil)
    }

    @Test("stale entries are forgotten once the cache holds many")
    func forgetting() {
        let cache = BroadcastCountCache()
        let old = Date(timeIntervalSince1970: 1_800_000_000)
        let first = UUID()
        cache.keep(counts, for: first, countedAt: old)
        for _ in 0..<1_000 { cache.keep(counts, for: UUID(), countedAt: old) }
        let later = old.addingTimeInterval(60)
        cache.keep(counts, for: UUID(), countedAt: later)
        #expect(cache.size == 1)
    }
}
