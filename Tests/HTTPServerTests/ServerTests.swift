import Foundation
import HTTPClient
import HTTPServer
import ServiceRuntime
import Testing

struct Item: Codable, Equatable {
    var name: String
    var count: Int
    var tags: [String]?
}

struct Problem: Decodable {
    struct Field: Decodable { var field: String; var pointer: String; var detail: String }
    var type: String
    var title: String
    var status: Int
    var detail: String?
    var instance: String
    var request_id: String
    var errors: [Field]?
}

struct Boom: Error, CustomStringConvertible { var description: String { "internal secret: connection string" } }

/// A server on 127.0.0.1 with an ephemeral port and a few routes, stopped when released.
final class RunningServer: @unchecked Sendable {
    let server: Server
    let logs = LogSink.capturing()
    var base: String { "http://127.0.0.1:\(server.port)" }

    init(maximumBodyBytes: Int = 1024, threads: Int = 8) throws {
        var router = Router()
        router.get("/items/{id}") { request in try Response.json(["id": try request.parameter("id")]) }
        router.post("/items") { request in try Response.json(try request.decodeJSON(Item.self), status: 201) }
        router.put("/items/{id}") { _ in Response(status: 204) }
        router.get("/slow") { request in
            usleep(UInt32(request.query["ms"].flatMap(Int.init) ?? 500) * 1000)
            return Response.text("done")
        }
        router.get("/boom") { _ in throw Boom() }
        router.post("/echo") { request in
            Response(
                status: 200, body: request.body,
                contentType: request.header("content-type") ?? "application/octet-stream")
        }
        server = Server(
            configuration: ServerConfiguration(
                port: 0, threads: threads, maximumBodyBytes: maximumBodyBytes, shutdownGrace: .seconds(5)),
            router: router, logger: Logger(service: "test", sink: logs), metrics: MetricsRegistry())
        try server.start()
    }

    deinit { server.stop() }
}

@Suite("HTTP server")
struct ServerTests {
    let client: HTTPClient

    init() throws { client = try HTTPClient() }

    func problem(_ response: HTTPClientResponse) throws -> Problem {
        #expect(response.header("content-type") == "application/problem+json")
        return try JSONDecoder().decode(Problem.self, from: Data(response.body))
    }

    @Test("routes with path parameters answer JSON, and HEAD is answered by GET routes")
    func routing() throws {
        let running = try RunningServer()
        let response = try client.send(HTTPClientRequest(url: running.base + "/items/abc-123"))
        #expect(response.status == 200)
        #expect(try JSONDecoder().decode([String: String].self, from: Data(response.body)) == ["id": "abc-123"])
        #expect(try client.send(HTTPClientRequest(method: "HEAD", url: running.base + "/items/1")).status == 200)
    }

    @Test("an unknown path is 404 problem+json with the path and a request id")
    func notFound() throws {
        let running = try RunningServer()
        let response = try client.send(HTTPClientRequest(url: running.base + "/nowhere"))
        #expect(response.status == 404)
        let body = try problem(response)
        #expect(body.status == 404)
        #expect(body.instance == "/nowhere")
        #expect(body.request_id == response.header("x-request-id"))
        #expect(body.request_id.count == 24)
    }

    @Test("a known path with the wrong method is 405 with Allow")
    func methodNotAllowed() throws {
        let running = try RunningServer()
        let response = try client.send(HTTPClientRequest(method: "DELETE", url: running.base + "/items/7"))
        #expect(response.status == 405)
        #expect(response.header("allow") == "GET, PUT")
        #expect(try problem(response).detail?.contains("DELETE") == true)
    }

    @Test("a body over the limit is 413 problem+json, and the server keeps serving")
    func tooLarge() throws {
        let running = try RunningServer(maximumBodyBytes: 1024)
        let response = try client.send(
            .json("POST", running.base + "/items", body: String(repeating: " ", count: 4096) + "{}"))
        #expect(response.status == 413)
        #expect(try problem(response).status == 413)
        let fine = try HTTPClient().send(.json("POST", running.base + "/items", body: #"{"name":"a","count":1}"#))
        #expect(fine.status == 201)
    }

    @Test("malformed JSON is 400 problem+json that says so")
    func malformedJSON() throws {
        let running = try RunningServer()
        let response = try client.send(.json("POST", running.base + "/items", body: #"{"name": "a", "count": 1"#))
        #expect(response.status == 400)
        let body = try problem(response)
        #expect(body.detail?.hasPrefix("the body is not valid JSON: the body ends inside an object") == true)
        #expect(body.type == "urn:dakiya:problem:invalid-request")
    }

    @Test(
        "a missing or mistyped field is 400 naming the field",
        arguments: [
            (#"{"name": "a"}"#, "count", "count is required"),
            (#"{"name": "a", "count": "three"}"#, "count", "count must be an integer, not a string"),
            (#"{"name": "a", "count": 1, "tags": ["x", 2]}"#, "tags[1]", "tags[1] must be a string, not a number"),
            (#"{"name": null, "count": 1}"#, "name", "name must be a string, not null"),
        ])
    func fieldProblems(body: String, field: String, detail: String) throws {
        let running = try RunningServer()
        let response = try client.send(.json("POST", running.base + "/items", body: body))
        #expect(response.status == 400)
        let problem = try problem(response)
        #expect(problem.errors?.first?.field == field)
        #expect(problem.errors?.first?.detail == detail)
        #expect(problem.detail == detail)
    }

    @Test("a body in another media type is 415; an empty body is 400")
    func mediaType() throws {
        let running = try RunningServer()
        let wrongType = try client.send(
            HTTPClientRequest(
                method: "POST", url: running.base + "/items",
                body: .bytes(Array("name=a".utf8), contentType: "application/x-www-form-urlencoded")))
        #expect(wrongType.status == 415)
        let empty = try client.send(.json("POST", running.base + "/items", body: ""))
        #expect(empty.status == 400)
        #expect(try problem(empty).detail == "a JSON body is required")
    }

    @Test("a handler's unexpected error is 500 with a request id and no internals")
    func internalError() throws {
        let running = try RunningServer()
        let response = try client.send(
            HTTPClientRequest(url: running.base + "/boom", headers: [("X-Request-Id", "portal-req-42")]))
        #expect(response.status == 500)
        #expect(response.header("x-request-id") == "portal-req-42")
        #expect(!response.text.contains("secret"))
        #expect(try problem(response).request_id == "portal-req-42")
        #expect(
            running.logs.lines.contains {
                $0.contains("\"request.id\":\"portal-req-42\"") && $0.contains("handler failed")
            })
    }

    @Test("every response and log line carries the request id; a malformed incoming id is replaced")
    func requestIDs() throws {
        let running = try RunningServer()
        let given = try client.send(
            HTTPClientRequest(url: running.base + "/items/1", headers: [("X-Request-Id", "abc.DEF-123_x")]))
        #expect(given.header("x-request-id") == "abc.DEF-123_x")
        let bad = try client.send(
            HTTPClientRequest(url: running.base + "/items/1", headers: [("X-Request-Id", "evil\" id")]))
        #expect(bad.header("x-request-id")?.count == 24)
        #expect(
            running.logs.lines.contains {
                $0.contains("\"request.id\":\"abc.DEF-123_x\"") && $0.contains("\"http.status\":\"200\"")
            })
    }

    @Test("connections are kept alive between requests")
    func keepAlive() throws {
        let running = try RunningServer()
        let first = try client.send(HTTPClientRequest(url: running.base + "/items/1"))
        let second = try client.send(HTTPClientRequest(url: running.base + "/items/2"))
        #expect(!first.reusedConnection)
        #expect(second.reusedConnection)
    }

    @Test("100 concurrent requests all succeed")
    func concurrentRequests() throws {
        let running = try RunningServer(threads: 8)
        let statuses = StatusBox()
        let threads = try (0..<100).map { index in
            try OwnedThread(name: "client-\(index)") {
                do {
                    let response = try HTTPClient().send(
                        .json("POST", running.base + "/items", body: #"{"name":"n\#(index)","count":\#(index)}"#))
                    let item = try JSONDecoder().decode(Item.self, from: Data(response.body))
                    statuses.add(response.status == 201 && item.count == index ? "ok" : "bad \(response.status)")
                } catch {
                    statuses.add("error \(error)")
                }
            }
        }
        for thread in threads { thread.join() }
        #expect(statuses.values.count == 100)
        #expect(statuses.values.allSatisfy { $0 == "ok" }, "\(Set(statuses.values))")
    }

    @Test("stop drains a request in flight, then refuses new connections")
    func gracefulShutdown() throws {
        let running = try RunningServer()
        let url = running.base
        let result = StatusBox()
        let inFlight = try OwnedThread(name: "slow") {
            do {
                let response = try HTTPClient().send(HTTPClientRequest(url: url + "/slow?ms=600"))
                result.add("\(response.status) \(response.text)")
            } catch {
                result.add("error \(error)")
            }
        }
        let deadline = ContinuousClock.now + .seconds(5)
        while running.server.requestsInFlight == 0 && ContinuousClock.now < deadline { usleep(5000) }
        #expect(running.server.requestsInFlight == 1)
        let stopStarted = ContinuousClock.now
        running.server.stop()
        #expect(ContinuousClock.now - stopStarted >= .milliseconds(300), "stop waited for the request")
        inFlight.join()
        #expect(result.values == ["200 done"])
        let refused = #expect(throws: HTTPClientError.self) {
            _ = try HTTPClient().send(HTTPClientRequest(url: url + "/items/1"))
        }
        #expect(refused?.code == .couldNotConnect)
    }
}

final class StatusBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func add(_ value: String) { lock.lock(); stored.append(value); lock.unlock() }
    var values: [String] { lock.lock(); defer { lock.unlock() }; return stored }
}

@Suite("HTTP server timeouts")
struct ServerTimeoutTests {
    @Test("an idle connection is closed after the connection timeout")
    func idleTimeout() throws {
        var router = Router()
        router.get("/x") { _ in Response.text("x") }
        let server = Server(
            configuration: ServerConfiguration(port: 0, threads: 1, connectionTimeout: .seconds(1)),
            router: router, logger: Logger(service: "t", sink: .capturing()), metrics: MetricsRegistry())
        try server.start()
        defer { server.stop() }
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = server.port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        #expect(connected == 0)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let started = ContinuousClock.now
        var byte: UInt8 = 0
        let received = read(descriptor, &byte, 1)  // blocks until the server closes the idle connection
        let waited = ContinuousClock.now - started
        #expect(received == 0, "the server closed the connection")
        #expect(waited >= .milliseconds(900) && waited < .seconds(4), "\(waited)")
    }
}
