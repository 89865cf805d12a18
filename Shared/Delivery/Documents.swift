import Cryptography
import Foundation
import Postgres

/// PDFs (certificates, appellate orders) and the files citizens send to answer a shortfall (PDF, JPEG, PNG), stored
/// once per content by SHA-256.
package enum Documents {
    /// Stores `bytes` (or finds them) and returns the document id. `retentionDays` nil keeps them for good;
    /// storing content again restores purged bytes and keeps the longer of the two retentions (for good wins).
    /// - Throws: `PostgresError` from the database.
    package static func store(
        _ bytes: [UInt8], fileName: String, mediaType: String = "application/pdf", retentionDays: Int?,
        on connection: Connection
    ) throws -> Int64 {
        guard
            let id = try connection.query(
                """
                INSERT INTO documents (sha256, media_type, file_name, size, content, expires_at)
                VALUES ($1, $6, $2, $3, $4, now() + make_interval(days => $5::integer))
                ON CONFLICT (sha256) DO UPDATE
                SET expires_at = CASE WHEN documents.expires_at IS NULL OR excluded.expires_at IS NULL THEN NULL
                                      ELSE greatest(documents.expires_at, excluded.expires_at) END,
                    content = CASE WHEN documents.purged_at IS NULL THEN documents.content ELSE excluded.content END,
                    purged_at = NULL
                RETURNING id
                """,
                [
                    PostgresBytes(SHA256.hash(bytes)), fileName, bytes.count, PostgresBytes(bytes), retentionDays,
                    mediaType,
                ]
            ).first?.decode(Int64.self, at: 0)
        else {
            throw PostgresError(.protocolViolation, "INSERT returned no row")
        }
        return id
    }
}

extension Documents {
    /// A delivery's certificate as the citizen downloads it.
    package struct Delivered: Sendable {
        /// The name the department gave it for this delivery (the same bytes may have gone out under another name).
        package var fileName: String
        package var mediaType: String
        /// Empty once purged.
        package var bytes: [UInt8]
        /// Past its retention: the record stays, the bytes are gone.
        package var isPurged: Bool
    }

    /// The certificate of a delivery; nil when the delivery has none.
    /// - Throws: `PostgresError` from the database.
    package static func delivered(_ deliveryID: UUID, on connection: Connection) throws -> Delivered? {
        guard
            let row = try connection.query(
                """
                SELECT coalesce(d.document_file_name, doc.file_name), doc.media_type, doc.content, doc.purged_at IS NOT NULL
                FROM deliveries d JOIN documents doc ON doc.id = d.document_id WHERE d.id = $1
                """, [deliveryID]
            ).first
        else { return nil }
        return try Delivered(row)
    }

    /// The verification slip delivered beside a delivery's digitally signed certificate; nil when it has none.
    /// - Throws: `PostgresError` from the database.
    package static func verificationSlip(_ deliveryID: UUID, on connection: Connection) throws -> Delivered? {
        guard
            let row = try connection.query(
                """
                SELECT doc.file_name, doc.media_type, doc.content, doc.purged_at IS NOT NULL
                FROM certificate_seals s JOIN documents doc ON doc.id = s.slip_document_id WHERE s.delivery_id = $1
                """, [deliveryID]
            ).first
        else { return nil }
        return try Delivered(row)
    }
}

extension Documents.Delivered {
    /// From a row of file name, media type, content and whether it was purged.
    init(_ row: Row) throws {
        self.init(
            fileName: try row.decode(String.self, at: 0), mediaType: try row.decode(String.self, at: 1),
            bytes: try row.decode(PostgresBytes.self, at: 2).bytes, isPurged: try row.decode(Bool.self, at: 3))
    }
}
