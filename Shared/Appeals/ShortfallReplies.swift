import Delivery
import Foundation
import JobContracts
import JobQueue
import Postgres
import ServiceRuntime

/// The citizen's answer to a shortfall, message by message: recorded from the webhook (a file waits for its fetch),
/// then accepted (kept, passed to the portal, the clock moved) or refused.
extension Shortfalls {
    /// A file type a shortfall answer may be: what the office can open and print.
    package static let acceptedTypes: [String: [UInt8]] = [
        "application/pdf": Array("%PDF-".utf8), "image/jpeg": [0xFF, 0xD8, 0xFF],
        "image/png": [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A],
    ]

    /// One message of the answer as the webhook carries it.
    package struct IncomingReply: Sendable {
        package var shortfallID: Int64
        package var wamid: String
        package var mobile: String
        /// `text`, `document` or `image`.
        package var kind: String
        package var text: String?
        package var mediaID: String?
        package var declaredType: String?
        package var fileName: String?

        /// A message of the answer to shortfall `shortfallID`.
        package init(
            shortfallID: Int64, wamid: String, mobile: String, kind: String, text: String? = nil,
            mediaID: String? = nil, declaredType: String? = nil, fileName: String? = nil
        ) {
            self.shortfallID = shortfallID
            self.wamid = wamid
            self.mobile = mobile
            self.kind = kind
            self.text = text
            self.mediaID = mediaID
            self.declaredType = declaredType
            self.fileName = fileName
        }
    }

    /// Records the message once (by wamid): a file waits for its `shortfall.fetch` job (queued here, in the same
    /// transaction); a text is accepted at once. Returns the reply's id, nil for a repeated webhook.
    /// - Throws: `PostgresError` from the database.
    @discardableResult
    package static func recordReply(_ reply: IncomingReply, queue: JobQueue, now: Date, on tx: Connection) throws
        -> Int64?
    {
        guard
            let id = try tx.query(
                """
                INSERT INTO shortfall_replies (shortfall_id, wamid, mobile, kind, text, media_id, declared_type, file_name, state)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending') ON CONFLICT (wamid) DO NOTHING RETURNING id
                """,
                [
                    reply.shortfallID, reply.wamid, reply.mobile, reply.kind, reply.text, reply.mediaID,
                    reply.declaredType, reply.fileName,
                ]
            ).first?.decode(Int64.self, at: 0)
        else { return nil }
        if reply.kind == "text" {
            try accept(id, document: nil, scan: nil, queue: queue, now: now, on: tx)
        } else {
            try queue.enqueue(
                try Jobs.shortfallFetch.job(
                    ShortfallFetch(replyID: id), priority: 1, maxAttempts: 10, uniqueKey: "shortfall-reply:\(id)"),
                on: tx)
        }
        return id
    }

    /// A reply as the fetch job needs it.
    package struct PendingReply: Sendable {
        package var id: Int64
        package var state: String
        package var kind: String
        package var mediaID: String?
        package var declaredType: String?
        package var fileName: String?
        package var mobile: String
        package var applicationID: String
        package var language: String
        package var isTest: Bool
    }

    /// The reply `id` with its application and the language of the shortfall's step.
    /// - Throws: `PostgresError` from the database.
    package static func reply(_ id: Int64, on connection: Connection) throws -> PendingReply? {
        guard
            let row = try connection.query(
                """
                SELECT r.id, r.state, r.kind, r.media_id, r.declared_type, r.file_name, r.mobile, a.portal_application_id, d.language, s.is_test
                FROM shortfall_replies r JOIN application_shortfalls s ON s.id = r.shortfall_id
                JOIN applications a ON a.id = s.application_id JOIN deliveries d ON d.id = s.delivery_id
                WHERE r.id = $1
                """, [id]
            ).first
        else { return nil }
        return PendingReply(
            id: try row.decode(Int64.self, at: 0), state: try row.decode(String.self, at: 1),
            kind: try row.decode(String.self, at: 2), mediaID: try row.decode(String?.self, at: 3),
            declaredType: try row.decode(String?.self, at: 4), fileName: try row.decode(String?.self, at: 5),
            mobile: try row.decode(String.self, at: 6), applicationID: try row.decode(String.self, at: 7),
            language: try row.decode(String.self, at: 8), isTest: try row.decode(Bool.self, at: 9))
    }

    /// Refuses a pending file with `reason` (`type`, `size`, `scan`, `damaged`); false when it was settled already.
    /// - Throws: `PostgresError` from the database.
    package static func refuse(_ id: Int64, reason: String, on tx: Connection) throws -> Bool {
        try tx.query(
            "UPDATE shortfall_replies SET state = 'refused', refusal = $2, settled_at = now() WHERE id = $1 AND state = 'pending' RETURNING 1",
            [id, reason]
        ).count == 1
    }

    /// What accepting a reply did.
    package struct Accepted: Sendable, Equatable {
        /// The time limit's new due day, when the answer moved it.
        package var due: CivilDate?
    }

    /// Accepts a pending reply (a file already kept as `document`, with its scan result): the shortfall is answered
    /// (the clock moves by the state's rule), and the portal gets an `application.shortfall_reply` event with the
    /// text or the file itself when its department takes callbacks (it can also fetch it with its key). Nil when the
    /// reply was settled already (a repeated job): nothing was done.
    /// - Throws: `PostgresError` from the database.
    @discardableResult
    package static func accept(
        _ id: Int64, document: Int64?, scan: String?, queue: JobQueue, now: Date, on tx: Connection
    ) throws -> Accepted? {
        guard
            let row = try tx.query(
                """
                UPDATE shortfall_replies r SET state = 'accepted', document_id = $2, scan = $3, settled_at = $4
                FROM application_shortfalls s JOIN applications a ON a.id = s.application_id
                WHERE r.id = $1 AND r.state = 'pending' AND s.id = r.shortfall_id
                RETURNING s.id, s.delivery_id, a.portal_application_id, a.department, r.kind, r.text, r.received_at,
                          (SELECT dp.callback_url IS NOT NULL FROM departments dp WHERE dp.code = a.department), r.file_name
                """, [id, document, scan, now]
            ).first
        else { return nil }
        let shortfallID = try row.decode(Int64.self, at: 0)
        let due = try answered(shortfallID, actor: "citizen:whatsapp", now: now, on: tx)
        guard try row.decode(Bool.self, at: 7) else { return Accepted(due: due) }
        let eventID = UUID.timeOrdered()
        struct File: Encodable {
            var fileName: String
            var mediaType: String
            var size: Int
            var sha256: String
            var scan: String
            var contentBase64: String
            enum CodingKeys: String, CodingKey {
                case fileName = "file_name", mediaType = "media_type", size, sha256, scan
                case contentBase64 = "content_base64"
            }
        }
        struct Reply: Encodable {
            var applicationID: String
            var shortfallID: Int64
            var stepDeliveryID: String
            var replyID: Int64
            var kind: String
            var text: String?
            var file: File?
            var receivedAt: Date
            enum CodingKeys: String, CodingKey {
                case applicationID = "application_id", shortfallID = "shortfall_id",
                    stepDeliveryID = "step_delivery_id"
                case replyID = "reply_id", kind, text, file, receivedAt = "received_at"
            }
        }
        var file: File?
        if let document {
            let kept = try tx.query(
                "SELECT file_name, media_type, size, sha256, content FROM documents WHERE id = $1", [document]
            ).first!
            let bytes = try kept.decode(PostgresBytes.self, at: 4).bytes
            file = File(
                fileName: try row.decode(String?.self, at: 8) ?? kept.decode(String.self, at: 0),
                mediaType: try kept.decode(String.self, at: 1), size: try kept.decode(Int.self, at: 2),
                sha256: Hex.encode(try kept.decode(PostgresBytes.self, at: 3).bytes), scan: scan ?? "not_scanned",
                contentBase64: Data(bytes).base64EncodedString())
        }
        let stepDelivery = try row.decode(UUID.self, at: 1)
        let body = try PortalEvents.envelope(
            id: eventID, type: "application.shortfall_reply",
            data: Reply(
                applicationID: try row.decode(String.self, at: 2), shortfallID: shortfallID,
                stepDeliveryID: stepDelivery.uuidString.lowercased(), replyID: id,
                kind: try row.decode(String.self, at: 4),
                text: try row.decode(String?.self, at: 5), file: file, receivedAt: try row.decode(Date.self, at: 6)))
        try PortalEvents.insert(
            id: eventID, type: "application.shortfall_reply", body: body,
            department: try row.decode(String.self, at: 3),
            subject: .delivery(stepDelivery), queue: queue, on: tx)
        return Accepted(due: due)
    }
}
