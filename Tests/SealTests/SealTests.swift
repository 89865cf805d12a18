import Cryptography
import Foundation
import PDFTools
import QRCode
import Seals
import TestSupport
import Testing

@Suite("Seals")
struct SealTests {
    static let base = "https://verify.dakiya.maharashtra.gov.in/v"

    @Test("base32 is RFC 4648's (its test vectors), upper case without padding; other text is refused")
    func base32() {
        let vectors = [
            "": "", "f": "MY", "fo": "MZXQ", "foo": "MZXW6", "foob": "MZXW6YQ", "fooba": "MZXW6YTB",
            "foobar": "MZXW6YTBOI",
        ]
        for (plain, encoded) in vectors {
            #expect(Base32.encode(Array(plain.utf8)) == encoded)
            #expect(Base32.decode(encoded) == Array(plain.utf8))
            #expect(Base32.decode(encoded.lowercased()) == Array(plain.utf8))
        }
        for bad in ["MZXW6YTBOI=", "MZXW6YTBO1", "MY8", "MZ"] { #expect(Base32.decode(bad) == nil, "\(bad)") }
    }

    @Test("a seal signs its fields, reads back, verifies only with its key, and any changed byte fails")
    func signAndVerify() throws {
        let key = try Ed25519PrivateKey()
        let publicKey = try key.publicKey().rawRepresentation
        let seal = try Seal(
            key: key, logIndex: 123_456_789, issuedDay: 20_784, documentType: "INCOME", certificateID: "DK-7Q2M4XK9")
        let text = try seal.text()
        let read = try Seal(text: text)
        #expect(read == seal && read.isSigned(by: publicKey))
        #expect(read.issuedOn == "2026-11-27" && read.keyID == Seal.keyID(publicKey: publicKey))
        #expect(!read.isSigned(by: try Ed25519PrivateKey().publicKey().rawRepresentation))
        let bytes = try seal.bytes()
        for position in [0, 3, 8, 13, 20, bytes.count - 1] {
            var changed = bytes
            changed[position] ^= 0x01
            let forged = try? Seal(bytes: changed)
            #expect(forged?.isSigned(by: publicKey) != true, "byte \(position) changed")
        }
        #expect(throws: Seal.Malformed.self) { try Seal(bytes: Array(bytes.dropLast())) }
        #expect(throws: Seal.Malformed.self) { try Seal(bytes: bytes + [0]) }
        #expect(throws: Seal.Malformed.self) { try Seal(text: String(repeating: "A", count: 500)) }
        #expect(throws: Seal.Malformed.self) { try Seal(text: "not base32!") }
        #expect(throws: Seal.Malformed.self) {
            try Seal(key: key, logIndex: 1, issuedDay: 1, documentType: "income", certificateID: "DK-1")
        }
        #expect(throws: Seal.Malformed.self) {
            try Seal(key: key, logIndex: -1, issuedDay: 1, documentType: "INCOME", certificateID: "DK-1")
        }
    }

    @Test("a real seal's QR is in the alphanumeric set and version 10 or less at correction M (measured)")
    func qrVersion() throws {
        let key = try Ed25519PrivateKey()
        // The largest seal the gateway makes: a long document type and certificate id, a log index in the billions.
        for (type, id) in [
            ("INCOME", "DK-7Q2M4XK9"), ("CASTE_VALIDITY", "DK-ABCDEFGHJKLMN"),
            (String(repeating: "T", count: 24), String(repeating: "C", count: 32)),
        ] {
            let seal = try Seal(
                key: key, logIndex: 9_876_543_210, issuedDay: 20_784, documentType: type, certificateID: id)
            let url = try seal.url(base: Self.base)
            let alphanumeric = Set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
            #expect(url.allSatisfy { alphanumeric.contains($0) }, "\(url)")
            let qr = try QRCode(text: url, correction: .medium, mode: .densest)
            let version = (qr.size - 17) / 4
            print(
                "seal QR: \(url.count) characters, version \(version) (\(qr.size)×\(qr.size) modules) at correction M")
            #expect(version <= 10, "\(url.count) characters need version \(version)")
        }
    }

    @Test("numbers in the stamp are written as PDF writes them")
    func numbers() {
        let cases: [(Double, String)] = [
            (0, "0"), (1, "1"), (1.5, "1.5"), (0.125, "0.125"), (0.1234, "0.123"), (595.2756, "595.276"),
            (-2.05, "-2.05"),
            (10.0004, "10"), (0.0004, "0"),
        ]
        for (value, text) in cases { #expect(StampPDF.n(value) == text, "\(value)") }
    }

    @Test("an unsigned PDF is never mistaken for a signed one, and a DSC/eSign-signed one is recognised")
    func signedPDFs() {
        let plain = Array("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n".utf8)
        let signed = Array(
            "%PDF-1.7\n5 0 obj << /Type /Sig /Filter /Adobe.PPKLite /ByteRange [0 840 960 240] /Contents <00> >> endobj\n%%EOF\n"
                .utf8)
        #expect(!PDFInspection.isDigitallySigned(plain))
        #expect(PDFInspection.isDigitallySigned(signed))
    }

    @Test(
        "the stamp laid on a certificate's first page keeps its text and its QR decodes back to the seal (pdftoppm, zbarimg)"
    )
    func stampedPDF() throws {
        let key = try Ed25519PrivateKey()
        let seal = try Seal(key: key, logIndex: 42, issuedDay: 20_784, documentType: "INCOME", certificateID: "DK-42")
        let url = try seal.url(base: Self.base)
        let stamp = try StampPDF.make(url: url, certificateID: "DK-42", verifyAt: "verify.dakiya.maharashtra.gov.in")
        let certificate = StampPDF.document(content: "BT /F1 18 Tf 72 760 Td (INCOME CERTIFICATE No. 7731) Tj ET\n")
        let stamped = try PDFTools.overlayFirstPage(of: certificate, with: stamp)
        #expect(stamped != certificate && stamped.starts(with: Array("%PDF-".utf8)))
        #expect(StampPDF.sealURL(in: stamped) == url, "the seal is readable in the stamped file's bytes")
        #expect(StampPDF.sealURL(in: certificate) == nil)
        #expect(throws: PDFError.self) { try PDFTools.overlayFirstPage(of: Array("not a pdf".utf8), with: stamp) }

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stamp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("stamped.pdf")
        try Data(stamped).write(to: file)
        let text = try run("/usr/bin/pdftotext", [file.path, "-"])
        #expect(text.contains("INCOME CERTIFICATE No. 7731"), "the certificate's own text is kept: \(text)")
        #expect(text.contains("Certificate DK-42 - verify at verify.dakiya.maharashtra.gov.in"), "\(text)")
        _ = try run(
            "/usr/bin/pdftoppm", ["-r", "300", "-png", "-f", "1", "-l", "1", file.path, directory.path + "/page"])
        let page = try #require(
            try FileManager.default.contentsOfDirectory(atPath: directory.path).first { $0.hasSuffix(".png") })
        let decoded = try run(
            "/usr/bin/zbarimg", ["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", directory.path + "/" + page]
        )
        .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(decoded == url)
        let prefix = Self.base.uppercased() + "/"
        let read = try Seal(text: String(decoded.dropFirst(prefix.count)))
        #expect(read.isSigned(by: try key.publicKey().rawRepresentation) && read.certificateID == "DK-42")
    }

    /// Runs `tool` and returns what it printed; fails the test when it fails.
    func run(_ tool: String, _ arguments: [String]) throws -> String {
        let (status, output) = try runProgram(tool, arguments)
        #expect(status == 0, "\(tool) \(arguments) exited with \(status)")
        return output
    }
}
