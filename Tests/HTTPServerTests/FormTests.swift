import HTTPServer
import Testing

@Suite("HTML forms and cookies")
struct FormTests {
    static func request(_ body: String, contentType: String? = "application/x-www-form-urlencoded") -> Request {
        var headers: [String: String] = [:]
        if let contentType { headers["content-type"] = contentType }
        return Request(method: "POST", path: "/", headers: headers, body: Array(body.utf8))
    }

    @Test("a form body decodes + as a space and percent escapes as UTF-8; the last of a repeated name wins")
    func decodes() throws {
        let fields = try Self.request(
            "key=dko_ab_c%2Bd&name=Tahsildar+%E0%A4%B9%E0%A4%B5%E0%A5%87%E0%A4%B2%E0%A5%80&empty=&flag&key=second"
        )
        .formFields()
        #expect(fields == ["key": "second", "name": "Tahsildar हवेली", "empty": "", "flag": ""])
        #expect(
            try Self.request("", contentType: "application/x-www-form-urlencoded; charset=utf-8").formFields() == [:])
    }

    @Test("another media type is 415; a malformed escape or bytes that are not UTF-8 are 400")
    func refuses() throws {
        for (request, status) in [
            (Self.request("a=1", contentType: "application/json"), 415), (Self.request("a=1", contentType: nil), 415),
            (Self.request("a=%ZZ"), 400),
            (
                Request(
                    method: "POST", path: "/", headers: ["content-type": "application/x-www-form-urlencoded"],
                    body: [0x61, 0x3D, 0xFF]), 400
            ),
        ] {
            let error = #expect(throws: HTTPError.self) { try request.formFields() }
            #expect(error?.status == status)
        }
    }

    @Test("a cookie is found by its exact name among several")
    func cookies() {
        let request = Request(
            method: "GET", path: "/", headers: ["cookie": "other=1; dakiya_desk=abc-_=; x_dakiya_desk=no"])
        #expect(request.cookie("dakiya_desk") == "abc-_=")
        #expect(request.cookie("missing") == nil)
        #expect(Request(method: "GET", path: "/").cookie("dakiya_desk") == nil)
    }
}
