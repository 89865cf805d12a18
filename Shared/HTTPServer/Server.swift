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
    /// A connection must send a request's whole header within this, counted from the connection opening or
    /// the previous response (slow-header clients are closed, however often they send a byte).
    package var headerTimeout: Duration
    /// Connections open at once, in total (the file descriptor limit is raised to fit).
    package var maximumConnections: Int
    /// Connections open at once from one client address; 0 for no limit (behind a proxy every client is the proxy).
    package var maximumConnectionsPerClient: Int

    /// Where to listen, how many threads, the body limit and the timeouts and connection limits (see each property).
    package init(
        host: String = "127.0.0.1", port: UInt16 = 8080, threads: Int = 8, maximumBodyBytes: Int = 1 << 20,
        connectionTimeout: Duration = .seconds(30), shutdownGrace: Duration = .seconds(10),
        headerTimeout: Duration = .seconds(10),
        maximumConnections: Int = 8192, maximumConnectionsPerClient: Int = 2048
    ) {
        self.host = host
        self.port = port
        self.threads = threads
        self.maximumBodyBytes = maximumBodyBytes
        self.connectionTimeout = connectionTimeout
        self.shutdownGrace = shutdownGrace
        self.headerTimeout = headerTimeout
        self.maximumConnections = maximumConnections
        self.maximumConnectionsPerClient = maximumConnectionsPerClient
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
///
/// Against slow or idle clients: connections are bounded in total and per client address, a request's header
/// must arrive within `headerTimeout`, and the process's file descriptor limit is raised to fit the total.
/// Errors libmicrohttpd answers by itself before a request reaches us (a malformed request line or header,
/// a header larger than its 32 KiB connection buffer, an unsupported HTTP version) keep its own short HTML
/// bodies: version 0.9.75 has no hook to replace them.
package final class Server: Service, @unchecked Sendable {
    package let name = "http-server"
    private let configuration: ServerConfiguration
    private let router: Router
    private let logger: Logger
    private let requests: MetricsRegistry
    private let duration: Histogram
    private var daemon: OpaquePointer?
    private let lock = ConditionLock()
    private var inFlight = 0  // guarded by lock
    private var boundPort: UInt16 = 0
    private let headerDeadlines: HeaderDeadlines
    private var reaper: OwnedThread?

    /// A server for `router`, not yet listening.
    package init(configuration: ServerConfiguration, router: Router, logger: Logger, metrics: MetricsRegistry) {
        self.configuration = configuration
        self.router = router
        self.logger = logger
        self.requests = metrics
        self.duration = metrics.histogram(
            "dakiya_http_request_duration_seconds", help: "Time to answer an HTTP request.")
        self.headerDeadlines = HeaderDeadlines(
            timeout: configuration.headerTimeout,
            closed: metrics.counter(
                "dakiya_http_slow_header_closed_total",
                help: "Connections closed because a request header did not arrive in time."))
    }

    /// The port the server listens on (after `start`).
    package var port: UInt16 { boundPort }

    /// Requests being handled now.
    package var requestsInFlight: Int { lock.withLock { inFlight } }

    /// Starts listening; returns once the port is bound (port 0 picks a free one: `port`).
    /// - Throws: `HTTPServerError` when the port cannot be bound or libmicrohttpd cannot start.
    package func start() throws {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = configuration.port.bigEndian
        guard inet_pton(AF_INET, configuration.host, &address.sin_addr) == 1 else {
            throw HTTPServerError(message: "\(configuration.host) is not an IPv4 address", errno: EINVAL)
        }
        let completed: MHD_RequestCompletedCallback = { cls, connection, context, _ in
            guard let cls, let context, let raw = context.pointee else { return }
            context.pointee = nil
            let server = Unmanaged<Server>.fromOpaque(cls).takeUnretainedValue()
            Unmanaged<RequestState>.fromOpaque(raw).release()
            if let connection { server.headerDeadlines.awaitHeader(connection) }
            server.finishedRequest()
        }
        let notifyConnection: MHD_NotifyConnectionCallback = { cls, connection, _, event in
            guard let cls, let connection else { return }
            let server = Unmanaged<Server>.fromOpaque(cls).takeUnretainedValue()
            if event == MHD_ConnectionNotificationCode(rawValue: 0) {  // MHD_CONNECTION_NOTIFY_STARTED
                server.headerDeadlines.opened(connection, socket: cshim_mhd_connection_fd(connection))
            } else {
                server.headerDeadlines.closed(connection)
            }
        }
        // Paths and query arguments reach us as sent (still percent-encoded): the router splits the path before
        // decoding each segment, so `%2F` stays inside an id and `%00` can never cut a path short.
        let keepEscaped:
            @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafeMutablePointer<CChar>?) -> Int = {
                _, _, text in
                text.map { strlen($0) } ?? 0
            }
        let descriptors = Self.raiseDescriptorLimit(toFit: configuration.maximumConnections)
        let access: MHD_AccessHandlerCallback = { cls, connection, url, method, _, uploadData, uploadSize, context in
            guard let cls, let connection, let context, let uploadSize else { return .NO }
            let server = Unmanaged<Server>.fromOpaque(cls).takeUnretainedValue()
            return server.access(
                connection: connection, url: url, method: method, uploadData: uploadData,
                uploadSize: uploadSize, context: context)
        }
        let flags = MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_USE_EPOLL.rawValue | MHD_USE_ITC.rawValue
        let this = Unmanaged.passUnretained(self).toOpaque()
        daemon = withUnsafePointer(to: &address) { addressPointer in
            addressPointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                var options: [MHD_OptionItem] = [
                    MHD_OptionItem(option: .THREAD_POOL_SIZE, value: max(1, configuration.threads), ptr_value: nil),
                    MHD_OptionItem(
                        option: .CONNECTION_TIMEOUT, value: Int(configuration.connectionTimeout.seconds), ptr_value: nil
                    ),
                    MHD_OptionItem(
                        option: .NOTIFY_COMPLETED, value: unsafeBitCast(completed, to: Int.self), ptr_value: this),
                    MHD_OptionItem(
                        option: .SOCK_ADDR, value: 0, ptr_value: UnsafeMutableRawPointer(mutating: socketAddress)),
                    MHD_OptionItem(option: .LISTEN_BACKLOG_SIZE, value: 1024, ptr_value: nil),
                    MHD_OptionItem(option: .CONNECTION_LIMIT, value: descriptors, ptr_value: nil),
                    MHD_OptionItem(
                        option: .PER_IP_CONNECTION_LIMIT, value: max(0, configuration.maximumConnectionsPerClient),
                        ptr_value: nil),
                    MHD_OptionItem(
                        option: .NOTIFY_CONNECTION, value: unsafeBitCast(notifyConnection, to: Int.self),
                        ptr_value: this),
                    MHD_OptionItem(
                        option: .UNESCAPE_CALLBACK, value: unsafeBitCast(keepEscaped, to: Int.self), ptr_value: nil),
                    MHD_OptionItem(option: .END, value: 0, ptr_value: nil),
                ]
                return options.withUnsafeMutableBufferPointer { buffer in
                    cshim_mhd_start(flags, configuration.port, access, this, buffer.baseAddress)
                }
            }
        }
        guard let daemon else {
            throw HTTPServerError(
                message: "could not listen on \(configuration.host):\(configuration.port)", errno: errno)
        }
        boundPort = cshim_mhd_bound_port(daemon)
        let deadlines = headerDeadlines
        reaper = try OwnedThread(name: "http-header-timeout") { deadlines.run() }
        logger.info(
            "listening",
            [
                "http.host": configuration.host, "http.port": String(boundPort),
                "http.max_connections": String(descriptors),
            ])
    }

    /// Raises the soft file descriptor limit toward the hard one so `wanted` connections fit, and returns how many
    /// connections do fit (the rest of the descriptors stay for the database pool, files and the process).
    private static func raiseDescriptorLimit(toFit wanted: Int) -> Int {
        let reserve: rlim_t = 256
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
            return max(16, min(wanted, 768))
        }
        let target = min(limit.rlim_max, rlim_t(max(0, wanted)) + reserve)
        if target > limit.rlim_cur {
            var raised = limit
            raised.rlim_cur = target
            if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return max(16, min(wanted, Int(limit.rlim_cur > reserve * 2 ? limit.rlim_cur - reserve : limit.rlim_cur / 2)))
    }

    /// Stops accepting connections, lets in-flight requests finish (within the grace period), then closes.
    package func stop() {
        guard let daemon else { return }
        // Quiescing hands the listening socket back to us: close it so new clients are refused at once.
        let listener = MHD_quiesce_daemon(daemon)
        if listener >= 0 { close(listener) }
        let drained = lock.withLock { lock.wait(until: { inFlight == 0 }, timeout: configuration.shutdownGrace) }
        if !drained {
            logger.warning("stopping with requests still in flight", ["http.in_flight": String(requestsInFlight)])
        }
        MHD_stop_daemon(daemon)
        self.daemon = nil
        headerDeadlines.stop()
        reaper?.join()
        reaper = nil
    }

    // MARK: Request handling (on libmicrohttpd's threads)

    private func finishedRequest() {
        lock.withLock {
            inFlight -= 1
            if inFlight == 0 { lock.broadcast() }
        }
    }

    private func access(
        connection: OpaquePointer, url: UnsafePointer<CChar>?, method: UnsafePointer<CChar>?,
        uploadData: UnsafePointer<CChar>?, uploadSize: UnsafeMutablePointer<Int>,
        context: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    ) -> MHD_Result {
        guard let raw = context.pointee else {
            // First call: headers are in, the body (if any) follows.
            let state = RequestState(
                method: method.map { String(cString: $0) } ?? "GET", path: url.map { String(cString: $0) } ?? "/")
            state.headers = Self.values(connection, kind: .HEADER_KIND)
            state.query = Self.values(connection, kind: .GET_ARGUMENT_KIND)
            state.requestID = Self.requestID(from: state.headers["x-request-id"])
            headerDeadlines.headerArrived(connection)
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
        var request = Request(
            method: state.method, path: state.path, query: state.query, headers: state.headers,
            body: state.body, requestID: state.requestID)
        for (name, raw) in state.query.sorted(by: { $0.key < $1.key }) {
            guard case .success(let decodedName) = PercentEncoding.decode(name),
                case .success(let value) = PercentEncoding.decode(raw)
            else {
                state.route = "unmatched"
                let field = (try? PercentEncoding.decode(name).get()) ?? "query"
                return HTTPError.badRequest(
                    "the query parameter \(field) must be UTF-8 text without control characters, percent-encoded",
                    field: field
                )
                .response(requestID: state.requestID, instance: state.path)
            }
            request.query[name] = nil
            request.query[decodedName] = value
        }
        switch router.match(method: state.method, path: state.path) {
        case .badParameter(let name, let detail):
            state.route = "unmatched"
            return HTTPError.badRequest(detail, field: name).response(requestID: state.requestID, instance: state.path)
        case .notFound:
            state.route = "unmatched"
            return HTTPError(status: 404, detail: "no route for \(state.path)").response(
                requestID: state.requestID, instance: state.path)
        case .methodNotAllowed(let allowed):
            state.route = "unmatched"
            return HTTPError(
                status: 405, detail: "\(state.method) is not allowed here; use \(allowed.joined(separator: ", "))",
                headers: [("Allow", allowed.joined(separator: ", "))]
            )
            .response(requestID: state.requestID, instance: state.path)
        case .found(let handler, let parameters, let pattern):
            state.route = pattern
            request.pathParameters = parameters
            do {
                return try handler(request)
            } catch let error as HTTPError {
                return error.response(requestID: state.requestID, instance: state.path)
            } catch let error as any AuthenticationFailure {
                return HTTPError(
                    status: 401, detail: error.detail, type: "urn:dakiya:problem:unauthorized",
                    headers: [("WWW-Authenticate", error.challenge)]
                )
                .response(requestID: state.requestID, instance: state.path)
            } catch let error as any TemporaryUnavailability where error.isTemporarilyUnavailable {
                logger.warning(
                    "dependency unavailable",
                    ["request.id": state.requestID, "http.route": pattern, "error": String(describing: error)])
                return HTTPError(
                    status: 503,
                    detail:
                        "the service cannot reach its database just now; nothing was changed, retry after a few seconds",
                    type: "urn:dakiya:problem:unavailable", headers: [("Retry-After", "5")]
                )
                .response(requestID: state.requestID, instance: state.path)
            } catch {
                logger.error(
                    "handler failed",
                    [
                        "request.id": state.requestID, "http.route": pattern,
                        "error": String(describing: type(of: error)),
                    ])
                return HTTPError(
                    status: 500, detail: "the request failed on our side; quote the request id when you report it"
                )
                .response(requestID: state.requestID, instance: state.path)
            }
        }
    }

    private func respond(_ connection: OpaquePointer, _ state: RequestState, _ response: Response) -> MHD_Result {
        state.hasResponded = true
        if response.status == 0 { return .NO }  // Response.dropConnection: libmicrohttpd closes the connection
        let mhdResponse = response.body.withUnsafeBytes { bytes in
            MHD_create_response_from_buffer(
                bytes.count, UnsafeMutableRawPointer(mutating: bytes.baseAddress), .RESPMEM_MUST_COPY)
        }
        guard let mhdResponse else { return .NO }
        defer { MHD_destroy_response(mhdResponse) }
        for (name, value) in response.headers + [("X-Request-Id", state.requestID)]
        where MHD_add_response_header(mhdResponse, name, value) != .YES {
            // libmicrohttpd refuses a header with a line break or an invalid name: ours never have one, so this is our bug.
            logger.error("a response header was refused", ["request.id": state.requestID, "http.header": name])
        }
        let seconds = MonotonicTime.now().duration(since: state.started).seconds
        duration.observe(seconds)
        requests.counter(
            "dakiya_http_requests_total", help: "HTTP requests answered.",
            labels: ["route": state.route, "method": state.method, "status": String(response.status)]
        ).increment()
        let level: Logger.Level =
            response.status >= 500
            ? .error
            : (state.route == "/healthz" || state.route == "/metrics" || state.route == "/readyz" ? .debug : .info)
        logger.log(
            level, "request",
            [
                "request.id": state.requestID, "http.method": state.method, "http.route": state.route,
                "http.status": String(response.status), "http.duration_ms": String(Int(seconds * 1000)),
            ])
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
            header.utf8.allSatisfy({
                ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D
                    || $0 == 0x5F || $0 == 0x2E
            })
        {
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
