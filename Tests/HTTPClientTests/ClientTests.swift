import Foundation
import HTTPClient
import HTTPServer
import ServiceRuntime
import Testing

/// The client against real sockets: our own server, and a TLS server from Python's standard library.
@Suite("HTTP client")
struct ClientTests {
    static func echoServer() throws -> Server {
        var router = Router()
        router.post("/echo") { request in
            Response(
                status: 200, body: request.body, contentType: request.header("content-type") ?? "none",
                headers: [("X-Seen-Authorization", request.header("authorization") ?? "none")])
        }
        router.get("/slow") { _ in
            usleep(1_000_000); return Response.text("late")
        }
        router.get("/status/{code}") { request in Response(status: Int(try request.parameter("code")) ?? 500) }
        let server = Server(
            configuration: ServerConfiguration(port: 0, threads: 4, maximumBodyBytes: 4 << 20),
            router: router, logger: Logger(service: "test", sink: .capturing()), metrics: MetricsRegistry())
        try server.start()
        return server
    }

    @Test("a JSON body and headers arrive byte for byte; the response's status, headers and body come back")
    func jsonRoundTrip() throws {
        let server = try Self.echoServer()
        defer { server.stop() }
        let body = #"{"message":"प्रमाणपत्र तयार आहे","n":1}"#
        let response = try HTTPClient().send(
            .json(
                "POST", "http://127.0.0.1:\(server.port)/echo", body: body, headers: [("Authorization", "Bearer t0k")]))
        #expect(response.status == 200)
        #expect(response.text == body)
        #expect(response.header("content-type") == "application/json")
        #expect(response.header("X-SEEN-AUTHORIZATION") == "Bearer t0k")
    }

    @Test("error statuses are responses, not thrown errors: the caller decides")
    func statusesAreReturned() throws {
        let server = try Self.echoServer()
        defer { server.stop() }
        let client = try HTTPClient()
        for code in [400, 429, 503] {
            #expect(
                try client.send(HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/status/\(code)")).status == code
            )
        }
    }

    @Test("a multipart body carries its fields and a PDF intact")
    func multipart() throws {
        let server = try Self.echoServer()
        defer { server.stop() }
        let pdf = Array("%PDF-1.7\n".utf8) + (0..<3000).map { UInt8($0 % 256) }
        let response = try HTTPClient().send(
            HTTPClientRequest(
                method: "POST", url: "http://127.0.0.1:\(server.port)/echo",
                body: .multipart([
                    MultipartPart(name: "messaging_product", value: "whatsapp"),
                    MultipartPart(
                        name: "file", data: pdf, filename: "income-certificate.pdf", contentType: "application/pdf"),
                ])))
        let contentType = try #require(response.header("content-type"))
        #expect(contentType.hasPrefix("multipart/form-data; boundary="))
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(text.contains("name=\"messaging_product\"\r\n\r\nwhatsapp\r\n"))
        #expect(text.contains("name=\"file\"; filename=\"income-certificate.pdf\"\r\nContent-Type: application/pdf"))
        let bytes = response.body
        let start = try #require((0..<bytes.count - 8).first { Array(bytes[$0..<$0 + 8]) == Array("%PDF-1.7".utf8) })
        #expect(Array(bytes[start..<start + pdf.count]) == pdf)
    }

    @Test("a slow server hits the timeout; a closed port cannot be connected")
    func timeouts() throws {
        let server = try Self.echoServer()
        defer { server.stop() }
        let client = try HTTPClient(configuration: HTTPClientConfiguration(timeout: .milliseconds(200)))
        let slow = #expect(throws: HTTPClientError.self) {
            _ = try client.send(HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/slow"))
        }
        #expect(slow?.code == .timedOut)
        let closed = #expect(throws: HTTPClientError.self) {
            _ = try client.send(HTTPClientRequest(url: "http://127.0.0.1:1/"))
        }
        #expect(closed?.code == .couldNotConnect)
    }

    @Test(
        "the multi client sends requests at once: each response belongs to its request, a refused one fails alone, connections are reused"
    )
    func multiClient() throws {
        // Python's threading server answers /gather only when three requests are inside it together (a barrier):
        // sent one after another, they would time out. The server binds a free port and prints it once it listens,
        // so a slow start under a loaded test run is waited for, not guessed at.
        let script = """
            import http.server, threading
            barrier = threading.Barrier(3, timeout=5)
            class H(http.server.BaseHTTPRequestHandler):
                protocol_version = 'HTTP/1.1'
                def do_POST(self):
                    body = self.rfile.read(int(self.headers['Content-Length']))
                    try:
                        barrier.wait(); status = 200
                    except threading.BrokenBarrierError:
                        status = 504
                    if barrier.broken: barrier.reset()
                    self.send_response(status); self.send_header('Content-Length', str(len(body))); self.end_headers(); self.wfile.write(body)
                def log_message(self, *a): pass
            server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)
            print(server.server_address[1], flush=True)
            server.serve_forever()
            """
        let (python, port) = try Self.startPython(script)
        defer { kill(python.processIdentifier, SIGKILL); python.waitUntilExit() }
        let client = try HTTPMultiClient(configuration: HTTPClientConfiguration(timeout: .seconds(10)))
        let requests =
            (0..<3).map { HTTPClientRequest.json("POST", "http://127.0.0.1:\(port)/gather", body: "{\"n\":\($0)}") }
            + [HTTPClientRequest(url: "http://127.0.0.1:1/")]
        let results = client.send(requests)
        #expect(results.count == 4)
        for index in 0..<3 {
            let response = try results[index].get()
            #expect(response.status == 200)
            #expect(response.text == "{\"n\":\(index)}")
        }
        guard case .failure(let refused) = results[3] else { Issue.record("a closed port gave a response"); return }
        #expect(refused.code == .couldNotConnect)

        let again = client.send(Array(requests.prefix(3)))
        #expect(try again.map { try $0.get().status } == [200, 200, 200])
        #expect(try again.allSatisfy { try $0.get().reusedConnection })
        #expect(client.send([]).isEmpty)
    }

    @Test("TLS is verified by default: an unknown CA is refused, the same server is trusted with its CA file")
    func tlsVerification() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dakiya-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let cert = folder.appendingPathComponent("cert.pem").path
        let key = folder.appendingPathComponent("key.pem").path
        try run(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "ed25519", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert,
            ])
        let script = """
            import http.server, ssl
            class H(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    self.send_response(200); self.send_header('Content-Length', '2'); self.end_headers(); self.wfile.write(b'ok')
                def log_message(self, *a): pass
            s = http.server.HTTPServer(('127.0.0.1', 0), H)
            c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain('\(cert)', '\(key)')
            s.socket = c.wrap_socket(s.socket, server_side=True)
            print(s.server_address[1], flush=True)
            s.serve_forever()
            """
        let (python, port) = try Self.startPython(script)
        defer { kill(python.processIdentifier, SIGKILL); python.waitUntilExit() }
        let url = "https://127.0.0.1:\(port)/"
        let trusting = try HTTPClient(configuration: HTTPClientConfiguration(caFile: cert))
        let response = try? trusting.send(HTTPClientRequest(url: url))
        #expect(response?.status == 200)
        #expect(response?.text == "ok")
        let refused = #expect(throws: HTTPClientError.self) {
            _ = try HTTPClient(configuration: HTTPClientConfiguration(timeout: .seconds(5))).send(
                HTTPClientRequest(url: url))
        }
        #expect(refused?.code == .tls)
    }

    /// Starts a Python server that binds a free port and prints it once it listens; returns when it has.
    static func startPython(_ script: String) throws -> (Process, Int) {
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        python.arguments = ["-c", script]
        let output = Pipe()
        python.standardOutput = output
        try python.run()
        // availableData answers with what has arrived (read(upToCount:) waits for the whole count or the end).
        var printed = Data()
        while !printed.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            printed += chunk
        }
        guard let port = Int(String(decoding: printed, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        else {
            kill(python.processIdentifier, SIGKILL)
            python.waitUntilExit()
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "the server printed no port"])
        }
        return (python, port)
    }

    func run(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}
