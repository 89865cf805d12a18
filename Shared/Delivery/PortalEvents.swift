import Foundation
import JobContracts
import JobQueue
import Postgres
import ServiceRuntime

/// Status events for the portal, created in the same transaction as the status change they report.
package enum PortalEvents {
    /// Enough attempts that, with the default backoff (2 s doubling to a 1 h cap, ±25 %), retries span more
    /// than 24 hours even when every delay draws its shortest jitter (about 26 h).
    package static let maximumAttempts: Int16 = 45

    /// A SQL expression for the statement that changes a delivery's status: the delivery's department when it takes
    /// callbacks, else NULL. `application` names the delivery's application_id column (`d.application_id`, say).
    /// The statement returns it, so finding who takes callbacks costs no statement of its own.
    package static func callbackDepartment(application: String) -> String {
        "(SELECT a.department FROM applications a JOIN departments dp ON dp.code = a.department WHERE a.id = \(application) AND dp.callback_url IS NOT NULL)"
    }

    /// Records a `delivery.status_changed` event with each delivery's current view and enqueues its callback, unless
    /// the view is the same as the last event sent (so a channel moving from sent to delivered to read is reported,
    /// and a repeated reconcile is not). `changed` holds the deliveries whose department takes callbacks (see
    /// `callbackDepartment`); call inside the transaction that changed their status.
    /// - Throws: `PostgresError` from the database (or a job that cannot be encoded).
    package static func statusChanged(
        _ changed: [(deliveryID: UUID, department: String)], queue: JobQueue, on connection: Connection
    ) throws {
        for change in changed.sorted(by: { $0.deliveryID.uuidString < $1.deliveryID.uuidString }) {
            try record(deliveryID: change.deliveryID, department: change.department, queue: queue, on: connection)
        }
    }

    /// The event and its callback job for a delivery of a department that takes callbacks, unless nothing changed
    /// since its last status event.
    static func record(deliveryID: UUID, department: String, queue: JobQueue, on connection: Connection) throws {
        guard let view = try DeliveryViews.find(id: deliveryID, department: department, on: connection) else { return }
        let eventID = UUID.timeOrdered()
        let body = try envelope(id: eventID, type: "delivery.status_changed", data: view)
        let unchanged =
            try connection.query(
                """
                SELECT (SELECT body::jsonb -> 'data' FROM portal_events WHERE delivery_id = $1 AND type = 'delivery.status_changed'
                        ORDER BY created_at DESC, id LIMIT 1) = ($2::jsonb -> 'data')
                """, [deliveryID, PostgresJSON(text: body)]
            ).first?.decode(Bool?.self, at: 0) ?? nil
        if unchanged == true { return }
        try insert(
            id: eventID, type: "delivery.status_changed", body: body, department: department,
            subject: .delivery(deliveryID), queue: queue, on: connection)
    }

    /// What an event built here is about: a delivery or a broadcast (a submitted Flow's event is built by the
    /// database, in `FlowSubmissions.record`, so the Flow's data goes out exactly as kept).
    package enum Subject: Sendable {
        case delivery(UUID)
        case broadcast(UUID)
    }

    /// An event's body: `{"created_at", "data", "id", "type"}`, keys sorted, `/` unescaped, dates ISO 8601.
    /// - Throws: when `data` cannot be encoded.
    package static func envelope<Data: Encodable>(id: UUID, type: String, data: Data) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(
            decoding: try encoder.encode(
                Envelope(
                    id: id.uuidString.lowercased(), type: type,
                    createdAt: Timestamp.rfc3339(Timestamp.nowMicroseconds()), data: data)), as: UTF8.self)
    }

    /// An event as the callback carries it.
    struct Envelope<Data: Encodable>: Encodable {
        var id: String
        var type: String
        var createdAt: String
        var data: Data
        enum CodingKeys: String, CodingKey { case id, type, createdAt = "created_at", data }
    }

    /// Records the event (`body`, from `envelope`) for the department's callback, with the job that posts it, inside
    /// the caller's transaction.
    /// - Throws: `PostgresError` from the database.
    package static func insert(
        id: UUID, type: String, body: String, department: String, subject: Subject, queue: JobQueue,
        on connection: Connection
    ) throws {
        let (delivery, broadcast): (UUID?, UUID?) =
            switch subject {
            case .delivery(let id): (id, nil)
            case .broadcast(let id): (nil, id)
            }
        try connection.query(
            """
            INSERT INTO portal_events (id, department, delivery_id, broadcast_id, type, body) VALUES ($1, $2, $3, $4, $5, $6)
            """, [id, department, delivery, broadcast, type, body])
        try enqueueCallback(id, queue: queue, on: connection)
    }

    /// The `callback.deliver` job of a recorded event, inside the caller's transaction.
    /// - Throws: `PostgresError` from the database.
    package static func enqueueCallback(_ eventID: UUID, queue: JobQueue, on connection: Connection) throws {
        try queue.enqueue(
            try Jobs.callbackDeliver.job(
                CallbackDeliver(eventID: eventID), priority: 2, maxAttempts: maximumAttempts,
                uniqueKey: "event:\(eventID.uuidString.lowercased())"), on: connection)
    }
}
