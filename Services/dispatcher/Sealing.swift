import Cryptography
import Delivery
import Foundation
import PDFTools
import Postgres
import SealRegistry
import Seals
import ServiceRuntime

/// Seals live certificates before they are routed, so every channel delivers the same sealed bytes: once the
/// outcome's log entry has its index, the department's key signs a seal naming it; an unsigned PDF gets the
/// seal's QR stamped on its first page (stored as a document of its own, which the delivery then points to);
/// a digitally signed PDF is delivered unchanged, with a one-page verification slip carrying the seal beside it. The seal, the SHA-256 of what
/// is delivered and a `certificate.sealed` log entry commit in one transaction.
enum Sealing {
    /// Where the QR points and what the stamp tells people to type.
    struct Settings: Sendable {
        /// The verification page's base address (the QR holds it in upper case, then the seal).
        var verifyURL: String
        /// Whether live certificates are sealed at all.
        var enabled: Bool
        /// How long a certificate waits for its log index before it goes out unsealed.
        var maximumWait: Duration = .seconds(600)

        /// The host people type, from the URL.
        var verifyHost: String {
            var text = verifyURL
            for scheme in ["https://", "http://"] where text.lowercased().hasPrefix(scheme) {
                text.removeFirst(scheme.count)
            }
            return text
        }
    }

    /// What became of a delivery.
    enum Outcome: Equatable {
        /// Nothing to seal (no certificate, test traffic, sealing or the log off) or sealed now or before: route it.
        case ready
        /// The outcome's log entry has no index yet: try again shortly.
        case waiting
        /// Waited longer than `Settings.maximumWait` for the index: deliver unsealed (and say so).
        case overdue
    }

    /// A delivery `d` whose certificate `doc` is one to seal, as a SQL condition: a decision, its bytes still kept.
    static let hasCertificate = "d.decision IN ('approved', 'rejected') AND doc.purged_at IS NULL"

    /// The deliveries of `ids` that `seal` may have work for: a decision with a certificate still kept. One statement
    /// for a batch, so an outcome without a certificate (most of them) costs the routing no statement of its own.
    /// Empty when sealing is off.
    /// - Throws: `PostgresError` from the database.
    static func withCertificates(_ ids: [UUID], settings: Settings, on connection: Connection) throws -> Set<UUID> {
        guard settings.enabled, !ids.isEmpty else { return [] }
        return Set(
            try connection.query(
                """
                SELECT d.id FROM deliveries d JOIN documents doc ON doc.id = d.document_id
                WHERE d.id = ANY($1) AND \(hasCertificate)
                """, [ids]
            ).rows.map { try $0.decode(UUID.self, at: 0) })
    }

    /// `seal`, except that a PDF qpdf cannot read is delivered as it came (and said so in the log): the citizen
    /// gets the department's certificate, unsealed, rather than nothing.
    /// - Throws: `PostgresError` from the database; `CryptographyError`.
    static func sealOrDeliverUnsealed(deliveryID: UUID, settings: Settings, logger: Logger, on connection: Connection)
        throws -> Outcome
    {
        do {
            let outcome = try seal(deliveryID: deliveryID, settings: settings, on: connection)
            if outcome == .overdue {
                logger.warning(
                    "a certificate waited too long for its transparency-log index: delivered unsealed",
                    ["delivery.id": deliveryID.uuidString])
                return .ready
            }
            return outcome
        } catch let error as PDFError {
            logger.warning(
                "a certificate could not be stamped: delivered unsealed",
                ["delivery.id": deliveryID.uuidString, "error": error.reason])
            return .ready
        }
    }

    /// Seals the certificate of `deliveryID` if it needs one and can have one now.
    /// - Throws: `PostgresError` from the database; `PDFError` when qpdf cannot stamp; `CryptographyError`.
    static func seal(deliveryID: UUID, settings: Settings, on connection: Connection) throws -> Outcome {
        guard settings.enabled else { return .ready }
        return try connection.transaction { tx in
            guard
                let row = try tx.query(
                    """
                    SELECT d.document_id, d.is_test, a.department, a.service_code,
                           r.idx, dakiya_log_on(), EXISTS (SELECT 1 FROM certificate_seals s WHERE s.delivery_id = d.id),
                           (now() AT TIME ZONE 'Asia/Kolkata')::date - date '1970-01-01',
                           d.created_at < now() - make_interval(secs => $2),
                           coalesce(d.document_file_name, doc.file_name), dp.name
                    FROM deliveries d JOIN applications a ON a.id = d.application_id
                    JOIN departments dp ON dp.code = a.department
                    JOIN documents doc ON doc.id = d.document_id
                    LEFT JOIN log_refs r ON r.delivery_id = d.id
                    WHERE d.id = $1 AND \(hasCertificate)
                    FOR UPDATE OF d
                    """, [deliveryID, settings.maximumWait.seconds]
                ).first
            else { return .ready }
            let isTest = try row.decode(Bool.self, at: 1), logOn = try row.decode(Bool.self, at: 5)
            guard !isTest, logOn, try !row.decode(Bool.self, at: 6) else { return .ready }
            guard let logIndex = try row.decode(Int?.self, at: 4) else {
                // No index yet: wait, but not for ever (an outcome accepted before sealing existed never gets one,
                // and a citizen must not wait on a stalled integrator): past the limit it goes out unsealed.
                return try row.decode(Bool.self, at: 8) ? .overdue : .waiting
            }
            let department = try row.decode(String.self, at: 2)
            // The bytes only now: a certificate still waiting for its index is not read again each time.
            let original =
                try tx.query("SELECT content FROM documents WHERE id = $1", [try row.decode(Int64.self, at: 0)]).first?
                .decode(PostgresBytes.self, at: 0).bytes ?? []
            let key = try SealRegistry.activeKey(department: department, on: tx)
            let certificateID = "DK-" + Base32.encode(try SecureRandom.bytes(7)).prefix(10)
            let documentType = String(
                try row.decode(String.self, at: 3).uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }.prefix(
                    Seal.maximumTypeLength))
            let seal = try Seal(
                key: key, logIndex: logIndex, issuedDay: try row.decode(Int.self, at: 7), documentType: documentType,
                certificateID: String(certificateID))
            let signed = PDFInspection.isDigitallySigned(original)
            let url = try seal.url(base: settings.verifyURL)
            var delivered = original
            var slipDocument: Int64?
            if signed {
                // Never rewritten: the seal goes beside it, on a slip of its own that every channel delivers with it.
                let name = try row.decode(String.self, at: 10)
                let slip = try StampPDF.slip(
                    StampPDF.Slip(
                        url: url, certificateID: String(certificateID),
                        department: name.unicodeScalars.allSatisfy(\.isASCII) ? name : department,
                        documentType: documentType, issuedOn: seal.issuedOn,
                        fileName: try row.decode(String.self, at: 9),
                        signedSHA256: SHA256.hexDigest(original), verifyAt: settings.verifyHost))
                slipDocument = try Documents.store(
                    slip, fileName: "verification-slip-\(certificateID).pdf", retentionDays: nil, on: tx)
                try tx.query(
                    """
                    UPDATE documents s SET expires_at = o.expires_at FROM documents o WHERE s.id = $1 AND o.id = $2
                    """, [slipDocument, try row.decode(Int64.self, at: 0)])
            } else {
                delivered = try PDFTools.overlayFirstPage(of: original) { box in
                    try StampPDF.operators(
                        url: url, certificateID: String(certificateID), verifyAt: settings.verifyHost,
                        width: box.width, height: box.height)
                }
            }
            // The stamped PDF is a document of its own (same retention as the original); the delivery points to it.
            try tx.query(
                """
                WITH stamped AS (
                    INSERT INTO documents (sha256, media_type, file_name, size, content, expires_at)
                    SELECT $2, media_type, file_name, $3, $4, expires_at FROM documents WHERE id = $5
                    ON CONFLICT (sha256) DO UPDATE SET purged_at = NULL, content = excluded.content
                    RETURNING id),
                moved AS (
                    UPDATE deliveries SET document_id = (SELECT id FROM stamped) WHERE id = $1 AND NOT $6::boolean),
                sealed AS (
                    INSERT INTO certificate_seals (certificate_id, delivery_id, original_document_id, key_id, log_index, issued_on,
                                                   document_type, seal, original_sha256, delivered_sha256, signed_original,
                                                   slip_document_id, verification_url)
                    VALUES ($7, $1, $5, $8, $9, date '1970-01-01' + $10::integer, $11, $12, $13, $2, $6, $15, $16)
                    RETURNING certificate_id)
                INSERT INTO log_queue (entries)
                SELECT ARRAY[dakiya_log_entry(jsonb_build_object(
                           'v', 1, 'type', 'certificate.sealed', 'at', dakiya_log_time(now()), 'certificate', $7::text,
                           'issue_index', $9::bigint, 'key', encode($8::bytea, 'hex'), 'department', $14::text,
                           'document_type', $11::text, 'delivered_sha256', encode($2::bytea, 'hex'),
                           'signed_original', $6::boolean))]
                FROM sealed WHERE dakiya_log_on()
                """,
                [
                    deliveryID, PostgresBytes(SHA256.hash(delivered)), delivered.count, PostgresBytes(delivered),
                    try row.decode(Int64.self, at: 0), signed, String(certificateID), PostgresBytes(seal.keyID),
                    logIndex, seal.issuedDay, documentType, try seal.text(), PostgresBytes(SHA256.hash(original)),
                    department, slipDocument, url,
                ])
            return .ready
        }
    }
}
