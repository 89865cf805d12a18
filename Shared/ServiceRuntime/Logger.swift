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

    package init(service: String, minimumLevel: Level = .info, metadata: [String: String] = [:], sink: LogSink = .standardOutput) {
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

    package func debug(_ message: String, _ extra: [String: String] = [:]) { log(.debug, message, extra) }
    package func info(_ message: String, _ extra: [String: String] = [:]) { log(.info, message, extra) }
    package func warning(_ message: String, _ extra: [String: String] = [:]) { log(.warning, message, extra) }
    package func error(_ message: String, _ extra: [String: String] = [:]) { log(.error, message, extra) }

    package func log(_ level: Level, _ message: String, _ extra: [String: String] = [:]) {
        guard level >= minimumLevel else { return }
        var line = "{\"ts\":\"\(Timestamp.rfc3339(Timestamp.nowMicroseconds()))\",\"level\":\"\(level.name)\",\"service\":"
        line += JSONText.quoted(service)
        line += ",\"msg\":" + JSONText.quoted(message)
        let merged = metadata.merging(extra) { _, new in new }
        for key in merged.keys.sorted() {
            line += "," + JSONText.quoted(key) + ":" + JSONText.quoted(merged[key]!)
        }
        line += "}"
        sink.write(line)
    }
}

/// Minimal JSON text helpers for hand-written JSON (log lines, metrics-free paths).
package enum JSONText {
    /// `value` as a JSON string literal, quotes included.
    package static func quoted(_ value: String) -> String {
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
