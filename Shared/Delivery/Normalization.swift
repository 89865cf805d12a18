/// Input normalisation shared by the API and the conversations.
package enum Normalization {
    /// Trims an application id and folds Devanagari (०-९) and Telugu (౦-౯) digits to ASCII.
    package static func applicationID(_ raw: String) -> String {
        var out = ""
        for scalar in raw.trimmingCharacters(in: .whitespacesAndNewlines).unicodeScalars {
            switch scalar.value {
            case 0x0966...0x096F: out.unicodeScalars.append(Unicode.Scalar(0x30 + scalar.value - 0x0966)!)
            case 0x0C66...0x0C6F: out.unicodeScalars.append(Unicode.Scalar(0x30 + scalar.value - 0x0C66)!)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A mobile number in E.164 (`+919876543210`), from common written forms: spaces, hyphens and
    /// parentheses are dropped, Indian digits folded, and a 10-digit Indian mobile gets +91.
    /// Nil when it cannot be a valid number.
    package static func mobile(_ raw: String) -> String? {
        var digits = applicationID(raw).filter { !" -().".contains($0) }
        if digits.hasPrefix("00") { digits = "+" + digits.dropFirst(2) }
        if digits.count == 10, let first = digits.first, "6789".contains(first), digits.allSatisfy(\.isASCIIDigit) {
            digits = "+91" + digits
        }
        guard digits.hasPrefix("+") else { return nil }
        let number = digits.dropFirst()
        guard (8...15).contains(number.count), number.allSatisfy(\.isASCIIDigit), number.first != "0" else {
            return nil
        }
        return digits
    }

    /// A plausible email address (one @, a dot in the domain, no spaces), lowercased domain.
    package static func email(_ raw: String) -> String? {
        let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
            !parts[1].hasSuffix("."),
            !trimmed.contains(where: \.isWhitespace), trimmed.count <= 254
        else { return nil }
        return parts[0] + "@" + parts[1].lowercased()
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

import Foundation
