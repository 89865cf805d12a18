/// A small XML reader for the documents Dakiya takes (CAP 1.2 alerts): elements with their namespace, attributes and
/// text. No DTD (a DOCTYPE is refused: no entity expansion), no external anything; the five predefined entities,
/// character references, CDATA sections, comments and processing instructions are understood.
package struct XMLElement: Sendable, Equatable {
    /// The local name (without its prefix).
    package var name: String
    /// The namespace URI the element is in ("" when none).
    package var namespace: String
    /// Attributes by their qualified name as written.
    package var attributes: [String: String]
    package var children: [XMLElement]
    /// The element's own character data, concatenated (CDATA included).
    package var text: String
    /// Where the element starts in the document, 1-based.
    package var line: Int

    /// The children named `name`, in order.
    package func children(named name: String) -> [XMLElement] { children.filter { $0.name == name } }
}

/// Why a document is not well-formed XML, with the line it was found on.
package struct XMLSyntaxError: Error, Equatable, CustomStringConvertible {
    package var line: Int
    package var message: String
    package var description: String { "line \(line): \(message)" }
}

/// Parses XML documents into `XMLElement` trees.
package enum XMLReader {
    /// The root element of `bytes`, which must be UTF-8.
    /// - Throws: `XMLSyntaxError` when the document is not UTF-8 or not well-formed, or has a DOCTYPE.
    package static func parse(_ bytes: [UInt8]) throws(XMLSyntaxError) -> XMLElement {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw XMLSyntaxError(line: 1, message: "the document is not UTF-8")
        }
        let scalars = Array(text.unicodeScalars)
        // XML 1.0's Char: no control characters but TAB and line breaks, no U+FFFE or U+FFFF.
        if let bad = scalars.firstIndex(where: { !isCharacter($0) }) {
            throw XMLSyntaxError(
                line: 1 + scalars[..<bad].count { $0 == "\n" },
                message: "U+\(String(scalars[bad].value, radix: 16, uppercase: true)) is not a character XML allows")
        }
        var parser = Parser(scalars)
        return try parser.document()
    }

    /// XML 1.0's `Char` production.
    static func isCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x9, 0xA, 0xD, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: true
        default: false
        }
    }

    private struct Parser {
        let input: [Unicode.Scalar]
        var index = 0
        var line = 1

        init(_ input: [Unicode.Scalar]) { self.input = input }

        var atEnd: Bool { index >= input.count }

        func fail(_ message: String) -> XMLSyntaxError { XMLSyntaxError(line: line, message: message) }

        func peek(_ literal: String) -> Bool {
            var at = index
            for scalar in literal.unicodeScalars {
                guard at < input.count, input[at] == scalar else { return false }
                at += 1
            }
            return true
        }

        mutating func advance(_ count: Int = 1) {
            for _ in 0..<count where index < input.count {
                if input[index] == "\n" { line += 1 }
                index += 1
            }
        }

        mutating func skipWhitespace() {
            while !atEnd, Self.isSpace(input[index]) { advance() }
        }

        static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
            scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r"
        }

        static func isNameCharacter(_ scalar: Unicode.Scalar) -> Bool {
            scalar.properties.isAlphabetic || scalar.properties.numericType != nil || scalar == "_" || scalar == "-"
                || scalar == "." || scalar == ":"
        }

        /// Skips until just after `terminator`.
        mutating func skip(past terminator: String, what: String) throws(XMLSyntaxError) {
            while !atEnd {
                if peek(terminator) {
                    advance(terminator.unicodeScalars.count)
                    return
                }
                advance()
            }
            throw fail("\(what) is not closed")
        }

        /// Comments, processing instructions and whitespace between markup outside the root.
        mutating func skipMisc() throws(XMLSyntaxError) {
            while true {
                skipWhitespace()
                if peek("<!--") {
                    try skip(past: "-->", what: "a comment")
                } else if peek("<?") {
                    try skip(past: "?>", what: "a processing instruction")
                } else if peek("<!DOCTYPE") || peek("<!doctype") {
                    throw fail("a DOCTYPE is not accepted")
                } else {
                    return
                }
            }
        }

        mutating func document() throws(XMLSyntaxError) -> XMLElement {
            if peek("\u{FEFF}") { advance() }
            try skipMisc()
            guard peek("<") else { throw fail("the document does not start with an element") }
            let root = try element(namespaces: ["xml": "http://www.w3.org/XML/1998/namespace"])
            try skipMisc()
            guard atEnd else { throw fail("content after the root element") }
            return root
        }

        mutating func name() throws(XMLSyntaxError) -> String {
            let start = index
            while !atEnd, Self.isNameCharacter(input[index]) { advance() }
            guard index > start else { throw fail("a name was expected") }
            return String(String.UnicodeScalarView(input[start..<index]))
        }

        mutating func element(namespaces inherited: [String: String]) throws(XMLSyntaxError) -> XMLElement {
            let startLine = line
            advance()  // <
            let qualified = try name()
            var attributes: [String: String] = [:]
            while true {
                let hadSpace = !atEnd && Self.isSpace(input[index])
                skipWhitespace()
                if atEnd { throw fail("the start tag of \(qualified) is not closed") }
                if peek("/>") || peek(">") { break }
                guard hadSpace else { throw fail("a space is needed before an attribute of \(qualified)") }
                let attribute = try name()
                skipWhitespace()
                guard peek("=") else { throw fail("attribute \(attribute) of \(qualified) has no value") }
                advance()
                skipWhitespace()
                guard !atEnd, input[index] == "\"" || input[index] == "'" else {
                    throw fail("the value of attribute \(attribute) is not quoted")
                }
                let quote = input[index]
                advance()
                var value = ""
                while true {
                    if atEnd { throw fail("the value of attribute \(attribute) is not closed") }
                    let scalar = input[index]
                    if scalar == quote { break }
                    if scalar == "<" { throw fail("'<' in the value of attribute \(attribute)") }
                    if scalar == "&" {
                        value.unicodeScalars.append(contentsOf: try reference())
                    } else {
                        value.unicodeScalars.append(scalar)
                        advance()
                    }
                }
                advance()
                guard attributes[attribute] == nil else { throw fail("attribute \(attribute) is given twice") }
                attributes[attribute] = value
            }
            var namespaces = inherited
            for (attribute, value) in attributes {
                if attribute == "xmlns" { namespaces[""] = value }
                if attribute.hasPrefix("xmlns:") { namespaces[String(attribute.dropFirst(6))] = value }
            }
            let parts = qualified.split(separator: ":", maxSplits: 1).map(String.init)
            let (prefix, local) = parts.count == 2 ? (parts[0], parts[1]) : ("", qualified)
            guard let namespace = namespaces[prefix] ?? (prefix.isEmpty ? "" : nil) else {
                throw fail("prefix \(prefix) of \(qualified) is not declared")
            }
            var result = XMLElement(
                name: local, namespace: namespace, attributes: attributes, children: [], text: "", line: startLine)
            if peek("/>") {
                advance(2)
                return result
            }
            advance()  // >
            while true {
                if atEnd { throw fail("element \(qualified) is not closed") }
                if peek("</") {
                    advance(2)
                    let closing = try name()
                    guard closing == qualified else {
                        throw fail("</\(closing)> closes <\(qualified)> (opened on line \(startLine))")
                    }
                    skipWhitespace()
                    guard peek(">") else { throw fail("the end tag of \(qualified) is not closed") }
                    advance()
                    return result
                } else if peek("<!--") {
                    try skip(past: "-->", what: "a comment")
                } else if peek("<![CDATA[") {
                    advance(9)
                    let start = index
                    try skip(past: "]]>", what: "a CDATA section")
                    result.text.unicodeScalars.append(contentsOf: input[start..<(index - 3)])
                } else if peek("<?") {
                    try skip(past: "?>", what: "a processing instruction")
                } else if peek("<!") {
                    throw fail("a declaration inside an element is not accepted")
                } else if peek("<") {
                    result.children.append(try element(namespaces: namespaces))
                } else if peek("&") {
                    result.text.unicodeScalars.append(contentsOf: try reference())
                } else {
                    result.text.unicodeScalars.append(input[index])
                    advance()
                }
            }
        }

        /// An entity or character reference, from its `&`.
        mutating func reference() throws(XMLSyntaxError) -> [Unicode.Scalar] {
            advance()  // &
            let start = index
            while !atEnd, input[index] != ";" {
                if index - start > 10 { throw fail("an '&' that starts no reference (write &amp;)") }
                advance()
            }
            guard !atEnd else { throw fail("an '&' that starts no reference (write &amp;)") }
            let body = String(String.UnicodeScalarView(input[start..<index]))
            advance()  // ;
            switch body {
            case "lt": return ["<"]
            case "gt": return [">"]
            case "amp": return ["&"]
            case "quot": return ["\""]
            case "apos": return ["'"]
            default:
                var number: UInt32?
                if body.hasPrefix("#x") {
                    number = UInt32(body.dropFirst(2), radix: 16)
                } else if body.hasPrefix("#") {
                    number = UInt32(body.dropFirst(), radix: 10)
                }
                guard let number, let scalar = Unicode.Scalar(number), XMLReader.isCharacter(scalar) else {
                    throw fail("unknown reference &\(body);")
                }
                return [scalar]
            }
        }
    }
}
