import Glibc
import Synchronization

/// Where log lines go: standard output by default, or memory for tests that assert on logs.
package final class LogSink: Sendable {
    private let captured = Mutex<[String]>([])
    private let isCapturing: Bool
    private let fileDescriptor: Int32

    /// Writes each line to standard output (one `write(2)` per line, so lines from threads never interleave).
    package static let standardOutput = LogSink(fileDescriptor: 1, capturing: false)

    /// Keeps every line in memory; `lines` returns them.
    package static func capturing() -> LogSink { LogSink(fileDescriptor: -1, capturing: true) }

    private init(fileDescriptor: Int32, capturing: Bool) {
        self.fileDescriptor = fileDescriptor
        self.isCapturing = capturing
    }

    /// The lines written so far (capturing sinks only).
    package var lines: [String] { captured.withLock { $0 } }

    func write(_ line: String) {
        if isCapturing {
            captured.withLock { $0.append(line) }
            return
        }
        var bytes = Array(line.utf8)
        bytes.append(0x0A)
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(fileDescriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 { if errno == EINTR { continue } else { return } }
                offset += written
            }
        }
    }
}

/// A JSON-lines logger with dotted metadata keys (`job.id`, `request.id`).
///
/// Values are what the caller passes: never pass personal data (numbers, names, addresses) as metadata.
package struct Logger: Sendable {
    /// Severity, lowest first.
    package enum Level: Int, Comparable, Sendable, CaseIterable {
        case debug, info, warning, error

        package var name: String { ["debug", "info", "warning", "error"][rawValue] }

        /// The level named `name` (debug, info, warning, error; any case), nil for another name.
        package init?(name: String) {
            guard let level = Level.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
            self = level
        }

        package static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    package var service: String
    package var minimumLevel: Level
    package var metadata: [String: String]
    let sink: LogSink

    /// A logger for `service` that writes JSON lines at `minimumLevel` and above, with `metadata` on every line, to `sink`.
    package init(
        service: String, minimumLevel: Level = .info, metadata: [String: String] = [:], sink: LogSink = .standardOutput
    ) {
        self.service = service
        self.minimumLevel = minimumLevel
        self.metadata = metadata
        self.sink = sink
    }

    /// A logger that adds `extra` to every line.
    package func with(_ extra: [String: String]) -> Logger {
        var copy = self
        copy.metadata.merge(extra) { _, new in new }
        return copy
    }

    /// Logs at debug level; see `log`.
    package func debug(_ message: String, _ extra: [String: String] = [:]) { log(.debug, message, extra) }
    /// Logs at info level; see `log`.
    package func info(_ message: String, _ extra: [String: String] = [:]) { log(.info, message, extra) }
    /// Logs at warning level; see `log`.
    package func warning(_ message: String, _ extra: [String: String] = [:]) { log(.warning, message, extra) }
    /// Logs at error level; see `log`.
    package func error(_ message: String, _ extra: [String: String] = [:]) { log(.error, message, extra) }

    /// Writes one JSON line (time, level, service, message, the logger's metadata and `extra`), phone numbers and email addresses redacted, when `level` is at or above the minimum.
    package func log(_ level: Level, _ message: String, _ extra: [String: String] = [:]) {
        guard level >= minimumLevel else { return }
        var line =
            "{\"ts\":\"\(Timestamp.rfc3339(Timestamp.nowMicroseconds()))\",\"level\":\"\(level.name)\",\"service\":"
        line += JSONText.quoted(service)
        line += ",\"msg\":" + JSONText.quoted(Redaction.redact(message))
        let merged = metadata.merging(extra) { _, new in new }
        for key in merged.keys.sorted() {
            line += "," + JSONText.quoted(key) + ":" + JSONText.quoted(Redaction.redact(merged[key]!))
        }
        line += "}"
        sink.write(line)
    }
}

/// Personal data never reaches a log line: every message and value passes here, the one place logs are written.
/// Phone numbers (`+` and 8 to 15 digits, a 10-digit Indian mobile, or one with 91 or 0 before it) and email
/// addresses are replaced. Names and message texts cannot be recognised, so code never logs them: errors from
/// providers are logged by code, not by their text.
package enum Redaction {
    package static let phone = "[phone]"
    package static let email = "[email]"

    /// `text` with phone numbers (8 or more digits in a row) and email addresses replaced by `[phone]` and `[email]`.
    package static func redact(_ text: String) -> String {
        let bytes = Array(text.utf8)
        // Fast path: nothing that could be a number of 8 digits or an address.
        var run = 0, longest = 0, hasAt = false
        for byte in bytes {
            if byte >= 0x30 && byte <= 0x39 { run += 1; longest = max(longest, run) } else { run = 0 }
            if byte == 0x40 { hasAt = true }
        }
        guard longest >= 8 || hasAt else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        func isDigit(_ i: Int) -> Bool { i < bytes.count && bytes[i] >= 0x30 && bytes[i] <= 0x39 }
        func isWordByte(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x5F || byte >= 0x80
        }
        func isAddressByte(_ byte: UInt8) -> Bool {
            isWordByte(byte) || byte == 0x2E || byte == 0x2D || byte == 0x2B || byte == 0x25
        }
        while index < bytes.count {
            let byte = bytes[index]
            // A phone number: +digits, or a digit run not glued to a word or to a hyphenated id (UUIDs).
            let before: UInt8? = index > 0 ? bytes[index - 1] : nil
            let startsFree = before.map { !isWordByte($0) && $0 != 0x2D } ?? true
            if (byte == 0x2B && isDigit(index + 1) && startsFree) || (isDigit(index) && startsFree) {
                var end = byte == 0x2B ? index + 1 : index
                while isDigit(end) { end += 1 }
                let digits = end - (byte == 0x2B ? index + 1 : index)
                let endsFree = end >= bytes.count || (!isWordByte(bytes[end]) && bytes[end] != 0x2D)
                let first = bytes[byte == 0x2B ? index + 1 : index]
                let looksLikePhone =
                    byte == 0x2B
                    ? (8...15).contains(digits)
                    : (digits == 10 && first >= 0x36) || (digits == 12 && first == 0x39 && bytes[index + 1] == 0x31)
                        || (digits == 11 && first == 0x30)
                if endsFree && looksLikePhone {
                    out.append(contentsOf: phone.utf8)
                    index = end
                    continue
                }
                out.append(contentsOf: bytes[index..<max(end, index + 1)])
                index = max(end, index + 1)
                continue
            }
            if byte == 0x40 {
                // An email address: the local part already copied is taken back.
                var start = out.count
                while start > 0, isAddressByte(out[start - 1]) { start -= 1 }
                var end = index + 1
                while end < bytes.count, isAddressByte(bytes[end]) { end += 1 }
                let domain = bytes[(index + 1)..<end]
                if start < out.count, domain.contains(0x2E), domain.first != 0x2E {
                    out.removeSubrange(start...)
                    out.append(contentsOf: email.utf8)
                    index = end
                    continue
                }
            }
            out.append(byte)
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Minimal JSON text helpers for hand-written JSON (log lines, metrics-free paths).
package enum JSONText {
    /// `value` as a JSON string literal, quotes included.
    package static func quoted(_ value: String) -> String {
        // Most values are plain printable ASCII: copied whole.
        if value.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
            return "\"" + value + "\""
        }
        var out = "\""
        out.reserveCapacity(value.utf8.count + 2)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// Wall-clock timestamps without Foundation formatters (which are slow and not thread-friendly).
package enum Timestamp {
    /// Microseconds since the Unix epoch, from the real-time clock.
    package static func nowMicroseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec / 1000)
    }

    /// `2026-11-22T07:48:59.123Z` (milliseconds, UTC).
    package static func rfc3339(_ microseconds: Int64) -> String {
        var seconds = time_t(microseconds / 1_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let millis = Int((microseconds % 1_000_000) / 1000)
        return "\(parts.tm_year + 1900)-\(pad(Int(parts.tm_mon) + 1))-\(pad(Int(parts.tm_mday)))T"
            + "\(pad(Int(parts.tm_hour))):\(pad(Int(parts.tm_min))):\(pad(Int(parts.tm_sec))).\(pad(millis, 3))Z"
    }

    private static func pad(_ value: Int, _ width: Int = 2) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
