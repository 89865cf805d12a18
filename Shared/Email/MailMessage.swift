import Foundation

/// An email to compose: text and HTML alternatives, and attachments (a certificate, and its verification slip).
package struct MailMessage: Sendable {
    /// A mailbox: the address and an optional display name.
    package struct Address: Sendable, Equatable {
        package var email: String
        package var name: String?
        /// `email` with an optional display `name`.
        package init(_ email: String, name: String? = nil) {
            self.email = email
            self.name = name
        }
    }

    /// A file attached to the message (a certificate PDF).
    package struct Attachment: Sendable {
        package var fileName: String
        package var mediaType: String
        package var bytes: [UInt8]
        /// A file with the name the recipient sees and its media type.
        package init(fileName: String, mediaType: String, bytes: [UInt8]) {
            self.fileName = fileName
            self.mediaType = mediaType
            self.bytes = bytes
        }
    }

    package var from: Address
    package var to: Address
    package var replyTo: Address?
    package var subject: String
    package var text: String
    package var html: String
    package var attachments: [Attachment]
    /// Without angle brackets, e.g. `attempt-42.7f3c@dakiya.local`.
    package var messageID: String
    package var date: Date

    /// A message with its headers' values, its text and HTML bodies and its attachments, in order.
    package init(
        from: Address, to: Address, replyTo: Address? = nil, subject: String, text: String, html: String,
        attachments: [Attachment] = [], messageID: String, date: Date = Date()
    ) {
        self.from = from
        self.to = to
        self.replyTo = replyTo
        self.subject = subject
        self.text = text
        self.html = html
        self.attachments = attachments
        self.messageID = messageID
        self.date = date
    }
}

/// Builds RFC 5322 / MIME bytes: CRLF line ends, RFC 2047 encoded headers, RFC 2231 file names,
/// multipart/mixed around a multipart/alternative (text first, HTML last, as clients prefer the last).
package enum MailComposer {
    /// The RFC 5322 bytes of `message`: multipart/mixed around text and HTML alternatives and the attachments, RFC 2047 subjects, RFC 2231 file names, CRLF line ends. `boundarySeed` makes the boundaries repeatable in tests.
    package static func compose(_ message: MailMessage, boundarySeed: String = UUID().uuidString) -> [UInt8] {
        let seed = boundarySeed.replacingOccurrences(of: "-", with: "").lowercased()
        let mixed = "=_dakiya_mixed_\(seed)"
        let alternative = "=_dakiya_alt_\(seed)"
        var out = ""
        out += "From: \(address(message.from))\r\n"
        out += "To: \(address(message.to))\r\n"
        if let replyTo = message.replyTo { out += "Reply-To: \(address(replyTo))\r\n" }
        out += "Subject: \(encodedWords(message.subject))\r\n"
        out += "Date: \(rfc5322Date(message.date))\r\n"
        out += "Message-ID: <\(message.messageID)>\r\n"
        out += "MIME-Version: 1.0\r\n"
        var alternativePart = "Content-Type: multipart/alternative; boundary=\"\(alternative)\"\r\n\r\n"
        alternativePart += "--\(alternative)\r\n" + textPart(message.text, subtype: "plain")
        alternativePart += "--\(alternative)\r\n" + textPart(message.html, subtype: "html")
        alternativePart += "--\(alternative)--\r\n"
        if !message.attachments.isEmpty {
            out += "Content-Type: multipart/mixed; boundary=\"\(mixed)\"\r\n\r\n"
            out += "This is a MIME message.\r\n"
            out += "--\(mixed)\r\n" + alternativePart
            for attachment in message.attachments {
                out += "--\(mixed)\r\n"
                let fallback = asciiFileName(attachment.fileName)
                out += "Content-Type: \(attachment.mediaType); name=\"\(fallback)\"\r\n"
                // RFC 2231 first: parsers that know it take it; the others find the ASCII stand-in.
                out += "Content-Disposition: attachment"
                if fallback != attachment.fileName {
                    out += ";\r\n filename*=UTF-8''\(percentEncoded(attachment.fileName))"
                }
                out += ";\r\n filename=\"\(fallback)\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                out += base64Lines(attachment.bytes)
            }
            out += "--\(mixed)--\r\n"
        } else {
            out += alternativePart
        }
        return Array(out.utf8)
    }

    static func textPart(_ text: String, subtype: String) -> String {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n")
        return "Content-Type: text/\(subtype); charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + base64Lines(Array(normalized.utf8))
    }

    /// Base64 in lines of 76 characters, each ending in CRLF.
    static func base64Lines(_ bytes: [UInt8]) -> String {
        let encoded = Data(bytes).base64EncodedString()
        var out = ""
        out.reserveCapacity(encoded.count + encoded.count / 76 * 2 + 2)
        var index = encoded.startIndex
        while index < encoded.endIndex {
            let end = encoded.index(index, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex
            out += encoded[index..<end] + "\r\n"
            index = end
        }
        return out
    }

    /// `text` as is when it is plain printable ASCII, else RFC 2047 encoded-words (base64, UTF-8) folded
    /// so no word exceeds 75 characters and no character is split across words.
    package static func encodedWords(_ text: String) -> String {
        if text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) && text.count <= 900 { return text }
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 45 {
                words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=") }
        return words.joined(separator: "\r\n ")
    }

    static func address(_ address: MailMessage.Address) -> String {
        guard let name = address.name, !name.isEmpty else { return "<\(address.email)>" }
        let plain = name.unicodeScalars.allSatisfy {
            $0.value >= 0x20 && $0.value < 0x7F && !"\"\\".unicodeScalars.contains($0)
        }
        return (plain ? "\"\(name)\"" : encodedWords(name)) + " <\(address.email)>"
    }

    /// RFC 2231 percent-encoding of UTF-8 (attribute-char set).
    static func percentEncoded(_ text: String) -> String {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+-.^_`|~".utf8)
        return text.utf8.map { allowed.contains($0) ? String(UnicodeScalar($0)) : String(format: "%%%02X", $0) }
            .joined()
    }

    /// An ASCII stand-in for clients that ignore RFC 2231: non-ASCII runs become `_`, the extension kept.
    package static func asciiFileName(_ name: String) -> String {
        var out = ""
        for scalar in name.unicodeScalars {
            if scalar.value >= 0x20 && scalar.value < 0x7F && scalar != "\"" && scalar != "\\" {
                out.unicodeScalars.append(scalar)
            } else if !out.hasSuffix("_") {
                out += "_"
            }
        }
        let stem = out.split(separator: ".").dropLast().joined(separator: ".")
        guard stem.contains(where: { $0.isLetter || $0.isNumber }) else {
            let suffix =
                name.split(separator: ".").count > 1 ? name.split(separator: ".").last.map { "." + $0 } ?? "" : ""
            return "document" + String(suffix).filter(\.isASCII)
        }
        return out
    }

    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}
