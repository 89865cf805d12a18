import CCurl
import Glibc

/// How STARTTLS is used on an smtp:// connection (smtps:// is TLS from the first byte).
package enum SMTPTLSMode: String, Sendable, CaseIterable {
    /// Refuse to send unless the server upgrades the connection.
    case required
    /// Upgrade when the server offers it, send in clear text otherwise.
    case opportunistic
    /// Never upgrade (local test servers only).
    case off
}

/// SMTP connection settings.
package struct SMTPConfiguration: Sendable {
    /// `smtp://host:port` or `smtps://host:port`.
    package var url: String
    package var tlsMode: SMTPTLSMode
    package var username: String?
    package var password: String?
    package var caFile: String?
    package var timeout: Duration
    /// The name this client gives in EHLO.
    package var localName: String

    /// A server's URL (`smtp://` or `smtps://`), how TLS is used, credentials, trusted CAs, the timeout and the EHLO name.
    package init(
        url: String, tlsMode: SMTPTLSMode = .required, username: String? = nil, password: String? = nil,
        caFile: String? = nil, timeout: Duration = .seconds(30), localName: String = "dakiya.local"
    ) {
        self.url = url
        self.tlsMode = tlsMode
        self.username = username
        self.password = password
        self.caFile = caFile
        self.timeout = timeout
        self.localName = localName
    }
}

/// An SMTP failure, classified for the caller's retry decision.
package struct SMTPError: Error, CustomStringConvertible, Sendable {
    /// What the caller should do about the failure.
    package enum Kind: Sendable, Equatable {
        /// 4xx, or the connection failed: try again later.
        case temporary
        /// 5xx: the server refused this message or recipient for good.
        case permanent
        /// Authentication or TLS setup failed: a setting is wrong.
        case configuration
    }

    package var kind: Kind
    /// The server's last reply code (0 when there was none).
    package var replyCode: Int
    package var curlCode: Int32
    package var message: String

    package var description: String { "SMTP \(kind) failure: \(message) (reply \(replyCode), CURLcode \(curlCode))" }
}

/// Sends finished RFC 5322 messages over SMTP with libcurl, reusing the connection between messages.
///
/// Not thread-safe: one client per thread.
package final class SMTPClient {
    private let handle: UnsafeMutableRawPointer
    package let configuration: SMTPConfiguration

    /// A client with one libcurl handle for `configuration`'s server.
    /// - Throws: `SMTPError` (temporary) when libcurl cannot be initialised.
    package init(configuration: SMTPConfiguration) throws {
        try HTTPClient.initializeProcess()
        guard let handle = curl_easy_init() else {
            throw SMTPError(kind: .temporary, replyCode: 0, curlCode: -1, message: "curl_easy_init failed")
        }
        self.handle = handle
        self.configuration = configuration
    }

    deinit { curl_easy_cleanup(handle) }

    /// Sends `message` (CRLF line ends, headers included) from `sender` to `recipients`.
    /// - Throws: `SMTPError` classified temporary (4xx, connection), permanent (5xx) or configuration (authentication, TLS).
    package func send(from sender: String, to recipients: [String], message: [UInt8]) throws {
        curl_easy_reset(handle)
        var recipientList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(recipientList) }
        for recipient in recipients { recipientList = curl_slist_append(recipientList, "<\(recipient)>") }
        let source = MessageSource(bytes: message)
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let url =
            configuration.url.hasSuffix("/")
            ? configuration.url + configuration.localName : configuration.url + "/" + configuration.localName
        try check(cshim_setopt_str(handle, CURLOPT_URL, url))
        try check(cshim_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        let milliseconds =
            Int(configuration.timeout.components.seconds) * 1000
            + Int(configuration.timeout.components.attoseconds / 1_000_000_000_000_000)
        try check(cshim_setopt_long(handle, CURLOPT_TIMEOUT_MS, milliseconds))
        try check(cshim_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, min(milliseconds, 10_000)))
        let ssl: curl_usessl =
            switch configuration.tlsMode {
            case .required: CURLUSESSL_ALL
            case .opportunistic: CURLUSESSL_TRY
            case .off: CURLUSESSL_NONE
            }
        try check(cshim_setopt_long(handle, CURLOPT_USE_SSL, Int(ssl.rawValue)))
        if let caFile = configuration.caFile { try check(cshim_setopt_str(handle, CURLOPT_CAINFO, caFile)) }
        if let username = configuration.username { try check(cshim_setopt_str(handle, CURLOPT_USERNAME, username)) }
        if let password = configuration.password { try check(cshim_setopt_str(handle, CURLOPT_PASSWORD, password)) }
        try check(cshim_setopt_str(handle, CURLOPT_MAIL_FROM, "<\(sender)>"))
        try check(cshim_setopt_slist(handle, CURLOPT_MAIL_RCPT, recipientList))
        try check(cshim_setopt_long(handle, CURLOPT_UPLOAD, 1))
        try check(cshim_setopt_off(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(message.count)))
        try check(
            cshim_setopt_readfn(
                handle,
                { buffer, size, count, context in
                    guard let buffer, let context else { return 0 }
                    return Unmanaged<MessageSource>.fromOpaque(context).takeUnretainedValue().read(
                        into: buffer, capacity: size * count)
                }))
        try check(cshim_setopt_ptr(handle, CURLOPT_READDATA, Unmanaged.passUnretained(source).toOpaque()))
        let code = errorBuffer.withUnsafeMutableBufferPointer { errorPointer -> CURLcode in
            _ = cshim_setopt_ptr(handle, CURLOPT_ERRORBUFFER, errorPointer.baseAddress)
            return withExtendedLifetime(source) { curl_easy_perform(handle) }
        }
        _ = cshim_setopt_ptr(handle, CURLOPT_ERRORBUFFER, nil)
        guard code == CURLE_OK else {
            var reply = 0
            _ = cshim_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &reply)
            let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            let kind: SMTPError.Kind
            switch code {
            case CURLE_LOGIN_DENIED, CURLE_USE_SSL_FAILED, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE,
                CURLE_URL_MALFORMAT,
                CURLE_UNSUPPORTED_PROTOCOL:
                kind = .configuration
            default:
                kind = (500...599).contains(reply) ? .permanent : .temporary
            }
            throw SMTPError(kind: kind, replyCode: reply, curlCode: Int32(code.rawValue), message: message)
        }
    }

    private func check(_ code: CURLcode) throws {
        guard code == CURLE_OK else {
            throw SMTPError(
                kind: .configuration, replyCode: 0, curlCode: Int32(code.rawValue),
                message: String(cString: curl_easy_strerror(code)))
        }
    }
}

/// Feeds a message to libcurl's read callback.
private final class MessageSource {
    let bytes: [UInt8]
    var offset = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    func read(into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        let count = min(capacity, bytes.count - offset)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBytes { raw in
            UnsafeMutableRawPointer(buffer).copyMemory(from: raw.baseAddress! + offset, byteCount: count)
        }
        offset += count
        return count
    }
}
