import CCurl
import Glibc

/// A request body.
package enum HTTPClientBody: Sendable {
    case none
    case bytes([UInt8], contentType: String)
    /// multipart/form-data, built by libcurl.
    case multipart([MultipartPart])
}

/// One part of a multipart/form-data body.
package struct MultipartPart: Sendable {
    package var name: String
    package var data: [UInt8]
    package var filename: String?
    package var contentType: String?

    /// A part with raw `data`, as a file when `filename` is given.
    package init(name: String, data: [UInt8], filename: String? = nil, contentType: String? = nil) {
        self.name = name
        self.data = data
        self.filename = filename
        self.contentType = contentType
    }

    /// A plain text field.
    package init(name: String, value: String) { self.init(name: name, data: Array(value.utf8)) }
}

/// An outgoing request.
package struct HTTPClientRequest: Sendable {
    package var method: String
    package var url: String
    package var headers: [(String, String)]
    package var body: HTTPClientBody
    /// Overrides the client's total timeout for this request.
    package var timeout: Duration?

    /// A request; `timeout` overrides the client's for this one.
    package init(
        method: String = "GET", url: String, headers: [(String, String)] = [], body: HTTPClientBody = .none,
        timeout: Duration? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }

    /// A request whose body is `json` text.
    package static func json(_ method: String, _ url: String, body: String, headers: [(String, String)] = [])
        -> HTTPClientRequest
    {
        HTTPClientRequest(
            method: method, url: url, headers: headers, body: .bytes(Array(body.utf8), contentType: "application/json"))
    }
}

/// A response: status, headers (in order, names as sent) and body.
package struct HTTPClientResponse: Sendable {
    package var status: Int
    package var headers: [(String, String)]
    package var body: [UInt8]
    /// True when the request went over a kept-alive connection rather than a new one.
    package var reusedConnection: Bool = false

    /// The first header named `name` (any case).
    package func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.0.lowercased() == lowered }?.1
    }

    package var text: String { String(decoding: body, as: UTF8.self) }
}

/// A transport failure (no HTTP status): the caller decides whether to retry.
package struct HTTPClientError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, as a short stable name.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        package var rawValue: String
        package var description: String { rawValue }
        package static let timedOut = Code(rawValue: "timed_out")
        package static let couldNotConnect = Code(rawValue: "could_not_connect")
        package static let couldNotResolve = Code(rawValue: "could_not_resolve")
        package static let tls = Code(rawValue: "tls")
        package static let invalidRequest = Code(rawValue: "invalid_request")
        package static let transport = Code(rawValue: "transport")
    }

    package var code: Code
    /// libcurl's CURLcode.
    package var curlCode: Int32
    /// libcurl's explanation (names hosts, never bodies).
    package var message: String

    /// A failure of `code` with libcurl's own code and message.
    package init(code: Code, curlCode: Int32, message: String) {
        self.code = code
        self.curlCode = curlCode
        self.message = message
    }

    package var description: String { "HTTP client \(code): \(message) (CURLcode \(curlCode))" }
}

/// Client settings.
package struct HTTPClientConfiguration: Sendable {
    package var connectTimeout: Duration
    package var timeout: Duration
    /// TLS peer and host verification: on unless a test turns it off.
    package var verifiesTLS: Bool
    /// A PEM bundle of trusted CAs instead of the system's.
    package var caFile: String?
    package var userAgent: String

    /// Timeouts, TLS verification (on unless a test turns it off), trusted CAs and the User-Agent.
    package init(
        connectTimeout: Duration = .seconds(5), timeout: Duration = .seconds(30), verifiesTLS: Bool = true,
        caFile: String? = nil, userAgent: String = "dakiya/1"
    ) {
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.verifiesTLS = verifiesTLS
        self.caFile = caFile
        self.userAgent = userAgent
    }
}

/// An HTTP client over one libcurl easy handle: connections are reused between requests (keep-alive).
///
/// Not thread-safe: each thread that sends requests owns its own client. No retries are hidden here.
package final class HTTPClient {
    fileprivate let handle: UnsafeMutableRawPointer
    package let configuration: HTTPClientConfiguration

    private static let globalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

    /// Initialises libcurl for the process. Services call it once at start, before any thread (ServiceHost.main);
    /// later calls only report the first call's result.
    /// - Throws: `HTTPClientError` when libcurl cannot be initialised.
    package static func initializeProcess() throws {
        guard globalInit == CURLE_OK else {
            throw HTTPClientError(
                code: .transport, curlCode: Int32(globalInit.rawValue), message: "curl_global_init failed")
        }
    }

    /// A client with one libcurl handle (connections kept alive between requests).
    /// - Throws: `HTTPClientError` when libcurl cannot be initialised.
    package init(configuration: HTTPClientConfiguration = HTTPClientConfiguration()) throws {
        try Self.initializeProcess()
        guard let handle = curl_easy_init() else {
            throw HTTPClientError(code: .transport, curlCode: -1, message: "curl_easy_init failed")
        }
        self.handle = handle
        self.configuration = configuration
    }

    deinit { curl_easy_cleanup(handle) }

    /// Sends `request` and returns the response, whatever its status. Throws only for transport failures.
    /// - Throws: `HTTPClientError` for a transport failure (refused, timed out, TLS); never for an HTTP status.
    package func send(_ request: HTTPClientRequest) throws -> HTTPClientResponse {
        let transfer = try prepare(request)
        return try finish(transfer, withExtendedLifetime(transfer) { curl_easy_perform(handle) })
    }

    /// Sets the handle up for `request`; the transfer keeps alive what libcurl reads and writes until `finish`.
    fileprivate func prepare(_ request: HTTPClientRequest) throws -> Transfer {
        curl_easy_reset(handle)  // keeps the connection cache
        let transfer = Transfer()
        let timeout = request.timeout ?? configuration.timeout
        try check(cshim_setopt_str(handle, CURLOPT_URL, request.url))
        try check(cshim_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        try check(cshim_setopt_long(handle, CURLOPT_TIMEOUT_MS, timeout.milliseconds))
        try check(cshim_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, configuration.connectTimeout.milliseconds))
        try check(cshim_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, configuration.verifiesTLS ? 1 : 0))
        try check(cshim_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, configuration.verifiesTLS ? 2 : 0))
        if let caFile = configuration.caFile { try check(cshim_setopt_str(handle, CURLOPT_CAINFO, caFile)) }
        try check(cshim_setopt_str(handle, CURLOPT_USERAGENT, configuration.userAgent))
        try check(cshim_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0))
        try check(cshim_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1))
        try check(
            cshim_setopt_writefn(
                handle, CURLOPT_WRITEFUNCTION,
                { data, size, count, context in
                    guard let data, let context else { return 0 }
                    let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
                    data.withMemoryRebound(to: UInt8.self, capacity: size * count) {
                        sink.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: size * count))
                    }
                    return size * count
                }))
        try check(
            cshim_setopt_writefn(
                handle, CURLOPT_HEADERFUNCTION,
                { data, size, count, context in
                    guard let data, let context else { return 0 }
                    let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
                    let line = String(decoding: UnsafeRawBufferPointer(start: data, count: size * count), as: UTF8.self)
                    sink.addHeaderLine(line)
                    return size * count
                }))
        let context = Unmanaged.passUnretained(transfer.sink).toOpaque()
        try check(cshim_setopt_ptr(handle, CURLOPT_WRITEDATA, context))
        try check(cshim_setopt_ptr(handle, CURLOPT_HEADERDATA, context))

        var headers = request.headers
        headers.append(("Expect", ""))  // no 100-continue round trip
        switch request.body {
        case .none:
            break
        case .bytes(let bytes, let contentType):
            // libcurl does not copy POSTFIELDS: the transfer owns a copy until it is finished.
            let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
            copy.copyBytes(from: bytes)
            transfer.body = copy
            try check(cshim_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bytes.count)))
            try check(cshim_setopt_ptr(handle, CURLOPT_POSTFIELDS, copy.baseAddress))
            if !headers.contains(where: { $0.0.lowercased() == "content-type" }) {
                headers.append(("Content-Type", contentType))
            }
        case .multipart(let parts):
            let mime = curl_mime_init(handle)
            transfer.mime = mime
            for part in parts {
                let mimePart = curl_mime_addpart(mime)
                curl_mime_name(mimePart, part.name)
                _ = part.data.withUnsafeBufferPointer { buffer in
                    // copies
                    buffer.withMemoryRebound(to: CChar.self) { curl_mime_data(mimePart, $0.baseAddress, $0.count) }
                }
                if let filename = part.filename { curl_mime_filename(mimePart, filename) }
                if let contentType = part.contentType { curl_mime_type(mimePart, contentType) }
            }
            try check(cshim_setopt_mime(handle, mime))
        }
        for (name, value) in headers {
            transfer.headerList = curl_slist_append(
                transfer.headerList, value.isEmpty ? "\(name):" : "\(name): \(value)")
        }
        try check(cshim_setopt_slist(handle, CURLOPT_HTTPHEADER, transfer.headerList))

        let method = request.method.uppercased()
        if method == "HEAD" {
            try check(cshim_setopt_long(handle, CURLOPT_NOBODY, 1))
        } else if method != "GET" || transfer.body != nil {
            try check(cshim_setopt_str(handle, CURLOPT_CUSTOMREQUEST, method))
        }
        try check(cshim_setopt_ptr(handle, CURLOPT_ERRORBUFFER, transfer.errorBuffer))
        return transfer
    }

    /// The response of a transfer libcurl ended with `code`.
    fileprivate func finish(_ transfer: Transfer, _ code: CURLcode) throws -> HTTPClientResponse {
        _ = cshim_setopt_ptr(handle, CURLOPT_ERRORBUFFER, nil)
        guard code == CURLE_OK else {
            let detail = String(cString: transfer.errorBuffer)
            throw Self.error(code, detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail)
        }
        var status = 0
        var newConnections = 0
        _ = cshim_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        _ = cshim_getinfo_long(handle, CURLINFO_NUM_CONNECTS, &newConnections)
        return HTTPClientResponse(
            status: status, headers: transfer.sink.headers, body: transfer.sink.body,
            reusedConnection: newConnections == 0)
    }

    /// The one funnel from CURLcode to a thrown error.
    fileprivate func check(_ code: CURLcode) throws {
        guard code == CURLE_OK else { throw Self.error(code, String(cString: curl_easy_strerror(code))) }
    }

    fileprivate static func error(_ code: CURLcode, _ message: String) -> HTTPClientError {
        let kind: HTTPClientError.Code
        switch code {
        case CURLE_OPERATION_TIMEDOUT: kind = .timedOut
        case CURLE_COULDNT_CONNECT: kind = .couldNotConnect
        case CURLE_COULDNT_RESOLVE_HOST: kind = .couldNotResolve
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM:
            kind = .tls
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_BAD_FUNCTION_ARGUMENT, CURLE_UNKNOWN_OPTION:
            kind = .invalidRequest
        default: kind = .transport
        }
        return HTTPClientError(code: kind, curlCode: Int32(code.rawValue), message: message)
    }
}

/// Sends several requests at once from one thread (libcurl's multi interface), each on its own easy handle.
/// Connections stay open between calls, in the multi handle's cache. Not thread-safe, like `HTTPClient`.
package final class HTTPMultiClient {
    private let multi: UnsafeMutableRawPointer
    private var clients: [HTTPClient] = []
    package let configuration: HTTPClientConfiguration

    /// A client that sends many requests at once over one libcurl multi handle.
    /// - Throws: `HTTPClientError` when libcurl cannot be initialised.
    package init(configuration: HTTPClientConfiguration = HTTPClientConfiguration()) throws {
        try HTTPClient.initializeProcess()
        guard let multi = curl_multi_init() else {
            throw HTTPClientError(code: .transport, curlCode: -1, message: "curl_multi_init failed")
        }
        self.multi = multi
        self.configuration = configuration
    }

    deinit {
        clients.removeAll()
        curl_multi_cleanup(multi)
    }

    /// Sends every request at once and returns each one's response or transport failure, in the requests' order.
    package func send(_ requests: [HTTPClientRequest]) -> [Result<HTTPClientResponse, HTTPClientError>] {
        while clients.count < requests.count {
            guard let client = try? HTTPClient(configuration: configuration) else { break }
            clients.append(client)
        }
        var results = [Result<HTTPClientResponse, HTTPClientError>?](repeating: nil, count: requests.count)
        var transfers: [Int: Transfer] = [:]
        for (index, request) in requests.enumerated() {
            guard index < clients.count else {
                results[index] = .failure(
                    HTTPClientError(code: .transport, curlCode: -1, message: "curl_easy_init failed"))
                continue
            }
            do {
                transfers[index] = try clients[index].prepare(request)
                let added = curl_multi_add_handle(multi, clients[index].handle)
                guard added == CURLM_OK else {
                    transfers[index] = nil
                    throw HTTPClientError(
                        code: .transport, curlCode: Int32(added.rawValue),
                        message: String(cString: curl_multi_strerror(added)))
                }
            } catch {
                results[index] = .failure(
                    error as? HTTPClientError
                        ?? HTTPClientError(code: .invalidRequest, curlCode: -1, message: String(describing: error)))
            }
        }
        var running: Int32 = 0
        repeat {
            let performed = curl_multi_perform(multi, &running)
            if performed != CURLM_OK { break }
            if running > 0 { _ = curl_multi_poll(multi, nil, 0, 1000, nil) }
        } while running > 0
        var left: Int32 = 0
        while let message = curl_multi_info_read(multi, &left) {
            guard message.pointee.msg == CURLMSG_DONE,
                let index = clients.indices.first(where: { clients[$0].handle == message.pointee.easy_handle }),
                let transfer = transfers[index]
            else { continue }
            let code = message.pointee.data.result
            results[index] = Result { try clients[index].finish(transfer, code) }.mapError {
                $0 as? HTTPClientError
                    ?? HTTPClientError(
                        code: .transport, curlCode: Int32(code.rawValue), message: String(describing: $0))
            }
        }
        for index in transfers.keys { curl_multi_remove_handle(multi, clients[index].handle) }
        return results.map {
            $0 ?? .failure(HTTPClientError(code: .transport, curlCode: -1, message: "the transfer did not finish"))
        }
    }
}

/// What libcurl reads and writes while a transfer runs: the response sink, header list, MIME body, a copy of the
/// body bytes and the error buffer. Freed when the transfer is finished.
private final class Transfer {
    let sink = ResponseSink()
    var headerList: UnsafeMutablePointer<curl_slist>?
    var mime: OpaquePointer?
    var body: UnsafeMutableRawBufferPointer?
    let errorBuffer: UnsafeMutablePointer<CChar>

    init() {
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        curl_slist_free_all(headerList)
        if let mime { curl_mime_free(mime) }
        body?.deallocate()
        errorBuffer.deallocate()
    }
}

/// Collects one response's headers and body from libcurl's callbacks.
private final class ResponseSink {
    var body: [UInt8] = []
    var headers: [(String, String)] = []

    func addHeaderLine(_ line: String) {
        let trimmed = line.trimmingSuffix()
        if trimmed.hasPrefix("HTTP/") { headers.removeAll(); return }  // a new response (after 100 Continue)
        guard let colon = trimmed.firstIndex(of: ":") else { return }
        let name = String(trimmed[..<colon])
        let value = String(trimmed[trimmed.index(after: colon)...]).trimmingPrefixSpaces()
        headers.append((name, value))
    }
}

private extension Duration {
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}

private extension String {
    func trimmingSuffix() -> String {
        var copy = self
        while let last = copy.last, last == "\r" || last == "\n" || last == "\r\n" { copy.removeLast() }
        return copy
    }

    func trimmingPrefixSpaces() -> String { String(drop { $0 == " " || $0 == "\t" }) }
}
