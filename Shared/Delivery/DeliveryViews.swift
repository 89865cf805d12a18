import Foundation
import Postgres

/// A UUID written in lowercase (RFC 9562 canonical form), as in URLs; read in either case.
package struct PublicID: Codable, Sendable, Hashable, CustomStringConvertible {
    package var uuid: UUID
    /// The id, written in lower case.
    package init(_ uuid: UUID) { self.uuid = uuid }
    package var description: String { uuid.uuidString.lowercased() }

    package init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let uuid = UUID(uuidString: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a UUID"))
        }
        self.uuid = uuid
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A delivery's aggregate and per-channel status, as the portal reads it.
package struct DeliveryView: Codable, Sendable, Equatable {
    /// One channel's attempt as the portal sees it.
    package struct Attempt: Codable, Sendable, Equatable {
        package var channel: String
        package var state: String
        package var failureKind: String?
        package var skipReason: String?
        package var errorCode: String?
        package var errorText: String?
        package var providerMessageID: String?
        package var queuedAt: Date?
        package var sentAt: Date?
        package var deliveredAt: Date?
        package var readAt: Date?
        package var failedAt: Date?

        enum CodingKeys: String, CodingKey {
            case channel, state, failureKind = "failure_kind", skipReason = "skip_reason", errorCode = "error_code",
                errorText = "error_text"
            case providerMessageID = "provider_message_id", queuedAt = "queued_at", sentAt = "sent_at", deliveredAt =
                "delivered_at"
            case readAt = "read_at", failedAt = "failed_at"
        }
    }

    package var id: PublicID
    package var applicationID: String
    package var decision: String
    /// A journey step's name and facts (decision `step`); nil for outcomes and notices.
    package var step: String?
    package var detail: [String: String]?
    package var reasons: [String]
    package var language: String
    package var status: String
    package var isTest: Bool
    package var hasCertificate: Bool
    /// When the outcome first reached the citizen: the legally effective time.
    package var firstDeliveredAt: Date?
    package var createdAt: Date
    package var channels: [Attempt]

    enum CodingKeys: String, CodingKey {
        case id, applicationID = "application_id", decision, step, detail, reasons, language, status, isTest = "is_test"
        case hasCertificate = "has_certificate", firstDeliveredAt = "first_delivered_at", createdAt = "created_at",
            channels
    }
}

/// Deliveries as the portal API shows them (`GET /v1/deliveries/{id}` and an application's list).
package enum DeliveryViews {
    /// The delivery `id` if it belongs to `department`, else nil (another department's delivery is not revealed).
    /// `offices` limits it to a key's offices (empty: every office of the department).
    /// - Throws: `PostgresError` from the database.
    package static func find(id: UUID, department: String, offices: [String] = [], on connection: Connection) throws
        -> DeliveryView?
    {
        try load(
            where:
                "d.id = $1 AND a.department = $2 AND (cardinality($3::text[]) = 0 OR a.office_code = ANY($3::text[]))",
            [id, department, offices], on: connection
        ).first
    }

    /// Every delivery of an application, oldest first.
    /// - Throws: `PostgresError` from the database.
    package static func forApplication(_ applicationID: Int64, on connection: Connection) throws -> [DeliveryView] {
        try load(where: "d.application_id = $1", [applicationID], on: connection)
    }

    static func load(where condition: String, _ parameters: [any PostgresEncodable], on connection: Connection) throws
        -> [DeliveryView]
    {
        let deliveries = try connection.query(
            """
            SELECT d.id, a.portal_application_id, d.decision, d.reasons, d.language, d.status, d.is_test,
                   d.document_id IS NOT NULL, d.first_delivered_at, d.created_at, d.step, d.step_detail
            FROM deliveries d JOIN applications a ON a.id = d.application_id
            WHERE \(condition) ORDER BY d.created_at, d.id
            """, parameters
        ).rows
        return try deliveries.map { row in
            let id = try row.decode(UUID.self, at: 0)
            let attempts = try connection.query(
                """
                SELECT channel, state, failure_kind, skip_reason, error_code, error_text, provider_message_id,
                       queued_at, sent_at, delivered_at, read_at, failed_at
                FROM channel_attempts WHERE delivery_id = $1 ORDER BY array_position(ARRAY['portal','whatsapp','email'], channel)
                """, [id]
            ).rows.map { a in
                DeliveryView.Attempt(
                    channel: try a.decode(String.self, at: 0), state: try a.decode(String.self, at: 1),
                    failureKind: try a.decode(String?.self, at: 2), skipReason: try a.decode(String?.self, at: 3),
                    errorCode: try a.decode(String?.self, at: 4), errorText: try a.decode(String?.self, at: 5),
                    providerMessageID: try a.decode(String?.self, at: 6), queuedAt: try a.decode(Date?.self, at: 7),
                    sentAt: try a.decode(Date?.self, at: 8), deliveredAt: try a.decode(Date?.self, at: 9),
                    readAt: try a.decode(Date?.self, at: 10), failedAt: try a.decode(Date?.self, at: 11))
            }
            return DeliveryView(
                id: PublicID(id), applicationID: try row.decode(String.self, at: 1),
                decision: try row.decode(String.self, at: 2), step: try row.decode(String?.self, at: 10),
                detail: try row.decode(PostgresJSON?.self, at: 11)?.decode([String: String].self),
                reasons: try row.decode([String].self, at: 3), language: try row.decode(String.self, at: 4),
                status: try row.decode(String.self, at: 5), isTest: try row.decode(Bool.self, at: 6),
                hasCertificate: try row.decode(Bool.self, at: 7), firstDeliveredAt: try row.decode(Date?.self, at: 8),
                createdAt: try row.decode(Date.self, at: 9), channels: attempts)
        }
    }
}
