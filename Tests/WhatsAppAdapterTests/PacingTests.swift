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

    @Test("150 messages from 8 threads against a simulator enforcing 50 msg/s: no 130429, about three seconds")
    func throughputRespected() throws {
        let fixture = try WhatsAppFixture(withPDF: false, mps: 50)
        var settings = fixture.sender().settings
        settings.messagesPerSecond = 50
        let sender = WhatsAppSender(pool: fixture.db.pool(), queue: JobQueue(), settings: settings, logger: Logger(service: "t", sink: .capturing()),
                                    metrics: MetricsRegistry())
        let recipients = (0..<150).map { "+9198100\(String(format: "%05d", $0))" }
        for recipient in recipients { fixture.simulator.recordInbound(from: recipient) }
        let failures = Mutex<[String]>([])
        let next = Mutex(0)
        let started = ContinuousClock.now
        let threads = (0..<8).map { index in
            OwnedThread(name: "send-\(index)") {
                while true {
                    let position = next.withLock { value -> Int in defer { value += 1 }; return value }
                    guard position < recipients.count else { return }
                    let payload = PostgresJSON(text: #"{"to": "\#(recipients[position])", "text": "status update"}"#)
                    var attempt: Int16 = 1
                    while true {
                        do {
                            try sender.reply(ClaimedJob(id: Int64(position), queue: "whatsapp", kind: "conversation.reply", attempt: attempt, maxAttempts: 20, payload: payload))
                            break
                        } catch let error as JobError {
                            if case .snooze = error.kind { attempt += 0; continue }   // put off, not failed: try again
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
        let elapsed = ContinuousClock.now - started
        #expect(failures.withLock { $0 }.isEmpty)
        #expect(fixture.simulator.acceptedMessages.count == 150)
        #expect(elapsed >= .milliseconds(2700) && elapsed < .seconds(8), "paced to the limit, not far below it: \(elapsed)")
    }
}
