import Foundation
import JobQueue
import Postgres
import ServiceRuntime

/// Status events for the portal, created in the same transaction as the status change they report.
package enum PortalEvents {
    /// On the portal-adapter's queue: POST one stored event to the department's callback URL.
    package static let deliverKind = "callback.deliver"
    /// Enough attempts that, with the default backoff (2 s doubling to a 1 h cap, ±25 %), retries span more
    /// than 24 hours even when every delay draws its shortest jitter (about 26 h).
    package static let maximumAttempts: Int16 = 45

    package struct Deliver: Codable, Sendable {
        package var eventID: UUID
        enum CodingKeys: String, CodingKey { case eventID = "event_id" }
    }

    /// Records a `delivery.status_changed` event with each delivery's current view and enqueues its callback,
    /// when the department has a callback URL and the view differs from the last event sent (so a channel moving
    /// from sent to delivered to read is reported, and a repeated settle is not). Call inside the transaction
    /// that changed the status; one statement finds the deliveries whose department takes callbacks.
    package static func statusChanged(deliveryIDs: [UUID], queue: JobQueue, on connection: Connection) throws {
        guard !deliveryIDs.isEmpty else { return }
        let rows = try connection.query("""
            SELECT d.id, a.department FROM deliveries d JOIN applications a ON a.id = d.application_id JOIN departments dp ON dp.code = a.department
            WHERE d.id = ANY($1) AND dp.callback_url IS NOT NULL ORDER BY d.id
            """, [Array(Set(deliveryIDs))]).rows
        for row in rows {
            try record(deliveryID: try row.decode(UUID.self, at: 0), department: try row.decode(String.self, at: 1), queue: queue, on: connection)
        }
    }

    /// The event and its callback job for a delivery of a department that takes callbacks, unless nothing changed.
    static func record(deliveryID: UUID, department: String, queue: JobQueue, on connection: Connection) throws {
        guard let view = try DeliveryStatus.find(id: deliveryID, department: department, on: connection) else { return }
        let eventID = UUID()
        struct Event: Encodable {
            var id: String
            var type: String
            var createdAt: String
            var data: DeliveryView
            enum CodingKeys: String, CodingKey { case id, type, createdAt = "created_at", data }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let body = String(decoding: try encoder.encode(Event(id: eventID.uuidString.lowercased(), type: "delivery.status_changed",
                                                             createdAt: Timestamp.rfc3339(Timestamp.nowMicroseconds()), data: view)), as: UTF8.self)
        let unchanged = try connection.query("""
            SELECT (SELECT body::jsonb -> 'data' FROM portal_events WHERE delivery_id = $1 ORDER BY created_at DESC, id LIMIT 1) = ($2::jsonb -> 'data')
            """, [deliveryID, PostgresJSON(text: body)]).first?.decode(Bool?.self, at: 0) ?? nil
        if unchanged == true { return }
        try connection.query("INSERT INTO portal_events (id, department, delivery_id, type, body) VALUES ($1, $2, $3, 'delivery.status_changed', $4)",
                             [eventID, department, deliveryID, body])
        try queue.enqueue(try NewJob(queue: "portal", kind: deliverKind, encoding: Deliver(eventID: eventID), priority: 2,
                                     maxAttempts: maximumAttempts, uniqueKey: "event:\(eventID.uuidString.lowercased())"), on: connection)
    }
}
