import Foundation
import ServiceRuntime
import Testing

@Suite("Service runtime")
struct RuntimeTests {
    @Test("settings are validated and name the variable; secrets are not echoed")
    func settings() throws {
        let settings = Settings(environment: [
            "PORT": " 8080 ", "BAD": "x", "FLAG": "yes", "URL": "https://user:pw@h", "WAIT": "1.5",
        ])
        #expect(try settings.int("PORT", default: 1, in: 1...65_535) == 8080)
        #expect(try settings.int("MISSING", default: 7, in: 1...10) == 7)
        #expect(try settings.bool("FLAG", default: false))
        #expect(try settings.seconds("WAIT", default: 1, in: 0...10) == .milliseconds(1500))
        let bad = #expect(throws: SettingError.self) { _ = try settings.int("BAD", default: 1, in: 1...2) }
        #expect(bad?.description == "invalid setting BAD: expected an integer from 1 to 2, got \"x\"")
        let url = #expect(throws: SettingError.self) { _ = try settings.databaseURL("URL") }
        #expect(url?.description.contains("pw") == false)
        #expect(throws: SettingError.self) { _ = try settings.string("MISSING") }
    }

    @Test(
        "a secret from a file (DAKIYA_X_FILE), as compose secrets give it; a value set directly wins; an unreadable or empty file names the setting"
    )
    func secretFiles() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dakiya-secrets-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let key = folder.appendingPathComponent("link-key").path
        try "c2VjcmV0LWtleS1ieXRlcw\n".write(toFile: key, atomically: true, encoding: .utf8)
        let empty = folder.appendingPathComponent("empty").path
        try "\n".write(toFile: empty, atomically: true, encoding: .utf8)

        let read = try Settings.readingFiles(["DAKIYA_LINK_SIGNING_KEY_FILE": key, "OTHER_FILE": "/nonexistent"]).get()
        #expect(read["DAKIYA_LINK_SIGNING_KEY"] == "c2VjcmV0LWtleS1ieXRlcw", "the trailing line break dropped")
        #expect(read["OTHER"] == nil, "only DAKIYA_ settings")
        let direct = try Settings.readingFiles(["DAKIYA_X": "set", "DAKIYA_X_FILE": "/nonexistent"]).get()
        #expect(direct["DAKIYA_X"] == "set")
        guard case .failure(let missing) = Settings.readingFiles(["DAKIYA_Y_FILE": folder.path + "/none"]) else {
            Issue.record("an unreadable file was accepted"); return
        }
        #expect(missing.description == "invalid setting DAKIYA_Y_FILE: cannot read the file \(folder.path)/none")
        guard case .failure(let blank) = Settings.readingFiles(["DAKIYA_Z_FILE": empty]) else {
            Issue.record("an empty file was accepted"); return
        }
        #expect(blank.name == "DAKIYA_Z_FILE")
    }

    @Test("log lines are one JSON object each with dotted keys, and escape what they carry")
    func logging() throws {
        let sink = LogSink.capturing()
        let logger = Logger(service: "dispatcher", sink: sink).with(["delivery.id": "42"])
        logger.info("sent \"it\"\n", ["job.id": "7"])
        logger.debug("hidden")
        #expect(sink.lines.count == 1)
        let object = try JSONSerialization.jsonObject(with: Data(sink.lines[0].utf8)) as? [String: String]
        #expect(object?["msg"] == "sent \"it\"\n")
        #expect(object?["delivery.id"] == "42")
        #expect(object?["job.id"] == "7")
        #expect(object?["service"] == "dispatcher")
        #expect(object?["level"] == "info")
    }

    @Test("metrics render in the Prometheus text format")
    func metrics() {
        let registry = MetricsRegistry()
        registry.counter("jobs_total", help: "Jobs.", labels: ["queue": "email"]).increment(by: 3)
        registry.gauge("up", help: "Up.").set(1)
        let histogram = registry.histogram("latency_seconds", help: "Latency.", buckets: [0.1, 1])
        histogram.observe(0.05)
        histogram.observe(0.5)
        histogram.observe(5)
        let text = registry.exposition()
        #expect(text.contains("# TYPE jobs_total counter\njobs_total{queue=\"email\"} 3\n"))
        #expect(text.contains("up 1\n"))
        #expect(
            text.contains(
                "latency_seconds_bucket{le=\"0.1\"} 1\nlatency_seconds_bucket{le=\"1\"} 2\nlatency_seconds_bucket{le=\"+Inf\"} 3\n"
            ))
        #expect(text.contains("latency_seconds_count 3\n"))
        // Labels sorted; a value's quote, backslash and line break escaped, a plain one as it is; the same labels
        // find the same series.
        registry.counter("odd_total", help: "Odd.", labels: ["path": "a\"b\\c\nd", "kind": "x"]).increment()
        registry.counter("odd_total", help: "Odd.", labels: ["kind": "x", "path": "a\"b\\c\nd"]).increment()
        #expect(registry.exposition().contains("odd_total{kind=\"x\",path=\"a\\\"b\\\\c\\nd\"} 2\n"))
    }

    final class Part: Service, @unchecked Sendable {
        let name: String
        let journal: Journal
        let failsToStart: Bool
        init(_ name: String, _ journal: Journal, failsToStart: Bool = false) {
            self.name = name; self.journal = journal; self.failsToStart = failsToStart
        }
        func start() throws {
            struct StartFailure: Error {}
            if failsToStart { throw StartFailure() }
            journal.add("start \(name)")
        }
        func stop() { journal.add("stop \(name)") }
    }

    final class Journal: @unchecked Sendable {
        private let lock = NSLock()
        private var entries: [String] = []
        func add(_ entry: String) { lock.lock(); entries.append(entry); lock.unlock() }
        var all: [String] { lock.lock(); defer { lock.unlock() }; return entries }
    }

    @Test("a service group starts parts in order and stops them in reverse")
    func serviceGroup() throws {
        let journal = Journal()
        let group = ServiceGroup(
            services: [Part("db", journal), Part("worker", journal), Part("http", journal)],
            logger: Logger(service: "t", sink: .capturing()))
        let runner = try OwnedThread(name: "group") { try? group.run() }
        let deadline = ContinuousClock.now + .seconds(5)
        while journal.all.count < 3 && ContinuousClock.now < deadline { usleep(1000) }
        group.requestStop()
        runner.join()
        #expect(journal.all == ["start db", "start worker", "start http", "stop http", "stop worker", "stop db"])
    }

    @Test("when a part fails to start, the parts already started are stopped")
    func failedStart() {
        let journal = Journal()
        let group = ServiceGroup(
            services: [Part("db", journal), Part("http", journal, failsToStart: true)],
            logger: Logger(service: "t", sink: .capturing()))
        #expect(throws: (any Error).self) { try group.run() }
        #expect(journal.all == ["start db", "stop db"])
    }
}

@Suite("Log redaction")
struct RedactionTests {
    @Test(
        "phone numbers and email addresses never reach a log line; ids, UUIDs and counts do",
        arguments: [
            ("(#131026) Message undeliverable to +919812345678", "(#131026) Message undeliverable to [phone]"),
            ("recipient 9812345678 and 919812345678 and 09812345678", "recipient [phone] and [phone] and [phone]"),
            ("mail to Citizen.Name+x@Example.IN failed", "mail to [email] failed"),
            (
                "delivery 1b9d6bcd-bbfd-4b2d-9b5d-123456789012 attempt 42",
                "delivery 1b9d6bcd-bbfd-4b2d-9b5d-123456789012 attempt 42"
            ),
            ("request a1b2c3d4e5f60718293a4b5c took 12345678 us", "request a1b2c3d4e5f60718293a4b5c took 12345678 us"),
            ("wamid.HBgMOTE5ODEyMzQ1Njc4FQIAERgSMjA3", "wamid.HBgMOTE5ODEyMzQ1Njc4FQIAERgSMjA3"),
            ("user@localhost says hi", "user@localhost says hi"),
        ])
    func redacts(input: String, expected: String) {
        #expect(Redaction.redact(input) == expected)
    }

    @Test("the logger redacts the message and every field")
    func logger() {
        let sink = LogSink.capturing()
        Logger(service: "t", sink: sink).warning(
            "refused for +919812345678", ["error": "to citizen@example.in", "to": "9812345678"])
        let line = sink.lines.joined()
        #expect(!line.contains("9812345678") && !line.contains("citizen@example.in"), "\(line)")
        #expect(line.contains("[phone]") && line.contains("[email]"))
    }
}
