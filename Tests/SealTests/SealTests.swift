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
        let stamp = { (box: PDFTools.PageBox) in
            try StampPDF.operators(
                url: url, certificateID: "DK-42", verifyAt: "verify.dakiya.maharashtra.gov.in", width: box.width,
                height: box.height)
        }
        let certificate = StampPDF.document(content: "BT /F1 18 Tf 72 760 Td (INCOME CERTIFICATE No. 7731) Tj ET\n")
        let stamped = try PDFTools.overlayFirstPage(of: certificate, drawing: stamp)
        #expect(stamped != certificate && stamped.starts(with: Array("%PDF-".utf8)))
        #expect(StampPDF.sealURL(in: stamped) == url, "the seal is readable in the stamped file's bytes")
        #expect(StampPDF.sealURL(in: certificate) == nil)
        #expect(throws: PDFError.self) { try PDFTools.overlayFirstPage(of: Array("not a pdf".utf8), drawing: stamp) }

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

    /// A PDF written by Python's zlib: one page (inheriting its box, resources and rotation from the page tree when
    /// `inherited`) whose content stream is Flate-compressed and draws a line of text at the top left.
    func compressedPDF(rotate: Int, inherited: Bool, directory: URL) throws -> [UInt8] {
        let script = directory.appendingPathComponent("make.py")
        try Data(
            """
            import sys, zlib
            rotate, inherited = int(sys.argv[2]), sys.argv[3] == "1"
            lines = b"".join(b"BT /F1 9 Tf 40 %d Td (Line %d of the income certificate) Tj ET\\n" % (800 - i * 11, i) for i in range(60))
            data = zlib.compress(lines * 30, 9)
            box = b"/MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Rotate %d" % rotate
            objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
                       b"<< /Type /Pages /Kids [3 0 R] /Count 1 " + (box if inherited else b"") + b" >>",
                       b"<< /Type /Page /Parent 2 0 R " + (b"" if inherited else box) + b" /Contents [4 0 R] >>",
                       b"<< /Length %d /Filter /FlateDecode >>\\nstream\\n" % len(data) + data + b"\\nendstream",
                       b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
            out, offsets = b"%PDF-1.5\\n", []
            for number, body in enumerate(objects, 1):
                offsets.append(len(out))
                out += b"%d 0 obj\\n" % number + body + b"\\nendobj\\n"
            xref = len(out)
            out += b"xref\\n0 %d\\n0000000000 65535 f \\n" % (len(objects) + 1) + b"".join(b"%010d 00000 n \\n" % o for o in offsets)
            out += b"trailer\\n<< /Size %d /Root 1 0 R >>\\nstartxref\\n%d\\n%%%%EOF\\n" % (len(objects) + 1, xref)
            open(sys.argv[1], "wb").write(out)
            """.utf8
        ).write(to: script)
        let file = directory.appendingPathComponent("in-\(rotate)-\(inherited).pdf")
        _ = try run("/usr/bin/python3", [script.path, file.path, String(rotate), inherited ? "1" : "0"])
        return try #require(FileManager.default.contents(atPath: file.path).map(Array.init))
    }

    @Test(
        "stamping keeps a compressed certificate compressed, its content byte for byte; on a rotated page (or one that inherits its box) the QR lands upright in the bottom-right corner a reader sees"
    )
    func stampKeepsTheCertificate() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stamp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = try Ed25519PrivateKey()
        let url = try Seal(key: key, logIndex: 7, issuedDay: 20_784, documentType: "INCOME", certificateID: "DK-7")
            .url(base: Self.base)
        for (rotate, inherited) in [(0, false), (90, true), (180, false), (270, false), (0, true)] {
            let original = try compressedPDF(rotate: rotate, inherited: inherited, directory: directory)
            var seen: PDFTools.PageBox?
            let stamped = try PDFTools.overlayFirstPage(of: original) { box in
                seen = box
                return try StampPDF.operators(
                    url: url, certificateID: "DK-7", verifyAt: "verify.example", width: box.width, height: box.height)
            }
            let sideways = rotate == 90 || rotate == 270
            #expect(seen == PDFTools.PageBox(width: sideways ? 842 : 595, height: sideways ? 595 : 842))
            // The compressed content stream is carried over as it was (not inflated): the file grows by the stamp only.
            #expect(stamped.count < original.count + 30_000, "\(original.count) → \(stamped.count) bytes")
            let stream = try #require(original.firstRange(of: Array("stream\n".utf8)))
            let data = Array(original[stream.upperBound..<(original.count - 200)].prefix(400))
            #expect(stamped.firstRange(of: data) != nil, "the compressed content's bytes are in the stamped file")
            #expect(StampPDF.sealURL(in: stamped) == url)
            // As a reader shows the page: the QR decodes, and what the stamp added (the pixels dark on the stamped
            // page but not on the original) lies in the bottom-right corner.
            let file = directory.appendingPathComponent("out-\(rotate)-\(inherited).pdf")
            let before = directory.appendingPathComponent("in-\(rotate)-\(inherited).pdf")
            try Data(stamped).write(to: file)
            let text = try run("/usr/bin/pdftotext", [file.path, "-"])
            #expect(text.contains("Line 3 of the income certificate") && text.contains("Certificate DK-7"), "\(text)")
            var images: [(Int, Int, [UInt8])] = []
            for (pdf, name) in [(file, "after"), (before, "before")] {
                let prefix = "\(name)-\(rotate)-\(inherited)"
                _ = try run("/usr/bin/pdftoppm", ["-r", "200", "-gray", pdf.path, directory.path + "/" + prefix])
                let image = try #require(
                    try FileManager.default.contentsOfDirectory(atPath: directory.path).first {
                        $0.hasPrefix(prefix) && $0.hasSuffix(".pgm")
                    })
                images.append(try Self.pgm(directory.path + "/" + image))
                if name == "after" {
                    let decoded = try run(
                        "/usr/bin/zbarimg",
                        ["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", directory.path + "/" + image])
                    #expect(decoded.trimmingCharacters(in: .whitespacesAndNewlines) == url, "rotation \(rotate)")
                }
            }
            let (width, height, after) = images[0], unstamped = images[1].2
            #expect((width > height) == sideways && images[1].0 == width)
            var added = 0, outside = 0
            for y in 0..<height {
                for x in 0..<width where after[y * width + x] < 128 && unstamped[y * width + x] >= 128 {
                    added += 1
                    if x < width * 2 / 3 || y < height * 3 / 4 { outside += 1 }
                }
            }
            #expect(added > 5_000 && outside == 0, "rotation \(rotate): \(added) pixels added, \(outside) outside")
        }
        // Not a PDF, a PDF without pages: clear errors.
        #expect(throws: PDFError.self) {
            try PDFTools.overlayFirstPage(
                of: StampPDF.document(objects: [
                    "<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [] /Count 0 >>",
                ])
            ) { _ in "" }
        }
    }

    /// A binary PGM (P5) file's width, height and 8-bit pixels.
    static func pgm(_ path: String) throws -> (Int, Int, [UInt8]) {
        let bytes = try #require(FileManager.default.contents(atPath: path).map(Array.init))
        var fields: [String] = [], index = 0
        while fields.count < 4 {
            while bytes[index] == 0x20 || bytes[index] == 0x0A { index += 1 }
            var field = ""
            while bytes[index] != 0x20 && bytes[index] != 0x0A {
                field.append(Character(UnicodeScalar(bytes[index])))
                index += 1
            }
            fields.append(field)
        }
        let width = try #require(Int(fields[1])), height = try #require(Int(fields[2]))
        return (width, height, Array(bytes[(index + 1)...]))
    }

    /// Runs `tool` and returns what it printed; fails the test when it fails.
    func run(_ tool: String, _ arguments: [String]) throws -> String {
        let (status, output) = try runProgram(tool, arguments)
        #expect(status == 0, "\(tool) \(arguments) exited with \(status)")
        return output
    }
}
