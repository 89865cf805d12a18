import Appeals
import Email
import Foundation
import Postgres
import ServiceRuntime
import TestSupport
import Testing
import Texts

@testable import WhatsAppCloudSimulator

@Suite("Languages as data")
struct LanguagesTests {
    /// The languages table, as (code, native name, direction, fallback) in its order.
    static func table(_ connection: Connection) throws -> [(String, String, String, Bool)] {
        try connection.query("SELECT code, native_name, direction, is_fallback FROM languages ORDER BY position").rows
            .map {
                (
                    try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1),
                    try $0.decode(String.self, at: 2), try $0.decode(Bool.self, at: 3)
                )
            }
    }

    @Test("the languages table and Texts.Language list the same languages, directions and fallback, in one order")
    func tableMatchesType() throws {
        let db = try TestDatabase()
        let rows = try Self.table(try db.connect())
        #expect(rows.map(\.0) == Language.all.map(\.code))
        #expect(rows.map(\.1) == Language.all.map(\.nativeName))
        #expect(rows.map(\.2) == Language.all.map(\.direction))
        #expect(rows.filter(\.3).map(\.0) == [Language.fallback.code])
        #expect(Language.named("ur")?.isRightToLeft == true)
    }

    @Test("every text of every catalogue, and every template of every channel, exists in every language of the table")
    func everyKindHasEveryLanguage() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        let languages = Set(try Self.table(connection).map(\.0))
        for (catalogue, entries) in [
            ("WhatsAppTexts", WhatsAppTexts.entries), ("NoticeTexts", NoticeTexts.entries),
            ("SealTexts", SealTexts.entries), ("JourneyTexts", JourneyTexts.entries),
        ] {
            for entry in entries {
                #expect(entry.text.languages == languages, "\(catalogue).\(entry.name)")
            }
        }
        // Email (and any channel's) templates, and the WhatsApp templates registered per language.
        let missing = try connection.query(
            """
            SELECT 'message_templates ' || k.kind || '/' || k.channel || '/' || l.code
            FROM (SELECT DISTINCT kind, channel FROM message_templates WHERE department IS NULL) k CROSS JOIN languages l
            WHERE NOT EXISTS (SELECT 1 FROM message_templates m WHERE m.department IS NULL AND m.kind = k.kind
                              AND m.channel = k.channel AND m.language = l.code)
            UNION ALL
            SELECT 'whatsapp_templates ' || k.kind || '/' || l.code
            FROM (SELECT DISTINCT kind FROM whatsapp_templates) k CROSS JOIN languages l
            WHERE NOT EXISTS (SELECT 1 FROM whatsapp_templates w WHERE w.kind = k.kind AND w.language = l.code)
            """
        ).rows.map { try $0.decode(String.self, at: 0) }
        #expect(missing.isEmpty, "missing: \(missing)")
        // Our WhatsApp stand-in has the same templates approved in every language.
        let names = Set(
            try connection.query("SELECT DISTINCT name FROM whatsapp_templates").rows.map {
                try $0.decode(String.self, at: 0)
            })
        for name in names {
            #expect(
                Set(SimulatorConfiguration.defaultTemplates[name]?.languages ?? []) == languages, "simulator: \(name)")
        }
    }

    @Test("a text fills its placeholders in one pass, and an unknown language gets the English text")
    func localizedFill() {
        let text = Localized(en: "Appeal {number}: «{grounds}»", ["ur": "اپیل {number}: «{grounds}»"])
        #expect(text("ur", ["number": "A-1", "grounds": "see {number}"]) == "اپیل A-1: «see {number}»")
        #expect(text("xx", ["number": "A-1", "grounds": "g"]) == "Appeal A-1: «g»")
        #expect(text("en", ["number": "A-1"]) == "Appeal A-1: «{grounds}»")
        #expect(Language.resolve("xx") == .en)
        #expect(Language.resolve(nil) == .en)
    }

    @Test("Urdu is a data change: the email renders right to left, and a notice reads in Urdu")
    func urdu() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        try connection.query(
            "INSERT INTO departments (code, name) VALUES ('REVENUE', 'Revenue Department') ON CONFLICT DO NOTHING")
        let store = TemplateStore(logger: Logger(service: "t", sink: .capturing()))
        let values = TemplateValues(
            applicationID: "APP-1", service: "Income certificate", office: "Pune", department: "Revenue",
            reasons: ["Income proof missing"], appealURL: "https://portal.example/appeal")
        let urdu = try store.render(
            kind: "rejected", channel: "email", language: "ur", department: "REVENUE", values: values, on: connection)
        #expect(urdu.language == "ur")
        #expect(urdu.html.contains("<html lang=\"ur\" dir=\"rtl\">"))
        #expect(urdu.html.contains("<body dir=\"rtl\">"))
        #expect(urdu.subject == "آپ کی درخواست APP-1 پر فیصلہ: نامنظور")
        #expect(urdu.text.contains("- Income proof missing"))
        let marathi = try store.render(
            kind: "rejected", channel: "email", language: "mr", department: "REVENUE", values: values, on: connection)
        #expect(marathi.html.contains("<html lang=\"mr\" dir=\"ltr\">"))
        let notice = AppealNotice.filed(number: "FA-7", level: 1, decideBy: CivilDate("2026-12-31")!)
        #expect(
            notice.text(language: "ur")
                == "آپ کی پہلی اپیل دائر ہو گئی ہے۔ اپیل نمبر: FA-7۔ اس پر 31-12-2026 تک فیصلہ ہونا ہے۔")
        #expect(notice.text(language: "xx") == notice.text(language: "en"))
    }

    @Test("the catalogue takes a name column for any language of the table, and refuses one that is not")
    func catalogueNames() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        try connection.query(
            "INSERT INTO departments (code, name) VALUES ('REVENUE', 'Revenue Department') ON CONFLICT DO NOTHING")
        let rule = ",,,2015-04-28,15,calendar,NAIB_TAHSILDAR,,TAHSILDAR,,SDO,"
        let header =
            "service_code,department,name_en,name_ur,name_mr,office_code,band_min,band_max,effective_from,time_limit_days,"
            + "day_unit,do_role,do_office,faa_role,faa_office,saa_role,saa_office\n"
        try Catalogue.importCSV(
            header + "INCOME,REVENUE,Income certificate,آمدنی کا سرٹیفکیٹ,," + rule + "\n", on: connection)
        #expect(try Catalogue.serviceName("INCOME", language: "ur", on: connection) == "آمدنی کا سرٹیفکیٹ")
        #expect(try Catalogue.serviceName("INCOME", language: "mr", on: connection) == "Income certificate")
        #expect(try Catalogue.serviceName("NOPE", language: "ur", on: connection) == "NOPE")
        let error = #expect(throws: CatalogueError.self) {
            try Catalogue.importCSV(
                header.replacingOccurrences(of: "name_ur", with: "name_xx") + "INCOME,REVENUE,Income,x,," + rule,
                on: connection)
        }
        #expect(error?.line == 1)
        #expect(error?.column == "name_xx")
    }
}
