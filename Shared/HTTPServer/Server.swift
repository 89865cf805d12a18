import CMicroHTTPD
import Glibc
import ServiceRuntime

/// Where and how the server listens.
package struct ServerConfiguration: Sendable {
    /// `127.0.0.1`, `0.0.0.0` or another IPv4 address.
    package var host: String
    /// 0 picks a free port (tests); read `Server.port` after start.
    package var port: UInt16
    /// Threads that run handlers; handlers that hit the database each hold a connection.
    package var threads: Int
    /// Bodies above this get 413.
    package var maximumBodyBytes: Int
    /// Idle connections are closed after this.
    package var connectionTimeout: Duration
    /// On stop, how long in-flight requests may take to finish.
    package var shutdownGrace: Duration

    package init(host: String = "127.0.0.1", port: UInt16 = 8080, threads: Int = 8, maximumBodyBytes: Int = 1 << 20,
                 connectionTimeout: Duration = .seconds(30), shutdownGrace: Duration = .seconds(10)) {
        self.host = host
        self.port = port
        self.threads = threads
        self.maximumBodyBytes = maximumBodyBytes
        self.connectionTimeout = connectionTimeout
        self.shutdownGrace = shutdownGrace
    }
}

/// An error starting the server (the port is taken, the address is wrong).
package struct HTTPServerError: Error, CustomStringConvertible, Sendable {
    package var message: String
    package var errno: Int32
    package var description: String { "HTTP server: \(message) (errno \(errno))" }
}

/// An HTTP/1.1 server over libmicrohttpd: a thread pool with epoll, keep-alive, a body limit, timeouts,
/// problem+json for every error, a request id on every response and log line, and a graceful stop.
package final class Server: Service, @unchecked Sendable {
    package let name = "http-server"
    private let configuration: ServerConfiguration
    private let router: Router
    private let logger: Logger
    private let requests: MetricsRegistry
    private let duration: Histogram
    private var daemon: OpaquePointer?
    private let lock = ConditionLock()
    private var inFlight = 0   // guarded by lock
    private var boundPort: UInt16 = 0

    package init(configuration: ServerConfiguration, router: Router, logger: Logger, metrics: MetricsRegistry) {
        self.configuration = configuration
        self.router = router
        self.logger = logger
        self.requests = metrics
        self.duration = metrics.histogram("dakiya_http_request_duration_seconds", help: "Time to answer an HTTP request.")
    }

    /// The port the server listens on (after `start`).
    package var port: UInt16 { boundPort }

    /// Requests being handled now.
    package var requestsInFlight: Int { lock.withLock { inFlight } }

    package func start() throws {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = configuration.port.bigEndian
        guard inet_pton(AF_INET, configuration.host, &address.sin_addr) == 1 else {
            throw HTTPServerError(message: "\(configuration.host) is not an IPv4 address", errno: EINVAL)
        }
        let completed: MHD_RequestCompletedCallback = { cls, _, context, _ in
            guard let cls, let context, let raw = context.pointee else { return }
            context.pointee = nil
            let server = Unmanaged<Server>.fromOpaque(cls).takeUnretainedValue()
            Unmanaged<RequestState>.fromOpaque(raw).release()
            server.finishedRequest()
        }
        let access: MHD_AccessHandlerCallback = { cls, connection, url, method, _, uploadData, uploadSize, context in
            guard let cls, let connection, let context, let uploadSize else { return .NO }
            let server = Unmanaged<Server>.fromOpaque(cls).takeUnretainedValue()
            return server.access(connection: connection, url: url, method: method, uploadData: uploadData,
                                 uploadSize: uploadSize, context: context)
        }
        let flags = MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_USE_EPOLL.rawValue | MHD_USE_ITC.rawValue
        let this = Unmanaged.passUnretained(self).toOpaque()
        daemon = withUnsafePointer(to: &address) { addressPointer in
            addressPointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                var options: [MHD_OptionItem] = [
                    MHD_OptionItem(option: .THREAD_POOL_SIZE, value: max(1, configuration.threads), ptr_value: nil),
                    MHD_OptionItem(option: .CONNECTION_TIMEOUT, value: Int(configuration.connectionTimeout.seconds), ptr_value: nil),
                    MHD_OptionItem(option: .NOTIFY_COMPLETED, value: unsafeBitCast(completed, to: Int.self), ptr_value: this),
                    MHD_OptionItem(option: .SOCK_ADDR, value: 0, ptr_value: UnsafeMutableRawPointer(mutating: socketAddress)),
                    MHD_OptionItem(option: .LISTEN_BACKLOG_SIZE, value: 1024, ptr_value: nil),
                    MHD_OptionItem(option: .END, value: 0, ptr_value: nil),
                ]
                return options.withUnsafeMutableBufferPointer { buffer in
                    cshim_mhd_start(flags, configuration.port, access, this, buffer.baseAddress)
                }
            }
        }
        guard let daemon else {
            throw HTTPServerError(message: "could not listen on \(configuration.host):\(configuration.port)", errno: errno)
        }
        boundPort = cshim_mhd_bound_port(daemon)
        logger.info("listening", ["http.host": configuration.host, "http.port": String(boundPort)])
    }

    /// Stops accepting connections, lets in-flight requests finish (within the grace period), then closes.
    package func stop() {
        guard let daemon else { return }
        // Quiescing hands the listening socket back to us: close it so new clients are refused at once.
        let listener = MHD_quiesce_daemon(daemon)
        if listener >= 0 { close(listener) }
        let drained = lock.withLock { lock.wait(until: { inFlight == 0 }, timeout: configuration.shutdownGrace) }
        if !drained { logger.warning("stopping with requests still in flight", ["http.in_flight": String(requestsInFlight)]) }
        MHD_stop_daemon(daemon)
        self.daemon = nil
    }

    // MARK: Request handling (on libmicrohttpd's threads)

    private func finishedRequest() {
        lock.withLock {
            inFlight -= 1
            if inFlight == 0 { lock.broadcast() }
        }
    }

    private func access(connection: OpaquePointer, url: UnsafePointer<CChar>?, method: UnsafePointer<CChar>?,
                        uploadData: UnsafePointer<CChar>?, uploadSize: UnsafeMutablePointer<Int>,
                        context: UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> MHD_Result {
        guard let raw = context.pointee else {
            // First call: headers are in, the body (if any) follows.
            let state = RequestState(method: method.map { String(cString: $0) } ?? "GET", path: url.map { String(cString: $0) } ?? "/")
            state.headers = Self.values(connection, kind: .HEADER_KIND)
            state.query = Self.values(connection, kind: .GET_ARGUMENT_KIND)
            state.requestID = Self.requestID(from: state.headers["x-request-id"])
            context.pointee = Unmanaged.passRetained(state).toOpaque()
            lock.withLock { inFlight += 1 }
            if let length = state.headers["content-length"].flatMap(Int.init), length > configuration.maximumBodyBytes {
                state.isTooLarge = true
                return respond(connection, state, tooLarge(state))
            }
            return .YES
        }
        let state = Unmanaged<RequestState>.fromOpaque(raw).takeUnretainedValue()
        if uploadSize.pointee > 0 {
            if !state.isTooLarge, let uploadData {
                if state.body.count + uploadSize.pointee > configuration.maximumBodyBytes {
                    state.isTooLarge = true
                    state.body = []
                } else {
                    uploadData.withMemoryRebound(to: UInt8.self, capacity: uploadSize.pointee) {
                        state.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: uploadSize.pointee))
                    }
                }
            }
            uploadSize.pointee = 0
            return .YES
        }
        if state.hasResponded { return .YES }
        if state.isTooLarge { return respond(connection, state, tooLarge(state)) }
        return respond(connection, state, handle(state))
    }

    private func tooLarge(_ state: RequestState) -> Response {
        HTTPError(status: 413, detail: "the body is larger than \(configuration.maximumBodyBytes) bytes")
            .response(requestID: state.requestID, instance: state.path)
    }

    private func handle(_ state: RequestState) -> Response {
        var request = Request(method: state.method, path: state.path, query: state.query, headers: state.headers,
                              body: state.body, requestID: state.requestID)
        switch router.match(method: state.method, path: state.path) {
        case .notFound:
            state.route = "unmatched"
            return HTTPError(status: 404, detail: "no route for \(state.path)").response(requestID: state.requestID, instance: state.path)
        case .methodNotAllowed(let allowed):
            state.route = "unmatched"
            return HTTPError(status: 405, detail: "\(state.method) is not allowed here; use \(allowed.joined(separator: ", "))",
                             headers: [("Allow", allowed.joined(separator: ", "))])
                .response(requestID: state.requestID, instance: state.path)
        case .found(let handler, let parameters, let pattern):
            state.route = pattern
            request.pathParameters = parameters
            do {
                return try handler(request)
            } catch let error as HTTPError {
                return error.response(requestID: state.requestID, instance: state.path)
            } catch {
                logger.error("handler failed", ["request.id": state.requestID, "http.route": pattern,
                                                "error": String(describing: type(of: error))])
                return HTTPError(status: 500, detail: "the request failed on our side; quote the request id when you report it")
                    .response(requestID: state.requestID, instance: state.path)
            }
        }
    }

    private func respond(_ connection: OpaquePointer, _ state: RequestState, _ response: Response) -> MHD_Result {
        state.hasResponded = true
        if response.status == 0 { return .NO }   // Response.dropConnection: libmicrohttpd closes the connection
        let mhdResponse = response.body.withUnsafeBytes { bytes in
            MHD_create_response_from_buffer(bytes.count, UnsafeMutableRawPointer(mutating: bytes.baseAddress), .RESPMEM_MUST_COPY)
        }
        guard let mhdResponse else { return .NO }
        defer { MHD_destroy_response(mhdResponse) }
        for (name, value) in response.headers { _ = MHD_add_response_header(mhdResponse, name, value) }
        _ = MHD_add_response_header(mhdResponse, "X-Request-Id", state.requestID)
        let seconds = MonotonicTime.now().duration(since: state.started).seconds
        duration.observe(seconds)
        requests.counter("dakiya_http_requests_total", help: "HTTP requests answered.",
                         labels: ["route": state.route, "method": state.method, "status": String(response.status)]).increment()
        let level: Logger.Level = response.status >= 500 ? .error : (state.route == "/healthz" || state.route == "/metrics" || state.route == "/readyz" ? .debug : .info)
        logger.log(level, "request", ["request.id": state.requestID, "http.method": state.method, "http.route": state.route,
                                      "http.status": String(response.status), "http.duration_ms": String(Int(seconds * 1000))])
        return MHD_queue_response(connection, UInt32(response.status), mhdResponse)
    }

    private static func values(_ connection: OpaquePointer, kind: MHD_ValueKind) -> [String: String] {
        final class Box { var values: [String: String] = [:] }
        let box = Box()
        let iterator: MHD_KeyValueIterator = { cls, _, key, value in
            guard let cls, let key else { return .YES }
            let box = Unmanaged<Box>.fromOpaque(cls).takeUnretainedValue()
            box.values[String(cString: key).lowercased()] = value.map { String(cString: $0) } ?? ""
            return .YES
        }
        withExtendedLifetime(box) {
            _ = MHD_get_connection_values(connection, kind, iterator, Unmanaged.passUnretained(box).toOpaque())
        }
        return box.values
    }

    private static func requestID(from header: String?) -> String {
        if let header, (1...128).contains(header.utf8.count),
           header.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E }) {
            return header
        }
        var bytes = [UInt8](repeating: 0, count: 12)
        for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255) }
        return bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}

/// What the server keeps for one request between libmicrohttpd's calls.
final class RequestState {
    let method: String
    let path: String
    var headers: [String: String] = [:]
    var query: [String: String] = [:]
    var body: [UInt8] = []
    var isTooLarge = false
    var hasResponded = false
    var requestID = ""
    var route = "unmatched"
    let started = MonotonicTime.now()

    init(method: String, path: String) {
        self.method = method
        self.path = path
    }
}
