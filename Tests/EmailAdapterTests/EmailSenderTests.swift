import Cryptography
import Delivery
import Dispatcher
@testable import EmailAdapter
import Email
import Foundation
import HTTPClient
import JobQueue
import Postgres
import Texts
import ServiceRuntime
import Testing
import TestSupport

/// One delivery ready for the email adapter, against a real SMTP server.
final class EmailFixture: @unchecked Sendable {
    let db: TestDatabase
    let sink: SMTPSink
    let logs = LogSink.capturing()
    let sender: EmailSender
    let metrics = MetricsRegistry()
    var deliveryID = UUID()

    static let pdf = Array("%PDF-1.4\n".utf8) + (0..<40_000).map { UInt8(($0 * 31) % 256) } + Array("\n%%EOF\n".utf8)

    init(
        email: String = "citizen@example.in", language: Language = .mr, decision: String = "approved",
        reasons: [String] = [],
        withPDF: Bool = true, keyKind: APIKey.Kind = .live, testURL: String? = nil, sink: SMTPSink? = nil
    ) throws {
        db = try TestDatabase()
        self.sink = try sink ?? SMTPSink()
        let connection = try db.connect()
        try Departments.upsert(code: "REV", name: "महसूल व वन विभाग", on: connection)
        try connection.query(
            "UPDATE departments SET email_from = 'rev@mahaonline.example', email_reply_to = 'help@mahaonline.example'")
        let key = try APIKeys.create(department: "REV", kind: keyKind, label: "t", on: connection).key
        _ = try Citizens.put(
            portalUserID: "u1", mobile: nil, email: email, language: language, consents: [], on: connection)
        try connection.query(
            "INSERT INTO applications (portal_application_id, department, service_code, office_code, citizen_id) SELECT 'MH-INC-42', 'REV', 'उत्पन्न प्रमाणपत्र', 'तहसील हवेली', id FROM citizens"
        )
        var documentID: Int64?
        if withPDF {
            documentID = try connection.query(
                "INSERT INTO documents (sha256, media_type, file_name, size, content) VALUES ($1, 'application/pdf', 'उत्पन्न-प्रमाणपत्र.pdf', $2, $3) RETURNING id",
                [PostgresBytes(SHA256.hash(Self.pdf)), Self.pdf.count, PostgresBytes(Self.pdf)]
            ).first?.decode(Int64.self, at: 0)
        }
        try connection.query(
            """
            INSERT INTO deliveries (id, application_id, api_key_id, is_test, decision, reasons, language, document_id)
            SELECT $1, id, $2, $3, $4, $5::text[], $6, $7 FROM applications
            """, [deliveryID, key.id, keyKind == .test, decision, reasons, language.rawValue, documentID])
        try DeliveryRouter.route(deliveryID: deliveryID, queue: JobQueue(), on: connection)
        let settings = EmailSettings(
            smtp: SMTPConfiguration(url: self.sink.url, tlsMode: .off, timeout: .seconds(5)),
            testSMTP: testURL.map { SMTPConfiguration(url: $0, tlsMode: .off, timeout: .seconds(5)) },
            defaultFrom: "no-reply@dakiya.local",
            appealURL: "https://aaplesarkar.example/appeal?application={application_id}")
        sender = EmailSender(
            pool: db.pool(), queue: JobQueue(), settings: settings,
            logger: Logger(service: "email-adapter", sink: logs),
            metrics: metrics)
    }

    /// The email job the dispatcher enqueued, as a worker would claim it.
    func job(attempt: Int16 = 1, maxAttempts: Int16 = 20) throws -> ClaimedJob {
        let row = try #require(
            try db.connect().query("SELECT id, payload FROM jobs WHERE queue = 'email' AND kind = 'channel.send'").first
        )
        return ClaimedJob(
            id: try row.decode(Int64.self, at: 0), queue: "email", kind: "channel.send", attempt: attempt,
            maxAttempts: maxAttempts,
            payload: try row.decode(PostgresJSON.self, at: 1))
    }

    func attempt() throws -> (state: String, failureKind: String?, code: String?, provider: String?) {
        let row = try #require(
            try db.connect().query(
                "SELECT state, failure_kind, error_code, provider_message_id FROM channel_attempts WHERE channel = 'email'"
            ).first)
        return (
            try row.decode(String.self, at: 0), try row.decode(String?.self, at: 1),
            try row.decode(String?.self, at: 2), try row.decode(String?.self, at: 3)
        )
    }

    func settledJobs() throws -> Int {
        try db.connect().query("SELECT count(*) FROM jobs WHERE queue = 'dispatcher' AND kind = 'attempt.moved'")
            .first!.decode(Int.self, at: 0)
    }
}

@Suite("Email adapter", .serialized)
struct EmailSenderTests {
    @Test(
        "a certificate reaches the SMTP server: no MIME defects, identical PDF bytes, the Marathi subject and file name decode exactly"
    )
    func certificateEmail() throws {
        let fixture = try EmailFixture()
        try fixture.sender.handle(try fixture.job())
        let messages = try fixture.sink.messages()
        #expect(messages.count == 1)
        let mail = try SMTPSink.parse(try #require(messages.first))
        #expect((mail["defects"] as? [String]) == [])
        #expect(mail["bare_lf"] as? Bool == false, "every line ends in CRLF")
        #expect(mail["subject"] as? String == "अर्ज MH-INC-42 साठी तुमचे प्रमाणपत्र तयार आहे")
        #expect(
            mail["structure"] as? [String] == [
                "multipart/mixed", "multipart/alternative", "text/plain", "text/html", "application/pdf",
            ])
        let attachment = try #require(mail["attachment"] as? [String: Any])
        #expect(attachment["filename"] as? String == "उत्पन्न-प्रमाणपत्र.pdf")
        #expect(attachment["sha256"] as? String == SHA256.hexDigest(EmailFixture.pdf))
        #expect(mail["from"] as? String == "महसूल व वन विभाग <rev@mahaonline.example>")
        #expect(mail["reply_to"] as? String == "help@mahaonline.example")
        #expect((mail["text"] as? String)?.contains("तहसील हवेली") == true)
        let messageID = try #require(mail["message_id"] as? String)
        let attempt = try fixture.attempt()
        #expect(attempt.state == "sent")
        #expect("<\(attempt.provider ?? "")>" == messageID, "the Message-ID is kept as the provider id")
        #expect(try fixture.settledJobs() == 1)
    }

    @Test("a rejection carries the reasons and the appeal link, escaped in HTML")
    func rejectionEmail() throws {
        let fixture = try EmailFixture(
            language: .en, decision: "rejected", reasons: ["Income proof <missing>", "Address mismatch"], withPDF: false
        )
        try fixture.sender.handle(try fixture.job())
        let mail = try SMTPSink.parse(try #require(try fixture.sink.messages().first))
        #expect(mail["subject"] as? String == "Decision on your application MH-INC-42: rejected")
        #expect(mail["structure"] as? [String] == ["multipart/alternative", "text/plain", "text/html"])
        let text = try #require(mail["text"] as? String).replacingOccurrences(of: "\r\n", with: "\n")
        #expect(text.contains("- Income proof <missing>\n- Address mismatch"))
        #expect(text.contains("https://aaplesarkar.example/appeal?application=MH-INC-42"))
        let html = try #require(mail["html"] as? String)
        #expect(html.contains("<li>Income proof &lt;missing&gt;</li>"))
        #expect(html.contains("<a href=\"https://aaplesarkar.example/appeal?application=MH-INC-42\">"))
    }

    @Test("running the same job again sends nothing new")
    func noDoubleSend() throws {
        let fixture = try EmailFixture()
        let job = try fixture.job()
        try fixture.sender.handle(job)
        try fixture.sender.handle(job)
        #expect(try fixture.sink.messages().count == 1)
    }

    @Test("SMTP 550 fails the attempt for good, and the dispatcher then marks the delivery as needing attention")
    func permanentFailure() throws {
        let fixture = try EmailFixture(email: "reject-me@example.in")
        try fixture.sender.handle(try fixture.job())
        let attempt = try fixture.attempt()
        #expect(attempt.state == "failed")
        #expect(attempt.failureKind == "permanent")
        #expect(attempt.code == "smtp_550")
        #expect(
            fixture.metrics.exposition().contains(
                #"dakiya_channel_outcomes_total{channel="email",error_class="smtp_permanent",outcome="failed"} 1"#))
        #expect(try fixture.sink.messages().isEmpty)
        #expect(try fixture.settledJobs() == 1)
        let connection = try fixture.db.connect()
        let attemptID = try connection.query("SELECT id FROM channel_attempts WHERE channel = 'email'").first!.decode(
            Int64.self, at: 0)
        #expect(
            try DeliveryRouter.reconcile(attemptID: attemptID, queue: JobQueue(), on: connection) == "needs_attention")
    }

    @Test("SMTP 451 and a server that is down are retryable; the email goes out once the server is back")
    func temporaryFailures() throws {
        let tempfail = try EmailFixture(email: "tempfail@example.in")
        let refused = #expect(throws: JobError.self) { try tempfail.sender.handle(try tempfail.job()) }
        #expect(refused?.kind == .retryable)
        #expect(refused?.code == "smtp_451")
        #expect(try tempfail.attempt().state == "sending")

        let fixture = try EmailFixture()
        fixture.sink.stop()
        let down = #expect(throws: JobError.self) { try fixture.sender.handle(try fixture.job()) }
        #expect(down?.kind == .retryable)
        #expect(try fixture.attempt().state == "sending")
        try fixture.sink.start()
        try fixture.sender.handle(try fixture.job(attempt: 2))
        #expect(try fixture.sink.messages().count == 1)
        #expect(try fixture.attempt().state == "sent")
        // By channel and error class: the 451 and the server down were each a retry, then one accepted.
        #expect(
            tempfail.metrics.exposition().contains(
                #"dakiya_channel_outcomes_total{channel="email",error_class="smtp_temporary",outcome="retried"} 1"#))
        let text = fixture.metrics.exposition()
        #expect(
            text.contains(
                #"dakiya_channel_outcomes_total{channel="email",error_class="smtp_temporary",outcome="retried"} 1"#),
            "\(text)")
        #expect(
            text.contains(#"dakiya_channel_outcomes_total{channel="email",error_class="none",outcome="accepted"} 1"#))
    }

    @Test("a temporary failure on the last attempt records the attempt as failed, so the dispatcher can act")
    func lastAttempt() throws {
        let fixture = try EmailFixture(email: "tempfail@example.in")
        try fixture.sender.handle(try fixture.job(attempt: 20, maxAttempts: 20))
        #expect(try fixture.attempt().state == "failed")
        #expect(try fixture.attempt().failureKind == "temporary")
    }

    @Test("deliveries made with a test key never reach the real SMTP server")
    func testKeys() throws {
        let fixture = try EmailFixture(keyKind: .test)
        try fixture.sender.handle(try fixture.job())
        #expect(try fixture.sink.messages().isEmpty)
        #expect(try fixture.attempt().provider?.hasPrefix("test-sink:") == true)
        let testSink = try SMTPSink()
        let routed = try EmailFixture(keyKind: .test, testURL: testSink.url)
        try routed.sender.handle(try routed.job())
        #expect(try routed.sink.messages().isEmpty)
        #expect(try testSink.messages().count == 1)
    }

    @Test("a missing translation falls back to English and is logged once")
    func translationFallback() throws {
        let fixture = try EmailFixture(language: .te, withPDF: false)
        let connection = try fixture.db.connect()
        try connection.query("DELETE FROM message_templates WHERE language = 'te' AND kind = 'approved'")
        let store = TemplateStore(logger: Logger(service: "t", sink: fixture.logs))
        let values = TemplateValues(
            applicationID: "A", service: "S", office: "O", department: "D", reasons: [], appealURL: "u")
        for _ in 0..<3 {
            let rendered = try store.render(
                kind: "approved", channel: "email", language: "te", department: "REV", values: values, on: connection)
            #expect(rendered.language == "en")
            #expect(rendered.subject == "Your application A has been approved")
        }
        #expect(fixture.logs.lines.filter { $0.contains("template translation missing") }.count == 1)
        let telugu = try store.render(
            kind: "rejected", channel: "email", language: "te", department: "REV", values: values, on: connection)
        #expect(telugu.language == "te")
        // A department's own template wins over the default.
        try connection.query(
            "INSERT INTO message_templates (department, kind, channel, language, subject, body_text) VALUES ('REV', 'rejected', 'email', 'te', 'REV {{application_id}}', 'x')"
        )
        #expect(
            try store.render(
                kind: "rejected", channel: "email", language: "te", department: "REV", values: values, on: connection
            ).subject == "REV A")
    }
}

@Suite("MIME composition")
struct MailComposerTests {
    @Test("long non-ASCII subjects fold into encoded-words that never split a character")
    func encodedWords() {
        let subject = String(repeating: "प्रमाणपत्र ", count: 12)
        let header = MailComposer.encodedWords(subject)
        let words = header.components(separatedBy: "\r\n ")
        #expect(words.count > 1)
        #expect(words.allSatisfy { $0.count <= 75 && $0.hasPrefix("=?UTF-8?B?") && $0.hasSuffix("?=") })
        let decoded = words.map { word -> String in
            let payload = String(word.dropFirst(10).dropLast(2))
            return String(decoding: Data(base64Encoded: payload) ?? Data(), as: UTF8.self)
        }.joined()
        #expect(decoded == subject)
        #expect(MailComposer.encodedWords("Plain ASCII subject") == "Plain ASCII subject")
    }

    @Test("an ASCII stand-in file name is readable")
    func asciiFileNames() {
        #expect(MailComposer.asciiFileName("उत्पन्न-प्रमाणपत्र.pdf") == "document.pdf")
        #expect(MailComposer.asciiFileName("income-certificate.pdf") == "income-certificate.pdf")
        #expect(MailComposer.asciiFileName("प्रमाणपत्र 2026.pdf") == "_ 2026.pdf")
    }
}

@Suite("SMTP transport security")
struct SMTPSecurityTests {
    /// A self-signed certificate for 127.0.0.1, made with the openssl tool.
    static func certificate() throws -> (certificate: String, key: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "dakiya-smtp-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let certificate = folder.appendingPathComponent("cert.pem").path,
            key = folder.appendingPathComponent("key.pem").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", certificate,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return (certificate, key)
    }

    static let message = MailComposer.compose(
        MailMessage(
            from: .init("a@example.in"), to: .init("b@example.in"), subject: "TLS", text: "t", html: "<p>t</p>",
            messageID: "tls-test@dakiya.local"))

    @Test("STARTTLS required and AUTH: the message goes through with the CA and the right password")
    func startTLSAndAuth() throws {
        let tls = try Self.certificate()
        let sink = try SMTPSink(tls: tls, credentials: ("dakiya", "s3cret"))
        let client = try SMTPClient(
            configuration: SMTPConfiguration(
                url: sink.url, tlsMode: .required, username: "dakiya", password: "s3cret",
                caFile: tls.certificate, timeout: .seconds(10)))
        try client.send(from: "a@example.in", to: ["b@example.in"], message: Self.message)
        #expect(try sink.messages().count == 1)
        let wrongPassword = try SMTPClient(
            configuration: SMTPConfiguration(
                url: sink.url, tlsMode: .required, username: "dakiya", password: "nope",
                caFile: tls.certificate, timeout: .seconds(2)))
        // aiosmtpd answers a wrong password by leaving the client waiting after its 334 (a real server sends 535,
        // which maps to .configuration); either way nothing is delivered and the send fails.
        #expect(throws: SMTPError.self) {
            try wrongPassword.send(from: "a@example.in", to: ["b@example.in"], message: Self.message)
        }
        let untrusted = try SMTPClient(
            configuration: SMTPConfiguration(
                url: sink.url, tlsMode: .required, username: "dakiya", password: "s3cret", timeout: .seconds(10)))
        let unverified = #expect(throws: SMTPError.self) {
            try untrusted.send(from: "a@example.in", to: ["b@example.in"], message: Self.message)
        }
        #expect(unverified?.kind == .configuration, "an unknown CA is a setting to fix, not a message to drop")
        #expect(try sink.messages().count == 1)
    }

    @Test("with STARTTLS required, a server that cannot upgrade gets nothing in clear text")
    func requiredRefusesPlainServers() throws {
        let plain = try SMTPSink()
        let client = try SMTPClient(
            configuration: SMTPConfiguration(url: plain.url, tlsMode: .required, timeout: .seconds(10)))
        let error = #expect(throws: SMTPError.self) {
            try client.send(from: "a@example.in", to: ["b@example.in"], message: Self.message)
        }
        #expect(error?.kind == .configuration)
        #expect(try plain.messages().isEmpty)
        let opportunistic = try SMTPClient(
            configuration: SMTPConfiguration(url: plain.url, tlsMode: .opportunistic, timeout: .seconds(10)))
        try opportunistic.send(from: "a@example.in", to: ["b@example.in"], message: Self.message)
        #expect(try plain.messages().count == 1)
    }
}
