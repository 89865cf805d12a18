import Delivery
import Dispatcher
import Foundation
import HTTPServer
import JobQueue
import Postgres
import ServiceRuntime
import Synchronization
import Testing
import TestSupport
@testable import WhatsAppAdapter
@testable import WhatsAppCloudSimulator

@Suite("WhatsApp pacing", .serialized)
struct PacingTests {
    final class Clock: Sendable { let seconds = Mutex<Double>(100) }

    @Test("a token bucket gives its burst, then one token per 1/rate seconds, and can be drained")
    func bucket() {
        let clock = Clock()
        let bucket = TokenBucket(rate: 10, capacity: 2, now: { clock.seconds.withLock { $0 } })
        #expect(bucket.take() == nil)
        #expect(bucket.take() == nil)
        #expect(bucket.take() == .milliseconds(100))
        clock.seconds.withLock { $0 += 0.1 }
        #expect(bucket.take() == nil)
        bucket.drain(seconds: 2)
        clock.seconds.withLock { $0 += 1 }
        #expect(bucket.take() != nil, "still paying back the debt after one second")
        clock.seconds.withLock { $0 += 1.2 }
        #expect(bucket.take() == nil)
    }

    @Test("2,000 messages from 8 threads against a simulator enforcing 80 msg/s: no 130429, about 25 seconds")
    func throughputRespected() throws {
        let fixture = try WhatsAppFixture(withPDF: false, mps: 80)
        var settings = fixture.sender().settings
        settings.messagesPerSecond = 80
        let sender = WhatsAppSender(
            pool: fixture.db.pool(), queue: JobQueue(), settings: settings,
            logger: Logger(service: "t", sink: .capturing()),
            metrics: MetricsRegistry())
        let recipients = (0..<2000).map { "+9198100\(String(format: "%05d", $0))" }
        for recipient in recipients { fixture.simulator.recordInbound(from: recipient) }
        let started = ContinuousClock.now
        let failures = try Self.send(to: recipients, through: [sender], threadsEach: 8)
        let elapsed = ContinuousClock.now - started
        #expect(failures.isEmpty)
        #expect(fixture.simulator.acceptedMessages.count == 2000)
        #expect(fixture.simulator.rateLimited(130429) == 0, "never over Meta's throughput")
        // 2,000 at 80 msg/s after a burst of 8: 24.9 s at the limit.
        #expect(elapsed >= .seconds(24) && elapsed < .seconds(32), "paced to the limit, not far below it: \(elapsed)")
    }

    @Test(
        "three adapter instances sharing one number at 80 msg/s (each its own process state, one database): together at the number's rate, no 130429"
    )
    func throughputSharedByInstances() throws {
        let fixture = try WhatsAppFixture(withPDF: false, mps: 80)
        var settings = fixture.sender().settings
        settings.messagesPerSecond = 80
        // Three senders with nothing in memory in common, as three processes: their own pools and pacers.
        let senders = (0..<3).map { index in
            WhatsAppSender(
                pool: fixture.db.pool(), queue: JobQueue(), settings: settings,
                logger: Logger(service: "instance-\(index)", sink: .capturing()), metrics: MetricsRegistry())
        }
        let recipients = (0..<1200).map { "+9198200\(String(format: "%05d", $0))" }
        for recipient in recipients { fixture.simulator.recordInbound(from: recipient) }
        let started = ContinuousClock.now
        let failures = try Self.send(to: recipients, through: senders, threadsEach: 4)
        let elapsed = ContinuousClock.now - started
        #expect(failures.isEmpty)
        #expect(fixture.simulator.acceptedMessages.count == 1200)
        #expect(fixture.simulator.rateLimited(130429) == 0, "the three together never over the number's throughput")
        // 1,200 at 80 msg/s after a burst of 8: 14.9 s; each instance at the full rate would have taken 5 s.
        #expect(elapsed >= .seconds(14) && elapsed < .seconds(20), "the number's rate, shared: \(elapsed)")
        let budget = try fixture.db.connect().query(
            "SELECT count(*) FROM whatsapp_sender_budgets WHERE phone_number_id = '100000000000001'"
        ).first?.decode(Int.self, at: 0)
        #expect(budget == 1, "one bucket for the number, in the database")
        // Blocks, not a call per message; and a waiting instance does not ask again before a block can be there.
        usleep(700_000)  // the sessions report their counts at most every 0.5 s
        let takes =
            try fixture.db.connect().query(
                "SELECT n_tup_upd + n_tup_ins FROM pg_stat_user_tables WHERE relname = 'whatsapp_sender_budgets'"
            ).first?.decode(Int.self, at: 0) ?? 0
        #expect(takes > 0 && takes < 1200, "\(takes) database calls for 1,200 messages")
    }

    /// Sends a text to each recipient through `senders` (`threadsEach` threads per sender), each message until it is
    /// accepted (a snooze is tried again at once, as the job would be); returns the failures.
    static func send(to recipients: [String], through senders: [WhatsAppSender], threadsEach: Int) throws -> [String] {
        let failures = Mutex<[String]>([])
        let next = Mutex(0)
        let threads = try (0..<(senders.count * threadsEach)).map { index in
            let sender = senders[index % senders.count]
            return try OwnedThread(name: "send-\(index)") {
                while true {
                    let position = next.withLock { value -> Int in
                        defer { value += 1 }; return value
                    }
                    guard position < recipients.count else { return }
                    let payload = PostgresJSON(text: #"{"to": "\#(recipients[position])", "text": "status update"}"#)
                    var attempt: Int16 = 1
                    while true {
                        do {
                            try sender.reply(
                                ClaimedJob(
                                    id: Int64(position), queue: "whatsapp", kind: "conversation.reply",
                                    attempt: attempt, maxAttempts: 20, payload: payload))
                            break
                        } catch let error as JobError {
                            if case .snooze = error.kind { attempt += 0; continue }  // put off, not failed: try again
                            failures.withLock { $0.append(error.description) }
                            break
                        } catch {
                            failures.withLock { $0.append(String(describing: error)) }
                            break
                        }
                    }
                }
            }
        }
        for thread in threads { thread.join() }
        return failures.withLock { $0 }
    }

    @Test(
        "several outcomes for one citizen keep to the pair limit, sent by one adapter instance or by two in turn (the buckets are the database's): a small burst, then spaced; the simulator never answers 131056",
        arguments: [1, 2])
    func pairLimitRespected(instances: Int) throws {
        let fixture = try WhatsAppFixture(withPDF: false) {
            $0.pairBurst = 3; $0.pairInterval = 0.5
        }
        let connection = try fixture.db.connect()
        for _ in 0..<4 {
            let id = UUID()
            try connection.query(
                """
                INSERT INTO deliveries (id, application_id, api_key_id, is_test, decision, language, requested_channels)
                SELECT $1, application_id, api_key_id, is_test, decision, language, requested_channels FROM deliveries LIMIT 1
                """, [id])
            try DeliveryRouter.route(deliveryID: id, queue: JobQueue(), on: connection)
        }
        var settings = fixture.sender().settings
        settings.pairBurst = 3
        settings.pairInterval = 0.5
        // Each instance with its own pool and pacers, as a process of its own.
        let senders = (0..<instances).map { _ in
            WhatsAppSender(
                pool: fixture.db.pool(), queue: JobQueue(), settings: settings,
                logger: Logger(service: "t", sink: .capturing()),
                metrics: MetricsRegistry())
        }
        let jobs = try connection.query(
            "SELECT id, payload FROM jobs WHERE kind = 'channel.send' AND queue = 'whatsapp' ORDER BY id"
        ).rows.map {
            ClaimedJob(
                id: try $0.decode(Int64.self, at: 0), queue: "whatsapp", kind: "channel.send", attempt: 1,
                maxAttempts: 20, payload: try $0.decode(PostgresJSON.self, at: 1))
        }
        #expect(jobs.count == 5)
        let started = ContinuousClock.now
        var snoozes = 0
        for (index, job) in jobs.enumerated() {
            while true {
                do {
                    try senders[index % instances].handle(job)
                    break
                } catch let error as JobError {
                    guard case .snooze(let wait) = error.kind else { Issue.record("\(error)"); break }
                    snoozes += 1
                    Thread.sleep(
                        forTimeInterval: Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18)
                }
            }
        }
        #expect(fixture.simulator.acceptedMessages.count == 5)
        #expect(snoozes >= 2, "the fourth and fifth waited for the pair bucket")
        #expect(ContinuousClock.now - started >= .milliseconds(900), "two messages after the burst, 0.5 s apart")
        #expect(fixture.simulator.rateLimited(131056) == 0, "the adapter waited; Meta never had to refuse")
    }
}
