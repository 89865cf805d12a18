import Foundation
import Postgres

/// What a citizen sees of their outcomes: the portal inbox (by portal user id, within an API key's scope) and, in
/// the WhatsApp conversation, what was delivered to their mobile number. Reads only.
package enum CitizenViews {
    /// An outcome in the portal inbox.
    package struct InboxRow: Sendable {
        package var deliveryID: UUID
        package var applicationID: String
        package var service: String
        package var office: String
        package var decision: String
        /// A journey step's name and facts (decision `step`).
        package var step: String?
        package var detail: [String: String]?
        package var reasons: [String]
        package var deliveredAt: Date?
        package var readAt: Date?
        /// The certificate's file name and size, when the outcome has one.
        package var certificate: (fileName: String, size: Int)?
        /// The certificate's seal: its id, the verification address, and the verification slip's file name and size
        /// (a digitally signed certificate only).
        package var seal: (certificateID: String, url: String?, slip: (fileName: String, size: Int)?)?
    }

    /// Is the citizen in the key's scope: the key keeps citizens' records, or the citizen has an application the key
    /// may read. (Otherwise the caller answers as for a citizen who does not exist.)
    /// - Throws: `PostgresError` from the database.
    package static func isVisible(portalUserID: String, to key: APIKey, on connection: Connection) throws -> Bool {
        try connection.query(
            """
            SELECT 1 FROM citizens c WHERE c.portal_user_id = $1 AND ($2 OR EXISTS (
                SELECT 1 FROM applications a WHERE a.citizen_id = c.id AND a.department = $3
                  AND (cardinality($4::text[]) = 0 OR a.office_code = ANY($4::text[]))))
            """, [portalUserID, key.keepsCitizens, key.department, key.offices]
        ).count == 1
    }

    /// The citizen's outcomes delivered to the portal inbox from the key's department (and offices), newest first, at
    /// most 200.
    /// - Throws: `PostgresError` from the database.
    package static func inbox(portalUserID: String, for key: APIKey, on connection: Connection) throws -> [InboxRow] {
        try connection.query(
            """
            SELECT d.id, a.portal_application_id, a.service_code, a.office_code, d.decision, d.step, d.step_detail, d.reasons, ca.delivered_at, ca.read_at,
                   coalesce(d.document_file_name, doc.file_name) AS file_name, doc.size,
                   s.certificate_id, s.verification_url, slip.file_name AS slip_file_name, slip.size AS slip_size
            FROM deliveries d JOIN applications a ON a.id = d.application_id JOIN citizens c ON c.id = a.citizen_id
            JOIN channel_attempts ca ON ca.delivery_id = d.id AND ca.channel = 'portal' AND ca.state IN ('delivered', 'read')
            LEFT JOIN documents doc ON doc.id = d.document_id
            LEFT JOIN certificate_seals s ON s.delivery_id = d.id
            LEFT JOIN documents slip ON slip.id = s.slip_document_id
            WHERE c.portal_user_id = $1 AND a.department = $2 AND (cardinality($3::text[]) = 0 OR a.office_code = ANY($3::text[]))
            ORDER BY ca.delivered_at DESC, d.id
            LIMIT 200
            """, [portalUserID, key.department, key.offices]
        ).rows.map { row in
            InboxRow(
                deliveryID: try row.decode(UUID.self, "id"),
                applicationID: try row.decode(String.self, "portal_application_id"),
                service: try row.decode(String.self, "service_code"),
                office: try row.decode(String.self, "office_code"),
                decision: try row.decode(String.self, "decision"), step: try row.decode(String?.self, "step"),
                detail: try row.decode(PostgresJSON?.self, "step_detail")?.decode([String: String].self),
                reasons: try row.decode([String].self, "reasons"),
                deliveredAt: try row.decode(Date?.self, "delivered_at"), readAt: try row.decode(Date?.self, "read_at"),
                certificate: try row.decode(String?.self, "file_name").map { ($0, try row.decode(Int.self, "size")) },
                seal: try row.decode(String?.self, "certificate_id").map {
                    (
                        $0, try row.decode(String?.self, "verification_url"),
                        try row.decode(String?.self, "slip_file_name").map {
                            ($0, try row.decode(Int.self, "slip_size"))
                        }
                    )
                })
        }
    }

    /// The latest outcome of an application, only if it belongs to a citizen with this mobile number.
    /// - Throws: `PostgresError` from the database.
    package static func latestOutcome(applicationID: String, mobile: String, on connection: Connection) throws -> (
        decision: String, at: Date
    )? {
        guard
            let row = try connection.query(
                """
                SELECT coalesce(d.step, d.decision), d.created_at FROM applications a JOIN citizens c ON c.id = a.citizen_id
                JOIN deliveries d ON d.application_id = a.id
                WHERE a.portal_application_id = $1 AND c.mobile = $2 ORDER BY d.created_at DESC LIMIT 1
                """, [applicationID, mobile]
            ).first
        else { return nil }
        return (try row.decode(String.self, at: 0), try row.decode(Date.self, at: 1))
    }

    /// Does an application with this number belong to a citizen with this mobile number?
    /// - Throws: `PostgresError` from the database.
    package static func owns(applicationID: String, mobile: String, on connection: Connection) throws -> Bool {
        try connection.query(
            """
            SELECT 1 FROM applications a JOIN citizens c ON c.id = a.citizen_id WHERE a.portal_application_id = $1 AND c.mobile = $2
            """, [applicationID, mobile]
        ).count >= 1
    }

    /// The certificates already delivered on WhatsApp to this mobile number, newest first (at most 10), as
    /// (delivery, application number).
    /// - Throws: `PostgresError` from the database.
    package static func whatsappCertificates(mobile: String, on connection: Connection) throws -> [(
        deliveryID: UUID, applicationID: String
    )] {
        try connection.query(
            """
            SELECT d.id, a.portal_application_id FROM deliveries d JOIN applications a ON a.id = d.application_id JOIN citizens c ON c.id = a.citizen_id
            JOIN channel_attempts ca ON ca.delivery_id = d.id AND ca.channel = 'whatsapp' AND ca.state IN ('sent', 'delivered', 'read')
            WHERE c.mobile = $1 AND d.document_id IS NOT NULL ORDER BY d.created_at DESC LIMIT 10
            """, [mobile]
        ).rows.map { (try $0.decode(UUID.self, at: 0), try $0.decode(String.self, at: 1)) }
    }

    /// Was this delivery's certificate delivered on WhatsApp to this mobile number (so it may be sent there again)?
    /// - Throws: `PostgresError` from the database.
    package static func hasWhatsAppCertificate(deliveryID: UUID, mobile: String, on connection: Connection) throws
        -> Bool
    {
        try connection.query(
            """
            SELECT 1 FROM deliveries d JOIN applications a ON a.id = d.application_id JOIN citizens c ON c.id = a.citizen_id
            JOIN channel_attempts ca ON ca.delivery_id = d.id AND ca.channel = 'whatsapp' AND ca.state IN ('sent', 'delivered', 'read')
            WHERE d.id = $1 AND c.mobile = $2 AND d.document_id IS NOT NULL
            """, [deliveryID, mobile]
        ).count == 1
    }
}
