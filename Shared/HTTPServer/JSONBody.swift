import Foundation

/// Reads request bodies as strict JSON: what a handler gets is exactly what was sent, or the request is refused
/// naming the field. One place for every JSON body of every service:
/// - RFC 8259 syntax only (no trailing commas, no comments), valid UTF-8, no lone surrogates, no key twice in an
///   object, at most 64 levels deep: otherwise 400.
/// - No C0 control character (U+0000–U+001F) or DEL in any string or key, except TAB, LF and CR in the fields
///   the caller names as free text: otherwise 422 naming every such field.
/// - A value that does not fit its field (a wrong type, an integer out of range or with a fraction, a date
///   without an offset) is 400 naming the field and what was expected.
/// - A field the request type does not have is 422 naming it: a misspelt `langauge` never falls back silently.
package enum JSONBody {
    /// Decodes `bytes` into `type`. `freeText` names the fields (dotted, without array indices: `reasons`,
    /// `consents.source`) whose strings may hold TAB, LF and CR.
    /// - Throws: `HTTPError`: 400 naming the field for a body that does not fit `type`, 422 for an unknown field or a control character.
    package static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], freeText: Set<String> = []) throws
        -> T
    {
        guard !bytes.isEmpty else { throw HTTPError.badRequest("a JSON body is required") }
        let root: JSONNode
        let mayHoldControls: Bool
        do {
            var parser = JSONParser(bytes)
            root = try parser.parseDocument()
            mayHoldControls = parser.sawControlCharacter
        } catch let error as JSONSyntaxError {
            throw HTTPError.badRequest("the body is not valid JSON: \(error.reason) at byte \(error.offset)")
        }
        // The parser has seen every string byte once; only a body with a control character is walked again to name them.
        let controls = mayHoldControls ? controlCharacterFields(root, path: "", freeText: freeText) : []
        if !controls.isEmpty {
            throw HTTPError(
                status: 422, detail: "control characters are not allowed in " + controls.joined(separator: ", "),
                type: "urn:dakiya:problem:control-character",
                errors: controls.map {
                    FieldProblem(
                        field: $0,
                        detail: "\($0) contains a control character (U+0000 to U+001F or U+007F)"
                            + (freeText.contains(indexFree($0)) ? "; only TAB, LF and CR are allowed here" : ""))
                })
        }
        let usage = KeyUsage()
        let value: T
        do {
            value = try StrictDecoder(node: root, codingPath: [], usage: usage).unbox(root, as: T.self, path: [])
        } catch let error as FieldError {
            throw HTTPError.badRequest(error.detail, field: error.field.isEmpty ? nil : error.field)
        } catch let error as DecodingError {
            throw Request.problem(for: error)
        }
        let unknown = usage.unknownFields()
        if !unknown.isEmpty {
            throw HTTPError(
                status: 422,
                detail: "unknown field" + (unknown.count == 1 ? " " : "s ") + unknown.joined(separator: ", "),
                type: "urn:dakiya:problem:unknown-field",
                errors: unknown.map { FieldProblem(field: $0, detail: "\($0) is not a field of this request") })
        }
        return value
    }

    /// A dotted field path without its array indices: `consents[2].source` → `consents.source`.
    static func indexFree(_ path: String) -> String {
        var out = ""
        var skipping = false
        for character in path {
            if character == "[" {
                skipping = true
            } else if character == "]" {
                skipping = false
            } else if !skipping {
                out.append(character)
            }
        }
        return out
    }

    static func isRefused(_ scalar: Unicode.Scalar, freeText: Bool) -> Bool {
        let value = scalar.value
        guard value < 0x20 || value == 0x7F else { return false }
        return !(freeText && (value == 0x09 || value == 0x0A || value == 0x0D))
    }

    static func controlCharacterFields(_ node: JSONNode, path: String, freeText: Set<String>) -> [String] {
        switch node {
        case .string(let text):
            // C0 and DEL are single bytes in UTF-8 and never part of a longer sequence: checking bytes is exact.
            let allowed = freeText.contains(indexFree(path))
            let refused = text.utf8.contains { byte in
                (byte < 0x20 || byte == 0x7F) && !(allowed && (byte == 0x09 || byte == 0x0A || byte == 0x0D))
            }
            return refused ? [path.isEmpty ? "the body" : path] : []
        case .array(let items):
            return items.enumerated().flatMap { controlCharacterFields($1, path: "\(path)[\($0)]", freeText: freeText) }
        case .object(let object):
            return object.keys.flatMap { key -> [String] in
                let field = path.isEmpty ? key : "\(path).\(key)"
                if key.unicodeScalars.contains(where: { isRefused($0, freeText: false) }) { return [field] }
                return controlCharacterFields(object.values[key]!, path: field, freeText: freeText)
            }
        default:
            return []
        }
    }
}

// MARK: The document

/// A parsed JSON value. Numbers keep their text, so an integer is checked against its type's range exactly.
indirect enum JSONNode {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONNode])
    case object(JSONObject)

    var kind: String {
        switch self {
        case .null: "null"
        case .bool: "true or false"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// An object's members in the order sent.
struct JSONObject {
    var keys: [String] = []
    var values: [String: JSONNode] = [:]
}

struct JSONSyntaxError: Error {
    var reason: String
    var offset: Int
}

/// RFC 8259, nothing more.
struct JSONParser {
    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0
    static let maximumDepth = 64
    /// True once a string or key holds a C0 control character (escaped) or DEL.
    private(set) var sawControlCharacter = false

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func parseDocument() throws -> JSONNode {
        // A UTF-8 byte order mark is not JSON text (RFC 8259 §8.1 lets a parser ignore it; we ask for plain text).
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        guard index == bytes.count else { throw fail("unexpected text after the JSON value") }
        return value
    }

    private func fail(_ reason: String) -> JSONSyntaxError { JSONSyntaxError(reason: reason, offset: index) }

    private mutating func skipWhitespace() {
        while index < bytes.count,
            bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09
        { index += 1 }
    }

    private mutating func parseValue() throws -> JSONNode {
        guard index < bytes.count else { throw fail("the body ends before a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try nested { try $0.parseObject() }
        case UInt8(ascii: "["): return try nested { try $0.parseArray() }
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw fail("unexpected character")
        }
    }

    private mutating func nested(_ parse: (inout JSONParser) throws -> JSONNode) throws -> JSONNode {
        depth += 1
        guard depth <= Self.maximumDepth else { throw fail("nested more than \(Self.maximumDepth) levels deep") }
        defer { depth -= 1 }
        return try parse(&self)
    }

    private mutating func literal(_ word: StaticString) throws {
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard index + expected.count <= bytes.count, bytes[index..<index + expected.count].elementsEqual(expected)
        else { throw fail("unexpected character") }
        index += expected.count
    }

    private mutating func parseObject() throws -> JSONNode {
        index += 1
        var object = JSONObject()
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(object) }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw fail("expected a field name in quotes")
            }
            let keyOffset = index
            let key = try parseString()
            guard object.values[key] == nil else {
                throw JSONSyntaxError(reason: "the field \"\(key)\" appears twice in one object", offset: keyOffset)
            }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw fail("expected ':' after a field name")
            }
            index += 1
            skipWhitespace()
            object.keys.append(key)
            object.values[key] = try parseValue()
            skipWhitespace()
            guard index < bytes.count else { throw fail("the body ends inside an object") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(object) }
            throw fail("expected ',' or '}' in an object")
        }
    }

    private mutating func parseArray() throws -> JSONNode {
        index += 1
        var items: [JSONNode] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw fail("the body ends inside an array") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            throw fail("expected ',' or ']' in an array")
        }
    }

    /// A string's bytes are validated as UTF-8 once, at its end: a string without escapes (a base64 certificate, say)
    /// is one slice of the body, never copied scalar by scalar.
    private mutating func parseString() throws -> String {
        index += 1
        let start = index
        var buffer: [UInt8]?  // only once an escape is seen
        var runStart = index
        while true {
            guard index < bytes.count else { throw fail("the body ends inside a string") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text: String?
                if var escaped = buffer {
                    escaped.append(contentsOf: bytes[runStart..<index])
                    text = String(validating: escaped, as: UTF8.self)
                } else {
                    text = String(validating: bytes[start..<index], as: UTF8.self)
                }
                guard let text else { throw JSONSyntaxError(reason: "a string is not valid UTF-8", offset: start) }
                index += 1
                return text
            }
            if byte < 0x20 { throw fail("a control character inside a string must be escaped") }
            if byte == 0x7F { sawControlCharacter = true }
            if byte != UInt8(ascii: "\\") {
                index += 1
                continue
            }
            var escaped = buffer ?? []
            escaped.append(contentsOf: bytes[runStart..<index])
            index += 1
            guard index < bytes.count else { throw fail("the body ends inside a string") }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): escaped.append(escape)
            case UInt8(ascii: "b"): escaped.append(control(0x08))
            case UInt8(ascii: "f"): escaped.append(control(0x0C))
            case UInt8(ascii: "n"): escaped.append(control(0x0A))
            case UInt8(ascii: "r"): escaped.append(control(0x0D))
            case UInt8(ascii: "t"): escaped.append(control(0x09))
            case UInt8(ascii: "u"):
                let high = try hex4()
                var value = high
                if (0xD800...0xDBFF).contains(high) {
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                        bytes[index + 1] == UInt8(ascii: "u")
                    else {
                        throw fail("a lone surrogate in a \\u escape")
                    }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw fail("a lone surrogate in a \\u escape") }
                    value = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(high) {
                    throw fail("a lone surrogate in a \\u escape")
                }
                guard let scalar = Unicode.Scalar(value) else { throw fail("an invalid \\u escape") }
                if value < 0x20 || value == 0x7F { sawControlCharacter = true }
                _ = UTF8.encode(scalar) { escaped.append($0) }
            default:
                throw fail("an invalid escape in a string")
            }
            buffer = escaped
            runStart = index
        }
    }

    /// An escaped control character: noted, so the body is checked for where control characters are allowed.
    private mutating func control(_ byte: UInt8) -> UInt8 {
        sawControlCharacter = true
        return byte
    }

    private mutating func hex4() throws -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail("an invalid \\u escape") }
        var value: UInt32 = 0
        for byte in bytes[index..<index + 4] {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw fail("an invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
        }
        index += 4
        return value
    }

    private mutating func parseNumber() throws -> String {
        let start = index
        func digits(_ parser: inout JSONParser) -> Int {
            let from = parser.index
            while parser.index < parser.bytes.count,
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(parser.bytes[parser.index])
            { parser.index += 1 }
            return parser.index - from
        }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count else { throw fail("a number ends early") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if digits(&self) == 0 {
            throw fail("a number needs digits")
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits(&self) > 0 else { throw fail("a number needs digits after '.'") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard digits(&self) > 0 else { throw fail("a number needs digits in its exponent") }
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }
}

// MARK: Decoding

/// A decoding failure that names its field and what was expected.
struct FieldError: Error {
    var field: String
    var detail: String
}

/// Which keys of which objects the request type asked for; the rest are unknown fields.
final class KeyUsage {
    private var objects: [(path: String, keys: [String])] = []
    private var asked: [String: Set<String>] = [:]

    func opened(_ path: String, keys: [String]) {
        if asked[path] == nil { objects.append((path, keys)); asked[path] = [] }
    }

    func ask(_ path: String, _ key: String) { asked[path, default: []].insert(key) }

    func unknownFields() -> [String] {
        objects.flatMap { object in
            object.keys.filter { !(asked[object.path]?.contains($0) ?? false) }.map {
                object.path.isEmpty ? $0 : "\(object.path).\($0)"
            }
        }
    }
}

func fieldPath(_ keys: [any CodingKey]) -> String {
    var out = ""
    for key in keys {
        if let index = key.intValue { out += "[\(index)]" } else { out += (out.isEmpty ? "" : ".") + key.stringValue }
    }
    return out
}

struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { "\(intValue ?? 0)" }
    init(_ index: Int) { intValue = index }
    init?(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { return nil }
}

struct StrictDecoder: Decoder {
    let node: JSONNode
    let codingPath: [any CodingKey]
    let usage: KeyUsage
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(node: JSONNode, codingPath: [any CodingKey], usage: KeyUsage) {
        self.node = node
        self.codingPath = codingPath
        self.usage = usage
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let object) = node else { throw mismatch("an object", node, codingPath) }
        usage.opened(fieldPath(codingPath), keys: object.keys)
        return KeyedDecodingContainer(StrictKeyedContainer<Key>(object: object, codingPath: codingPath, decoder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let items) = node else { throw mismatch("an array", node, codingPath) }
        return StrictUnkeyedContainer(items: items, codingPath: codingPath, decoder: self)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { StrictSingleValue(decoder: self) }

    func mismatch(_ expected: String, _ node: JSONNode, _ path: [any CodingKey]) -> FieldError {
        let field = fieldPath(path)
        return FieldError(
            field: field, detail: "\(field.isEmpty ? "the body" : field) must be \(expected), not \(node.kind)")
    }

    /// Decodes `node` at `path` as `type`: strings, booleans, numbers and dates are checked here; anything else
    /// decodes itself through a decoder over the node.
    func unbox<T: Decodable>(_ node: JSONNode, as type: T.Type, path: [any CodingKey]) throws -> T {
        let field = fieldPath(path)
        let name = field.isEmpty ? "the body" : field
        if type == String.self {
            guard case .string(let text) = node else { throw mismatch("a string", node, path) }
            return text as! T
        }
        if type == Bool.self {
            guard case .bool(let flag) = node else { throw mismatch("true or false", node, path) }
            return flag as! T
        }
        if type == Date.self {
            guard case .string(let text) = node else { throw mismatch("a date-time string", node, path) }
            guard let date = RFC3339.date(text) else {
                throw FieldError(
                    field: field,
                    detail: "\(name) must be a date-time with a UTC offset (RFC 3339), e.g. 2026-11-01T10:00:00+05:30")
            }
            return date as! T
        }
        if type == Decimal.self {
            guard case .number(let text) = node else { throw mismatch("a number", node, path) }
            // Exact for ordinary decimals (12.50); a number beyond Decimal's exponent range goes through Double.
            if let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")), !value.isNaN {
                return value as! T
            }
            guard let double = Double(text), double.isFinite else {
                throw FieldError(field: field, detail: "\(name) is out of range")
            }
            return Decimal(double) as! T
        }
        if type == Double.self {
            guard case .number(let text) = node else { throw mismatch("a number", node, path) }
            guard let value = Double(text), value.isFinite else {
                throw FieldError(field: field, detail: "\(name) is out of range")
            }
            return value as! T
        }
        if let integer = type as? any FixedWidthInteger.Type {
            guard case .number(let text) = node else { throw mismatch("an integer", node, path) }
            guard let value = Self.integer(text, as: integer) else {
                throw FieldError(
                    field: field, detail: "\(name) must be an integer from \(integer.min) to \(integer.max)")
            }
            return value as! T
        }
        return try T(from: StrictDecoder(node: node, codingPath: path, usage: usage))
    }

    /// An integer as JSON Schema counts one: `7`, or a number with no fractional part such as `7.0` or `7e2`.
    static func integer<I: FixedWidthInteger>(_ text: String, as type: I.Type) -> I? {
        if let value = I(text, radix: 10) { return value }
        guard let value = Double(text), value.isFinite, value == value.rounded(), abs(value) < 9_007_199_254_740_992
        else { return nil }
        return I(exactly: value)
    }
}

struct StrictKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let object: JSONObject
    let codingPath: [any CodingKey]
    let decoder: StrictDecoder
    private var path: String { fieldPath(codingPath) }

    init(object: JSONObject, codingPath: [any CodingKey], decoder: StrictDecoder) {
        self.object = object
        self.codingPath = codingPath
        self.decoder = decoder
    }

    var allKeys: [Key] {
        object.keys.compactMap { key in
            decoder.usage.ask(path, key)
            return Key(stringValue: key)
        }
    }

    func contains(_ key: Key) -> Bool {
        decoder.usage.ask(path, key.stringValue)
        return object.values[key.stringValue] != nil
    }

    private func value(_ key: Key) throws -> JSONNode {
        decoder.usage.ask(path, key.stringValue)
        guard let node = object.values[key.stringValue] else {
            let field = fieldPath(codingPath + [key])
            throw FieldError(field: field, detail: "\(field) is required")
        }
        return node
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        if case .null = try value(key) { return true }
        return false
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try decoder.unbox(try value(key), as: type, path: codingPath + [key])
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        decoder.usage.ask(path, key.stringValue)
        guard let node = object.values[key.stringValue] else { return nil }
        if case .null = node { return nil }
        return try decoder.unbox(node, as: type, path: codingPath + [key])
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try StrictDecoder(node: try value(key), codingPath: codingPath + [key], usage: decoder.usage).container(
            keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try StrictDecoder(node: try value(key), codingPath: codingPath + [key], usage: decoder.usage).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { decoder }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        StrictDecoder(node: try value(key), codingPath: codingPath + [key], usage: decoder.usage)
    }
}

struct StrictUnkeyedContainer: UnkeyedDecodingContainer {
    let items: [JSONNode]
    let codingPath: [any CodingKey]
    let decoder: StrictDecoder
    var currentIndex = 0
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    init(items: [JSONNode], codingPath: [any CodingKey], decoder: StrictDecoder) {
        self.items = items
        self.codingPath = codingPath
        self.decoder = decoder
    }

    private mutating func next() throws -> (JSONNode, [any CodingKey]) {
        guard !isAtEnd else {
            let field = fieldPath(codingPath)
            throw FieldError(field: field, detail: "\(field.isEmpty ? "the body" : field) has too few items")
        }
        defer { currentIndex += 1 }
        return (items[currentIndex], codingPath + [IndexKey(currentIndex)])
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, case .null = items[currentIndex] else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (node, path) = try next()
        return try decoder.unbox(node, as: type, path: path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<
        NestedKey
    > {
        let (node, path) = try next()
        return try StrictDecoder(node: node, codingPath: path, usage: decoder.usage).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (node, path) = try next()
        return try StrictDecoder(node: node, codingPath: path, usage: decoder.usage).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (node, path) = try next()
        return StrictDecoder(node: node, codingPath: path, usage: decoder.usage)
    }
}

struct StrictSingleValue: SingleValueDecodingContainer {
    let decoder: StrictDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }

    func decodeNil() -> Bool {
        if case .null = decoder.node { return true }
        return false
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try decoder.unbox(decoder.node, as: type, path: codingPath)
    }
}

/// RFC 3339 date-times (`2026-11-01T10:00:00+05:30`, `…Z`, with or without a fraction); the offset is required.
package enum RFC3339 {
    /// The instant `text` names, or nil when it is not an RFC 3339 date-time with an offset.
    package static func date(_ text: String) -> Date? {
        let b = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var value = 0
            for byte in b[from..<from + count] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard b.count >= 20, let year = number(0, 4), b[4] == UInt8(ascii: "-"), let month = number(5, 2),
            b[7] == UInt8(ascii: "-"),
            let day = number(8, 2), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"),
            let hour = number(11, 2), b[13] == UInt8(ascii: ":"), let minute = number(14, 2),
            b[16] == UInt8(ascii: ":"),
            let second = number(17, 2)
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < b.count, b[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < b.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[index]) { index += 1 }
            guard index > start else { return nil }
            fraction = Double("0." + String(decoding: b[start..<min(index, start + 9)], as: UTF8.self)) ?? 0
        }
        guard index < b.count else { return nil }
        var offset = 0
        if b[index] == UInt8(ascii: "Z") || b[index] == UInt8(ascii: "z") {
            index += 1
        } else if b[index] == UInt8(ascii: "+") || b[index] == UInt8(ascii: "-") {
            guard let offsetHours = number(index + 1, 2), index + 3 < b.count, b[index + 3] == UInt8(ascii: ":"),
                let offsetMinutes = number(index + 4, 2), offsetHours <= 23, offsetMinutes <= 59
            else { return nil }
            offset = (offsetHours * 60 + offsetMinutes) * 60 * (b[index] == UInt8(ascii: "-") ? -1 : 1)
            index += 6
        } else {
            return nil
        }
        // A leap second (:60) is a valid RFC 3339 time; it counts as the first second of the next minute.
        guard index == b.count, (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
            hour <= 23, minute <= 59, second <= 60
        else { return nil }
        let days = daysFromEpoch(year: year, month: month, day: day)
        let seconds = Double(days * 86_400 + hour * 3600 + minute * 60 + second - offset) + fraction
        return Date(timeIntervalSince1970: seconds)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to the proleptic Gregorian date (Howard Hinnant's days_from_civil).
    static func daysFromEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
