import Cryptography
import Delivery
import Foundation
import HTTPClient
import Postgres
import Texts
import ServiceRuntime
import TestSupport

/// The outcome path through the real services: accepts per second, and accept → SMTP receipt latency.
struct OutcomeBench {
    let url: String
    let binaries: URL
    let seconds: Int
    /// pgbench, for the same-run ceiling of the accepts (nil: none printed).
    var pgbench: String?

    func run() throws {
        let connection = try Connection(url: url)
        try Departments.upsert(code: "BENCH", name: "Benchmark Department", on: connection)
        let key = try APIKeys.create(department: "BENCH", kind: .live, label: "bench", on: connection).secret
        _ = try Citizens.put(
            portalUserID: "bench-citizen", mobile: nil, email: "citizen@example.in", language: .en, consents: [],
            on: connection)
        let sink = try SMTPSink()
        let portalPort = freePort()
        let common = [
            "DAKIYA_DATABASE_URL": url, "DAKIYA_LOG_LEVEL": "error", "DAKIYA_SMTP_URL": sink.url,
            "DAKIYA_SMTP_TLS": "off",
        ]
        let portal = try start(
            "portal-adapter",
            common.merging(["DAKIYA_HTTP_PORT": String(portalPort), "DAKIYA_HTTP_THREADS": "16"]) { $1 })
        let dispatcher = try start("dispatcher", common.merging(["DAKIYA_HTTP_PORT": "0"]) { $1 })
        let email = try start("email-adapter", common.merging(["DAKIYA_HTTP_PORT": "0"]) { $1 })
        defer {
            for process in [portal, dispatcher, email] {
                kill(process.processIdentifier, SIGTERM); process.waitUntilExit()
            }
        }
        let base = "http://127.0.0.1:\(portalPort)"
        let probe = try HTTPClient()
        for _ in 0..<200 where (try? probe.send(HTTPClientRequest(url: base + "/readyz")))?.status != 200 {
            usleep(50_000)
        }

        let pdf = Array("%PDF-1.4\n".utf8) + (0..<(100 * 1024)).map { UInt8(($0 * 7) % 256) }
        // Throughput: only the API and its transaction; the other services are stopped so they do not compete.
        kill(email.processIdentifier, SIGSTOP)
        kill(dispatcher.processIdentifier, SIGSTOP)
        var withoutPDF = 0.0
        for (label, certificate) in [("without a PDF", nil as [UInt8]?), ("with a 100 KB PDF", pdf)] {
            let rate = try accepts(base: base, key: key, certificate: certificate, tag: label.count)
            if certificate == nil { withoutPDF = rate }
            print(
                String(
                    format: "outcome API accepts %@: %.0f/s (8 client threads, 16 server threads; target %@)",
                    label, rate, certificate == nil ? "≥ 2,000/s" : "≥ 300/s"))
        }
        if let pgbench {
            let ceiling = try WhatsAppCeiling(url: url, pgbench: pgbench, seconds: seconds, acceptsOnly: true).run()
            print(
                String(
                    format:
                        "  same-run SQL ceiling of an accept (pgbench, 8 clients: one transaction inserting the message and its job): %.0f/s; ours without a PDF = %.2f of it",
                    ceiling, withoutPDF / max(ceiling, 1)))
        }
        // the backlog from the throughput runs is not part of the latency run
        try connection.execute(script: "DELETE FROM jobs")
        kill(dispatcher.processIdentifier, SIGCONT)
        kill(email.processIdentifier, SIGCONT)
        usleep(500_000)
        try latency(base: base, key: key, sink: sink)
    }

    func start(_ name: String, _ environment: [String: String]) throws -> Process {
        try startExecutable(name, in: binaries, environment: environment)
    }

    func body(application: String, certificate: [UInt8]?) -> String {
        var text = #"{"citizen": "bench-citizen", "decision": "approved", "service": "INCOME", "office": "HAVELI""#
        if let certificate {
            text +=
                #", "certificate": {"file_name": "c.pdf", "content_base64": "\#(Data(certificate).base64EncodedString())"}"#
        }
        return text + "}"
    }

    func accepts(base: String, key: String, certificate: [UInt8]?, tag: Int) throws -> Double {
        let deadline = MonotonicTime.now().advanced(by: .seconds(Int64(seconds)))
        let counts = LockedCounter()
        let failures = LockedCounter()
        let started = MonotonicTime.now()
        let threads = try (0..<8).map { thread in
            try OwnedThread(name: "api-\(thread)") {
                guard let client = try? HTTPClient() else { return }
                var index = 0
                while MonotonicTime.now() < deadline {
                    index += 1
                    let application = "B\(tag)-\(thread)-\(index)"
                    let response = try? client.send(
                        .json(
                            "POST", base + "/v1/applications/\(application)/outcome",
                            body: body(application: application, certificate: certificate),
                            headers: [("Authorization", "Bearer \(key)"), ("Idempotency-Key", application)]))
                    if response?.status == 202 { counts.add() } else { failures.add() }
                }
            }
        }
        for thread in threads { thread.join() }
        if failures.value > 0 { print("  (\(failures.value) requests not accepted)") }
        return Double(counts.value) / MonotonicTime.now().duration(since: started).seconds
    }

    /// 50 outcomes per second for the run time; latency from the 202 to the message landing in the SMTP sink.
    func latency(base: String, key: String, sink: SMTPSink) throws {
        let client = try HTTPClient()
        var acceptedAt: [String: Int64] = [:]
        let total = 50 * seconds
        let start = MonotonicTime.now()
        for index in 0..<total {
            let due = start.advanced(by: .milliseconds(Int64(index * 20)))
            while MonotonicTime.now() < due { usleep(200) }
            let application = "LAT-\(index)"
            let response = try client.send(
                .json(
                    "POST", base + "/v1/applications/\(application)/outcome",
                    body: body(application: application, certificate: nil),
                    headers: [("Authorization", "Bearer \(key)"), ("Idempotency-Key", application)]))
            if response.status == 202 { acceptedAt[application] = Timestamp.nowMicroseconds() * 1000 }
        }
        let deadline = MonotonicTime.now().advanced(by: .seconds(30))
        while try sink.messages().count < acceptedAt.count && MonotonicTime.now() < deadline { usleep(100_000) }
        var samples: [Double] = []
        for file in try sink.messages() {
            guard let received = Int64(file.deletingPathExtension().lastPathComponent),
                let text = try? String(contentsOf: file, encoding: .utf8),
                let range = text.range(of: "Subject: Your application "),
                let application = text[range.upperBound...].split(separator: " ").first.map(String.init),
                let accepted = acceptedAt[application]
            else { continue }
            samples.append(Double(received - accepted) / 1_000_000)
        }
        samples.sort()
        func percentile(_ p: Double) -> Double {
            samples.isEmpty ? .nan : samples[min(samples.count - 1, Int(Double(samples.count) * p))]
        }
        print(
            String(
                format:
                    "accept → SMTP receipt at a steady 50/s (%d of %d received): p50 %.1f ms, p99 %.1f ms, max %.1f ms (target p99 ≤ 250 ms)",
                samples.count, acceptedAt.count, percentile(0.5), percentile(0.99), samples.last ?? .nan))
    }
}
