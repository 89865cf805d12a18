import CQREncode
import Glibc

/// Why a QR code could not be made (text too long for a QR code, or out of memory).
package struct QRCodeError: Error, CustomStringConvertible, Sendable {
    package var errno: Int32
    package var description: String {
        errno == ERANGE ? "QR code: the text is too long" : "QR code: encoding failed (errno \(errno))"
    }
}

/// A QR code as a square matrix of modules (true = dark), from libqrencode.
package struct QRCode: Sendable, Equatable {
    /// Error correction: L 7 %, M 15 %, Q 25 %, H 30 % of the code can be damaged.
    package enum Correction: Sendable { case low, medium, quartile, high }

    package let size: Int
    package let modules: [Bool]  // row-major, size × size

    /// How the text is put into the code: all in byte mode, or split by libqrencode into the densest modes
    /// (numeric, alphanumeric, byte) segment by segment, so an upper-case URL takes alphanumeric mode.
    package enum Mode: Sendable { case bytes, densest }

    /// Encodes `text` (UTF-8) with `correction`, in byte mode or the densest modes.
    /// - Throws: `QRCodeError` with libqrencode's errno when the text does not fit a QR code.
    package init(text: String, correction: Correction = .medium, mode: Mode = .bytes) throws {
        let level: QRecLevel
        switch correction {
        case .low: level = QR_ECLEVEL_L
        case .medium: level = QR_ECLEVEL_M
        case .quartile: level = QR_ECLEVEL_Q
        case .high: level = QR_ECLEVEL_H
        }
        errno = 0
        let encoded =
            mode == .bytes
            ? QRcode_encodeString8bit(text, 0, level) : QRcode_encodeString(text, 0, level, QR_MODE_8, 1)
        guard let code = encoded else { throw QRCodeError(errno: errno) }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        size = width
        modules = (0..<(width * width)).map { code.pointee.data[$0] & 1 == 1 }
    }

    /// The module at `row`, `column`.
    package func isDark(row: Int, column: Int) -> Bool { modules[row * size + column] }

    /// An SVG drawing with a quiet zone of `border` modules, each `moduleSize` units wide.
    package func svg(moduleSize: Int = 4, border: Int = 4) -> String {
        let total = (size + 2 * border) * moduleSize
        var path = ""
        for row in 0..<size {
            for column in 0..<size where isDark(row: row, column: column) {
                path +=
                    "M\((column + border) * moduleSize),\((row + border) * moduleSize)h\(moduleSize)v\(moduleSize)h-\(moduleSize)z"
            }
        }
        return
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(total) \(total)\" width=\"\(total)\" height=\"\(total)\" shape-rendering=\"crispEdges\">"
            + "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path fill=\"#000\" d=\"\(path)\"/></svg>"
    }
}
