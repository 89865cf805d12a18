import Appeals
import Cryptography
import Delivery
import Foundation
import HTTPClient
import JobContracts
import JobQueue
import Postgres
import ServiceRuntime
import Texts

extension WhatsAppSender {
    /// A `shortfall.fetch` job: the file a citizen sent to answer a shortfall is fetched from the Graph API (its
    /// metadata, then its URL, both with the number's token), checked (a PDF, JPEG or PNG whose bytes say so, within
    /// DAKIYA_SHORTFALL_MAX_BYTES, matching the SHA-256 Meta gave), passed to the virus-scan hook, then kept with the
    /// certificates' retention and accepted in one transaction with the citizen's acknowledgement. A file that fails
    /// a check is refused once, and the citizen is told why.
    func fetchShortfallReply(_ job: ClaimedJob) throws {
        let id = try Jobs.shortfallFetch.payload(of: job).replyID
        guard let reply = try pool.withConnection({ try Shortfalls.reply(id, on: $0) }) else {
            throw JobError.permanent("no shortfall reply \(id)")
        }
        guard reply.state == "pending", let mediaID = reply.mediaID else { return }
        let from = settings.phoneNumberID
        let base = reply.isTest ? settings.testGraphURL ?? settings.graphURL : settings.graphURL
        let authorization = ("Authorization", "Bearer \(token(for: from))")
        let metadata = try clients.with {
            try $0.send(HTTPClientRequest(url: base + "/\(settings.version)/\(mediaID)", headers: [authorization]))
        }
        struct Metadata: Decodable {
            var url: String
            var mimeType: String?
            var sha256: String?
            var fileSize: Int?
            enum CodingKeys: String, CodingKey { case url, mimeType = "mime_type", sha256, fileSize = "file_size" }
        }
        guard metadata.status == 200,
            let media = try? JSONDecoder().decode(Metadata.self, from: Data(metadata.body))
        else {
            let error = Self.graphError(metadata)
            // Meta keeps a citizen's media for a while only: a media id it no longer knows is gone for good.
            if error.code == 100 || metadata.status == 404 { return try refuseShortfallReply(reply, reason: "damaged") }
            throw jobError(for: error, attempt: job.attempt, from: from)
        }
        let type =
            (media.mimeType ?? reply.declaredType ?? "").split(separator: ";").first.map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            } ?? ""
        guard let magic = Shortfalls.acceptedTypes[type] else {
            return try refuseShortfallReply(reply, reason: "type")
        }
        if let size = media.fileSize, size > settings.shortfallMaxBytes {
            return try refuseShortfallReply(reply, reason: "size")
        }
        let download = try clients.with {
            try $0.send(HTTPClientRequest(url: media.url, headers: [authorization], timeout: .seconds(120)))
        }
        guard download.status == 200 else {
            throw JobError.retryable("the media download answered \(download.status)", code: String(download.status))
        }
        let bytes = download.body
        guard bytes.count <= settings.shortfallMaxBytes else { return try refuseShortfallReply(reply, reason: "size") }
        let digest = SHA256.hash(bytes)
        let matches =
            media.sha256.map { $0.lowercased() == Hex.encode(digest) || $0 == Data(digest).base64EncodedString() }
            ?? true
        guard matches, media.fileSize.map({ $0 == bytes.count }) ?? true else {
            // A download cut short or altered: try again a few times before telling the citizen.
            if job.attempt < 3 { throw JobError.retryable("the media download did not match its SHA-256 or size") }
            return try refuseShortfallReply(reply, reason: "damaged")
        }
        guard bytes.starts(with: magic) else { return try refuseShortfallReply(reply, reason: "type") }
        var scan = "not_scanned"
        if let command = settings.virusScanCommand {
            switch try Self.scan(bytes, with: command) {
            case .clean: scan = "clean"
            case .infected: return try refuseShortfallReply(reply, reason: "scan")
            }
        }
        let fileName =
            reply.fileName ?? "shortfall-\(id)"
            + (type == "application/pdf" ? ".pdf" : type == "image/png" ? ".png" : ".jpg")
        try pool.withConnection { connection in
            try connection.transaction { tx in
                let document = try Documents.store(
                    bytes, fileName: fileName, mediaType: type, retentionDays: settings.documentRetentionDays, on: tx)
                // Settled meanwhile (a repeated job): accept does nothing, and the citizen is not told twice.
                guard
                    let accepted = try Shortfalls.accept(
                        id, document: document, scan: scan, queue: queue, now: Date(), on: tx)
                else { return }
                var text = JourneyTexts.shortfallReceived(
                    reply.language, ["file": fileName, "application": reply.applicationID])
                if let due = accepted.due {
                    text += " " + JourneyTexts.clockRestarted(reply.language, ["due": due.indianFormat])
                }
                try queue.enqueue(
                    try Jobs.conversationReply.job(
                        ConversationReply(to: reply.mobile, text: text), priority: 1,
                        uniqueKey: "shortfall-ack:\(id)"), on: tx)
            }
        }
    }

    /// Refuses the reply (once) and tells the citizen why, in one transaction.
    func refuseShortfallReply(_ reply: Shortfalls.PendingReply, reason: String) throws {
        try pool.withConnection { connection in
            try connection.transaction { tx in
                guard try Shortfalls.refuse(reply.id, reason: reason, on: tx) else { return }
                let limit =
                    settings.shortfallMaxBytes >= 1024 * 1024
                    ? "\(settings.shortfallMaxBytes / (1024 * 1024)) MB" : "\(settings.shortfallMaxBytes / 1024) KB"
                let why = JourneyTexts.refusals[reason]?(reply.language, ["limit": limit]) ?? reason
                try queue.enqueue(
                    try Jobs.conversationReply.job(
                        ConversationReply(
                            to: reply.mobile, text: JourneyTexts.shortfallRefused(reply.language, ["reason": why])),
                        priority: 1, uniqueKey: "shortfall-ack:\(reply.id)"), on: tx)
            }
        }
    }

    enum ScanResult { case clean, infected }

    /// Runs the virus-scan hook on `bytes` (written to a private temporary file, its path the last argument): exit 0
    /// clean, 1 infected, anything else (or no answer in 120 s) an error the job retries.
    static func scan(_ bytes: [UInt8], with command: [String]) throws -> ScanResult {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "dakiya-scan-\(UUID().uuidString.lowercased())")
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("reply")
        guard
            FileManager.default.createFile(
                atPath: file.path, contents: Data(bytes), attributes: [.posixPermissions: 0o600])
        else { throw JobError.retryable("could not write the file for the virus scan") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst()) + [file.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            process.terminate()
            throw JobError.retryable("the virus scan did not answer in 120 s")
        }
        switch process.terminationStatus {
        case 0: return .clean
        case 1: return .infected
        default: throw JobError.retryable("the virus scan failed (exit \(process.terminationStatus))")
        }
    }
}
