import Foundation
import QRCode
import Testing

@Suite("QR codes")
struct QRCodeTests {
    @Test("a short link encodes as a version-3 code with the three finder patterns")
    func encodes() throws {
        let code = try QRCode(text: "https://verify.example/c/AbCdEf0123456789", correction: .medium)
        #expect(code.size == 29)  // version 3 (17 + 4 × 3): 41 bytes fit its 42-byte capacity at level M
        for (row, column) in [(0, 0), (0, code.size - 7), (code.size - 7, 0)] {
            // A finder pattern: a dark 7×7 ring, a light ring, a dark 3×3 centre.
            #expect(
                (0..<7).allSatisfy {
                    code.isDark(row: row, column: column + $0) && code.isDark(row: row + 6, column: column + $0)
                })
            #expect(!code.isDark(row: row + 1, column: column + 1))
            #expect(code.isDark(row: row + 3, column: column + 3))
        }
        #expect(try QRCode(text: "https://verify.example/c/AbCdEf0123456789") == code, "encoding is deterministic")
    }

    @Test("Devanagari and Telugu text encode as UTF-8 bytes")
    func unicode() throws {
        let marathi = try QRCode(text: "उत्पन्न प्रमाणपत्र")
        let telugu = try QRCode(text: "ఆదాయ ధృవీకరణ పత్రం")
        #expect(marathi.size >= 25)
        #expect(telugu.size >= 25)
        #expect(marathi != telugu)
    }

    @Test("SVG rendering has a quiet zone and one path")
    func svg() throws {
        let code = try QRCode(text: "DAKIYA")
        let svg = code.svg(moduleSize: 2, border: 4)
        #expect(svg.hasPrefix("<svg"))
        #expect(svg.contains("viewBox=\"0 0 \((code.size + 8) * 2) \((code.size + 8) * 2)\""))
        #expect(svg.components(separatedBy: "<path").count == 2)
    }

    @Test("text too long for any QR code is a clear error")
    func tooLong() {
        #expect(throws: QRCodeError.self) { _ = try QRCode(text: String(repeating: "x", count: 8000)) }
    }
}
