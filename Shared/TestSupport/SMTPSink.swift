import Foundation

/// A real SMTP server for tests: Debian's aiosmtpd running Tests/Support/smtp_sink.py, storing each message.
package final class SMTPSink: @unchecked Sendable {
    package let port: UInt16
    package let folder: URL
    private var process: Process?
    /// CERT KEY [USER PASSWORD] for STARTTLS (and AUTH).
    private let tlsArguments: [String]

    package var url: String { "smtp://127.0.0.1:\(port)" }

    /// Starts the server. With `tls` it offers and requires STARTTLS with that PEM certificate and key; with
    /// `credentials` it also requires AUTH.
    package init(
        port: UInt16? = nil, tls: (certificate: String, key: String)? = nil,
        credentials: (user: String, password: String)? = nil
    ) throws {
        self.port = port ?? freePort()
        var extra: [String] = []
        if let tls { extra += [tls.certificate, tls.key] }
        if let credentials, tls != nil { extra += [credentials.user, credentials.password] }
        tlsArguments = extra
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("dakiya-smtp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try start()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: folder)
    }

    /// Starts (again) on the same port; returns once it accepts connections.
    package func start() throws {
        guard process == nil else { return }
        let python = URL(fileURLWithPath: "/usr/bin/python3")  // Debian's, where python3-aiosmtpd is installed
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw TestEnvironmentError(
                message: "/usr/bin/python3 is missing: run the tests with `make test`, which installs python3-aiosmtpd")
        }
        let script = Self.supportFolder.appendingPathComponent("smtp_sink.py").path
        let process = Process()
        process.executableURL = python
        process.arguments = [script, String(port), folder.path] + tlsArguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        self.process = process
        let line = output.fileHandleForReading.availableData
        guard String(decoding: line, as: UTF8.self).contains("ready") else {
            stop()
            throw TestEnvironmentError(
                message:
                    "the SMTP sink did not start (is python3-aiosmtpd installed? `make test` installs it): \(String(decoding: line, as: UTF8.self))"
            )
        }
    }

    /// Stops the server at once (SIGKILL): senders see the connection refused.
    package func stop() {
        guard let process else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// The raw messages received so far, oldest first.
    package func messages() throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "eml" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// What Python's email package makes of a message (see Tests/Support/check_mail.py).
    package static func parse(_ file: URL) throws -> [String: Any] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [supportFolder.appendingPathComponent("check_mail.py").path, file.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TestEnvironmentError(message: "check_mail.py printed no JSON")
        }
        return object
    }

    package static let supportFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Tests/Support")
}
