import Broadcasts
import Testing

func check(_ text: String, fields: Set<String> = ["name"], languages: Set<String> = ["en", "mr"])
    throws(AudienceProblems) -> AudienceCSV.Checked
{
    try AudienceCSV.check(Array(text.utf8), fields: fields, languages: languages)
}

func problems(_ bytes: [UInt8], fields: Set<String> = ["name"]) -> [String] {
    do {
        _ = try AudienceCSV.check(bytes, fields: fields, languages: ["en", "mr"])
        return []
    } catch {
        return error.problems.map(\.description)
    }
}

@Suite("Broadcast audience files")
struct AudienceCSVTests {
    @Test("a clean file: byte-order mark, CRLF, quoted commas, quotes and line breaks, Marathi; a repeat kept once")
    func cleanFile() throws {
        let text =
            "\u{FEFF}mobile,Name,language\r\n+919876543210,\"Patil, Asha\",mr\r\n+919812345678,\"Rao \"\"Anna\"\"\nKale\",\r\n"
            + "+919876543210,Asha Patil,en\r\n,,\r\n"
        let checked = try check(text)
        #expect(checked.rows.count == 2 && checked.repeatedRecipients == 1)
        #expect(
            checked.rows[0]
                == AudienceRow(
                    line: 2, citizen: nil, mobile: "+919876543210", email: nil, language: "mr",
                    fields: ["name": "Patil, Asha"]))
        #expect(checked.rows[1].fields["name"] == "Rao \"Anna\"\nKale" && checked.rows[1].language == nil)
        let marathi = try check("citizen,name\nMH-1,आशा पाटील\n")
        #expect(marathi.rows.first?.fields["name"] == "आशा पाटील" && marathi.rows.first?.citizen == "MH-1")
    }

    @Test("every fault is named by line and column, and nothing is returned")
    func faults() {
        var bytes = Array(
            "mobile,email,name,language,ward\n+919876543210,a@b.in,Asha,mr\n98765,not-an-email,Ravi,te\n+919876543211,,,en\n+919876543212,c@d.in,Sita,en\n+919876543212,c@d.in,Sita,en\n+919876543213,,Bad \""
                .utf8)
        bytes += [0xC3, 0x28]  // not UTF-8
        bytes += Array(",en\n".utf8)
        let found = problems(bytes)
        #expect(
            found.contains(
                "line 1, column 5 (ward): \"ward\" is not a column this broadcast takes (citizen, email, language, mobile, name)"
            ), "\(found)")
        #expect(found.contains("line 2: 4 fields where the header has 5 columns"), "\(found)")
        #expect(found.contains("line 3: 4 fields where the header has 5 columns"), "\(found)")
        let faultsWithoutWard = problems(
            Array(
                "mobile,email,name,language\n98765,not-an-email,Ravi,te\n+919876543211,,,en\n+919876543212,c@d.in,Sita,en\n+919876543212,c@d.in,Sita,en\n"
                    .utf8))
        #expect(
            faultsWithoutWard == [
                "line 2, column 1 (mobile): \"98765\" is not a mobile number such as +919876543210",
                "line 2, column 2 (email): \"not-an-email\" is not an email address",
                "line 2, column 4 (language): \"te\" is not one of this broadcast's languages (en, mr)",
                "line 3, column 3 (name): empty: the template's text uses name",
                "line 5: the same row as line 4",
            ])
        #expect(found.contains { $0.hasPrefix("line 7, column 3: not UTF-8") }, "\(found)")
        #expect(
            problems(Array("mobile\n+919876543210\n".utf8)) == [
                "line 1: column name is missing: the template's text uses it"
            ])
        #expect(problems(Array("name\nAsha\n".utf8)) == ["line 1: a citizen, mobile or email column is needed"])
        #expect(problems([]) == ["line 1: the file is empty: a header line naming the columns is needed"])
        #expect(
            problems(Array("mobile,name\n+919876543210,As\u{0}ha\n".utf8)).first
                == "line 2, column 2: a control character (such as NUL) that no message can carry")
        #expect(problems(Array("mobile,name\n".utf8)) == ["line 2: no rows under the header"])
        #expect(
            problems(Array("mobile,name\n+919876543210,\"Asha\n".utf8)) == [
                "line 2, column 2: a quoted field that is never closed"
            ])
    }

    @Test("1,000,000 rows are taken; 1,000,001 are refused, and nothing of them returned")
    func rowLimit() throws {
        var bytes = Array("mobile\n".utf8)
        bytes.reserveCapacity(15 * 1_000_002)
        for n in 0..<AudienceCSV.maximumRows {
            bytes += Array("+91\(9_000_000_000 + n)\n".utf8)
        }
        let checked = try AudienceCSV.check(bytes, fields: [], languages: ["en"])
        #expect(checked.rows.count == 1_000_000 && checked.rows.last?.line == 1_000_001)
        bytes += Array("+918000000000\n".utf8)
        #expect(
            problems(bytes, fields: []) == [
                "line 1000002: more than 1000000 rows: split the audience into several broadcasts"
            ])
    }
}
