import Foundation
import QRCode

/// The stamp drawn over a certificate's first page: the seal's QR code (its modules as filled rectangles, on a
/// white quiet zone), the certificate id and a one-line "verify at" text, in the page's bottom right corner;
/// and the one-page verification slip that goes beside a digitally signed certificate. Written as PDF operators by
/// hand: no image library.
package enum StampPDF {
    /// A4 in points.
    static let width = 595.0, height = 842.0

    /// The stamp's PDF operators for `url` (the QR's content) and `certificateID`, with `verifyAt` the address
    /// people type, for a page of `width` × `height` points as a reader shows it; text uses `/F1` (Helvetica).
    /// - Throws: `QRCodeError` when the QR cannot be made.
    package static func operators(
        url: String, certificateID: String, verifyAt: String, width: Double = width, height: Double = height,
        qrMillimetres: Double = 25
    ) throws -> String {
        let qr = try QRCode(text: url, correction: .medium, mode: .densest)

        let side = qrMillimetres * 72 / 25.4
        let module = side / Double(qr.size)
        let quiet = 2 * module
        let margin = 10 * 72 / 25.4
        let x0 = width - margin - side, y0 = margin + 14
        // The QR's content again as a comment, so a program (dakiya-audit verify) finds the seal in the file's bytes
        // without reading the image.
        var ops = "\(markerPrefix)\(url)\n"
        ops += "q 1 1 1 rg \(n(x0 - quiet)) \(n(y0 - quiet)) \(n(side + 2 * quiet)) \(n(side + 2 * quiet)) re f Q\n"
        ops += "q 0 0 0 rg\n" + modules(qr, x: x0, y: y0, module: module) + "f Q\n"
        let text = "Certificate \(certificateID) - verify at \(verifyAt)"
        let size = 7.0
        // Helvetica averages about half an em per character: right-aligned under the code, within the margin.
        let textWidth = Double(text.count) * size * 0.5
        ops +=
            "q 1 1 1 rg \(n(width - margin - textWidth - 2)) \(n(margin - 2)) \(n(textWidth + 4)) \(n(size + 6)) re f Q\n"
        ops +=
            "BT /F1 \(n(size)) Tf 0 0 0 rg \(n(width - margin - textWidth)) \(n(margin + 1)) Td (\(escape(text))) Tj ET\n"
        return ops
    }

    /// What a verification slip says: the seal it carries and the signed file it stands beside.
    package struct Slip: Sendable {
        /// The seal's URL (the QR's content).
        package var url: String
        package var certificateID: String
        /// The issuer's name as the key registry has it (printable ASCII is kept; the page shows the rest).
        package var department: String
        package var documentType: String
        /// YYYY-MM-DD.
        package var issuedOn: String
        package var fileName: String
        /// SHA-256 of the signed PDF the slip stands beside, in hex.
        package var signedSHA256: String
        /// The address people type.
        package var verifyAt: String

        /// A slip's contents.
        package init(
            url: String, certificateID: String, department: String, documentType: String, issuedOn: String,
            fileName: String, signedSHA256: String, verifyAt: String
        ) {
            self.url = url
            self.certificateID = certificateID
            self.department = department
            self.documentType = documentType
            self.issuedOn = issuedOn
            self.fileName = fileName
            self.signedSHA256 = signedSHA256
            self.verifyAt = verifyAt
        }
    }

    /// The one-page verification slip delivered beside a digitally signed certificate (which is never rewritten):
    /// what it is, the certificate it stands for, the SHA-256 of the signed file, and the seal's QR, 50 mm wide so it
    /// scans from a printout or another phone's screen. The QR's content and the signed file's digest are in the
    /// file's bytes too (comment lines), so `dakiya-audit verify --slip` reads them without the image.
    /// - Throws: `QRCodeError` when the QR cannot be made.
    package static func slip(_ slip: Slip) throws -> [UInt8] {
        let qr = try QRCode(text: slip.url, correction: .medium, mode: .densest)
        let margin = 20 * 72 / 25.4
        var ops = "\(markerPrefix)\(slip.url)\n\(slipDigestPrefix)\(slip.signedSHA256)\n"
        var y = height - margin - 24
        func line(_ text: String, size: Double, bold: Bool = false, gap: Double = 6) {
            ops += "BT /F\(bold ? 2 : 1) \(n(size)) Tf 0 0 0 rg \(n(margin)) \(n(y)) Td (\(escape(text))) Tj ET\n"
            y -= size + gap
        }
        line("Certificate verification slip", size: 20, bold: true, gap: 14)
        line(
            "This slip goes with a digitally signed certificate. The certificate is delivered exactly as the", size: 10)
        line(
            "department signed it, so its digital signature stays valid; this slip carries the seal instead.", size: 10,
            gap: 16)
        for (label, value) in [
            ("Certificate", slip.certificateID), ("Issued by", slip.department), ("Document type", slip.documentType),
            ("Issued on", slip.issuedOn), ("Signed file", slip.fileName),
        ] {
            ops += "BT /F2 11 Tf 0 0 0 rg \(n(margin)) \(n(y)) Td (\(escape(label))) Tj ET\n"
            ops += "BT /F1 11 Tf 0 0 0 rg \(n(margin + 110)) \(n(y)) Td (\(escape(value))) Tj ET\n"
            y -= 17
        }
        ops += "BT /F2 11 Tf 0 0 0 rg \(n(margin)) \(n(y)) Td (SHA-256 of the signed file) Tj ET\n"
        y -= 15
        for half in [slip.signedSHA256.prefix(32), slip.signedSHA256.dropFirst(32)] {
            ops += "BT /F3 10 Tf 0 0 0 rg \(n(margin)) \(n(y)) Td (\(escape(String(half)))) Tj ET\n"
            y -= 13
        }
        y -= 12
        let side = 50 * 72 / 25.4
        let module = side / Double(qr.size)
        let x0 = (width - side) / 2, y0 = y - side
        ops += "q 0 0 0 rg\n" + modules(qr, x: x0, y: y0, module: module) + "f Q\n"
        y = y0 - 24
        line(
            "Scan the code to see whether the certificate is genuine and still valid. To check the signed file",
            size: 10)
        line("itself, upload it at \(slip.verifyAt): its SHA-256 must be the one printed above.", size: 10)
        return document(objects: [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 \(n(width)) \(n(height))] /Resources << /Font << /F1 5 0 R /F2 6 0 R /F3 7 0 R >> >> /Contents 4 0 R >>",
            "<< /Length \(ops.utf8.count) >>\nstream\n\(ops)endstream",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>",
        ])
    }

    /// What starts the comment line holding the signed file's SHA-256 in a verification slip.
    package static let slipDigestPrefix = "% dakiya-slip-sha256 "

    /// The signed file's SHA-256 (hex) a verification slip names; nil when `pdf` is not a slip.
    package static func slipDigest(in pdf: [UInt8]) -> String? {
        let bytes = Data(pdf)
        guard let marker = bytes.range(of: Data(slipDigestPrefix.utf8)) else { return nil }
        let hex = String(decoding: bytes[marker.upperBound...].prefix(64), as: UTF8.self)
        return hex.count == 64 && hex.allSatisfy(\.isHexDigit) ? hex.lowercased() : nil
    }

    /// One filled rectangle per horizontal run of dark modules, the code's top-left corner at (`x`, `y` + side);
    /// PDF's y axis goes up, so row 0 is the top. The caller fills them.
    static func modules(_ qr: QRCode, x x0: Double, y y0: Double, module: Double) -> String {
        var ops = ""
        let side = Double(qr.size) * module
        for row in 0..<qr.size {
            var column = 0
            while column < qr.size {
                guard qr.isDark(row: row, column: column) else {
                    column += 1
                    continue
                }
                var end = column + 1
                while end < qr.size, qr.isDark(row: row, column: end) { end += 1 }
                ops +=
                    "\(n(x0 + Double(column) * module)) \(n(y0 + side - Double(row + 1) * module)) \(n(Double(end - column) * module)) \(n(module)) re\n"
                column = end
            }
        }
        return ops
    }

    /// What starts the comment line holding the QR's content in a stamped PDF.
    package static let markerPrefix = "% dakiya-seal "

    /// The QR content (the seal's URL) a stamped PDF carries, found in its bytes; nil when it has none.
    package static func sealURL(in pdf: [UInt8]) -> String? {
        let bytes = Data(pdf)
        guard let marker = bytes.range(of: Data(markerPrefix.utf8)) else { return nil }
        let rest = bytes[marker.upperBound...].prefix(600)
        let line = rest.prefix { $0 != 0x0A && $0 != 0x0D }
        return String(decoding: line, as: UTF8.self)
    }

    /// A number as PDF writes it (up to 3 decimals), by integer arithmetic (String(format:) is slow here and the
    /// stamp writes thousands of numbers).
    package static func n(_ value: Double) -> String {
        let thousandths = Int((abs(value) * 1000).rounded())
        var text = (value < 0 && thousandths > 0 ? "-" : "") + String(thousandths / 1000)
        var fraction = thousandths % 1000
        guard fraction > 0 else { return text }
        var digits = 3
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        let written = String(fraction)
        text += "." + String(repeating: "0", count: digits - written.count) + written
        return text
    }

    /// A PDF literal string's body: backslash, parentheses escaped; only printable ASCII kept.
    static func escape(_ text: String) -> String {
        String(
            text.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F }.map { scalar -> String in
                switch scalar {
                case "\\", "(", ")": "\\" + String(scalar)
                default: String(scalar)
                }
            }.joined())
    }

    /// A one-page A4 PDF whose page draws `content` (PDF operators) with Helvetica as /F1: the stamp laid over a
    /// certificate's first page.
    package static func document(content: String) -> [UInt8] {
        document(objects: [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 \(n(width)) \(n(height))] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
            "<< /Length \(content.utf8.count) >>\nstream\n\(content)endstream",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        ])
    }

    /// A PDF of `objects` (numbered from 1, the first the catalogue) with its cross-reference table.
    package static func document(objects: [String]) -> [UInt8] {
        var out = "%PDF-1.4\n%\u{E2}\u{E3}\u{CF}\u{D3}\n"
        var offsets: [Int] = []
        for (index, object) in objects.enumerated() {
            offsets.append(out.utf8.count)
            out += "\(index + 1) 0 obj\n\(object)\nendobj\n"
        }
        let xref = out.utf8.count
        out += "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
        for offset in offsets { out += String(format: "%010d 00000 n \n", offset) }
        out += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
        return Array(out.utf8)
    }
}

/// What the gateway needs to know of a department's PDF before sealing it.
package enum PDFInspection {
    /// Whether the PDF carries a digital signature (a signature field `/Sig` with a `/ByteRange`: DSC or eSign).
    /// Such a PDF is never rewritten: any change would break its signature.
    package static func isDigitallySigned(_ pdf: [UInt8]) -> Bool {
        let bytes = Data(pdf)
        func has(_ text: String) -> Bool { bytes.range(of: Data(text.utf8)) != nil }
        return has("/ByteRange") && (has("/Type /Sig") || has("/Type/Sig") || has("/FT /Sig") || has("/FT/Sig"))
    }
}
