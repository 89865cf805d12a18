import Delivery
import ServiceRuntime

/// One recipient of a broadcast, as a row of its audience file names them.
package struct AudienceRow: Sendable, Equatable {
    /// The line the row starts on (the header is line 1).
    package var line: Int
    /// The portal's id of the citizen (`citizen` column), when given.
    package var citizen: String?
    /// The mobile number in E.164 (`mobile` column, read as the portal API reads it: `Normalization.mobile`), when given.
    package var mobile: String?
    /// The email address (`email` column, `Normalization.email`), when given.
    package var email: String?
    /// Language code (`language` column), when given; else the citizen's own.
    package var language: String?
    /// The personalisation fields' names and values, in the same order. A file's rows share one names array (a
    /// million rows hold one copy), and a row keeps its values in an array, not a dictionary of its own.
    package var fieldNames: [String]
    package var fieldValues: [String]

    /// The personalisation fields, by column name.
    package var fields: [String: String] {
        Dictionary(zip(fieldNames, fieldValues), uniquingKeysWith: { first, _ in first })
    }

    /// The value of field `name`, if the row has it.
    package func field(_ name: String) -> String? {
        fieldNames.firstIndex(of: name).map { fieldValues[$0] }
    }

    /// A recipient from line `line`.
    package init(
        line: Int, citizen: String? = nil, mobile: String? = nil, email: String? = nil, language: String? = nil,
        fields: [String: String] = [:]
    ) {
        let names = fields.keys.sorted()
        self.init(
            line: line, citizen: citizen, mobile: mobile, email: email, language: language, fieldNames: names,
            fieldValues: names.map { fields[$0] ?? "" })
    }

    /// A recipient from line `line` with its fields' names (shared) and values in order.
    package init(
        line: Int, citizen: String?, mobile: String?, email: String?, language: String?, fieldNames: [String],
        fieldValues: [String]
    ) {
        self.line = line
        self.citizen = citizen
        self.mobile = mobile
        self.email = email
        self.language = language
        self.fieldNames = fieldNames
        self.fieldValues = fieldValues
    }

    /// The key that makes two rows the same recipient: the citizen id, else the mobile, else the email.
    package var recipientKey: String {
        if let citizen { return "citizen:" + citizen }
        if let mobile { return "mobile:" + mobile }
        return "email:" + (email ?? "").lowercased()
    }
}

/// Something wrong in an audience file, with the line and column (1-based; the header is line 1) it is on.
package struct AudienceProblem: Sendable, Equatable, CustomStringConvertible {
    package var line: Int
    /// The column's number, when the problem is in one field.
    package var column: Int?
    /// The column's name from the header, when known.
    package var columnName: String?
    package var message: String

    package var description: String {
        "line \(line)" + (column.map { ", column \($0)" } ?? "") + (columnName.map { " (\($0))" } ?? "") + ": "
            + message
    }
}

/// Why an audience file was refused: its problems (the first 100) and how many there were.
package struct AudienceProblems: Error, Equatable {
    package var problems: [AudienceProblem]
    package var total: Int
}

/// Reads and checks a broadcast's audience file: UTF-8 CSV (RFC 4180: quoted fields, `""` for a quote, CRLF or LF),
/// a header naming the columns, at most `maximumRows` rows. The whole file is checked before any row is handed
/// on, so a caller that writes rows only after `check` returns never sends to half a file.
package enum AudienceCSV {
    /// The most rows one file may hold.
    package static let maximumRows = 1_000_000
    /// The longest field, in bytes.
    package static let maximumFieldBytes = 2_000
    /// Problems listed in full; the rest are counted.
    package static let listedProblems = 100

    /// The columns Dakiya reads itself; any other column must be one of the template's fields.
    package static let recipientColumns: Set<String> = ["citizen", "mobile", "email", "language"]

    /// What a clean file holds: its rows (a recipient listed twice kept once, at its first row) and how many rows were
    /// such repeats.
    package struct Checked: Sendable, Equatable {
        package var rows: [AudienceRow]
        package var repeatedRecipients: Int
    }

    /// Checks the whole of `bytes` and returns its rows. `fields`: the template's personalisation fields (each a
    /// required column); `languages`: the language codes the broadcast has texts in.
    /// - Throws: `AudienceProblems` listing every line and column at fault; nothing is returned then.
    package static func check(_ bytes: [UInt8], fields: Set<String>, languages: Set<String>) throws(AudienceProblems)
        -> Checked
    {
        let reader = Reader(bytes, fields: fields, languages: languages)
        let rows = Array(reader)
        if let failure = reader.failure { throw failure }
        return Checked(rows: rows, repeatedRecipients: reader.repeatedRecipients)
    }

    /// A file's distinct recipients, read and checked one row at a time (each recipient once, at its first row), so
    /// a million rows can go to the database as they are read instead of all being held first. Problems and repeats
    /// are counted as it goes: once the sequence has ended, `failure` says whether the file was clean, and a caller
    /// that wrote rows must then undo them (roll back) when it was not.
    package final class Reader: Sequence, IteratorProtocol, @unchecked Sendable {
        private var records: Records
        private let fields: Set<String>
        private let languages: Set<String>
        private var names: [String] = []
        /// The field columns in file order, one array every row shares.
        private var fieldColumns: [String] = []
        private var hasRecipientColumn = false
        private var problems: [AudienceProblem] = []
        private var total = 0
        private var count = 0
        private var ended = false
        /// Rows and recipients seen, by a 128-bit digest rather than their text: a million of them in tens of
        /// megabytes, not hundreds (two different rows sharing a digest is a chance of about 1 in 10^26).
        private var seenRecipients: Set<Digest> = []
        private var seenLines: [Digest: Int] = [:]
        /// Rows that repeated an earlier recipient (kept once), so far.
        package private(set) var repeatedRecipients = 0

        /// A reader of `bytes`; the header is read at once.
        package init(_ bytes: [UInt8], fields: Set<String>, languages: Set<String>) {
            records = Records(bytes)
            self.fields = fields
            self.languages = languages
            readHeader()
        }

        /// The file's problems (the first `listedProblems`, and how many in all), once the sequence has ended; nil
        /// when it was clean.
        package var failure: AudienceProblems? {
            total == 0 ? nil : AudienceProblems(problems: problems, total: total)
        }

        private func report(_ problem: AudienceProblem) {
            total += 1
            if problems.count < listedProblems { problems.append(problem) }
        }

        private func readHeader() {
            guard let header = records.next(report: report) else {
                report(
                    AudienceProblem(line: 1, message: "the file is empty: a header line naming the columns is needed"))
                ended = true
                return
            }
            for (index, field) in header.fields.enumerated() {
                let name = field.trimmingSpaces().lowercased()
                if names.contains(name) {
                    report(
                        AudienceProblem(
                            line: 1, column: index + 1, columnName: name, message: "column \(name) is named twice"))
                } else if !recipientColumns.contains(name) && !fields.contains(name) {
                    let known = (recipientColumns.union(fields)).sorted().joined(separator: ", ")
                    report(
                        AudienceProblem(
                            line: 1, column: index + 1, columnName: name,
                            message: "\"\(name)\" is not a column this broadcast takes (\(known))"))
                }
                names.append(name)
            }
            if !names.contains("citizen") && !names.contains("mobile") && !names.contains("email") {
                report(AudienceProblem(line: 1, message: "a citizen, mobile or email column is needed"))
            }
            for field in fields.sorted() where !names.contains(field) {
                report(AudienceProblem(line: 1, message: "column \(field) is missing: the template's text uses it"))
            }
            hasRecipientColumn = names.contains("citizen") || names.contains("mobile") || names.contains("email")
            for name in names where fields.contains(name) && !fieldColumns.contains(name) { fieldColumns.append(name) }
        }

        /// The next distinct recipient of a clean row; nil at the end of the file (or past `maximumRows`).
        package func next() -> AudienceRow? {
            while !ended {
                guard let record = records.next(report: report) else {
                    ended = true
                    if count == 0 && total == 0 {
                        report(AudienceProblem(line: 2, message: "no rows under the header"))
                    }
                    return nil
                }
                if let row = read(record) { return row }
            }
            return nil
        }

        /// The row of `record` when it is clean and a new recipient; its problems reported otherwise.
        private func read(_ record: (line: Int, fields: [String])) -> AudienceRow? {
            // A blank line, or one of empty fields only (spreadsheets export those after the last row).
            if record.fields.allSatisfy({ $0.trimmingSpaces().isEmpty }) { return nil }
            count += 1
            if count > maximumRows {
                report(
                    AudienceProblem(
                        line: record.line,
                        message: "more than \(maximumRows) rows: split the audience into several broadcasts"))
                ended = true
                return nil
            }
            guard record.fields.count == names.count else {
                report(
                    AudienceProblem(
                        line: record.line,
                        message: "\(record.fields.count) fields where the header has \(names.count) columns"))
                return nil
            }
            let lineDigest = Digest(record.fields)
            if let earlier = seenLines[lineDigest] {
                report(AudienceProblem(line: record.line, message: "the same row as line \(earlier)"))
                return nil
            }
            seenLines[lineDigest] = record.line
            var row = AudienceRow(
                line: record.line, citizen: nil, mobile: nil, email: nil, language: nil, fieldNames: fieldColumns,
                fieldValues: [])
            row.fieldValues.reserveCapacity(fieldColumns.count)
            var recipientProblem = false
            var clean = true
            for (index, raw) in record.fields.enumerated() {
                let value = raw.trimmingSpaces()
                let name = names[index]
                func bad(_ message: String) {
                    report(AudienceProblem(line: record.line, column: index + 1, columnName: name, message: message))
                    clean = false
                    if name == "mobile" || name == "email" || name == "citizen" { recipientProblem = true }
                }
                if value.utf8.count > maximumFieldBytes {
                    bad("longer than \(maximumFieldBytes) bytes")
                    continue
                }
                switch name {
                case "citizen":
                    if !value.isEmpty { row.citizen = value }
                case "mobile":
                    guard !value.isEmpty else { continue }
                    if let mobile = Normalization.mobile(value) {
                        row.mobile = mobile
                    } else {
                        bad("\"\(value)\" is not a mobile number such as +919876543210")
                    }
                case "email":
                    guard !value.isEmpty else { continue }
                    if let email = Normalization.email(value) {
                        row.email = email
                    } else {
                        bad("\"\(value)\" is not an email address")
                    }
                case "language":
                    guard !value.isEmpty else { continue }
                    if languages.contains(value) {
                        row.language = value
                    } else {
                        bad(
                            "\"\(value)\" is not one of this broadcast's languages (\(languages.sorted().joined(separator: ", ")))"
                        )
                    }
                default:
                    if value.isEmpty {
                        bad("empty: the template's text uses \(name)")
                    } else if fieldColumns.count > row.fieldValues.count {
                        row.fieldValues.append(value)
                    }
                }
            }
            if row.citizen == nil && row.mobile == nil && row.email == nil {
                if recipientProblem || !hasRecipientColumn { return nil }
                report(AudienceProblem(line: record.line, message: "no citizen, mobile or email: no one to send to"))
                return nil
            }
            guard clean else { return nil }
            guard seenRecipients.insert(Digest([row.recipientKey])).inserted else {
                repeatedRecipients += 1
                return nil
            }
            return row
        }
    }

    /// A 128-bit digest of some texts (two independent 64-bit hashes of them, each separated from the next).
    struct Digest: Hashable {
        var first: Int
        var second: Int

        init(_ texts: [String]) {
            var one = Hasher()
            var two = Hasher()
            two.combine(0x5bd1_e995)
            for text in texts {
                one.combine(text)
                two.combine(text.utf8.count)
                two.combine(text)
            }
            first = one.finalize()
            second = two.finalize()
        }
    }

    /// RFC 4180 records from UTF-8 bytes, with the line each starts on.
    struct Records {
        let bytes: [UInt8]
        var index = 0
        var line = 1

        init(_ bytes: [UInt8]) {
            self.bytes = bytes
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }  // a byte-order mark
        }

        mutating func next(report: (AudienceProblem) -> Void) -> (line: Int, fields: [String])? {
            guard index < bytes.count else { return nil }
            let start = line
            var fields: [String] = []
            var field: [UInt8] = []
            var quoted = false
            var wasQuoted = false
            var column = 1
            func finish() -> Bool {
                // Control characters (NUL above all: PostgreSQL's text cannot hold it) other than TAB and line breaks.
                if field.contains(where: { ($0 < 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D) || $0 == 0x7F }) {
                    report(
                        AudienceProblem(
                            line: start, column: column,
                            message: "a control character (such as NUL) that no message can carry"))
                    fields.append("")
                    return false
                }
                guard let text = String(validating: field, as: UTF8.self) else {
                    report(
                        AudienceProblem(
                            line: start, column: column,
                            message: "not UTF-8 (save the file as CSV UTF-8)"))
                    fields.append("")
                    return false
                }
                fields.append(text)
                return true
            }
            while index < bytes.count {
                let byte = bytes[index]
                if quoted {
                    if byte == UInt8(ascii: "\"") {
                        if index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\"") {
                            field.append(byte)
                            index += 2
                            continue
                        }
                        quoted = false
                        index += 1
                        continue
                    }
                    if byte == UInt8(ascii: "\n") { line += 1 }
                    field.append(byte)
                    index += 1
                    continue
                }
                switch byte {
                case UInt8(ascii: "\""):
                    if field.isEmpty && !wasQuoted {
                        quoted = true
                        wasQuoted = true
                    } else {
                        report(
                            AudienceProblem(
                                line: line, column: column,
                                message: "a quote inside a field that does not start with one"))
                        field.append(byte)
                    }
                    index += 1
                case UInt8(ascii: ","):
                    _ = finish()
                    field.removeAll(keepingCapacity: true)
                    wasQuoted = false
                    column += 1
                    index += 1
                case UInt8(ascii: "\r") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\n"):
                    index += 1
                case UInt8(ascii: "\n"):
                    index += 1
                    line += 1
                    _ = finish()
                    return (start, fields)
                default:
                    if wasQuoted {
                        report(AudienceProblem(line: line, column: column, message: "text after a closing quote"))
                        wasQuoted = false
                    }
                    field.append(byte)
                    index += 1
                }
            }
            if quoted {
                report(AudienceProblem(line: start, column: column, message: "a quoted field that is never closed"))
            }
            _ = finish()
            return (start, fields)
        }
    }
}
