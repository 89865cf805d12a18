import Foundation
import Glibc
import HTTPClient
@testable import HTTPServer
import ServiceRuntime
import Testing

/// A body type with the shapes the API uses: nested objects, arrays, optional fields, dates, free text.
struct Form: Decodable, Equatable {
    struct Consent: Decodable, Equatable {
        var channel: String
        var source: String
        var recordedAt: Date?
        enum CodingKeys: String, CodingKey { case channel, source, recordedAt = "recorded_at" }
    }
    var citizen: String
    var count: Int?
    var small: Int16?
    var amount: Decimal?
    var reasons: [String]?
    var consents: [Consent]?
}

@Suite("Strict JSON bodies")
struct JSONBodyTests {
    func refusal(_ json: String, freeText: Set<String> = ["reasons"]) -> HTTPError? {
        do {
            _ = try JSONBody.decode(Form.self, from: Array(json.utf8), freeText: freeText)
            return nil
        } catch let error as HTTPError {
            return error
        } catch {
            Issue.record("not an HTTPError: \(error)")
            return nil
        }
    }

    @Test("what decodes is exactly what was sent: escapes, surrogate pairs, Devanagari, dates with offsets")
    func exact() throws {
        let form = try JSONBody.decode(
            Form.self,
            from: Array(
                #"""
                {"citizen": "u-\u0031\ud83d\ude00 \/ नाव", "count": -42, "small": 32767, "amount": 12.50,
                 "reasons": ["line one\nline two\ttabbed"],
                 "consents": [{"channel": "email", "source": "portal", "recorded_at": "2026-11-01T10:00:00+05:30"}]}
                """#.utf8), freeText: ["reasons"])
        #expect(form.citizen == "u-1😀 / नाव")
        #expect(form.count == -42)
        #expect(form.small == 32767)
        #expect(form.amount == Decimal(string: "12.5"))
        #expect(form.reasons == ["line one\nline two\ttabbed"])
        #expect(form.consents?.first?.recordedAt == Date(timeIntervalSince1970: 1_793_507_400))
    }

    @Test("NUL and other control characters are 422 naming every field; free-text fields may hold TAB, LF and CR only")
    func controlCharacters() throws {
        let nul = try #require(
            refusal(#"{"citizen": "u-1\u0000zzz", "consents": [{"channel": "email", "source": "a\u0007"}]}"#))
        #expect(nul.status == 422)
        #expect(nul.errors.map(\.field) == ["citizen", "consents[0].source"])
        let newlineInID = try #require(refusal(#"{"citizen": "u-1\n"}"#))
        #expect(newlineInID.errors.map(\.field) == ["citizen"])
        let nulInFreeText = try #require(refusal(#"{"citizen": "u", "reasons": ["ok", "bad\u0000"]}"#))
        #expect(nulInFreeText.errors.map(\.field) == ["reasons[1]"])
        let key = try #require(refusal(#"{"citizen": "u", "x\u0000": 1}"#))
        #expect(key.status == 422)
        #expect(refusal(#"{"citizen": "u", "reasons": ["a\r\nb"]}"#) == nil)
    }

    @Test("unknown fields are 422 naming each one, nested ones with their path")
    func unknownFields() throws {
        let error = try #require(
            refusal(
                #"{"citizen": "u", "langauge": "en", "consents": [{"channel": "email", "source": "s", "recorded": 1}]}"#
            ))
        #expect(error.status == 422)
        #expect(error.type == "urn:dakiya:problem:unknown-field")
        #expect(error.errors.map(\.field) == ["langauge", "consents[0].recorded"])
    }

    @Test(
        "a value that does not fit names the field and what was expected",
        arguments: [
            (
                #"{"citizen": "u", "consents": [{"channel": "e", "source": "s", "recorded_at": "2026-11-01T10:00:00"}]}"#,
                "consents[0].recorded_at", "date-time with a UTC offset"
            ),
            (
                #"{"citizen": "u", "consents": [{"channel": "e", "source": "s", "recorded_at": "yesterday"}]}"#,
                "consents[0].recorded_at", "date-time with a UTC offset"
            ),
            (
                #"{"citizen": "u", "consents": [{"channel": "e", "source": "s", "recorded_at": "2026-11-01T10:00:00+25:00"}]}"#,
                "consents[0].recorded_at", "date-time"
            ),
            (
                #"{"citizen": "u", "consents": [{"channel": "e", "source": "s", "recorded_at": "2026-02-30T10:00:00Z"}]}"#,
                "consents[0].recorded_at", "date-time"
            ),
            (#"{"citizen": "u", "count": 9223372036854775808}"#, "count", "integer from"),
            (#"{"citizen": "u", "small": 40000}"#, "small", "integer from -32768 to 32767"),
            (#"{"citizen": "u", "count": 1.5}"#, "count", "integer from"),
            (#"{"citizen": 7}"#, "citizen", "must be a string, not a number"),
            (#"{"citizen": "u", "consents": {"channel": "e"}}"#, "consents", "must be an array, not an object"),
        ])
    func misfits(json: String, field: String, expected: String) throws {
        let error = try #require(refusal(json))
        #expect(error.status == 400)
        #expect(error.errors.map(\.field) == [field])
        #expect(error.detail?.contains(expected) == true, "\(error.detail ?? "")")
    }

    @Test("syntax beyond RFC 8259 is 400: trailing commas, a key twice, invalid UTF-8, lone surrogates, deep nesting")
    func syntax() throws {
        for json in [
            #"{"citizen": "u",}"#, #"{"citizen": "u", "citizen": "v"}"#,
            "{\"citizen\": \"\u{FFFD}\"}".replacingOccurrences(of: "\u{FFFD}", with: "\\ud800"),
            String(repeating: "[", count: 70) + String(repeating: "]", count: 70), "{\"citizen\": \"a\tb\"}", "{} {}",
            "NaN",
        ] {
            let error = try #require(refusal(json), "\(json)")
            #expect(error.status == 400, "\(json)")
            #expect(error.detail?.hasPrefix("the body is not valid JSON") == true, "\(json)")
        }
        var invalidUTF8 = Array(#"{"citizen": "x"}"#.utf8)
        invalidUTF8[13] = 0xC3
        #expect(throws: HTTPError.self) { try JSONBody.decode(Form.self, from: invalidUTF8) }
    }
}

/// A server whose routes echo what they were given.
final class EchoServer: @unchecked Sendable {
    let server: Server
    var base: String { "http://127.0.0.1:\(server.port)" }

    struct Unavailable: TemporaryUnavailability { var isTemporarilyUnavailable: Bool { true } }

    init(headerTimeout: Duration = .seconds(10), perClient: Int = 2048) throws {
        var router = Router()
        router.get("/applications/{id}/deliveries") { request in
            try Response.json(["id": try request.parameter("id"), "q": request.query["q"] ?? ""])
        }
        router.get("/list") { _ in Response.text("the whole list") }
        router.get("/list/{id}") { request in Response.text("one: " + (try request.parameter("id"))) }
        router.get("/down") { _ in throw Unavailable() }
        router.get("/healthz") { _ in Response.text("ok") }
        server = Server(
            configuration: ServerConfiguration(
                port: 0, threads: 4, headerTimeout: headerTimeout, maximumConnectionsPerClient: perClient),
            router: router, logger: Logger(service: "test", sink: .capturing()), metrics: MetricsRegistry())
        try server.start()
    }

    deinit { server.stop() }
}

@Suite("HTTP request integrity")
struct RequestIntegrityTests {
    let client: HTTPClient
    init() throws { client = try HTTPClient() }

    @Test("routing is on the raw path: an id with %2F is one parameter, decoded after the split")
    func rawPath() throws {
        let running = try EchoServer()
        let response = try client.send(
            HTTPClientRequest(url: running.base + "/applications/MH%2FINC%2F2026%2F0001/deliveries?q=a%2Bb+c"))
        #expect(response.status == 200, "\(response.text)")
        #expect(
            try JSONDecoder().decode([String: String].self, from: Data(response.body)) == [
                "id": "MH/INC/2026/0001", "q": "a+b c",
            ])
        // A real '/' is a separator: no route has that many segments.
        #expect(try client.send(HTTPClientRequest(url: running.base + "/applications/MH/INC/deliveries")).status == 404)
    }

    @Test(
        "%00 or another control character in a path parameter or query is 400 naming it; it never reaches another route"
    )
    func controlsInPath() throws {
        let running = try EchoServer()
        let nul = try client.send(HTTPClientRequest(url: running.base + "/list/%00"))
        #expect(nul.status == 400)
        #expect(nul.text.contains("\"field\":\"id\""), "\(nul.text)")
        #expect(try client.send(HTTPClientRequest(url: running.base + "/list/u%00x")).status == 400)
        #expect(try client.send(HTTPClientRequest(url: running.base + "/list/%ff")).status == 400)
        #expect(try client.send(HTTPClientRequest(url: running.base + "/list/%0A")).status == 400)
        let query = try client.send(HTTPClientRequest(url: running.base + "/applications/a/deliveries?q=x%00y"))
        #expect(query.status == 400)
        #expect(query.text.contains("\"field\":\"q\""), "\(query.text)")
        #expect(try client.send(HTTPClientRequest(url: running.base + "/list/x%20y")).text == "one: x y")
    }

    @Test("a dependency that is down is 503 problem+json with Retry-After, not 500")
    func unavailable() throws {
        let running = try EchoServer()
        let response = try client.send(HTTPClientRequest(url: running.base + "/down"))
        #expect(response.status == 503)
        #expect(response.header("retry-after") == "5")
        #expect(response.header("content-type") == "application/problem+json")
    }

    @Test("a client sending one header line every 0.5 s is closed at the header deadline")
    func slowHeader() throws {
        let running = try EchoServer(headerTimeout: .seconds(2))
        let socket = try SlowClient(port: running.server.port)
        let started = MonotonicTime.now()
        var closed = false
        for index in 0..<20 {
            if !socket.send("X-Slow-\(index): 1\r\n") { closed = true; break }
            usleep(500_000)
        }
        #expect(closed)
        #expect(MonotonicTime.now().duration(since: started) < .seconds(5))
    }

    @Test("1,100 slow clients hold connections; /healthz and normal requests are still answered at once")
    func manySlowClients() throws {
        let running = try EchoServer(headerTimeout: .seconds(30))
        var slow: [SlowClient] = []
        for _ in 0..<1100 { slow.append(try SlowClient(port: running.server.port)) }
        for round in 0..<3 {
            for client in slow { _ = client.send("X-Round-\(round): 1\r\n") }
            let started = MonotonicTime.now()
            let health = try client.send(HTTPClientRequest(url: running.base + "/healthz"))
            #expect(health.status == 200)
            #expect(try client.send(HTTPClientRequest(url: running.base + "/list/7")).text == "one: 7")
            #expect(MonotonicTime.now().duration(since: started) < .seconds(2))
            usleep(300_000)
        }
        #expect(slow.filter { $0.send("X-Last: 1\r\n") }.count == 1100)
    }

    @Test("connections beyond the per-client limit are refused while the first ones are served")
    func perClientLimit() throws {
        let running = try EchoServer(perClient: 4)
        let held = try (0..<4).map { _ in try SlowClient(port: running.server.port) }
        usleep(200_000)
        #expect(throws: HTTPClientError.self) {
            _ = try HTTPClient().send(HTTPClientRequest(url: running.base + "/healthz"))
        }
        withExtendedLifetime(held) {}
    }
}

/// A raw TCP client that sends a request line and then header lines when asked, never finishing the header.
final class SlowClient {
    let fd: Int32

    init(port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { close(fd); throw HTTPServerError(message: "connect failed", errno: errno) }
        var noSignal: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &noSignal, socklen_t(MemoryLayout<Int32>.size))
        _ = send("GET /healthz HTTP/1.1\r\nHost: x\r\n")
    }

    /// False once the server has closed the connection.
    func send(_ text: String) -> Bool {
        var probe: UInt8 = 0
        let peeked = recv(fd, &probe, 1, Int32(MSG_DONTWAIT | MSG_PEEK))
        if peeked == 0 { return false }
        let sent = text.withCString { Glibc.send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        return sent > 0
    }

    deinit { close(fd) }
}
