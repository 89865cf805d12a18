import Foundation

/// A log entry's value, serialised as RFC 8785 (JSON Canonicalization Scheme): object members sorted by their
/// names' UTF-16 code units, no insignificant white space, strings escaped as ECMAScript's JSON.stringify does.
/// Numbers are integers only (within ±2^53, where JCS and every JSON reader agree); a log entry has no need for
/// fractions, and leaving them out leaves out JCS's one hard part.
package indirect enum CanonicalJSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case string(String)
    case array([CanonicalJSON])
    case object([String: CanonicalJSON])

    /// The largest magnitude an integer may have: 2^53 − 1.
    package static let maximumInteger: Int64 = (1 << 53) - 1

    /// Why a value cannot be serialised.
    package struct Unrepresentable: Error, Sendable, Equatable {
        /// What is wrong (an integer beyond ±2^53 − 1).
        package var reason: String
    }

    /// The canonical UTF-8 bytes.
    /// - Throws: `Unrepresentable` for an integer beyond ±2^53 − 1.
    package func bytes() throws -> [UInt8] {
        var out: [UInt8] = []
        try write(into: &out)
        return out
    }

    /// The canonical text.
    /// - Throws: `Unrepresentable` for an integer beyond ±2^53 − 1.
    package func text() throws -> String { String(decoding: try bytes(), as: UTF8.self) }

    private func write(into out: inout [UInt8]) throws {
        switch self {
        case .null: out += Array("null".utf8)
        case .bool(let value): out += Array((value ? "true" : "false").utf8)
        case .integer(let value):
            guard value.magnitude <= UInt64(Self.maximumInteger) else {
                throw Unrepresentable(reason: "integer \(value) is beyond ±2^53 − 1")
            }
            out += Array(String(value).utf8)
        case .string(let value): Self.writeString(value, into: &out)
        case .array(let values):
            out.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                try value.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            let names = members.keys.sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }
            for (index, name) in names.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(name, into: &out)
                out.append(UInt8(ascii: ":"))
                try members[name]?.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func writeString(_ value: String, into out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x08: out += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0C: out += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x00..<0x20:
                out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

extension CanonicalJSON: Decodable {
    /// Reads any JSON value whose numbers are integers (a fraction or an exponent is refused).
    /// - Throws: `DecodingError` when the value is not such JSON.
    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([CanonicalJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: CanonicalJSON].self))
        }
    }

    /// Whether `bytes` are already the canonical form of the JSON they hold (an auditor's check on every entry).
    package static func isCanonical(_ bytes: [UInt8]) -> Bool {
        guard let value = try? JSONDecoder().decode(CanonicalJSON.self, from: Data(bytes)) else { return false }
        return (try? value.bytes()) == bytes
    }
}
