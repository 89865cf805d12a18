import CAP
import Foundation
import Testing

/// A flood warning for Pune district in Marathi and English, as the state's emergency operations centre might send
/// it (illustrative: the identifiers, areas and geocodes are samples, not NDMA's).
let floodWarning = """
    <?xml version="1.0" encoding="UTF-8"?>
    <!-- sample alert -->
    <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
      <identifier>MH-SEOC-2026-0917</identifier>
      <sender>seoc@maharashtra.example</sender>
      <sent>2026-11-28T14:05:00+05:30</sent>
      <status>Actual</status>
      <msgType>Alert</msgType>
      <scope>Public</scope>
      <info>
        <language>mr-IN</language>
        <category>Met</category>
        <event>पूर</event>
        <responseType>Evacuate</responseType>
        <urgency>Immediate</urgency>
        <severity>Severe</severity>
        <certainty>Observed</certainty>
        <expires>2026-11-29T06:00:00+05:30</expires>
        <headline>खडकवासला धरणातून विसर्ग: नदीकाठ रिकामा करा</headline>
        <description>मुठा नदीची पातळी वाढत आहे &amp; पुढील सहा तास वाढत राहील.</description>
        <area>
          <areaDesc>हवेली तालुका</areaDesc>
          <polygon>18.40,73.70 18.60,73.70 18.60,74.00 18.40,74.00 18.40,73.70</polygon>
          <geocode><valueName>office</valueName><value>HAVELI</value></geocode>
        </area>
      </info>
      <info>
        <language>en-IN</language>
        <category>Met</category>
        <event>Flood</event>
        <urgency>Immediate</urgency>
        <severity>Severe</severity>
        <certainty>Observed</certainty>
        <expires>2026-11-29T06:00:00+05:30</expires>
        <headline><![CDATA[Release from Khadakwasla dam: leave the riverbank]]></headline>
        <area>
          <areaDesc>Haveli taluka</areaDesc>
          <circle>18.52,73.85 12.5</circle>
        </area>
      </info>
    </alert>
    """

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}

func problems(_ document: String) -> [String] {
    do {
        _ = try CAP.parse(Array(document.utf8))
        return []
    } catch {
        return error.problems.map { "\($0.path): \($0.message)" }
    }
}

@Suite("CAP 1.2 alerts")
struct CAPTests {
    @Test("a two-language alert is read whole: each info in its language, the areas, the times with their offsets")
    func readsAnAlert() throws {
        let alert = try CAP.parse(Array(floodWarning.utf8))
        #expect(alert.identifier == "MH-SEOC-2026-0917" && alert.status == .actual && alert.messageType == .alert)
        #expect(alert.sent.epochSeconds == 1_795_854_900)  // 08:35:00 UTC
        #expect(alert.infos.map(\.language) == ["mr-IN", "en-IN"])
        let marathi = try #require(alert.infos.first)
        #expect(marathi.description == "मुठा नदीची पातळी वाढत आहे & पुढील सहा तास वाढत राहील.")
        #expect(marathi.urgency == .immediate && marathi.severity == .severe && marathi.responseTypes == [.evacuate])
        #expect(marathi.areas.first?.polygons.first?.count == 5)
        #expect(marathi.areas.first?.geocodes == [CAPValue(name: "office", value: "HAVELI")])
        #expect(alert.infos[1].headline == "Release from Khadakwasla dam: leave the riverbank")
        #expect(alert.infos[1].areas.first?.circles.first?.radiusKilometres == 12.5)
        let expiry = try #require(marathi.expires?.epochSeconds)
        #expect(!alert.hasExpired(at: expiry - 1) && alert.hasExpired(at: expiry))
        #expect(!alert.isForTestRecipientsOnly)
    }

    @Test("a document that is not CAP, or not XML, is refused with what it is")
    func notCAP() {
        #expect(problems("{\"alert\": 1}").first?.hasPrefix("(document): not well-formed XML") == true)
        #expect(
            problems("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.1\"/>").first?.contains(
                "not a CAP 1.2 alert") == true)
        #expect(problems("<rss><channel/></rss>").first?.contains("found <rss> in no namespace") == true)
        #expect(problems("<!DOCTYPE alert [<!ENTITY x \"y\">]><alert/>").first?.contains("DOCTYPE") == true)
        #expect(
            problems("<alert>\n<a>\u{0}</a></alert>").first?.contains("line 2: U+0 is not a character XML allows")
                == true)
        #expect(problems("<alert><a>&#1;</a></alert>").first?.contains("unknown reference &#1;") == true)
        #expect(
            problems("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><sent>x</alert>").first?.contains(
                "</alert> closes <sent>") == true)
        do {
            _ = try CAP.parse([0x3C, 0x61, 0xFF, 0x2F, 0x3E])  // <a\xFF/>
            Issue.record("a document that is not UTF-8 was read")
        } catch {
            #expect(error.problems.map(\.message) == ["not well-formed XML: line 1: the document is not UTF-8"])
        }
    }

    @Test("every element at fault is named: missing, out of order, a wrong value, a bad time, an open polygon")
    func namesEveryProblem() {
        let broken =
            floodWarning
            .replacingOccurrences(of: "<sender>seoc@maharashtra.example</sender>", with: "")
            .replacingFirst("<urgency>Immediate</urgency>", with: "<urgency>Now</urgency>")
            .replacingFirst(
                "<expires>2026-11-29T06:00:00+05:30</expires>", with: "<expires>2026-11-29T06:00:00Z</expires>"
            )
            .replacingOccurrences(of: "18.40,74.00 18.40,73.70</polygon>", with: "18.40,74.00</polygon>")
            .replacingOccurrences(of: "<scope>Public</scope>", with: "<scope>Public</scope><status>Test</status>")
        let found = problems(broken)
        #expect(found.contains("alert/sender: <sender> is required in <alert>"), "\(found)")
        #expect(found.contains { $0.hasPrefix("alert/info[1]/urgency: \"Now\" is not one of Immediate") }, "\(found)")
        #expect(
            found.contains { $0.hasPrefix("alert/info[1]/expires: \"2026-11-29T06:00:00Z\" is not a CAP dateTime") })
        #expect(found.contains { $0.hasPrefix("alert/info[1]/area[1]/polygon: a polygon needs at least four points") })
        #expect(found.contains { $0.hasPrefix("alert/status[2]: <status> is out of order") }, "\(found)")
    }

    @Test("an Update or Cancel names the alert it changes; a Restricted or Private scope says to whom")
    func referencesAndScope() throws {
        let cancel = floodWarning.replacingOccurrences(
            of: "<msgType>Alert</msgType>", with: "<msgType>Cancel</msgType>")
        #expect(problems(cancel).contains { $0.hasPrefix("alert/references: an Cancel must name") })
        let referenced = cancel.replacingOccurrences(
            of: "<scope>Public</scope>",
            with:
                "<scope>Public</scope><references>seoc@maharashtra.example,MH-SEOC-2026-0916,2026-11-28T13:00:00+05:30</references>"
        )
        let alert = try CAP.parse(Array(referenced.utf8))
        #expect(
            alert.references == [
                CAPReference(
                    sender: "seoc@maharashtra.example", identifier: "MH-SEOC-2026-0916",
                    sent: try #require(CAPDateTime("2026-11-28T13:00:00+05:30")))
            ])
        let badReference = cancel.replacingOccurrences(
            of: "<scope>Public</scope>", with: "<scope>Public</scope><references>MH-SEOC-2026-0916</references>")
        #expect(
            problems(badReference).contains {
                $0.hasPrefix("alert/references: \"MH-SEOC-2026-0916\" is not sender,identifier,sent")
            })
        let restricted = floodWarning.replacingOccurrences(
            of: "<scope>Public</scope>", with: "<scope>Restricted</scope>")
        #expect(problems(restricted) == ["alert/restriction: <restriction> is required when <scope> is Restricted"])
        let exercise = floodWarning.replacingOccurrences(
            of: "<status>Actual</status>", with: "<status>Exercise</status>")
        #expect(try CAP.parse(Array(exercise.utf8)).isForTestRecipientsOnly)
        let spaced = floodWarning.replacingOccurrences(of: "MH-SEOC-2026-0917", with: "MH SEOC 0917")
        #expect(problems(spaced) == ["alert/identifier: must not contain spaces, commas, '<' or '&'"])
    }

    @Test("dateTimes: offsets applied, impossible dates and a Z refused")
    func dateTimes() {
        #expect(CAPDateTime("1970-01-01T05:30:00+05:30")?.epochSeconds == 0)
        #expect(CAPDateTime("2024-02-29T00:00:00-00:00")?.epochSeconds == 1_709_164_800)
        #expect(CAPDateTime("2026-02-29T00:00:00+00:00") == nil)
        #expect(CAPDateTime("2026-11-28T24:00:00+05:30") == nil)
        #expect(CAPDateTime("2026-11-28T14:05:00Z") == nil)
        #expect(CAPDateTime("2026-11-28 14:05:00+05:30") == nil)
    }
}
