import Cryptography
import Delivery
import Foundation
import HTTPClient
import PDFTools
import Postgres
import Seals
import ServiceRuntime
import TestSupport

/// Sealing: the time to seal one certificate (sign, draw the stamp, overlay it with qpdf) for a 1-page and a
/// 20-page PDF of about 100 KB, and the outcome API's accept rate with such a PDF while the dispatcher seals what
/// is accepted, against the same run with sealing off.
struct SealBench {
    let url: String
    let binaries: URL
    let seconds: Int

    /// A PDF of `pages` pages whose text fills about `bytes` bytes in all (uncompressed content streams).
    static func pdf(pages: Int, bytes: Int) -> [UInt8] {
        var objects = ["<< /Type /Catalog /Pages 2 0 R >>"]
        let kids = (0..<pages).map { "\(4 + 2 * $0) 0 R" }.joined(separator: " ")
        objects.append("<< /Type /Pages /Kids [\(kids)] /Count \(pages) >>")
        objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
        let perPage = bytes / pages
        for page in 0..<pages {
            var content = ""
            var line = 0
            while content.utf8.count < perPage {
                content +=
                    "BT /F1 9 Tf 40 \(800 - (line % 85) * 9) Td (Line \(line) of page \(page + 1): income certificate text) Tj ET\n"
                line += 1
            }
            objects.append(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents \(5 + 2 * page) 0 R >>"
            )
            objects.append("<< /Length \(content.utf8.count) >>\nstream\n\(content)endstream")
        }
        return StampPDF.document(objects: objects)
    }

    func run() throws {
        let key = try Ed25519PrivateKey()
        for (label, pages) in [("1-page", 1), ("20-page", 20)] {
            let original = Self.pdf(pages: pages, bytes: 100 * 1024)
            var samples: [Double] = []
            for index in 0..<200 {
                let started = MonotonicTime.now()
                let seal = try Seal(
                    key: key, logIndex: index, issuedDay: 20_784, documentType: "INCOME",
                    certificateID: "DK-BENCH\(index % 10)")
                let url = try seal.url(base: "https://verify.dakiya.example/v")
                _ = try PDFTools.overlayFirstPage(of: original) { box in
                    try StampPDF.operators(
                        url: url, certificateID: "DK-BENCH", verifyAt: "verify.dakiya.example", width: box.width,
                        height: box.height)
                }
                samples.append(MonotonicTime.now().duration(since: started).seconds * 1000)
            }
            samples.sort()
            // Where the time goes: the stamp alone, and qpdf's overlay alone.
            let stampURL = try Seal(
                key: key, logIndex: 1, issuedDay: 20_784, documentType: "INCOME", certificateID: "DK-BENCH"
            ).url(base: "https://verify.dakiya.example/v")
            var stampTimes: [Double] = [], overlayTimes: [Double] = []
            let stamp = try StampPDF.operators(
                url: stampURL, certificateID: "DK-BENCH", verifyAt: "verify.dakiya.example")
            for _ in 0..<50 {
                var started = MonotonicTime.now()
                _ = try StampPDF.operators(url: stampURL, certificateID: "DK-BENCH", verifyAt: "verify.dakiya.example")
                stampTimes.append(MonotonicTime.now().duration(since: started).seconds * 1000)
                started = MonotonicTime.now()
                _ = try PDFTools.overlayFirstPage(of: original) { _ in stamp }
                overlayTimes.append(MonotonicTime.now().duration(since: started).seconds * 1000)
            }
            stampTimes.sort()
            overlayTimes.sort()
            print(
                String(
                    format:
                        "sealing a %@ certificate of %d KB (sign, stamp, qpdf overlay): p50 %.1f ms, p99 %.1f ms over 200",
                    label, original.count / 1024, samples[100], samples[197]))
            print(
                String(
                    format: "  of which the stamp %.1f ms and qpdf's overlay %.1f ms (medians)", stampTimes[25],
                    overlayTimes[25]))
        }
        // The accept rate with sealing on and off: first with the dispatcher paused (sealing is a job, off the
        // accept path: what the accept itself costs), then with it sealing at the same time on the same cores.
        for running in [false, true] {
            var rates: [Bool: Double] = [:]
            for sealing in [true, false] {
                rates[sealing] = try acceptRate(sealing: sealing, dispatcherRunning: running)
            }
            let on = rates[true] ?? 0, off = rates[false] ?? 0
            print(
                String(
                    format:
                        "outcome API accepts with a 100 KB PDF, %@, sealing on / off: %.0f / %.0f per second = %.2f%@",
                    running
                        ? "the dispatcher sealing on the same 2 cores"
                        : "the dispatcher paused (as the outcome benchmark)",
                    on, off, on / max(off, 1), running ? "" : " (target ≥ 0.90)"))
        }
    }

    func acceptRate(sealing: Bool, dispatcherRunning: Bool) throws -> Double {
        let connection = try Connection(url: url)
        try connection.execute(script: "TRUNCATE jobs, job_history")
        try Departments.upsert(code: "SEAL", name: "Sealing Benchmark", on: connection)
        let key = try APIKeys.create(department: "SEAL", kind: .live, label: "seal-\(sealing)", on: connection).secret
        _ = try Citizens.put(
            portalUserID: "seal-citizen", mobile: nil, email: nil, language: .en, consents: [], on: connection)
        let portalPort = freePort()
        let common = [
            "DAKIYA_DATABASE_URL": url, "DAKIYA_LOG_LEVEL": "error", "DAKIYA_SEALING": sealing ? "true" : "false",
        ]
        let portal = try startExecutable(
            "portal-adapter", in: binaries,
            environment: common.merging(["DAKIYA_HTTP_PORT": String(portalPort), "DAKIYA_HTTP_THREADS": "16"]) { $1 })
        let dispatcher = try startExecutable(
            "dispatcher", in: binaries, environment: common.merging(["DAKIYA_HTTP_PORT": "0"]) { $1 })
        defer {
            for process in [portal, dispatcher] { kill(process.processIdentifier, SIGTERM); process.waitUntilExit() }
        }
        let base = "http://127.0.0.1:\(portalPort)"
        let probe = try HTTPClient()
        for _ in 0..<200 where (try? probe.send(HTTPClientRequest(url: base + "/readyz")))?.status != 200 {
            usleep(50_000)
        }
        if !dispatcherRunning { kill(dispatcher.processIdentifier, SIGSTOP) }
        defer { kill(dispatcher.processIdentifier, SIGCONT) }
        let run = "\(sealing ? "on" : "off")\(dispatcherRunning ? "R" : "P")"
        let pdf = Self.pdf(pages: 1, bytes: 100 * 1024)
        let encoded = Data(pdf).base64EncodedString()
        let deadline = MonotonicTime.now().advanced(by: .seconds(Int64(seconds)))
        let counts = LockedCounter()
        let started = MonotonicTime.now()
        let threads = try (0..<8).map { thread in
            try OwnedThread(name: "seal-\(thread)") {
                guard let client = try? HTTPClient() else { return }
                var index = 0
                while MonotonicTime.now() < deadline {
                    index += 1
                    let application = "SEAL-\(run)-\(thread)-\(index)"
                    let body =
                        #"{"citizen": "seal-citizen", "decision": "approved", "service": "INCOME", "office": "HAVELI", "channels": ["portal"], "certificate": {"file_name": "c.pdf", "content_base64": "\#(encoded)"}}"#
                    let response = try? client.send(
                        .json(
                            "POST", base + "/v1/applications/\(application)/outcome", body: body,
                            headers: [("Authorization", "Bearer \(key)"), ("Idempotency-Key", application)]))
                    if response?.status == 202 { counts.add() }
                }
            }
        }
        for thread in threads { thread.join() }
        let rate = Double(counts.value) / MonotonicTime.now().duration(since: started).seconds
        func sealedCount() throws -> Int {
            try connection.query(
                """
                SELECT count(*) FROM certificate_seals s JOIN deliveries d ON d.id = s.delivery_id
                JOIN applications a ON a.id = d.application_id WHERE a.portal_application_id LIKE $1
                """, ["SEAL-\(run)-%"]
            ).first?.decode(Int.self, at: 0) ?? 0
        }
        let sealed = try sealedCount()
        print(
            String(
                format: "  sealing %@, dispatcher %@: %.0f accepts/s over %d s; %d of them sealed meanwhile",
                sealing ? "on" : "off", dispatcherRunning ? "running" : "paused", rate, seconds, sealed))
        if sealing && dispatcherRunning {
            // The rest, with the portal idle: how fast the dispatcher seals (and routes) a backlog on its own.
            let drainStart = MonotonicTime.now()
            var now = sealed
            while now < counts.value, MonotonicTime.now().duration(since: drainStart) < .seconds(300) {
                usleep(200_000)
                now = try sealedCount()
            }
            let drained = MonotonicTime.now().duration(since: drainStart).seconds
            print(
                String(
                    format:
                        "  the other %d sealed %.1f s after the run: %.0f certificates/s sealed and routed with the portal idle",
                    now - sealed, drained, Double(now - sealed) / max(drained, 0.001)))
        }
        return rate
    }
}
