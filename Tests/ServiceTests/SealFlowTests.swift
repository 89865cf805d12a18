import Cryptography
import Delivery
import Foundation
import HTTPClient
import JobContracts
import JobQueue
import Postgres
import Seals
import ServiceRuntime
import TestSupport
import Testing

/// A certificate sealed on its way to the citizen and verified by anyone: the real portal-adapter and dispatcher,
/// the QR read back from the delivered PDF, the public page, "check this PDF", revocation and bad input.
@Suite("Certificate seals across services", .serialized)
struct SealFlowTests {
    static func admin(_ arguments: [String], url: String) throws -> String {
        let process = try ChildProcess("dakiya-admin", arguments: arguments, environment: ["DAKIYA_DATABASE_URL": url])
        #expect(process.waitForExit(timeout: .seconds(20)) == 0, "\(process.outputText)")
        return process.outputText
    }

    static func run(_ tool: String, _ arguments: [String]) throws -> String { try runProgram(tool, arguments).output }

    static func multipart(_ pdf: [UInt8]) -> (body: [UInt8], contentType: String) {
        let boundary = "dakiya-\(UUID().uuidString)"
        let head =
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"pdf\"; filename=\"c.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
        return (
            Array(head.utf8) + pdf + Array("\r\n--\(boundary)--\r\n".utf8), "multipart/form-data; boundary=\(boundary)"
        )
    }

    @Test(
        "a live certificate is stamped with a seal whose QR opens a page saying valid; check-this-PDF knows the delivered bytes; revocation shows at once; forged, cut and foreign input get clear answers"
    )
    func sealedAndVerified() throws {
        let db = try TestDatabase()
        _ = try Self.admin(["department", "add", "REVENUE", "Revenue and Forest Department"], url: db.url)
        _ = try Self.admin(["catalogue", "import", "--sample"], url: db.url)
        func key(_ kind: String, _ department: String = "REVENUE") throws -> String {
            let out = try Self.admin(
                ["key", "create", "--department", department, "--label", kind, "--kind", kind, "--scope", "citizens"],
                url: db.url)
            return try #require(
                out.split(separator: "\n").first { $0.hasPrefix("secret") }?.split(separator: " ").last.map(String.init)
            )
        }
        let live = try key("live"), test = try key("test")
        _ = try Self.admin(["department", "add", "RDD", "Rural Development"], url: db.url)
        let other = try key("live", "RDD")
        let portalPort = freePort(), dispatcherPort = freePort()
        let environment = ["DAKIYA_DATABASE_URL": try db.serviceURL(), "DAKIYA_LOG_LEVEL": "warning"]
        let verifyURL = "http://127.0.0.1:\(portalPort)/v"
        let portal = try ChildProcess(
            "portal-adapter", environment: environment.merging(["DAKIYA_HTTP_PORT": String(portalPort)]) { $1 })
        let dispatcher = try ChildProcess(
            "dispatcher",
            environment: environment.merging([
                "DAKIYA_HTTP_PORT": String(dispatcherPort), "DAKIYA_VERIFY_URL": verifyURL,
            ]) { $1 })
        let client = try HTTPClient()
        let base = "http://127.0.0.1:\(portalPort)"
        #expect(eventually { (try? client.send(HTTPClientRequest(url: base + "/readyz")))?.status == 200 })
        for secret in [live, test] {
            #expect(
                try client.send(
                    .json(
                        "PUT", base + "/v1/citizens/c-1", body: #"{"mobile": "+919812345678", "language": "mr"}"#,
                        headers: [("Authorization", "Bearer \(secret)")])
                ).status == 200)
        }
        let certificate = StampPDF.document(content: "BT /F1 18 Tf 72 760 Td (INCOME CERTIFICATE No. 7731) Tj ET\n")
        let signedPDF = Array(
            "%PDF-1.7\n1 0 obj << /Type /Sig /Filter /Adobe.PPKLite /ByteRange [0 10 20 30] /Contents <00> >> endobj\n%%EOF\n"
                .utf8)
        func send(_ id: String, _ pdf: [UInt8], key: String) throws -> UUID {
            let body =
                #"{"citizen": "c-1", "decision": "approved", "service": "INCOME", "office": "HAVELI", "certificate": {"file_name": "income.pdf", "content_base64": "\#(Data(pdf).base64EncodedString())"}}"#
            let response = try client.send(
                .json(
                    "POST", base + "/v1/applications/\(id)/outcome", body: body,
                    headers: [("Authorization", "Bearer \(key)"), ("Idempotency-Key", id)]))
            #expect(response.status == 202, "\(response.text)")
            struct Accepted: Decodable { var delivery_id: UUID }
            return try JSONDecoder().decode(Accepted.self, from: Data(response.body)).delivery_id
        }
        let sealedID = try send("S-1", certificate, key: live)
        let signedID = try send("S-2", signedPDF, key: live)
        let testID = try send("S-3", certificate, key: test)
        let connection = try db.connect()
        func routed(_ id: UUID) -> Bool {
            (try? connection.query("SELECT count(*) FROM channel_attempts WHERE delivery_id = $1", [id]).first?.decode(
                Int.self, at: 0) ?? 0) ?? 0 > 0
        }
        #expect(
            eventually(timeout: .seconds(20)) { routed(sealedID) && routed(signedID) && routed(testID) },
            "\(dispatcher.outputText)")

        // The delivered certificate is the stamped one; its QR decodes to the seal's URL.
        let delivered = try #require(try Documents.delivered(sealedID, on: connection)).bytes
        #expect(delivered != certificate && SHA256.hash(delivered) != SHA256.hash(certificate))
        let row = try #require(
            try connection.query(
                "SELECT certificate_id, seal, log_index, signed_original, delivered_sha256 FROM certificate_seals WHERE delivery_id = $1",
                [sealedID]
            ).first)
        let certificateID = try row.decode(String.self, at: 0)
        #expect(
            try !row.decode(Bool.self, at: 3) && row.decode(PostgresBytes.self, at: 4).bytes == SHA256.hash(delivered))
        let logged =
            try connection.query(
                "SELECT convert_from(entry, 'UTF8') FROM log_entries WHERE idx = $1", [try row.decode(Int.self, at: 2)]
            ).first?.decode(String.self, at: 0) ?? ""
        #expect(
            logged.contains(#""type":"outcome.accepted""#) && logged.contains(SHA256.hexDigest(certificate)),
            "\(logged)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data(delivered).write(to: directory.appendingPathComponent("c.pdf"))
        _ = try Self.run(
            "/usr/bin/pdftoppm",
            ["-r", "300", "-png", "-f", "1", "-l", "1", directory.path + "/c.pdf", directory.path + "/p"])
        let png = try #require(
            try FileManager.default.contentsOfDirectory(atPath: directory.path).first { $0.hasSuffix(".png") })
        let scanned = try Self.run("/usr/bin/zbarimg", ["--quiet", "--raw", directory.path + "/" + png])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(scanned == verifyURL.uppercased() + "/" + (try row.decode(String.self, at: 1)), "\(scanned)")
        // What a phone does with the QR: open the address as printed (upper case).
        let scannedPath = String(scanned.dropFirst(verifyURL.count))
        let page = try client.send(
            HTTPClientRequest(url: base + "/V" + scannedPath, headers: [("Accept-Language", "en-IN,en;q=0.9")]))
        #expect(
            page.status == 200 && page.text.contains("Genuine and valid") && page.text.contains(certificateID),
            "\(page.text)")
        #expect(page.text.contains("Revenue and Forest Department") && page.text.contains("<html lang=\"en\">"))
        let marathi = try client.send(HTTPClientRequest(url: base + "/V" + scannedPath))
        #expect(marathi.text.contains("खरे आणि वैध प्रमाणपत्र") && marathi.text.contains("<html lang=\"mr\">"))
        let json = try client.send(HTTPClientRequest(url: base + "/V" + scannedPath + "?format=json"))
        #expect(
            json.text.contains(#""state":"valid""#) && json.text.contains(#""certificate_id":"\#(certificateID)""#),
            "\(json.text)")

        // Check this PDF: the delivered bytes are ours; one changed byte, or the department's unsealed original, are not.
        func check(_ pdf: [UInt8]) throws -> String {
            let form = Self.multipart(pdf)
            return try client.send(
                HTTPClientRequest(
                    method: "POST", url: base + "/v/check?format=json",
                    body: .bytes(form.body, contentType: form.contentType))
            ).text
        }
        #expect(try check(delivered).contains(#""state":"valid""#))
        var changed = delivered
        changed[changed.count / 2] ^= 0x01
        #expect(try check(changed).contains(#""state":"not_genuine""#))
        #expect(try check(certificate).contains(#""state":"not_genuine""#))
        // A digitally signed PDF went out unchanged, sealed beside it; the unsealed test delivery was not sealed.
        #expect(try Documents.delivered(signedID, on: connection)?.bytes == signedPDF)
        #expect(try check(signedPDF).contains(#""state":"valid""#))
        #expect(try Documents.delivered(testID, on: connection)?.bytes == certificate)
        #expect(try connection.query("SELECT count(*) FROM certificate_seals").first?.decode(Int.self, at: 0) == 2)

        // The registry names the department's key; the log announced it and recorded each seal.
        let registry = try client.send(HTTPClientRequest(url: base + "/.well-known/dakiya-seal-keys.json")).text
        #expect(registry.contains(#""department":"REVENUE""#) && registry.contains("Revenue and Forest Department"))
        #expect(
            eventually(timeout: .seconds(10)) {
                let types =
                    (try? connection.query("SELECT convert_from(entry, 'UTF8') FROM log_entries").rows.map {
                        try $0.decode(String.self, at: 0)
                    }) ?? []
                return types.filter { $0.contains(#""type":"certificate.sealed""#) }.count == 2
                    && types.contains { $0.contains(#""purpose":"seal""#) && $0.contains(#""type":"key.added""#) }
            })

        // The auditor's tool, offline from the downloaded registry and status list, with the log for the bytes.
        let log = "http://127.0.0.1:\(dispatcherPort)/log"
        let logKey = try client.send(HTTPClientRequest(url: log + "/key")).text.trimmingCharacters(in: .newlines)
        let keysFile = directory.path + "/keys.json", revokedFile = directory.path + "/revoked.json"
        try Data(registry.utf8).write(to: URL(fileURLWithPath: keysFile))
        func statusList() throws {
            try Data(try client.send(HTTPClientRequest(url: base + "/v1/seals/revoked")).body).write(
                to: URL(fileURLWithPath: revokedFile))
        }
        try statusList()
        func audit(_ file: String, withLog: Bool = true) throws -> (Int32?, String) {
            let process = try ChildProcess(
                "dakiya-audit",
                arguments: ["verify", file, "--keys", keysFile, "--revoked", revokedFile]
                    + (withLog ? ["--log", log, "--key", logKey] : []))
            return (process.waitForExit(timeout: .seconds(30)), process.outputText)
        }
        let deliveredFile = directory.path + "/delivered.pdf", signedFile = directory.path + "/signed.pdf"
        let changedFile = directory.path + "/changed.pdf"
        try Data(delivered).write(to: URL(fileURLWithPath: deliveredFile))
        try Data(signedPDF).write(to: URL(fileURLWithPath: signedFile))
        try Data(changed).write(to: URL(fileURLWithPath: changedFile))
        let genuine = try audit(deliveredFile)
        #expect(genuine.0 == 0 && genuine.1.contains("VALID: certificate \(certificateID)"), "\(genuine.1)")
        #expect(
            genuine.1.contains("signed by Revenue and Forest Department")
                && genuine.1.contains("the delivered bytes match"))
        let offline = try audit(deliveredFile, withLog: false)
        #expect(offline.0 == 0 && offline.1.contains("not checked against the log"), "\(offline.1)")
        let altered = try audit(changedFile)
        #expect(altered.0 == 2 && altered.1.contains("NOT GENUINE"), "\(altered.1)")
        let signedCheck = try audit(signedFile)
        #expect(signedCheck.0 == 0 && signedCheck.1.contains("no seal printed"), "\(signedCheck.1)")

        // Revocation: the department's key only, a reason from the list, shown at once and in the status list.
        func revoke(_ reason: String, key: String) throws -> HTTPClientResponse {
            try client.send(
                .json(
                    "POST", base + "/v1/certificates/\(certificateID)/revoke", body: #"{"reason": "\#(reason)"}"#,
                    headers: [("Authorization", "Bearer \(key)")]))
        }
        #expect(try revoke("because", key: live).status == 400)
        let unknownField = try client.send(
            .json(
                "POST", base + "/v1/certificates/\(certificateID)/revoke",
                body: #"{"reason": "superseded", "note": "x"}"#,
                headers: [("Authorization", "Bearer \(live)")]))
        #expect(unknownField.status == 422 && unknownField.text.contains("note"), "\(unknownField.text)")
        #expect(
            try connection.query("SELECT count(*) FROM certificate_seals WHERE revoked_at IS NOT NULL").first?.decode(
                Int.self, at: 0) == 0, "refused requests revoke nothing")
        #expect(try revoke("superseded", key: other).status == 404, "another department's certificate")
        #expect(try revoke("superseded", key: live).status == 200)
        #expect(try revoke("superseded", key: live).status == 404, "once")
        let revoked = try client.send(HTTPClientRequest(url: base + "/V" + scannedPath + "?lang=en"))
        #expect(
            revoked.text.contains("Revoked: no longer valid")
                && revoked.text.contains("replaced by a newer certificate"), "\(revoked.text)")
        #expect(try check(delivered).contains(#""state":"revoked""#))
        #expect(try client.send(HTTPClientRequest(url: base + "/v1/seals/revoked")).text.contains(certificateID))
        try statusList()
        let revokedAudit = try audit(deliveredFile)
        #expect(revokedAudit.0 == 2 && revokedAudit.1.contains("REVOKED"), "\(revokedAudit.1)")

        // A retired key: the department's next certificate gets a new key; seals made before stay valid.
        let keyLine = try #require(
            try Self.admin(["signing-key", "list"], url: db.url).split(separator: "\n").first {
                $0.contains("seal/REVENUE")
            })
        let sealKey = String(keyLine.split(separator: "\t").last ?? "")
        _ = try Self.admin(["signing-key", "retire", sealKey, "rotated"], url: db.url)
        let otherSealID = try send("S-4", certificate, key: live)
        #expect(eventually(timeout: .seconds(20)) { routed(otherSealID) })
        #expect(
            try connection.query("SELECT count(DISTINCT key_id) FROM certificate_seals").first?.decode(Int.self, at: 0)
                == 2)
        let stillValid = try client.send(
            HTTPClientRequest(url: base + "/v/\(try row.decode(String.self, at: 1))?format=json"))
        #expect(stillValid.text.contains(#""state":"revoked""#), "the old seal keeps its own state, not the key's")
        #expect(
            try check(try #require(try Documents.delivered(signedID, on: connection)).bytes).contains(
                #""state":"valid""#),
            "a seal made before its key retired stays valid")
        // A seal made with the retired key afterwards (an insider with the old key) is not genuine.
        let retiredSeed = try #require(
            try connection.query("SELECT seed FROM seal_keys WHERE retired_at IS NOT NULL").first?.decode(
                PostgresBytes.self, at: 0
            ).bytes)
        let late = try Seal(
            key: try Ed25519PrivateKey(rawRepresentation: retiredSeed), logIndex: 3,
            issuedDay: Int(Date().timeIntervalSince1970 / 86_400) + 1, documentType: "INCOME",
            certificateID: "DK-AAAAAAAAAA")
        let lateAnswer = try client.send(HTTPClientRequest(url: base + "/v/\(try late.text())?format=json"))
        #expect(lateAnswer.status == 200 && lateAnswer.text.contains(#""state":"not_genuine""#), "\(lateAnswer.text)")

        // Forged, cut, oversized or foreign input: a clear answer, never a 500.
        let seal = try row.decode(String.self, at: 1)
        var forged = Array(seal)
        forged[forged.count - 3] = forged[forged.count - 3] == "A" ? "B" : "A"
        for text in [
            String(forged), String(seal.dropLast(9)), String(repeating: "A", count: 2000), "abc!",
            String(seal.dropFirst(1)),
        ] {
            let answer = try client.send(HTTPClientRequest(url: base + "/v/\(text)?format=json"))
            #expect(answer.status == 200 && answer.text.contains(#""state":"not_genuine""#), "\(text): \(answer.text)")
        }
        let notPDF = try client.send(
            HTTPClientRequest(
                method: "POST", url: base + "/v/check",
                body: .bytes(Array("hello".utf8), contentType: "application/pdf")))
        #expect(notPDF.status == 422 && notPDF.text.contains("not a PDF"))
        let wrongType = try client.send(
            HTTPClientRequest(
                method: "POST", url: base + "/v/check", body: .bytes(Array("x".utf8), contentType: "text/plain")))
        #expect(wrongType.status == 415)
        let huge = try client.send(
            HTTPClientRequest(
                method: "POST", url: base + "/v/check",
                body: .bytes(
                    Array("%PDF-1.7\n".utf8) + [UInt8](repeating: 0x20, count: 50 << 20), contentType: "application/pdf"
                )))
        #expect(huge.status == 413, "a 50 MB upload: \(huge.status)")
        // A PDF bomb (a small file whose stream inflates to 200 MB) is only hashed, never inflated: not genuine.
        let bombFile = directory.path + "/bomb.pdf", maker = directory.path + "/bomb.py"
        try Data(
            """
            import sys, zlib
            data = zlib.compress(b" " * (200 << 20), 9)
            head = b"%%PDF-1.4\\n1 0 obj << /Length %d /Filter /FlateDecode >>\\nstream\\n" % len(data)
            open(sys.argv[1], "wb").write(head + data + b"\\nendstream endobj\\n%%%%EOF\\n")
            """.utf8
        ).write(to: URL(fileURLWithPath: maker))
        _ = try Self.run("/usr/bin/python3", [maker, bombFile])
        let bombBytes = try #require(FileManager.default.contents(atPath: bombFile).map(Array.init))
        #expect(bombBytes.count < 1 << 20 && bombBytes.starts(with: Array("%PDF-1.4".utf8)))
        #expect(try check(bombBytes).contains(#""state":"not_genuine""#))
        let form = try client.send(HTTPClientRequest(url: base + "/v?lang=te"))
        #expect(
            form.status == 200 && form.text.contains("enctype=\"multipart/form-data\"")
                && form.text.contains("<html lang=\"te\">"))
        for process in [portal, dispatcher] { process.send(SIGTERM) }
        #expect(portal.waitForExit(timeout: .seconds(20)) == 0)
        #expect(dispatcher.waitForExit(timeout: .seconds(20)) == 0)
    }

    @Test(
        "a digitally signed certificate goes out unchanged on every channel with its verification slip beside it: the email's second attachment, a WhatsApp template of its own (once), the inbox's slip link; the slip's QR verifies and names the signed file"
    )
    func signedCertificateTravelsWithItsSlip() throws {
        let db = try TestDatabase()
        _ = try Self.admin(["department", "add", "REVENUE", "Revenue and Forest Department"], url: db.url)
        _ = try Self.admin(["catalogue", "import", "--sample"], url: db.url)
        let created = try Self.admin(
            ["key", "create", "--department", "REVENUE", "--label", "live", "--kind", "live", "--scope", "citizens"],
            url: db.url)
        let secret = try #require(
            created.split(separator: "\n").first { $0.hasPrefix("secret") }?.split(separator: " ").last.map(String.init)
        )
        let smtp = try SMTPSink()
        let stack = try DeliveryServices(db: db, smtp: smtp, common: ["DAKIYA_LOG_LEVEL": "warning"])
        let portalPort = stack.portalPort, whatsappPort = stack.whatsappPort, simulatorPort = stack.simulatorPort
        defer { withExtendedLifetime(stack) {} }  // the services stop when it goes
        let verifyURL = "http://127.0.0.1:\(portalPort)/v"
        let client = try HTTPClient()
        let base = "http://127.0.0.1:\(portalPort)", sim = "http://127.0.0.1:\(simulatorPort)"
        let auth = ("Authorization", "Bearer \(secret)")
        #expect(eventually { (try? client.send(HTTPClientRequest(url: base + "/readyz")))?.status == 200 })
        #expect(
            eventually {
                (try? client.send(HTTPClientRequest(url: "http://127.0.0.1:\(whatsappPort)/readyz")))?.status == 200
            })
        #expect(
            try client.send(
                .json(
                    "PUT", base + "/v1/citizens/c-9",
                    body:
                        #"{"mobile": "+919812345678", "email": "c9@example.in", "language": "mr", "consents": [{"channel": "whatsapp", "granted": true, "source": "portal-profile"}]}"#,
                    headers: [auth])
            ).status == 200)
        let signedPDF = Array(
            "%PDF-1.7\n1 0 obj << /Type /Sig /Filter /Adobe.PPKLite /ByteRange [0 10 20 30] /Contents <00> >> endobj\n%%EOF\n"
                .utf8)
        let accepted = try client.send(
            .json(
                "POST", base + "/v1/applications/SG-1/outcome",
                body:
                    #"{"citizen": "c-9", "decision": "approved", "service": "INCOME", "office": "HAVELI", "certificate": {"file_name": "income-signed.pdf", "content_base64": "\#(Data(signedPDF).base64EncodedString())"}}"#,
                headers: [auth, ("Idempotency-Key", "SG-1")]))
        #expect(accepted.status == 202, "\(accepted.text)")

        // Email: the signed certificate byte for byte, the slip after it, and where to verify in the text.
        var mail: [String: Any] = [:]
        #expect(
            eventually(timeout: .seconds(30)) {
                guard let file = try? smtp.messages().first, let parsed = try? SMTPSink.parse(file) else {
                    return false
                }
                mail = parsed
                return true
            }, "no email arrived")
        let attachments = mail["attachments"] as? [[String: Any]] ?? []
        #expect(attachments.count == 2, "\(attachments.map { $0["filename"] ?? "" })")
        #expect(attachments.first?["sha256"] as? String == SHA256.hexDigest(signedPDF))
        #expect(attachments.first?["filename"] as? String == "income-signed.pdf")
        let connection = try db.connect()
        let seal = try #require(
            try connection.query(
                """
                SELECT s.certificate_id, s.seal, s.verification_url, slip.content, slip.file_name
                FROM certificate_seals s JOIN documents slip ON slip.id = s.slip_document_id
                """
            ).first)
        let certificateID = try seal.decode(String.self, at: 0)
        let sealURL = try seal.decode(String.self, at: 2)
        let slip = try seal.decode(PostgresBytes.self, at: 3).bytes
        #expect(sealURL == verifyURL.uppercased() + "/" + (try seal.decode(String.self, at: 1)))
        #expect(attachments.last?["sha256"] as? String == SHA256.hexDigest(slip))
        #expect(attachments.last?["filename"] as? String == "verification-slip-\(certificateID).pdf")
        let text = mail["text"] as? String ?? "", html = mail["html"] as? String ?? ""
        #expect(text.contains(sealURL) && text.contains("पडताळणी पत्रक"), "\(text)")
        #expect(html.contains("<a href=\"\(sealURL)\">"), "\(html)")
        #expect(StampPDF.slipDigest(in: slip) == SHA256.hexDigest(signedPDF))

        // WhatsApp: the certificate's template, then the slip's template of its own (its body the id and the address).
        struct Sent: Decodable { var body: String }
        func sent() -> [String] {
            (try? JSONDecoder().decode(
                [Sent].self, from: Data(try client.send(HTTPClientRequest(url: sim + "/_sim/messages")).body)))?
                .map(\.body) ?? []
        }
        #expect(
            eventually(timeout: .seconds(30)) { sent().contains { $0.contains("dakiya_verification_slip") } },
            "\(sent())")
        let messages = sent()
        #expect(messages.filter { $0.contains("dakiya_certificate_issued") }.count == 1)
        let slipMessages = messages.filter { $0.contains("dakiya_verification_slip") }
        #expect(slipMessages.count == 1)
        #expect(
            slipMessages.first.map {
                $0.contains(certificateID) && $0.contains(sealURL) && $0.contains("verification-slip-")
            } == true, "\(slipMessages)")
        let problems = try GraphOpenAPI.check(messages, schema: "Message")
        #expect(problems.allSatisfy { $0 == "ok" }, "\(problems)")
        // The slip's media is the slip's bytes.
        struct SlipDocument: Decodable {
            struct Template: Decodable {
                struct Component: Decodable {
                    struct Parameter: Decodable {
                        struct Document: Decodable { var id: String }
                        var document: Document?
                    }
                    var parameters: [Parameter]?
                }
                var components: [Component]
            }
            var template: Template
        }
        let mediaID = try #require(
            try JSONDecoder().decode(SlipDocument.self, from: Data((slipMessages.first ?? "").utf8)).template
                .components.compactMap { $0.parameters?.compactMap(\.document?.id).first }.first)
        let media = try client.send(
            HTTPClientRequest(
                url: sim + "/_sim/media/\(mediaID)/download", headers: [("Authorization", "Bearer dev-token")]))
        #expect(media.status == 200 && media.body == slip, "\(media.status)")
        // Asked again (a retried job), the slip is not sent twice.
        let attemptID = try #require(
            try connection.query("SELECT attempt_id FROM whatsapp_slip_sends").first?.decode(Int64.self, at: 0))
        let again = try JobQueue().enqueue(
            try Jobs.verificationSlip.job(
                ChannelSend(
                    attemptID: attemptID,
                    deliveryID: try connection.query("SELECT delivery_id FROM certificate_seals").first!.decode(
                        UUID.self, at: 0), isTest: false)), on: connection)
        #expect(
            eventually(timeout: .seconds(20)) {
                (try? connection.query("SELECT count(*) FROM jobs WHERE id = $1", [again]).first?.decode(
                    Int.self, at: 0))
                    == 0
            }, "the repeated slip job ran")
        #expect(sent().filter { $0.contains("dakiya_verification_slip") }.count == 1)

        // The inbox: the certificate's link gives the signed bytes, the slip's link the slip; neither opens the other.
        struct Inbox: Decodable {
            struct Item: Decodable {
                struct Link: Decodable { var url: String; var file_name: String }
                struct Seal: Decodable {
                    var certificate_id: String; var verification_url: String?; var verification_slip: Link?
                }
                var certificate: Link?
                var seal: Seal?
            }
            var items: [Item]
        }
        var item: Inbox.Item?
        #expect(
            eventually(timeout: .seconds(20)) {
                item =
                    (try? client.send(HTTPClientRequest(url: base + "/v1/citizens/c-9/inbox", headers: [auth])))
                    .flatMap { try? JSONDecoder().decode(Inbox.self, from: Data($0.body)) }?.items.first
                return item != nil
            })
        #expect(item?.seal?.certificate_id == certificateID && item?.seal?.verification_url == sealURL)
        let certificateLink = try #require(item?.certificate?.url),
            slipLink = try #require(item?.seal?.verification_slip?.url)
        #expect(try client.send(HTTPClientRequest(url: base + certificateLink)).body == signedPDF)
        let slipDownload = try client.send(HTTPClientRequest(url: base + slipLink))
        #expect(slipDownload.status == 200 && slipDownload.body == slip)
        let swapped = slipLink.replacingOccurrences(of: "/verification-slip?", with: "?")
        #expect(
            try client.send(HTTPClientRequest(url: base + swapped)).status == 404,
            "a slip's link is not a certificate's")

        // The slip read as a person would: its QR decodes to the seal's address, which says valid.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("slip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let slipFile = directory.path + "/slip.pdf", signedFile = directory.path + "/signed.pdf"
        try Data(slip).write(to: URL(fileURLWithPath: slipFile))
        try Data(signedPDF).write(to: URL(fileURLWithPath: signedFile))
        _ = try Self.run("/usr/bin/pdftoppm", ["-r", "150", "-png", slipFile, directory.path + "/p"])
        let png = try #require(
            try FileManager.default.contentsOfDirectory(atPath: directory.path).first { $0.hasSuffix(".png") })
        let scanned = try Self.run("/usr/bin/zbarimg", ["--quiet", "--raw", directory.path + "/" + png])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(scanned == sealURL)
        let page = try client.send(
            HTTPClientRequest(url: base + "/V" + scanned.dropFirst(verifyURL.count) + "?format=json"))
        #expect(page.text.contains(#""state":"valid""#) && page.text.contains(certificateID), "\(page.text)")
        let form = Self.multipart(slip)
        let checked = try client.send(
            HTTPClientRequest(
                method: "POST", url: base + "/v/check?format=json",
                body: .bytes(form.body, contentType: form.contentType)))
        #expect(checked.text.contains(#""state":"valid""#), "the slip uploaded is known as ours: \(checked.text)")
        let pdfText = try Self.run("/usr/bin/pdftotext", [slipFile, "-"])
        #expect(
            pdfText.contains(certificateID) && pdfText.contains("Revenue and Forest Department")
                && pdfText.contains(String(SHA256.hexDigest(signedPDF).prefix(32))), "\(pdfText)")

        // The auditor's tool, offline: the signed file with its slip is valid; another file with that slip is not.
        let keysFile = directory.path + "/keys.json", revokedFile = directory.path + "/revoked.json"
        try Data(try client.send(HTTPClientRequest(url: base + "/.well-known/dakiya-seal-keys.json")).body).write(
            to: URL(fileURLWithPath: keysFile))
        try Data(try client.send(HTTPClientRequest(url: base + "/v1/seals/revoked")).body).write(
            to: URL(fileURLWithPath: revokedFile))
        func audit(_ file: String) throws -> (Int32?, String) {
            let process = try ChildProcess(
                "dakiya-audit",
                arguments: ["verify", file, "--keys", keysFile, "--revoked", revokedFile, "--slip", slipFile])
            return (process.waitForExit(timeout: .seconds(30)), process.outputText)
        }
        let valid = try audit(signedFile)
        #expect(
            valid.0 == 0 && valid.1.contains("names exactly this file")
                && valid.1.contains("VALID: certificate \(certificateID)"), "\(valid.1)")
        var other = signedPDF
        other[other.count - 8] ^= 0x01
        try Data(other).write(to: URL(fileURLWithPath: directory.path + "/other.pdf"))
        let refused = try audit(directory.path + "/other.pdf")
        #expect(refused.0 == 2 && refused.1.contains("NOT GENUINE"), "\(refused.1)")
    }

}
