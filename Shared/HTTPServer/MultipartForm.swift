/// One part of a multipart/form-data body.
package struct FormPart: Sendable {
    package var name: String
    package var fileName: String?
    package var contentType: String?
    package var body: [UInt8]
}

/// A multipart/form-data parser (RFC 7578) for bodies already in memory.
package enum MultipartForm {
    /// The parts of `body`; throws 400 naming what is wrong.
    /// - Throws: `HTTPError` (400) naming what is wrong.
    package static func parse(_ body: [UInt8], contentType: String) throws -> [FormPart] {
        guard let boundary = parameter("boundary", in: contentType), !boundary.isEmpty, boundary.utf8.count <= 70 else {
            throw HTTPError.badRequest("multipart/form-data needs a boundary parameter", field: "Content-Type")
        }
        let delimiter = Array("--\(boundary)".utf8)
        var parts: [FormPart] = []
        guard var position = find(delimiter, in: body, from: 0) else {
            throw HTTPError.badRequest("the multipart body has no part")
        }
        while true {
            position += delimiter.count
            if body.count >= position + 2, body[position] == 0x2D, body[position + 1] == 0x2D { break }  // closing "--"
            guard let headersStart = find([0x0D, 0x0A], in: body, from: position).map({ $0 + 2 }),
                let headersEnd = find([0x0D, 0x0A, 0x0D, 0x0A], in: body, from: headersStart),
                let next = find([0x0D, 0x0A] + delimiter, in: body, from: headersEnd + 4)
            else {
                throw HTTPError.badRequest("the multipart body is truncated or malformed")
            }
            var name: String?, fileName: String?, partType: String?
            for line in String(decoding: body[headersStart..<headersEnd], as: UTF8.self).components(separatedBy: "\r\n")
            {
                let lowered = line.lowercased()
                if lowered.hasPrefix("content-disposition:") {
                    name = parameter("name", in: line)
                    fileName = parameter("filename", in: line)
                } else if lowered.hasPrefix("content-type:") {
                    partType = String(line.dropFirst("content-type:".count)).trimmingCharacters(in: .whitespaces)
                }
            }
            guard let name else { throw HTTPError.badRequest("a multipart part has no name") }
            parts.append(
                FormPart(
                    name: name, fileName: fileName, contentType: partType, body: Array(body[(headersEnd + 4)..<next])))
            position = next + 2
        }
        return parts
    }

    /// The value of `name=` (quoted or not) in a header value such as `form-data; name="file"`.
    static func parameter(_ name: String, in header: String) -> String? {
        for piece in header.split(separator: ";").dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == name else { continue }
            var value = pair[1].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 {
                value = String(value.dropFirst().dropLast())
            }
            return value
        }
        return nil
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else {
            return nil
        }
        let first = needle[0]
        var index = start
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first && haystack[index..<(index + needle.count)].elementsEqual(needle) {
                return index
            }
            index += 1
        }
        return nil
    }
}

import Foundation
