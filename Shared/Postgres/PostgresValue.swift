import Foundation
import ServiceRuntime

/// How one parameter is sent: as text (PostgreSQL parses it), as binary bytes (bytea), or as NULL.
package enum PostgresBind: Sendable, Equatable {
    case text(String)
    case binary([UInt8])
    case null
}

/// A Swift value that can be bound as a query parameter. Values are always bound as `$n`, never spliced into SQL.
package protocol PostgresEncodable: Sendable {
    var postgresBind: PostgresBind { get }
}

/// A Swift value that can be read from a column in text format.
package protocol PostgresDecodable {
    /// Decodes `text` (nil for SQL NULL); returns nil when the text is not a valid value of this type.
    static func decode(postgresText text: String?) -> Self?
}

extension String: PostgresEncodable, PostgresDecodable {
    package var postgresBind: PostgresBind { .text(self) }
    package static func decode(postgresText text: String?) -> String? { text }
}

extension Int: PostgresEncodable, PostgresDecodable {
    package var postgresBind: PostgresBind { .text(String(self)) }
    package static func decode(postgresText text: String?) -> Int? { text.flatMap { Int($0) } }
}

extension Int64: PostgresEncodable, PostgresDecodable {
    package var postgresBind: PostgresBind { .text(String(self)) }
    package static func decode(postgresText text: String?) -> Int64? { text.flatMap { Int64($0) } }
}

extension Int32: PostgresEncodable, PostgresDecodable {
    package var postgresBind: PostgresBind { .text(String(self)) }
    package static func decode(postgresText text: String?) -> Int32? { text.flatMap { Int32($0) } }
}

extension Int16: PostgresEncodable, PostgresDecodable {
    package var postgresBind: PostgresBind { .text(String(self)) }
    package static func decode(postgresText text: String?) -> Int16? { text.flatMap { Int16($0) } }
}

extension Double: PostgresEncodable, PostgresDecodable {
    package var postgresBind: PostgresBind { .text(String(self)) }
    package static func decode(postgresText text: String?) -> Double? {
        guard let text else { return nil }
        switch text {
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        case "NaN": return .nan
        default: return Double(text)
        }
    }
}

extension Bool: PostgresEncodable, PostgresDecodable {
    package var postgresBind: PostgresBind { .text(self ? "t" : "f") }
    package static func decode(postgresText text: String?) -> Bool? {
        switch text {
        case "t", "true": return true
        case "f", "false": return false
        default: return nil
        }
    }
}

extension UUID: PostgresEncodable, PostgresDecodable {
    package var postgresBind: PostgresBind { .text(uuidString.lowercased()) }
    package static func decode(postgresText text: String?) -> UUID? { text.flatMap { UUID(uuidString: $0) } }
}

extension Date: PostgresEncodable, PostgresDecodable {
    /// Sent as `YYYY-MM-DD HH:MM:SS.ffffff+00`, microsecond precision, UTC.
    package var postgresBind: PostgresBind { .text(PostgresTimestamp.format(self)) }
    package static func decode(postgresText text: String?) -> Date? { text.flatMap(PostgresTimestamp.parse) }
}

/// Raw bytes, sent in binary format as bytea and read back from bytea's hex text form.
package struct PostgresBytes: PostgresEncodable, PostgresDecodable, Equatable {
    package var bytes: [UInt8]
    /// `bytes` as a `bytea` value.
    package init(_ bytes: [UInt8]) { self.bytes = bytes }
    package var postgresBind: PostgresBind { .binary(bytes) }

    package static func decode(postgresText text: String?) -> PostgresBytes? {
        guard let text, text.hasPrefix("\\x"), let bytes = Hex.decode(String(text.dropFirst(2))) else { return nil }
        return PostgresBytes(bytes)
    }
}

/// A JSON document bound as text (cast it in SQL: `$1::jsonb`) and read back as its text.
package struct PostgresJSON: PostgresEncodable, PostgresDecodable, Equatable {
    package var text: String
    /// JSON text as it is.
    package init(text: String) { self.text = text }

    /// Encodes `value` with JSONEncoder (sorted keys, so equal values give equal text).
    /// - Throws: `EncodingError` when `value` cannot be encoded.
    package init<T: Encodable>(encoding value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        text = String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Decodes the document into `type`.
    /// - Throws: `DecodingError` when the JSON does not fit `type`.
    package func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }

    package var postgresBind: PostgresBind { .text(text) }
    package static func decode(postgresText text: String?) -> PostgresJSON? { text.map(PostgresJSON.init(text:)) }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    package var postgresBind: PostgresBind { self?.postgresBind ?? .null }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    package static func decode(postgresText text: String?) -> Wrapped?? {
        guard let text else { return .some(nil) }
        guard let value = Wrapped.decode(postgresText: text) else { return nil }
        return .some(value)
    }
}

extension Array: PostgresEncodable where Element: PostgresEncodable {
    /// Sent as a PostgreSQL array literal (`{"a","b",NULL}`); cast it in SQL (`$1::text[]`).
    package var postgresBind: PostgresBind {
        var literal = "{"
        literal.reserveCapacity(count * 16)
        for (index, element) in enumerated() {
            if index > 0 { literal += "," }
            switch element.postgresBind {
            case .null: literal += "NULL"
            case .text(let text): literal += PostgresArrayLiteral.quote(text)
            case .binary(let bytes): literal += PostgresArrayLiteral.quote("\\x" + Hex.encode(bytes))
            }
        }
        return .text(literal + "}")
    }
}

extension Array: PostgresDecodable where Element: PostgresDecodable {
    /// Reads a one-dimensional array literal.
    package static func decode(postgresText text: String?) -> [Element]? {
        guard let text, let items = PostgresArrayLiteral.parse(text) else { return nil }
        var out: [Element] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard let value = Element.decode(postgresText: item) else { return nil }
            out.append(value)
        }
        return out
    }
}

enum PostgresArrayLiteral {
    static func quote(_ text: String) -> String {
        // Nothing to escape in nearly every element (a batch's ids, states, codes): copied whole.
        if !text.utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            return "\"" + text + "\""
        }
        var out = "\""
        for c in text.unicodeScalars {
            if c == "\"" || c == "\\" { out += "\\" }
            out.unicodeScalars.append(c)
        }
        return out + "\""
    }

    /// Parses `{a,"b c",NULL}` into its elements (nil for NULL). One dimension only.
    static func parse(_ text: String) -> [String?]? {
        let scalars = Array(text.unicodeScalars)
        guard scalars.first == "{", scalars.last == "}" else { return nil }
        var items: [String?] = []
        var index = 1
        let end = scalars.count - 1
        if index == end { return [] }
        while index < end {
            var item = ""
            var quoted = false
            if scalars[index] == "\"" {
                quoted = true
                index += 1
                while index < end, scalars[index] != "\"" {
                    if scalars[index] == "\\" { index += 1 }
                    item.unicodeScalars.append(scalars[index])
                    index += 1
                }
                index += 1
            } else {
                while index < end, scalars[index] != "," {
                    item.unicodeScalars.append(scalars[index])
                    index += 1
                }
            }
            items.append(!quoted && item == "NULL" ? nil : item)
            index += 1  // the comma
        }
        return items
    }
}

/// Timestamps in PostgreSQL's ISO text form, in UTC (every connection runs with TimeZone=UTC).
package enum PostgresTimestamp {
    /// `date` as `YYYY-MM-DD HH:MM:SS.ffffff+00`, in UTC.
    package static func format(_ date: Date) -> String {
        let totalMicros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        var seconds = time_t(totalMicros >= 0 ? totalMicros / 1_000_000 : (totalMicros - 999_999) / 1_000_000)
        let micros = Int(totalMicros - Int64(seconds) * 1_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d.%06d+00", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), micros)
    }

    /// Parses `2026-11-22 07:48:59.123456+00` (fraction and offset minutes optional).
    package static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 19 else { return nil }
        func number(_ from: Int, _ count: Int) -> Int? {
            var value = 0
            for i in from..<(from + count) {
                guard i < bytes.count, (0x30...0x39).contains(bytes[i]) else { return nil }
                value = value * 10 + Int(bytes[i] - 0x30)
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
            let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2)
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < bytes.count, bytes[index] == 0x2E {
            index += 1
            var scale = 0.1
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) {
                fraction += Double(bytes[index] - 0x30) * scale
                scale /= 10
                index += 1
            }
        }
        var offsetSeconds = 0
        if index < bytes.count, bytes[index] == 0x2B || bytes[index] == 0x2D {
            let sign = bytes[index] == 0x2D ? -1 : 1
            guard let hours = number(index + 1, 2) else { return nil }
            var minutes = 0
            if index + 3 < bytes.count, bytes[index + 3] == 0x3A { minutes = number(index + 4, 2) ?? 0 }
            offsetSeconds = sign * (hours * 3600 + minutes * 60)
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let epoch = timegm(&parts)
        return Date(timeIntervalSince1970: Double(epoch - offsetSeconds) + fraction)
    }
}
